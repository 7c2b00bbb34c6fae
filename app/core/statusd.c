/* statusd — a libmicrohttpd status port; see statusd.h. */
#include "statusd.h"

#include "err.h"
#include "log.h"
#include "mem.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>

struct statusd {
    struct MHD_Daemon *d;
    statusd_fn fn;
    void *arg;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **state)
{
    struct statusd *s = cls;
    (void)version;
    (void)data;
    (void)size;
    if (!*state) { /* first call: headers only */
        *state = (void *)1;
        return MHD_YES;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(c, 405, "text/plain", "method not allowed\n", 19);
    struct buf b;
    buf_init(&b, STATUSD_BODY_MAX);
    const char *type = "text/plain";
    unsigned status = s->fn(s->arg, url, &b, &type);
    enum MHD_Result rc = reply(c, status, type, b.p ? b.p : "", b.len);
    buf_free(&b);
    return rc;
}

int statusd_start(const char *host, int64_t port, statusd_fn fn, void *arg, struct statusd **out)
{
    *out = NULL;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return ERR_CONFIG;
    struct statusd *s = mem_calloc(1, sizeof *s);
    s->fn = fn;
    s->arg = arg;
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
                            on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_CONNECTION_LIMIT, 64u,
                            MHD_OPTION_END);
    if (!s->d) {
        log_error("cannot listen for status on %s:%lld", host, (long long)port);
        mem_free(s);
        return ERR_IO;
    }
    *out = s;
    return 0;
}

void statusd_stop(struct statusd *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d);
    mem_free(s);
}

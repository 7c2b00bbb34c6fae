/*
 * libFuzzer target: a whole request through the in-process path (http_serve_one) with a
 * small route table. The input is split on NUL bytes into: method, URI, content type,
 * cookie header, body. Checks that the exchange always ends with a valid status and that a
 * 4xx never reaches a handler.
 */
#include "http/router.h"
#include "core/buf.h"
#include "http/server.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int handled;

static void h_any(struct http_ex *x)
{
    handled = 1;
    struct str s = http_param_str(x, "slug");
    int64_t q = http_param_i64(x, "quantity", 0);
    (void)s;
    (void)q;
    http_resp_text(x, 200, STR("ok"));
}

static const struct http_param params[] = {
    {"slug", HTTP_SRC_PATH, HTTP_K_SLUG, 1, 80, true},
    {"quantity", HTTP_SRC_BODY, HTTP_K_INT, 0, 10, false},
    {"q", HTTP_SRC_QUERY, HTTP_K_TEXT, 0, 100, false},
    {NULL, 0, 0, 0, 0, false},
};
static const struct http_route routes[] = {
    {HTTP_GET | HTTP_POST, "/products/{slug}", h_any, "p", params, 0},
    {HTTP_GET | HTTP_POST, "/api/v1/products/{slug}", h_any, "ap", params, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct arena *a;
    static struct router *r;
    static struct buf head, body;
    static struct http_service svc;
    if (!a) {
        struct buf err;
        buf_init(&err, 1024);
        a = arena_new(64 * 1024, 64 << 20);
        r = router_new(routes, 2, &err);
        buf_init(&head, 64 * 1024);
        buf_init(&body, 1 << 20);
        http_init_json();
        svc.router = r;
        buf_free(&err);
    }
    const char *parts[5] = {"", "", "", "", ""};
    size_t lens[5] = {0};
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= size && k < 5; i++) {
        if (i == size || data[i] == 0) {
            parts[k] = (const char *)data + start;
            lens[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    char *envp[6];
    const char *names[4] = {"REQUEST_METHOD=", "REQUEST_URI=", "CONTENT_TYPE=", "HTTP_COOKIE="};
    for (int i = 0; i < 4; i++) {
        size_t nl = strlen(names[i]);
        char *e = arena_alloc(a, nl + lens[i] + 1);
        memcpy(e, names[i], nl);
        memcpy(e + nl, parts[i], lens[i]);
        e[nl + lens[i]] = '\0';
        envp[i] = e;
    }
    envp[4] = "REMOTE_ADDR=127.0.0.1";
    envp[5] = NULL;
    struct http_limits lim = {4096, 16, 16};
    struct http_ex x;
    memset(&x, 0, sizeof x);
    handled = 0;
    http_serve_one(&svc, &x, envp, (struct str){parts[4], lens[4]}, false, &lim, a, &head, &body);
    if (x.resp.status < 200 || x.resp.status > 599)
        __builtin_trap();
    if (handled && x.resp.status != 200)
        __builtin_trap();
    arena_reset(a);
    return 0;
}

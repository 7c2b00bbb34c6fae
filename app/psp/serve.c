/*
 * serve — stampede-psp's HTTP side: libmicrohttpd (one thread per connection) feeding
 * app/http's parser and router, so the sandbox's routes declare and validate their
 * parameters like the shop's.
 *
 * A request borrows a worker (database connection, arena, buffers) from a fixed pool for as
 * long as it runs; when all are busy it waits. A handler may ask the glue to misbehave after
 * its work (faults): hold the answer for a while, or close the connection without one.
 */
#include "psp.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/sec.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define BODY_MAX   (1 << 20)
#define MAX_HEADER 64

enum { PSP_AUTH = HTTP_ROUTE_APP(0) };

#define END                     \
    {                           \
        NULL, 0, 0, 0, 0, false \
    }

/* the merchant's key of a confirm or cancel (api.c): optional, as at Toss Payments */
#define IDEMPOTENCY_KEY                                                        \
    {                                                                          \
        "Idempotency-Key", HTTP_SRC_HEADER, HTTP_K_TOKEN, 1, 300, false, NULL, \
            "INVALID_IDEMPOTENCY_KEY"                                          \
    }
static const struct http_param p_confirm[] = {
    IDEMPOTENCY_KEY,
    {"paymentKey", HTTP_SRC_BODY, HTTP_K_TOKEN, 1, 64, true},
    {"orderId", HTTP_SRC_BODY, HTTP_K_TOKEN, 1, 64, true},
    {"amount", HTTP_SRC_BODY, HTTP_K_INT, 1, 1000000000000LL, true},
    END,
};
static const struct http_param p_cancel[] = {
    IDEMPOTENCY_KEY,
    {"paymentKey", HTTP_SRC_PATH, HTTP_K_TOKEN, 1, 64, true},
    {"cancelReason", HTTP_SRC_BODY, HTTP_K_TEXT, 1, 200, true},
    {"cancelAmount", HTTP_SRC_BODY, HTTP_K_INT, 1, 1000000000000LL, false},
    END,
};
static const struct http_param p_payment[] = {
    {"paymentKey", HTTP_SRC_PATH, HTTP_K_TOKEN, 1, 64, true},
    END,
};
static const struct http_param p_payments[] = {
    {"orderId", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 64, false},
    {"capturedAfter", HTTP_SRC_QUERY, HTTP_K_INT, 0, INT64_MAX, false},
    {"limit", HTTP_SRC_QUERY, HTTP_K_INT, 1, 1000, false},
    {"updatedWithin", HTTP_SRC_QUERY, HTTP_K_INT, 0, INT64_MAX, false},
    END,
};
static const struct http_param p_fault[] = {
    {"op", HTTP_SRC_BODY, HTTP_K_TOKEN, 1, 15, true},
    {"kind", HTTP_SRC_BODY, HTTP_K_TOKEN, 1, 23, true},
    {"count", HTTP_SRC_BODY, HTTP_K_INT, 1, 1000000, false},
    {"orderId", HTTP_SRC_BODY, HTTP_K_TOKEN, 1, 64, false},
    {"delayMs", HTTP_SRC_BODY, HTTP_K_INT, 0, 600000, false},
    END,
};
#define CHECKOUT_FIELDS(src)                                                                      \
    {"clientKey", src, HTTP_K_TOKEN, 16, 255, true}, {"orderId", src, HTTP_K_TOKEN, 1, 64, true}, \
        {"orderName", src, HTTP_K_TEXT, 0, 200, false},                                           \
        {"amount", src, HTTP_K_INT, 1, 1000000000000LL, true},                                    \
        {"successUrl", src, HTTP_K_TEXT, 8, 500, true},                                           \
        {"failUrl", src, HTTP_K_TEXT, 8, 500, true},                                              \
    {                                                                                             \
        "customerEmail", src, HTTP_K_TEXT, 0, 254, false                                          \
    }
static const struct http_param p_checkout[] = {
    CHECKOUT_FIELDS(HTTP_SRC_QUERY),
    END,
};
static const struct http_param p_checkout_post[] = {
    CHECKOUT_FIELDS(HTTP_SRC_BODY),
    {"cardNumber", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 40, false},
    {"expiry", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 10, false},
    {"cvc", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 8, false},
    {"action", HTTP_SRC_BODY, HTTP_K_TOKEN, 1, 10, true},
    END,
};

const struct http_route psp_routes[] = {
    {HTTP_GET, "/checkout", psp_page_checkout, "psp_checkout", p_checkout, 0},
    {HTTP_POST, "/checkout", psp_page_checkout_post, "psp_checkout_post", p_checkout_post, 0},
    {HTTP_GET, "/sandbox.css", psp_page_css, "psp_css", NULL, HTTP_ROUTE_NO_LOG},
    {HTTP_GET, "/healthz", psp_api_healthz, "psp_healthz", NULL, HTTP_ROUTE_NO_LOG},
    {HTTP_POST, "/v1/payments/confirm", psp_api_confirm, "psp_confirm", p_confirm, PSP_AUTH},
    {HTTP_POST, "/v1/payments/{paymentKey}/cancel", psp_api_cancel, "psp_cancel", p_cancel,
     PSP_AUTH},
    {HTTP_GET, "/v1/payments/{paymentKey}", psp_api_payment, "psp_payment", p_payment, PSP_AUTH},
    {HTTP_GET, "/v1/payments", psp_api_payments, "psp_payments", p_payments, PSP_AUTH},
    {HTTP_POST, "/v1/sandbox/faults", psp_api_faults_add, "psp_faults_add", p_fault, PSP_AUTH},
    {HTTP_GET, "/v1/sandbox/faults", psp_api_faults_list, "psp_faults", NULL, PSP_AUTH},
    {HTTP_DELETE, "/v1/sandbox/faults", psp_api_faults_clear, "psp_faults_clear", NULL, PSP_AUTH},
};
const size_t psp_routes_len = sizeof psp_routes / sizeof psp_routes[0];

/* before: the server API needs "Authorization: Basic base64(secret_key + ':')" */
static bool before(struct http_ex *x)
{
    if (!(x->route->flags & PSP_AUTH))
        return true;
    const char *key = x->app->psp->cfg.secret_key;
    size_t kl = strlen(key);
    char *plain = arena_alloc(x->arena, kl + 1);
    memcpy(plain, key, kl);
    plain[kl] = ':';
    size_t cap = sodium_base64_ENCODED_LEN(kl + 1, sodium_base64_VARIANT_ORIGINAL);
    char *enc = arena_alloc(x->arena, cap + 6);
    memcpy(enc, "Basic ", 6);
    sodium_bin2base64(enc + 6, cap, (const unsigned char *)plain, kl + 1,
                      sodium_base64_VARIANT_ORIGINAL);
    if (!sec_equal(str_trim(http_header(x, "Authorization")), str_from_cstr(enc))) {
        http_resp_header(x, "WWW-Authenticate", STR("Basic realm=\"stampede-psp sandbox\""));
        psp_error(x, 401, "UNAUTHORIZED_KEY", "Authenticate with the secret key (HTTP Basic).");
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- workers */

struct psp_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct http_app **all;
    struct http_app **idle;
    size_t n, nidle;
};

struct http_app *psp_worker_new(struct psp *p)
{
    struct http_app *w = mem_calloc(1, sizeof *w);
    w->psp = p;
    struct db_opts o = {
        .host = p->cfg.db_host,
        .port = (int)p->cfg.db_port,
        .user = p->cfg.db_user,
        .password = p->cfg.db_password,
        .name = p->cfg.db_name,
        .connect_timeout_ms = p->cfg.db_connect_timeout_ms,
        .read_timeout_ms = p->cfg.db_read_timeout_ms,
        .lock_wait_s = (p->cfg.db_lock_wait_ms + 999) / 1000,
    };
    w->db = db_new(&o);
    w->arena = arena_new(64 * 1024, 64 << 20);
    buf_init(&w->head, 16 * 1024);
    buf_init(&w->body, 8 << 20);
    return w;
}

void psp_worker_free(struct http_app *w)
{
    if (!w)
        return;
    db_free(w->db);
    arena_destroy(w->arena);
    buf_free(&w->head);
    buf_free(&w->body);
    mem_free(w);
}

static struct psp_pool *pool_new(struct psp *p, size_t n)
{
    struct psp_pool *pool = mem_calloc(1, sizeof *pool);
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->cv, NULL);
    pool->all = mem_calloc(n, sizeof *pool->all);
    pool->idle = mem_calloc(n, sizeof *pool->idle);
    for (size_t i = 0; i < n; i++)
        pool->all[i] = pool->idle[i] = psp_worker_new(p);
    pool->n = pool->nidle = n;
    return pool;
}

static void pool_free(struct psp_pool *pool)
{
    if (!pool)
        return;
    for (size_t i = 0; i < pool->n; i++)
        psp_worker_free(pool->all[i]);
    mem_free(pool->all);
    mem_free(pool->idle);
    pthread_cond_destroy(&pool->cv);
    pthread_mutex_destroy(&pool->mu);
    mem_free(pool);
}

static struct http_app *pool_take(struct psp_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    while (pool->nidle == 0)
        pthread_cond_wait(&pool->cv, &pool->mu);
    struct http_app *w = pool->idle[--pool->nidle];
    pthread_mutex_unlock(&pool->mu);
    return w;
}

static void pool_give(struct psp_pool *pool, struct http_app *w)
{
    pthread_mutex_lock(&pool->mu);
    pool->idle[pool->nidle++] = w;
    pthread_cond_signal(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
}

/* ---------------------------------------------------------------- libmicrohttpd glue */

struct conn {
    char *uri; /* as sent, with the query string */
    struct buf body;
    bool started;
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    struct conn *k = mem_calloc(1, sizeof *k);
    k->uri = mem_strdup(uri ? uri : "/");
    buf_init(&k->body, BODY_MAX);
    return k;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct conn *k = *con_cls;
    if (!k)
        return;
    buf_free(&k->body);
    mem_free(k->uri);
    mem_free(k);
    *con_cls = NULL;
}

struct env {
    struct arena *a;
    char **v;
    size_t n, cap;
};

static void env_add(struct env *e, const char *name, const char *value)
{
    if (e->n + 1 < e->cap)
        e->v[e->n++] = arena_sprintf(e->a, "%s=%s", name, value ? value : "");
}

static enum MHD_Result env_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    struct env *e = cls;
    if (strcasecmp(key, "Content-Type") == 0) {
        env_add(e, "CONTENT_TYPE", value);
        return MHD_YES;
    }
    if (strcasecmp(key, "Content-Length") == 0) {
        env_add(e, "CONTENT_LENGTH", value);
        return MHD_YES;
    }
    char name[128] = "HTTP_";
    size_t o = 5;
    for (const char *s = key; *s && o + 1 < sizeof name; s++)
        name[o++] = *s == '-' ? '_' : (*s >= 'a' && *s <= 'z') ? (char)(*s - 32) : *s;
    name[o] = '\0';
    env_add(e, name, value);
    return MHD_YES;
}

/* to_mhd: the serialized CGI head of x as an MHD response with x's body */
static struct MHD_Response *to_mhd(struct http_ex *x, struct buf *scratch)
{
    buf_reset(scratch);
    http_resp_serialize(x, scratch);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        x->req.method == HTTP_HEAD ? 0 : x->resp.body->len, x->resp.body->p ? x->resp.body->p : "",
        MHD_RESPMEM_MUST_COPY);
    if (!r)
        return NULL;
    const char *p = buf_cstr(scratch);
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        if (!eol || eol == p)
            break;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon) {
            char *name = arena_strndup(x->arena, p, (size_t)(colon - p));
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            char *value = arena_strndup(x->arena, v, (size_t)(eol - v));
            if (strcasecmp(name, "Status") != 0 && strcasecmp(name, "Content-Length") != 0)
                MHD_add_response_header(r, name, value);
        }
        p = eol + 2;
    }
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    struct psp *p = cls;
    struct conn *k = *con_cls;
    if (!k->started) {
        k->started = true;
        return MHD_YES;
    }
    if (*upload_size) {
        buf_append(&k->body, upload, *upload_size); /* past BODY_MAX: overflow, 413 below */
        *upload_size = 0;
        return MHD_YES;
    }
    struct http_app *w = pool_take(p->pool);
    int64_t start = clock_mono_ns();
    struct env e = {w->arena, arena_calloc(w->arena, MAX_HEADER + 8, sizeof(char *)), 0,
                    MAX_HEADER + 8};
    env_add(&e, "REQUEST_METHOD", method);
    env_add(&e, "REQUEST_URI", k->uri);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char ip[64] = "";
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, ip, sizeof ip);
    env_add(&e, "REMOTE_ADDR", ip);
    MHD_get_connection_values(c, MHD_HEADER_KIND, env_header, &e);
    e.v[e.n] = NULL;

    struct http_ex x;
    memset(&x, 0, sizeof x);
    x.app = w;
    x.start_ns = start;
    w->drop_connection = false;
    w->hold_answer_ms = 0;
    struct http_limits lim = {BODY_MAX, 256, 32};
    http_serve_one(&p->svc, &x, e.v, buf_str(&k->body), k->body.overflow, &lim, w->arena, &w->head,
                   &w->body);
    struct buf scratch;
    buf_init(&scratch, 64 * 1024);
    struct MHD_Response *resp = w->drop_connection ? NULL : to_mhd(&x, &scratch);
    buf_free(&scratch);
    int status = x.resp.status;
    int64_t hold = w->hold_answer_ms;
    if (w->drop_connection)
        log_warn("fault: %.*s %.*s answered by closing the connection", STR_FMT(x.req.method_name),
                 STR_FMT(x.req.path));
    if (!x.route || !(x.route->flags & HTTP_ROUTE_NO_LOG) || status >= 400)
        http_log_request(&x, clock_mono_ns() - start);
    arena_reset(w->arena);
    pool_give(p->pool, w);
    if (!resp)
        return MHD_NO;
    if (hold > 0) {
        log_warn("fault: holding an answer for %lldms", (long long)hold);
        clock_sleep_ms(hold);
    }
    enum MHD_Result r = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* ---------------------------------------------------------------- loading and running */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b;
    buf_init(&b, 1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    if (b.overflow) {
        buf_free(&b);
        return NULL;
    }
    *len = b.len;
    char *s = mem_strndup(b.p ? b.p : "", b.len);
    buf_free(&b);
    return s;
}

int psp_load(struct psp *p, const char *config_path, struct buf *err)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    if (psp_cfg_load(&p->cfg, config_path, err))
        return ERR_CONFIG;
    if (log_level_parse(p->cfg.log_level) < 0) {
        buf_printf(err, "config: log.level must be debug, info, warn or error");
        return ERR_CONFIG;
    }
    p->tpl =
        tpl_set_load(p->cfg.templates_dir, psp_view_bindings, psp_view_bindings_len, NULL, err);
    if (!p->tpl)
        return ERR_CONFIG;
    p->t_checkout = tpl_get(p->tpl, "psp/checkout.html");
    p->t_message = tpl_get(p->tpl, "psp/message.html");
    char path[600];
    snprintf(path, sizeof path, "%s/psp/sandbox.css", p->cfg.templates_dir);
    size_t len = 0;
    char *css = read_file(path, &len);
    if (!css) {
        buf_printf(err, "cannot read %s", path);
        return ERR_CONFIG;
    }
    p->css = (struct str){css, len};
    p->router = router_new(psp_routes, psp_routes_len, err);
    if (!p->router)
        return ERR_CONFIG;
    p->extra_headers = mem_strdup("X-Content-Type-Options: nosniff\r\n"
                                  "X-Frame-Options: DENY\r\n"
                                  "Referrer-Policy: no-referrer\r\n"
                                  "X-Stampede-Sandbox: payment gateway sandbox, not real\r\n");
    p->hooks.error_page = psp_error_page;
    p->hooks.before = before;
    p->hooks.extra_headers = p->extra_headers;
    p->svc.router = p->router;
    p->svc.hooks = &p->hooks;
    p->svc.ctx = p;
    return 0;
}

void psp_unload(struct psp *p)
{
    router_free(p->router);
    tpl_set_free(p->tpl);
    mem_free((char *)p->css.p);
    mem_free(p->extra_headers);
    psp_cfg_free(&p->cfg);
    pthread_mutex_destroy(&p->mu);
}

int psp_run(struct psp *p, volatile int *stop, struct buf *err)
{
    p->stop = stop;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)p->cfg.listen_port);
    if (inet_pton(AF_INET, p->cfg.listen_host, &sa.sin_addr) != 1) {
        buf_printf(err, "listen.host %s is not an IPv4 address", p->cfg.listen_host);
        return 1;
    }
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
        buf_printf(err, "curl_global_init failed");
        return 1;
    }
    db_library_init();
    p->pool = pool_new(p, (size_t)p->cfg.workers);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
        (uint16_t)p->cfg.listen_port, NULL, NULL, on_request, p, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, (unsigned)p->cfg.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, p, MHD_OPTION_NOTIFY_COMPLETED, on_completed, p,
        MHD_OPTION_END);
    if (!d) {
        buf_printf(err, "cannot listen on %s:%lld", p->cfg.listen_host,
                   (long long)p->cfg.listen_port);
        pool_free(p->pool);
        p->pool = NULL;
        curl_global_cleanup();
        return 1;
    }
    if (psp_webhook_start(p)) {
        buf_printf(err, "cannot start the webhook thread");
        MHD_stop_daemon(d);
        pool_free(p->pool);
        p->pool = NULL;
        curl_global_cleanup();
        return 1;
    }
    log_info("SANDBOX payment gateway listening on %s:%lld (webhooks to %s)", p->cfg.listen_host,
             (long long)p->cfg.listen_port, p->cfg.webhook_url[0] ? p->cfg.webhook_url : "nowhere");
    while (!*stop)
        clock_sleep_ms(100);
    log_info("stopping");
    MHD_stop_daemon(d);
    psp_webhook_stop(p);
    pool_free(p->pool);
    p->pool = NULL;
    curl_global_cleanup();
    return 0;
}

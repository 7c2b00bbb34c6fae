/* fake — the shop in-process with fake requests; see fake.h. */
#include "fake.h"

#include "core/mem.h"
#include "core/sec.h"
#include "site/site.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* the fake configuration's security.secret (CSRF tokens are made with it) */
#define FAKE_SECRET "fake-secret-0123456789abcdef0123456789abcdef"

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

struct fake_site *fake_site_new(const char *extra)
{
    struct fake_site *s = calloc(1, sizeof *s);
    const char *src = env_or("STAMPEDE_SRC", ".");
    const char *build = env_or("STAMPEDE_BUILD", "build/dev");
    snprintf(s->config, sizeof s->config, "/tmp/stampede-fake-%d.conf", (int)getpid());
    FILE *f = fopen(s->config, "w");
    if (!f)
        abort();
    fprintf(f,
            "node.name = fake\n"
            "db.host = 127.0.0.1\n"
            "db.port = 1\n" /* nothing listens there: the database is down */
            "db.password = not-used\n"
            "db.connect_timeout = 100ms\n"
            "cache.enabled = off\n"
            "cache.near = off\n"
            "templates.dir = %s/templates\n"
            "static.manifest = %s/static-dist/manifest.txt\n"
            "security.secret = " FAKE_SECRET "\n"
            "gateway.secret_key = test_sk_fake\n"
            "gateway.webhook_secret = whsec_fake\n"
            "gateway.api_url = http://127.0.0.1:1\n"
            "gateway.connect_timeout = 100ms\n"
            "auth.pwhash_opslimit = 1\n"
            "auth.pwhash_memlimit = 8m\n"
            "%s\n",
            src, build, extra ? extra : "");
    fclose(f);
    struct buf err;
    buf_init(&err, 4096);
    http_init_json();
    s->svc = site_load(s->config, &err);
    if (!s->svc) {
        fprintf(stderr, "fake: the site does not load: %s\n", buf_cstr(&err));
        abort();
    }
    buf_free(&err);
    s->app = s->svc->thread_start(s->svc->ctx, 0);
    s->hooks = *s->svc->hooks;
    s->as = *s->svc;
    s->as.hooks = &s->hooks;
    s->arena = arena_new(64 * 1024, 64 << 20);
    buf_init(&s->head, 64 * 1024);
    buf_init(&s->body, 8 << 20);
    buf_init(&s->out, 64 * 1024);
    return s;
}

void fake_site_free(struct fake_site *s)
{
    s->svc->thread_stop(s->app);
    site_unload(s->svc);
    arena_destroy(s->arena);
    buf_free(&s->head);
    buf_free(&s->body);
    buf_free(&s->out);
    unlink(s->config);
    free(s);
}

/* env_name: "X-Requested-With" -> "HTTP_X_REQUESTED_WITH" */
static char *env_name(struct arena *a, const char *name, size_t n)
{
    char *e = arena_alloc(a, n + 6);
    memcpy(e, "HTTP_", 5);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        e[5 + i] = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    e[5 + n] = '\0';
    return e;
}

/* The site whose request is being served (one at a time: test code is single-threaded). */
static struct fake_site *serving;

/* signed_before: the before hook of a signed-in fake site: the session as front_before's
 * lookup would find it, then the site's own checks (CSRF, roles) as usual */
static bool signed_before(struct http_ex *x)
{
    struct front_req *r = front_req(x);
    r->session_loaded = true;
    r->signed_in = true;
    r->session_token = str_from_cstr(serving->session_token);
    r->session = (struct session){
        serving->account,
        str_from_cstr(arena_sprintf(x->arena, "fake%lld@example.com", (long long)serving->account)),
        STR("Fake"), str_from_cstr(serving->role)};
    return serving->svc->hooks->before(x);
}

void fake_sign_in(struct fake_site *s, int64_t account, const char *role)
{
    s->account = account;
    snprintf(s->role, sizeof s->role, "%s", role ? role : "");
    /* 43 characters like a real session id (32 random bytes, base64url), one per account */
    snprintf(s->session_token, sizeof s->session_token, "fakesession%032lld", (long long)account);
    s->hooks.before = account ? signed_before : s->svc->hooks->before;
}

void fake_csrf(const struct fake_site *s, char *out, size_t n)
{
    if (!s->account) {
        snprintf(out, n, "%s", "");
        return;
    }
    /* auth.c: base64url(HMAC-SHA256(security.secret, "csrf|" + session id)) */
    char msg[64];
    int len = snprintf(msg, sizeof msg, "csrf|%s", s->session_token);
    uint8_t mac[SEC_SHA256_LEN];
    sec_hmac_sha256(mac, STR(FAKE_SECRET), msg, (size_t)len);
    struct arena *a = arena_new(1024, 1 << 16);
    struct str t = sec_b64url(a, mac, sizeof mac);
    snprintf(out, n, "%.*s", (int)t.len, t.p);
    arena_destroy(a);
}

struct fake_resp fake_request(struct fake_site *s, const char *method, const char *uri,
                              const char *const *headers, const char *ctype, const char *body)
{
    arena_reset(s->arena);
    struct arena *a = s->arena;
    char **env = arena_calloc(a, 64, sizeof *env);
    int n = 0;
    env[n++] = arena_sprintf(a, "REQUEST_METHOD=%s", method);
    env[n++] = arena_sprintf(a, "REQUEST_URI=%s", uri);
    env[n++] = "REMOTE_ADDR=192.0.2.10";
    if (ctype)
        env[n++] = arena_sprintf(a, "CONTENT_TYPE=%s", ctype);
    for (int i = 0; headers && headers[i] && n < 62; i++) {
        const char *colon = strchr(headers[i], ':');
        if (!colon)
            continue;
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        env[n++] =
            arena_sprintf(a, "%s=%s", env_name(a, headers[i], (size_t)(colon - headers[i])), v);
    }
    env[n] = NULL;
    struct http_ex x = {.app = s->app};
    struct http_limits lim = {1 << 20, 64, 64};
    serving = s;
    http_serve_one(&s->as, &x, env, str_from_cstr(body ? body : ""), false, &lim, a, &s->head,
                   &s->body);
    buf_reset(&s->out);
    http_resp_serialize(&x, &s->out);
    if (s->svc->hooks->after) /* as the server loop does once the response is sent */
        s->svc->hooks->after(&x, 1000);
    struct fake_resp r = {
        .status = x.resp.status,
        .head = buf_cstr(&s->out),
        .body = buf_cstr(&s->body),
        .body_len = s->body.len,
        .code = x.error_code,
    };
    return r;
}

bool fake_header(const struct fake_resp *r, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    for (const char *p = r->head; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        if (!eol)
            break;
        if ((size_t)(eol - p) > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(out, n, "%.*s", (int)(eol - v), v);
            return true;
        }
        p = eol + 2;
    }
    return false;
}

bool fake_json_code(const struct fake_resp *r, char *out, size_t n)
{
    cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
    const cJSON *e = j ? cJSON_GetObjectItem(j, "error") : NULL;
    const cJSON *c = e ? cJSON_GetObjectItem(e, "code") : NULL;
    bool ok = cJSON_IsString(c);
    if (ok)
        snprintf(out, n, "%s", c->valuestring);
    cJSON_Delete(j);
    return ok;
}

struct fake_site *fake;

int fake_group_setup(void **state)
{
    (void)state;
    fake = fake_site_new(NULL);
    return 0;
}

int fake_group_teardown(void **state)
{
    (void)state;
    fake_site_free(fake);
    fake = NULL;
    return 0;
}

void fake_assert_error(const struct fake_resp *r, int status, const char *code)
{
    char c[64] = "";
    if (r->status != status || !fake_json_code(r, c, sizeof c) || strcmp(c, code) != 0)
        fail_msg("wanted %d %s, got %d %s: %.300s", status, code, r->status, c, r->body);
}

void fake_assert_json_error(const struct fake_resp *r, int status, const char *code)
{
    fake_assert_error(r, status, code);
    char ct[64] = "";
    if (!fake_header(r, "Content-Type", ct, sizeof ct) || !strstr(ct, "application/json"))
        fail_msg("%d %s: Content-Type %s, not JSON", status, code, ct);
    cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
    const cJSON *e = cJSON_GetObjectItem(j, "error");
    const cJSON *m = cJSON_GetObjectItem(e, "message");
    bool ok = cJSON_GetArraySize(j) == 1 && cJSON_GetArraySize(e) == 2 && cJSON_IsString(m) &&
              m->valuestring[0] != '\0';
    cJSON_Delete(j);
    if (!ok)
        fail_msg("%d %s: not the error shape: %.300s", status, code, r->body);
}

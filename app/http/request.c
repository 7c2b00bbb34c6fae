/* request — parsing one request from FastCGI parameters; see http.h. */
#include "http.h"

#include "core/err.h"
#include "core/mem.h"

#include <cjson/cJSON.h>
#include <string.h>

struct str http_env(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return str_from_cstr(*e + n + 1);
    return STR_NULL;
}

struct str http_header(const struct http_ex *x, const char *name)
{
    char env[128] = "HTTP_";
    size_t o = 5;
    for (const char *p = name; *p && o + 1 < sizeof env; p++) {
        char c = *p;
        env[o++] = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    env[o] = '\0';
    return http_env(x->req.envp, env);
}

struct str http_cookie(const struct http_ex *x, const char *name)
{
    return http_kvs_get(&x->req.cookies, str_from_cstr(name));
}

bool http_wants_json(const struct http_ex *x)
{
    if (x->req.is_api)
        return true;
    struct str accept = http_header(x, "Accept");
    return accept.len >= 16 && memcmp(accept.p, "application/json", 16) == 0;
}

enum http_method http_method_parse(struct str m)
{
    static const struct {
        const char *name;
        enum http_method m;
    } tab[] = {{"GET", HTTP_GET},        {"HEAD", HTTP_HEAD},     {"POST", HTTP_POST},
               {"PUT", HTTP_PUT},        {"DELETE", HTTP_DELETE}, {"PATCH", HTTP_PATCH},
               {"OPTIONS", HTTP_OPTIONS}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (str_eq_cstr(m, tab[i].name))
            return tab[i].m;
    return HTTP_OTHER;
}

static void json_cleanup(void *p)
{
    cJSON_Delete(p);
}

/* client_ip: the last X-Forwarded-For hop (added by our HAProxy) when present. */
static struct str client_ip(char *const *envp)
{
    struct str xff = http_env(envp, "HTTP_X_FORWARDED_FOR");
    if (xff.len) {
        const char *comma = NULL;
        for (size_t i = 0; i < xff.len; i++)
            if (xff.p[i] == ',')
                comma = xff.p + i;
        if (comma)
            xff = (struct str){comma + 1, xff.len - (size_t)(comma + 1 - xff.p)};
        xff = str_trim(xff);
        if (xff.len && xff.len <= 45)
            return xff;
    }
    return http_env(envp, "REMOTE_ADDR");
}

static int fail(struct http_ex *x, int status, const char *code, const char *msg)
{
    http_resp_error(x, status, code, msg);
    return status;
}

int http_ex_begin(struct http_ex *x, char *const *envp, struct str body,
                  const struct http_limits *lim, struct arena *a, struct buf *head, struct buf *out,
                  const struct http_hooks *hooks)
{
    struct http_app *app = x->app;
    int64_t start = x->start_ns;
    memset(x, 0, sizeof *x); /* also clears local */
    x->app = app;
    x->start_ns = start;
    x->arena = a;
    x->hooks = hooks;
    x->resp.status = 200;
    x->resp.content_type = "text/html; charset=utf-8";
    x->resp.head = head;
    x->resp.body = out;
    x->resp.cache_max_age = -1;
    buf_reset(head);
    buf_reset(out);

    struct http_req *r = &x->req;
    r->envp = envp;
    r->method_name = http_env(envp, "REQUEST_METHOD");
    r->method = http_method_parse(r->method_name);
    r->uri = http_env(envp, "REQUEST_URI");
    r->https = http_env(envp, "HTTPS").len > 0 ||
               str_eq_cstr(http_env(envp, "HTTP_X_FORWARDED_PROTO"), "https");
    r->client_ip = client_ip(envp);
    r->request_id = http_env(envp, "HTTP_X_REQUEST_ID");
    r->content_type = http_env(envp, "CONTENT_TYPE");
    r->body = body;

    struct str raw_path = r->uri;
    const char *q = memchr(r->uri.p ? r->uri.p : "", '?', r->uri.len);
    if (q) {
        raw_path.len = (size_t)(q - r->uri.p);
        r->query_string = (struct str){q + 1, r->uri.len - raw_path.len - 1};
    }
    /* is_api first, so that errors below are already answered in the right format */
    r->is_api = str_starts_with(raw_path, STR("/api/")) || str_eq_cstr(raw_path, "/api");
    r->path = raw_path;

    const char *why = NULL;
    if (raw_path.len == 0 || raw_path.p[0] != '/')
        return fail(x, 400, "bad_request", "The request path is malformed.");
    if (http_decode_path(a, raw_path, &r->path, &why))
        return fail(x, 400, "bad_request", why);
    int rc = http_parse_urlencoded(a, r->query_string, lim->max_params, &r->query, &why);
    if (rc)
        return fail(x, 400, "bad_request", why);
    http_parse_cookies(a, http_env(envp, "HTTP_COOKIE"), lim->max_cookies, &r->cookies);

    if (body.len > lim->body_max)
        return fail(x, 413, "payload_too_large", "The request body is too large.");
    if (body.len) {
        struct str ct = r->content_type;
        const char *semi = memchr(ct.p ? ct.p : "", ';', ct.len);
        if (semi)
            ct.len = (size_t)(semi - ct.p);
        ct = str_trim(ct);
        if (str_case_eq_cstr(ct, "application/x-www-form-urlencoded")) {
            rc = http_parse_urlencoded(a, body, lim->max_params, &r->form, &why);
            if (rc)
                return fail(x, 400, "bad_request", why);
        } else if (str_case_eq_cstr(ct, "application/json")) {
            if (!str_utf8_valid(body))
                return fail(x, 400, "bad_json", "The JSON body is not valid UTF-8.");
            r->json = cJSON_ParseWithLength(body.p, body.len);
            if (!r->json)
                return fail(x, 400, "bad_json", "The JSON body is malformed.");
            arena_on_reset(a, json_cleanup, r->json);
            if (!cJSON_IsObject(r->json))
                return fail(x, 400, "bad_json", "The JSON body must be an object.");
        } else {
            return fail(x, 415, "unsupported_media_type",
                        "Send application/json or application/x-www-form-urlencoded.");
        }
    }
    return 0;
}

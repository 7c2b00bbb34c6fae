/* request — parsing one request from FastCGI parameters; see http.h. */
#include "http.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
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

/*
 * json_lexical_problem: what cJSON would let through but a strict reader must refuse: a NUL
 * written as \u0000 inside a string (cJSON ends the string there, so "a@x.com\u0000@evil.com"
 * would be read as "a@x.com") and raw control characters inside strings (RFC 8259 requires them
 * escaped). NULL when there are none.
 */
static const char *json_lexical_problem(struct str b)
{
    bool in = false;
    for (size_t i = 0; i < b.len; i++) {
        unsigned char c = (unsigned char)b.p[i];
        if (!in) {
            in = c == '"';
            continue;
        }
        if (c == '"') {
            in = false;
        } else if (c < 0x20) {
            return "The JSON body has a control character inside a string.";
        } else if (c == '\\' && i + 1 < b.len) {
            if (b.p[i + 1] == 'u' && i + 5 < b.len && memcmp(b.p + i + 2, "0000", 4) == 0)
                return "The JSON body has a NUL character (\\u0000) inside a string.";
            i++; /* the escaped character cannot end the string */
        }
    }
    return NULL;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* json_duplicates: an object anywhere in j with a member name twice (readers disagree on
 * which one counts, so neither does) */
static bool json_duplicates(struct arena *a, const cJSON *j)
{
    if (cJSON_IsObject(j)) {
        size_t n = 0;
        for (const cJSON *c = j->child; c; c = c->next)
            n++;
        if (n > 1) {
            const char **names = arena_calloc(a, n, sizeof *names);
            size_t k = 0;
            for (const cJSON *c = j->child; c; c = c->next)
                names[k++] = c->string ? c->string : "";
            qsort(names, n, sizeof *names, name_cmp);
            for (size_t i = 1; i < n; i++)
                if (strcmp(names[i - 1], names[i]) == 0)
                    return true;
        }
    }
    for (const cJSON *c = j->child; c; c = c->next)
        if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && json_duplicates(a, c))
            return true;
    return false;
}

/* parse_json: the body as one JSON object and nothing else, strictly; NULL with *why set */
static cJSON *parse_json(struct arena *a, struct str body, const char **why)
{
    if (!str_utf8_valid(body))
        return (*why = "The JSON body is not valid UTF-8."), NULL;
    if ((*why = json_lexical_problem(body)))
        return NULL;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(body.p, body.len, &end, false);
    if (!j)
        return (*why = "The JSON body is malformed."), NULL;
    arena_on_reset(a, json_cleanup, j);
    for (const char *p = end; p && p < body.p + body.len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return (*why = "The JSON body has more after its end (one value only)."), NULL;
    if (!cJSON_IsObject(j))
        return (*why = "The JSON body must be an object."), NULL;
    if (json_duplicates(a, j))
        return (*why = "The JSON body names a member twice."), NULL;
    return j;
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
            r->json = parse_json(a, body, &why);
            if (!r->json)
                return fail(x, 400, "bad_json", why);
        } else if (!(str_case_eq_cstr(ct, "image/png") || str_case_eq_cstr(ct, "image/jpeg") ||
                     str_case_eq_cstr(ct, "image/webp"))) {
            /* a picture's raw bytes reach the one route that takes them (r->body); every
             * other route finds no parameters in it */
            return fail(x, 415, "unsupported_media_type",
                        "Send application/json or application/x-www-form-urlencoded.");
        }
    }
    return 0;
}

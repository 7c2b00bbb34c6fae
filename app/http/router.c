/* router — route table, matching and parameter validation; see router.h. */
#include "router.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGMENTS 16

struct seg {
    struct str lit; /* literal text, or the parameter name when param */
    bool param;
};

struct compiled {
    const struct http_route *route;
    struct seg segs[MAX_SEGMENTS];
    size_t nsegs;
    size_t nparams;
};

struct router {
    struct compiled *routes;
    size_t n;
};

/* split: "/a/b" -> ["a","b"]; "/" -> []; returns count or -1 if more than max. */
static int split(struct str path, struct str *out, size_t max)
{
    size_t n = 0, i = 1;
    if (path.len <= 1)
        return 0;
    while (i <= path.len) {
        size_t j = i;
        while (j < path.len && path.p[j] != '/')
            j++;
        if (n == max)
            return -1;
        out[n++] = (struct str){path.p + i, j - i};
        i = j + 1;
    }
    return (int)n;
}

static size_t count_params(const struct http_param *p)
{
    size_t n = 0;
    while (p && p[n].name)
        n++;
    return n;
}

struct router *router_new(const struct http_route *routes, size_t n, struct buf *err)
{
    struct router *r = mem_calloc(1, sizeof *r);
    r->routes = mem_calloc(n ? n : 1, sizeof *r->routes);
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        const struct http_route *rt = &routes[i];
        struct compiled *c = &r->routes[i];
        c->route = rt;
        c->nparams = count_params(rt->params);
        struct str parts[MAX_SEGMENTS];
        int ns = split(str_from_cstr(rt->pattern), parts, MAX_SEGMENTS);
        if (rt->pattern[0] != '/' || ns < 0 || !rt->handler || !rt->name) {
            buf_printf(err, "route %s: bad pattern or missing handler/name", rt->pattern);
            goto fail;
        }
        c->nsegs = (size_t)ns;
        for (size_t s = 0; s < c->nsegs; s++) {
            struct str p = parts[s];
            if (p.len >= 2 && p.p[0] == '{' && p.p[p.len - 1] == '}') {
                c->segs[s].param = true;
                c->segs[s].lit = (struct str){p.p + 1, p.len - 2};
                bool declared = false;
                for (size_t k = 0; k < c->nparams; k++)
                    declared |= rt->params[k].src == HTTP_SRC_PATH &&
                                str_eq_cstr(c->segs[s].lit, rt->params[k].name);
                if (!declared) {
                    buf_printf(err, "route %s: path parameter {%.*s} is not declared", rt->pattern,
                               STR_FMT(c->segs[s].lit));
                    goto fail;
                }
            } else {
                c->segs[s].lit = p;
            }
        }
        for (size_t k = 0; k < c->nparams; k++) {
            if (rt->params[k].src != HTTP_SRC_PATH)
                continue;
            bool used = false;
            for (size_t s = 0; s < c->nsegs; s++)
                used |= c->segs[s].param && str_eq_cstr(c->segs[s].lit, rt->params[k].name);
            if (!used) {
                buf_printf(err, "route %s: path parameter %s is not in the pattern", rt->pattern,
                           rt->params[k].name);
                goto fail;
            }
        }
        for (size_t j = 0; j < i; j++) {
            if ((routes[j].methods & rt->methods) && strcmp(routes[j].pattern, rt->pattern) == 0) {
                buf_printf(err, "route %s: declared twice for the same method", rt->pattern);
                goto fail;
            }
        }
    }
    return r;
fail:
    router_free(r);
    return NULL;
}

void router_free(struct router *r)
{
    if (!r)
        return;
    mem_free(r->routes);
    mem_free(r);
}

size_t router_count(const struct router *r)
{
    return r->n;
}

const struct http_route *router_route(const struct router *r, size_t i)
{
    return r->routes[i].route;
}

static bool match(const struct compiled *c, const struct str *segs, size_t n)
{
    if (n != c->nsegs)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (c->segs[i].param) {
            if (segs[i].len == 0)
                return false;
        } else if (!str_eq(c->segs[i].lit, segs[i])) {
            return false;
        }
    }
    return true;
}

static bool in_set(unsigned char c, const char *extra)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (extra && strchr(extra, c) && c);
}

const char *http_validate(const struct http_param *p, struct str v)
{
    int64_t n;
    size_t minlen, maxlen;
    switch (p->kind) {
    case HTTP_K_SLUG:
        minlen = p->min > 0 ? (size_t)p->min : 1;
        maxlen = p->max > 0 ? (size_t)p->max : 80;
        if (v.len < minlen || v.len > maxlen)
            return "has the wrong length";
        for (size_t i = 0; i < v.len; i++)
            if (!in_set((unsigned char)v.p[i], "-"))
                return "may only contain a-z, 0-9 and '-'";
        return NULL;
    case HTTP_K_ID:
        if (!str_to_i64(v, &n) || n < 1 || (p->max > 0 && n > p->max))
            return "must be a positive whole number";
        return NULL;
    case HTTP_K_INT:
        if (!str_to_i64(v, &n))
            return "must be a whole number";
        if (n < p->min || n > p->max)
            return "is out of range";
        return NULL;
    case HTTP_K_TOKEN:
        minlen = p->min > 0 ? (size_t)p->min : 1;
        maxlen = p->max > 0 ? (size_t)p->max : 255;
        if (v.len < minlen || v.len > maxlen)
            return "has the wrong length";
        for (size_t i = 0; i < v.len; i++) {
            unsigned char c = (unsigned char)v.p[i];
            if (!in_set(c, "_.:-") && !(c >= 'A' && c <= 'Z'))
                return "contains characters that are not allowed";
        }
        return NULL;
    case HTTP_K_EMAIL:
        return str_is_email(v) ? NULL : "is not a valid e-mail address";
    case HTTP_K_TEXT:
    case HTTP_K_SECRET:
        minlen = p->min > 0 ? (size_t)p->min : 0;
        maxlen = p->max > 0 ? (size_t)p->max : 1000;
        if (!str_utf8_valid(v))
            return "is not valid UTF-8";
        for (size_t i = 0; i < v.len; i++) {
            unsigned char c = (unsigned char)v.p[i];
            if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
                return "contains control characters";
        }
        /* length in characters, not bytes */
        size_t chars = 0;
        for (size_t i = 0; i < v.len; i++)
            chars += ((unsigned char)v.p[i] & 0xC0) != 0x80;
        if (chars < minlen)
            return p->kind == HTTP_K_SECRET ? "is too short" : "is too short";
        if (chars > maxlen)
            return "is too long";
        return NULL;
    case HTTP_K_BOOL:
        if (str_eq_cstr(v, "on") || str_eq_cstr(v, "off") || str_eq_cstr(v, "true") ||
            str_eq_cstr(v, "false") || str_eq_cstr(v, "1") || str_eq_cstr(v, "0"))
            return NULL;
        return "must be on or off";
    }
    return "has an unknown kind";
}

/* body_value: the named member of a form or JSON body; *count set to occurrences. */
static struct str body_value(struct http_ex *x, const char *name, size_t *count, const char **bad)
{
    if (x->req.json) {
        cJSON *item = cJSON_GetObjectItemCaseSensitive(x->req.json, name);
        *count = item ? 1 : 0;
        if (!item || cJSON_IsNull(item))
            return (*count = 0), STR_NULL;
        if (cJSON_IsString(item))
            return str_from_cstr(item->valuestring);
        if (cJSON_IsBool(item))
            return cJSON_IsTrue(item) ? STR("true") : STR("false");
        if (cJSON_IsNumber(item)) {
            double d = item->valuedouble;
            /* Range first: converting an out-of-range double is undefined. */
            if (!(d >= -9e15 && d <= 9e15) || d != (double)(int64_t)d) {
                *bad = "must be a whole number";
                return STR_NULL;
            }
            char *s = arena_sprintf(x->arena, "%lld", (long long)(int64_t)d);
            return str_from_cstr(s);
        }
        *bad = "has the wrong JSON type";
        return STR_NULL;
    }
    struct str n = str_from_cstr(name);
    *count = http_kvs_count(&x->req.form, n);
    return http_kvs_get(&x->req.form, n);
}

static bool bind_params(struct compiled *c, struct http_ex *x, const struct str *segs)
{
    const struct http_route *rt = c->route;
    x->params = arena_calloc(x->arena, c->nparams + 1, sizeof *x->params);
    for (size_t k = 0; k < c->nparams; k++) {
        const struct http_param *p = &rt->params[k];
        struct str v = STR_NULL;
        size_t count = 0;
        const char *bad = NULL;
        switch (p->src) {
        case HTTP_SRC_PATH:
            for (size_t s = 0; s < c->nsegs; s++)
                if (c->segs[s].param && str_eq_cstr(c->segs[s].lit, p->name))
                    v = segs[s], count = 1;
            break;
        case HTTP_SRC_QUERY: {
            struct str n = str_from_cstr(p->name);
            count = http_kvs_count(&x->req.query, n);
            v = http_kvs_get(&x->req.query, n);
            break;
        }
        case HTTP_SRC_BODY:
            v = body_value(x, p->name, &count, &bad);
            break;
        case HTTP_SRC_HEADER:
            v = str_trim(http_header(x, p->name));
            count = v.len > 0;
            break;
        }
        const char *code = p->invalid_code;
        if (!bad && count > 1)
            bad = "was given more than once";
        if (!bad && count == 0 && p->required) {
            bad = "is required";
            code = p->missing_code;
        }
        if (!bad && count == 1)
            bad = http_validate(p, v);
        if (bad) {
            char *msg =
                arena_sprintf(x->arena, "%s '%s' %s.",
                              p->src == HTTP_SRC_HEADER ? "Header" : "Parameter", p->name, bad);
            http_resp_error(x, 400, code ? code : "invalid_parameter", msg);
            return false;
        }
        x->params[k] = count ? v : STR_NULL;
    }
    return true;
}

void router_dispatch(const struct router *r, struct http_ex *x)
{
    struct str segs[MAX_SEGMENTS];
    int ns = split(x->req.path, segs, MAX_SEGMENTS);
    unsigned allowed = 0;
    if (ns >= 0) {
        for (size_t i = 0; i < r->n; i++) {
            struct compiled *c = &r->routes[i];
            if (!match(c, segs, (size_t)ns))
                continue;
            unsigned methods = c->route->methods;
            if (methods & HTTP_GET)
                methods |= HTTP_HEAD;
            allowed |= methods;
            if (!(methods & x->req.method))
                continue;
            x->route = c->route;
            if (!bind_params(c, x, segs))
                return;
            if (x->hooks && x->hooks->before && !x->hooks->before(x))
                return;
            c->route->handler(x);
            return;
        }
    }
    if (!allowed) {
        http_resp_error(x, 404, "not_found", "There is nothing at this address.");
        return;
    }
    static const char *names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    struct buf *h = x->resp.head;
    buf_append_cstr(h, "Allow: ");
    bool first = true;
    for (int b = 0; b < 7; b++) {
        if (allowed & (1u << b)) {
            buf_printf(h, "%s%s", first ? "" : ", ", names[b]);
            first = false;
        }
    }
    buf_append(h, "\r\n", 2);
    http_resp_error(x, 405, "method_not_allowed", "This address does not accept that method.");
}

static size_t param_index(const struct http_ex *x, const char *name)
{
    const struct http_param *p = x->route ? x->route->params : NULL;
    for (size_t i = 0; p && p[i].name; i++)
        if (strcmp(p[i].name, name) == 0)
            return i;
    fprintf(stderr, "stampede: route %s reads undeclared parameter '%s'\n",
            x->route ? x->route->pattern : "(none)", name);
    abort();
}

struct str http_param_str(const struct http_ex *x, const char *name)
{
    return x->params[param_index(x, name)];
}

bool http_param_has(const struct http_ex *x, const char *name)
{
    return x->params[param_index(x, name)].p != NULL;
}

int64_t http_param_i64(const struct http_ex *x, const char *name, int64_t def)
{
    struct str v = x->params[param_index(x, name)];
    int64_t n;
    return v.p && str_to_i64(v, &n) ? n : def;
}

bool http_param_bool(const struct http_ex *x, const char *name)
{
    struct str v = x->params[param_index(x, name)];
    return str_eq_cstr(v, "on") || str_eq_cstr(v, "true") || str_eq_cstr(v, "1");
}

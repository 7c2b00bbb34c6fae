/* parse — request data decoding; see parse.h. */
#include "parse.h"

#include "core/err.h"

#include <string.h>
#include <uriparser/Uri.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* check_raw: every '%' has two hex digits after it and no raw control bytes appear. */
static int check_raw(struct str in, const char **why)
{
    for (size_t i = 0; i < in.len; i++) {
        unsigned char c = (unsigned char)in.p[i];
        if (c == '%') {
            if (in.len - i < 3) {
                *why = "incomplete percent-escape";
                return ERR_INVAL;
            }
            if (hexval(in.p[i + 1]) < 0 || hexval(in.p[i + 2]) < 0) {
                *why = "invalid percent-escape";
                return ERR_INVAL;
            }
            if (in.p[i + 1] == '0' && in.p[i + 2] == '0') {
                /* a decoded NUL would cut the C strings liburiparser returns */
                *why = "NUL byte in request";
                return ERR_INVAL;
            }
            i += 2;
        } else if (c < 0x20 || c == 0x7f) {
            *why = "control character in request";
            return ERR_INVAL;
        }
    }
    return 0;
}

/* check_decoded: no control bytes but tab/CR/LF, valid UTF-8. */
static int check_decoded(struct str s, const char **why)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
            *why = "control character in parameter";
            return ERR_INVAL;
        }
    }
    if (!str_utf8_valid(s)) {
        *why = "parameter is not valid UTF-8";
        return ERR_INVAL;
    }
    return 0;
}

/*
 * liburiparser allocates through a UriMemoryManager; ours takes memory from the request arena
 * (freed as a whole at reset). realloc needs the old size, so each block carries it in a
 * header.
 */
struct mm_hdr {
    size_t size;
    size_t pad;
};

static void *mm_malloc(UriMemoryManager *mm, size_t size)
{
    struct mm_hdr *h = arena_alloc(mm->userData, sizeof *h + size);
    h->size = size;
    return h + 1;
}

static void *mm_calloc(UriMemoryManager *mm, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = mm_malloc(mm, n * size);
    memset(p, 0, n * size);
    return p;
}

static void *mm_realloc(UriMemoryManager *mm, void *ptr, size_t size)
{
    void *p = mm_malloc(mm, size);
    if (ptr) {
        size_t old = ((struct mm_hdr *)ptr - 1)->size;
        memcpy(p, ptr, old < size ? old : size);
    }
    return p;
}

static void *mm_reallocarray(UriMemoryManager *mm, void *ptr, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return mm_realloc(mm, ptr, n * size);
}

static void mm_free(UriMemoryManager *mm, void *ptr)
{
    (void)mm;
    (void)ptr; /* released with the arena */
}

int http_parse_urlencoded(struct arena *a, struct str in, size_t max_pairs, struct http_kvs *out,
                          const char **why)
{
    out->v = NULL;
    out->n = 0;
    if (in.len == 0)
        return 0;
    int rc = check_raw(in, why);
    if (rc)
        return rc;
    /* count pairs before decoding so a flood of '&' cannot make us allocate much */
    size_t pairs = 1;
    for (size_t i = 0; i < in.len; i++)
        pairs += in.p[i] == '&';
    if (pairs > max_pairs * 2 + 16) {
        *why = "too many parameters";
        return ERR_TOOBIG;
    }

    UriMemoryManager mm = {mm_malloc, mm_calloc, mm_realloc, mm_reallocarray, mm_free, a};
    UriQueryListA *list = NULL;
    int count = 0;
    if (uriDissectQueryMallocExMmA(&list, &count, in.p, in.p + in.len, URI_TRUE, URI_BR_DONT_TOUCH,
                                   &mm) != URI_SUCCESS) {
        *why = "malformed parameters";
        return ERR_INVAL;
    }
    out->v = arena_calloc(a, (size_t)count + 1, sizeof *out->v);
    for (UriQueryListA *q = list; q; q = q->next) {
        struct str name = str_from_cstr(q->key);
        struct str value = str_from_cstr(q->value);
        if (name.len == 0)
            continue;
        if ((rc = check_decoded(name, why)) || (rc = check_decoded(value, why)))
            return rc;
        if (out->n == max_pairs) {
            *why = "too many parameters";
            return ERR_TOOBIG;
        }
        out->v[out->n].name = name;
        out->v[out->n].value = value;
        out->n++;
    }
    return 0;
}

static bool cookie_name_char(unsigned char c)
{
    /* RFC 6265 token: visible ASCII except separators */
    return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static bool cookie_value_char(unsigned char c)
{
    /* RFC 6265 cookie-octet */
    return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
           (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

void http_parse_cookies(struct arena *a, struct str h, size_t max_pairs, struct http_kvs *out)
{
    size_t cap = 1;
    for (size_t i = 0; i < h.len; i++)
        cap += h.p[i] == ';';
    if (cap > max_pairs)
        cap = max_pairs;
    out->v = arena_calloc(a, cap, sizeof *out->v);
    out->n = 0;
    size_t i = 0;
    while (i < h.len && out->n < cap) {
        size_t end = i;
        while (end < h.len && h.p[end] != ';')
            end++;
        struct str piece = str_trim((struct str){h.p + i, end - i});
        i = end + 1;
        const char *eq = memchr(piece.p, '=', piece.len);
        if (!eq)
            continue;
        struct str name = str_trim((struct str){piece.p, (size_t)(eq - piece.p)});
        struct str value = str_trim((struct str){eq + 1, piece.len - (size_t)(eq - piece.p) - 1});
        if (value.len >= 2 && value.p[0] == '"' && value.p[value.len - 1] == '"') {
            value.p++;
            value.len -= 2;
        }
        bool ok = name.len > 0;
        for (size_t k = 0; ok && k < name.len; k++)
            ok = cookie_name_char((unsigned char)name.p[k]);
        for (size_t k = 0; ok && k < value.len; k++)
            ok = cookie_value_char((unsigned char)value.p[k]);
        if (!ok)
            continue;
        out->v[out->n].name = name;
        out->v[out->n].value = value;
        out->n++;
    }
}

int http_decode_path(struct arena *a, struct str in, struct str *out, const char **why)
{
    int rc = check_raw(in, why);
    if (rc)
        return rc;
    if (!memchr(in.p, '%', in.len)) {
        *out = in;
        return check_decoded(in, why);
    }
    char *d = arena_alloc(a, in.len + 1);
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++) {
        if (in.p[i] == '%') {
            int c = hexval(in.p[i + 1]) * 16 + hexval(in.p[i + 2]);
            if (c == '/') {
                *why = "encoded slash in path";
                return ERR_INVAL;
            }
            d[n++] = (char)c;
            i += 2;
        } else {
            d[n++] = in.p[i];
        }
    }
    d[n] = '\0';
    *out = (struct str){d, n};
    return check_decoded(*out, why);
}

struct str http_kvs_get(const struct http_kvs *kv, struct str name)
{
    for (size_t i = 0; i < kv->n; i++)
        if (str_eq(kv->v[i].name, name))
            return kv->v[i].value;
    return STR_NULL;
}

size_t http_kvs_count(const struct http_kvs *kv, struct str name)
{
    size_t c = 0;
    for (size_t i = 0; i < kv->n; i++)
        c += str_eq(kv->v[i].name, name);
    return c;
}

/* buf — capped growable buffers; see buf.h. */
#include "buf.h"

#include "err.h"
#include "mem.h"

#include <stdio.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->overflow = false;
}

void buf_free(struct buf *b)
{
    mem_free(b->p);
    buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->overflow = false;
}

/* reserve: room for n more bytes plus a NUL; sets overflow on failure. */
static int reserve(struct buf *b, size_t n)
{
    if (b->overflow)
        return ERR_NOMEM;
    if (n > b->max || b->len > b->max - n) {
        b->overflow = true;
        return ERR_NOMEM;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < need)
        ncap *= 2;
    if (ncap > b->max + 1)
        ncap = b->max + 1;
    char *np = mem_try_realloc(b->p, ncap);
    if (!np) {
        b->overflow = true;
        return ERR_NOMEM;
    }
    b->p = np;
    b->cap = ncap;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    if (n == 0)
        return b->overflow ? ERR_NOMEM : 0;
    int rc = reserve(b, n);
    if (rc)
        return rc;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

int buf_append_str(struct buf *b, struct str s)
{
    return buf_append(b, s.p, s.len);
}

int buf_append_cstr(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_append_char(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

/* u64_digits: writes v in decimal at the end of tmp[24]; returns the first digit. */
static char *u64_digits(uint64_t v, char tmp[24])
{
    char *p = tmp + 24;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

int buf_append_i64(struct buf *b, int64_t v)
{
    char tmp[24];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = u64_digits(u, tmp);
    if (v < 0)
        *--p = '-';
    return buf_append(b, p, (size_t)(tmp + 24 - p));
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return ERR_INVAL;
    int rc = reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int buf_append_html(struct buf *b, struct str s)
{
    size_t start = 0;
    if (s.len == 0) /* also covers STR_NULL, whose p is NULL */
        return b->overflow ? ERR_NOMEM : 0;
    for (size_t i = 0; i < s.len; i++) {
        const char *rep;
        size_t rlen;
        switch (s.p[i]) {
        case '&':
            rep = "&amp;";
            rlen = 5;
            break;
        case '<':
            rep = "&lt;";
            rlen = 4;
            break;
        case '>':
            rep = "&gt;";
            rlen = 4;
            break;
        case '"':
            rep = "&quot;";
            rlen = 6;
            break;
        case '\'':
            rep = "&#39;";
            rlen = 5;
            break;
        default:
            continue;
        }
        buf_append(b, s.p + start, i - start);
        buf_append(b, rep, rlen);
        start = i + 1;
    }
    buf_append(b, s.p + start, s.len - start);
    return b->overflow ? ERR_NOMEM : 0;
}

int buf_append_urlenc(struct buf *b, struct str s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            buf_append_char(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_append(b, e, 3);
        }
    }
    return b->overflow ? ERR_NOMEM : 0;
}

int buf_append_krw(struct buf *b, int64_t won)
{
    char tmp[24], out[32];
    uint64_t v = won < 0 ? (uint64_t)0 - (uint64_t)won : (uint64_t)won;
    char *d = u64_digits(v, tmp);
    size_t n = (size_t)(tmp + 24 - d), o = 0;
    if (won < 0)
        out[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = d[i];
    }
    return buf_append(b, out, o);
}

struct str buf_str(const struct buf *b)
{
    return (struct str){b->p ? b->p : "", b->len};
}

const char *buf_cstr(struct buf *b)
{
    if (!b->p)
        return "";
    b->p[b->len] = '\0'; /* reserve() always keeps room for the NUL */
    return b->p;
}

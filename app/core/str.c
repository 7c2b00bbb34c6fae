/* str — byte slices; see str.h. */
#include "str.h"

#include <string.h>

struct str str_from_cstr(const char *s)
{
    return (struct str){s, s ? strlen(s) : 0};
}

bool str_eq(struct str a, struct str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool str_eq_cstr(struct str a, const char *b)
{
    return str_eq(a, str_from_cstr(b));
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool str_case_eq_cstr(struct str a, const char *b)
{
    size_t n = strlen(b);
    if (a.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(a.p[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

bool str_starts_with(struct str s, struct str prefix)
{
    return s.len >= prefix.len && memcmp(s.p, prefix.p, prefix.len) == 0;
}

struct str str_trim(struct str s)
{
    while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

bool str_to_i64(struct str s, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (s.len == 0)
        return false;
    if (s.p[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == s.len || s.len - i > 19)
        return false;
    uint64_t v = 0;
    for (; i < s.len; i++) {
        char c = s.p[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (uint64_t)(c - '0');
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)v;
    }
    return true;
}

bool str_utf8_valid(struct str s)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i = 0, n = s.len;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned min, cp;
        if ((c & 0xE0) == 0xC0) {
            need = 1;
            min = 0x80;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2;
            min = 0x800;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3;
            min = 0x10000;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= need)
            return false;
        for (size_t k = 1; k <= need; k++) {
            unsigned cc = p[i + k];
            if ((cc & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += need + 1;
    }
    return true;
}

bool str_is_email(struct str v)
{
    if (v.len < 3 || v.len > 254)
        return false;
    const char *at = memchr(v.p, '@', v.len);
    if (!at || at == v.p || at == v.p + v.len - 1 ||
        memchr(at + 1, '@', (size_t)(v.p + v.len - at - 1)))
        return false;
    struct str dom = {at + 1, (size_t)(v.p + v.len - at - 1)};
    const char *dot = memchr(dom.p, '.', dom.len);
    if (!dot || dot == dom.p || dom.p[dom.len - 1] == '.')
        return false;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' || c == ',' || c == ';' ||
            c == '\\')
            return false;
    }
    return str_utf8_valid(v);
}

/* pack — binary records; see pack.h. */
#include "pack.h"
#include "buf.h"

void pack_put_i64(char out[8], int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        out[i] = (char)(unsigned char)(u >> (8 * i));
}

int64_t pack_get_i64(const char in[8])
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)(unsigned char)in[i] << (8 * i);
    return (int64_t)u;
}

void pack_i64(struct buf *b, int64_t v)
{
    char out[8];
    pack_put_i64(out, v);
    buf_append(b, out, sizeof out);
}

void pack_str(struct buf *b, struct str s)
{
    unsigned char len[4];
    uint32_t n = (uint32_t)s.len;
    for (int i = 0; i < 4; i++)
        len[i] = (unsigned char)(n >> (8 * i));
    buf_append(b, len, sizeof len);
    buf_append(b, s.p, s.len);
    buf_append_char(b, '\0');
}

struct pack_r pack_reader(struct str record)
{
    const unsigned char *p = (const unsigned char *)record.p;
    return (struct pack_r){p, p + record.len, record.p == NULL};
}

static bool take(struct pack_r *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return false;
    }
    return true;
}

int64_t pack_r_i64(struct pack_r *r)
{
    if (!take(r, 8))
        return 0;
    int64_t v = pack_get_i64((const char *)r->p);
    r->p += 8;
    return v;
}

struct str pack_r_str(struct pack_r *r)
{
    if (!take(r, 4))
        return (struct str){"", 0};
    uint32_t n = 0;
    for (int i = 0; i < 4; i++)
        n |= (uint32_t)r->p[i] << (8 * i);
    r->p += 4;
    if (!take(r, (size_t)n + 1) || r->p[n] != '\0') {
        r->bad = true;
        return (struct str){"", 0};
    }
    struct str s = {(const char *)r->p, n};
    r->p += n + 1;
    return s;
}

size_t pack_r_count(struct pack_r *r, size_t min_bytes)
{
    int64_t n = pack_r_i64(r);
    if (r->bad || n < 0 || (min_bytes && (uint64_t)n > (size_t)(r->end - r->p) / min_bytes)) {
        r->bad = true;
        return 0;
    }
    return (size_t)n;
}

bool pack_r_done(const struct pack_r *r)
{
    return !r->bad && r->p == r->end;
}

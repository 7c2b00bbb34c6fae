/* gtid — GTID positions; see gtid.h. */
#include "gtid.h"

#include "core/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static bool num(const char **p, const char *end, uint64_t max, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (s == end || *s < '0' || *s > '9')
        return false;
    while (s < end && *s >= '0' && *s <= '9') {
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
        s++;
    }
    *p = s;
    *out = v;
    return true;
}

int gtid_parse(struct str s, struct gtid_pos *out)
{
    memset(out, 0, sizeof *out);
    const char *p = s.p, *end = s.p + s.len;
    while (p < end && (*p == ' ' || *p == '\n'))
        p++;
    while (p < end) {
        uint64_t dom, srv, seq;
        if (!num(&p, end, UINT32_MAX, &dom) || p == end || *p++ != '-' ||
            !num(&p, end, UINT32_MAX, &srv) || p == end || *p++ != '-' ||
            !num(&p, end, UINT64_MAX, &seq))
            goto bad;
        if (out->n == GTID_DOMAINS)
            goto bad;
        for (size_t i = 0; i < out->n; i++)
            if (out->d[i].domain == dom)
                goto bad;
        out->d[out->n++] = (struct gtid_one){(uint32_t)dom, (uint32_t)srv, seq};
        while (p < end && (*p == ' ' || *p == '\n'))
            p++;
        if (p == end)
            break;
        if (*p++ != ',')
            goto bad;
        while (p < end && (*p == ' ' || *p == '\n'))
            p++;
        if (p == end)
            goto bad; /* a comma promises another position */
    }
    return 0;
bad:
    memset(out, 0, sizeof *out);
    return ERR_INVAL;
}

void gtid_format(const struct gtid_pos *p, char *out, size_t cap)
{
    size_t at = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < p->n && at < cap; i++) {
        int m = snprintf(out + at, cap - at, "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64, i ? "," : "",
                         p->d[i].domain, p->d[i].server, p->d[i].seq);
        if (m < 0)
            break;
        at += (size_t)m;
    }
}

static const struct gtid_one *find(const struct gtid_pos *p, uint32_t domain)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->d[i].domain == domain)
            return &p->d[i];
    return NULL;
}

bool gtid_reached(const struct gtid_pos *have, const struct gtid_pos *want)
{
    for (size_t i = 0; i < want->n; i++) {
        const struct gtid_one *h = find(have, want->d[i].domain);
        if (!h || h->seq < want->d[i].seq)
            return false;
    }
    return true;
}

void gtid_merge(struct gtid_pos *acc, const struct gtid_pos *add)
{
    for (size_t i = 0; i < add->n; i++) {
        struct gtid_one *h = (struct gtid_one *)find(acc, add->d[i].domain);
        if (h) {
            if (add->d[i].seq > h->seq)
                *h = add->d[i];
        } else if (acc->n < GTID_DOMAINS) {
            acc->d[acc->n++] = add->d[i];
        }
    }
}

uint64_t gtid_behind(const struct gtid_pos *have, const struct gtid_pos *want)
{
    uint64_t n = 0;
    for (size_t i = 0; i < want->n; i++) {
        const struct gtid_one *h = find(have, want->d[i].domain);
        uint64_t got = h ? h->seq : 0;
        if (got < want->d[i].seq)
            n += want->d[i].seq - got;
    }
    return n;
}

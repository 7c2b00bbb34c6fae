/* stmt — a session's prepared statements; see stmt.h. */
#include "stmt.h"

#include "core/mem.h"
#include "dbproxy/proto.h"

#include <string.h>

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void ps_free(struct ps *p)
{
    mem_free(p->sql);
    mem_free(p->types);
    mem_free(p);
}

struct ps *ps_new(struct ps_table *t, const void *sql, size_t len, const struct qc_info *qc)
{
    struct ps *p = mem_calloc(1, sizeof *p);
    p->id = ++t->next;
    if (p->id == 0 || p->id == 0xFFFFFFFFu) /* 0xFFFFFFFF means "the last one" */
        p->id = t->next = 1;
    p->sql = mem_alloc(len ? len : 1);
    memcpy(p->sql, sql, len);
    p->sql_len = len;
    p->qc = *qc;
    p->cursor_srv = -1;
    p->last_srv = -1;
    p->next = t->b[p->id % PS_BUCKETS];
    t->b[p->id % PS_BUCKETS] = p;
    t->count++;
    return p;
}

struct ps *ps_find(struct ps_table *t, uint32_t id)
{
    for (struct ps *p = t->b[id % PS_BUCKETS]; p; p = p->next)
        if (p->id == id)
            return p;
    return NULL;
}

void ps_delete(struct ps_table *t, uint32_t id)
{
    for (struct ps **pp = &t->b[id % PS_BUCKETS]; *pp; pp = &(*pp)->next)
        if ((*pp)->id == id) {
            struct ps *p = *pp;
            *pp = p->next;
            ps_free(p);
            t->count--;
            return;
        }
}

void ps_clear(struct ps_table *t)
{
    for (size_t i = 0; i < PS_BUCKETS; i++)
        while (t->b[i]) {
            struct ps *p = t->b[i];
            t->b[i] = p->next;
            ps_free(p);
        }
    t->count = 0;
}

void ps_exec_payload(struct ps *p, int srv, const uint8_t *c, size_t n, struct buf *out)
{
    buf_reset(out);
    buf_append(out, c, n);
    put_le32((uint8_t *)out->p + 1, p->on[srv].id);
    if (p->nparams == 0 || n < 10)
        return;
    /* command, id (4), flags (1), iteration count (4), null bitmap, new-params-bound flag */
    size_t bm = ((size_t)p->nparams + 7) / 8;
    size_t flag_at = 10 + bm;
    if (flag_at >= n)
        return;
    if (c[flag_at] == 1) {
        p->on[srv].types = true;
        return;
    }
    if (p->on[srv].types || !p->types)
        return;
    buf_reset(out);
    buf_append(out, c, flag_at);
    put_le32((uint8_t *)out->p + 1, p->on[srv].id);
    proto_wr_u8(out, 1);
    buf_append(out, p->types, 2 * (size_t)p->nparams);
    buf_append(out, c + flag_at + 1, n - flag_at - 1);
    p->on[srv].types = true;
}

/* sescmd — session-command history; see sescmd.h. */
#include "sescmd.h"

#include "core/mem.h"

#include <string.h>

void sescmd_init(struct sescmd_hist *h, size_t max)
{
    memset(h, 0, sizeof *h);
    h->max = max ? max : 1;
}

void sescmd_clear(struct sescmd_hist *h)
{
    for (size_t i = 0; i < h->n; i++)
        mem_free(h->v[i].payload);
    h->n = 0;
}

void sescmd_free(struct sescmd_hist *h)
{
    sescmd_clear(h);
    mem_free(h->v);
    h->v = NULL;
    h->cap = 0;
}

static void remove_at(struct sescmd_hist *h, size_t i)
{
    mem_free(h->v[i].payload);
    memmove(&h->v[i], &h->v[i + 1], (h->n - i - 1) * sizeof h->v[0]);
    h->n--;
}

uint64_t sescmd_add(struct sescmd_hist *h, const void *payload, size_t len)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].len == len && memcmp(h->v[i].payload, payload, len) == 0) {
            remove_at(h, i);
            break;
        }
    if (h->n == h->max) {
        remove_at(h, 0);
        h->pruned++;
    }
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 8;
        h->v = mem_realloc(h->v, h->cap * sizeof h->v[0]);
    }
    uint8_t *copy = mem_alloc(len ? len : 1);
    memcpy(copy, payload, len);
    h->v[h->n++] = (struct sescmd){++h->last_id, copy, len};
    return h->last_id;
}

void sescmd_drop(struct sescmd_hist *h, uint64_t id)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].id == id) {
            remove_at(h, i);
            return;
        }
}

const struct sescmd *sescmd_next(const struct sescmd_hist *h, uint64_t after)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].id > after)
            return &h->v[i];
    return NULL;
}

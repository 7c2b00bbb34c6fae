/* select — replica selection; see select.h. */
#include "select.h"

#include <stdatomic.h>

static _Atomic long ops[DBPROXY_MAX_SERVERS];

int select_replica(const struct cluster_view *v, int except)
{
    int best = -1;
    for (size_t i = 0; i < v->n; i++) {
        const struct srv_view *s = &v->s[i];
        if ((int)i == except || s->role != SRV_REPLICA || !s->readable)
            continue;
        if (best < 0) {
            best = (int)i;
            continue;
        }
        long a = atomic_load_explicit(&ops[i], memory_order_relaxed);
        long b = atomic_load_explicit(&ops[best], memory_order_relaxed);
        if (a < b || (a == b && s->behind < v->s[best].behind))
            best = (int)i;
    }
    return best;
}

void select_op_begin(int srv)
{
    atomic_fetch_add_explicit(&ops[srv], 1, memory_order_relaxed);
}

void select_op_end(int srv)
{
    atomic_fetch_sub_explicit(&ops[srv], 1, memory_order_relaxed);
}

long select_ops(int srv)
{
    return atomic_load_explicit(&ops[srv], memory_order_relaxed);
}

/*
 * pool — idle backend connections kept per worker and server (MaxScale's persistent
 * connections). A session that ends hands back its connections that are logged in, idle and
 * outside a transaction; a new session takes one with the same capability flags (they decide
 * the shape of every response) and re-authenticates it as its own user with COM_CHANGE_USER,
 * which also resets the connection's state (variables, temporary tables, prepared statements,
 * locks) and selects the session's database. This saves the TCP connect, the greeting and the
 * login round trips for short-lived clients (batch jobs, command-line tools).
 *
 * A pooled connection stays registered with epoll: if its server closes it or sends anything
 * it is closed. Connections idle longer than pool.idle are closed on the worker's tick.
 */
#include "backend.h"

#include "core/clock.h"

struct bconn *pool_take(struct worker *w, int srv, uint32_t caps)
{
    struct bconn **pp = &w->pool[srv];
    for (; *pp; pp = &(*pp)->next) {
        struct bconn *b = *pp;
        if ((b->caps & ~(uint32_t)CAP_CONNECT_WITH_DB) != (caps & ~(uint32_t)CAP_CONNECT_WITH_DB))
            continue;
        *pp = b->next;
        b->next = NULL;
        b->pooled = false;
        w->pooled[srv]--;
        return b;
    }
    return NULL;
}

void pool_remove(struct worker *w, struct bconn *b)
{
    for (struct bconn **pp = &w->pool[b->srv]; *pp; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            b->next = NULL;
            b->pooled = false;
            w->pooled[b->srv]--;
            return;
        }
}

bool pool_put(struct worker *w, struct bconn *b)
{
    if ((int64_t)w->pooled[b->srv] >= w->p->cfg.pool_max)
        return false;
    b->idle_since_ns = clock_mono_ns();
    b->deadline_ns = 0;
    b->next = w->pool[b->srv];
    b->pooled = true;
    w->pool[b->srv] = b;
    w->pooled[b->srv]++;
    return true;
}

void pool_expire(struct worker *w, int64_t now)
{
    int64_t idle = w->p->cfg.pool_idle_ms * 1000000;
    for (size_t srv = 0; srv < w->p->nservers; srv++) {
        struct bconn **pp = &w->pool[srv];
        while (*pp) {
            struct bconn *b = *pp;
            if (now - b->idle_since_ns > idle) {
                *pp = b->next;
                w->pooled[srv]--;
                b->next = NULL;
                b->pooled = false;
                backend_close(b);
                continue;
            }
            pp = &b->next;
        }
    }
}

void pool_drain(struct worker *w)
{
    for (size_t srv = 0; srv < w->p->nservers; srv++) {
        while (w->pool[srv]) {
            struct bconn *b = w->pool[srv];
            w->pool[srv] = b->next;
            b->next = NULL;
            b->pooled = false;
            backend_close(b);
        }
        w->pooled[srv] = 0;
    }
}

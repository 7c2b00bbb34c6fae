/* gate — a node-wide bulkhead in shared memory; see gate.h. */
#include "gate.h"

#include "clock.h"
#include "err.h"

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define RING 8 /* seconds of refusal counts kept */

struct gate {
    int limit, queue;
    _Atomic int slot[GATE_MAX_LIMIT];         /* holder's pid, 0: free */
    _Atomic int64_t since_us[GATE_MAX_LIMIT]; /* when the holder entered */
    atomic_int waiting;
    atomic_uint_fast64_t entered, refused, timed_out, reclaimed;
    _Atomic int64_t avg_hold_us; /* moving average of how long a holder stays */
    _Atomic int64_t ring_sec[RING];
    atomic_uint_fast64_t ring_count[RING];
};

static int64_t now_us(void)
{
    return clock_mono_ns() / 1000;
}

/* refused_now: counts a refusal in this second's slot of the ring */
static void refused_now(struct gate *g)
{
    atomic_fetch_add(&g->refused, 1);
    int64_t sec = now_us() / 1000000;
    int i = (int)(sec % RING);
    int64_t seen = atomic_load(&g->ring_sec[i]);
    if (seen != sec && atomic_compare_exchange_strong(&g->ring_sec[i], &seen, sec))
        atomic_store(&g->ring_count[i], 0);
    atomic_fetch_add(&g->ring_count[i], 1);
}

/* refusal_rate: refusals per second over the last 4 whole seconds */
static double refusal_rate(const struct gate *g)
{
    struct gate *m = (struct gate *)g;
    int64_t sec = now_us() / 1000000;
    uint64_t n = 0;
    for (int64_t s = sec - 4; s < sec; s++) {
        int i = (int)(s % RING);
        if (atomic_load(&m->ring_sec[i]) == s)
            n += atomic_load(&m->ring_count[i]);
    }
    return (double)n / 4.0;
}

struct gate *gate_new(int limit, int queue)
{
    if (limit < 1 || limit > GATE_MAX_LIMIT || queue < 0)
        return NULL;
    void *p =
        mmap(NULL, sizeof(struct gate), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        abort(); /* process-lifetime set-up: out of memory is fatal (STYLE.md) */
    struct gate *g = p;
    g->limit = limit;
    g->queue = queue;
    for (int i = 0; i < GATE_MAX_LIMIT; i++) {
        atomic_init(&g->slot[i], 0);
        atomic_init(&g->since_us[i], 0);
    }
    for (int i = 0; i < RING; i++) {
        atomic_init(&g->ring_sec[i], -1);
        atomic_init(&g->ring_count[i], 0);
    }
    atomic_init(&g->avg_hold_us, 0);
    atomic_init(&g->waiting, 0);
    atomic_init(&g->entered, 0);
    atomic_init(&g->refused, 0);
    atomic_init(&g->timed_out, 0);
    atomic_init(&g->reclaimed, 0);
    return g;
}

void gate_free(struct gate *g)
{
    if (g)
        munmap(g, sizeof *g);
}

static bool dead(int pid)
{
    return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

/* try_take: a free slot (or one whose holder died) for pid */
static bool try_take(struct gate *g, int pid)
{
    for (int i = 0; i < g->limit; i++) {
        int cur = atomic_load_explicit(&g->slot[i], memory_order_relaxed);
        if (cur == 0 && atomic_compare_exchange_strong(&g->slot[i], &cur, pid)) {
            atomic_store(&g->since_us[i], now_us());
            return true;
        }
    }
    for (int i = 0; i < g->limit; i++) {
        int cur = atomic_load_explicit(&g->slot[i], memory_order_relaxed);
        if (dead(cur) && atomic_compare_exchange_strong(&g->slot[i], &cur, pid)) {
            atomic_store(&g->since_us[i], now_us());
            atomic_fetch_add(&g->reclaimed, 1);
            return true;
        }
    }
    return false;
}

int gate_enter(struct gate *g, int64_t wait_ms)
{
    int pid = (int)getpid();
    if (try_take(g, pid)) {
        atomic_fetch_add(&g->entered, 1);
        return 0;
    }
    if (atomic_fetch_add(&g->waiting, 1) >= g->queue) {
        atomic_fetch_sub(&g->waiting, 1);
        refused_now(g);
        return ERR_LIMIT;
    }
    int64_t deadline = clock_mono_ns() + wait_ms * 1000000;
    int rc = ERR_TIMEOUT;
    do {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        if (try_take(g, pid)) {
            rc = 0;
            break;
        }
    } while (clock_mono_ns() < deadline);
    atomic_fetch_sub(&g->waiting, 1);
    atomic_fetch_add(rc ? &g->timed_out : &g->entered, 1);
    if (rc)
        refused_now(g);
    return rc;
}

void gate_refuse(struct gate *g)
{
    refused_now(g);
}

bool gate_full(const struct gate *g)
{
    struct gate *m = (struct gate *)g;
    if (atomic_load(&m->waiting) < g->queue)
        return false;
    for (int i = 0; i < g->limit; i++)
        if (atomic_load(&m->slot[i]) == 0)
            return false;
    return true;
}

void gate_leave(struct gate *g)
{
    int pid = (int)getpid();
    for (int i = 0; i < g->limit; i++) {
        if (atomic_load(&g->slot[i]) != pid)
            continue;
        int64_t held = now_us() - atomic_load(&g->since_us[i]);
        int cur = pid;
        if (!atomic_compare_exchange_strong(&g->slot[i], &cur, 0))
            continue;
        /* exponential moving average, 1/8 weight to the newest (races only blur it) */
        int64_t avg = atomic_load(&g->avg_hold_us);
        atomic_store(&g->avg_hold_us, avg ? avg + (held - avg) / 8 : held);
        return;
    }
}

void gate_stats_get(const struct gate *g, struct gate_stats *out)
{
    struct gate *m = (struct gate *)g;
    out->limit = g->limit;
    out->queue = g->queue;
    out->holders = 0;
    for (int i = 0; i < g->limit; i++)
        out->holders += atomic_load(&m->slot[i]) != 0;
    out->waiting = atomic_load(&m->waiting);
    out->entered = atomic_load(&m->entered);
    out->refused = atomic_load(&m->refused);
    out->timed_out = atomic_load(&m->timed_out);
    out->reclaimed = atomic_load(&m->reclaimed);
    out->avg_hold_us = atomic_load(&m->avg_hold_us);
}

int64_t gate_retry_after_s(const struct gate *g)
{
    struct gate_stats st;
    gate_stats_get(g, &st);
    /* the queue ahead, plus the shoppers refused lately, who come back as well: spread over
     * the gate's throughput so that retries arrive about as fast as it can serve them */
    double hold_s = (double)(st.avg_hold_us ? st.avg_hold_us : 100000) / 1e6;
    double backlog = (double)(st.holders + st.waiting + 1) + refusal_rate(g);
    double secs = backlog * hold_s / (double)(st.limit ? st.limit : 1);
    int64_t r = (int64_t)secs + 1;
    return r < 1 ? 1 : r > 60 ? 60 : r;
}

/*
 * gate — a bulkhead: bounded concurrency with a bounded queue and a bounded wait, shared by
 * every process of a node.
 *
 * Expensive work (argon2id password hashing: ~40 ms of a core and 19 MiB each) must not take
 * every worker thread, or cheap requests and health checks starve behind it. A gate lets at
 * most `limit` holders in at once across all processes forked from the one that created it;
 * at most `queue` more may wait, each for at most the wait it asks for. Anyone beyond that is
 * refused at once, so the caller can answer "busy, retry in N s" instead of timing out.
 *
 * The gate lives in a MAP_SHARED anonymous mapping made before the workers fork. Each slot
 * records the pid of its holder, so a slot whose holder process died (SIGKILL in the middle of
 * a hash) is taken back by the next entrant instead of shrinking the gate for ever. Waiting
 * polls every millisecond or so: waits are short (about a hash) and waiters few (`queue`).
 *
 * Errors: gate_enter returns 0 (entered), ERR_LIMIT (the queue is full: refused at once) or
 * ERR_TIMEOUT (waited `wait_ms` without a free slot).
 * Thread safety: any thread of any process of the node.
 */
#ifndef STAMPEDE_CORE_GATE_H
#define STAMPEDE_CORE_GATE_H

#include <stdbool.h>
#include <stdint.h>

#define GATE_MAX_LIMIT 64

struct gate;

/* gate_new: a gate for `limit` holders (1..GATE_MAX_LIMIT) and `queue` waiters (>= 0). */
struct gate *gate_new(int limit, int queue);
void gate_free(struct gate *g);

/* gate_enter: waits up to wait_ms for a slot; see above for the results. */
int gate_enter(struct gate *g, int64_t wait_ms);
/* gate_leave: gives back the slot this thread's process took (call once per gate_enter). */
void gate_leave(struct gate *g);
/* gate_full: every slot is held and the queue is full: an entry now would be refused. A cheap
 * look (it can be wrong by the time one enters); lets a caller refuse before doing any work. */
bool gate_full(const struct gate *g);
/* gate_refuse: counts a refusal made by the caller after gate_full (for the metrics and the
 * Retry-After estimate). */
void gate_refuse(struct gate *g);

struct gate_stats {
    int limit, queue;
    int holders; /* now */
    int waiting; /* now */
    uint64_t entered, refused, timed_out, reclaimed;
    int64_t avg_hold_us; /* moving average of how long a holder keeps its slot */
};
void gate_stats_get(const struct gate *g, struct gate_stats *out);

/*
 * gate_retry_after_s: a Retry-After for a refused caller, in whole seconds (1..60): the time
 * the holders and waiters ahead need, plus that of the callers refused in the last seconds
 * (they come back too), at the measured time a holder keeps its slot. Retries then arrive
 * about as fast as the gate can take them, instead of all at once every second.
 */
int64_t gate_retry_after_s(const struct gate *g);

#endif

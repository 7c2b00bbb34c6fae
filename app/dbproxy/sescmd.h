/*
 * sescmd — a session's history of session commands (SET, USE, COM_INIT_DB, COM_SET_OPTION), as
 * MaxScale keeps it: each is run on every backend the session has open, and replayed in order
 * on every backend connection the session opens later, so that all of them are in the same
 * state (character set, time zone, sql_mode, isolation level, default database...).
 *
 * Bounded (max_sescmd_history): a command identical to an earlier one replaces it (moving to
 * the end, where it now applies), and beyond the bound the oldest is dropped (MaxScale's
 * prune_sescmd_history). Entries carry increasing ids; a backend remembers the last id it has,
 * so replay sends exactly the entries after it.
 *
 * Memory: the history owns copies of the payloads. Thread safety: one session, one thread.
 */
#ifndef STAMPEDE_DBPROXY_SESCMD_H
#define STAMPEDE_DBPROXY_SESCMD_H

#include <stddef.h>
#include <stdint.h>

struct sescmd {
    uint64_t id;
    uint8_t *payload; /* the whole command payload, command byte first */
    size_t len;
};

struct sescmd_hist {
    struct sescmd *v;
    size_t n, cap, max;
    uint64_t last_id;
    uint64_t pruned; /* entries dropped by the bound */
};

void sescmd_init(struct sescmd_hist *h, size_t max);
void sescmd_free(struct sescmd_hist *h);
void sescmd_clear(struct sescmd_hist *h);
/* sescmd_add: records payload; returns its id. */
uint64_t sescmd_add(struct sescmd_hist *h, const void *payload, size_t len);
/* sescmd_drop: removes the entry with this id (a command that failed). */
void sescmd_drop(struct sescmd_hist *h, uint64_t id);
/* sescmd_next: the first entry with an id greater than after, or NULL. */
const struct sescmd *sescmd_next(const struct sescmd_hist *h, uint64_t after);

#endif

/*
 * gtid — MariaDB GTID positions ("domain-server-seq" lists, e.g. "0-1-250,1-3-7") as the proxy
 * compares them for causal reads.
 *
 * A position holds at most GTID_DOMAINS domains (more is a parse error: such a position is
 * treated as unknown, which only makes the proxy wait or use the primary). Sequence numbers
 * grow per domain (gtid_strict_mode), so "replica has reached W" means: for every domain of W
 * the replica's sequence in that domain is at least W's.
 *
 * Memory: values, no allocation. Thread safety: none needed.
 */
#ifndef STAMPEDE_DBPROXY_GTID_H
#define STAMPEDE_DBPROXY_GTID_H

#include "core/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GTID_DOMAINS  8
#define GTID_TEXT_MAX (GTID_DOMAINS * 64)

struct gtid_one {
    uint32_t domain;
    uint32_t server;
    uint64_t seq;
};

struct gtid_pos {
    size_t n;
    struct gtid_one d[GTID_DOMAINS];
};

/* gtid_parse: "" is the empty position; 0 on success, ERR_INVAL otherwise (out emptied). */
int gtid_parse(struct str s, struct gtid_pos *out);
/* gtid_format: "d-s-q,..." into out (NUL-terminated, truncated to cap). */
void gtid_format(const struct gtid_pos *p, char *out, size_t cap);
/* gtid_reached: have covers every domain of want with an equal or larger sequence. */
bool gtid_reached(const struct gtid_pos *have, const struct gtid_pos *want);
/* gtid_merge: into acc, per domain the larger sequence (a domain beyond capacity is dropped). */
void gtid_merge(struct gtid_pos *acc, const struct gtid_pos *add);
/* gtid_behind: how many transactions of want's domains have is missing (0 if reached). */
uint64_t gtid_behind(const struct gtid_pos *have, const struct gtid_pos *want);

#endif

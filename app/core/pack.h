/*
 * pack — a small binary record format for values kept outside the process (cache entries).
 *
 * A record is a sequence of fields written in a fixed order and read back in the same order:
 * integers as 8 bytes little-endian, strings as a 4-byte length, the bytes and a NUL. The
 * reader hands out string slices that point into the record and are NUL-terminated (the NUL
 * is not counted), so they can go to APIs that want C strings without a copy.
 *
 * Reading never trusts the record: a field that runs past the end, a string without its NUL
 * or a length beyond the record sets the sticky `bad` flag, and every later read returns 0 or
 * an empty slice. Callers read all fields and check `bad` (and pack_r_done) once at the end.
 *
 * Memory: writers append to a caller's struct buf (whose cap bounds a record); readers borrow
 * the record. Thread safety: none needed (no shared state).
 */
#ifndef STAMPEDE_CORE_PACK_H
#define STAMPEDE_CORE_PACK_H

#include "buf.h"
#include "str.h"

#include <stdbool.h>
#include <stdint.h>

void pack_i64(struct buf *b, int64_t v);
/* pack_put_i64/pack_get_i64: the 8-byte integer encoding on its own, in place. */
void pack_put_i64(char out[8], int64_t v);
int64_t pack_get_i64(const char in[8]);
void pack_str(struct buf *b, struct str s);

struct pack_r {
    const unsigned char *p;
    const unsigned char *end;
    bool bad;
};

struct pack_r pack_reader(struct str record);
int64_t pack_r_i64(struct pack_r *r);
struct str pack_r_str(struct pack_r *r);
/* pack_r_count: an element count that must fit in what is left of the record, at least
 * min_bytes per element; sets bad otherwise (so a corrupt count cannot drive an allocation). */
size_t pack_r_count(struct pack_r *r, size_t min_bytes);
/* pack_r_done: true when the record was read exactly to its end without an error. */
bool pack_r_done(const struct pack_r *r);

#endif

/*
 * arena — per-request bump allocator (nginx r->pool, h2o req->pool).
 *
 * A worker thread owns one arena; every allocation made while serving a request comes from it
 * and is released at once by arena_reset() after the response. Handlers never free. Resources
 * that are not memory (a statement result, a transaction) register a cleanup that runs, in
 * reverse order of registration, at the next reset.
 *
 * Memory: chunks come from the mem seam. The first chunk is kept across resets so a typical
 * request allocates nothing from the heap; larger requests add chunks that reset returns.
 * Bound: the arena refuses to grow past `cap` bytes in total. Inputs are bounded before they
 * reach the arena (body limit, parameter counts), so passing the cap is a bug, and it aborts
 * with a message like an out-of-memory would.
 *
 * Thread safety: none; one arena per thread.
 */
#ifndef STAMPEDE_CORE_ARENA_H
#define STAMPEDE_CORE_ARENA_H

#include "str.h"

#include <stddef.h>

struct arena;

/* arena_new: an arena whose first chunk holds `first` bytes and that never exceeds `cap`. */
struct arena *arena_new(size_t first, size_t cap);
void arena_destroy(struct arena *a);

/* arena_alloc: n bytes aligned for any type; never NULL (aborts past the cap). */
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t count, size_t size);
/* arena_strndup: a NUL-terminated copy of s[0..n). */
char *arena_strndup(struct arena *a, const char *s, size_t n);
struct str arena_str_dup(struct arena *a, struct str s);
char *arena_cstr(struct arena *a, struct str s);
/* arena_sprintf: formatted NUL-terminated string. */
char *arena_sprintf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* arena_on_reset: fn(data) runs at the next arena_reset (LIFO). */
void arena_on_reset(struct arena *a, void (*fn)(void *), void *data);

/* arena_reset: runs the cleanups, frees all chunks but the first, rewinds. */
void arena_reset(struct arena *a);

/* arena_used: bytes handed out since the last reset (for tests and metrics). */
size_t arena_used(const struct arena *a);
/* arena_chunks: chunks currently held (1 after a reset). */
size_t arena_chunks(const struct arena *a);

#endif

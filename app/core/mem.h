/*
 * mem — the one allocation seam of Stampede.
 *
 * Every heap allocation in app/ goes through these functions (the lint test bans raw
 * malloc/calloc/realloc/free elsewhere), so tests can count allocations and inject failures.
 *
 * Two families:
 *   mem_alloc/mem_calloc/mem_realloc/mem_strndup abort the process on out-of-memory, like
 *   Redis zmalloc: process-lifetime objects are allocated at start-up and a failure there is
 *   fatal, so callers never test for NULL.
 *   mem_try_alloc/mem_try_realloc return NULL on failure; they are used where one request can
 *   fail cleanly (growable buffers, arena chunks) and are the ones a test can make fail.
 *
 * Thread safety: all functions are thread-safe; counters are atomic.
 */
#ifndef STAMPEDE_CORE_MEM_H
#define STAMPEDE_CORE_MEM_H

#include <stddef.h>

void *mem_alloc(size_t n);
void *mem_calloc(size_t count, size_t size);
void *mem_realloc(void *p, size_t n);
char *mem_strndup(const char *s, size_t n);
char *mem_strdup(const char *s);
void mem_free(void *p);

/* mem_free_foreign: frees memory a library allocated with malloc and hands to its caller
 * (libjwt's encoded tokens); not counted. */
void mem_free_foreign(void *p);

/* mem_try_alloc/mem_try_realloc: like the above but NULL on failure (real or injected). */
void *mem_try_alloc(size_t n);
void *mem_try_realloc(void *p, size_t n);

/* Counters since start-up: allocations and frees through the seam. */
struct mem_stats {
    unsigned long allocs;
    unsigned long frees;
    unsigned long failures_injected;
};
void mem_stats_get(struct mem_stats *out);

/*
 * mem_test_fail_after(n): the (n+1)-th following mem_try_* call fails, and every one after it
 * until mem_test_fail_after(-1) turns injection off. For tests only.
 */
void mem_test_fail_after(long n);

#endif

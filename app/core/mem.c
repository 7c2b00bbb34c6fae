/* mem — allocation seam; see mem.h. */
#include "mem.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_ulong n_allocs;
static atomic_ulong n_frees;
static atomic_ulong n_injected;
static atomic_long fail_countdown = -1;

static _Noreturn void oom(size_t n)
{
    char msg[96];
    int len = snprintf(msg, sizeof msg, "stampede: out of memory allocating %zu bytes\n", n);
    if (len > 0)
        (void)!write(2, msg, (size_t)len);
    abort();
}

static int injected_failure(void)
{
    long c = atomic_load(&fail_countdown);
    while (c >= 0) {
        if (c == 0) {
            atomic_fetch_add(&n_injected, 1);
            return 1;
        }
        if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1))
            return 0;
    }
    return 0;
}

void *mem_try_alloc(size_t n)
{
    if (injected_failure())
        return NULL;
    void *p = malloc(n ? n : 1);
    if (p)
        atomic_fetch_add(&n_allocs, 1);
    return p;
}

void *mem_try_realloc(void *p, size_t n)
{
    if (injected_failure())
        return NULL;
    void *q = realloc(p, n ? n : 1);
    if (q && !p)
        atomic_fetch_add(&n_allocs, 1);
    return q;
}

void *mem_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    atomic_fetch_add(&n_allocs, 1);
    return p;
}

void *mem_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    atomic_fetch_add(&n_allocs, 1);
    return p;
}

void *mem_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    if (!p)
        atomic_fetch_add(&n_allocs, 1);
    return q;
}

char *mem_strndup(const char *s, size_t n)
{
    char *d = mem_alloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *mem_strdup(const char *s)
{
    return mem_strndup(s, strlen(s));
}

void mem_free_foreign(void *p)
{
    free(p);
}

void mem_free(void *p)
{
    if (!p)
        return;
    atomic_fetch_add(&n_frees, 1);
    free(p);
}

void mem_stats_get(struct mem_stats *out)
{
    out->allocs = atomic_load(&n_allocs);
    out->frees = atomic_load(&n_frees);
    out->failures_injected = atomic_load(&n_injected);
}

void mem_test_fail_after(long n)
{
    atomic_store(&fail_countdown, n);
}

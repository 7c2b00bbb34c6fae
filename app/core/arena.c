/* arena — per-request bump allocator; see arena.h. */
#include "arena.h"

#include "mem.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALIGN alignof(max_align_t)

struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *data;
};

struct arena {
    struct chunk *head; /* current chunk; the first chunk is the last in the list */
    struct cleanup *cleanups;
    size_t first_size;
    size_t cap;
    size_t total; /* bytes of all chunks */
    size_t used;  /* bytes handed out */
};

static struct chunk *chunk_new(size_t size)
{
    struct chunk *c = mem_alloc(sizeof *c + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

struct arena *arena_new(size_t first, size_t cap)
{
    struct arena *a = mem_calloc(1, sizeof *a);
    a->first_size = first < 256 ? 256 : first;
    a->cap = cap < a->first_size ? a->first_size : cap;
    a->head = chunk_new(a->first_size);
    a->total = a->first_size;
    return a;
}

void arena_destroy(struct arena *a)
{
    if (!a)
        return;
    arena_reset(a);
    mem_free(a->head);
    mem_free(a);
}

static _Noreturn void over_cap(const struct arena *a, size_t n)
{
    char msg[160];
    int len = snprintf(msg, sizeof msg,
                       "stampede: arena cap %zu exceeded (request for %zu bytes, %zu in use)\n",
                       a->cap, n, a->used);
    if (len > 0)
        (void)!write(2, msg, (size_t)len);
    abort();
}

void *arena_alloc(struct arena *a, size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need < n)
        over_cap(a, n);
    struct chunk *c = a->head;
    if (c->size - c->used < need) {
        size_t size = a->first_size;
        while (size < need)
            size *= 2;
        if (size > a->cap || a->total > a->cap - size)
            over_cap(a, n);
        c = chunk_new(size);
        c->next = a->head;
        a->head = c;
        a->total += size;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used += need;
    return p;
}

void *arena_calloc(struct arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        over_cap(a, SIZE_MAX);
    void *p = arena_alloc(a, count * size);
    memset(p, 0, count * size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

struct str arena_str_dup(struct arena *a, struct str s)
{
    return (struct str){arena_strndup(a, s.p, s.len), s.len};
}

char *arena_cstr(struct arena *a, struct str s)
{
    return arena_strndup(a, s.p, s.len);
}

char *arena_sprintf(struct arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *d = arena_alloc(a, (size_t)n + 1);
    vsnprintf(d, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return d;
}

void arena_on_reset(struct arena *a, void (*fn)(void *), void *data)
{
    struct cleanup *c = arena_alloc(a, sizeof *c);
    c->fn = fn;
    c->data = data;
    c->next = a->cleanups;
    a->cleanups = c;
}

void arena_reset(struct arena *a)
{
    /* cleanups live in the arena, so run them all before freeing any chunk */
    while (a->cleanups) {
        struct cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->data);
    }
    while (a->head->next) {
        struct chunk *c = a->head;
        a->head = c->next;
        a->total -= c->size;
        mem_free(c);
    }
    a->head->used = 0;
    a->used = 0;
}

size_t arena_used(const struct arena *a)
{
    return a->used;
}

size_t arena_chunks(const struct arena *a)
{
    size_t n = 0;
    for (const struct chunk *c = a->head; c; c = c->next)
        n++;
    return n;
}

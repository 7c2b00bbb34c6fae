/* assets — fingerprinted static asset manifest; see assets.h. */
#include "assets.h"

#include "core/buf.h"
#include "core/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *logical;
    char *url;
};

struct assets {
    struct entry *v;
    size_t n;
};

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->logical, ((const struct entry *)b)->logical);
}

struct assets *assets_load(const char *path, const char *base_url, struct buf *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        buf_printf(err, "cannot open asset manifest %s: %s (was the build run?)", path,
                   strerror(errno));
        return NULL;
    }
    struct assets *a = mem_calloc(1, sizeof *a);
    size_t cap = 0;
    char line[1024];
    int lineno = 0;
    size_t blen = strlen(base_url);
    while (blen && base_url[blen - 1] == '/')
        blen--;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strcspn(line, "\r\n");
        line[len] = '\0';
        if (len == 0)
            continue;
        char *sp = strchr(line, ' ');
        if (!sp || sp == line || !sp[1] || strchr(sp + 1, ' ')) {
            buf_printf(err, "%s:%d: expected 'logical fingerprinted'", path, lineno);
            fclose(f);
            assets_free(a);
            return NULL;
        }
        *sp = '\0';
        if (a->n == cap) {
            cap = cap ? cap * 2 : 64;
            a->v = mem_realloc(a->v, cap * sizeof *a->v);
        }
        struct buf u;
        buf_init(&u, 4096);
        buf_append(&u, base_url, blen);
        buf_append_char(&u, '/');
        buf_append_cstr(&u, sp + 1);
        a->v[a->n].logical = mem_strdup(line);
        a->v[a->n].url = mem_strdup(buf_cstr(&u));
        buf_free(&u);
        a->n++;
    }
    fclose(f);
    if (a->n)
        qsort(a->v, a->n, sizeof *a->v, cmp_entry);
    return a;
}

void assets_free(struct assets *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        mem_free(a->v[i].logical);
        mem_free(a->v[i].url);
    }
    mem_free(a->v);
    mem_free(a);
}

const char *assets_url(const struct assets *a, struct str logical)
{
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *k = a->v[mid].logical;
        size_t klen = strlen(k);
        size_t m = klen < logical.len ? klen : logical.len;
        int c = memcmp(k, logical.p, m);
        if (c == 0)
            c = klen < logical.len ? -1 : klen > logical.len ? 1 : 0;
        if (c == 0)
            return a->v[mid].url;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t assets_count(const struct assets *a)
{
    return a->n;
}

static const char *tpl_lookup(void *ctx, struct str logical)
{
    return assets_url(ctx, logical);
}

struct tpl_assets assets_tpl(struct assets *a)
{
    return (struct tpl_assets){tpl_lookup, a};
}

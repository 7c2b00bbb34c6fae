/* l2 — second-level entity cache with leases; see l2.h. */
#include "l2.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/pack.h"
#include "near.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEY_PREFIX  "st1"
#define HDR         9 /* kind byte + 8-byte soft expiry (values) or token (leases) */
#define LEASE_TTL_S 2 /* a lease or refresh lock left by a crashed loader expires this soon */
#define VALUE_MAX   (900 * 1024)       /* memcached's item limit is 1 MB; larger is not stored */
#define LOAD_MAX    (64 * 1024 * 1024) /* a loader's payload (served even when not stored) */

enum { KIND_VALUE = 'V', KIND_NEGATIVE = 'N', KIND_LEASE = 'L' };

static int next_slot = 1;
static struct metric *publish_failures;

static _Noreturn void misuse(const char *why, const char *name)
{
    fprintf(stderr, "stampede: l2 region %s: %s\n", name ? name : "(null)", why);
    abort();
}

static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'a' || s[i] > 'z')
            return false;
    return true;
}

void l2_region_init(struct l2_region *r)
{
    if (r->slot)
        return;
    if (!name_ok(r->name))
        misuse("name must be 1..20 letters a-z", r->name);
    if (r->version < 1 || r->ttl_ms < 1000 || r->grace_ms < 0 || r->negative_ttl_ms < 0 ||
        r->near_ttl_ms < 0 || r->near_ttl_ms > r->ttl_ms || !r->decode)
        misuse("needs version >= 1, ttl_ms >= 1000, grace_ms and negative_ttl_ms >= 0, "
               "near_ttl_ms in 0..ttl_ms and a decoder",
               r->name);
    if (next_slot >= CACHE_L2_SLOTS)
        misuse("too many regions (CACHE_L2_SLOTS)", r->name);
    r->slot = next_slot++;
    char labels[64];
    snprintf(labels, sizeof labels, "region=\"%s\"", r->name);
    r->hits = metrics_counter(
        "stampede_cache_hits_total", labels,
        "Lookups served from memcached (fresh, stale or after waiting); near hits not included.");
    r->misses = metrics_counter(
        "stampede_cache_misses_total", labels,
        "Lookups memcached answered without a usable value (loaded from the database).");
    r->lookup_errors = metrics_counter(
        "stampede_cache_lookup_errors_total", labels,
        "Lookups memcached failed to answer (server lost, timeout): loaded from the database.");
    r->loads = metrics_counter("stampede_cache_loads_total", labels,
                               "Loader runs (database reads) on behalf of the cache.");
    r->load_time =
        metrics_histogram("stampede_cache_load_seconds", labels, "Duration of loader runs.",
                          metrics_latency_bounds, metrics_latency_nbounds);
    r->stale = metrics_counter("stampede_cache_stale_served_total", labels,
                               "Values served past their TTL while another caller refreshed.");
    r->waits = metrics_counter("stampede_cache_lease_waits_total", labels,
                               "Lookups that waited for another caller's load (lease held).");
    r->refused = metrics_counter("stampede_cache_stores_refused_total", labels,
                                 "Loaded values not stored because a write invalidated the lease.");
    r->invalidations = metrics_counter("stampede_cache_invalidations_total", labels,
                                       "Entries deleted after a write committed.");
    r->errors = metrics_counter("stampede_cache_errors_total", labels,
                                "memcached failures; the lookup or invalidation fell back.");
    r->near_hits = metrics_counter(
        "stampede_cache_near_hits_total", labels,
        "Lookups served from the thread's near cache (no round trip); not in hits_total.");
    r->stale_on_error = metrics_counter(
        "stampede_cache_stale_on_error_total", labels,
        "Refreshes that failed (database down): the last good value was kept and served.");
    if (!publish_failures)
        publish_failures = metrics_counter(
            "stampede_cache_near_publish_failures_total", "",
            "Web nodes that did not confirm a near-cache invalidation after a write.");
}

/* ---------------------------------------------------------------- keys */

static bool id_ok(struct str id)
{
    if (id.len == 0 || id.len > L2_ID_MAX)
        return false;
    for (size_t i = 0; i < id.len; i++) {
        char c = id.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

int l2_key(const struct l2_region *r, uint64_t gen, struct str id, char *out, size_t cap)
{
    if (!id_ok(id))
        return ERR_INVAL;
    int n = snprintf(out, cap, KEY_PREFIX ":%s.%d:%llu:%.*s", r->name, r->version,
                     (unsigned long long)gen, STR_FMT(id));
    if (n < 0 || (size_t)n >= cap || n > L2_KEY_MAX)
        return ERR_INVAL;
    return n;
}

int l2_gen_key(const struct l2_region *r, char *out, size_t cap)
{
    int n = snprintf(out, cap, KEY_PREFIX ":gen:%s.%d", r->name, r->version);
    if (n < 0 || (size_t)n >= cap)
        return ERR_INVAL;
    return n;
}

/* ---------------------------------------------------------------- values */

static uint64_t rnd(struct cache_l2_state *st)
{
    uint64_t x = st->rng; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    st->rng = x;
    return x;
}

/* jitter: ms scaled by a random factor in [0.9, 1.1] */
static int64_t jitter(struct cache_l2_state *st, int64_t ms)
{
    int64_t spread = ms / 10;
    if (spread <= 0)
        return ms;
    return ms - spread + (int64_t)(rnd(st) % (uint64_t)(2 * spread + 1));
}

struct entry {
    char kind;
    int64_t stamp; /* soft expiry (ms since the epoch) or lease token */
    struct str payload;
};

static bool parse(struct str raw, struct entry *e)
{
    if (raw.len < HDR)
        return false;
    e->kind = raw.p[0];
    if (e->kind != KIND_VALUE && e->kind != KIND_NEGATIVE && e->kind != KIND_LEASE)
        return false;
    e->stamp = pack_get_i64(raw.p + 1);
    e->payload = (struct str){raw.p + HDR, raw.len - HDR};
    return true;
}

static void header(char out[HDR], char kind, int64_t stamp)
{
    out[0] = kind;
    pack_put_i64(out + 1, stamp);
}

/* ---------------------------------------------------------------- one lookup */

struct ctx {
    struct cache *c;
    struct cache_l2_state *st;
    struct arena *a;
};

/* serve: answers g from a cached entry; false when the payload does not decode. */
static bool serve(struct ctx *x, struct l2_get *g, const struct entry *e, enum l2_source src)
{
    if (e->kind == KIND_NEGATIVE) {
        g->rc = ERR_NOTFOUND;
        g->val = STR_NULL;
        g->obj = NULL;
    } else {
        if (g->region->decode(e->payload, x->a, &g->obj))
            return false;
        g->rc = 0;
        g->val = e->payload;
    }
    g->src = src;
    metric_inc(g->region->hits);
    if (src == L2_SRC_STALE)
        metric_inc(g->region->stale);
    else if (src == L2_SRC_WAITED)
        metric_inc(g->region->waits);
    return true;
}

/* run_loader: runs g's loader into b (after a header placeholder); sets g->rc/val. */
static void run_loader(struct ctx *x, struct l2_get *g, struct buf *b)
{
    const struct l2_region *r = g->region;
    char h[HDR];
    buf_init(b, LOAD_MAX);
    header(h, KIND_VALUE, 0);
    buf_append(b, h, HDR);
    int64_t t0 = clock_mono_ns();
    int rc = g->load(g->arg, b);
    metric_observe_ns(r->load_time, clock_mono_ns() - t0);
    metric_inc(r->loads);
    if (rc == 0 && b->overflow) {
        log_error("cache region %s: loaded value of %.*s exceeds %d bytes", r->name, STR_FMT(g->id),
                  LOAD_MAX);
        rc = ERR_TOOBIG;
    }
    g->rc = rc;
    g->val = STR_NULL;
    g->obj = NULL;
    if (rc)
        return;
    g->val = arena_str_dup(x->a, (struct str){b->p + HDR, b->len - HDR});
    if (r->decode(g->val, x->a, &g->obj)) {
        log_error("cache region %s: a freshly loaded value of %.*s does not decode", r->name,
                  STR_FMT(g->id));
        g->rc = ERR_INTERNAL;
    }
}

/* direct: the loader without the cache (disabled, failing, or the wait ran out). */
static void direct(struct ctx *x, struct l2_get *g, bool cache_error)
{
    struct buf b;
    if (cache_error) {
        metric_inc(g->region->errors);
        metric_inc(g->region->lookup_errors);
    } else {
        metric_inc(g->region->misses);
    }
    run_loader(x, g, &b);
    g->src = L2_SRC_DIRECT;
    buf_free(&b);
}

/*
 * load_and_store: run the loader, then store the result with cas against `cas` (our lease or
 * the stale value we read). A write that deleted the key in between makes the cas fail.
 * stale: the stale entry being refreshed (NULL on a miss). When its refresh fails (the
 * database is down), the last good value is kept for another grace period instead of being
 * dropped (stale-if-error), so every reader keeps getting it while the database is away.
 */
static void load_and_store(struct ctx *x, struct l2_get *g, struct str key, uint64_t cas,
                           const struct entry *stale)
{
    const struct l2_region *r = g->region;
    struct buf b;
    run_loader(x, g, &b);
    g->src = L2_SRC_LOADED;
    if (!stale || g->rc == 0 || g->rc == ERR_NOTFOUND)
        metric_inc(r->misses); /* else the stale value is served, counted as a hit (settle) */
    bool cacheable = g->rc == 0 || (g->rc == ERR_NOTFOUND && r->negative_ttl_ms > 0);
    if (!cacheable && stale && g->rc != ERR_NOTFOUND && r->grace_ms > 0) {
        buf_reset(&b);
        char h[HDR];
        header(h, stale->kind, stale->stamp);
        buf_append(&b, h, HDR);
        buf_append(&b, stale->payload.p, stale->payload.len);
        metric_inc(r->stale_on_error);
        if (!b.overflow && cache_cas(x->c, g->group, key, buf_str(&b), (r->grace_ms + 999) / 1000,
                                     cas) == ERR_CACHE)
            metric_inc(r->errors);
        buf_free(&b);
        return;
    }
    if (!cacheable || b.len > VALUE_MAX) {
        /* release the lease so waiters try at once; deleting a newer lease of someone else
         * only costs that caller its store */
        if (cache_delete(x->c, g->group, key) == ERR_CACHE)
            metric_inc(r->errors);
        buf_free(&b);
        return;
    }
    int64_t soft = g->rc == 0 ? jitter(x->st, r->ttl_ms) : r->negative_ttl_ms;
    int64_t hard = g->rc == 0 ? soft + r->grace_ms : soft;
    header(b.p, g->rc == 0 ? KIND_VALUE : KIND_NEGATIVE, clock_real_ms() + soft);
    int rc = cache_cas(x->c, g->group, key, buf_str(&b), (hard + 999) / 1000, cas);
    if (rc == ERR_CONFLICT)
        metric_inc(r->refused);
    else if (rc)
        metric_inc(r->errors);
    buf_free(&b);
}

/* corrupt: an entry that cannot be used is deleted; this caller loads without the cache. */
static void corrupt(struct ctx *x, struct l2_get *g, struct str key)
{
    log_warn("cache region %s: corrupt entry %.*s deleted", g->region->name, STR_FMT(key));
    if (cache_delete(x->c, g->group, key) == ERR_CACHE)
        metric_inc(g->region->errors);
    direct(x, g, false);
}

static void sleep_us(int64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/*
 * lease_path: the key is absent (or was a lease when fetched). Take the lease and load, or
 * wait for whoever holds it; bounded by lease_wait_ms in total.
 */
static void lease_path(struct ctx *x, struct l2_get *g, struct str key, bool saw_lease)
{
    int64_t deadline = clock_mono_ns() + x->st->lease_wait_ms * 1000000;
    int64_t step_us = 500;
    bool waited = false;
    for (;;) {
        struct str raw = STR_NULL;
        uint64_t cas = 0;
        int rc;
        if (!saw_lease) {
            uint64_t token = rnd(x->st);
            char lease[HDR];
            header(lease, KIND_LEASE, (int64_t)token);
            rc = cache_add(x->c, g->group, key, (struct str){lease, HDR}, LEASE_TTL_S);
            if (rc == ERR_CACHE) {
                direct(x, g, true);
                return;
            }
            rc = cache_get(x->c, g->group, key, x->a, &raw, &cas);
            struct entry e;
            if (rc == 0 && parse(raw, &e) && e.kind == KIND_LEASE && e.stamp == (int64_t)token) {
                load_and_store(x, g, key, cas, NULL);
                return;
            }
        } else {
            rc = ERR_EXISTS; /* observe below after waiting */
        }
        /* someone else holds the lease, or a value arrived, or the key vanished again */
        for (;;) {
            if (rc == ERR_CACHE) {
                direct(x, g, true);
                return;
            }
            struct entry e;
            if (rc == 0 && !parse(raw, &e)) {
                corrupt(x, g, key);
                return;
            }
            if (rc == 0 && e.kind != KIND_LEASE) {
                if (!serve(x, g, &e, waited ? L2_SRC_WAITED : L2_SRC_HIT))
                    corrupt(x, g, key);
                return;
            }
            if (rc == ERR_NOTFOUND)
                break; /* released or deleted: try for the lease again */
            if (clock_mono_ns() >= deadline) {
                direct(x, g, false);
                return;
            }
            sleep_us(step_us);
            step_us = step_us < 8000 ? step_us * 2 : 10000;
            waited = true;
            rc = cache_get(x->c, g->group, key, x->a, &raw, &cas);
        }
        saw_lease = false;
        if (clock_mono_ns() >= deadline) {
            direct(x, g, false);
            return;
        }
    }
}

/* settle: decide what to do with what the batch read returned for g's key. */
static void settle(struct ctx *x, struct l2_get *g, struct str key, const struct cache_item *it)
{
    struct entry e;
    if (!it->found) {
        lease_path(x, g, key, false);
        return;
    }
    if (!parse(it->val, &e)) {
        corrupt(x, g, key);
        return;
    }
    if (e.kind == KIND_LEASE) {
        lease_path(x, g, key, true);
        return;
    }
    if (clock_real_ms() < e.stamp) {
        if (!serve(x, g, &e, L2_SRC_HIT))
            corrupt(x, g, key);
        return;
    }
    /* stale: one caller refreshes (holding "<key>:r"), the others serve the old value */
    char lk[L2_KEY_MAX + 8];
    int n = snprintf(lk, sizeof lk, "%.*s:r", STR_FMT(key));
    struct str lock = {lk, (size_t)n};
    if (n > 0 && n <= L2_KEY_MAX && cache_add(x->c, g->group, lock, STR("1"), LEASE_TTL_S) == 0) {
        load_and_store(x, g, key, it->cas, &e);
        cache_delete(x->c, g->group, lock);
        /* the database failed: the old value is still the last committed one */
        if (g->rc != 0 && g->rc != ERR_NOTFOUND && !serve(x, g, &e, L2_SRC_STALE))
            corrupt(x, g, key);
        return;
    }
    if (!serve(x, g, &e, L2_SRC_STALE))
        corrupt(x, g, key);
}

/* ---------------------------------------------------------------- near cache */

/* serve_near: answers g from its near entry e (if any); false when it must be read. */
static bool serve_near(struct ctx *x, struct l2_get *g, const struct near_entry *e)
{
    if (!e)
        return false;
    if (e->kind == 'N') {
        g->rc = ERR_NOTFOUND;
        g->val = STR_NULL;
        g->obj = NULL;
    } else {
        /* a copy: the decoded object points into it, and the near slot may be reused */
        struct str v = arena_str_dup(x->a, (struct str){e->val, e->val_len});
        if (g->region->decode(v, x->a, &g->obj))
            return false; /* cannot happen (it decoded when kept); read it again */
        g->rc = 0;
        g->val = v;
    }
    g->src = L2_SRC_NEAR;
    metric_inc(g->region->near_hits); /* not a memcached hit: kept apart (see l2.h) */
    return true;
}

/* keep_near: what g read (fresh, waited for, or loaded) under `epoch`, for near_ttl_ms. */
static void keep_near(struct ctx *x, struct near_table *nt, const struct l2_get *g, uint64_t epoch,
                      int64_t now)
{
    const struct l2_region *r = g->region;
    if (r->near_ttl_ms <= 0 || g->src == L2_SRC_NEAR || g->src == L2_SRC_STALE ||
        g->src == L2_SRC_NONE)
        return;
    int64_t ttl = jitter(x->st, r->near_ttl_ms);
    if (g->rc == 0) {
        near_put(nt, r->slot, g->id, 'V', g->val, epoch, now + ttl * 1000000);
    } else if (g->rc == ERR_NOTFOUND && r->negative_ttl_ms > 0) {
        if (ttl > r->negative_ttl_ms)
            ttl = r->negative_ttl_ms;
        near_put(nt, r->slot, g->id, 'N', STR_NULL, epoch, now + ttl * 1000000);
    }
}

int l2_publish(struct cache *c, const char *nodes)
{
    int failed = cache_near_publish(c, nodes);
    if (failed > 0 && publish_failures)
        metric_add(publish_failures, (uint64_t)failed);
    return failed;
}

/* ---------------------------------------------------------------- batches */

static bool parse_gen(struct str v, uint64_t *out)
{
    int64_t g;
    /* incr may leave trailing spaces in memcached's ASCII value */
    if (!str_to_i64(str_trim(v), &g) || g <= 0)
        return false;
    *out = (uint64_t)g;
    return true;
}

static struct str gen_key(const struct l2_region *r, char *buf, size_t cap)
{
    int n = l2_gen_key(r, buf, cap);
    return (struct str){buf, n > 0 ? (size_t)n : 0};
}

/*
 * new_gen: a generation nobody used before: the clock in microseconds. Generations grow by one
 * per bump, and every bump is a round trip (tens of microseconds at least), so a generation
 * created after another was lost is past every value the lost one reached. (Milliseconds
 * times 1000 were not: a generation created, bumped, lost and created again within one
 * millisecond came back to its first value; test_region_bump_invalidates_everything_in_it
 * caught it.)
 */
static struct str new_gen(char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%llu", (unsigned long long)clock_real_us());
    return (struct str){buf, (size_t)n};
}

/*
 * ensure_gen: the region's generation on the group's server was not found; create it from the
 * clock (or read the one another caller created first).
 */
static bool ensure_gen(struct ctx *x, struct str group, const struct l2_region *r, uint64_t *gen)
{
    char kb[64], vb[32];
    struct str key = gen_key(r, kb, sizeof kb), v = new_gen(vb, sizeof vb);
    int rc = cache_add(x->c, group, key, v, 0);
    if (rc == 0)
        return parse_gen(v, gen);
    if (rc != ERR_EXISTS)
        return false;
    struct str raw;
    return cache_get(x->c, group, key, x->a, &raw, NULL) == 0 && parse_gen(raw, gen);
}

/* hint: where the thread remembers region r's generation on server i (NULL: not kept). */
static uint64_t *hint(struct ctx *x, const struct l2_region *r, int server)
{
    if (server < 0 || server >= CACHE_L2_SERVERS)
        return NULL;
    return &x->st->gen[r->slot][server];
}

/*
 * fetch_group: the entries of one group live on one server, with a copy of each region's
 * generation. One round trip reads the generations and the entries under the remembered
 * generations; entries whose generation moved are read again.
 */
static int fetch_group(struct ctx *x, struct l2_get **g, size_t n)
{
    struct str group = g[0]->group;
    int server = cache_server_of(x->c, group);
    const struct l2_region *regions[L2_BATCH_MAX];
    char gkeys[L2_BATCH_MAX][64];
    uint64_t gens[L2_BATCH_MAX];
    bool known[L2_BATCH_MAX];
    size_t nr = 0, rof[L2_BATCH_MAX];
    struct cache_item items[2 * L2_BATCH_MAX];
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nr && regions[k] != g[i]->region)
            k++;
        if (k == nr) {
            regions[nr] = g[i]->region;
            items[nr] = (struct cache_item){.key = gen_key(g[i]->region, gkeys[nr], 64)};
            nr++;
        }
        rof[i] = k;
    }
    char keys[L2_BATCH_MAX][L2_KEY_MAX + 1];
    const struct cache_item *got[L2_BATCH_MAX];
    size_t ni = nr;
    for (size_t i = 0; i < n; i++) {
        uint64_t *h = hint(x, g[i]->region, server);
        got[i] = NULL;
        if (h && *h) {
            int kl = l2_key(g[i]->region, *h, g[i]->id, keys[i], sizeof keys[i]);
            if (kl < 0)
                return ERR_INVAL;
            got[i] = &items[ni];
            items[ni++] = (struct cache_item){.key = {keys[i], (size_t)kl}};
        }
    }
    int rc = cache_mget(x->c, group, items, ni, x->a);
    if (rc == ERR_INVAL)
        return rc;
    bool moved[L2_BATCH_MAX];
    for (size_t k = 0; k < nr; k++) {
        known[k] = items[k].found ? parse_gen(items[k].val, &gens[k])
                                  : ensure_gen(x, group, regions[k], &gens[k]);
        uint64_t *h = hint(x, regions[k], server);
        moved[k] = !h || *h != gens[k];
        if (known[k] && h)
            *h = gens[k];
    }
    /* entries read under a stale generation (or none) are read again under the current one */
    struct cache_item again[L2_BATCH_MAX];
    size_t na = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = rof[i];
        if (!known[k]) {
            direct(x, g[i], true);
        } else if (!got[i] || moved[k]) {
            int kl = l2_key(g[i]->region, gens[k], g[i]->id, keys[i], sizeof keys[i]);
            if (kl < 0)
                return ERR_INVAL;
            again[na] = (struct cache_item){.key = {keys[i], (size_t)kl}};
            got[i] = &again[na++];
        }
    }
    if (na)
        cache_mget(x->c, group, again, na, x->a); /* failures show as misses: see lease_path */
    for (size_t i = 0; i < n; i++)
        if (g[i]->src == L2_SRC_NONE) /* else already served without the cache */
            settle(x, g[i], got[i]->key, got[i]);
    return 0;
}

int l2_fetch(struct cache *c, struct l2_get *g, size_t n, struct arena *a)
{
    if (n > L2_BATCH_MAX)
        return ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (!g[i].region || !g[i].region->slot)
            misuse("used before l2_region_init", g[i].region ? g[i].region->name : NULL);
        if (!g[i].group.len)
            g[i].group = g[i].id;
        if (!id_ok(g[i].id) || !id_ok(g[i].group))
            return ERR_INVAL;
        g[i].rc = ERR_INTERNAL;
        g[i].val = STR_NULL;
        g[i].obj = NULL;
        g[i].src = L2_SRC_NONE;
    }
    struct ctx x = {c, cache_l2(c), a};
    if (!cache_enabled(c)) {
        for (size_t i = 0; i < n; i++)
            direct(&x, &g[i], false);
        return 0;
    }
    /* the near cache first; the epoch is sampled before anything is read (near.h) */
    bool done[L2_BATCH_MAX] = {false};
    struct near_table *nt = cache_near(c);
    uint64_t epoch = nt ? near_epoch() : 0;
    int64_t now = 0;
    if (epoch == 0) /* no near cache, or the node is not a member (near.h) */
        nt = NULL;
    if (nt) {
        now = clock_mono_ns();
        for (size_t i = 0; i < n; i++)
            if (g[i].region->near_ttl_ms > 0)
                done[i] =
                    serve_near(&x, &g[i], near_get(nt, g[i].region->slot, g[i].id, epoch, now));
    }
    /* one round trip per group, in the order the groups first appear */
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        struct l2_get *same[L2_BATCH_MAX];
        size_t ns = 0;
        for (size_t j = i; j < n; j++) {
            if (!done[j] && str_eq(g[j].group, g[i].group)) {
                same[ns++] = &g[j];
                done[j] = true;
            }
        }
        int rc = fetch_group(&x, same, ns);
        if (rc)
            return rc;
    }
    if (nt)
        for (size_t i = 0; i < n; i++)
            keep_near(&x, nt, &g[i], epoch, now);
    return 0;
}

/* ---------------------------------------------------------------- natural-id memo */

static struct cache_l2_memo *memo_slot(struct cache *c, const struct l2_region *r, struct str id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < id.len; i++)
        h = (h ^ (unsigned char)id.p[i]) * 16777619u;
    h = (h ^ (uint32_t)r->slot) * 16777619u;
    return &cache_l2(c)->memo[h % CACHE_L2_MEMO];
}

bool l2_memo_get(struct cache *c, const struct l2_region *r, struct str id, int64_t *value)
{
    if (!r->slot || id.len == 0 || id.len > CACHE_L2_MEMO_ID)
        return false;
    const struct cache_l2_memo *m = memo_slot(c, r, id);
    if (m->slot != r->slot || m->len != id.len || memcmp(m->id, id.p, id.len) != 0)
        return false;
    *value = m->value;
    return true;
}

void l2_memo_put(struct cache *c, const struct l2_region *r, struct str id, int64_t value)
{
    if (!r->slot || id.len == 0 || id.len > CACHE_L2_MEMO_ID)
        return;
    struct cache_l2_memo *m = memo_slot(c, r, id);
    m->slot = r->slot;
    m->len = (uint8_t)id.len;
    memcpy(m->id, id.p, id.len);
    m->value = value;
}

/* ---------------------------------------------------------------- writes */

int l2_region_bump(struct cache *c, const struct l2_region *r)
{
    if (!cache_enabled(c))
        return 0;
    /* every server keeps its own copy of the generation: bump each */
    char kb[64];
    struct str key = gen_key(r, kb, sizeof kb);
    int failed = 0;
    for (int i = 0; i < cache_servers(c); i++) {
        struct str group = cache_server_group(c, i);
        uint64_t v;
        int rc = ERR_CACHE;
        for (int attempt = 0; attempt < 3; attempt++) {
            rc = cache_incr(c, group, key, 1, &v);
            if (rc != ERR_NOTFOUND)
                break;
            /* no generation there yet: a fresh one from the clock is newer than any before */
            char vb[32];
            rc = cache_add(c, group, key, new_gen(vb, sizeof vb), 0);
            if (rc != ERR_EXISTS)
                break;
        }
        if (rc || !group.len)
            failed++;
    }
    if (!failed)
        return 0;
    metric_inc(r->errors);
    log_error("cache region %s: generation bump failed on %d server(s); their entries may live "
              "until their TTL",
              r->name, failed);
    return ERR_CACHE;
}

int l2_invalidate(struct cache *c, const struct l2_region *r, struct str group, struct str id)
{
    if (!r->slot)
        misuse("used before l2_region_init", r->name);
    if (!group.len)
        group = id;
    if (!id_ok(id) || !id_ok(group))
        return ERR_INVAL;
    if (!cache_enabled(c))
        return 0;
    metric_inc(r->invalidations);
    struct arena *a = arena_new(1024, 64 * 1024);
    char kb[64];
    struct str gk = gen_key(r, kb, sizeof kb);
    int rc = ERR_CACHE;
    for (int attempt = 0; attempt < 2 && rc; attempt++) {
        struct str raw;
        uint64_t gen;
        rc = cache_get(c, group, gk, a, &raw, NULL);
        if (rc == ERR_NOTFOUND) {
            rc = 0; /* no generation on that server: nothing can be cached there */
        } else if (rc == 0 && parse_gen(raw, &gen)) {
            char key[L2_KEY_MAX + 1];
            int kl = l2_key(r, gen, id, key, sizeof key);
            rc = kl < 0 ? ERR_INVAL : cache_delete(c, group, (struct str){key, (size_t)kl});
        } else if (rc == 0) {
            rc = ERR_CACHE;
        }
    }
    arena_destroy(a);
    if (rc == 0 || rc == ERR_INVAL)
        return rc;
    metric_inc(r->errors);
    log_warn("cache region %s: cannot delete %.*s after a write; bumping the region", r->name,
             STR_FMT(id));
    return l2_region_bump(c, r);
}

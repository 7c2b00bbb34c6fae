/* cache — per-thread memcached handle; see cache.h. */
#include "cache.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/sec.h"
#include "near.h"

#include <libmemcached/memcached.h>
#include <stdio.h>
#include <string.h>

#define GROUP_MAX 32

/*
 * Server state, node-wide: a stampede_cache_server_up{server} gauge per configured server,
 * registered by cache_metrics_init before the fork. 1 until a failure says otherwise; the
 * caller whose swap changes it writes the log line, so a loss and a return are logged once
 * per node however many threads see them. stampede_cache_server_changed_timestamp_seconds
 * says when it last changed: for a retry timeout (+1 s) after a return, failures are not taken
 * as a new loss, since other handles are still reconnecting from the old one (seen in
 * tests/integration/test_cache.c as lost/regained flapping on every restart).
 */
#define SERVERS_MAX 16
static struct metric *server_up[SERVERS_MAX], *server_changed[SERVERS_MAX];
static char server_name[SERVERS_MAX][80];
static int nserver_up;

struct cache {
    memcached_st *mc;
    bool enabled;
    int nservers;
    struct metric **up;              /* per server index: its gauge (NULL when not registered) */
    struct metric **changed;         /* per server index: when it last changed (Unix seconds) */
    int64_t grace_s;                 /* failures right after a return are not a loss (see above) */
    const char **up_name;            /* per server index: "host:port" */
    char (*server_group)[GROUP_MAX]; /* a group key per server index */
    struct cache_stats stats;
    struct cache_l2_state l2;
    struct near_table *near;
    char *near_peers, *near_secret;
    int64_t near_timeout_ms;
};

/* instance_name: "host:port" of the server at position i of mc. */
static void instance_name(const memcached_st *mc, uint32_t i, char *out, size_t n)
{
    const memcached_instance_st *in = memcached_server_instance_by_position(mc, i);
    snprintf(out, n, "%s:%u", memcached_server_name(in), (unsigned)memcached_server_port(in));
}

void cache_metrics_init(const char *servers)
{
    if (!servers || !*servers)
        return;
    /* parsed as cache_new parses it, so the names match its servers' */
    memcached_st *mc = memcached_create(NULL);
    memcached_server_st *list = memcached_servers_parse(servers);
    if (list && memcached_server_push(mc, list) == MEMCACHED_SUCCESS) {
        uint32_t n = memcached_server_count(mc);
        for (uint32_t i = 0; i < n && nserver_up < SERVERS_MAX; i++) {
            char name[80], labels[120];
            instance_name(mc, i, name, sizeof name);
            bool seen = false;
            for (int k = 0; k < nserver_up; k++)
                seen |= strcmp(server_name[k], name) == 0;
            if (seen)
                continue;
            snprintf(labels, sizeof labels, "server=\"%s\"", name);
            struct metric *m = metrics_gauge("stampede_cache_server_up", labels,
                                             "1 while this node reaches the memcached server, 0 "
                                             "after a failure until it answers.");
            struct metric *t =
                metrics_gauge("stampede_cache_server_changed_timestamp_seconds", labels,
                              "When stampede_cache_server_up last changed (Unix time; 0: never).");
            if (!m || !t)
                continue;
            metric_set(m, 1); /* assumed up until a failure says otherwise */
            memcpy(server_name[nserver_up], name, sizeof name);
            server_changed[nserver_up] = t;
            server_up[nserver_up++] = m;
        }
    }
    if (list)
        memcached_server_list_free(list);
    memcached_free(mc);
}

size_t cache_server_stats(const struct cache_opts *o, struct cache_server_stat *out, size_t max)
{
    size_t n = 0;
    if (!o->servers || !*o->servers)
        return 0;
    memcached_st *all = memcached_create(NULL);
    memcached_server_st *list = memcached_servers_parse(o->servers);
    if (!list || memcached_server_push(all, list) != MEMCACHED_SUCCESS)
        goto done;
    uint32_t count = memcached_server_count(all);
    for (uint32_t i = 0; i < count && n < max; i++) {
        const memcached_instance_st *in = memcached_server_instance_by_position(all, i);
        struct cache_server_stat *st = &out[n];
        memset(st, 0, sizeof *st);
        instance_name(all, i, st->server, sizeof st->server);
        bool seen = false;
        for (size_t k = 0; k < n; k++)
            seen |= strcmp(out[k].server, st->server) == 0;
        if (seen)
            continue;
        n++;
        /* its own handle: the answer is this server's alone, and nothing is remembered
         * (no retry timeout) from one scrape to the next */
        memcached_st *one = memcached_create(NULL);
        memcached_behavior_set(one, MEMCACHED_BEHAVIOR_NO_BLOCK, 1);
        memcached_behavior_set(one, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT,
                               (uint64_t)o->connect_timeout_ms);
        memcached_behavior_set(one, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, (uint64_t)o->poll_timeout_ms);
        memcached_behavior_set(one, MEMCACHED_BEHAVIOR_SND_TIMEOUT,
                               (uint64_t)o->poll_timeout_ms * 1000);
        memcached_behavior_set(one, MEMCACHED_BEHAVIOR_RCV_TIMEOUT,
                               (uint64_t)o->poll_timeout_ms * 1000);
        memcached_return_t rc =
            memcached_server_add(one, memcached_server_name(in), memcached_server_port(in));
        memcached_stat_st *ms = NULL;
        if (rc == MEMCACHED_SUCCESS)
            ms = memcached_stat(one, NULL, &rc);
        if (ms && rc == MEMCACHED_SUCCESS) {
            st->up = true;
            st->items = ms->curr_items;
            st->bytes = ms->bytes;
            st->limit_bytes = ms->limit_maxbytes;
            st->evictions = ms->evictions;
            st->get_hits = ms->get_hits;
            st->get_misses = ms->get_misses;
            st->connections = ms->curr_connections;
            st->uptime_s = ms->uptime;
        }
        if (ms)
            memcached_stat_free(one, ms);
        memcached_free(one);
    }
done:
    if (list)
        memcached_server_list_free(list);
    memcached_free(all);
    return n;
}

/* server_state: records that server i answered (up) or failed; logs a change once per node. */
static void server_state(struct cache *c, int i, bool up, memcached_return_t r)
{
    if (i < 0 || i >= c->nservers || !c->up[i])
        return;
    int64_t now = clock_real_s();
    if (!up && metric_gauge(c->up[i]) && now - metric_gauge(c->changed[i]) < c->grace_s)
        return;
    int64_t was = metric_swap(c->up[i], up ? 1 : 0);
    if (was != (up ? 1 : 0))
        metric_set(c->changed[i], now);
    if (was && !up)
        log_warn("cache: memcached server %s lost (%s); its keys are read from the database "
                 "until it answers again",
                 c->up_name[i], memcached_strerror(c->mc, r));
    else if (!was && up)
        log_warn("cache: memcached server %s regained; its keys are cached again", c->up_name[i]);
}

/* any_down: some server is marked lost (cheap: a load per server, no hashing). */
static bool any_down(const struct cache *c)
{
    for (int i = 0; i < c->nservers; i++)
        if (c->up[i] && metric_gauge(c->up[i]) == 0)
            return true;
    return false;
}

/*
 * answered: the server of group gave a real answer (a value, a stored or refused store, a
 * delete) and may have been lost before. An empty get is no such proof: libmemcached can end
 * a fetch from a server it could not reach as if nothing were found.
 */
static void answered(struct cache *c, struct str group)
{
    if (!any_down(c))
        return;
    server_state(c, (int)memcached_generate_hash(c->mc, group.p, group.len), true,
                 MEMCACHED_SUCCESS);
}

/* unreachable: r says the server did not answer just now (refused, timed out, cut), not that
 * a live server refused the operation. MEMCACHED_SERVER_MARKED_DEAD is left out: it is this
 * handle remembering an earlier failure during its retry timeout, and would report a server
 * lost again right after another handle saw it return. */
static bool unreachable(memcached_return_t r)
{
    switch (r) {
    case MEMCACHED_CONNECTION_FAILURE:
    case MEMCACHED_CONNECTION_SOCKET_CREATE_FAILURE:
    case MEMCACHED_HOST_LOOKUP_FAILURE:
    case MEMCACHED_TIMEOUT:
    case MEMCACHED_ERRNO:
    case MEMCACHED_WRITE_FAILURE:
    case MEMCACHED_READ_FAILURE:
    case MEMCACHED_UNKNOWN_READ_FAILURE:
    case MEMCACHED_SOME_ERRORS:
        return true;
    default:
        return false;
    }
}

static bool key_ok(struct str k)
{
    if (k.len == 0 || k.len > 250)
        return false;
    for (size_t i = 0; i < k.len; i++) {
        unsigned char c = (unsigned char)k.p[i];
        if (c <= ' ' || c >= 0x7f)
            return false;
    }
    return true;
}

struct cache *cache_new(const struct cache_opts *o)
{
    struct cache *c = mem_calloc(1, sizeof *c);
    c->l2.lease_wait_ms = o->lease_wait_ms > 0 ? o->lease_wait_ms : 200;
    sec_random(&c->l2.rng, sizeof c->l2.rng);
    c->l2.rng |= 1; /* xorshift state must not be 0 */
    c->near_peers = mem_strdup(o->near_peers ? o->near_peers : "");
    c->near_secret = mem_strdup(o->near_secret ? o->near_secret : "");
    c->near_timeout_ms = o->near_timeout_ms > 0 ? o->near_timeout_ms : 1000;
    if (!o->enabled || !o->servers || !*o->servers)
        return c;
    c->mc = memcached_create(NULL);
    memcached_server_st *list = memcached_servers_parse(o->servers);
    if (!list || memcached_server_push(c->mc, list) != MEMCACHED_SUCCESS) {
        log_error("cache: cannot parse servers '%s'; running without cache", o->servers);
        if (list)
            memcached_server_list_free(list);
        memcached_free(c->mc);
        c->mc = NULL;
        return c;
    }
    memcached_server_list_free(list);
    c->nservers = (int)memcached_server_count(c->mc);
    c->up = mem_calloc((size_t)c->nservers, sizeof *c->up);
    c->up_name = mem_calloc((size_t)c->nservers, sizeof *c->up_name);
    c->changed = mem_calloc((size_t)c->nservers, sizeof *c->changed);
    c->grace_s = (o->retry_timeout_s > 0 ? o->retry_timeout_s : 2) + 1;
    for (int i = 0; i < c->nservers; i++) {
        char name[80];
        instance_name(c->mc, (uint32_t)i, name, sizeof name);
        for (int k = 0; k < nserver_up; k++) {
            if (strcmp(server_name[k], name) == 0) {
                c->up[i] = server_up[k];
                c->changed[i] = server_changed[k];
                c->up_name[i] = server_name[k];
            }
        }
    }
    /* set once: every behavior_set resets the connections */
    memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_DISTRIBUTION,
                           MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
    memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_NO_BLOCK, 1);
    memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
    memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT,
                           (uint64_t)o->connect_timeout_ms);
    memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, (uint64_t)o->poll_timeout_ms);
    memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_SND_TIMEOUT,
                           (uint64_t)o->poll_timeout_ms * 1000);
    memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_RCV_TIMEOUT,
                           (uint64_t)o->poll_timeout_ms * 1000);
    memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT,
                           (uint64_t)(o->retry_timeout_s > 0 ? o->retry_timeout_s : 2));
    memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_SUPPORT_CAS, 1);
    /* a group key that lands on each server, found by probing the ring */
    c->server_group = mem_calloc((size_t)c->nservers, sizeof *c->server_group);
    int found = 0;
    for (int n = 0; found < c->nservers && n < 100000; n++) {
        char g[GROUP_MAX];
        int len = snprintf(g, sizeof g, "st1:srv:%d", n);
        uint32_t i = memcached_generate_hash(c->mc, g, (size_t)len);
        if (i < (uint32_t)c->nservers && !c->server_group[i][0]) {
            memcpy(c->server_group[i], g, (size_t)len + 1);
            found++;
        }
    }
    if (found < c->nservers)
        log_warn("cache: could not address every memcached server; region bumps may miss some");
    c->enabled = true;
    if (o->near && near_active())
        c->near = near_table_new();
    return c;
}

void cache_free(struct cache *c)
{
    if (!c)
        return;
    if (c->mc)
        memcached_free(c->mc);
    mem_free(c->server_group);
    mem_free(c->up);
    mem_free(c->changed);
    mem_free(c->up_name);
    near_table_free(c->near);
    mem_free(c->near_peers);
    mem_free(c->near_secret);
    mem_free(c);
}

bool cache_enabled(const struct cache *c)
{
    return c->enabled;
}

static int fail(struct cache *c, struct str group, memcached_return_t r, const char *op)
{
    c->stats.errors++;
    if (unreachable(r))
        server_state(c, (int)memcached_generate_hash(c->mc, group.p, group.len), false, r);
    log_debug("cache %s failed: %s", op, memcached_strerror(c->mc, r));
    return ERR_CACHE;
}

/* group_of: the routing key of an operation (the item's own key when no group is given). */
static bool group_of(struct str *group, struct str key)
{
    if (!group->len)
        *group = key;
    return key_ok(key) && key_ok(*group);
}

int cache_get(struct cache *c, struct str group, struct str key, struct arena *a, struct str *val,
              uint64_t *cas)
{
    if (!c->enabled)
        return ERR_NOTFOUND;
    if (!group_of(&group, key))
        return ERR_INVAL;
    c->stats.gets++;
    const char *keys[1] = {key.p};
    size_t lens[1] = {key.len};
    memcached_return_t r = memcached_mget_by_key(c->mc, group.p, group.len, keys, lens, 1);
    if (r != MEMCACHED_SUCCESS)
        return fail(c, group, r, "get");
    memcached_result_st result;
    memcached_result_create(c->mc, &result);
    int rc = ERR_NOTFOUND;
    memcached_result_st *res;
    while ((res = memcached_fetch_result(c->mc, &result, &r)) != NULL) {
        if (rc == ERR_NOTFOUND) {
            *val = arena_str_dup(
                a, (struct str){memcached_result_value(res), memcached_result_length(res)});
            if (cas)
                *cas = memcached_result_cas(res);
            rc = 0;
        }
    }
    memcached_result_free(&result);
    if (rc == 0) {
        c->stats.hits++;
        answered(c, group);
        return 0;
    }
    if (r != MEMCACHED_END && r != MEMCACHED_NOTFOUND && r != MEMCACHED_SUCCESS)
        return fail(c, group, r, "get");
    c->stats.misses++; /* not proof the server is back: see answered() */
    return ERR_NOTFOUND;
}

int cache_mget(struct cache *c, struct str group, struct cache_item *items, size_t n,
               struct arena *a)
{
    for (size_t i = 0; i < n; i++) {
        items[i].found = false;
        items[i].val = STR_NULL;
        items[i].cas = 0;
    }
    if (!c->enabled || n == 0)
        return 0;
    enum { MAX_KEYS = 64 };
    if (n > MAX_KEYS)
        return ERR_INVAL;
    const char *keys[MAX_KEYS];
    size_t lens[MAX_KEYS];
    if (!group_of(&group, items[0].key))
        return ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (!key_ok(items[i].key))
            return ERR_INVAL;
        keys[i] = items[i].key.p;
        lens[i] = items[i].key.len;
    }
    c->stats.gets += n;
    memcached_return_t r = memcached_mget_by_key(c->mc, group.p, group.len, keys, lens, n);
    bool partial = r == MEMCACHED_SOME_ERRORS;
    if (r != MEMCACHED_SUCCESS && !partial)
        return fail(c, group, r, "mget");
    memcached_result_st result;
    memcached_result_create(c->mc, &result);
    memcached_result_st *res;
    while ((res = memcached_fetch_result(c->mc, &result, &r)) != NULL) {
        struct str k = {memcached_result_key_value(res), memcached_result_key_length(res)};
        for (size_t i = 0; i < n; i++) {
            if (!items[i].found && str_eq(items[i].key, k)) {
                items[i].found = true;
                items[i].val = arena_str_dup(
                    a, (struct str){memcached_result_value(res), memcached_result_length(res)});
                items[i].cas = memcached_result_cas(res);
                c->stats.hits++;
                break;
            }
        }
    }
    memcached_result_free(&result);
    if (r != MEMCACHED_END && r != MEMCACHED_NOTFOUND && r != MEMCACHED_SUCCESS)
        return fail(c, group, r, "mget");
    for (size_t i = 0; i < n; i++)
        c->stats.misses += !items[i].found;
    if (partial)
        return fail(c, group, MEMCACHED_SOME_ERRORS, "mget");
    for (size_t i = 0; i < n; i++) {
        if (items[i].found) {
            answered(c, group);
            break;
        }
    }
    return 0;
}

static int store(struct cache *c, int op, struct str group, struct str key, struct str val,
                 int64_t ttl, uint64_t cas)
{
    if (!c->enabled)
        return 0;
    if (!group_of(&group, key))
        return ERR_INVAL;
    c->stats.sets++;
    memcached_return_t r;
    time_t t = (time_t)ttl;
    const char *g = group.p, *k = key.p;
    if (op == 0)
        r = memcached_set_by_key(c->mc, g, group.len, k, key.len, val.p, val.len, t, 0);
    else if (op == 1)
        r = memcached_add_by_key(c->mc, g, group.len, k, key.len, val.p, val.len, t, 0);
    else
        r = memcached_cas_by_key(c->mc, g, group.len, k, key.len, val.p, val.len, t, 0, cas);
    if (r == MEMCACHED_SUCCESS || r == MEMCACHED_STORED) {
        answered(c, group);
        return 0;
    }
    if (r == MEMCACHED_NOTSTORED || r == MEMCACHED_DATA_EXISTS || r == MEMCACHED_NOTFOUND) {
        answered(c, group);
        return r == MEMCACHED_NOTFOUND || op != 1 ? ERR_CONFLICT : ERR_EXISTS;
    }
    return fail(c, group, r, op == 0 ? "set" : op == 1 ? "add" : "cas");
}

int cache_set(struct cache *c, struct str group, struct str key, struct str val, int64_t ttl_s)
{
    return store(c, 0, group, key, val, ttl_s, 0);
}

int cache_add(struct cache *c, struct str group, struct str key, struct str val, int64_t ttl_s)
{
    return store(c, 1, group, key, val, ttl_s, 0);
}

int cache_cas(struct cache *c, struct str group, struct str key, struct str val, int64_t ttl_s,
              uint64_t cas)
{
    return store(c, 2, group, key, val, ttl_s, cas);
}

int cache_delete(struct cache *c, struct str group, struct str key)
{
    if (!c->enabled)
        return 0;
    if (!group_of(&group, key))
        return ERR_INVAL;
    c->stats.deletes++;
    memcached_return_t r = memcached_delete_by_key(c->mc, group.p, group.len, key.p, key.len, 0);
    if (r == MEMCACHED_SUCCESS || r == MEMCACHED_NOTFOUND) {
        if (r == MEMCACHED_SUCCESS)
            answered(c, group);
        return 0;
    }
    return fail(c, group, r, "delete");
}

int cache_incr(struct cache *c, struct str group, struct str key, uint64_t delta, uint64_t *out)
{
    if (!c->enabled)
        return ERR_NOTFOUND;
    if (!group_of(&group, key))
        return ERR_INVAL;
    memcached_return_t r =
        memcached_increment_by_key(c->mc, group.p, group.len, key.p, key.len, delta, out);
    if (r == MEMCACHED_SUCCESS)
        return 0;
    if (r == MEMCACHED_NOTFOUND)
        return ERR_NOTFOUND;
    return fail(c, group, r, "incr");
}

/*
 * server_answers: server i answers a get right now. A get of a key that does not exist, routed
 * to that server by its group, costs one round trip; a dead server fails it (at once while
 * libmemcached has it marked dead). Unlike a server's remembered version, this sees a server
 * that died after this handle last used it.
 */
static bool server_answers(struct cache *c, int i)
{
    struct str g = cache_server_group(c, i);
    const char *keys[1] = {"st1:probe"};
    size_t lens[1] = {9};
    memcached_return_t r = memcached_mget_by_key(c->mc, g.p, g.len, keys, lens, 1);
    if (r != MEMCACHED_SUCCESS)
        return false;
    memcached_result_st result;
    memcached_result_create(c->mc, &result);
    while (memcached_fetch_result(c->mc, &result, &r) != NULL)
        ;
    memcached_result_free(&result);
    return r == MEMCACHED_END || r == MEMCACHED_NOTFOUND || r == MEMCACHED_SUCCESS;
}

enum cache_health cache_check(struct cache *c, int *servers_up, int *servers_total)
{
    *servers_up = 0;
    *servers_total = c->nservers;
    if (!c->enabled)
        return CACHE_DISABLED;
    for (int i = 0; i < c->nservers; i++) {
        bool ok = server_answers(c, i);
        server_state(c, i, ok, MEMCACHED_CONNECTION_FAILURE);
        *servers_up += ok;
    }
    return *servers_up == c->nservers ? CACHE_UP : CACHE_DEGRADED;
}

const char *cache_health_name(enum cache_health h)
{
    switch (h) {
    case CACHE_UP:
        return "up";
    case CACHE_DEGRADED:
        return "degraded";
    case CACHE_DISABLED:
        return "disabled";
    }
    return "?";
}

int cache_servers(const struct cache *c)
{
    return c->enabled ? c->nservers : 0;
}

int cache_server_of(const struct cache *c, struct str group)
{
    if (!c->enabled || !key_ok(group))
        return -1;
    return (int)memcached_generate_hash(c->mc, group.p, group.len);
}

struct str cache_server_group(const struct cache *c, int i)
{
    if (!c->enabled || i < 0 || i >= c->nservers)
        return STR_NULL;
    return str_from_cstr(c->server_group[i]);
}

struct cache_l2_state *cache_l2(struct cache *c)
{
    return &c->l2;
}

struct near_table *cache_near(struct cache *c)
{
    return c->near;
}

int cache_near_publish(struct cache *c, const char *nodes)
{
    if (!nodes || !*nodes)
        return near_publish(c->near_peers, str_from_cstr(c->near_secret), c->near_timeout_ms);
    if (!*c->near_peers)
        return near_publish(nodes, str_from_cstr(c->near_secret), c->near_timeout_ms);
    size_t a = strlen(c->near_peers), b = strlen(nodes);
    char *all = mem_alloc(a + b + 2);
    memcpy(all, c->near_peers, a);
    all[a] = ',';
    memcpy(all + a + 1, nodes, b + 1);
    int failed = near_publish(all, str_from_cstr(c->near_secret), c->near_timeout_ms);
    mem_free(all);
    return failed;
}

void cache_stats_get(const struct cache *c, struct cache_stats *out)
{
    *out = c->stats;
}

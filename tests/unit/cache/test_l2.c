/*
 * Unit tests for app/cache/l2 (and the pack records it stores): key building, and the
 * load/lease protocol against a real memcached that this test starts on a free port (like
 * memcached's own t/ tests). Interleavings that would be races between processes are made
 * deterministic by doing the "other process's" step inside the loader, with a second handle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cache/l2.h"
#include "cache/near.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/pack.h"
#include "core/sec.h"

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t mc_pid[2];
static int mc_port[2];
static char servers[64];      /* both */
static struct cache *C1, *C2; /* two "processes" */
static struct arena *A;

/* ---------------------------------------------------------------- fixtures */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) ||
        getsockname(fd, (struct sockaddr *)&sa, &len))
        fail_msg("cannot find a free port");
    close(fd);
    return ntohs(sa.sin_port);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static struct cache *handle(const char *srv, int64_t lease_wait_ms)
{
    struct cache_opts o = {srv, true, 200, 500, 1, lease_wait_ms};
    return cache_new(&o);
}

static void mc_start(int i)
{
    char port[16], one[32];
    snprintf(port, sizeof port, "%d", mc_port[i]);
    mc_pid[i] = fork();
    if (mc_pid[i] == 0) {
        if (geteuid() == 0)
            execlp("memcached", "memcached", "-l", "127.0.0.1", "-p", port, "-U", "0", "-m", "16",
                   "-t", "1", "-u", "root", (char *)NULL);
        else
            execlp("memcached", "memcached", "-l", "127.0.0.1", "-p", port, "-U", "0", "-m", "16",
                   "-t", "1", (char *)NULL);
        _exit(127);
    }
    snprintf(one, sizeof one, "127.0.0.1:%d", mc_port[i]);
    struct cache *probe = handle(one, 100);
    int up = 0, total = 0;
    for (int k = 0; k < 100 && up == 0; k++) {
        cache_check(probe, &up, &total);
        if (!up)
            sleep_ms(50);
    }
    cache_free(probe);
    if (!up)
        fail_msg("memcached did not start on port %d", mc_port[i]);
}

static void mc_stop(int i)
{
    if (mc_pid[i] > 0) {
        kill(mc_pid[i], SIGTERM);
        waitpid(mc_pid[i], NULL, 0);
        mc_pid[i] = 0;
    }
}

static int setup(void **state)
{
    (void)state;
    if (access("/usr/bin/memcached", X_OK) != 0 && access("/usr/local/bin/memcached", X_OK) != 0)
        return 0; /* the protocol tests skip themselves */
    sec_init();
    mc_port[0] = free_port();
    do
        mc_port[1] = free_port();
    while (mc_port[1] == mc_port[0]);
    snprintf(servers, sizeof servers, "127.0.0.1:%d,127.0.0.1:%d", mc_port[0], mc_port[1]);
    mc_start(0);
    mc_start(1);
    C1 = handle(servers, 500);
    C2 = handle(servers, 500);
    A = arena_new(64 * 1024, 64 << 20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cache_free(C1);
    cache_free(C2);
    if (A)
        arena_destroy(A);
    mc_stop(0);
    mc_stop(1);
    return 0;
}

#define NEED_MEMCACHED() \
    do {                 \
        if (!C1)         \
            skip();      \
    } while (0)

/* ---------------------------------------------------------------- a fake database */

struct src {
    char value[64];
    bool missing;
    atomic_int loads;
    int sleep_ms;
    atomic_int *started;
    void (*during)(struct src *); /* a write by someone else, after this loader has read */
    const struct l2_region *region;
    const char *id;
};

static int load(void *arg, struct buf *out)
{
    struct src *s = arg;
    atomic_fetch_add(&s->loads, 1);
    if (s->started)
        atomic_store(s->started, 1);
    if (s->missing)
        return ERR_NOTFOUND;
    char read[64];
    snprintf(read, sizeof read, "%s", s->value);
    if (s->sleep_ms)
        sleep_ms(s->sleep_ms);
    if (s->during)
        s->during(s);
    buf_append_cstr(out, read);
    return 0;
}

static int decode(struct str payload, struct arena *a, void **out)
{
    if (payload.len >= 3 && memcmp(payload.p, "BAD", 3) == 0)
        return ERR_INVAL;
    *out = arena_cstr(a, payload);
    return 0;
}

static struct l2_region r_long = {.name = "testlong",
                                  .version = 1,
                                  .ttl_ms = 600000,
                                  .grace_ms = 60000,
                                  .negative_ttl_ms = 60000,
                                  .decode = decode};
static struct l2_region r_noneg = {
    .name = "testnoneg", .version = 1, .ttl_ms = 600000, .grace_ms = 0, .decode = decode};
static struct l2_region r_short = {
    .name = "testshort", .version = 1, .ttl_ms = 1000, .grace_ms = 60000, .decode = decode};

static int fetch1(struct cache *c, const struct l2_region *r, const char *id, struct src *s,
                  enum l2_source *src, const char **val)
{
    struct l2_get g = {.region = r, .id = str_from_cstr(id), .load = load, .arg = s};
    assert_int_equal(l2_fetch(c, &g, 1, A), 0);
    *src = g.src;
    *val = g.rc == 0 ? g.obj : NULL;
    if (g.rc == 0)
        assert_string_equal(g.obj, g.val.p);
    return g.rc;
}

/* unique ids per test run, so reruns against one memcached do not see old entries */
static const char *uid(const char *base)
{
    static char buf[8][64];
    static int n;
    static unsigned run;
    if (!run)
        run = (unsigned)getpid();
    char *b = buf[n++ % 8];
    snprintf(b, 64, "%s-%u", base, run);
    return b;
}

/* entry_key: the memcached key of id under the region's current generation. */
static struct str entry_key(const struct l2_region *r, const char *id, char key[L2_KEY_MAX + 1])
{
    char gk[64];
    struct str raw;
    int64_t gen;
    l2_gen_key(r, gk, sizeof gk);
    /* the generation copy on the server of the entry's group (here: its id) */
    assert_int_equal(cache_get(C1, str_from_cstr(id), str_from_cstr(gk), A, &raw, NULL), 0);
    assert_true(str_to_i64(str_trim(raw), &gen));
    int kl = l2_key(r, (uint64_t)gen, str_from_cstr(id), key, L2_KEY_MAX + 1);
    assert_true(kl > 0);
    return (struct str){key, (size_t)kl};
}

/* ---------------------------------------------------------------- keys and records */

static void test_keys_carry_schema_region_version_and_generation(void **state)
{
    (void)state;
    l2_region_init(&r_long);
    char k[L2_KEY_MAX + 1];
    int n = l2_key(&r_long, 1732312312000000ULL, STR("daybreak-01"), k, sizeof k);
    assert_int_equal(n, (int)strlen(k));
    assert_string_equal(k, "st1:testlong.1:1732312312000000:daybreak-01");
    n = l2_gen_key(&r_long, k, sizeof k);
    assert_string_equal(k, "st1:gen:testlong.1");
    /* ids the key space cannot hold are refused before anything is sent */
    assert_int_equal(l2_key(&r_long, 1, STR(""), k, sizeof k), ERR_INVAL);
    assert_int_equal(l2_key(&r_long, 1, STR("a b"), k, sizeof k), ERR_INVAL);
    assert_int_equal(l2_key(&r_long, 1, STR("a:b"), k, sizeof k), ERR_INVAL);
    assert_int_equal(l2_key(&r_long, 1, STR("caf\xc3\xa9"), k, sizeof k), ERR_INVAL);
    char longid[L2_ID_MAX + 2];
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_int_equal(l2_key(&r_long, 1, str_from_cstr(longid), k, sizeof k), ERR_INVAL);
    longid[L2_ID_MAX] = '\0';
    assert_true(l2_key(&r_long, UINT64_MAX, str_from_cstr(longid), k, sizeof k) > 0);
    assert_true(strlen(k) <= L2_KEY_MAX);
    /* a too small buffer is an error, not a truncated key */
    assert_int_equal(l2_key(&r_long, 1, STR("abc"), k, 10), ERR_INVAL);
}

static void test_pack_round_trip_and_corruption(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 16);
    pack_i64(&b, -5);
    pack_str(&b, STR("héllo"));
    pack_i64(&b, INT64_MAX);
    pack_str(&b, STR(""));
    struct pack_r r = pack_reader(buf_str(&b));
    assert_int_equal(pack_r_i64(&r), -5);
    struct str s = pack_r_str(&r);
    assert_int_equal(s.len, strlen("héllo"));
    assert_string_equal(s.p, "héllo"); /* NUL-terminated in place */
    assert_true(pack_r_i64(&r) == INT64_MAX);
    assert_int_equal(pack_r_str(&r).len, 0);
    assert_true(pack_r_done(&r));
    /* every truncation is detected */
    for (size_t cut = 0; cut < b.len; cut++) {
        struct pack_r t = pack_reader((struct str){b.p, cut});
        pack_r_i64(&t);
        pack_r_str(&t);
        pack_r_i64(&t);
        pack_r_str(&t);
        assert_false(pack_r_done(&t));
    }
    /* a count larger than the record can hold is refused (no huge allocation) */
    buf_reset(&b);
    pack_i64(&b, 1000000);
    pack_i64(&b, 1);
    r = pack_reader(buf_str(&b));
    assert_int_equal(pack_r_count(&r, 16), 0);
    assert_true(r.bad);
    /* a string whose NUL is missing is refused */
    buf_reset(&b);
    pack_str(&b, STR("abc"));
    b.p[b.len - 1] = 'x';
    r = pack_reader(buf_str(&b));
    pack_r_str(&r);
    assert_true(r.bad);
    buf_free(&b);
}

/* ---------------------------------------------------------------- the protocol */

static void test_miss_loads_once_then_hits(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_long);
    struct src s = {.value = "v1"};
    enum l2_source src;
    const char *v;
    const char *id = uid("hit");
    uint64_t hits0 = metric_value(r_long.hits), loads0 = metric_value(r_long.loads);
    assert_int_equal(fetch1(C1, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_LOADED);
    assert_string_equal(v, "v1");
    /* another process sees the stored value */
    assert_int_equal(fetch1(C2, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_HIT);
    assert_string_equal(v, "v1");
    assert_int_equal(fetch1(C1, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_HIT);
    assert_int_equal(atomic_load(&s.loads), 1);
    assert_int_equal(metric_value(r_long.hits) - hits0, 2);
    assert_int_equal(metric_value(r_long.loads) - loads0, 1);
}

static void test_batch_spans_regions(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_long);
    l2_region_init(&r_noneg);
    struct src a = {.value = "alpha"}, b = {.value = "beta"}, c = {.value = "gamma"};
    struct l2_get g[3] = {
        {.region = &r_long, .id = str_from_cstr(uid("ba")), .load = load, .arg = &a},
        {.region = &r_noneg, .id = str_from_cstr(uid("bb")), .load = load, .arg = &b},
        {.region = &r_long, .id = str_from_cstr(uid("bc")), .load = load, .arg = &c},
    };
    for (int round = 0; round < 2; round++) {
        assert_int_equal(l2_fetch(C1, g, 3, A), 0);
        assert_string_equal(g[0].obj, "alpha");
        assert_string_equal(g[1].obj, "beta");
        assert_string_equal(g[2].obj, "gamma");
        for (int i = 0; i < 3; i++)
            assert_int_equal(g[i].src, round ? L2_SRC_HIT : L2_SRC_LOADED);
    }
    assert_int_equal(l2_fetch(C1, g, L2_BATCH_MAX + 1, A), ERR_INVAL);
}

static void test_unknown_ids_are_cached_briefly_where_the_region_says(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_long);
    l2_region_init(&r_noneg);
    struct src s = {.missing = true};
    enum l2_source src;
    const char *v;
    const char *id = uid("neg");
    assert_int_equal(fetch1(C1, &r_long, id, &s, &src, &v), ERR_NOTFOUND);
    assert_int_equal(fetch1(C2, &r_long, id, &s, &src, &v), ERR_NOTFOUND);
    assert_int_equal(src, L2_SRC_HIT);
    assert_int_equal(atomic_load(&s.loads), 1);
    /* the id is created: the writer invalidates, and the negative entry is gone */
    s.missing = false;
    snprintf(s.value, sizeof s.value, "created");
    assert_int_equal(l2_invalidate(C1, &r_long, STR_NULL, str_from_cstr(id)), 0);
    assert_int_equal(fetch1(C2, &r_long, id, &s, &src, &v), 0);
    assert_string_equal(v, "created");
    /* a region without negative caching asks the loader every time */
    struct src n = {.missing = true};
    id = uid("noneg");
    assert_int_equal(fetch1(C1, &r_noneg, id, &n, &src, &v), ERR_NOTFOUND);
    assert_int_equal(fetch1(C1, &r_noneg, id, &n, &src, &v), ERR_NOTFOUND);
    assert_int_equal(atomic_load(&n.loads), 2);
}

/* The write lands between the reader's database read and its store. */
static struct cache *writer_handle;
static void racing_write(struct src *s)
{
    snprintf(s->value, sizeof s->value, "v2");
    assert_int_equal(l2_invalidate(writer_handle, s->region, STR_NULL, str_from_cstr(s->id)), 0);
}

static void test_a_load_that_predates_a_write_is_not_stored(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_long);
    const char *id = uid("race");
    writer_handle = C2;
    struct src s = {.value = "v1", .during = racing_write, .region = &r_long, .id = id};
    enum l2_source src;
    const char *v;
    uint64_t refused0 = metric_value(r_long.refused);
    /* the reader still answers its own request with what it read (it began before the write) */
    assert_int_equal(fetch1(C1, &r_long, id, &s, &src, &v), 0);
    assert_string_equal(v, "v1");
    assert_int_equal(metric_value(r_long.refused) - refused0, 1);
    /* but nobody is served v1 afterwards: the next lookup loads the committed v2 */
    s.during = NULL;
    assert_int_equal(fetch1(C2, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_LOADED);
    assert_string_equal(v, "v2");
    assert_int_equal(fetch1(C1, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_HIT);
    assert_string_equal(v, "v2");
}

/* Without the lease the same interleaving stores the stale value (the negative control). */
static void test_naive_look_aside_would_store_the_stale_value(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    struct str key = STR("naive-control");
    cache_delete(C1, STR_NULL, key);
    struct str got;
    assert_int_equal(cache_get(C1, STR_NULL, key, A, &got, NULL), ERR_NOTFOUND);
    const char *read = "v1";                              /* the reader's database read */
    assert_int_equal(cache_delete(C2, STR_NULL, key), 0); /* the writer: commit, delete */
    assert_int_equal(cache_set(C1, STR_NULL, key, STR("v1"), 60),
                     0); /* the reader stores what it read */
    assert_int_equal(cache_get(C2, STR_NULL, key, A, &got, NULL), 0);
    assert_string_equal(got.p, read); /* stale until its TTL */
    cache_delete(C1, STR_NULL, key);
}

struct waiter {
    struct cache *c;
    struct src *s;
    const char *id;
    enum l2_source src;
    char val[64];
    atomic_int *started;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    while (!atomic_load(w->started))
        sleep_ms(1);
    struct arena *a = arena_new(4096, 1 << 20);
    struct l2_get g = {.region = &r_long, .id = str_from_cstr(w->id), .load = load, .arg = w->s};
    l2_fetch(w->c, &g, 1, a);
    w->src = g.src;
    snprintf(w->val, sizeof w->val, "%s", g.rc == 0 ? (char *)g.obj : "(error)");
    arena_destroy(a);
    return NULL;
}

static void test_concurrent_misses_wait_for_one_loader(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_long);
    atomic_int started = 0;
    const char *id = uid("herd");
    struct src s = {.value = "herd", .sleep_ms = 300, .started = &started};
    enum { N = 6 };
    struct waiter w[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        w[i] = (struct waiter){handle(servers, 2000), &s, id, L2_SRC_NONE, "", &started};
        pthread_create(&t[i], NULL, wait_thread, &w[i]);
    }
    enum l2_source src;
    const char *v;
    uint64_t waits0 = metric_value(r_long.waits);
    assert_int_equal(fetch1(C1, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_LOADED);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_string_equal(w[i].val, "herd");
        /* a thread the scheduler kept away until the value was stored simply hits it */
        assert_true(w[i].src == L2_SRC_WAITED || w[i].src == L2_SRC_HIT);
        cache_free(w[i].c);
    }
    assert_int_equal(atomic_load(&s.loads), 1);
    assert_true(metric_value(r_long.waits) - waits0 <= N);
}

static void test_a_lease_that_is_never_filled_costs_only_the_wait(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_long);
    const char *id = uid("orphan");
    struct src s = {.value = "fresh"};
    enum l2_source src;
    const char *v;
    /* learn the generation on the server of the id's group (the probe must be of the same
     * group: another id may live on the other server, which then has no generation copy),
     * then plant a lease over the value as a crashed loader would leave it */
    assert_int_equal(fetch1(C1, &r_long, id, &s, &src, &v), 0);
    char key[L2_KEY_MAX + 1];
    struct str k = entry_key(&r_long, id, key), raw;
    char lease[9] = {'L', 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(cache_set(C1, str_from_cstr(id), k, (struct str){lease, 9}, 60), 0);
    struct cache *impatient = handle(servers, 30);
    atomic_store(&s.loads, 0);
    assert_int_equal(fetch1(impatient, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_DIRECT);
    assert_string_equal(v, "fresh");
    /* it did not overwrite the lease it did not hold */
    assert_int_equal(cache_get(C1, str_from_cstr(id), k, A, &raw, NULL), 0);
    assert_int_equal(raw.p[0], 'L');
    cache_delete(C1, str_from_cstr(id), k);
    cache_free(impatient);
}

static void test_expired_values_are_served_stale_while_one_refreshes(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_short);
    const char *id = uid("stale");
    struct src s = {.value = "old"};
    enum l2_source src;
    const char *v;
    assert_int_equal(fetch1(C1, &r_short, id, &s, &src, &v), 0);
    sleep_ms(1200); /* past the soft TTL (1 s + 10 % jitter at most), within the grace */
    /* another caller holds the refresh lock: the old value is served, nothing is loaded */
    char key[L2_KEY_MAX + 1], lock[L2_KEY_MAX + 4];
    snprintf(lock, sizeof lock, "%.*s:r", STR_FMT(entry_key(&r_short, id, key)));
    assert_int_equal(cache_add(C2, str_from_cstr(id), str_from_cstr(lock), STR("1"), 60), 0);
    snprintf(s.value, sizeof s.value, "new");
    uint64_t stale0 = metric_value(r_short.stale);
    assert_int_equal(fetch1(C1, &r_short, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_STALE);
    assert_string_equal(v, "old");
    assert_int_equal(atomic_load(&s.loads), 1);
    assert_int_equal(metric_value(r_short.stale) - stale0, 1);
    /* without the lock this caller refreshes, and the next one gets the new value fresh */
    cache_delete(C2, str_from_cstr(id), str_from_cstr(lock));
    assert_int_equal(fetch1(C1, &r_short, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_LOADED);
    assert_string_equal(v, "new");
    assert_int_equal(fetch1(C2, &r_short, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_HIT);
    assert_string_equal(v, "new");
}

static void test_a_refresh_that_predates_a_write_is_not_stored(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_short);
    const char *id = uid("stalerace");
    writer_handle = C2;
    struct src s = {.value = "v1", .region = &r_short, .id = id};
    enum l2_source src;
    const char *v;
    assert_int_equal(fetch1(C1, &r_short, id, &s, &src, &v), 0);
    sleep_ms(1200);
    s.during = racing_write; /* the refresher reads v1, then the write commits and deletes */
    assert_int_equal(fetch1(C1, &r_short, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_LOADED);
    s.during = NULL;
    assert_int_equal(fetch1(C2, &r_short, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_LOADED);
    assert_string_equal(v, "v2");
}

static void test_region_bump_invalidates_everything_in_it(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_long);
    const char *id = uid("bump");
    struct src s = {.value = "before"};
    enum l2_source src;
    const char *v;
    assert_int_equal(fetch1(C1, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(fetch1(C2, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_HIT);
    snprintf(s.value, sizeof s.value, "after");
    assert_int_equal(l2_region_bump(C1, &r_long), 0);
    /* C2 still remembers the old generation; it must notice the bump in the same read */
    assert_int_equal(fetch1(C2, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_LOADED);
    assert_string_equal(v, "after");
    /* a lost generation key (restart, eviction) also starts afresh, never an older one */
    char gk[64];
    l2_gen_key(&r_long, gk, sizeof gk);
    assert_int_equal(cache_delete(C1, str_from_cstr(id), str_from_cstr(gk)), 0);
    snprintf(s.value, sizeof s.value, "after-loss");
    assert_int_equal(fetch1(C1, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_LOADED);
    assert_string_equal(v, "after-loss");
}

/* two groups on different servers (the ring decides; probe until both are found) */
static void two_groups(char a[32], char b[32], int *sa, int *sb)
{
    snprintf(a, 32, "%s", uid("ga"));
    *sa = cache_server_of(C1, str_from_cstr(a));
    for (int n = 0;; n++) {
        snprintf(b, 32, "gb%d-%u", n, (unsigned)getpid());
        *sb = cache_server_of(C1, str_from_cstr(b));
        if (*sb != *sa)
            return;
        assert_true(n < 1000);
    }
}

static void test_groups_live_on_one_server_and_bumps_reach_all(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_long);
    assert_int_equal(cache_servers(C1), 2);
    for (int i = 0; i < 2; i++)
        assert_int_equal(cache_server_of(C1, cache_server_group(C1, i)), i);
    char ga[32], gb[32];
    int sa, sb;
    two_groups(ga, gb, &sa, &sb);
    struct src s = {.value = "one"};
    struct l2_get g[2] = {
        {.region = &r_long, .id = STR("x"), .group = str_from_cstr(ga), .load = load, .arg = &s},
        {.region = &r_long, .id = STR("x"), .group = str_from_cstr(gb), .load = load, .arg = &s},
    };
    assert_int_equal(l2_fetch(C1, g, 2, A), 0);
    assert_int_equal(g[0].src, L2_SRC_LOADED);
    assert_int_equal(g[1].src, L2_SRC_LOADED);
    /* the same id in two groups is two entries, each on its group's server */
    g[0].group = str_from_cstr(ga);
    g[1].group = str_from_cstr(gb);
    assert_int_equal(l2_fetch(C2, g, 2, A), 0);
    assert_int_equal(g[0].src, L2_SRC_HIT);
    assert_int_equal(g[1].src, L2_SRC_HIT);
    /* invalidation addresses the group */
    snprintf(s.value, sizeof s.value, "two");
    assert_int_equal(l2_invalidate(C1, &r_long, str_from_cstr(ga), STR("x")), 0);
    assert_int_equal(l2_fetch(C2, g, 2, A), 0);
    assert_int_equal(g[0].src, L2_SRC_LOADED);
    assert_string_equal(g[0].obj, "two");
    assert_int_equal(g[1].src, L2_SRC_HIT);
    assert_string_equal(g[1].obj, "one");
    /* a bump reaches the generation copies on both servers */
    snprintf(s.value, sizeof s.value, "three");
    assert_int_equal(l2_region_bump(C1, &r_long), 0);
    assert_int_equal(l2_fetch(C2, g, 2, A), 0);
    assert_int_equal(g[0].src, L2_SRC_LOADED);
    assert_int_equal(g[1].src, L2_SRC_LOADED);
    assert_string_equal(g[1].obj, "three");
}

static void test_memo_is_a_per_thread_hint(void **state)
{
    (void)state;
    l2_region_init(&r_long);
    l2_region_init(&r_noneg);
    struct cache_opts off = {servers, false, 10, 10, 1, 10};
    struct cache *c = cache_new(&off);
    int64_t v = 0;
    assert_false(l2_memo_get(c, &r_long, STR("daybreak"), &v));
    l2_memo_put(c, &r_long, STR("daybreak"), 42);
    assert_true(l2_memo_get(c, &r_long, STR("daybreak"), &v));
    assert_int_equal(v, 42);
    /* per region, per exact id */
    assert_false(l2_memo_get(c, &r_noneg, STR("daybreak"), &v));
    assert_false(l2_memo_get(c, &r_long, STR("daybrea"), &v));
    /* overwritten, never wrong about what it holds */
    l2_memo_put(c, &r_long, STR("daybreak"), 43);
    assert_true(l2_memo_get(c, &r_long, STR("daybreak"), &v));
    assert_int_equal(v, 43);
    for (int i = 0; i < 500; i++) {
        char id[16];
        snprintf(id, sizeof id, "id%d", i);
        l2_memo_put(c, &r_long, str_from_cstr(id), i);
    }
    for (int i = 0; i < 500; i++) {
        char id[16];
        snprintf(id, sizeof id, "id%d", i);
        if (l2_memo_get(c, &r_long, str_from_cstr(id), &v))
            assert_int_equal(v, i);
    }
    cache_free(c);
}

static void test_corrupt_entries_are_replaced(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_long);
    const char *id = uid("corrupt");
    struct src s = {.value = "BAD payload"};
    enum l2_source src;
    const char *v;
    /* a freshly loaded value that does not decode is an internal error, not a page */
    assert_int_equal(fetch1(C1, &r_long, id, &s, &src, &v), ERR_INTERNAL);
    /* a stored entry that does not decode is deleted and loaded again */
    snprintf(s.value, sizeof s.value, "good");
    assert_int_equal(fetch1(C1, &r_long, id, &s, &src, &v), 0);
    char key[L2_KEY_MAX + 1];
    struct str k = entry_key(&r_long, id, key);
    assert_int_equal(cache_set(C1, str_from_cstr(id), k, STR("VxxxxxxxxBAD"), 60), 0);
    assert_int_equal(fetch1(C2, &r_long, id, &s, &src, &v), 0);
    assert_string_equal(v, "good");
    assert_int_equal(src, L2_SRC_DIRECT);
    assert_int_equal(cache_set(C1, str_from_cstr(id), k, STR("garbage"), 60), 0);
    assert_int_equal(fetch1(C2, &r_long, id, &s, &src, &v), 0);
    assert_string_equal(v, "good");
    assert_int_equal(src, L2_SRC_DIRECT);
    /* deleted, so the next lookup stores a good entry again */
    assert_int_equal(fetch1(C2, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_LOADED);
    assert_int_equal(fetch1(C1, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_HIT);
}

static void test_one_server_down_affects_only_its_groups(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_long);
    char ga[32], gb[32];
    int sa, sb;
    two_groups(ga, gb, &sa, &sb);
    struct cache *c = handle(servers, 200);
    struct src s = {.value = "db"};
    struct l2_get g[2] = {
        {.region = &r_long, .id = STR("y"), .group = str_from_cstr(ga), .load = load, .arg = &s},
        {.region = &r_long, .id = STR("y"), .group = str_from_cstr(gb), .load = load, .arg = &s},
    };
    assert_int_equal(l2_fetch(c, g, 2, A), 0);
    mc_stop(sb);
    for (int i = 0; i < 3; i++) {
        g[0].group = str_from_cstr(ga);
        g[1].group = str_from_cstr(gb);
        assert_int_equal(l2_fetch(c, g, 2, A), 0);
        assert_int_equal(g[0].src, L2_SRC_HIT);
        assert_int_equal(g[1].src, L2_SRC_DIRECT);
        assert_string_equal(g[1].obj, "db");
    }
    /* a bump cannot reach the dead server and says so; the live one is bumped */
    assert_int_equal(l2_region_bump(c, &r_long), ERR_CACHE);
    g[0].group = str_from_cstr(ga);
    assert_int_equal(l2_fetch(c, g, 1, A), 0);
    assert_int_equal(g[0].src, L2_SRC_LOADED);
    mc_start(sb);
    cache_free(c);
}

/* cache_server_stats (for /metrics): each server's own stats, a dead one up false at once,
 * a stopped one (SIGSTOP: connects, never answers) within the timeouts, not a slow scrape */
static void test_server_stats_per_server_and_bounded(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    char list[160];
    int dead = free_port();
    snprintf(list, sizeof list, "%s,127.0.0.1:%d,%s", servers, dead, servers);
    struct cache_opts o = {
        .servers = list, .enabled = true, .connect_timeout_ms = 50, .poll_timeout_ms = 100};
    struct cache *c = handle(servers, 100);
    assert_int_equal(cache_set(c, STR_NULL, str_from_cstr(uid("stats")), STR("v"), 60), 0);
    cache_free(c);
    struct cache_server_stat st[8];
    size_t n = cache_server_stats(&o, st, 8);
    assert_int_equal(n, 3); /* the repeated servers once */
    uint64_t items = 0;
    for (int i = 0; i < 2; i++) {
        char name[80];
        snprintf(name, sizeof name, "127.0.0.1:%d", mc_port[i]);
        assert_string_equal(st[i].server, name);
        assert_true(st[i].up);
        assert_int_equal(st[i].limit_bytes, 16 << 20); /* -m 16 */
        assert_true(st[i].connections >= 1);
        items += st[i].items;
    }
    assert_true(items >= 1);
    assert_false(st[2].up);
    assert_int_equal(st[2].items, 0);
    /* a server that accepts but never answers */
    kill(mc_pid[1], SIGSTOP);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    n = cache_server_stats(&o, st, 8);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    kill(mc_pid[1], SIGCONT);
    int64_t ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_int_equal(n, 3);
    assert_true(st[0].up);
    assert_false(st[1].up);
    assert_false(st[2].up);
    printf("stats of two servers, one stopped: %lld ms\n", (long long)ms);
    if (ms > 1500)
        fail_msg("stats of a stopped server took %lld ms", (long long)ms);
}

static void test_memcached_down_falls_back_and_recovers(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_long);
    const char *id = uid("down");
    struct src s = {.value = "db"};
    enum l2_source src;
    const char *v;
    struct cache *c = handle(servers, 200);
    assert_int_equal(fetch1(c, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_LOADED);
    mc_stop(0);
    mc_stop(1);
    uint64_t errors0 = metric_value(r_long.errors);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fetch1(c, &r_long, id, &s, &src, &v), 0);
        assert_int_equal(src, L2_SRC_DIRECT);
        assert_string_equal(v, "db");
    }
    assert_true(metric_value(r_long.errors) > errors0);
    /* a write while memcached is down: the invalidation reports the failure */
    assert_int_equal(l2_invalidate(c, &r_long, STR_NULL, str_from_cstr(id)), ERR_CACHE);
    mc_start(0); /* a restarted memcached is empty */
    mc_start(1);
    snprintf(s.value, sizeof s.value, "db2");
    bool back = false;
    for (int i = 0; i < 40 && !back; i++) {
        assert_int_equal(fetch1(c, &r_long, id, &s, &src, &v), 0);
        assert_string_equal(v, "db2");
        back = src == L2_SRC_LOADED || src == L2_SRC_HIT;
        if (!back)
            sleep_ms(100); /* the handle retries a failed server after retry_timeout */
    }
    assert_true(back);
    assert_int_equal(fetch1(c, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_HIT);
    cache_free(c);
}

static void test_no_server_at_all_and_disabled_cache_load_directly(void **state)
{
    (void)state;
    l2_region_init(&r_long);
    char dead[64];
    snprintf(dead, sizeof dead, "127.0.0.1:%d", free_port());
    struct cache *c = handle(dead, 200);
    struct arena *a = arena_new(4096, 1 << 20);
    struct src s = {.value = "db"};
    struct l2_get g = {.region = &r_long, .id = STR("x"), .load = load, .arg = &s};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(l2_fetch(c, &g, 1, a), 0);
        assert_int_equal(g.rc, 0);
        assert_int_equal(g.src, L2_SRC_DIRECT);
        assert_string_equal(g.obj, "db");
    }
    assert_int_equal(l2_region_bump(c, &r_long), ERR_CACHE);
    cache_free(c);
    struct cache_opts off = {servers, false, 10, 10, 1, 10};
    c = cache_new(&off);
    assert_int_equal(l2_fetch(c, &g, 1, a), 0);
    assert_int_equal(g.src, L2_SRC_DIRECT);
    assert_int_equal(l2_invalidate(c, &r_long, STR_NULL, STR("x")), 0);
    assert_int_equal(atomic_load(&s.loads), 3);
    /* a bad id is refused before anything happens */
    g.id = STR("no spaces");
    assert_int_equal(l2_fetch(c, &g, 1, a), ERR_INVAL);
    cache_free(c);
    arena_destroy(a);
}

/* ---------------------------------------------------------------- near cache */

static struct l2_region r_near = {.name = "testnear",
                                  .version = 1,
                                  .ttl_ms = 600000,
                                  .grace_ms = 0,
                                  .negative_ttl_ms = 60000,
                                  .decode = decode,
                                  .near_ttl_ms = 60000};

static struct cache *near_handle(void)
{
    near_node_init(true); /* this test process plays a web node */
    struct cache_opts o = {.servers = servers,
                           .enabled = true,
                           .connect_timeout_ms = 200,
                           .poll_timeout_ms = 500,
                           .retry_timeout_s = 1,
                           .lease_wait_ms = 500,
                           .near = true};
    struct cache *c = cache_new(&o);
    assert_non_null(cache_near(c));
    return c;
}

static uint64_t gets_of(struct cache *c)
{
    struct cache_stats st;
    cache_stats_get(c, &st);
    return st.gets;
}

static void test_near_copies_answer_without_a_round_trip_until_the_epoch_moves(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_near);
    struct cache *n = near_handle();
    const char *id = uid("near");
    struct src s = {.value = "v1"};
    enum l2_source src;
    const char *v;
    assert_int_equal(fetch1(n, &r_near, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_LOADED);
    uint64_t gets = gets_of(n);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fetch1(n, &r_near, id, &s, &src, &v), 0);
        assert_int_equal(src, L2_SRC_NEAR);
        assert_string_equal(v, "v1");
    }
    assert_int_equal(gets_of(n), gets); /* no memcached traffic at all */
    /* a write elsewhere: commit, delete in memcached, then the node's epoch moves */
    snprintf(s.value, sizeof s.value, "v2");
    assert_int_equal(l2_invalidate(C2, &r_near, STR_NULL, str_from_cstr(id)), 0);
    near_bump();
    assert_int_equal(fetch1(n, &r_near, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_LOADED);
    assert_string_equal(v, "v2");
    assert_int_equal(fetch1(n, &r_near, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_NEAR);
    assert_string_equal(v, "v2");
    /* regions without near_ttl_ms and handles without `near` never keep copies */
    assert_int_equal(fetch1(n, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(fetch1(n, &r_long, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_HIT);
    assert_int_equal(fetch1(C1, &r_near, id, &s, &src, &v), 0);
    assert_int_equal(src, L2_SRC_HIT);
    /* unknown ids are kept near as such */
    struct src gone = {.missing = true};
    const char *id2 = uid("near-gone");
    assert_int_equal(fetch1(n, &r_near, id2, &gone, &src, &v), ERR_NOTFOUND);
    assert_int_equal(fetch1(n, &r_near, id2, &gone, &src, &v), ERR_NOTFOUND);
    assert_int_equal(src, L2_SRC_NEAR);
    assert_int_equal(atomic_load(&gone.loads), 1);
    cache_free(n);
}

/* the write (delete + epoch bump) lands while this reader's loader runs */
static void write_and_publish(struct src *s)
{
    snprintf(s->value, sizeof s->value, "after");
    assert_int_equal(l2_invalidate(C2, s->region, STR_NULL, str_from_cstr(s->id)), 0);
    near_bump();
}

static void test_a_near_copy_read_before_a_write_is_never_served_after_it(void **state)
{
    (void)state;
    NEED_MEMCACHED();
    l2_region_init(&r_near);
    struct cache *n = near_handle();
    const char *id = uid("near-race");
    struct src s = {.value = "before", .during = write_and_publish, .region = &r_near, .id = id};
    enum l2_source src;
    const char *v;
    /* the loader read "before", then the write committed and published: this request may
     * show what it read, but neither memcached nor the near table may keep it */
    assert_int_equal(fetch1(n, &r_near, id, &s, &src, &v), 0);
    assert_string_equal(v, "before");
    s.during = NULL;
    assert_int_equal(fetch1(n, &r_near, id, &s, &src, &v), 0);
    assert_int_not_equal(src, L2_SRC_NEAR);
    assert_string_equal(v, "after");
    cache_free(n);
}

static void test_publish_counts_nodes_that_do_not_confirm(void **state)
{
    (void)state;
    /* nothing listens on the port of a socket we bound and closed */
    char peers[128];
    snprintf(peers, sizeof peers, "http://127.0.0.1:%d", free_port());
    assert_int_equal(near_publish(peers, STR("a-secret-that-is-long-enough-0123456789"), 300), 1);
    assert_int_equal(near_publish("", STR("x"), 300), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_carry_schema_region_version_and_generation),
        cmocka_unit_test(test_pack_round_trip_and_corruption),
        cmocka_unit_test(test_miss_loads_once_then_hits),
        cmocka_unit_test(test_batch_spans_regions),
        cmocka_unit_test(test_unknown_ids_are_cached_briefly_where_the_region_says),
        cmocka_unit_test(test_a_load_that_predates_a_write_is_not_stored),
        cmocka_unit_test(test_naive_look_aside_would_store_the_stale_value),
        cmocka_unit_test(test_concurrent_misses_wait_for_one_loader),
        cmocka_unit_test(test_a_lease_that_is_never_filled_costs_only_the_wait),
        cmocka_unit_test(test_expired_values_are_served_stale_while_one_refreshes),
        cmocka_unit_test(test_a_refresh_that_predates_a_write_is_not_stored),
        cmocka_unit_test(test_region_bump_invalidates_everything_in_it),
        cmocka_unit_test(test_groups_live_on_one_server_and_bumps_reach_all),
        cmocka_unit_test(test_memo_is_a_per_thread_hint),
        cmocka_unit_test(test_corrupt_entries_are_replaced),
        cmocka_unit_test(test_one_server_down_affects_only_its_groups),
        cmocka_unit_test(test_memcached_down_falls_back_and_recovers),
        cmocka_unit_test(test_no_server_at_all_and_disabled_cache_load_directly),
        cmocka_unit_test(test_near_copies_answer_without_a_round_trip_until_the_epoch_moves),
        cmocka_unit_test(test_a_near_copy_read_before_a_write_is_never_served_after_it),
        cmocka_unit_test(test_publish_counts_nodes_that_do_not_confirm),
        cmocka_unit_test(test_server_stats_per_server_and_bounded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

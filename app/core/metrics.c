/* metrics — shared counters and histograms; see metrics.h. */
#include "metrics.h"

#include "buf.h"
#include "log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum { TYPE_COUNTER = 1, TYPE_HISTOGRAM = 2, TYPE_GAUGE = 3 };

struct metric {
    char name[64];
    char labels[160];
    char help[160];
    uint32_t type;
    uint32_t nbounds;
    uint32_t cell;   /* first cell */
    uint32_t ncells; /* counter 1; histogram nbounds + 1 buckets, then the sum in ns */
    double bounds[METRICS_MAX_BOUNDS];
};

struct shm {
    atomic_uint ndesc; /* published with release after the descriptor is complete */
    uint32_t ncells;
    atomic_uint thread_seq;
    bool full_logged;
    struct metric desc[METRICS_MAX];
    /* shard-major, so one thread's cells are contiguous and threads do not share lines */
    _Alignas(64) atomic_uint_fast64_t cells[METRICS_SHARDS][METRICS_MAX_CELLS];
};

const double metrics_latency_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};
const size_t metrics_latency_nbounds =
    sizeof metrics_latency_bounds / sizeof metrics_latency_bounds[0];

/* Set once, by the first registration, before any fork; read-only afterwards. */
static struct shm *shm;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int my_shard = -1;

static struct shm *shm_get(void)
{
    if (shm)
        return shm;
    void *p = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        /* like an out-of-memory at start-up (mem.h): nothing sensible to continue with */
        fprintf(stderr, "stampede: cannot map %zu bytes for metrics\n", sizeof *shm);
        abort();
    }
    shm = p; /* zero-filled by the kernel */
    return shm;
}

static bool name_ok(const char *s)
{
    if (!s || !*s || strlen(s) >= sizeof((struct metric *)0)->name)
        return false;
    for (const char *p = s; *p; p++) {
        bool alpha = (*p >= 'a' && *p <= 'z') || *p == '_' || *p == ':';
        if (!alpha && !(p > s && *p >= '0' && *p <= '9'))
            return false;
    }
    return true;
}

/* misuse: a programming error in a registration; stops the process with the reason. */
static _Noreturn void misuse(const char *why, const char *name)
{
    fprintf(stderr, "stampede: metrics: %s: %s\n", why, name ? name : "(null)");
    abort();
}

static struct metric *reg(const char *name, const char *labels, const char *help, uint32_t type,
                          const double *bounds, size_t nbounds)
{
    if (!name_ok(name) || !labels || strlen(labels) >= sizeof((struct metric *)0)->labels ||
        strpbrk(labels, "\n") || nbounds > METRICS_MAX_BOUNDS)
        misuse("bad metric name, labels or bounds", name);
    pthread_mutex_lock(&reg_lock);
    struct shm *s = shm_get();
    struct metric *m = NULL;
    uint32_t n = atomic_load_explicit(&s->ndesc, memory_order_relaxed); /* only we write it */
    for (uint32_t i = 0; i < n; i++) {
        if (strcmp(s->desc[i].name, name) == 0 && strcmp(s->desc[i].labels, labels) == 0) {
            m = &s->desc[i];
            if (m->type != type || m->nbounds != nbounds)
                misuse("metric registered again with another type or bounds", name);
            goto out;
        }
    }
    uint32_t ncells = type != TYPE_HISTOGRAM ? 1 : (uint32_t)nbounds + 2;
    if (n == METRICS_MAX || s->ncells + ncells > METRICS_MAX_CELLS) {
        if (!s->full_logged)
            log_error("metrics: table full, %s{%s} and later metrics are not recorded", name,
                      labels);
        s->full_logged = true;
        goto out;
    }
    m = &s->desc[n];
    snprintf(m->name, sizeof m->name, "%s", name);
    snprintf(m->labels, sizeof m->labels, "%s", labels);
    snprintf(m->help, sizeof m->help, "%s", help ? help : "");
    m->type = type;
    m->nbounds = (uint32_t)nbounds;
    for (size_t i = 0; i < nbounds; i++)
        m->bounds[i] = bounds[i];
    m->cell = s->ncells;
    m->ncells = ncells;
    s->ncells += ncells;
    /* last: a reader in another process sees only complete descriptors */
    atomic_store_explicit(&s->ndesc, n + 1, memory_order_release);
out:
    pthread_mutex_unlock(&reg_lock);
    return m;
}

struct metric *metrics_counter(const char *name, const char *labels, const char *help)
{
    return reg(name, labels, help, TYPE_COUNTER, NULL, 0);
}

struct metric *metrics_histogram(const char *name, const char *labels, const char *help,
                                 const double *bounds_s, size_t nbounds)
{
    return reg(name, labels, help, TYPE_HISTOGRAM, bounds_s, nbounds);
}

struct metric *metrics_gauge(const char *name, const char *labels, const char *help)
{
    return reg(name, labels, help, TYPE_GAUGE, NULL, 0);
}

/* a gauge lives in shard 0's cell, as the bits of an int64_t */
void metric_set(struct metric *m, int64_t v)
{
    if (!m)
        return;
    atomic_store_explicit(&shm->cells[0][m->cell], (uint64_t)v, memory_order_relaxed);
}

int64_t metric_swap(struct metric *m, int64_t v)
{
    if (!m)
        return 0;
    return (int64_t)atomic_exchange_explicit(&shm->cells[0][m->cell], (uint64_t)v,
                                             memory_order_relaxed);
}

void metric_gauge_add(struct metric *m, int64_t d)
{
    if (!m)
        return;
    atomic_fetch_add_explicit(&shm->cells[0][m->cell], (uint64_t)d, memory_order_relaxed);
}

int64_t metric_gauge(const struct metric *m)
{
    if (!m)
        return 0;
    return (int64_t)atomic_load_explicit(&shm->cells[0][m->cell], memory_order_relaxed);
}

static atomic_uint_fast64_t *cells_of_thread(void)
{
    if (my_shard < 0)
        my_shard = (int)(atomic_fetch_add(&shm->thread_seq, 1) % METRICS_SHARDS);
    return shm->cells[my_shard];
}

void metric_add(struct metric *m, uint64_t v)
{
    if (!m)
        return;
    atomic_fetch_add_explicit(&cells_of_thread()[m->cell], v, memory_order_relaxed);
}

void metric_inc(struct metric *m)
{
    metric_add(m, 1);
}

void metric_observe_ns(struct metric *m, int64_t ns)
{
    if (!m)
        return;
    if (ns < 0)
        ns = 0;
    double s = (double)ns / 1e9;
    uint32_t b = 0;
    while (b < m->nbounds && s > m->bounds[b])
        b++;
    atomic_uint_fast64_t *c = cells_of_thread();
    atomic_fetch_add_explicit(&c[m->cell + b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c[m->cell + m->nbounds + 1], (uint64_t)ns, memory_order_relaxed);
}

static uint64_t cell_sum(uint32_t cell)
{
    uint64_t v = 0;
    for (int s = 0; s < METRICS_SHARDS; s++)
        v += atomic_load_explicit(&shm->cells[s][cell], memory_order_relaxed);
    return v;
}

uint64_t metric_value(const struct metric *m)
{
    if (!m)
        return 0;
    if (m->type == TYPE_COUNTER)
        return cell_sum(m->cell);
    uint64_t n = 0;
    for (uint32_t b = 0; b <= m->nbounds; b++)
        n += cell_sum(m->cell + b);
    return n;
}

/* series: name + suffix + {labels[,extra]} */
static void series(struct buf *out, const struct metric *m, const char *suffix, const char *extra)
{
    buf_append_cstr(out, m->name);
    buf_append_cstr(out, suffix);
    if (!m->labels[0] && !extra)
        return;
    buf_append_char(out, '{');
    buf_append_cstr(out, m->labels);
    if (extra) {
        if (m->labels[0])
            buf_append_char(out, ',');
        buf_append_cstr(out, extra);
    }
    buf_append_char(out, '}');
}

static void render_one(struct buf *out, const struct metric *m)
{
    if (m->type == TYPE_GAUGE) {
        series(out, m, "", NULL);
        buf_printf(out, " %lld\n", (long long)metric_gauge(m));
        return;
    }
    if (m->type == TYPE_COUNTER) {
        series(out, m, "", NULL);
        buf_printf(out, " %llu\n", (unsigned long long)cell_sum(m->cell));
        return;
    }
    uint64_t cum = 0;
    char le[48];
    for (uint32_t b = 0; b <= m->nbounds; b++) {
        cum += cell_sum(m->cell + b);
        if (b < m->nbounds)
            snprintf(le, sizeof le, "le=\"%g\"", m->bounds[b]);
        else
            snprintf(le, sizeof le, "le=\"+Inf\"");
        series(out, m, "_bucket", le);
        buf_printf(out, " %llu\n", (unsigned long long)cum);
    }
    series(out, m, "_sum", NULL);
    buf_printf(out, " %.9f\n", (double)cell_sum(m->cell + m->nbounds + 1) / 1e9);
    series(out, m, "_count", NULL);
    buf_printf(out, " %llu\n", (unsigned long long)cum);
}

void metrics_render(struct buf *out)
{
    if (!shm)
        return;
    uint32_t n = atomic_load_explicit(&shm->ndesc, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        const struct metric *m = &shm->desc[i];
        bool first = true;
        for (uint32_t j = 0; j < i && first; j++)
            first = strcmp(shm->desc[j].name, m->name) != 0;
        if (!first)
            continue; /* rendered with the first of its name */
        buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
                   m->type == TYPE_COUNTER ? "counter"
                   : m->type == TYPE_GAUGE ? "gauge"
                                           : "histogram");
        for (uint32_t j = i; j < n; j++)
            if (strcmp(shm->desc[j].name, m->name) == 0)
                render_one(out, &shm->desc[j]);
    }
}

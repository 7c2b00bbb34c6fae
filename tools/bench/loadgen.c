/*
 * loadgen — a closed-loop HTTP load client that counts every failure by kind; the load of the
 * elastic tier's tests (tests/integration/test_elastic.c) and of `./stampede bench scale`.
 * Not a test itself: it asserts nothing, it counts.
 *
 *   stampede-loadgen URL [--conns N] [--seconds S] [--steps "N:S,N:S,..."] [--report-ms MS]
 *                        [--close]
 *
 * Each of up to N connections (threads, each with its own keep-alive connection) GETs URL in a
 * loop. --steps runs phases: N connections for S seconds each (a ramp); without it, --conns
 * for --seconds (0: until SIGINT or SIGTERM). Every --report-ms (default 1000) one line goes
 * to stderr: "t=SEC conns=N rps=R fail=F". At the end one line of key=value on stdout:
 *   requests ok status_2xx status_3xx status_4xx status_5xx status_502 status_503 status_429
 *   refused (connection refused) reset (reset or closed without an answer) timeouts other
 *   failed (everything but 2xx/3xx) rps p50_ms p99_ms seconds
 * A refused or reset connection is counted once and the client reconnects at once. --close
 * opens a new connection for every request (Connection: close), as many clients do, which is
 * what a reload that refuses connections would hurt.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS   512
#define MAX_STEPS   32
#define LAT_BUCKETS 4000 /* 0.5 ms each: up to 2 s, the rest in the last */

static const char *url;
static atomic_int active = 0; /* threads with index < active run */
static atomic_int stop = 0;
static int close_each; /* --close */
static atomic_ulong n_req, n_2xx, n_3xx, n_4xx, n_5xx, n_502, n_503, n_429, n_refused, n_reset,
    n_timeout, n_other;
static atomic_ulong lat[LAT_BUCKETS];

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

static void count(CURLcode rc, long status, double secs)
{
    atomic_fetch_add(&n_req, 1);
    if (rc == CURLE_OK) {
        if (status >= 200 && status < 300)
            atomic_fetch_add(&n_2xx, 1);
        else if (status < 400)
            atomic_fetch_add(&n_3xx, 1);
        else if (status < 500)
            atomic_fetch_add(&n_4xx, 1);
        else
            atomic_fetch_add(&n_5xx, 1);
        if (status == 502)
            atomic_fetch_add(&n_502, 1);
        if (status == 503)
            atomic_fetch_add(&n_503, 1);
        if (status == 429)
            atomic_fetch_add(&n_429, 1);
        size_t b = (size_t)(secs * 2000.0);
        atomic_fetch_add(&lat[b < LAT_BUCKETS ? b : LAT_BUCKETS - 1], 1);
        return;
    }
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        atomic_fetch_add(&n_refused, 1);
        break;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        atomic_fetch_add(&n_reset, 1);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        atomic_fetch_add(&n_timeout, 1);
        break;
    default:
        atomic_fetch_add(&n_other, 1);
        break;
    }
}

static void *client(void *arg)
{
    int index = (int)(intptr_t)arg;
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "stampede-loadgen");
    if (close_each)
        curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    while (!atomic_load(&stop)) {
        if (index >= atomic_load(&active)) {
            usleep(20000);
            continue;
        }
        double t0 = now_s();
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        if (rc == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (atomic_load(&stop) && rc != CURLE_OK)
            break; /* interrupted at the end: not a failure of the server */
        count(rc, status, now_s() - t0);
        if (rc != CURLE_OK)
            usleep(10000); /* a server that is gone is not hammered in a tight loop */
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop, 1);
}

static unsigned long failed(void)
{
    return atomic_load(&n_4xx) + atomic_load(&n_5xx) + atomic_load(&n_refused) +
           atomic_load(&n_reset) + atomic_load(&n_timeout) + atomic_load(&n_other);
}

static double percentile(double q)
{
    unsigned long total = 0, seen = 0;
    for (size_t i = 0; i < LAT_BUCKETS; i++)
        total += atomic_load(&lat[i]);
    if (!total)
        return 0;
    for (size_t i = 0; i < LAT_BUCKETS; i++) {
        seen += atomic_load(&lat[i]);
        if ((double)seen >= q * (double)total)
            return (double)(i + 1) / 2.0;
    }
    return LAT_BUCKETS / 2.0;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: stampede-loadgen URL [--conns N] [--seconds S] "
                    "[--steps N:S,N:S,...] [--report-ms MS] [--close]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long conns = 16, seconds = 0, report_ms = 1000;
    long step_conns[MAX_STEPS], step_secs[MAX_STEPS];
    int nsteps = 0;
    if (argc < 2)
        usage();
    url = argv[1];
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--close") == 0) {
            close_each = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--conns") == 0 && parse_int(argv[i + 1], 1, MAX_CONNS, &conns) == 0) {
            i++;
        } else if (strcmp(argv[i], "--seconds") == 0 &&
                   parse_int(argv[i + 1], 0, 86400, &seconds) == 0) {
            i++;
        } else if (strcmp(argv[i], "--report-ms") == 0 &&
                   parse_int(argv[i + 1], 100, 60000, &report_ms) == 0) {
            i++;
        } else if (strcmp(argv[i], "--steps") == 0) {
            char *list = argv[++i], *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                char *colon = strchr(t, ':');
                if (!colon || nsteps == MAX_STEPS)
                    usage();
                *colon = '\0';
                if (parse_int(t, 1, MAX_CONNS, &step_conns[nsteps]) ||
                    parse_int(colon + 1, 1, 86400, &step_secs[nsteps]))
                    usage();
                nsteps++;
            }
        } else {
            usage();
        }
    }
    if (nsteps == 0) {
        step_conns[0] = conns;
        step_secs[0] = seconds;
        nsteps = 1;
    }
    long most = 0;
    for (int i = 0; i < nsteps; i++)
        most = step_conns[i] > most ? step_conns[i] : most;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    pthread_t th[MAX_CONNS];
    for (long i = 0; i < most; i++)
        pthread_create(&th[i], NULL, client, (void *)(intptr_t)i);
    double start = now_s(), next_report = start + (double)report_ms / 1000.0;
    unsigned long last_req = 0;
    for (int s = 0; s < nsteps && !atomic_load(&stop); s++) {
        atomic_store(&active, (int)step_conns[s]);
        double end = step_secs[s] ? now_s() + (double)step_secs[s] : 0;
        while (!atomic_load(&stop) && (!end || now_s() < end)) {
            usleep(20000);
            double t = now_s();
            if (t >= next_report) {
                unsigned long r = atomic_load(&n_req);
                fprintf(stderr, "t=%.1f conns=%ld rps=%.0f fail=%lu\n", t - start, step_conns[s],
                        (double)(r - last_req) * 1000.0 / (double)report_ms, failed());
                last_req = r;
                next_report += (double)report_ms / 1000.0;
            }
        }
    }
    atomic_store(&stop, 1);
    for (long i = 0; i < most; i++)
        pthread_join(th[i], NULL);
    double secs = now_s() - start;
    unsigned long req = atomic_load(&n_req);
    printf("requests=%lu ok=%lu status_2xx=%lu status_3xx=%lu status_4xx=%lu status_5xx=%lu "
           "status_502=%lu status_503=%lu status_429=%lu refused=%lu reset=%lu timeouts=%lu "
           "other=%lu failed=%lu rps=%.0f p50_ms=%.1f p99_ms=%.1f seconds=%.1f\n",
           req, atomic_load(&n_2xx) + atomic_load(&n_3xx), atomic_load(&n_2xx), atomic_load(&n_3xx),
           atomic_load(&n_4xx), atomic_load(&n_5xx), atomic_load(&n_502), atomic_load(&n_503),
           atomic_load(&n_429), atomic_load(&n_refused), atomic_load(&n_reset),
           atomic_load(&n_timeout), atomic_load(&n_other), failed(),
           secs > 0 ? (double)req / secs : 0, percentile(0.50), percentile(0.99), secs);
    curl_global_cleanup();
    return 0;
}

/*
 * stormload — the load client of `./stampede bench storm` (tools/bench/storm.sh; not a test:
 * it asserts nothing about time).
 *
 *   stampede-stormload hash PASSWORD
 *       prints an argon2id hash of PASSWORD with the shop's parameters (19 MiB, t=2), so the
 *       bench can create its shoppers' accounts in SQL without hashing each one
 *   stampede-stormload run SHOP_URL EMAIL_FMT SHOPPERS READERS BEFORE_S PAGE_PATH PASSWORD
 *       READERS threads read PAGE_PATH in a closed loop for BEFORE_S seconds (the pages'
 *       latency before), then SHOPPERS threads (EMAIL_FMT with %d, 0..SHOPPERS-1) all sign in
 *       at once, each retrying after the Retry-After of a "busy" answer (503 auth_busy) until it
 *       is in, while the readers go on (the pages' latency during the storm). Prints one line
 *       of key=value results.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *shop, *email_fmt, *page, *password;
static atomic_int phase; /* 0 before, 1 storm, 2 done */
static atomic_int shoppers_left;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct body {
    char *p;
    size_t len;
};

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    size_t add = size * n;
    char *p = realloc(b->p, b->len + add + 1);
    if (!p)
        return 0;
    b->p = p;
    memcpy(b->p + b->len, data, add);
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

static size_t retry_after(char *data, size_t size, size_t n, void *arg)
{
    long *secs = arg;
    size_t len = size * n;
    if (len > 12 && strncasecmp(data, "retry-after:", 12) == 0)
        *secs = strtol(data + 12, NULL, 10);
    return len;
}

/* ---- page readers */

struct reader {
    pthread_t t;
    double *lat[2]; /* before, during */
    size_t n[2], cap[2];
    long errors[2], fivexx[2];
};

static void record(struct reader *r, int ph, double v)
{
    if (r->n[ph] == r->cap[ph]) {
        r->cap[ph] = r->cap[ph] ? r->cap[ph] * 2 : 4096;
        r->lat[ph] = realloc(r->lat[ph], r->cap[ph] * sizeof *r->lat[ph]);
    }
    r->lat[ph][r->n[ph]++] = v;
}

static void *read_pages(void *arg)
{
    struct reader *r = arg;
    CURL *h = curl_easy_init();
    char url[1024];
    snprintf(url, sizeof url, "%s%s", shop, page);
    struct body b = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    int ph;
    while ((ph = atomic_load(&phase)) < 2) {
        b.len = 0;
        double t0 = now();
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200) {
            r->errors[ph]++;
            r->fivexx[ph] += status >= 500;
            continue;
        }
        record(r, ph, now() - t0);
    }
    free(b.p);
    curl_easy_cleanup(h);
    return NULL;
}

/* ---- shoppers */

struct shopper {
    pthread_t t;
    int index;
    double done_at;
    long busy, errors;
    int status;
};

static void *sign_in(void *arg)
{
    struct shopper *s = arg;
    CURL *h = curl_easy_init();
    char url[1024], email[256], json[600];
    snprintf(url, sizeof url, "%s/api/v1/session", shop);
    snprintf(email, sizeof email, email_fmt, s->index);
    snprintf(json, sizeof json, "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    hd = curl_slist_append(hd, "X-Requested-With: stampede");
    struct body b = {0};
    long wait = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, retry_after);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &wait);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    for (int attempt = 0; attempt < 600; attempt++) {
        b.len = 0;
        wait = 0;
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        s->status = (int)status;
        if (rc == CURLE_OK && status == 200) {
            s->done_at = now();
            break;
        }
        if (rc == CURLE_OK && status == 503 && b.p && strstr(b.p, "\"auth_busy\"")) {
            s->busy++;
            /* a polite client: the Retry-After, spread a little so retries do not clump */
            usleep((useconds_t)((wait > 0 ? wait : 1) * 1000000 + (rand() % 500000)));
            continue;
        }
        s->errors++;
        break;
    }
    atomic_fetch_sub(&shoppers_left, 1);
    free(b.p);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* stats: rps over secs and p99 (ms) of the latencies of phase ph over every reader */
static void stats(struct reader *rs, int n, int ph, double secs, double *rps, double *p99,
                  long *errors, long *fivexx)
{
    size_t total = 0;
    *errors = *fivexx = 0;
    for (int i = 0; i < n; i++) {
        total += rs[i].n[ph];
        *errors += rs[i].errors[ph];
        *fivexx += rs[i].fivexx[ph];
    }
    double *all = malloc((total ? total : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < rs[i].n[ph]; j++)
            all[k++] = rs[i].lat[ph][j];
    qsort(all, k, sizeof *all, cmp);
    *rps = secs > 0 ? (double)k / secs : 0;
    *p99 = k ? all[(size_t)((double)k * 0.99)] * 1000 : 0;
    free(all);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "hash") == 0) {
        char hash[crypto_pwhash_STRBYTES];
        if (sodium_init() < 0 || crypto_pwhash_str_alg(hash, argv[2], strlen(argv[2]), 2, 19u << 20,
                                                       crypto_pwhash_ALG_ARGON2ID13) != 0)
            return 1;
        puts(hash);
        return 0;
    }
    if (argc != 9 || strcmp(argv[1], "run") != 0) {
        fputs("usage: stampede-stormload hash PASSWORD\n"
              "       stampede-stormload run SHOP_URL EMAIL_FMT SHOPPERS READERS BEFORE_S "
              "PAGE_PATH PASSWORD\n",
              stderr);
        return 2;
    }
    shop = argv[2];
    email_fmt = argv[3];
    int nshop = (int)strtol(argv[4], NULL, 10), nread = (int)strtol(argv[5], NULL, 10);
    double before_s = strtod(argv[6], NULL);
    page = argv[7];
    password = argv[8];
    curl_global_init(CURL_GLOBAL_ALL);
    srand((unsigned)time(NULL));
    struct reader *rs = calloc((size_t)nread, sizeof *rs);
    struct shopper *ss = calloc((size_t)nshop, sizeof *ss);
    for (int i = 0; i < nread; i++)
        pthread_create(&rs[i].t, NULL, read_pages, &rs[i]);
    usleep((useconds_t)(before_s * 1e6));
    atomic_store(&shoppers_left, nshop);
    double t0 = now();
    atomic_store(&phase, 1);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (int i = 0; i < nshop; i++) {
        ss[i].index = i;
        pthread_create(&ss[i].t, &attr, sign_in, &ss[i]);
    }
    for (int i = 0; i < nshop; i++)
        pthread_join(ss[i].t, NULL);
    double storm = now() - t0;
    atomic_store(&phase, 2);
    for (int i = 0; i < nread; i++)
        pthread_join(rs[i].t, NULL);
    long ok = 0, busy = 0, errors = 0;
    double first = 0;
    for (int i = 0; i < nshop; i++) {
        ok += ss[i].done_at > 0;
        busy += ss[i].busy;
        errors += ss[i].errors;
        if (ss[i].done_at > 0 && (first == 0 || ss[i].done_at - t0 < first))
            first = ss[i].done_at - t0;
    }
    double brps, bp99, drps, dp99;
    long be, b5, de, d5;
    stats(rs, nread, 0, before_s, &brps, &bp99, &be, &b5);
    stats(rs, nread, 1, storm, &drps, &dp99, &de, &d5);
    printf("shoppers=%d signed_in=%ld busy_answers=%ld signin_errors=%ld storm_s=%.2f "
           "signins_per_s=%.1f page_before_rps=%.1f page_before_p99_ms=%.2f "
           "page_during_rps=%.1f page_during_p99_ms=%.2f page_errors=%ld page_5xx=%ld\n",
           nshop, ok, busy, errors, storm, storm > 0 ? (double)ok / storm : 0, brps, bp99, drps,
           dp99, be + de, b5 + d5);
    return ok == nshop ? 0 : 1;
}

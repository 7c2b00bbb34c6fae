/*
 * paybench — closed-loop load client for the whole checkout with payment (tools/bench/
 * checkout-pay.sh runs it; not a test: it asserts nothing about time).
 *
 *   stampede-paybench SHOP_URL PSP_URL SKU CONNS SECONDS [WARMUP_SECONDS]
 *
 * Each of CONNS threads is one shopper (signed up first, with a real session and a shipping
 * address) that loops:
 *   reserve   POST /api/v1/cart/items, POST /api/v1/checkout        -> order held, payment_url
 *   pay       POST the sandbox's hosted page (test card 4242...)     -> success URL
 *   confirm   GET the shop's success URL                            -> 303 ...?payment=paid
 * and records the latency of the reserve part and of the whole order. Orders started in the
 * warm-up are not counted. Prints one line of key=value results; exit 1 when nothing
 * succeeded. Failures are counted by step, never retried (a retry would be another order).
 */
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct body {
    char *p;
    size_t len;
};

struct shopper {
    int index;
    CURL *h;
    char sid[128];
    struct body out;
    char location[2048];
    /* results */
    double *full, *reserve;
    size_t n, cap;
    long failures[4]; /* signup/cart/checkout, pay page, confirm, not paid */
};

static const char *shop, *psp;
static long long sku;
static double t_start, t_measure, t_end;
static atomic_int stop;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

static size_t header(char *data, size_t size, size_t n, void *arg)
{
    struct shopper *s = arg;
    size_t len = size * n;
    if (len > 10 && strncasecmp(data, "location:", 9) == 0) {
        const char *v = data + 9;
        while (*v == ' ')
            v++;
        size_t vl = len - (size_t)(v - data);
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
            vl--;
        snprintf(s->location, sizeof s->location, "%.*s", (int)vl, v);
    }
    if (len > 12 && strncasecmp(data, "set-cookie:", 11) == 0) {
        const char *v = strstr(data, "stampede_sid=");
        if (v) {
            v += 13;
            snprintf(s->sid, sizeof s->sid, "%.*s", (int)strcspn(v, ";\r\n"), v);
        }
    }
    return len;
}

/* request: one call; returns the status, or -1 on a transport error */
static long request(struct shopper *s, const char *method, const char *url, const char *ctype,
                    const char *body, const char *extra)
{
    CURL *h = s->h;
    s->out.len = 0;
    s->location[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        if (strcmp(method, "POST") != 0) /* PUT with a body */
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    struct curl_slist *l = curl_slist_append(NULL, "X-Requested-With: stampede");
    l = curl_slist_append(l, "Expect:");
    char cookie[200], ct[100];
    if (s->sid[0]) {
        snprintf(cookie, sizeof cookie, "Cookie: stampede_sid=%s", s->sid);
        l = curl_slist_append(l, cookie);
    }
    if (ctype) {
        snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
        l = curl_slist_append(l, ct);
    }
    if (extra)
        l = curl_slist_append(l, extra);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
    long status = -1;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(l);
    return status;
}

static void record(struct shopper *s, double full, double reserve)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->full = realloc(s->full, s->cap * sizeof *s->full);
        s->reserve = realloc(s->reserve, s->cap * sizeof *s->reserve);
        if (!s->full || !s->reserve)
            abort();
    }
    s->full[s->n] = full;
    s->reserve[s->n] = reserve;
    s->n++;
}

/* one_order: reserve, pay, confirm; 0 when the order ended paid */
static int one_order(struct shopper *s, unsigned long seq)
{
    char url[4096], body[4096], key[96];
    double t0 = now();
    snprintf(url, sizeof url, "%s/api/v1/cart/items", shop);
    snprintf(body, sizeof body, "{\"sku_id\":%lld,\"quantity\":1}", sku);
    if (request(s, "POST", url, "application/json", body, NULL) != 200)
        return s->failures[0]++, -1;
    snprintf(url, sizeof url, "%s/api/v1/checkout", shop);
    snprintf(key, sizeof key, "Idempotency-Key: bench-%d-%lu-%ld", s->index, seq, (long)time(NULL));
    if (request(s, "POST", url, NULL, NULL, key) != 201)
        return s->failures[0]++, -1;
    double t_reserved = now();
    cJSON *j = cJSON_ParseWithLength(s->out.p, s->out.len);
    const cJSON *pu = cJSON_GetObjectItem(j, "payment_url");
    const char *q = cJSON_IsString(pu) ? strchr(pu->valuestring, '?') : NULL;
    if (!q) {
        cJSON_Delete(j);
        return s->failures[0]++, -1;
    }
    /* the card holder on the hosted page: the page's fields and a test card */
    snprintf(body, sizeof body, "%s&cardNumber=4242424242424242&action=pay", q + 1);
    cJSON_Delete(j);
    snprintf(url, sizeof url, "%s/checkout", psp);
    if (request(s, "POST", url, "application/x-www-form-urlencoded", body, NULL) != 303 ||
        !strstr(s->location, "/payments/success?"))
        return s->failures[1]++, -1;
    snprintf(url, sizeof url, "%s", s->location);
    if (request(s, "GET", url, NULL, NULL, NULL) != 303)
        return s->failures[2]++, -1;
    if (!strstr(s->location, "payment=paid"))
        return s->failures[3]++, -1;
    double t1 = now();
    if (t0 >= t_measure && t1 <= t_end)
        record(s, t1 - t0, t_reserved - t0);
    return 0;
}

static void *run(void *arg)
{
    struct shopper *s = arg;
    unsigned long seq = 0;
    while (!atomic_load(&stop) && now() < t_end)
        one_order(s, seq++);
    return NULL;
}

static int signup(struct shopper *s)
{
    char url[512], body[512];
    snprintf(url, sizeof url, "%s/api/v1/accounts", shop);
    snprintf(body, sizeof body,
             "{\"email\":\"bench-%d-%ld@bench.stampede\",\"password\":\"bench password for a "
             "long drop day\",\"name\":\"Bench %d\"}",
             s->index, (long)time(NULL), s->index);
    if (request(s, "POST", url, "application/json", body, NULL) != 201 || !s->sid[0])
        return -1;
    /* a checkout needs somewhere to ship to */
    snprintf(url, sizeof url, "%s/api/v1/account/address", shop);
    snprintf(body, sizeof body,
             "{\"recipient\":\"Bench %d\",\"phone\":\"010-1234-5678\",\"postcode\":\"06236\","
             "\"address\":\"Teheran-ro 152, Gangnam-gu, Seoul\",\"detail\":\"\"}",
             s->index);
    return request(s, "PUT", url, "application/json", body, NULL) == 200 ? 0 : -1;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i] * 1000;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: stampede-paybench SHOP_URL PSP_URL SKU CONNS SECONDS [WARMUP]\n");
        return 2;
    }
    shop = argv[1];
    psp = argv[2];
    sku = strtoll(argv[3], NULL, 10);
    int conns = (int)strtol(argv[4], NULL, 10);
    double secs = strtod(argv[5], NULL), warm = argc > 6 ? strtod(argv[6], NULL) : 2;
    if (conns < 1 || conns > 1024 || secs <= 0 || sku <= 0) {
        fprintf(stderr, "paybench: bad arguments\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_ALL);
    struct shopper *s = calloc((size_t)conns, sizeof *s);
    pthread_t *th = calloc((size_t)conns, sizeof *th);
    if (!s || !th)
        return 1;
    for (int i = 0; i < conns; i++) {
        s[i].index = i;
        s[i].h = curl_easy_init();
        curl_easy_setopt(s[i].h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(s[i].h, CURLOPT_TIMEOUT, 60L);
        curl_easy_setopt(s[i].h, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(s[i].h, CURLOPT_WRITEDATA, &s[i].out);
        curl_easy_setopt(s[i].h, CURLOPT_HEADERFUNCTION, header);
        curl_easy_setopt(s[i].h, CURLOPT_HEADERDATA, &s[i]);
        if (signup(&s[i]) != 0) {
            fprintf(stderr, "paybench: sign-up %d failed: %.200s\n", i, s[i].out.p);
            return 1;
        }
    }
    t_start = now();
    t_measure = t_start + warm;
    t_end = t_measure + secs;
    for (int i = 0; i < conns; i++)
        pthread_create(&th[i], NULL, run, &s[i]);
    size_t total = 0;
    long fail[4] = {0, 0, 0, 0};
    for (int i = 0; i < conns; i++) {
        pthread_join(th[i], NULL);
        total += s[i].n;
        for (int k = 0; k < 4; k++)
            fail[k] += s[i].failures[k];
    }
    double *full = calloc(total + 1, sizeof *full), *res = calloc(total + 1, sizeof *res);
    size_t o = 0;
    for (int i = 0; i < conns; i++) {
        memcpy(full + o, s[i].full, s[i].n * sizeof *full);
        memcpy(res + o, s[i].reserve, s[i].n * sizeof *res);
        o += s[i].n;
    }
    qsort(full, total, sizeof *full, cmp);
    qsort(res, total, sizeof *res, cmp);
    printf("orders=%zu seconds=%.1f orders_per_s=%.1f full_p50_ms=%.1f full_p99_ms=%.1f "
           "reserve_p50_ms=%.1f reserve_p99_ms=%.1f fail_reserve=%ld fail_pay=%ld "
           "fail_confirm=%ld not_paid=%ld\n",
           total, secs, (double)total / secs, pct(full, total, 0.5), pct(full, total, 0.99),
           pct(res, total, 0.5), pct(res, total, 0.99), fail[0], fail[1], fail[2], fail[3]);
    for (int i = 0; i < conns; i++) {
        curl_easy_cleanup(s[i].h);
        free(s[i].out.p);
        free(s[i].full);
        free(s[i].reserve);
    }
    free(s);
    free(th);
    free(full);
    free(res);
    curl_global_cleanup();
    return total ? 0 : 1;
}

/*
 * dropbench — the crowd of `./stampede bench drop` (tools/bench/drop.sh; not a test: it asserts
 * nothing about time).
 *
 *   stampede-dropbench sessions N FILE
 *       makes N session tokens (32 random bytes, base64url) into FILE, one per line, and prints
 *       on stdout the SQL that stores the SHA-256 of their bytes for the accounts
 * drop-<i>@bench.stampede: the crowd is signed in beforehand without N password hashes
 *   stampede-dropbench run SHOP_URL PSP_URL DROP_ID STARTS_AT_MS TOKENS N SKUS ARRIVE_S MAX_S
 *       N shoppers (one event loop, libcurl multi) arrive spread over ARRIVE_S seconds from two
 *       seconds before the start, and do what shoppers do: join the queue, poll at the pace the
 *       answer asks (poll_after_ms), and when admitted buy one pair (the sizes SKUS, "1,2,3",
 *       another size when one is gone) with their admission, pay on the sandbox's hosted page
 *       with the test card and come back to the shop's success URL. A shopper told sold_out or
 *       closed stops. Prints one line of key=value results; the first waiting shopper's ticket
 *       goes to stderr as "ticket=..." for the poll throughput phase.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum step { S_IDLE, S_JOIN, S_POLL, S_BUY, S_PAY, S_CONFIRM, S_DONE };

struct body {
    char *p;
    size_t len;
};

struct shopper {
    int i;
    enum step step;
    double next_at;
    CURL *h;
    struct curl_slist *hdr;
    char *post;
    struct body out;
    char location[2048];
    char sid[64];
    char ticket[1024];
    char admission[1024];
    char pay_query[2048];
    int size_try;
    double req_t0;
    double sold_out_seen;
    bool bought, paid;
};

static const char *shop, *psp;
static long long drop_id;
static long long *skus;
static int nskus;
static struct shopper *S;
static int N;

/* results */
static long polls, joins, http5xx, timeouts, not_admitted, oos, paid_n, bought_n, other_err;
static double *poll_lat;
static size_t npoll_lat, cap_poll_lat;
static double first_admit, last_held, last_sold_out_told, first_sold_out;
static int ticket_printed;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the timer heap (next_at of shoppers) */

static int *heap, nheap;

static void heap_swap(int a, int b)
{
    int t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
}

static void heap_push(int s)
{
    int k = nheap++;
    heap[k] = s;
    while (k > 0 && S[heap[(k - 1) / 2]].next_at > S[heap[k]].next_at) {
        heap_swap(k, (k - 1) / 2);
        k = (k - 1) / 2;
    }
}

static int heap_pop(void)
{
    int top = heap[0];
    heap[0] = heap[--nheap];
    int k = 0;
    for (;;) {
        int l = 2 * k + 1, r = l + 1, m = k;
        if (l < nheap && S[heap[l]].next_at < S[heap[m]].next_at)
            m = l;
        if (r < nheap && S[heap[r]].next_at < S[heap[m]].next_at)
            m = r;
        if (m == k)
            break;
        heap_swap(k, m);
        k = m;
    }
    return top;
}

/* ---- requests */

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
    if (len > 10 && strncasecmp(data, "Location:", 9) == 0) {
        size_t k = 9;
        while (k < len && data[k] == ' ')
            k++;
        size_t m = len - k;
        while (m && (data[k + m - 1] == '\r' || data[k + m - 1] == '\n'))
            m--;
        if (m >= sizeof s->location)
            m = sizeof s->location - 1;
        memcpy(s->location, data + k, m);
        s->location[m] = '\0';
    }
    return len;
}

static void start(CURLM *m, struct shopper *s, const char *method, const char *url,
                  const char *ctype, const char *body, const char *extra1, const char *extra2)
{
    if (!s->h)
        s->h = curl_easy_init();
    CURL *h = s->h;
    curl_easy_reset(h);
    free(s->out.p);
    s->out = (struct body){0};
    s->location[0] = '\0';
    curl_slist_free_all(s->hdr);
    s->hdr = NULL;
    free(s->post);
    s->post = body ? strdup(body) : NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s->out);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PRIVATE, s);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, s->post ? s->post : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(s->post ? strlen(s->post) : 0));
    }
    char line[1200];
    s->hdr = curl_slist_append(s->hdr, "X-Requested-With: stampede");
    s->hdr = curl_slist_append(s->hdr, "Expect:");
    snprintf(line, sizeof line, "Cookie: stampede_sid=%s", s->sid);
    s->hdr = curl_slist_append(s->hdr, line);
    if (ctype) {
        snprintf(line, sizeof line, "Content-Type: %s", ctype);
        s->hdr = curl_slist_append(s->hdr, line);
    }
    if (extra1)
        s->hdr = curl_slist_append(s->hdr, extra1);
    if (extra2)
        s->hdr = curl_slist_append(s->hdr, extra2);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, s->hdr);
    s->req_t0 = now();
    curl_multi_add_handle(m, h);
}

static void issue(CURLM *m, struct shopper *s)
{
    char url[2400], h1[1100], h2[1100], body[2400];
    switch (s->step) {
    case S_JOIN:
        snprintf(url, sizeof url, "%s/api/v1/drops/%lld/queue", shop, drop_id);
        start(m, s, "POST", url, NULL, NULL, NULL, NULL);
        break;
    case S_POLL:
        snprintf(url, sizeof url, "%s/api/v1/drops/%lld/queue", shop, drop_id);
        snprintf(h1, sizeof h1, "Queue-Ticket: %s", s->ticket);
        snprintf(h2, sizeof h2, "Drop-Admission: %s", s->admission);
        start(m, s, "GET", url, NULL, NULL, h1, s->admission[0] ? h2 : NULL);
        break;
    case S_BUY:
        snprintf(url, sizeof url, "%s/api/v1/checkout", shop);
        snprintf(body, sizeof body, "{\"sku_id\":%lld,\"quantity\":1}",
                 skus[(s->i + s->size_try) % nskus]);
        snprintf(h1, sizeof h1, "Drop-Admission: %s", s->admission);
        snprintf(h2, sizeof h2, "Idempotency-Key: dropbench-%lld-%d-%d", drop_id, s->i,
                 s->size_try);
        start(m, s, "POST", url, "application/json", body, h1, h2);
        break;
    case S_PAY:
        snprintf(url, sizeof url, "%s/checkout", psp);
        snprintf(body, sizeof body, "%s&cardNumber=4242424242424242&action=pay", s->pay_query);
        start(m, s, "POST", url, "application/x-www-form-urlencoded", body, NULL, NULL);
        break;
    case S_CONFIRM:
        snprintf(url, sizeof url, "%s", s->location);
        start(m, s, "GET", url, NULL, NULL, NULL, NULL);
        break;
    default:
        break;
    }
}

static void later(struct shopper *s, enum step step, double at)
{
    s->step = step;
    s->next_at = at;
    heap_push(s->i);
}

static const char *json_str(cJSON *j, const char *k)
{
    cJSON *v = cJSON_GetObjectItem(j, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void done(CURLM *m, struct shopper *s, CURLcode cc)
{
    curl_multi_remove_handle(m, s->h);
    double t = now();
    long st = -1;
    if (cc == CURLE_OK)
        curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &st);
    else
        timeouts++;
    if (st >= 500)
        http5xx++;
    if (st < 0 || st >= 500) { /* try the same step again in a second, as an app would */
        later(s, s->step, t + 1.0);
        return;
    }
    cJSON *j = s->out.p ? cJSON_Parse(s->out.p) : NULL;
    long errs = other_err + not_admitted;
    switch (s->step) {
    case S_JOIN:
    case S_POLL: {
        if (s->step == S_POLL) {
            polls++;
            if (npoll_lat == cap_poll_lat) {
                cap_poll_lat = cap_poll_lat ? cap_poll_lat * 2 : 65536;
                poll_lat = realloc(poll_lat, cap_poll_lat * sizeof *poll_lat);
            }
            poll_lat[npoll_lat++] = t - s->req_t0;
        } else {
            joins++;
        }
        if (st != 200 || !j) {
            other_err++;
            s->step = S_DONE;
            break;
        }
        const char *state = json_str(j, "state"), *tk = json_str(j, "ticket"),
                   *adm = json_str(j, "admission");
        if (tk)
            snprintf(s->ticket, sizeof s->ticket, "%s", tk);
        if (adm)
            snprintf(s->admission, sizeof s->admission, "%s", adm);
        cJSON *pa = cJSON_GetObjectItem(j, "poll_after_ms");
        double after = cJSON_IsNumber(pa) ? pa->valuedouble / 1000.0 : 2.0;
        if (state && strcmp(state, "admitted") == 0 && !s->bought) {
            if (!first_admit)
                first_admit = t;
            later(s, S_BUY, t);
        } else if (state && (strcmp(state, "sold_out") == 0 || strcmp(state, "closed") == 0)) {
            s->sold_out_seen = t;
            if (!first_sold_out || t < first_sold_out)
                first_sold_out = t;
            if (t > last_sold_out_told)
                last_sold_out_told = t;
            if (!ticket_printed && s->ticket[0]) {
                fprintf(stderr, "ticket=%s\n", s->ticket);
                ticket_printed = 1;
            }
            s->step = S_DONE;
        } else {
            later(s, S_POLL, t + after);
        }
        break;
    }
    case S_BUY:
        if (st == 201 && j) {
            s->bought = true;
            bought_n++;
            last_held = t;
            const char *pu = json_str(j, "payment_url");
            const char *q = pu ? strchr(pu, '?') : NULL;
            if (q) {
                snprintf(s->pay_query, sizeof s->pay_query, "%s", q + 1);
                later(s, S_PAY, t);
            } else {
                other_err++;
                s->step = S_DONE;
            }
        } else if (st == 409 && s->size_try + 1 < nskus) {
            s->size_try++;
            later(s, S_BUY, t);
        } else {
            if (st == 403)
                not_admitted++;
            else if (st == 409)
                oos++;
            else
                other_err++;
            s->step = S_DONE;
        }
        break;
    case S_PAY:
        if (st == 303 && strstr(s->location, "/payments/success?"))
            later(s, S_CONFIRM, t);
        else
            other_err++, s->step = S_DONE;
        break;
    case S_CONFIRM:
        if (st == 303 && strstr(s->location, "payment=paid"))
            paid_n++, s->paid = true;
        else
            other_err++;
        s->step = S_DONE;
        break;
    default:
        break;
    }
    if (other_err + not_admitted > errs && errs < 3) /* the first few, for the raw output */
        fprintf(stderr, "error: step %d status %ld: %.300s\n", (int)s->step, st,
                s->out.p ? s->out.p : "");
    cJSON_Delete(j);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmd_sessions(int n, const char *file)
{
    FILE *f = fopen(file, "w");
    if (!f)
        return 1;
    for (int i = 0; i < n; i++) {
        unsigned char raw[32], hash[32];
        char tok[64], hex[65];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2base64(tok, sizeof tok, raw, sizeof raw,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        crypto_hash_sha256(hash, raw, sizeof raw); /* the shop keeps the hash of the raw bytes */
        sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
        fprintf(f, "%s\n", tok);
        printf("INSERT INTO sessions (id_hash, account_id, expires_at) SELECT UNHEX('%s'), id, "
               "UTC_TIMESTAMP(6) + INTERVAL 1 DAY FROM accounts WHERE email = "
               "'drop-%d@bench.stampede';\n",
               hex, i);
    }
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 3;
    if (argc == 4 && strcmp(argv[1], "sessions") == 0)
        return cmd_sessions((int)strtol(argv[2], NULL, 10), argv[3]);
    if (argc != 11 || strcmp(argv[1], "run") != 0) {
        fprintf(stderr, "usage: stampede-dropbench sessions N FILE\n"
                        "       stampede-dropbench run SHOP PSP DROP_ID STARTS_AT_MS TOKENS N SKUS "
                        "ARRIVE_S MAX_S\n");
        return 2;
    }
    shop = argv[2];
    psp = argv[3];
    drop_id = atoll(argv[4]);
    double starts = atof(argv[5]) / 1000.0;
    N = (int)strtol(argv[7], NULL, 10);
    double arrive = atof(argv[9]), max_s = atof(argv[10]);
    for (char *p = argv[8]; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        skus = realloc(skus, (size_t)(nskus + 1) * sizeof *skus);
        skus[nskus++] = atoll(p);
    }
    S = calloc((size_t)N, sizeof *S);
    heap = calloc((size_t)N + 1, sizeof *heap);
    FILE *f = fopen(argv[6], "r");
    if (!f || !S || !heap || !nskus)
        return 3;
    for (int i = 0; i < N; i++) {
        if (!fgets(S[i].sid, sizeof S[i].sid, f))
            return 3;
        S[i].sid[strcspn(S[i].sid, "\n")] = '\0';
        S[i].i = i;
        /* arrivals spread evenly from two seconds before the start */
        later(&S[i], S_JOIN, starts - 2.0 + arrive * (double)i / (double)N);
    }
    fclose(f);
    curl_global_init(CURL_GLOBAL_ALL);
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, 200L);
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 400L);
    double t_end = starts + max_s;
    int running = 0;
    while (now() < t_end) {
        double t = now();
        while (nheap && S[heap[0]].next_at <= t) {
            struct shopper *s = &S[heap_pop()];
            issue(m, s);
        }
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct shopper *s;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            done(m, s, msg->data.result);
        }
        if (!nheap && !running)
            break;
        int wait = 5;
        if (nheap) {
            double d = (S[heap[0]].next_at - now()) * 1000.0;
            wait = d < 1 ? 0 : d > 50 ? 50 : (int)d;
        }
        curl_multi_poll(m, NULL, 0, wait, NULL);
    }
    int unfinished = 0;
    for (int i = 0; i < N; i++)
        unfinished += S[i].step != S_DONE;
    qsort(poll_lat, npoll_lat, sizeof *poll_lat, cmp_d);
    double p50 = npoll_lat ? poll_lat[npoll_lat / 2] : 0;
    double p99 = npoll_lat ? poll_lat[(size_t)((double)npoll_lat * 0.99)] : 0;
    printf("shoppers=%d joins=%ld polls=%ld poll_p50_ms=%.2f poll_p99_ms=%.2f bought=%ld paid=%ld "
           "http_5xx=%ld timeouts=%ld not_admitted=%ld out_of_stock=%ld other_errors=%ld "
           "unfinished=%d start_to_first_admit_s=%.2f start_to_last_held_s=%.2f "
           "last_held_to_last_told_s=%.2f start_to_first_sold_out_s=%.2f\n",
           N, joins, polls, p50 * 1000, p99 * 1000, bought_n, paid_n, http5xx, timeouts,
           not_admitted, oos, other_err, unfinished, first_admit ? first_admit - starts : -1,
           last_held ? last_held - starts : -1,
           last_held && last_sold_out_told ? last_sold_out_told - last_held : -1,
           first_sold_out ? first_sold_out - starts : -1);
    curl_multi_cleanup(m);
    return 0;
}

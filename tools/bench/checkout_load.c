/*
 * stampede-checkout-load — the C load client of `./stampede bench checkout` (wrk cannot express
 * a flow where each request depends on the shopper's session and the one before it).
 *
 *   stampede-checkout-load http URL TOKENS SKUS CONC SECONDS [cart|buy]
 *       CONC signed-in shoppers (one session token per line in TOKENS, at least CONC lines),
 *       each looping: POST /api/v1/cart/items {sku_id, quantity 1} (a SKU picked at random
 *       from the comma-separated SKUS), then POST /api/v1/checkout with a fresh
 *       Idempotency-Key. One order = both requests; its latency is measured from the first
 *       byte sent to the checkout's answer. With "buy" (buy now) an order is one request:
 *       POST /api/v1/checkout {sku_id, quantity 1}, the cart untouched. Runs over libcurl's multi
 * interface, one keep-alive connection per shopper.
 *
 *   stampede-checkout-load raw HOST PORT USER PASSWORD DB ACCOUNT SKU CONC SECONDS [ORDER]
 *       The raw ceiling: CONC threads, each with its own MariaDB connection, looping the same
 *       lock-update-insert transaction the checkout performs for one line, sent straight to the
 *       database with prepared statements: BEGIN; SELECT ... FOR UPDATE on the SKU's stock row;
 *       UPDATE it (available -1, held +1); INSERT the order, its line and the ledger row;
 *       COMMIT. ORDER is "lock-first" (default: lock, update, insert, as the issue defines the
 *       ceiling) or "lock-last" (the inserts first, then lock and update: the order the
 *       application uses, which holds the hot row for less time). Deadlocks and lock wait
 *       timeouts are retried and counted.
 *
 * Output: one line of key=value pairs (orders, seconds, rate, p50_ms, p99_ms, errors, ...).
 * Exit 0 when the run completed (errors are reported, not fatal), 1 on setup failure, 2 usage.
 */
#include <curl/curl.h>
#include <mysql.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- latency samples ---- */

struct samples {
    double *v;
    size_t n, cap;
};

static void samples_add(struct samples *s, double x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) {
            fputs("out of memory\n", stderr);
            exit(1);
        }
    }
    s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double samples_pct(struct samples *s, double p)
{
    if (s->n == 0)
        return 0;
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
    size_t i = (size_t)(p * (double)(s->n - 1) + 0.5);
    return s->v[i];
}

static long parse_long(const char *s, const char *what, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "bad %s '%s' (%ld..%ld)\n", what, s, lo, hi);
        exit(2);
    }
    return v;
}

/* ---- http mode ---- */

struct shopper {
    CURL *h;
    struct curl_slist *hdr_cart, *hdr_checkout;
    char cookie[300];
    char body[96];
    char key_header[96];
    int state; /* 0: cart request in flight, 1: checkout in flight */
    double t_order, t_checkout;
    unsigned long seq;
    unsigned rnd;
    char resp[2048];
    size_t resp_len;
};

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
    struct shopper *s = arg;
    size_t len = sz * n, room = sizeof s->resp - 1 - s->resp_len;
    memcpy(s->resp + s->resp_len, p, len < room ? len : room);
    s->resp_len += len < room ? len : room;
    s->resp[s->resp_len] = '\0';
    return len;
}

static const char *g_url;
static bool g_buy; /* buy now: one checkout request naming the size, no cart request */
static time_t g_t0;
static long *g_skus;
static size_t g_nskus;

static void shopper_start(struct shopper *s, int state, int id)
{
    char url[512];
    s->state = state;
    s->resp_len = 0;
    s->resp[0] = '\0';
    curl_easy_setopt(s->h, CURLOPT_POST, 1L);
    if (state == 0 && g_buy) {
        s->t_order = now_s();
        state = s->state = 1;
    }
    if (state == 0 || g_buy) {
        long sku = g_skus[g_nskus == 1 ? 0 : rand_r(&s->rnd) % g_nskus];
        snprintf(s->body, sizeof s->body, "{\"sku_id\":%ld,\"quantity\":1}", sku);
    }
    if (state == 0) {
        snprintf(url, sizeof url, "%s/api/v1/cart/items", g_url);
        curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, s->hdr_cart);
        curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, s->body);
        s->t_order = now_s();
    } else {
        curl_slist_free_all(s->hdr_checkout);
        /* unique across runs too: the same shoppers place orders in every run */
        snprintf(s->key_header, sizeof s->key_header, "Idempotency-Key: bench-%ld-%d-%d-%lu",
                 (long)g_t0, (int)getpid(), id, ++s->seq);
        s->hdr_checkout = curl_slist_append(NULL, "X-Requested-With: stampede");
        s->hdr_checkout = curl_slist_append(s->hdr_checkout, "Content-Type: application/json");
        s->hdr_checkout = curl_slist_append(s->hdr_checkout, s->key_header);
        s->hdr_checkout = curl_slist_append(s->hdr_checkout, s->cookie);
        snprintf(url, sizeof url, "%s/api/v1/checkout", g_url);
        curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, s->hdr_checkout);
        curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, g_buy ? s->body : "{}");
        s->t_checkout = now_s();
    }
    curl_easy_setopt(s->h, CURLOPT_URL, url);
}

static int run_http(int argc, char **argv)
{
    if (argc != 7 && argc != 8) {
        fputs("usage: stampede-checkout-load http URL TOKENS SKUS CONC SECONDS [cart|buy]\n",
              stderr);
        return 2;
    }
    if (argc == 8 && strcmp(argv[7], "buy") == 0)
        g_buy = true;
    else if (argc == 8 && strcmp(argv[7], "cart") != 0) {
        fprintf(stderr, "bad FLOW '%s'\n", argv[7]);
        return 2;
    }
    g_url = argv[2];
    g_t0 = time(NULL);
    int conc = (int)parse_long(argv[5], "CONC", 1, 4096);
    double secs = (double)parse_long(argv[6], "SECONDS", 1, 3600);
    /* SKUs */
    g_skus = calloc(strlen(argv[4]) + 1, sizeof *g_skus);
    for (const char *p = argv[4]; *p;) {
        char one[32];
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof one) {
            fprintf(stderr, "bad SKU list '%s'\n", argv[4]);
            return 2;
        }
        memcpy(one, p, len);
        one[len] = '\0';
        g_skus[g_nskus++] = parse_long(one, "SKU", 1, LONG_MAX);
        p += len + (p[len] == ',');
    }
    if (g_nskus == 0) {
        fputs("no SKUs\n", stderr);
        return 2;
    }
    /* tokens */
    FILE *f = fopen(argv[3], "r");
    if (!f) {
        perror(argv[3]);
        return 1;
    }
    struct shopper *sh = calloc((size_t)conc, sizeof *sh);
    char line[256];
    int n = 0;
    while (n < conc && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line)
            continue;
        snprintf(sh[n].cookie, sizeof sh[n].cookie, "Cookie: stampede_sid=%s", line);
        n++;
    }
    fclose(f);
    if (n < conc) {
        fprintf(stderr, "%s has %d tokens, need %d\n", argv[3], n, conc);
        return 1;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)conc);
    for (int i = 0; i < conc; i++) {
        struct shopper *s = &sh[i];
        s->rnd = (unsigned)(i * 2654435761u + 1);
        s->h = curl_easy_init();
        s->hdr_cart = curl_slist_append(NULL, "X-Requested-With: stampede");
        s->hdr_cart = curl_slist_append(s->hdr_cart, "Content-Type: application/json");
        s->hdr_cart = curl_slist_append(s->hdr_cart, s->cookie);
        curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
        curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
        curl_easy_setopt(s->h, CURLOPT_TIMEOUT, 30L);
        curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
        shopper_start(s, 0, i);
        curl_multi_add_handle(m, s->h);
    }

    struct samples lat_order = {0}, lat_checkout = {0};
    unsigned long orders = 0, out_of_stock = 0, errors = 0, cart_errors = 0;
    double t0 = now_s(), end = t0 + secs;
    int running = conc;
    char first_error[300] = "";
    while (running > 0) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct shopper *s;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            long code = 0;
            curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
            double t = now_s();
            int id = (int)(s - sh);
            curl_multi_remove_handle(m, s->h);
            bool ok = msg->data.result == CURLE_OK;
            if (s->state == 0) {
                if (ok && code == 200) {
                    shopper_start(s, 1, id);
                } else {
                    cart_errors++;
                    if (!*first_error)
                        snprintf(first_error, sizeof first_error, "cart %ld %s: %.200s", code,
                                 curl_easy_strerror(msg->data.result), s->resp);
                    shopper_start(s, 0, id);
                }
            } else {
                if (ok && (code == 201 || code == 200)) {
                    orders++;
                    samples_add(&lat_order, (t - s->t_order) * 1000.0);
                    samples_add(&lat_checkout, (t - s->t_checkout) * 1000.0);
                } else if (ok && code == 409) {
                    out_of_stock++;
                } else {
                    errors++;
                    if (!*first_error)
                        snprintf(first_error, sizeof first_error, "checkout %ld %s: %.200s", code,
                                 curl_easy_strerror(msg->data.result), s->resp);
                }
                shopper_start(s, 0, id);
            }
            if (t < end)
                curl_multi_add_handle(m, s->h);
        }
        if (running > 0)
            curl_multi_poll(m, NULL, 0, 100, NULL);
        if (now_s() >= end) {
            /* stop starting new work; let in-flight requests finish */
            curl_multi_perform(m, &running);
        }
    }
    double took = now_s() - t0;
    printf("mode=http flow=%s orders=%lu seconds=%.2f rate=%.1f p50_ms=%.2f p99_ms=%.2f "
           "checkout_p50_ms=%.2f checkout_p99_ms=%.2f out_of_stock=%lu errors=%lu "
           "cart_errors=%lu conc=%d skus=%zu\n",
           g_buy ? "buy" : "cart", orders, took, (double)orders / secs,
           samples_pct(&lat_order, 0.50), samples_pct(&lat_order, 0.99),
           samples_pct(&lat_checkout, 0.50), samples_pct(&lat_checkout, 0.99), out_of_stock, errors,
           cart_errors, conc, g_nskus);
    if (*first_error)
        fprintf(stderr, "first error: %s\n", first_error);
    for (int i = 0; i < conc; i++) {
        curl_easy_cleanup(sh[i].h);
        curl_slist_free_all(sh[i].hdr_cart);
        curl_slist_free_all(sh[i].hdr_checkout);
    }
    curl_multi_cleanup(m);
    curl_global_cleanup();
    free(sh);
    free(g_skus);
    free(lat_order.v);
    free(lat_checkout.v);
    return 0;
}

/* ---- raw mode ---- */

struct raw_cfg {
    const char *host, *user, *password, *db;
    unsigned port;
    long account, sku, price;
    bool lock_last;
    double end;
};

struct raw_thread {
    pthread_t tid;
    const struct raw_cfg *cfg;
    int id;
    unsigned long orders, retries, errors;
    struct samples lat;
    char error[300];
};

enum { Q_BEGIN, Q_LOCK, Q_UPDATE, Q_ORDER, Q_LINE, Q_LEDGER, Q_COUNT };
static const char *const raw_sql[Q_COUNT] = {
    [Q_BEGIN] = "START TRANSACTION",
    [Q_LOCK] = "SELECT available FROM stock WHERE sku_id = ? AND bucket = 0 FOR UPDATE",
    [Q_UPDATE] = "UPDATE stock SET available = available - 1, held = held + 1"
                 " WHERE sku_id = ? AND bucket = 0 AND available >= 1",
    /* the order copies the account's shipping address, as the checkout does */
    [Q_ORDER] = "INSERT INTO orders (account_id, status, total_krw, idempotency_key,"
                " hold_expires_at, ship_recipient, ship_phone, ship_postcode, ship_address,"
                " ship_detail) SELECT a.account_id, 'pending_payment', ?, ?,"
                " NOW(6) + INTERVAL 10 MINUTE, a.recipient, a.phone, a.postcode, a.address,"
                " a.detail FROM account_addresses a WHERE a.account_id = ?",
    [Q_LINE] = "INSERT INTO order_lines (order_id, line_no, sku_id, product_id, quantity,"
               " unit_price_krw) SELECT LAST_INSERT_ID(), 1, s.id, s.product_id, 1, ?"
               " FROM skus s WHERE s.id = ?",
    [Q_LEDGER] = "INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available, d_held,"
                 " ref_type, ref_id) VALUES (?, 0, 'hold', -1, 1, 'order', LAST_INSERT_ID())",
};

static bool retryable(unsigned e)
{
    return e == 1213 || e == 1205 || e == 1020;
}

static unsigned stmt_run(MYSQL_STMT *st, MYSQL_BIND *b)
{
    if ((b && mysql_stmt_bind_param(st, b)) || mysql_stmt_execute(st))
        return mysql_stmt_errno(st) ? mysql_stmt_errno(st) : 1;
    if (mysql_stmt_field_count(st) > 0) {
        mysql_stmt_store_result(st);
        mysql_stmt_free_result(st);
    }
    return 0;
}

static void bind_long(MYSQL_BIND *b, long *v)
{
    memset(b, 0, sizeof *b);
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = v;
}

static void *raw_main(void *arg)
{
    struct raw_thread *t = arg;
    const struct raw_cfg *c = t->cfg;
    MYSQL *my = mysql_init(NULL);
    if (!mysql_real_connect(my, c->host, c->user, c->password, c->db, c->port, NULL, 0)) {
        snprintf(t->error, sizeof t->error, "connect: %s", mysql_error(my));
        mysql_close(my);
        return NULL;
    }
    mysql_query(my, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    mysql_query(my, "SET SESSION innodb_lock_wait_timeout = 5");
    MYSQL_STMT *st[Q_COUNT];
    for (int i = 0; i < Q_COUNT; i++) {
        st[i] = mysql_stmt_init(my);
        if (i != Q_BEGIN && mysql_stmt_prepare(st[i], raw_sql[i], strlen(raw_sql[i]))) {
            snprintf(t->error, sizeof t->error, "prepare: %s", mysql_stmt_error(st[i]));
            return NULL;
        }
    }
    long sku = c->sku, account = c->account, price = c->price;
    char key[64];
    unsigned long keylen = 0;
    MYSQL_BIND b_sku[1], b_order[3], b_line[2], b_ledger[1];
    bind_long(&b_sku[0], &sku);
    bind_long(&b_order[0], &price);
    memset(&b_order[1], 0, sizeof b_order[1]);
    b_order[1].buffer_type = MYSQL_TYPE_STRING;
    b_order[1].buffer = key;
    b_order[1].length = &keylen;
    bind_long(&b_order[2], &account);
    bind_long(&b_line[0], &price);
    bind_long(&b_line[1], &sku);
    bind_long(&b_ledger[0], &sku);
    unsigned long seq = 0;
    while (now_s() < c->end) {
        keylen = (unsigned long)snprintf(key, sizeof key, "raw-%d-%lu-%ld", t->id, ++seq,
                                         (long)time(NULL));
        double t0 = now_s();
        unsigned e = 0;
        for (int attempt = 0; attempt < 10; attempt++) {
            e = (unsigned)mysql_query(my, raw_sql[Q_BEGIN]) ? mysql_errno(my) : 0;
            if (!e && !c->lock_last) {
                e = stmt_run(st[Q_LOCK], b_sku);
                if (!e)
                    e = stmt_run(st[Q_UPDATE], b_sku);
            }
            if (!e)
                e = stmt_run(st[Q_ORDER], b_order);
            if (!e)
                e = stmt_run(st[Q_LINE], b_line);
            if (!e && c->lock_last) {
                e = stmt_run(st[Q_LOCK], b_sku);
                if (!e)
                    e = stmt_run(st[Q_UPDATE], b_sku);
            }
            /* the ledger row last: its foreign key check reads the stock row, which must be
             * locked for update already (a shared lock first would deadlock on the upgrade) */
            if (!e)
                e = stmt_run(st[Q_LEDGER], b_ledger);
            if (!e)
                e = mysql_commit(my) ? mysql_errno(my) : 0;
            if (!e)
                break;
            mysql_rollback(my);
            if (!retryable(e))
                break;
            t->retries++;
        }
        if (e) {
            t->errors++;
            if (!*t->error)
                snprintf(t->error, sizeof t->error, "error %u: %s", e, mysql_error(my));
            continue;
        }
        t->orders++;
        samples_add(&t->lat, (now_s() - t0) * 1000.0);
    }
    for (int i = 0; i < Q_COUNT; i++)
        mysql_stmt_close(st[i]);
    mysql_close(my);
    mysql_thread_end();
    return NULL;
}

static int run_raw(int argc, char **argv)
{
    if (argc != 11 && argc != 12) {
        fputs("usage: stampede-checkout-load raw HOST PORT USER PASSWORD DB ACCOUNT SKU CONC "
              "SECONDS [lock-first|lock-last]\n",
              stderr);
        return 2;
    }
    struct raw_cfg c = {
        .host = argv[2],
        .port = (unsigned)parse_long(argv[3], "PORT", 1, 65535),
        .user = argv[4],
        .password = argv[5],
        .db = argv[6],
        .account = parse_long(argv[7], "ACCOUNT", 1, LONG_MAX),
        .sku = parse_long(argv[8], "SKU", 1, LONG_MAX),
        .price = 100000,
    };
    int conc = (int)parse_long(argv[9], "CONC", 1, 1024);
    double secs = (double)parse_long(argv[10], "SECONDS", 1, 3600);
    if (argc == 12) {
        if (strcmp(argv[11], "lock-last") == 0)
            c.lock_last = true;
        else if (strcmp(argv[11], "lock-first") != 0) {
            fprintf(stderr, "bad ORDER '%s'\n", argv[11]);
            return 2;
        }
    }
    mysql_library_init(0, NULL, NULL);
    struct raw_thread *th = calloc((size_t)conc, sizeof *th);
    double t0 = now_s();
    c.end = t0 + secs;
    for (int i = 0; i < conc; i++) {
        th[i].cfg = &c;
        th[i].id = i;
        if (pthread_create(&th[i].tid, NULL, raw_main, &th[i])) {
            fputs("pthread_create failed\n", stderr);
            return 1;
        }
    }
    struct samples all = {0};
    unsigned long orders = 0, retries = 0, errors = 0;
    const char *err = NULL;
    for (int i = 0; i < conc; i++) {
        pthread_join(th[i].tid, NULL);
        orders += th[i].orders;
        retries += th[i].retries;
        errors += th[i].errors;
        for (size_t k = 0; k < th[i].lat.n; k++)
            samples_add(&all, th[i].lat.v[k]);
        free(th[i].lat.v);
        if (!err && *th[i].error)
            err = th[i].error;
    }
    double took = now_s() - t0;
    printf("mode=raw order=%s orders=%lu seconds=%.2f rate=%.1f p50_ms=%.2f p99_ms=%.2f "
           "retries=%lu errors=%lu conc=%d\n",
           c.lock_last ? "lock-last" : "lock-first", orders, took, (double)orders / secs,
           samples_pct(&all, 0.50), samples_pct(&all, 0.99), retries, errors, conc);
    if (err)
        fprintf(stderr, "first error: %s\n", err);
    free(th);
    free(all.v);
    mysql_library_end();
    return orders > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "http") == 0)
        return run_http(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "raw") == 0)
        return run_raw(argc, argv);
    fputs("usage: stampede-checkout-load http URL TOKENS SKUS CONC SECONDS [cart|buy]\n"
          "       stampede-checkout-load raw HOST PORT USER PASSWORD DB ACCOUNT SKU CONC SECONDS "
          "[lock-first|lock-last]\n",
          stderr);
    return 2;
}

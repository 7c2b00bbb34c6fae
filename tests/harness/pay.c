/* pay — payment test helpers; see pay.h. */
#include "pay.h"

#include "shop/payment.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static char secret_key[256], client_key[256], webhook_secret[256], auth_header[512];
static char shop_secret[256];

bool stack_secret(const struct stack *s, const char *key, char *out, size_t n)
{
    char path[1024], line[1024];
    snprintf(path, sizeof path, "%s/etc/secrets.env", s->data);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t kl = strlen(key);
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, key, kl) == 0 && line[kl] == '=') {
            snprintf(out, n, "%s", line + kl + 1);
            found = true;
        }
    }
    fclose(f);
    return found;
}

void pay_init(const struct stack *s)
{
    if (!stack_secret(s, "STAMPEDE_PSP_SECRET_KEY", secret_key, sizeof secret_key) ||
        !stack_secret(s, "STAMPEDE_PSP_CLIENT_KEY", client_key, sizeof client_key) ||
        !stack_secret(s, "STAMPEDE_PSP_WEBHOOK_SECRET", webhook_secret, sizeof webhook_secret) ||
        !stack_secret(s, "STAMPEDE_SECURITY_SECRET", shop_secret, sizeof shop_secret))
        fail_msg("the stack's secrets.env has no sandbox keys or no shop secret");
    char plain[300], enc[512];
    snprintf(plain, sizeof plain, "%s:", secret_key);
    sodium_bin2base64(enc, sizeof enc, (const unsigned char *)plain, strlen(plain),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(auth_header, sizeof auth_header, "Authorization: Basic %s", enc);
}

void return_token(long long order_id, char *out, size_t n)
{
    struct arena *a = arena_new(4096, 1 << 20);
    struct str t = payment_return_token(a, str_from_cstr(shop_secret), order_id, time(NULL) + 3600);
    snprintf(out, n, "%.*s", STR_FMT(t));
    arena_destroy(a);
}

const char *psp_webhook_secret(void)
{
    return webhook_secret;
}

const char *psp_url(const struct stack *s, const char *path)
{
    static char bufs[8][1024];
    static int i;
    char *b = bufs[i++ % 8];
    snprintf(b, 1024, "http://127.0.0.1:%d%s", s->port_base + 30, path);
    return b;
}

long shopper_request(const struct stack *s, const struct shopper *sh, const char *method,
                     const char *path, const char *json, struct resp *r)
{
    char cookie[300];
    snprintf(cookie, sizeof cookie, "Cookie: stampede_sid=%s", sh->sid);
    const char *hdrs[] = {"X-Requested-With: stampede", cookie, NULL};
    struct client *c = client_new();
    int rc = client_request(c, method, stack_url(s, path), json ? "application/json" : NULL, json,
                            hdrs, r);
    client_free(c);
    if (rc != 0)
        fail_msg("%s %s: no response", method, path);
    return r->status;
}

void shopper_new(const struct stack *s, MYSQL *db, const char *label, struct shopper *sh)
{
    memset(sh, 0, sizeof *sh);
    snprintf(sh->email, sizeof sh->email, "%s-%08x@pay.test.stampede", label,
             (unsigned)randombytes_random());
    char body[400];
    snprintf(body, sizeof body,
             "{\"email\":\"%s\",\"password\":\"" TEST_SHOPPER_PASSWORD "\",\"name\":\"Payer\"}",
             sh->email);
    const char *hdrs[] = {"X-Requested-With: stampede", NULL};
    struct client *c = client_new();
    struct resp r;
    bool ok = client_request(c, "POST", stack_url(s, "/api/v1/accounts"), "application/json", body,
                             hdrs, &r) == 0 &&
              r.status == 201 && cookie_from(r.headers, "stampede_sid", sh->sid, sizeof sh->sid);
    char why[300];
    snprintf(why, sizeof why, "%ld %s", r.status, r.body ? r.body : "");
    resp_free(&r);
    client_free(c);
    if (!ok) /* freed first: a leak report must not bury the reason */
        fail_msg("sign-up of %s failed: %s", sh->email, why);
    sh->account_id = db_scalar(db, "SELECT id FROM accounts WHERE email = '%s'", sh->email);
    /* a checkout needs somewhere to ship to, as a real shopper adds before ordering */
    if (shopper_request(s, sh, "PUT", "/api/v1/account/address", TEST_ADDRESS_JSON, &r) != 200)
        fail_msg("address of %s: %ld %s", sh->email, r.status, r.body ? r.body : "");
    resp_free(&r);
}

void admin_sign_in(const struct stack *s, char *sid, size_t n)
{
    char password[128] = "", body[300];
    if (!stack_secret(s, "STAMPEDE_ADMIN_PASSWORD", password, sizeof password))
        fail_msg("no STAMPEDE_ADMIN_PASSWORD in the stack's secrets.env");
    snprintf(body, sizeof body, "{\"email\":\"admin@stampede.local\",\"password\":\"%s\"}",
             password);
    struct hreq q = {.method = "POST", .ctype = "application/json", .body = body};
    snprintf(q.url, sizeof q.url, "%s/api/v1/session", s->base_url);
    snprintf(q.hdr[0], sizeof q.hdr[0], "X-Requested-With: stampede");
    http_parallel(&q, 1, 1);
    bool ok = q.status == 200 && cookie_from(q.out_headers, "stampede_sid", sid, n);
    long st = q.status;
    hreq_free(&q);
    if (!ok)
        fail_msg("the admin's sign-in: %ld", st);
}

long long sku_new(MYSQL *db, const char *label, int stock, long long price)
{
    char slug[80];
    snprintf(slug, sizeof slug, "pay-%s-%08x", label, (unsigned)randombytes_random());
    if (db_execf(db,
                 "INSERT INTO products (slug, name, brand, description, price_krw, image) VALUES "
                 "('%s', 'Pay %s', 'Test', 'payment test', %lld, 'img/favicon.svg')",
                 slug, label, price))
        fail_msg("cannot create product %s", slug);
    long long product = db_scalar(db, "SELECT id FROM products WHERE slug = '%s'", slug);
    assert_int_equal(
        db_execf(db, "INSERT INTO skus (product_id, size_mm) VALUES (%lld, 270)", product), 0);
    long long sku = db_scalar(db, "SELECT id FROM skus WHERE product_id = %lld", product);
    assert_int_equal(db_execf(db,
                              "INSERT INTO stock (sku_id, bucket, available) VALUES (%lld, 0, %d)",
                              sku, stock),
                     0);
    assert_int_equal(db_execf(db,
                              "INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available,"
                              " ref_type, ref_id) VALUES (%lld, 0, 'receive', %d, 'test', 'pay')",
                              sku, stock),
                     0);
    return sku;
}

long long order_new(const struct stack *s, const struct shopper *sh, long long sku, int qty,
                    long long *total)
{
    char body[100];
    struct resp r;
    snprintf(body, sizeof body, "{\"sku_id\":%lld,\"quantity\":%d}", sku, qty);
    if (shopper_request(s, sh, "POST", "/api/v1/cart/items", body, &r) != 200)
        fail_msg("add to cart: %ld %s", r.status, r.body);
    resp_free(&r);
    char cookie[300], key[100];
    snprintf(cookie, sizeof cookie, "Cookie: stampede_sid=%s", sh->sid);
    snprintf(key, sizeof key, "Idempotency-Key: pay-%08x%08x", (unsigned)randombytes_random(),
             (unsigned)randombytes_random());
    const char *hdrs[] = {"X-Requested-With: stampede", cookie, key, NULL};
    struct client *c = client_new();
    if (client_request(c, "POST", stack_url(s, "/api/v1/checkout"), NULL, NULL, hdrs, &r) != 0 ||
        r.status != 201)
        fail_msg("checkout: %ld %s", r.status, r.body);
    client_free(c);
    cJSON *j = resp_json(&r);
    long long id = (long long)cJSON_GetObjectItem(j, "order_id")->valuedouble;
    if (total)
        *total = (long long)cJSON_GetObjectItem(j, "total")->valuedouble;
    /* the checkout answer sends the shopper to the sandbox's hosted page for this order */
    const cJSON *url = cJSON_GetObjectItem(j, "payment_url");
    assert_true(cJSON_IsString(url));
    assert_non_null(strstr(url->valuestring, "/checkout?clientKey="));
    char want[64];
    snprintf(want, sizeof want, "orderId=order-%lld&", id);
    assert_non_null(strstr(url->valuestring, want));
    cJSON_Delete(j);
    resp_free(&r);
    return id;
}

static void query_param(const char *url, const char *name, char *out, size_t n)
{
    out[0] = '\0';
    char pat[64];
    snprintf(pat, sizeof pat, "%s=", name);
    const char *p = strchr(url, '?');
    while (p) {
        p++;
        if (strncmp(p, pat, strlen(pat)) == 0) {
            p += strlen(pat);
            size_t l = strcspn(p, "&");
            snprintf(out, n, "%.*s", (int)l, p);
            return;
        }
        p = strchr(p, '&');
    }
}

void psp_hosted_post(const struct stack *s, long long order_id, long long amount, const char *card,
                     const char *action, char *location, size_t loclen)
{
    CURL *h = curl_easy_init();
    /* the return URLs carry the shop's signed token for the order, as the shop's own
     * /orders/{id}/pay makes them (shop/payment.h) */
    char token[128], su[512], fu[512];
    return_token(order_id, token, sizeof token);
    snprintf(su, sizeof su, "%s?attempt=%s", stack_url(s, "/payments/success"), token);
    snprintf(fu, sizeof fu, "%s?attempt=%s", stack_url(s, "/payments/fail"), token);
    char *success = curl_easy_escape(h, su, 0);
    char *failu = curl_easy_escape(h, fu, 0);
    char body[2048];
    snprintf(body, sizeof body,
             "clientKey=%s&orderId=order-%lld&orderName=test&amount=%lld&successUrl=%s&failUrl=%s"
             "&cardNumber=%s&action=%s",
             client_key, order_id, amount, success, failu, card, action);
    curl_free(success);
    curl_free(failu);
    curl_easy_cleanup(h);
    struct client *c = client_new();
    struct resp r;
    if (client_request(c, "POST", psp_url(s, "/checkout"), "application/x-www-form-urlencoded",
                       body, NULL, &r) != 0 ||
        r.status != 303 || !resp_header(&r, "Location", location, loclen))
        fail_msg("hosted page %s: %ld %s", action, r.status, r.body);
    resp_free(&r);
    client_free(c);
}

void psp_authorize(const struct stack *s, long long order_id, long long amount, const char *card,
                   char *key, size_t keylen, char *location, size_t loclen)
{
    psp_hosted_post(s, order_id, amount, card, "pay", location, loclen);
    query_param(location, "paymentKey", key, keylen);
    if (strcmp(card, TEST_CARD_DECLINE) != 0)
        assert_true(key[0] != '\0');
}

long psp_api(const struct stack *s, const char *method, const char *path, const char *json,
             const char *extra_header, struct resp *r)
{
    const char *hdrs[] = {auth_header, extra_header, NULL};
    struct client *c = client_new();
    int rc = client_request(c, method, psp_url(s, path), json ? "application/json" : NULL, json,
                            hdrs, r);
    client_free(c);
    if (rc != 0)
        fail_msg("sandbox %s %s: no response", method, path);
    return r->status;
}

void psp_fault(const struct stack *s, const char *op, const char *kind, int count,
               long long order_id, int delay_ms)
{
    char body[300], order[64] = "";
    if (order_id)
        snprintf(order, sizeof order, ",\"orderId\":\"order-%lld\"", order_id);
    snprintf(body, sizeof body, "{\"op\":\"%s\",\"kind\":\"%s\",\"count\":%d%s,\"delayMs\":%d}", op,
             kind, count, order, delay_ms);
    struct resp r;
    if (psp_api(s, "POST", "/v1/sandbox/faults", body, NULL, &r) != 201)
        fail_msg("fault %s: %ld %s", body, r.status, r.body);
    resp_free(&r);
}

void psp_faults_clear(const struct stack *s)
{
    struct resp r;
    assert_int_equal(psp_api(s, "DELETE", "/v1/sandbox/faults", NULL, NULL, &r), 204);
    resp_free(&r);
}

long psp_confirm_direct(const struct stack *s, const char *key, long long order_id,
                        long long amount)
{
    char body[300];
    snprintf(body, sizeof body,
             "{\"paymentKey\":\"%s\",\"orderId\":\"order-%lld\",\"amount\":%lld}", key, order_id,
             amount);
    struct resp r;
    long st = psp_api(s, "POST", "/v1/payments/confirm", body, NULL, &r);
    resp_free(&r);
    return st;
}

long shop_return(const struct stack *s, const struct shopper *sh, const char *key,
                 long long order_id, long long amount, char *location, size_t loclen)
{
    char path[400];
    snprintf(path, sizeof path, "/payments/success?paymentKey=%s&orderId=order-%lld&amount=%lld",
             key, order_id, amount);
    struct resp r;
    long st = shopper_request(s, sh, "GET", path, NULL, &r);
    if (location && !resp_header(&r, "Location", location, loclen))
        location[0] = '\0';
    resp_free(&r);
    return st;
}

long long sku_available(MYSQL *db, long long sku)
{
    return db_scalar(db, "SELECT SUM(available) FROM stock WHERE sku_id = %lld", sku);
}

void order_expire_now(const struct stack *s, MYSQL *db, long long order_id)
{
    assert_int_equal(db_execf(db,
                              "UPDATE orders SET hold_expires_at = NOW(6) - INTERVAL 1 SECOND "
                              "WHERE id = %lld",
                              order_id),
                     0);
    assert_int_equal(stack_batch(s, "expire-holds", NULL, NULL, NULL, 0), 0);
}

const char *order_status(MYSQL *db, long long order_id)
{
    static char out[64];
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT status FROM orders WHERE id = %lld", order_id);
    if (mysql_query(db, sql))
        fail_msg("%s: %s", sql, mysql_error(db));
    MYSQL_RES *res = mysql_store_result(db);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    snprintf(out, sizeof out, "%s", row && row[0] ? row[0] : "(none)");
    if (res)
        mysql_free_result(res);
    return out;
}

long long psp_count(MYSQL *db, long long order_id, const char *kind)
{
    return db_scalar(db,
                     "SELECT COUNT(*) FROM stampede_psp.psp_ledger WHERE order_id = 'order-%lld' "
                     "AND kind = '%s'",
                     order_id, kind);
}

long long psp_sum(MYSQL *db, long long order_id, const char *kind)
{
    return db_scalar(db,
                     "SELECT COALESCE(SUM(amount), 0) FROM stampede_psp.psp_ledger WHERE order_id "
                     "= 'order-%lld' AND kind = '%s'",
                     order_id, kind);
}

bool wait_webhooks_settled(MYSQL *db, long long order_id, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 100) {
        if (db_scalar(db,
                      "SELECT COUNT(*) FROM stampede_psp.psp_webhook_events WHERE order_id = "
                      "'order-%lld' AND delivered_at IS NULL AND gave_up_at IS NULL",
                      order_id) == 0)
            return true;
        usleep(100 * 1000);
    }
    return false;
}

/* net: captured minus refunded per payment, from the sandbox's ledger */
#define NET                                                                           \
    "(SELECT payment_key, MIN(order_id) order_id,"                                    \
    " SUM(IF(kind = 'capture', amount, 0)) - SUM(IF(kind = 'refund', amount, 0)) net" \
    " FROM stampede_psp.psp_ledger GROUP BY payment_key)"

static long long print_rows(MYSQL *db, const char *what, const char *sql)
{
    if (mysql_query(db, sql))
        fail_msg("%s: %s", sql, mysql_error(db));
    MYSQL_RES *res = mysql_store_result(db);
    long long n = 0;
    MYSQL_ROW row;
    while (res && (row = mysql_fetch_row(res))) {
        if (n++ < 10)
            print_message("I5 violation (%s): %s %s %s\n", what, row[0] ? row[0] : "-",
                          row[1] ? row[1] : "-", row[2] ? row[2] : "-");
    }
    if (res)
        mysql_free_result(res);
    return n;
}

long long i5_violations(MYSQL *db)
{
    long long n = 0;
    /* a payment holding money must be the payment of one paid order of exactly that total */
    n += print_rows(db, "capture without its paid order",
                    "SELECT n.payment_key, n.order_id, n.net FROM " NET " n"
                    " LEFT JOIN stampede.orders o ON o.payment_key = n.payment_key"
                    "  AND o.status = 'paid' AND n.order_id = CONCAT('order-', o.id)"
                    " WHERE n.net > 0 AND (o.id IS NULL OR o.total_krw <> n.net)");
    /* a paid order must have such a payment */
    n += print_rows(db, "paid order without its capture",
                    "SELECT o.id, o.payment_key, o.total_krw FROM stampede.orders o"
                    " LEFT JOIN " NET " n ON n.payment_key = o.payment_key"
                    " WHERE o.status = 'paid' AND (n.net IS NULL OR n.net <> o.total_krw)");
    /* nothing refunded beyond what was captured; the sandbox's balances agree */
    n += print_rows(db, "refunded more than captured",
                    "SELECT payment_key, order_id, net FROM " NET " n WHERE net < 0");
    n += print_rows(db, "sandbox balance differs from its ledger",
                    "SELECT p.payment_key, p.balance, n.net FROM stampede_psp.psp_payments p"
                    " JOIN " NET " n ON n.payment_key = p.payment_key WHERE p.balance <> n.net");
    return n;
}

int stack_batch(const struct stack *s, const char *job, const char *args, long long *execution,
                char *out, size_t outlen)
{
    char cmd[2048], line[1024], status[32];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && STAMPEDE_DATA='%s' STAMPEDE_BUILD_DIR='%s' STAMPEDE_PORT_BASE=%d "
             "STAMPEDE_NO_INSTALL=1 STAMPEDE_NO_BUILD=1 ./stampede batch %s %s 2>&1",
             s->repo, s->data, s->build, s->port_base, job, args ? args : "");
    for (int attempt = 0; attempt < 100; attempt++) {
        FILE *p = popen(cmd, "r");
        if (!p)
            fail_msg("cannot run %s", cmd);
        long long id = 0;
        status[0] = '\0';
        size_t o = 0;
        if (out && outlen)
            out[0] = '\0';
        while (fgets(line, sizeof line, p)) {
            char pat[128];
            snprintf(pat, sizeof pat, "%s: execution ", job);
            const char *at = strstr(line, pat);
            if (at) {
                at += strlen(pat);
                id = strtoll(at, (char **)&at, 10);
                snprintf(status, sizeof status, "%.*s", (int)strcspn(at + 1, " "), at + 1);
            }
            if (out && o + 1 < outlen)
                o += (size_t)snprintf(out + o, outlen - o, "%s", line);
        }
        int st = pclose(p);
        int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (strcmp(status, "NOOP") != 0) {
            if (execution)
                *execution = id;
            return rc;
        }
        usleep(200 * 1000);
    }
    fail_msg("%s: another run held its lease for too long", job);
    return -1;
}

void assert_i1_i5(const struct stack *s, MYSQL *db)
{
    char out[4096];
    if (stack_batch(s, "audit-stock", NULL, NULL, out, sizeof out) != 0)
        fail_msg("audit-stock failed:\n%s", out);
    assert_int_equal(i5_violations(db), 0);
    if (stack_batch(s, "audit-payments", NULL, NULL, out, sizeof out) != 0)
        fail_msg("audit-payments failed:\n%s", out);
}

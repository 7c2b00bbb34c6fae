/*
 * Integration: the payment saga against the stampede-psp sandbox on the private stack.
 *
 * Every order here is real: a shopper signed up through the API, a cart, a checkout holding
 * stock, the card holder's step on the sandbox's hosted page (posted without a browser; the
 * e2e test does it in Chromium) and the browser's return to the shop. Faults are switched on
 * in the sandbox per call. Each test ends with I1 (audit-stock) and I5 (the sandbox's ledger
 * against the orders, and audit-payments).
 */
#include "pay.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PRICE 150000

static struct stack S;
static MYSQL *DB;
static struct shopper A;

static int setup(void **state)
{
    (void)state;
    stack_load(&S);
    DB = stack_db(&S, 0);
    if (sodium_init() < 0)
        fail();
    pay_init(&S);
    shopper_new(&S, DB, "payer", &A);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    psp_faults_clear(&S);
    mysql_close(DB);
    return 0;
}

static int before_each(void **state)
{
    (void)state;
    psp_faults_clear(&S);
    return 0;
}

struct sale {
    long long sku, order, total;
    char key[80];
    char loc[1024];
};

/* authorized: a new size with `stock` pairs, an order of qty, and the card holder's
 * approval on the hosted page (nothing captured yet) */
static void authorized(struct sale *c, const char *label, int stock, int qty)
{
    c->sku = sku_new(DB, label, stock, PRICE);
    c->order = order_new(&S, &A, c->sku, qty, &c->total);
    psp_authorize(&S, c->order, c->total, TEST_CARD_APPROVE, c->key, sizeof c->key, c->loc,
                  sizeof c->loc);
}

static long long sold(long long sku)
{
    return db_scalar(DB, "SELECT SUM(sold) FROM stock WHERE sku_id = %lld", sku);
}

static void reconcile(void)
{
    char out[8192];
    if (stack_batch(&S, "reconcile-payments", "--param min_age_s=0", NULL, out, sizeof out))
        fail_msg("reconcile-payments failed:\n%s", out);
}

static bool wait_until_refund(long long order)
{
    for (int i = 0; i < 200; i++) {
        if (psp_count(DB, order, "refund") > 0)
            return true;
        usleep(100 * 1000);
    }
    return false;
}

static void assert_location_has(const char *location, const char *what)
{
    if (!strstr(location, what))
        fail_msg("redirected to %s, expected %s", location, what);
}

/* ---- the happy path, and what the hosted page can say no to */

static void test_happy_path_pays_and_sells(void **state)
{
    (void)state;
    long long sku = sku_new(DB, "happy", 5, PRICE), total;
    long long order = order_new(&S, &A, sku, 2, &total);
    assert_int_equal(total, 2 * PRICE);
    assert_string_equal(order_status(DB, order), "pending_payment");
    char key[80], loc[1024];
    psp_authorize(&S, order, total, TEST_CARD_APPROVE, key, sizeof key, loc, sizeof loc);
    assert_location_has(loc, "/payments/success?attempt=");
    assert_location_has(loc, "&paymentKey=");
    /* authorizing moves no money */
    assert_int_equal(psp_count(DB, order, "capture"), 0);

    assert_int_equal(shop_return(&S, &A, key, order, total, loc, sizeof loc), 303);
    char want[80];
    snprintf(want, sizeof want, "/orders/%lld?payment=paid", order);
    assert_location_has(loc, want);
    assert_string_equal(order_status(DB, order), "paid");
    assert_int_equal(psp_count(DB, order, "capture"), 1);
    assert_int_equal(psp_sum(DB, order, "capture"), total);
    assert_int_equal(sold(sku), 2);
    assert_int_equal(sku_available(DB, sku), 3);
    /* the confirmation page */
    struct resp r;
    char path[64];
    snprintf(path, sizeof path, "/orders/%lld?payment=paid", order);
    assert_int_equal(shopper_request(&S, &A, "GET", path, NULL, &r), 200);
    assert_true(resp_contains(&r, "your order is confirmed"));
    resp_free(&r);
    /* the sandbox's event arrives too and changes nothing more */
    assert_true(wait_webhooks_settled(DB, order, 20000));
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM webhook_events WHERE payment_key = '%s' AND "
                               "outcome = 'none'",
                               key),
                     1);
    /* a refresh of the return URL is a replay */
    assert_int_equal(shop_return(&S, &A, key, order, total, loc, sizeof loc), 303);
    assert_location_has(loc, "payment=paid");
    assert_int_equal(psp_count(DB, order, "capture"), 1);
    assert_i1_i5(&S, DB);
}

static void test_decline_cancels_order_and_releases_stock(void **state)
{
    (void)state;
    long long sku = sku_new(DB, "decline", 3, PRICE), total;
    long long order = order_new(&S, &A, sku, 1, &total);
    assert_int_equal(sku_available(DB, sku), 2);
    char key[80], loc[1024];
    psp_authorize(&S, order, total, TEST_CARD_DECLINE, key, sizeof key, loc, sizeof loc);
    assert_location_has(loc, "/payments/fail?attempt=");
    assert_location_has(loc, "&code=REJECT_CARD_COMPANY");
    /* the browser follows the sandbox to the shop's fail URL */
    const char *path = strstr(loc, "/payments/fail");
    struct resp r;
    assert_int_equal(shopper_request(&S, &A, "GET", path, NULL, &r), 303);
    resp_free(&r);
    assert_string_equal(order_status(DB, order), "cancelled");
    assert_int_equal(sku_available(DB, sku), 3);
    assert_int_equal(psp_count(DB, order, "decline"), 1);
    assert_int_equal(psp_count(DB, order, "capture"), 0);
    assert_int_equal(db_scalar(DB,
                               "SELECT SUM(d_available) FROM inventory_ledger WHERE ref_type = "
                               "'order' AND ref_id = '%lld' AND reason = 'release'",
                               order),
                     1);
    assert_true(wait_webhooks_settled(DB, order, 20000));
    assert_i1_i5(&S, DB);
}

static void test_cancel_on_hosted_page_releases_stock(void **state)
{
    (void)state;
    long long sku = sku_new(DB, "hostcancel", 2, PRICE), total;
    long long order = order_new(&S, &A, sku, 2, &total);
    assert_int_equal(sku_available(DB, sku), 0);
    char loc[1024];
    psp_hosted_post(&S, order, total, "", "cancel", loc, sizeof loc);
    assert_location_has(loc, "code=PAY_PROCESS_CANCELED");
    struct resp r;
    assert_int_equal(shopper_request(&S, &A, "GET", strstr(loc, "/payments/fail"), NULL, &r), 303);
    resp_free(&r);
    assert_string_equal(order_status(DB, order), "cancelled");
    assert_int_equal(sku_available(DB, sku), 2);
    assert_i1_i5(&S, DB);
}

static void test_abandoned_payment_expires_and_late_return_is_voided(void **state)
{
    (void)state;
    struct sale c;
    authorized(&c, "abandon", 4, 3);
    /* the shopper closes the tab; the hold runs out */
    order_expire_now(&S, DB, c.order);
    assert_string_equal(order_status(DB, c.order), "expired");
    assert_int_equal(sku_available(DB, c.sku), 4);
    /* ... and comes back late: nothing is captured, the authorization is released */
    assert_int_equal(shop_return(&S, &A, c.key, c.order, c.total, c.loc, sizeof c.loc), 303);
    assert_location_has(c.loc, "payment=closed");
    assert_int_equal(psp_count(DB, c.order, "capture"), 0);
    assert_int_equal(psp_count(DB, c.order, "void"), 1);
    assert_string_equal(order_status(DB, c.order), "expired");
    assert_true(wait_webhooks_settled(DB, c.order, 20000));
    assert_i1_i5(&S, DB);
}

/* ---- one capture, whatever the browser does */

struct storm {
    const char *key;
    long long order, total;
    long status;
    char location[512];
};

static void *storm_one(void *arg)
{
    struct storm *t = arg;
    t->status = shop_return(&S, &A, t->key, t->order, t->total, t->location, sizeof t->location);
    return NULL;
}

static void test_100_concurrent_confirms_capture_once(void **state)
{
    (void)state;
    struct sale c;
    authorized(&c, "storm", 1, 1);
    enum { N = 100 };
    static struct storm t[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        t[i] = (struct storm){c.key, c.order, c.total, 0, ""};
        pthread_create(&th[i], NULL, storm_one, &t[i]);
    }
    int paid = 0, confirming = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(t[i].status, 303);
        paid += strstr(t[i].location, "payment=paid") != NULL;
        confirming += strstr(t[i].location, "payment=unknown") != NULL;
    }
    print_message("100 returns: %d saw paid, %d saw it being confirmed\n", paid, confirming);
    assert_int_equal(paid + confirming, N);
    assert_true(paid >= 1);
    assert_string_equal(order_status(DB, c.order), "paid");
    assert_int_equal(psp_count(DB, c.order, "capture"), 1);
    assert_int_equal(psp_count(DB, c.order, "refund"), 0);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM payment_log WHERE order_id = %lld AND event = "
                               "'paid'",
                               c.order),
                     1);
    assert_int_equal(sold(c.sku), 1);
    assert_true(wait_webhooks_settled(DB, c.order, 20000));
    assert_i1_i5(&S, DB);
}

/* pay_metric: stampede_payments_total{outcome} summed over both web nodes */
static unsigned long long pay_metric(const char *outcome)
{
    char series[128];
    snprintf(series, sizeof series, "stampede_payments_total{outcome=\"%s\"}", outcome);
    unsigned long long sum = 0;
    size_t n = strlen(series);
    struct client *c = client_new();
    for (int node = 0; node < 2; node++) {
        struct resp r;
        assert_int_equal(client_get(c, node_url(&S, node, "/metrics"), &r), 0);
        for (const char *p = r.body; p && *p;) {
            if (strncmp(p, series, n) == 0 && p[n] == ' ')
                sum += strtoull(p + n + 1, NULL, 10);
            p = strchr(p, '\n');
            p = p ? p + 1 : NULL;
        }
        resp_free(&r);
    }
    client_free(c);
    return sum;
}

static void test_wrong_amount_is_never_confirmed(void **state)
{
    (void)state;
    unsigned long long mismatch0 = pay_metric("amount_mismatch"),
                       declined0 = pay_metric("declined"), paid0 = pay_metric("paid");
    long long sku = sku_new(DB, "amount", 2, PRICE), total;
    long long order = order_new(&S, &A, sku, 1, &total);
    char key[80], loc[1024];
    /* the card holder authorized less than the order (a tampered page) */
    psp_authorize(&S, order, total - 1000, TEST_CARD_APPROVE, key, sizeof key, loc, sizeof loc);
    assert_int_equal(shop_return(&S, &A, key, order, total - 1000, loc, sizeof loc), 303);
    assert_location_has(loc, "payment=amount_mismatch");
    assert_string_equal(order_status(DB, order), "pending_payment");
    /* the return URL edited to the right amount: the sandbox refuses (authorized less) */
    assert_int_equal(shop_return(&S, &A, key, order, total, loc, sizeof loc), 303);
    assert_location_has(loc, "payment=declined");
    assert_string_equal(order_status(DB, order), "pending_payment");
    assert_int_equal(psp_count(DB, order, "capture"), 0);
    /* the same idempotency key with another amount is refused by the gateway */
    char idem[200], body[300];
    snprintf(idem, sizeof idem, "Idempotency-Key: stampede-confirm-%lld-%s", order, key);
    snprintf(body, sizeof body,
             "{\"paymentKey\":\"%s\",\"orderId\":\"order-%lld\",\"amount\":%lld}", key, order,
             total - 1000);
    struct resp r;
    assert_int_equal(psp_api(&S, "POST", "/v1/payments/confirm", body, idem, &r), 422);
    assert_true(resp_contains(&r, "IDEMPOTENCY_KEY_REUSED"));
    resp_free(&r);
    assert_int_equal(psp_count(DB, order, "capture"), 0);
    /* a correct payment still goes through */
    psp_authorize(&S, order, total, TEST_CARD_APPROVE, key, sizeof key, loc, sizeof loc);
    assert_int_equal(shop_return(&S, &A, key, order, total, loc, sizeof loc), 303);
    assert_location_has(loc, "payment=paid");
    assert_int_equal(psp_count(DB, order, "capture"), 1);
    /* stampede_payments_total counted each return by what it came to */
    assert_int_equal(pay_metric("amount_mismatch") - mismatch0, 1);
    assert_int_equal(pay_metric("declined") - declined0, 1);
    assert_int_equal(pay_metric("paid") - paid0, 1);
    assert_true(wait_webhooks_settled(DB, order, 20000));
    assert_i1_i5(&S, DB);
}

/* ---- answers that do not come back */

static void unknown_then_reconciled(const char *fault, int count, int delay_ms, bool drop_webhooks)
{
    struct sale c;
    authorized(&c, "unknown", 2, 1);
    psp_fault(&S, "confirm", fault, count, c.order, delay_ms);
    if (drop_webhooks)
        psp_fault(&S, "webhook", "drop", 10, c.order, 0);
    assert_int_equal(shop_return(&S, &A, c.key, c.order, c.total, c.loc, sizeof c.loc), 303);
    assert_location_has(c.loc, "payment=unknown");
    /* the capture committed at the gateway; the shop does not guess */
    assert_int_equal(psp_count(DB, c.order, "capture"), 1);
    if (drop_webhooks && strcmp(order_status(DB, c.order), "payment_unknown") != 0) {
        /* only the scheduled reconcile-payments may have settled it meanwhile */
        assert_string_equal(order_status(DB, c.order), "paid");
        assert_int_equal(db_scalar(DB,
                                   "SELECT COUNT(*) FROM payment_log WHERE order_id = %lld AND "
                                   "event = 'paid' AND source = 'reconcile'",
                                   c.order),
                         1);
    }
    reconcile();
    assert_true(wait_webhooks_settled(DB, c.order, 20000));
    reconcile();
    assert_string_equal(order_status(DB, c.order), "paid");
    assert_int_equal(psp_count(DB, c.order, "capture"), 1);
    assert_int_equal(psp_count(DB, c.order, "refund"), 0);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM payment_log WHERE order_id = %lld AND event = "
                               "'paid'",
                               c.order),
                     1);
    assert_int_equal(sold(c.sku), 1);
    /* the shopper's page now shows the confirmation */
    assert_int_equal(shop_return(&S, &A, c.key, c.order, c.total, c.loc, sizeof c.loc), 303);
    assert_location_has(c.loc, "payment=paid");
    assert_i1_i5(&S, DB);
}

static void test_lost_response_after_capture_is_reconciled_to_paid_once(void **state)
{
    (void)state;
    /* two: libcurl sends a request again by itself when a kept-alive connection closes
     * without an answer (safe only because the confirm carries its idempotency key: the
     * second one replays); both are lost here */
    unknown_then_reconciled("lost", 2, 0, true);
}

static void test_500_after_commit_is_settled_to_paid_once(void **state)
{
    (void)state;
    unknown_then_reconciled("error_after_commit", 1, 0, false);
}

static void test_gateway_timeout_leaves_unknown_then_settles(void **state)
{
    (void)state;
    /* longer than the shop's gateway.timeout (10 s): the shop gives up, the capture stands */
    unknown_then_reconciled("timeout", 1, 11000, true);
}

static void test_capture_for_expired_order_is_refunded_automatically(void **state)
{
    (void)state;
    struct sale c;
    authorized(&c, "late", 2, 1);
    order_expire_now(&S, DB, c.order);
    /* money taken anyway (a confirm from elsewhere): the webhook brings it to the shop */
    assert_int_equal(psp_confirm_direct(&S, c.key, c.order, c.total), 200);
    assert_true(wait_until_refund(c.order));
    assert_int_equal(psp_sum(DB, c.order, "refund"), c.total);
    assert_int_equal(psp_count(DB, c.order, "refund"), 1);
    assert_string_equal(order_status(DB, c.order), "expired");
    assert_true(wait_webhooks_settled(DB, c.order, 20000));
    reconcile();
    assert_int_equal(psp_count(DB, c.order, "refund"), 1);
    assert_i1_i5(&S, DB);
}

/* ---- webhooks */

/* post_event: a webhook as the gateway would send it; signature NULL: no header */
static long post_event(const char *body, const char *signature)
{
    char hdr[400];
    snprintf(hdr, sizeof hdr, "PSP-Signature: %s", signature ? signature : "");
    const char *hdrs[] = {signature ? hdr : NULL, NULL};
    struct client *c = client_new();
    struct resp r;
    if (client_request(c, "POST", stack_url(&S, "/webhooks/psp"), "application/json", body, hdrs,
                       &r) != 0)
        fail_msg("webhook: no response");
    client_free(c);
    long st = r.status;
    resp_free(&r);
    return st;
}

/* sign: "t=<t>,v1=<hex HMAC-SHA256(secret, t.body)>" computed here with libsodium */
static void sign(char *out, size_t n, const char *secret, long long t, const char *body)
{
    char ts[32];
    snprintf(ts, sizeof ts, "%lld.", t);
    crypto_auth_hmacsha256_state st;
    unsigned char mac[32];
    char hex[65];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(out, n, "t=%lld,v1=%s", t, hex);
}

static void test_forged_altered_stale_and_replayed_webhooks_change_nothing(void **state)
{
    (void)state;
    /* an order whose capture the shop has not heard of: a valid event would make it paid */
    struct sale c;
    authorized(&c, "hooks", 3, 1);
    psp_fault(&S, "webhook", "drop", 10, c.order, 0);
    assert_int_equal(psp_confirm_direct(&S, c.key, c.order, c.total), 200);
    assert_string_equal(order_status(DB, c.order), "pending_payment");

    char body[600], sig[300];
    snprintf(body, sizeof body,
             "{\"eventId\":\"evt_test_%08x\",\"eventType\":\"PAYMENT_STATUS_CHANGED\","
             "\"data\":{\"paymentKey\":\"%s\",\"orderId\":\"order-%lld\",\"status\":\"DONE\"}}",
             (unsigned)randombytes_random(), c.key, c.order);
    long long now = (long long)time(NULL);
    long long events = db_scalar(DB, "SELECT COUNT(*) FROM webhook_events");

    /* forged: signed with another secret */
    sign(sig, sizeof sig, "whsec_not_the_shops_secret_at_all", now, body);
    assert_int_equal(post_event(body, sig), 400);
    /* missing header, malformed header */
    assert_int_equal(post_event(body, NULL), 400);
    assert_int_equal(post_event(body, "t=abc,v1=00"), 400);
    /* altered: one byte of the body changed after signing */
    sign(sig, sizeof sig, psp_webhook_secret(), now, body);
    char altered[600];
    snprintf(altered, sizeof altered, "%s", body);
    altered[strlen(altered) - 5] = 'X'; /* "DONE" -> "DOXE" */
    assert_int_equal(post_event(altered, sig), 400);
    /* stale: a valid signature over a timestamp older than the 300 s window */
    sign(sig, sizeof sig, psp_webhook_secret(), now - 400, body);
    assert_int_equal(post_event(body, sig), 400);
    /* a timestamp changed in the header without the signature following */
    char valid[300], tampered[300];
    sign(valid, sizeof valid, psp_webhook_secret(), now, body);
    snprintf(tampered, sizeof tampered, "t=%lld%s", now + 1, strchr(valid, ','));
    assert_int_equal(post_event(body, tampered), 400);

    assert_string_equal(order_status(DB, c.order), "pending_payment");
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM webhook_events"), events);

    /* the genuine event settles the order */
    assert_int_equal(post_event(body, valid), 200);
    assert_string_equal(order_status(DB, c.order), "paid");
    /* replayed as captured: recognised by its id, no second effect */
    assert_int_equal(post_event(body, valid), 200);
    /* replayed after the window (its signed t is old by then): refused */
    char old[300];
    sign(old, sizeof old, psp_webhook_secret(), now - 360, body);
    assert_int_equal(post_event(body, old), 400);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM payment_log WHERE order_id = %lld AND event = "
                               "'paid'",
                               c.order),
                     1);
    assert_int_equal(psp_count(DB, c.order, "capture"), 1);
    assert_int_equal(sold(c.sku), 1);

    /* the sandbox's own misbehaving deliveries: a wrong secret and a stale timestamp are
     * refused with 400, and the retry (signed properly) is accepted */
    static const char *const faults[] = {"bad_signature", "stale"};
    for (int i = 0; i < 2; i++) {
        long long o2 = order_new(&S, &A, c.sku, 1, &c.total);
        psp_authorize(&S, o2, c.total, TEST_CARD_APPROVE, c.key, sizeof c.key, c.loc, sizeof c.loc);
        psp_fault(&S, "webhook", faults[i], 1, o2, 0);
        assert_int_equal(shop_return(&S, &A, c.key, o2, c.total, c.loc, sizeof c.loc), 303);
        assert_true(wait_webhooks_settled(DB, o2, 30000));
        assert_int_equal(db_scalar(DB,
                                   "SELECT COUNT(*) FROM stampede_psp.psp_webhook_deliveries d "
                                   "JOIN stampede_psp.psp_webhook_events e ON e.event_id = "
                                   "d.event_id WHERE e.order_id = 'order-%lld' AND d.fault = '%s' "
                                   "AND d.status = 400",
                                   o2, faults[i]),
                         1);
        assert_int_equal(db_scalar(DB,
                                   "SELECT COUNT(*) FROM stampede_psp.psp_webhook_events WHERE "
                                   "order_id = 'order-%lld' AND last_status <> 200",
                                   o2),
                         0);
        assert_string_equal(order_status(DB, o2), "paid");
    }
    assert_i1_i5(&S, DB);
}

static void test_duplicated_and_reordered_webhooks_have_one_effect(void **state)
{
    (void)state;
    /* two payments captured for one order, straight at the gateway (two tabs, a confirm from
     * elsewhere); the first one's event is held back so the second's arrives first, and every
     * event is delivered twice */
    long long sku = sku_new(DB, "reorder", 2, PRICE), total;
    long long order = order_new(&S, &A, sku, 1, &total);
    char k1[80], k2[80], loc[1024];
    psp_authorize(&S, order, total, TEST_CARD_APPROVE, k1, sizeof k1, loc, sizeof loc);
    psp_authorize(&S, order, total, TEST_CARD_APPROVE, k2, sizeof k2, loc, sizeof loc);
    psp_fault(&S, "webhook", "reorder", 1, order, 2500);
    psp_fault(&S, "webhook", "duplicate", 10, order, 0);
    assert_int_equal(psp_confirm_direct(&S, k1, order, total), 200);
    assert_int_equal(psp_confirm_direct(&S, k2, order, total), 200);
    assert_true(wait_webhooks_settled(DB, order, 30000));
    /* the refund's own event too */
    assert_true(wait_until_refund(order));
    assert_true(wait_webhooks_settled(DB, order, 30000));

    assert_string_equal(order_status(DB, order), "paid");
    /* the second capture's event came first and paid the order; the first was refunded */
    assert_int_equal(
        db_scalar(DB, "SELECT payment_key = '%s' FROM orders WHERE id = %lld", k2, order), 1);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM stampede_psp.psp_ledger WHERE payment_key = "
                               "'%s' AND kind = 'refund'",
                               k1),
                     1);
    assert_int_equal(psp_count(DB, order, "refund"), 1);
    assert_true(db_scalar(DB,
                          "SELECT COUNT(*) FROM stampede_psp.psp_webhook_deliveries d JOIN "
                          "stampede_psp.psp_webhook_events e ON e.event_id = d.event_id WHERE "
                          "e.order_id = 'order-%lld' AND d.status = 200",
                          order) > db_scalar(DB,
                                             "SELECT COUNT(*) FROM stampede_psp.psp_webhook_events "
                                             "WHERE order_id = 'order-%lld'",
                                             order));
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM payment_log WHERE order_id = %lld AND event = "
                               "'paid'",
                               order),
                     1);
    assert_int_equal(sold(sku), 1);
    reconcile();
    assert_int_equal(psp_count(DB, order, "refund"), 1);
    assert_i1_i5(&S, DB);
}

/* ---- the sandbox keeps its promises */

static void test_sandbox_confirm_and_refund_are_idempotent(void **state)
{
    (void)state;
    struct sale c;
    authorized(&c, "idem", 2, 1);
    psp_fault(&S, "webhook", "drop", 20, c.order, 0);
    char body[300], idem[100];
    snprintf(body, sizeof body,
             "{\"paymentKey\":\"%s\",\"orderId\":\"order-%lld\",\"amount\":%lld}", c.key, c.order,
             c.total);
    snprintf(idem, sizeof idem, "Idempotency-Key: test-confirm-%lld", c.order);
    struct resp a, b;
    assert_int_equal(psp_api(&S, "POST", "/v1/payments/confirm", body, idem, &a), 200);
    assert_int_equal(psp_api(&S, "POST", "/v1/payments/confirm", body, idem, &b), 200);
    assert_string_equal(a.body, b.body);
    char h[64];
    assert_true(resp_header(&b, "Idempotent-Replayed", h, sizeof h));
    resp_free(&a);
    resp_free(&b);
    /* without the key, a second confirm is refused: captured already */
    assert_int_equal(psp_api(&S, "POST", "/v1/payments/confirm", body, NULL, &a), 400);
    assert_true(resp_contains(&a, "ALREADY_PROCESSED_PAYMENT"));
    resp_free(&a);
    assert_int_equal(psp_count(DB, c.order, "capture"), 1);

    /* partial refund, replayed; then the rest; then nothing is left */
    char path[200], rb[200];
    snprintf(path, sizeof path, "/v1/payments/%s/cancel", c.key);
    snprintf(rb, sizeof rb, "{\"cancelReason\":\"test partial\",\"cancelAmount\":%lld}",
             c.total / 3);
    snprintf(idem, sizeof idem, "Idempotency-Key: test-refund-%lld", c.order);
    assert_int_equal(psp_api(&S, "POST", path, rb, idem, &a), 200);
    resp_free(&a);
    assert_int_equal(psp_api(&S, "POST", path, rb, idem, &a), 200);
    resp_free(&a);
    assert_int_equal(psp_count(DB, c.order, "refund"), 1);
    assert_int_equal(psp_api(&S, "POST", path, "{\"cancelReason\":\"test rest\"}", NULL, &a), 200);
    assert_true(resp_contains(&a, "\"status\":\"CANCELED\""));
    resp_free(&a);
    assert_int_equal(psp_api(&S, "POST", path, "{\"cancelReason\":\"test again\"}", NULL, &a), 400);
    assert_true(resp_contains(&a, "ALREADY_CANCELED_PAYMENT"));
    resp_free(&a);
    assert_int_equal(psp_sum(DB, c.order, "refund"), c.total);
    /* without the secret key nothing is answered */
    struct client *cl = client_new();
    snprintf(path, sizeof path, "/v1/payments/%s", c.key);
    assert_int_equal(client_request(cl, "GET", psp_url(&S, path), NULL, NULL, NULL, &a), 0);
    assert_int_equal(a.status, 401);
    resp_free(&a);
    client_free(cl);
    /* the order was never paid in the shop; nothing is held for it at the gateway now */
    assert_string_equal(order_status(DB, c.order), "pending_payment");
    order_expire_now(&S, DB, c.order);
    reconcile();
    assert_i1_i5(&S, DB);
}

/*
 * Review finding 2: GET /payments/fail?orderId=order-N&code=PAY_PROCESS_CANCELED, sent by
 * anyone as a link, cancelled the shopper's pending order and released the held pair (the
 * shopper's cookie goes with a cross-site GET). Only the shop's signed return URL for that
 * order can cancel it now.
 */
static void test_forged_fail_link_changes_nothing(void **state)
{
    (void)state;
    long long sku = sku_new(DB, "forgedfail", 2, PRICE), total;
    long long order = order_new(&S, &A, sku, 1, &total);
    long long other = order_new(&S, &A, sku, 1, &total);
    char path[512], token[128], loc[512];
    struct resp r;
    /* no token, a made-up one, another order's genuine one: nothing changes */
    return_token(other, token, sizeof token);
    const char *attempts[] = {"", "&attempt=1999999999.AAAAAAAAAAAAAAAAAAAAAA", token};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path,
                 "/payments/fail?orderId=order-%lld&code=PAY_PROCESS_CANCELED%s%s", order,
                 i == 2 ? "&attempt=" : "", attempts[i]);
        assert_int_equal(shopper_request(&S, &A, "GET", path, NULL, &r), 303);
        assert_true(resp_header(&r, "Location", loc, sizeof loc));
        assert_location_has(loc, "payment=unverified");
        resp_free(&r);
        assert_string_equal(order_status(DB, order), "pending_payment");
        assert_int_equal(sku_available(DB, sku), 0);
    }
    /* the genuine return URL for the order does cancel it */
    return_token(order, token, sizeof token);
    snprintf(path, sizeof path,
             "/payments/fail?orderId=order-%lld&code=PAY_PROCESS_CANCELED&attempt=%s", order,
             token);
    assert_int_equal(shopper_request(&S, &A, "GET", path, NULL, &r), 303);
    resp_free(&r);
    assert_string_equal(order_status(DB, order), "cancelled");
    assert_string_equal(order_status(DB, other), "pending_payment");
    assert_int_equal(sku_available(DB, sku), 1);
    assert_i1_i5(&S, DB);
}

/* normalise: a page's body with the name of the node that rendered it (the footer names it)
 * made neutral, into out */
static void normalise(const struct resp *r, char *out, size_t n)
{
    snprintf(out, n, "%.*s", (int)r->body_len, r->body);
    for (char *w = strstr(out, "web"); w; w = strstr(w + 3, "web"))
        if (w[3] >= '1' && w[3] <= '9')
            w[3] = 'N';
}

/*
 * Review finding 6: /payments/success without the owner's session told whether order N
 * existed and whether X was its total. Now every such request gets the same answer, and the
 * gateway is not asked: anonymous, and signed in as another shopper.
 */
static void test_success_return_is_not_an_order_oracle(void **state)
{
    (void)state;
    long long sku = sku_new(DB, "oracle", 2, PRICE), total;
    long long order = order_new(&S, &A, sku, 1, &total);
    long long gateway_calls = db_scalar(DB, "SELECT COUNT(*) FROM stampede_psp.psp_idempotency");
    struct shopper nosy;
    shopper_new(&S, DB, "nosy", &nosy);
    struct client *anon = client_new();
    char path[256];
    static char first[2][65536], body[65536];
    long long orders[] = {order, order, order + 100000};
    long long amounts[] = {total, total + 1, total};
    for (int who = 0; who < 2; who++) {
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof path,
                     "/payments/success?paymentKey=psp_guess&orderId=order-%lld&amount=%lld",
                     orders[i], amounts[i]);
            struct resp r;
            if (who == 0)
                assert_int_equal(client_get(anon, stack_url(&S, path), &r), 0);
            else
                shopper_request(&S, &nosy, "GET", path, NULL, &r);
            if (r.status != 404)
                fail_msg("%s, order %d: %ld", who ? "another shopper" : "anonymous", i, r.status);
            assert_true(resp_contains(&r, "order_not_found") ||
                        resp_contains(&r, "find that order"));
            /* the same page each time (a signed-in page differs from an anonymous one by its
             * header only) */
            normalise(&r, body, sizeof body);
            if (i == 0)
                memcpy(first[who], body, sizeof body);
            else if (strcmp(first[who], body) != 0)
                fail_msg("answer %d differs from the first:\n%s\n---\n%s", i, first[who], body);
            resp_free(&r);
        }
    }
    client_free(anon);
    /* the same words for both: what the page says of the order */
    const char *m0 = strstr(first[0], "<main"), *m1 = strstr(first[1], "<main");
    assert_non_null(m0);
    assert_non_null(m1);
    assert_string_equal(m0, m1);
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM stampede_psp.psp_idempotency"),
                     gateway_calls);
    assert_string_equal(order_status(DB, order), "pending_payment");
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM payment_log WHERE order_id = %lld", order),
                     0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, before_each)
    const struct CMUnitTest tests[] = {
        T(test_happy_path_pays_and_sells),
        T(test_decline_cancels_order_and_releases_stock),
        T(test_cancel_on_hosted_page_releases_stock),
        T(test_abandoned_payment_expires_and_late_return_is_voided),
        T(test_100_concurrent_confirms_capture_once),
        T(test_wrong_amount_is_never_confirmed),
        T(test_lost_response_after_capture_is_reconciled_to_paid_once),
        T(test_500_after_commit_is_settled_to_paid_once),
        T(test_gateway_timeout_leaves_unknown_then_settles),
        T(test_capture_for_expired_order_is_refunded_automatically),
        T(test_forged_altered_stale_and_replayed_webhooks_change_nothing),
        T(test_duplicated_and_reordered_webhooks_have_one_effect),
        T(test_sandbox_confirm_and_refund_are_idempotent),
        T(test_forged_fail_link_changes_nothing),
        T(test_success_return_is_not_an_order_oracle),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

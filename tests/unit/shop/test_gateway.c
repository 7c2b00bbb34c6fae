/* Unit tests for app/shop/gateway_psp (webhook verification, hosted-page URL) and the payment
 * order references of app/shop/payment. No network: nothing here sends a request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/sec.h"
#include "shop/gateway.h"
#include "shop/payment.h"

#include <stdio.h>
#include <string.h>

#define SECRET "whsec_unit_test_secret_0123456789"
#define NOW    1900000000LL

static struct arena *A;
static struct gateway *G;

static int setup(void **state)
{
    (void)state;
    if (sec_init())
        return -1;
    A = arena_new(64 * 1024, 64 << 20);
    struct gateway_opts o = {"http://127.0.0.1:1",
                             "http://127.0.0.1:1/checkout",
                             "test_sk_unit",
                             "test_ck_unit",
                             SECRET,
                             1000,
                             100};
    G = gateway_psp_new(&o);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gateway_free(G);
    arena_destroy(A);
    return 0;
}

static const char *BODY = "{\"eventId\":\"evt_1\",\"eventType\":\"PAYMENT_STATUS_CHANGED\","
                          "\"data\":{\"paymentKey\":\"psp_1\",\"orderId\":\"order-7\"}}";

static struct str header(const char *secret, long long t, const char *body)
{
    struct str hex = sec_hmac_ts_hex(A, str_from_cstr(secret), t, str_from_cstr(body));
    return str_from_cstr(arena_sprintf(A, "t=%lld,v1=%.*s", t, STR_FMT(hex)));
}

static int verify(struct str h, const char *body, struct gateway_event *ev)
{
    return gateway_verify_event(G, A, h, str_from_cstr(body), NOW, 300, ev);
}

static void test_valid_event_is_accepted_and_parsed(void **state)
{
    (void)state;
    struct gateway_event ev;
    assert_int_equal(verify(header(SECRET, NOW - 10, BODY), BODY, &ev), 0);
    assert_true(str_eq_cstr(ev.id, "evt_1"));
    assert_true(str_eq_cstr(ev.type, "PAYMENT_STATUS_CHANGED"));
    assert_true(str_eq_cstr(ev.payment_key, "psp_1"));
    assert_true(str_eq_cstr(ev.order_id, "order-7"));
    /* pairs in any order, several v1 (a secret being rotated) */
    struct str hex = sec_hmac_ts_hex(A, STR(SECRET), NOW, str_from_cstr(BODY));
    struct str swapped =
        str_from_cstr(arena_sprintf(A, "v1=00ff,v1=%.*s, t=%lld", STR_FMT(hex), NOW));
    assert_int_equal(verify(swapped, BODY, &ev), 0);
    arena_reset(A);
}

static void test_forged_altered_stale_and_malformed_are_refused(void **state)
{
    (void)state;
    struct gateway_event ev;
    /* another secret */
    assert_int_equal(verify(header("whsec_someone_else_entirely_000", NOW, BODY), BODY, &ev),
                     ERR_UNAUTH);
    /* one byte of the body changed */
    char altered[512];
    snprintf(altered, sizeof altered, "%s", BODY);
    altered[20] ^= 1;
    assert_int_equal(verify(header(SECRET, NOW, BODY), altered, &ev), ERR_UNAUTH);
    /* outside the window, either way */
    assert_int_equal(verify(header(SECRET, NOW - 301, BODY), BODY, &ev), ERR_UNAUTH);
    assert_int_equal(verify(header(SECRET, NOW + 301, BODY), BODY, &ev), ERR_UNAUTH);
    /* the timestamp changed without the signature following */
    struct str h = header(SECRET, NOW, BODY);
    struct str moved = str_from_cstr(arena_sprintf(A, "t=%lld%s", NOW - 1, strchr(h.p, ',')));
    assert_int_equal(verify(moved, BODY, &ev), ERR_UNAUTH);
    /* missing or malformed headers */
    assert_int_equal(verify(STR(""), BODY, &ev), ERR_UNAUTH);
    assert_int_equal(verify(STR("t=abc,v1=00"), BODY, &ev), ERR_UNAUTH);
    assert_int_equal(verify(STR("v1=00"), BODY, &ev), ERR_UNAUTH);
    assert_int_equal(verify(STR("t=1900000000"), BODY, &ev), ERR_UNAUTH);
    /* signed, but not an event */
    assert_int_equal(verify(header(SECRET, NOW, "[1,2]"), "[1,2]", &ev), ERR_INVAL);
    assert_int_equal(verify(header(SECRET, NOW, "{\"eventId\":\"e\"}"), "{\"eventId\":\"e\"}", &ev),
                     ERR_INVAL);
    arena_reset(A);
}

static void test_no_webhook_secret_refuses_everything(void **state)
{
    (void)state;
    struct gateway_opts o = {
        "http://127.0.0.1:1", "http://127.0.0.1:1/checkout", "", "", "", 1000, 100};
    struct gateway *g = gateway_psp_new(&o);
    struct gateway_event ev;
    assert_false(gateway_configured(g));
    assert_int_equal(
        gateway_verify_event(g, A, header("", NOW, BODY), str_from_cstr(BODY), NOW, 300, &ev),
        ERR_UNAUTH);
    gateway_free(g);
    arena_reset(A);
}

static void test_checkout_url_encodes_every_field(void **state)
{
    (void)state;
    struct gateway_checkout c = {STR("order-7"),
                                 STR("Rally 89 & more"),
                                 178000,
                                 STR("http://shop/payments/success"),
                                 STR("http://shop/payments/fail"),
                                 STR("ann@example.com")};
    struct str u = gateway_checkout_url(G, A, &c);
    assert_true(str_eq_cstr(
        u,
        "http://127.0.0.1:1/checkout?clientKey=test_ck_unit&orderId=order-7&orderName="
        "Rally%2089%20%26%20more&amount=178000&successUrl=http%3A%2F%2Fshop%2Fpayments%"
        "2Fsuccess&failUrl=http%3A%2F%2Fshop%2Fpayments%2Ffail&customerEmail=ann%40example.com"));
    arena_reset(A);
}

static void test_order_refs(void **state)
{
    (void)state;
    int64_t id;
    assert_true(str_eq_cstr(payment_order_ref(A, 42), "order-42"));
    assert_true(payment_order_id(STR("order-42"), &id) && id == 42);
    assert_false(payment_order_id(STR("order-"), &id));
    assert_false(payment_order_id(STR("order-0"), &id));
    assert_false(payment_order_id(STR("order--1"), &id));
    assert_false(payment_order_id(STR("order-1x"), &id));
    assert_false(payment_order_id(STR("junk-1"), &id));
    arena_reset(A);
}

static void test_refund_reasons_are_recognised(void **state)
{
    (void)state;
    struct gateway_cancel c[] = {{STR("refund"), STR("dashboard"), 100},
                                 {STR("refund"), STR(PAYMENT_REASON_MISMATCH), 900}};
    struct gateway_payment p = {.balance = 0, .cancels = c, .ncancels = 2};
    assert_true(gateway_refunded_for(&p, PAYMENT_REASON_MISMATCH));
    assert_false(gateway_refunded_for(&p, PAYMENT_REASON_CLOSED));
    assert_false(gateway_captured_now(&p));
    p.balance = 1;
    assert_true(gateway_captured_now(&p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_event_is_accepted_and_parsed),
        cmocka_unit_test(test_forged_altered_stale_and_malformed_are_refused),
        cmocka_unit_test(test_no_webhook_secret_refuses_everything),
        cmocka_unit_test(test_checkout_url_encodes_every_field),
        cmocka_unit_test(test_order_refs),
        cmocka_unit_test(test_refund_reasons_are_recognised),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

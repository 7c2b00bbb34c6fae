/* Unit tests for app/web/pay: the gateway's return URLs act only when proven genuine
 * (review findings 2 and 6). The fake site's database is down: a 404 rather than a 503
 * proves the request was answered without touching it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include "core/clock.h"
#include "shop/payment.h"

#include <stdio.h>
#include <string.h>

static struct arena *A;
#define SECRET "fake-secret-0123456789abcdef0123456789abcdef"

static int setup(void **state)
{
    A = arena_new(4096, 1 << 20);
    return fake_group_setup(state);
}

static int teardown(void **state)
{
    arena_destroy(A);
    return fake_group_teardown(state);
}

static struct fake_resp success(long long order, long long amount, const char *attempt)
{
    char uri[512];
    snprintf(uri, sizeof uri,
             "/payments/success?paymentKey=psp_x&orderId=order-%lld&amount=%lld%s%s", order, amount,
             attempt ? "&attempt=" : "", attempt ? attempt : "");
    return fake_request(fake, "GET", uri, NULL, NULL, NULL);
}

/* review finding 6: /payments/success without the owner's session told whether order N
 * existed and whether X was its total */
static void test_success_return_is_not_an_order_oracle(void **state)
{
    (void)state;
    struct fake_resp a = success(1, 100, NULL);
    char first[4096];
    snprintf(first, sizeof first, "%s", a.body);
    assert_int_equal(a.status, 404);
    assert_string_equal(a.code, "order_not_found");
    /* any order, any amount, a forged or an expired token: the same answer, no database */
    long long orders[] = {2, 999999, 1};
    long long amounts[] = {129000, 1, 100};
    for (int i = 0; i < 3; i++) {
        struct fake_resp r = success(orders[i], amounts[i], NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(r.code, "order_not_found");
    }
    assert_int_equal(success(1, 100, "123.AAAAAAAAAAAAAAAAAAAAAA").status, 404);
    struct str old = payment_return_token(A, STR(SECRET), 1, clock_real_s() - 1);
    assert_int_equal(success(1, 100, arena_cstr(A, old)).status, 404);
    struct str other = payment_return_token(A, STR(SECRET), 2, clock_real_s() + 600);
    assert_int_equal(success(1, 100, arena_cstr(A, other)).status, 404);
    /* the genuine token for order 1 is acted on: the confirm reaches the database (down here) */
    struct str good = payment_return_token(A, STR(SECRET), 1, clock_real_s() + 600);
    assert_int_equal(success(1, 100, arena_cstr(A, good)).status, 503);
}

/* review finding 2: a GET of /payments/fail cancelled anyone's order */
static void test_fail_return_needs_a_session_and_a_token(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(
        fake, "GET", "/payments/fail?orderId=order-1&code=PAY_PROCESS_CANCELED", NULL, NULL, NULL);
    assert_int_equal(r.status, 303); /* to sign-in: nothing else happens without a session */
    char loc[256];
    assert_true(fake_header(&r, "Location", loc, sizeof loc));
    assert_non_null(strstr(loc, "/account/signin?next="));
}

static void test_return_tokens(void **state)
{
    (void)state;
    int64_t now = clock_real_s();
    struct str t = payment_return_token(A, STR(SECRET), 42, now + 60);
    assert_true(payment_return_ok(A, STR(SECRET), 42, t, now));
    assert_false(payment_return_ok(A, STR(SECRET), 43, t, now));
    assert_false(payment_return_ok(A, STR("another-secret-0123456789abcdef0123"), 42, t, now));
    assert_false(payment_return_ok(A, STR(SECRET), 42, t, now + 61));
    assert_false(payment_return_ok(A, STR(SECRET), 42, STR(""), now));
    assert_false(payment_return_ok(A, STR(SECRET), 42, STR("abc"), now));
    /* the expiry is signed too */
    char forged[128];
    const char *dot = memchr(t.p, '.', t.len);
    snprintf(forged, sizeof forged, "%lld%.*s", (long long)(now + 99999),
             (int)(t.len - (size_t)(dot - t.p)), dot);
    assert_false(payment_return_ok(A, STR(SECRET), 42, str_from_cstr(forged), now));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success_return_is_not_an_order_oracle),
        cmocka_unit_test(test_fail_return_needs_a_session_and_a_token),
        cmocka_unit_test(test_return_tokens),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Unit tests for app/web/orders: a shopper's orders, as pages and JSON, only for that shopper
 * (anonymous visitors are sent to sign in, the API says unauthenticated), ids checked before
 * anything is looked up, and the status words. The fake site's database is down: 503 proves a
 * request got as far as the domain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include "web/web.h"

#include <stdio.h>
#include <string.h>

static int teardown_each(void **state)
{
    (void)state;
    fake_sign_in(fake, 0, NULL);
    return 0;
}

static void test_orders_pages_send_anonymous_visitors_to_sign_in(void **state)
{
    (void)state;
    static const struct {
        const char *path, *next;
    } cases[] = {
        {"/orders", "next=%2Forders"},
        {"/orders/12", "next=%2Forders%2F12"},
        {"/orders/12?placed=1&payment=declined", "next=%2Forders%2F12"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fake_resp r = fake_request(fake, "GET", cases[i].path, NULL, NULL, NULL);
        assert_int_equal(r.status, 303);
        char loc[256];
        assert_true(fake_header(&r, "Location", loc, sizeof loc));
        assert_non_null(strstr(loc, "/account/signin?"));
        assert_non_null(strstr(loc, cases[i].next));
    }
}

static void test_orders_api_says_unauthenticated(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "GET", "/api/v1/orders", NULL, NULL, NULL);
    fake_assert_json_error(&r, 401, "unauthenticated");
    r = fake_request(fake, "GET", "/api/v1/orders/12", NULL, NULL, NULL);
    fake_assert_json_error(&r, 401, "unauthenticated");
}

static void test_order_ids_are_checked_first(void **state)
{
    (void)state;
    for (int shopper = 0; shopper < 2; shopper++) {
        fake_sign_in(fake, shopper ? 41 : 0, shopper ? "shopper" : NULL);
        const char *api[] = {"/api/v1/orders/0", "/api/v1/orders/x", "/api/v1/orders/-1",
                             "/api/v1/orders/99999999999999999999"};
        for (size_t i = 0; i < sizeof api / sizeof api[0]; i++) {
            struct fake_resp r = fake_request(fake, "GET", api[i], NULL, NULL, NULL);
            fake_assert_json_error(&r, 400, "invalid_parameter");
        }
        const char *pages[] = {"/orders/0", "/orders/order-12", "/orders/12?placed=maybe",
                               "/orders/12?payment=no%20such%20step"};
        for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
            struct fake_resp r = fake_request(fake, "GET", pages[i], NULL, NULL, NULL);
            assert_int_equal(r.status, 400);
            assert_string_equal(r.code, "invalid_parameter");
        }
    }
}

static void test_a_shoppers_orders_come_from_the_database(void **state)
{
    (void)state;
    fake_sign_in(fake, 41, "shopper");
    const char *pages[] = {"/orders", "/orders/12", "/orders/12?placed=1&payment=declined"};
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        struct fake_resp r = fake_request(fake, "GET", pages[i], NULL, NULL, NULL);
        assert_int_equal(r.status, 503);
        char ra[16];
        assert_true(fake_header(&r, "Retry-After", ra, sizeof ra));
    }
    struct fake_resp r = fake_request(fake, "GET", "/api/v1/orders", NULL, NULL, NULL);
    fake_assert_json_error(&r, 503, "service_unavailable");
    r = fake_request(fake, "GET", "/api/v1/orders/12", NULL, NULL, NULL);
    fake_assert_json_error(&r, 503, "service_unavailable");
}

static void test_a_session_that_cannot_be_checked_is_not_sent_to_sign_in(void **state)
{
    (void)state;
    /* a session cookie with the database down: "try again", not "sign in" (which would make
     * the shopper sign in again for nothing) */
    const char *const h[] = {"Cookie: stampede_sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                             NULL};
    struct fake_resp r = fake_request(fake, "GET", "/orders", h, NULL, NULL);
    assert_int_equal(r.status, 503);
    char loc[256];
    assert_false(fake_header(&r, "Location", loc, sizeof loc));
    r = fake_request(fake, "GET", "/api/v1/orders/12", h, NULL, NULL);
    fake_assert_json_error(&r, 503, "service_unavailable");
}

static void test_status_labels(void **state)
{
    (void)state;
    assert_string_equal(web_status_label(STR("pending_payment")), "Awaiting payment");
    assert_string_equal(web_status_label(STR("paid")), "Paid");
    assert_string_equal(web_status_label(STR("payment_unknown")), "Confirming payment");
    assert_string_equal(web_status_label(STR("cancelled")), "Cancelled");
    assert_string_equal(web_status_label(STR("expired")), "Expired");
    assert_string_equal(web_status_label(STR("refunded")), "Refunded");
    /* anything else is not shown as one of them */
    assert_string_equal(web_status_label(STR("PAID")), "Unknown");
    assert_string_equal(web_status_label(STR("paid ")), "Unknown");
    assert_string_equal(web_status_label(STR_NULL), "Unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_orders_pages_send_anonymous_visitors_to_sign_in,
                                  teardown_each),
        cmocka_unit_test_teardown(test_orders_api_says_unauthenticated, teardown_each),
        cmocka_unit_test_teardown(test_order_ids_are_checked_first, teardown_each),
        cmocka_unit_test_teardown(test_a_shoppers_orders_come_from_the_database, teardown_each),
        cmocka_unit_test_teardown(test_a_session_that_cannot_be_checked_is_not_sent_to_sign_in,
                                  teardown_each),
        cmocka_unit_test(test_status_labels),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

/* Unit tests for app/admin/orders: the order list and one order with its cancel and refund
 * forms are for admins only, check their parameters first and need the database for the rest
 * (the fake site's database is down: 503 proves a handler got as far as the domain). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <stdio.h>
#include <string.h>

#define FORM "application/x-www-form-urlencoded"

static int teardown_each(void **state)
{
    (void)state;
    fake_sign_in(fake, 0, NULL);
    return 0;
}

/* post: a form to path with the signed-in session's CSRF token and the given fields */
static struct fake_resp post(const char *path, const char *fields)
{
    char token[128], body[1024];
    fake_csrf(fake, token, sizeof token);
    snprintf(body, sizeof body, "csrf=%s&%s", token, fields);
    return fake_request(fake, "POST", path, NULL, FORM, body);
}

static void test_orders_are_invisible_to_anyone_but_admins(void **state)
{
    (void)state;
    const char *paths[] = {"/admin/orders", "/admin/orders?q=a%40example.com", "/admin/orders/12",
                           "/admin/orders/12?done=cancelled"};
    for (int shopper = 0; shopper < 2; shopper++) {
        fake_sign_in(fake, shopper ? 41 : 0, shopper ? "shopper" : NULL);
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
            struct fake_resp r = fake_request(fake, "GET", paths[i], NULL, NULL, NULL);
            assert_int_equal(r.status, 404);
            assert_string_equal(r.code, "not_found");
        }
        /* a shopper's valid form token does not make a shopper an admin */
        struct fake_resp r = post("/admin/orders/12/cancel", "reason=fraud");
        assert_int_equal(r.status, shopper ? 404 : 403);
        r = post("/admin/orders/12/refund", "reason=fraud");
        assert_int_equal(r.status, shopper ? 404 : 403);
    }
}

static void test_order_actions_need_the_form_token(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    struct fake_resp r =
        fake_request(fake, "POST", "/admin/orders/12/cancel", NULL, FORM, "reason=fraud");
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "csrf");
    r = fake_request(fake, "POST", "/admin/orders/12/refund", NULL, FORM,
                     "reason=fraud&csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "csrf");
    /* another admin's token is not this one's */
    char other[128];
    fake_sign_in(fake, 2, "admin");
    fake_csrf(fake, other, sizeof other);
    fake_sign_in(fake, 1, "admin");
    char body[256];
    snprintf(body, sizeof body, "csrf=%s&reason=fraud", other);
    r = fake_request(fake, "POST", "/admin/orders/12/cancel", NULL, FORM, body);
    assert_int_equal(r.status, 403);
}

static void test_order_parameters_are_checked_first(void **state)
{
    (void)state;
    /* anonymous and admin alike: a bad parameter is 400 before any other check */
    for (int admin = 0; admin < 2; admin++) {
        fake_sign_in(fake, admin, admin ? "admin" : NULL);
        const char *bad[] = {"/admin/orders/0", "/admin/orders/x", "/admin/orders/12?done=no%20way",
                             "/admin/orders/-3"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            struct fake_resp r = fake_request(fake, "GET", bad[i], NULL, NULL, NULL);
            assert_int_equal(r.status, 400);
            assert_string_equal(r.code, "invalid_parameter");
        }
        char q[400] = "/admin/orders?q=";
        memset(q + strlen(q), 'a', 255);
        struct fake_resp r = fake_request(fake, "GET", q, NULL, NULL, NULL);
        assert_int_equal(r.status, 400);
        /* the reason is required, and at most 300 characters */
        r = post("/admin/orders/12/cancel", "other=1");
        assert_int_equal(r.status, 400);
        assert_string_equal(r.code, "invalid_parameter");
        char body[400] = "reason=";
        memset(body + strlen(body), 'r', 301);
        r = post("/admin/orders/12/refund", body);
        assert_int_equal(r.status, 400);
    }
}

static void test_admins_reach_the_orders_through_the_database(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    const char *paths[] = {"/admin/orders", "/admin/orders?q=order-12", "/admin/orders/12"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct fake_resp r = fake_request(fake, "GET", paths[i], NULL, NULL, NULL);
        assert_int_equal(r.status, 503);
        char ra[16];
        assert_true(fake_header(&r, "Retry-After", ra, sizeof ra));
    }
    struct fake_resp r = post("/admin/orders/12/cancel", "reason=fraud");
    assert_int_equal(r.status, 503);
    r = post("/admin/orders/12/refund", "reason=asked+for+it");
    assert_int_equal(r.status, 503);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_orders_are_invisible_to_anyone_but_admins, teardown_each),
        cmocka_unit_test_teardown(test_order_actions_need_the_form_token, teardown_each),
        cmocka_unit_test_teardown(test_order_parameters_are_checked_first, teardown_each),
        cmocka_unit_test_teardown(test_admins_reach_the_orders_through_the_database, teardown_each),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

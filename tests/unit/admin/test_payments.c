/* Unit tests for app/admin/payments: the payments page and the anomaly actions are for admins
 * only, need the form token, and an action that is neither "refunded" nor "dismiss" is refused
 * before anything is looked up (the fake site's database is down: 503 proves a request got as
 * far as the domain). */
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

static struct fake_resp resolve(const char *id, const char *action)
{
    char token[128], path[128], body[256];
    fake_csrf(fake, token, sizeof token);
    snprintf(path, sizeof path, "/admin/payments/anomalies/%s/resolve", id);
    snprintf(body, sizeof body, "csrf=%s&action=%s", token, action);
    return fake_request(fake, "POST", path, NULL, FORM, body);
}

static void test_payments_are_for_admins_only(void **state)
{
    (void)state;
    for (int shopper = 0; shopper < 2; shopper++) {
        fake_sign_in(fake, shopper ? 41 : 0, shopper ? "shopper" : NULL);
        struct fake_resp r = fake_request(fake, "GET", "/admin/payments", NULL, NULL, NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(r.code, "not_found");
        r = fake_request(fake, "GET", "/admin/payments?done=dismissed", NULL, NULL, NULL);
        assert_int_equal(r.status, 404);
        r = resolve("3", "dismiss");
        assert_int_equal(r.status, shopper ? 404 : 403);
    }
}

static void test_actions_need_the_form_token(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    struct fake_resp r = fake_request(fake, "POST", "/admin/payments/anomalies/3/resolve", NULL,
                                      FORM, "action=dismiss");
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "csrf");
}

static void test_actions_are_checked_before_the_database(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    /* the router: an id, an action of 1..16 token characters, a done word */
    struct fake_resp r = resolve("0", "dismiss");
    assert_int_equal(r.status, 400);
    assert_string_equal(r.code, "invalid_parameter");
    r = resolve("3", "");
    assert_int_equal(r.status, 400);
    r = resolve("3", "dismiss%20it");
    assert_int_equal(r.status, 400);
    r = resolve("3", "refunded-and-dismissed");
    assert_int_equal(r.status, 400);
    r = fake_request(fake, "GET", "/admin/payments?done=%3Cb%3E", NULL, NULL, NULL);
    assert_int_equal(r.status, 400);
    /* the handler: only two actions exist; another is refused without a look-up */
    const char *unknown[] = {"refund", "Dismiss", "delete"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        r = resolve("3", unknown[i]);
        assert_int_equal(r.status, 400);
        assert_string_equal(r.code, "invalid_action");
    }
}

static void test_known_actions_and_the_page_reach_the_database(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    assert_int_equal(resolve("3", "dismiss").status, 503);
    assert_int_equal(resolve("3", "refunded").status, 503);
    struct fake_resp r =
        fake_request(fake, "GET", "/admin/payments?done=refunded", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_payments_are_for_admins_only, teardown_each),
        cmocka_unit_test_teardown(test_actions_need_the_form_token, teardown_each),
        cmocka_unit_test_teardown(test_actions_are_checked_before_the_database, teardown_each),
        cmocka_unit_test_teardown(test_known_actions_and_the_page_reach_the_database,
                                  teardown_each),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

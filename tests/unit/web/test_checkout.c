/* Unit tests for app/web/checkout: the declared header parameter and its errors, the
 * buy-now parameters, before anything reaches the domain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <string.h>

static void test_idempotency_key_is_a_declared_header(void **state)
{
    (void)state;
    const char *none[] = {"X-Requested-With: stampede", NULL};
    struct fake_resp r = fake_request(fake, "POST", "/api/v1/checkout", none, NULL, NULL);
    fake_assert_error(&r, 400, "idempotency_key_required");
    const char *bad[] = {"X-Requested-With: stampede", "Idempotency-Key: not a token!", NULL};
    r = fake_request(fake, "POST", "/api/v1/checkout", bad, NULL, NULL);
    fake_assert_error(&r, 400, "invalid_idempotency_key");
    assert_non_null(strstr(r.body, "Header 'Idempotency-Key'"));
    const char *shortk[] = {"X-Requested-With: stampede", "Idempotency-Key: abc", NULL};
    r = fake_request(fake, "POST", "/api/v1/checkout", shortk, NULL, NULL);
    fake_assert_error(&r, 400, "invalid_idempotency_key");
    /* a good key: then the shopper must be signed in */
    const char *ok[] = {"X-Requested-With: stampede", "Idempotency-Key:  key-12345678  ", NULL};
    r = fake_request(fake, "POST", "/api/v1/checkout", ok, NULL, NULL);
    fake_assert_error(&r, 401, "unauthenticated");
}

static void test_buy_now_parameters_are_checked(void **state)
{
    (void)state;
    const char *h[] = {"X-Requested-With: stampede", "Idempotency-Key: key-12345678", NULL};
    struct fake_resp r =
        fake_request(fake, "POST", "/api/v1/checkout", h, "application/json", "{\"quantity\":100}");
    fake_assert_error(&r, 400, "invalid_parameter");
    r = fake_request(fake, "POST", "/api/v1/checkout", h, "application/json", "{\"sku_id\":-1}");
    fake_assert_error(&r, 400, "invalid_parameter");
}

static void test_checkout_page_needs_a_session_and_a_form_token(void **state)
{
    (void)state;
    struct fake_resp r =
        fake_request(fake, "POST", "/checkout", NULL, "application/x-www-form-urlencoded",
                     "idempotency_key=0123456789abcdef");
    assert_int_equal(r.status, 403); /* no CSRF token: refused before anything else */
    assert_string_equal(r.code, "csrf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idempotency_key_is_a_declared_header),
        cmocka_unit_test(test_buy_now_parameters_are_checked),
        cmocka_unit_test(test_checkout_page_needs_a_session_and_a_form_token),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

/* Unit tests for app/web/cart and app/web/orders: what a shopper without a session gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <string.h>

static void test_pages_send_anonymous_shoppers_to_sign_in(void **state)
{
    (void)state;
    const char *paths[] = {"/cart", "/orders", "/orders/12", "/orders/12/pay", "/account"};
    for (size_t i = 0; i < 5; i++) {
        struct fake_resp r = fake_request(fake, "GET", paths[i], NULL, NULL, NULL);
        assert_int_equal(r.status, 303);
        char loc[256];
        assert_true(fake_header(&r, "Location", loc, sizeof loc));
        assert_non_null(strstr(loc, "/account/signin?next=%2F"));
    }
}

static void test_api_says_unauthenticated(void **state)
{
    (void)state;
    const char *paths[] = {"/api/v1/cart", "/api/v1/orders", "/api/v1/orders/3"};
    for (size_t i = 0; i < 3; i++) {
        struct fake_resp r = fake_request(fake, "GET", paths[i], NULL, NULL, NULL);
        assert_int_equal(r.status, 401);
        char code[64];
        assert_true(fake_json_code(&r, code, sizeof code));
        assert_string_equal(code, "unauthenticated");
    }
}

static void test_cart_parameters_are_checked_first(void **state)
{
    (void)state;
    const char *h[] = {"X-Requested-With: stampede", NULL};
    struct fake_resp r = fake_request(fake, "POST", "/api/v1/cart/items", h, "application/json",
                                      "{\"sku_id\":1,\"quantity\":100}");
    assert_int_equal(r.status, 400);
    r = fake_request(fake, "POST", "/api/v1/cart/items", h, "application/json",
                     "{\"sku_id\":1,\"quantity\":1}");
    assert_int_equal(r.status, 401);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages_send_anonymous_shoppers_to_sign_in),
        cmocka_unit_test(test_api_says_unauthenticated),
        cmocka_unit_test(test_cart_parameters_are_checked_first),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

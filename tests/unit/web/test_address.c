/* Unit tests for app/web/address: the shipping-address page and API in-process (the fake
 * site's database is down, so an answer other than 503 proves nothing reached it): who may
 * call them, the CSRF rules, and what the route refuses before the domain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <string.h>

static const char *const api_hdrs[] = {"X-Requested-With: stampede", NULL};

static const char *const good =
    "{\"recipient\":\"홍길동\",\"phone\":\"010-1234-5678\",\"postcode\":\"06236\","
    "\"address\":\"서울특별시 강남구 테헤란로 152\",\"detail\":\"\"}";

static void test_api_is_for_signed_in_shoppers(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "GET", "/api/v1/account/address", NULL, NULL, NULL);
    fake_assert_error(&r, 401, "unauthenticated");
    r = fake_request(fake, "PUT", "/api/v1/account/address", api_hdrs, "application/json", good);
    fake_assert_error(&r, 401, "unauthenticated");
    /* an unknown session cookie is no session either (and needs the database to tell) */
    const char *cookie[] = {"X-Requested-With: stampede", "Cookie: stampede_sid=abcdef", NULL};
    r = fake_request(fake, "PUT", "/api/v1/account/address", cookie, "application/json", good);
    assert_true(r.status == 401 || r.status == 503);
    /* POST and DELETE are not how an address changes */
    r = fake_request(fake, "POST", "/api/v1/account/address", api_hdrs, "application/json", good);
    assert_int_equal(r.status, 405);
    r = fake_request(fake, "DELETE", "/api/v1/account/address", api_hdrs, NULL, NULL);
    assert_int_equal(r.status, 405);
}

static void test_put_needs_the_csrf_header(void **state)
{
    (void)state;
    struct fake_resp r =
        fake_request(fake, "PUT", "/api/v1/account/address", NULL, "application/json", good);
    fake_assert_error(&r, 403, "csrf");
}

/* what cannot be an address at all is refused by the route, with the address's own code */
static void test_the_route_refuses_what_is_not_text(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"recipient\":\"A\\u0001B\"}",           /* a control character */
        "{\"phone\":[\"010\",\"1234\",\"5678\"]}", /* not a string */
        "{\"postcode\":{\"zone\":\"06236\"}}",
        "{\"address\":\"\\ud800\"}", /* a lone surrogate is not UTF-8 */
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct fake_resp r = fake_request(fake, "PUT", "/api/v1/account/address", api_hdrs,
                                          "application/json", bodies[i]);
        if (r.status == 400 && r.code && strcmp(r.code, "bad_json") == 0)
            continue; /* the JSON reader may refuse it first: fine */
        fake_assert_error(&r, 400, "invalid_address");
    }
    /* over 1000 characters: the route's bound */
    static char big[1100];
    memcpy(big, "{\"detail\":\"", 11);
    memset(big + 11, 'x', 1001);
    memcpy(big + 1012, "\"}", 3);
    struct fake_resp r =
        fake_request(fake, "PUT", "/api/v1/account/address", api_hdrs, "application/json", big);
    fake_assert_error(&r, 400, "invalid_address");
    /* a body that is not JSON */
    r = fake_request(fake, "PUT", "/api/v1/account/address", api_hdrs, "application/json", "{");
    fake_assert_error(&r, 400, "bad_json");
}

static void test_page_sends_strangers_to_sign_in(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "GET", "/account/address?next=/cart", NULL, NULL, NULL);
    assert_int_equal(r.status, 303);
    char loc[200];
    assert_true(fake_header(&r, "Location", loc, sizeof loc));
    assert_non_null(strstr(loc, "/account/signin?next="));
    assert_non_null(strstr(loc, "account%2Faddress"));
    /* the form post needs its token before anything else */
    r = fake_request(fake, "POST", "/account/address", NULL, "application/x-www-form-urlencoded",
                     "recipient=A&phone=010-1234-5678&postcode=06236&address=B");
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "csrf");
    /* a declared query parameter with a bad value is a 400 before the session */
    r = fake_request(fake, "GET", "/account/address?saved=maybe", NULL, NULL, NULL);
    assert_int_equal(r.status, 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_is_for_signed_in_shoppers),
        cmocka_unit_test(test_put_needs_the_csrf_header),
        cmocka_unit_test(test_the_route_refuses_what_is_not_text),
        cmocka_unit_test(test_page_sends_strangers_to_sign_in),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

/* Unit tests for app/web/catalog: the catalog's pages and API when the database is down, and
 * their parameter checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <string.h>

static void test_pages_say_try_again_when_the_database_is_down(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "GET", "/", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
    char v[64];
    assert_true(fake_header(&r, "Retry-After", v, sizeof v));
    assert_true(fake_header(&r, "Content-Type", v, sizeof v));
    assert_string_equal(v, "text/html; charset=utf-8");
    assert_non_null(strstr(r.body, "try again in a moment"));
    r = fake_request(fake, "GET", "/api/v1/products", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
    char code[64];
    assert_true(fake_json_code(&r, code, sizeof code));
    assert_string_equal(code, "service_unavailable");
}

static void test_slugs_are_validated(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "GET", "/products/Not_A_Slug", NULL, NULL, NULL);
    assert_int_equal(r.status, 400);
    r = fake_request(fake, "GET", "/api/v1/products/%3Cscript%3E", NULL, NULL, NULL);
    assert_int_equal(r.status, 400);
    char code[64];
    assert_true(fake_json_code(&r, code, sizeof code));
    assert_string_equal(code, "invalid_parameter");
}

static void test_every_page_carries_the_security_headers(void **state)
{
    (void)state;
    const char *paths[] = {"/", "/account/signin", "/nope", "/api/v1/products"};
    for (size_t i = 0; i < 4; i++) {
        struct fake_resp r = fake_request(fake, "GET", paths[i], NULL, NULL, NULL);
        assert_non_null(strstr(r.head, "Content-Security-Policy: default-src 'none'"));
        assert_non_null(strstr(r.head, "frame-ancestors 'none'"));
        assert_non_null(strstr(r.head, "X-Content-Type-Options: nosniff"));
        assert_non_null(strstr(r.head, "Cross-Origin-Opener-Policy: same-origin"));
        assert_non_null(strstr(r.head, "Permissions-Policy:"));
        assert_null(strstr(r.head, "Strict-Transport-Security")); /* plain HTTP */
    }
    /* HSTS only when the request came over HTTPS (HAProxy sets X-Forwarded-Proto itself) */
    const char *https[] = {"X-Forwarded-Proto: https", NULL};
    struct fake_resp r = fake_request(fake, "GET", "/account/signin", https, NULL, NULL);
    assert_non_null(strstr(r.head, "Strict-Transport-Security: max-age=31536000"));
    assert_non_null(strstr(r.head, "; Secure"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages_say_try_again_when_the_database_is_down),
        cmocka_unit_test(test_slugs_are_validated),
        cmocka_unit_test(test_every_page_carries_the_security_headers),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

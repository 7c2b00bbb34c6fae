/* Unit tests for app/web/account: sign-up and sign-in, pages and API, in-process (the fake
 * site's database is down, so an answer other than 503 proves nothing reached it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <stdio.h>
#include <string.h>

static const char *const api_hdrs[] = {"X-Requested-With: stampede", NULL};

static struct fake_resp api(const char *method, const char *path, const char *body)
{
    return fake_request(fake, method, path, api_hdrs, "application/json", body);
}

static void test_signin_page_has_a_csrf_form(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "GET", "/account/signin?next=/cart", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "name=\"csrf\""));
    assert_non_null(strstr(r.head, "Set-Cookie: stampede_csrf="));
    /* never a redirect off the site, whatever `next` says */
    r = fake_request(fake, "GET", "/account/signin?next=//evil.example/", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "evil.example"));
}

static void test_api_needs_the_csrf_header(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "POST", "/api/v1/accounts", NULL, "application/json",
                                      "{\"email\":\"a@example.com\",\"password\":\"x\","
                                      "\"name\":\"A\"}");
    fake_assert_error(&r, 403, "csrf");
}

/* review finding 10: passwords were checked by byte, and patterns passed */
static void test_password_checks_count_characters_and_refuse_patterns(void **state)
{
    (void)state;
    static const char *const weak[] = {"éééééééééé", "abcabcabca", "1111111112", "changeme123",
                                       "short"};
    char body[300];
    for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
        snprintf(body, sizeof body,
                 "{\"email\":\"w%zu@example.com\",\"password\":\"%s\",\"name\":\"W\"}", i, weak[i]);
        struct fake_resp r = api("POST", "/api/v1/accounts", body);
        fake_assert_error(&r, 422, "weak_password");
    }
    /* a long passphrase of plain words passes the policy (and then needs the database) */
    struct fake_resp r = api("POST", "/api/v1/accounts",
                             "{\"email\":\"p@example.com\",\"password\":\"correct horse "
                             "battery\",\"name\":\"P\"}");
    fake_assert_error(&r, 503, "service_unavailable");
    char v[16];
    assert_true(fake_header(&r, "Retry-After", v, sizeof v));
}

static void test_signup_checks_name_and_email_before_anything(void **state)
{
    (void)state;
    struct fake_resp r =
        api("POST", "/api/v1/accounts",
            "{\"email\":\"n@example.com\",\"password\":\"correct horse battery\",\"name\":\"  \"}");
    fake_assert_error(&r, 422, "invalid_name");
    r = api("POST", "/api/v1/accounts",
            "{\"email\":\"not-an-address\",\"password\":\"correct horse battery\",\"name\":\"N\"}");
    fake_assert_error(&r, 400, "invalid_parameter");
    /* the page says it on the form, keeping what was typed */
    struct fake_resp page = fake_request(fake, "GET", "/account/signup", NULL, NULL, NULL);
    assert_int_equal(page.status, 200);
}

/* review finding 7: loose JSON was accepted (first duplicate won, NUL cut strings) */
static void test_loose_json_is_refused(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"email\":\"a@x.com\",\"password\":\"correct horse battery\"} garbage",
        "{\"email\":\"a@x.com\"}{\"password\":\"correct horse battery\"}",
        "{\"email\":\"a@x.com\",\"email\":\"b@x.com\",\"password\":\"correct horse battery\"}",
        "{\"email\":\"a@x.com\\u0000@evil.com\",\"password\":\"correct horse battery\"}",
        "{\"email\":\"a@x.com\",\"password\":\"correct\thorse\"}", /* a raw tab in a string */
        "{\"a\":{\"b\":1,\"b\":2},\"email\":\"a@x.com\",\"password\":\"xxxxxxxxxxxx\"}",
        "[1,2]",
        "{\"email\":",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct fake_resp r = api("POST", "/api/v1/session", bodies[i]);
        fake_assert_error(&r, 400, "bad_json");
    }
    /* whitespace after the object, and escapes that are not NUL, are fine */
    struct fake_resp r = api("POST", "/api/v1/session",
                             "{\"email\":\"a\\u0040x.com\",\"password\":\"correct horse "
                             "battery\\\\u0000\"}  \r\n");
    fake_assert_error(&r, 503, "service_unavailable");
}

static void test_signin_needs_the_database(void **state)
{
    (void)state;
    struct fake_resp r = api("POST", "/api/v1/session",
                             "{\"email\":\"a@example.com\",\"password\":\"correct horse\"}");
    fake_assert_error(&r, 503, "service_unavailable");
    /* whoami without a session */
    r = fake_request(fake, "GET", "/api/v1/session", NULL, NULL, NULL);
    fake_assert_error(&r, 401, "unauthenticated");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signin_page_has_a_csrf_form),
        cmocka_unit_test(test_api_needs_the_csrf_header),
        cmocka_unit_test(test_password_checks_count_characters_and_refuse_patterns),
        cmocka_unit_test(test_signup_checks_name_and_email_before_anything),
        cmocka_unit_test(test_loose_json_is_refused),
        cmocka_unit_test(test_signin_needs_the_database),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

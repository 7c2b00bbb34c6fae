/* Unit tests for app/front/auth: CSRF tokens bound to the browser, safe redirects, device
 * cookies that cannot be forged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <stdio.h>
#include <string.h>

static void test_safe_next(void **state)
{
    (void)state;
    assert_true(str_eq_cstr(front_safe_next(STR("/cart")), "/cart"));
    assert_true(str_eq_cstr(front_safe_next(STR("//evil.example")), "/"));
    assert_true(str_eq_cstr(front_safe_next(STR("/\\evil.example")), "/"));
    assert_true(str_eq_cstr(front_safe_next(STR("https://evil.example")), "/"));
    assert_true(str_eq_cstr(front_safe_next(STR("")), "/"));
    assert_true(str_eq_cstr(front_safe_next(STR("/a\nb")), "/"));
}

/* token_and_cookie: the anonymous CSRF cookie and the form token of the sign-in page */
static void token_and_cookie(char *cookie, size_t cn, char *token, size_t tn)
{
    struct fake_resp r = fake_request(fake, "GET", "/account/signin", NULL, NULL, NULL);
    const char *c = strstr(r.head, "Set-Cookie: stampede_csrf=");
    assert_non_null(c);
    c += strlen("Set-Cookie: ");
    snprintf(cookie, cn, "%.*s", (int)strcspn(c, ";"), c);
    const char *t = strstr(r.body, "name=\"csrf\" value=\"");
    assert_non_null(t);
    t += strlen("name=\"csrf\" value=\"");
    snprintf(token, tn, "%.*s", (int)strcspn(t, "\""), t);
}

static void test_form_tokens_are_bound_to_the_browser(void **state)
{
    (void)state;
    char cookie[128], token[128], h[200], form[400];
    token_and_cookie(cookie, sizeof cookie, token, sizeof token);
    snprintf(h, sizeof h, "Cookie: %s", cookie);
    const char *hs[] = {h, NULL};
    snprintf(form, sizeof form, "csrf=%s&email=a%%40example.com&password=correct+horse", token);
    /* the right token with its cookie passes the check (then the database is down) */
    struct fake_resp r = fake_request(fake, "POST", "/account/signin", hs,
                                      "application/x-www-form-urlencoded", form);
    assert_int_equal(r.status, 503);
    /* without the cookie, or with another browser's, it does not */
    r = fake_request(fake, "POST", "/account/signin", NULL, "application/x-www-form-urlencoded",
                     form);
    assert_int_equal(r.status, 403);
    const char *other[] = {"Cookie: stampede_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                           NULL};
    r = fake_request(fake, "POST", "/account/signin", other, "application/x-www-form-urlencoded",
                     form);
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "csrf");
}

/* begin: an exchange with the given Cookie header, as the server would start it */
static void begin(struct http_ex *x, const char *cookie)
{
    arena_reset(fake->arena);
    char **env = arena_calloc(fake->arena, 4, sizeof *env);
    env[0] = "REQUEST_METHOD=GET";
    env[1] = "REQUEST_URI=/";
    env[2] = cookie ? arena_sprintf(fake->arena, "HTTP_COOKIE=%s", cookie) : NULL;
    struct http_limits lim = {1024, 16, 16};
    memset(x, 0, sizeof *x);
    x->app = fake->app;
    assert_int_equal(http_ex_begin(x, env, STR_NULL, &lim, fake->arena, &fake->head, &fake->body,
                                   fake->svc->hooks),
                     0);
}

static void test_device_cookies_cannot_be_forged(void **state)
{
    (void)state;
    struct http_ex x;
    /* a session begun for account 77 gives this browser a device cookie naming 77 */
    begin(&x, NULL);
    struct account_session s = {.account = {77, STR("d@example.com"), STR("D"), STR("shopper")},
                                .token = STR("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")};
    front_begin_session(&x, &s);
    const char *c = strstr(buf_cstr(x.resp.head), "stampede_dev=");
    assert_non_null(c);
    char cookie[200];
    snprintf(cookie, sizeof cookie, "%.*s", (int)strcspn(c, ";"), c);
    begin(&x, cookie);
    struct account_client cl = front_client(&x);
    assert_int_equal(cl.device_account, 77);
    assert_int_equal(cl.device_id.len, 32); /* 16 random bytes, hex */
    /* one bit changed in the account id: not ours */
    char *v = strchr(cookie, '=') + 1;
    v[10] = v[10] == 'A' ? 'B' : 'A';
    begin(&x, cookie);
    cl = front_client(&x);
    assert_int_equal(cl.device_account, 0);
    assert_int_equal(cl.device_id.len, 0);
    begin(&x, "stampede_dev=garbage");
    assert_int_equal(front_client(&x).device_account, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_safe_next),
        cmocka_unit_test(test_form_tokens_are_bound_to_the_browser),
        cmocka_unit_test(test_device_cookies_cannot_be_forged),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

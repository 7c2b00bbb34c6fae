/* Unit tests for app/ops/alerts: Alertmanager's webhook is authenticated and checks its body
 * before it reaches the database (the fake site's database is down). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <string.h>

/* hex HMAC-SHA256("alerts-webhook") under the fake site's security.secret (tools/stampede/
 * monitoring.sh, alerts_token, computes the same with openssl) */
#define TOKEN \
    "Authorization: Bearer 6a9b73187452b776e23b3afc7859832405a13625c224a3793612af84bd6c18ee"

static void test_webhook_without_the_token_is_refused(void **state)
{
    (void)state;
    const char *body = "{\"alerts\":[]}";
    struct fake_resp r =
        fake_request(fake, "POST", "/__internal/alerts", NULL, "application/json", body);
    fake_assert_error(&r, 403, "bad_token");
    const char *const bad[] = {"Authorization: Bearer 0123", NULL};
    r = fake_request(fake, "POST", "/__internal/alerts", bad, "application/json", body);
    fake_assert_error(&r, 403, "bad_token");
    const char *const basic[] = {"Authorization: Basic YWxlcnQ6eA==", NULL};
    r = fake_request(fake, "POST", "/__internal/alerts", basic, "application/json", body);
    fake_assert_error(&r, 403, "bad_token");
}

static void test_webhook_refuses_what_is_not_a_notification(void **state)
{
    (void)state;
    const char *const ok[] = {TOKEN, NULL};
    struct fake_resp r = fake_request(fake, "POST", "/__internal/alerts", ok, "application/json",
                                      "{\"version\":\"4\"}");
    fake_assert_error(&r, 400, "bad_notification");
    r = fake_request(fake, "POST", "/__internal/alerts", ok, "application/json",
                     "{\"alerts\":[{\"status\":\"firing\",\"labels\":{}}]}");
    fake_assert_error(&r, 400, "bad_notification");
}

static void test_webhook_with_no_alerts_stores_nothing(void **state)
{
    (void)state;
    const char *const ok[] = {TOKEN, NULL};
    struct fake_resp r = fake_request(fake, "POST", "/__internal/alerts", ok, "application/json",
                                      "{\"version\":\"4\",\"alerts\":[]}");
    assert_int_equal(r.status, 204);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook_without_the_token_is_refused),
        cmocka_unit_test(test_webhook_refuses_what_is_not_a_notification),
        cmocka_unit_test(test_webhook_with_no_alerts_stores_nothing),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

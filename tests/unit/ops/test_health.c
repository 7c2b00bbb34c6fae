/* Unit tests for app/ops/health: /healthz and /readyz through the whole site, in-process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <cjson/cJSON.h>
#include <string.h>

static void test_healthz_needs_no_dependency(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "GET", "/healthz", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"status\":\"alive\""));
    assert_non_null(strstr(r.body, "\"node\":\"fake\""));
}

static void test_readyz_says_why_it_is_not_ready(void **state)
{
    (void)state;
    /* the fake site's database is down: not ready, with the reason, as JSON */
    struct fake_resp r = fake_request(fake, "GET", "/readyz", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
    cJSON *j = cJSON_Parse(r.body);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "not_ready");
    assert_string_equal(cJSON_GetObjectItem(j, "database")->valuestring, "down");
    assert_string_equal(cJSON_GetObjectItem(j, "reason")->valuestring, "database unreachable");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(j, "draining")));
    cJSON_Delete(j);
    /* never cached by anyone on the way */
    char v[64];
    assert_true(fake_header(&r, "Cache-Control", v, sizeof v));
    assert_string_equal(v, "no-store");
}

static void test_health_answers_head_and_refuses_post(void **state)
{
    (void)state;
    assert_int_equal(fake_request(fake, "HEAD", "/healthz", NULL, NULL, NULL).status, 200);
    struct fake_resp r = fake_request(fake, "POST", "/healthz", NULL, NULL, NULL);
    assert_int_equal(r.status, 405);
    char v[64];
    assert_true(fake_header(&r, "Allow", v, sizeof v));
    assert_string_equal(v, "GET, HEAD");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthz_needs_no_dependency),
        cmocka_unit_test(test_readyz_says_why_it_is_not_ready),
        cmocka_unit_test(test_health_answers_head_and_refuses_post),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

/* Unit tests for app/web/drops: what stays true of the drop routes whatever the waiting
 * room's details: who may join a queue, ids and declared headers checked before anything is
 * looked up, and errors in the API's JSON shape. The fake site's database is down: 503 proves
 * a request got as far as the domain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <stdio.h>
#include <string.h>

#define FORM "application/x-www-form-urlencoded"
static const char *const api[] = {"X-Requested-With: stampede", NULL};

static int teardown_each(void **state)
{
    (void)state;
    fake_sign_in(fake, 0, NULL);
    return 0;
}

static void test_joining_a_queue_needs_the_header_and_a_session(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "POST", "/api/v1/drops/7/queue", NULL, NULL, NULL);
    fake_assert_json_error(&r, 403, "csrf");
    r = fake_request(fake, "POST", "/api/v1/drops/7/queue", api, NULL, NULL);
    fake_assert_json_error(&r, 401, "unauthenticated");
    /* the page's form: its token first, then a session */
    r = fake_request(fake, "POST", "/drops/7/queue", NULL, FORM, "csrf=x");
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "csrf");
    /* a signed-in shopper's join reaches the database */
    fake_sign_in(fake, 41, "shopper");
    r = fake_request(fake, "POST", "/api/v1/drops/7/queue", api, NULL, NULL);
    fake_assert_json_error(&r, 503, "service_unavailable");
}

static void test_drop_ids_are_checked_first(void **state)
{
    (void)state;
    const char *json[] = {"/api/v1/drops/0", "/api/v1/drops/x", "/api/v1/drops/-7/queue",
                          "/api/v1/drops/99999999999999999999"};
    for (size_t i = 0; i < sizeof json / sizeof json[0]; i++) {
        struct fake_resp r = fake_request(fake, "GET", json[i], NULL, NULL, NULL);
        fake_assert_json_error(&r, 400, "invalid_parameter");
    }
    struct fake_resp r = fake_request(fake, "POST", "/api/v1/drops/0/queue", api, NULL, NULL);
    fake_assert_json_error(&r, 400, "invalid_parameter");
    const char *pages[] = {"/drops/0", "/drops/halo-1", "/drops/1.5"};
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        r = fake_request(fake, "GET", pages[i], NULL, NULL, NULL);
        assert_int_equal(r.status, 400);
        assert_string_equal(r.code, "invalid_parameter");
    }
    /* an address under /api/v1/drops that is no route: 404 in the JSON shape */
    r = fake_request(fake, "GET", "/api/v1/drops/7/nothing", NULL, NULL, NULL);
    fake_assert_json_error(&r, 404, "not_found");
    r = fake_request(fake, "DELETE", "/api/v1/drops/7", api, NULL, NULL);
    fake_assert_json_error(&r, 405, "method_not_allowed");
    char allow[64];
    assert_true(fake_header(&r, "Allow", allow, sizeof allow));
    assert_non_null(strstr(allow, "GET"));
}

static void test_queue_polls_check_their_declared_headers(void **state)
{
    (void)state;
    const char *const bad_ticket[] = {"Queue-Ticket: not a token", NULL};
    struct fake_resp r = fake_request(fake, "GET", "/api/v1/drops/7/queue", bad_ticket, NULL, NULL);
    fake_assert_json_error(&r, 400, "invalid_parameter");
    assert_non_null(strstr(r.body, "Queue-Ticket"));
    const char *const bad_admission[] = {"Drop-Admission: <x>", NULL};
    r = fake_request(fake, "GET", "/api/v1/drops/7/queue", bad_admission, NULL, NULL);
    fake_assert_json_error(&r, 400, "invalid_parameter");
    assert_non_null(strstr(r.body, "Drop-Admission"));
}

static void test_drops_are_public_and_come_from_the_database(void **state)
{
    (void)state;
    /* no session needed to see drops: anonymous requests reach the database */
    struct fake_resp r = fake_request(fake, "GET", "/api/v1/drops", NULL, NULL, NULL);
    fake_assert_json_error(&r, 503, "service_unavailable");
    r = fake_request(fake, "GET", "/api/v1/drops/7", NULL, NULL, NULL);
    fake_assert_json_error(&r, 503, "service_unavailable");
    r = fake_request(fake, "GET", "/drops", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
    r = fake_request(fake, "GET", "/drops/7", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
    /* how drops work needs no database */
    r = fake_request(fake, "GET", "/help/drops", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "How drops work"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_joining_a_queue_needs_the_header_and_a_session,
                                  teardown_each),
        cmocka_unit_test_teardown(test_drop_ids_are_checked_first, teardown_each),
        cmocka_unit_test_teardown(test_queue_polls_check_their_declared_headers, teardown_each),
        cmocka_unit_test_teardown(test_drops_are_public_and_come_from_the_database, teardown_each),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

/* Unit tests for app/admin/batch: the job pages and "run now" are for admins only, the form
 * needs its token, and a job that does not exist is refused before anything is stored (the
 * fake site's database is down: 503 proves a request got as far as it). */
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

static struct fake_resp run_now(const char *job, bool token)
{
    char t[128], path[200], body[200];
    fake_csrf(fake, t, sizeof t);
    snprintf(path, sizeof path, "/admin/batch/%s/run", job);
    snprintf(body, sizeof body, "csrf=%s", token ? t : "");
    return fake_request(fake, "POST", path, NULL, FORM, body);
}

static void test_batch_pages_are_for_admins_only(void **state)
{
    (void)state;
    for (int shopper = 0; shopper < 2; shopper++) {
        fake_sign_in(fake, shopper ? 41 : 0, shopper ? "shopper" : NULL);
        const char *paths[] = {"/admin/batch", "/admin/batch?job=expire-holds&noop=1",
                               "/admin/batch/runs/3"};
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
            struct fake_resp r = fake_request(fake, "GET", paths[i], NULL, NULL, NULL);
            assert_int_equal(r.status, 404);
            assert_string_equal(r.code, "not_found");
        }
        struct fake_resp r = run_now("expire-holds", true);
        assert_int_equal(r.status, shopper ? 404 : 403);
    }
}

static void test_run_now_needs_the_form_token(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    struct fake_resp r = run_now("expire-holds", false);
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "csrf");
    r = fake_request(fake, "POST", "/admin/batch/expire-holds/run", NULL, NULL, NULL);
    assert_int_equal(r.status, 403);
}

static void test_bad_job_names_are_refused_before_the_database(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    /* not a job name at all: the router's validator */
    const char *bad[] = {"Expire_Holds", "expire%20holds", "x%3Cscript%3E"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fake_resp r = run_now(bad[i], true);
        assert_int_equal(r.status, 400);
        assert_string_equal(r.code, "invalid_parameter");
    }
    char longname[100];
    memset(longname, 'a', 65);
    longname[65] = '\0';
    assert_int_equal(run_now(longname, true).status, 400);
    /* a well-formed name that is no job: 404 without a database */
    struct fake_resp r = run_now("no-such-job", true);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.code, "job_not_found");
    r = run_now("expire-holds-2", true);
    assert_int_equal(r.status, 404);
    /* the page's filters are checked too */
    r = fake_request(fake, "GET", "/admin/batch?job=Expire_Holds", NULL, NULL, NULL);
    assert_int_equal(r.status, 400);
    r = fake_request(fake, "GET", "/admin/batch/runs/0", NULL, NULL, NULL);
    assert_int_equal(r.status, 400);
}

static void test_known_jobs_reach_the_database(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    const char *jobs[] = {"expire-holds", "reconcile-payments", "audit-stock"};
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
        struct fake_resp r = run_now(jobs[i], true);
        assert_int_equal(r.status, 503);
    }
    struct fake_resp r = fake_request(fake, "GET", "/admin/batch", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
    r = fake_request(fake, "GET", "/admin/batch/runs/3", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_batch_pages_are_for_admins_only, teardown_each),
        cmocka_unit_test_teardown(test_run_now_needs_the_form_token, teardown_each),
        cmocka_unit_test_teardown(test_bad_job_names_are_refused_before_the_database,
                                  teardown_each),
        cmocka_unit_test_teardown(test_known_jobs_reach_the_database, teardown_each),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

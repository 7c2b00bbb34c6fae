/* Unit tests for app/db/retry: the policy decides which results are retried, how often and
 * with what pause. (db_tx against a real database: tests/integration.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "db/retry.h"

struct script {
    int calls;
    const int *results; /* what the n-th call returns */
    int n;
};

static int run(void *arg)
{
    struct script *s = arg;
    int rc = s->results[s->calls < s->n ? s->calls : s->n - 1];
    s->calls++;
    return rc;
}

static void test_retries_only_what_the_policy_says(void **state)
{
    (void)state;
    const struct db_retry p = {"test", 4, 0, 0, NULL};
    int deadlocks_then_ok[] = {ERR_DB_RETRY, ERR_DB_RETRY, 0};
    struct script s = {0, deadlocks_then_ok, 3};
    assert_int_equal(db_retry(&p, run, &s), 0);
    assert_int_equal(s.calls, 3);
    int always[] = {ERR_DB_RETRY};
    s = (struct script){0, always, 1};
    assert_int_equal(db_retry(&p, run, &s), ERR_DB_RETRY);
    assert_int_equal(s.calls, 4); /* tries in all */
    int other[] = {ERR_DB, 0};
    s = (struct script){0, other, 2};
    assert_int_equal(db_retry(&p, run, &s), ERR_DB);
    assert_int_equal(s.calls, 1);
    int outcome[] = {7, 0}; /* a positive domain outcome is an answer, not a failure */
    s = (struct script){0, outcome, 2};
    assert_int_equal(db_retry(&p, run, &s), 7);
    assert_int_equal(s.calls, 1);
}

static bool only_timeouts(int rc)
{
    return rc == ERR_TIMEOUT;
}

static void test_a_policy_chooses_its_errors(void **state)
{
    (void)state;
    const struct db_retry p = {"test", 3, 0, 0, only_timeouts};
    int seq[] = {ERR_TIMEOUT, ERR_DB_RETRY};
    struct script s = {0, seq, 2};
    assert_int_equal(db_retry(&p, run, &s), ERR_DB_RETRY);
    assert_int_equal(s.calls, 2);
}

static void test_pauses_grow_and_are_capped(void **state)
{
    (void)state;
    const struct db_retry p = {"test", 10, 2, 16, NULL};
    for (int i = 0; i < 200; i++) {
        assert_in_range(db_retry_pause(&p, 1), 1, 2);
        assert_in_range(db_retry_pause(&p, 2), 1, 4);
        assert_in_range(db_retry_pause(&p, 3), 1, 8);
        assert_in_range(db_retry_pause(&p, 9), 1, 16);
    }
    const struct db_retry none = {"test", 3, 0, 0, NULL};
    assert_int_equal(db_retry_pause(&none, 5), 0);
    assert_in_range(db_retry_pause(&db_retry_default, 6), 1, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retries_only_what_the_policy_says),
        cmocka_unit_test(test_a_policy_chooses_its_errors),
        cmocka_unit_test(test_pauses_grow_and_are_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for app/autoscale/run: argv splitting, exit status, output tail, timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "autoscale/run.h"
#include "core/err.h"

#include <string.h>

static void test_split(void **state)
{
    (void)state;
    char buf[128];
    char *argv[4];
    assert_int_equal(run_split("  /x/stampede  node add ", buf, sizeof buf, argv, 4), 3);
    assert_string_equal(argv[0], "/x/stampede");
    assert_string_equal(argv[2], "add");
    assert_null(argv[3]);
    assert_int_equal(run_split("a b c d", buf, sizeof buf, argv, 4), -1);
    assert_int_equal(run_split("", buf, sizeof buf, argv, 4), 0);
}

static void test_ok_and_last_line(void **state)
{
    (void)state;
    struct run_result r;
    /* no shell: the reason arrives as one argument, whatever it holds */
    assert_int_equal(run_command("/bin/echo starting", "load 41.2 > 20; $(x)", 5000, &r), 0);
    assert_true(r.ok);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.last_line, "starting --reason load 41.2 > 20; $(x)");
    /* sh -c SCRIPT --reason x: the reason is $0 and $1 of the script */
    assert_int_equal(run_command("/bin/sh -c echo${IFS}web3;exit${IFS}0", "x", 5000, &r), 0);
    assert_true(r.ok);
    assert_string_equal(r.last_line, "web3");
}

static void test_failure_and_timeout(void **state)
{
    (void)state;
    struct run_result r;
    assert_int_equal(run_command("/bin/false", "x", 5000, &r), 0);
    assert_false(r.ok);
    assert_int_equal(r.exit_code, 1);
    assert_int_equal(run_command("/nonexistent/cmd", "x", 5000, &r), ERR_IO);
    assert_non_null(strstr(r.tail, "cannot start"));
    assert_int_equal(run_command("", "x", 5000, &r), ERR_INVAL);
    assert_int_equal(run_command("/bin/sh -c sleep${IFS}30", "x", 300, &r), 0);
    assert_false(r.ok);
    assert_true(r.timed_out);
    assert_true(r.duration_ms < 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_ok_and_last_line),
        cmocka_unit_test(test_failure_and_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

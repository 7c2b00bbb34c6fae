/* Unit tests for app/conf/appcfg: the configuration of the shop's processes and the option
 * structs built from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conf/appcfg.h"
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static void write_conf(const char *text)
{
    snprintf(path, sizeof path, "/tmp/stampede-appcfg-%d.conf", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_defaults_and_option_structs(void **state)
{
    (void)state;
    write_conf("db.password = pw\nsecurity.secret = 0123456789abcdef0123456789abcdef\n"
               "db.lock_wait = 1500ms\ncart.max_line = 4\ncheckout.max_retries = 2\n");
    struct appcfg c;
    struct buf err;
    buf_init(&err, 1024);
    assert_int_equal(appcfg_load(&c, path, &err), 0);
    struct db_opts d = appcfg_db_opts(&c);
    assert_string_equal(d.password, "pw");
    assert_int_equal(d.lock_wait_s, 2); /* rounded up to whole seconds */
    struct shop_rules r = appcfg_shop_rules(&c);
    assert_int_equal(r.cart_max_line, 4);
    assert_int_equal(r.checkout_tries, 3);
    assert_int_equal(r.hold_ttl_s, 600);
    struct cache_opts co = appcfg_cache_opts(&c, false);
    assert_false(co.near);
    assert_true(appcfg_cache_opts(&c, true).near);
    assert_int_equal(c.hash_concurrency, 2);
    assert_int_equal(c.password_min_bits, 28);
    assert_string_equal(c.ops_listen, "");
    appcfg_free(&c);
    buf_free(&err);
    unlink(path);
}

static void test_bad_values_are_refused_by_name(void **state)
{
    (void)state;
    write_conf("db.password = pw\nsecurity.secret = 0123456789abcdef0123456789abcdef\n"
               "auth.hash_concurrency = 0\n");
    struct appcfg c;
    struct buf err;
    buf_init(&err, 1024);
    assert_int_not_equal(appcfg_load(&c, path, &err), 0);
    assert_non_null(strstr(buf_cstr(&err), "auth.hash_concurrency"));
    appcfg_free(&c);
    buf_free(&err);
    unlink(path);
}

/* the scheduled batch jobs and their intervals; a job that is off is not scheduled, and the
 * jobs run by hand or when due (audit-payments, drop-draw) never are */
static void test_schedule_lists_the_scheduled_jobs(void **state)
{
    (void)state;
    write_conf("db.password = pw\nsecurity.secret = 0123456789abcdef0123456789abcdef\n"
               "batch.expire_interval = 3s\nbatch.audit_interval = 0\n");
    struct appcfg c;
    struct buf err;
    buf_init(&err, 1024);
    assert_int_equal(appcfg_load(&c, path, &err), 0);
    struct appcfg_schedule s[APPCFG_SCHEDULED_MAX];
    size_t n = appcfg_schedule(&c, s);
    assert_int_equal(n, 2);
    assert_string_equal(s[0].job, "expire-holds");
    assert_int_equal(s[0].interval_ms, 3000);
    assert_true(s[0].at_start);
    assert_string_equal(s[1].job, "reconcile-payments");
    assert_int_equal(s[1].interval_ms, 30000);
    assert_false(s[1].at_start);
    appcfg_free(&c);
    buf_free(&err);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_option_structs),
        cmocka_unit_test(test_bad_values_are_refused_by_name),
        cmocka_unit_test(test_schedule_lists_the_scheduled_jobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

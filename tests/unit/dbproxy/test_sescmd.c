/* Unit tests for app/dbproxy/sescmd: the session-command history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dbproxy/sescmd.h"

#include <string.h>

#define ADD(h, s) sescmd_add(h, s, strlen(s))

static void test_order_replace_prune(void **state)
{
    (void)state;
    struct sescmd_hist h;
    sescmd_init(&h, 3);
    uint64_t a = ADD(&h, "\x03SET NAMES utf8mb4");
    uint64_t b = ADD(&h, "\x03SET time_zone='+00:00'");
    assert_true(b > a);
    /* replay after a: b only */
    const struct sescmd *c = sescmd_next(&h, a);
    assert_non_null(c);
    assert_true(c->id == b);
    assert_null(sescmd_next(&h, b));
    /* a repeat moves to the end, where it now applies */
    uint64_t a2 = ADD(&h, "\x03SET NAMES utf8mb4");
    assert_int_equal(h.n, 2);
    assert_true(a2 > b);
    assert_true(sescmd_next(&h, 0)->id == b);
    /* the bound drops the oldest */
    ADD(&h, "\x02shop");
    ADD(&h, "\x03SET sql_mode=''");
    assert_int_equal(h.n, 3);
    assert_int_equal(h.pruned, 1);
    assert_true(sescmd_next(&h, 0)->id == a2);
    /* a failed command is dropped again */
    sescmd_drop(&h, h.last_id);
    assert_int_equal(h.n, 2);
    sescmd_clear(&h);
    assert_int_equal(h.n, 0);
    assert_null(sescmd_next(&h, 0));
    sescmd_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_order_replace_prune)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

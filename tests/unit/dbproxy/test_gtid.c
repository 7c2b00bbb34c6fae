/* Unit tests for app/dbproxy/gtid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "dbproxy/gtid.h"

#include <string.h>

static struct gtid_pos P(const char *s) {
    struct gtid_pos p;
    assert_int_equal(gtid_parse(str_from_cstr(s), &p), 0);
    return p;
}

static void
test_parse_format(void **state)
{
    (void)state;
    struct gtid_pos p = P("0-1-250");
    assert_int_equal(p.n, 1);
    assert_true(p.d[0].domain == 0 && p.d[0].server == 1 && p.d[0].seq == 250);
    p = P("0-1-250,1-3-7, 2-2-18446744073709551615");
    assert_int_equal(p.n, 3);
    assert_true(p.d[2].seq == UINT64_MAX);
    char out[GTID_TEXT_MAX];
    gtid_format(&p, out, sizeof out);
    assert_string_equal(out, "0-1-250,1-3-7,2-2-18446744073709551615");
    assert_int_equal(P("").n, 0);
    static const char *const bad[] = {"0-1",
                                      "0-1-",
                                      "a-1-2",
                                      "0-1-2,",
                                      "0-1-2,0-3-4",
                                      "0-1-2;1-1-1",
                                      "0-1-18446744073709551616",
                                      "4294967296-1-1",
                                      "0-1-1,1-1-1,2-1-1,3-1-1,4-1-1,5-1-1,6-1-1,7-1-1,8-1-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gtid_pos x;
        assert_int_equal(gtid_parse(str_from_cstr(bad[i]), &x), ERR_INVAL);
        assert_int_equal(x.n, 0);
    }
}

static void test_reached_merge_behind(void **state)
{
    (void)state;
    struct gtid_pos have = P("0-1-250,1-3-7"), want = P("0-1-250");
    assert_true(gtid_reached(&have, &want));
    want = P("0-1-251");
    assert_false(gtid_reached(&have, &want));
    assert_int_equal(gtid_behind(&have, &want), 1);
    want = P("2-1-1"); /* a domain the replica has never seen */
    assert_false(gtid_reached(&have, &want));
    want = P("");
    assert_true(gtid_reached(&have, &want));
    struct gtid_pos acc = P("0-1-10");
    struct gtid_pos add = P("0-2-12,5-5-5");
    gtid_merge(&acc, &add);
    assert_int_equal(acc.n, 2);
    assert_true(acc.d[0].seq == 12 && acc.d[0].server == 2);
    add = P("0-1-3"); /* older: ignored */
    gtid_merge(&acc, &add);
    assert_true(acc.d[0].seq == 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_reached_merge_behind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

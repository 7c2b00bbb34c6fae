/* Unit tests for app/dbproxy/route: the routing decision over session states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dbproxy/route.h"

#include <string.h>

struct row {
    enum qc_route qc;
    unsigned flags;
    struct route_state st;
    enum route_target want;
    const char *reason;
};

#define AC                                      \
    {                                           \
        false, false, true, false, false, false \
    } /* autocommit, nothing open */

static void test_table(void **state)
{
    (void)state;
    static const struct row rows[] = {
        {QC_REPLICA, 0, AC, RT_REPLICA, "read"},
        {QC_PRIMARY, 0, AC, RT_PRIMARY, "write"},
        {QC_ALL, 0, AC, RT_ALL, "session_command"},
        {QC_PREVIOUS, 0, AC, RT_PREVIOUS, "previous"},
        {QC_REPLICA, QC_BEGIN_READONLY, AC, RT_REPLICA, "read_only_transaction"},
        /* inside a transaction everything goes to the primary, session commands everywhere */
        {QC_REPLICA, 0, {true, false, true, false, false, false}, RT_PRIMARY, "transaction"},
        {QC_PREVIOUS, 0, {true, false, true, false, false, false}, RT_PRIMARY, "transaction"},
        {QC_ALL, 0, {true, false, true, false, false, false}, RT_ALL, "session_command"},
        {QC_REPLICA,
         QC_HINT_REPLICA,
         {true, false, true, false, false, false},
         RT_PRIMARY,
         "transaction"},
        /* a read-only transaction stays on its replica, writes included (they fail there) */
        {QC_PRIMARY,
         0,
         {false, true, true, false, false, false},
         RT_PREVIOUS,
         "read_only_transaction"},
        {QC_REPLICA, 0, {false, false, false, false, false, false}, RT_PRIMARY, "autocommit_off"},
        {QC_REPLICA, 0, {false, false, true, true, false, false}, RT_PRIMARY, "locked_tables"},
        {QC_REPLICA, 0, {false, false, true, false, true, false}, RT_PRIMARY, "temp_tables"},
        {QC_REPLICA, 0, {false, false, true, false, false, true}, RT_PRIMARY, "replica_refused"},
        /* hints win outside transactions */
        {QC_REPLICA, QC_HINT_PRIMARY, AC, RT_PRIMARY, "hint"},
        {QC_PRIMARY, QC_HINT_REPLICA, AC, RT_REPLICA, "hint"},
        {QC_REPLICA, QC_HINT_LAST, AC, RT_PREVIOUS, "hint"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct qc_info qc = {rows[i].qc, rows[i].flags, "write"};
        struct route_decision d = route_decide(&qc, &rows[i].st);
        if (d.target != rows[i].want || strcmp(d.reason, rows[i].reason) != 0)
            fail_msg("row %zu: got target %d reason %s, want %d %s", i, d.target, d.reason,
                     rows[i].want, rows[i].reason);
    }
}

static void test_reasons_listed(void **state)
{
    (void)state;
    /* every reason route_decide gives is registered as a metric label */
    const char *const given[] = {
        "read",           "write",       "transaction", "read_only_transaction", "autocommit_off",
        "locked_tables",  "temp_tables", "hint",        "session_command",       "previous",
        "replica_refused"};
    for (size_t i = 0; i < sizeof given / sizeof given[0]; i++) {
        bool found = false;
        for (size_t k = 0; route_reasons[k]; k++)
            found = found || strcmp(route_reasons[k], given[i]) == 0;
        if (!found)
            fail_msg("reason %s is not in route_reasons", given[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_table),
                                       cmocka_unit_test(test_reasons_listed)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

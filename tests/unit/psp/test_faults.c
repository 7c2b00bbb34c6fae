/* Unit tests for app/psp/faults (the sandbox's per-call fault table) and its webhook signer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/sec.h"
#include "psp/psp.h"

#include <stdio.h>
#include <string.h>

static struct psp P;

static int setup(void **state)
{
    (void)state;
    pthread_mutex_init(&P.mu, NULL);
    return sec_init();
}

static struct psp_fault rule(const char *op, const char *kind, const char *order, int64_t n)
{
    struct psp_fault f;
    memset(&f, 0, sizeof f);
    snprintf(f.op, sizeof f.op, "%s", op);
    snprintf(f.kind, sizeof f.kind, "%s", kind);
    snprintf(f.order_id, sizeof f.order_id, "%s", order);
    f.remaining = n;
    return f;
}

static void test_kinds_fit_their_op(void **state)
{
    (void)state;
    assert_true(psp_fault_kind_valid("confirm", "lost"));
    assert_true(psp_fault_kind_valid("cancel", "error_after_commit"));
    assert_true(psp_fault_kind_valid("webhook", "reorder"));
    assert_true(psp_fault_kind_valid("checkout", "slow"));
    assert_false(psp_fault_kind_valid("webhook", "lost"));
    assert_false(psp_fault_kind_valid("confirm", "duplicate"));
    assert_false(psp_fault_kind_valid("checkout", "timeout"));
    assert_false(psp_fault_kind_valid("refund", "slow"));
}

static void test_rules_are_consumed_per_call_and_per_order(void **state)
{
    (void)state;
    psp_fault_clear(&P);
    struct psp_fault f = rule("confirm", "lost", "order-1", 2),
                     any = rule("confirm", "slow", "", 1);
    assert_int_equal(psp_fault_add(&P, &f), 0);
    assert_int_equal(psp_fault_add(&P, &any), 0);
    struct psp_fault got;
    /* another order skips the order's rule and takes the one for any order */
    assert_true(psp_fault_take(&P, "confirm", STR("order-2"), &got));
    assert_string_equal(got.kind, "slow");
    assert_false(psp_fault_take(&P, "confirm", STR("order-2"), &got));
    assert_true(psp_fault_take(&P, "confirm", STR("order-1"), &got));
    assert_string_equal(got.kind, "lost");
    assert_true(psp_fault_take(&P, "confirm", STR("order-1"), &got));
    assert_false(psp_fault_take(&P, "confirm", STR("order-1"), &got));
    assert_false(psp_fault_take(&P, "cancel", STR("order-1"), &got));
    struct psp_fault list[PSP_MAX_FAULTS];
    assert_int_equal(psp_fault_list(&P, list, PSP_MAX_FAULTS), 0);
}

static void test_the_table_is_bounded(void **state)
{
    (void)state;
    psp_fault_clear(&P);
    struct psp_fault f = rule("lookup", "error", "", 1);
    for (int i = 0; i < PSP_MAX_FAULTS; i++)
        assert_int_equal(psp_fault_add(&P, &f), 0);
    assert_int_equal(psp_fault_add(&P, &f), ERR_LIMIT);
    psp_fault_clear(&P);
    struct psp_fault list[PSP_MAX_FAULTS];
    assert_int_equal(psp_fault_list(&P, list, PSP_MAX_FAULTS), 0);
}

static void test_webhook_signature_is_stripe_shaped(void **state)
{
    (void)state;
    struct arena *a = arena_new(4096, 1 << 20);
    /* HMAC-SHA256("key", "1.x"), computed independently */
    struct str s = psp_webhook_sign(a, STR("key"), 1, STR("x"));
    assert_true(str_starts_with(s, STR("t=1,v1=")));
    assert_int_equal(s.len, 7 + 64);
    struct str again = psp_webhook_sign(a, STR("key"), 1, STR("x"));
    assert_true(str_eq(s, again));
    assert_false(str_eq(s, psp_webhook_sign(a, STR("key"), 2, STR("x"))));
    assert_false(str_eq(s, psp_webhook_sign(a, STR("kez"), 1, STR("x"))));
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds_fit_their_op),
        cmocka_unit_test(test_rules_are_consumed_per_call_and_per_order),
        cmocka_unit_test(test_the_table_is_bounded),
        cmocka_unit_test(test_webhook_signature_is_stripe_shaped),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

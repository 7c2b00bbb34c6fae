/*
 * Unit tests for app/cache/near: the per-thread table (epochs, TTLs, collisions, sizes) and
 * the signatures of invalidation requests. The protocol with memcached is in test_l2.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cache/near.h"
#include "core/sec.h"

#include <stdio.h>
#include <string.h>

#define SEC 1000000000LL

static void test_entries_live_under_their_epoch_and_ttl(void **state)
{
    (void)state;
    struct near_table *t = near_table_new();
    near_put(t, 1, STR("42"), 'V', STR("payload"), 7, 10 * SEC);
    const struct near_entry *e = near_get(t, 1, STR("42"), 7, 5 * SEC);
    assert_non_null(e);
    assert_int_equal(e->kind, 'V');
    assert_int_equal(e->val_len, 7);
    assert_memory_equal(e->val, "payload", 7);
    assert_null(near_get(t, 1, STR("42"), 8, 5 * SEC));  /* the node's epoch moved */
    assert_null(near_get(t, 1, STR("42"), 7, 10 * SEC)); /* expired */
    assert_null(near_get(t, 2, STR("42"), 7, 5 * SEC));  /* another region */
    assert_null(near_get(t, 1, STR("4"), 7, 5 * SEC));
    assert_null(near_get(t, 1, STR("420"), 7, 5 * SEC));
    /* replaced in place, larger and smaller, and as a not-found */
    near_put(t, 1, STR("42"), 'V', STR("a longer payload than before"), 7, 10 * SEC);
    e = near_get(t, 1, STR("42"), 7, 0);
    assert_int_equal(e->val_len, 28);
    near_put(t, 1, STR("42"), 'N', STR_NULL, 7, 10 * SEC);
    e = near_get(t, 1, STR("42"), 7, 0);
    assert_int_equal(e->kind, 'N');
    assert_int_equal(e->val_len, 0);
    near_put(t, 1, STR("42"), 'V', STR(""), 7, 10 * SEC);
    assert_int_equal(near_get(t, 1, STR("42"), 7, 0)->val_len, 0);
    near_table_free(t);
}

static void test_collisions_evict_and_bad_arguments_are_ignored(void **state)
{
    (void)state;
    struct near_table *t = near_table_new();
    char id[16];
    /* more ids than slots: each lookup finds its own value or nothing, never another's */
    for (int i = 0; i < 3 * NEAR_SLOTS; i++) {
        int n = snprintf(id, sizeof id, "%d", i);
        near_put(t, 3, (struct str){id, (size_t)n}, 'V', (struct str){id, (size_t)n}, 1, SEC);
    }
    int found = 0;
    for (int i = 0; i < 3 * NEAR_SLOTS; i++) {
        int n = snprintf(id, sizeof id, "%d", i);
        const struct near_entry *e = near_get(t, 3, (struct str){id, (size_t)n}, 1, 0);
        if (e) {
            found++;
            assert_int_equal(e->val_len, (size_t)n);
            assert_memory_equal(e->val, id, (size_t)n);
        }
    }
    assert_true(found > 0 && found <= NEAR_SLOTS);
    /* ids too long, values too large, slot 0 and a NULL table are not kept */
    char longid[NEAR_ID_MAX + 2];
    memset(longid, 'x', sizeof longid);
    near_put(t, 1, (struct str){longid, sizeof longid}, 'V', STR("v"), 1, SEC);
    assert_null(near_get(t, 1, (struct str){longid, sizeof longid}, 1, 0));
    static char big[NEAR_VALUE_MAX + 1];
    near_put(t, 1, STR("big"), 'V', (struct str){big, sizeof big}, 1, SEC);
    assert_null(near_get(t, 1, STR("big"), 1, 0));
    near_put(t, 0, STR("zero"), 'V', STR("v"), 1, SEC);
    assert_null(near_get(t, 0, STR("zero"), 1, 0));
    near_put(NULL, 1, STR("x"), 'V', STR("v"), 1, SEC);
    assert_null(near_get(NULL, 1, STR("x"), 1, 0));
    near_table_free(t);
    near_table_free(NULL);
}

static void test_the_node_epoch_is_shared_and_moves_on_bump(void **state)
{
    (void)state;
    near_node_init(false); /* a node that registers itself starts outside the set */
    near_node_init(true);  /* idempotent: the first call decided */
    assert_true(near_active());
    assert_int_equal(near_epoch(), 0); /* not a member: no near copies */
    near_bump();
    assert_int_equal(near_epoch(), 0);

    assert_true(near_set_member(true));
    assert_false(near_set_member(true)); /* already */
    uint64_t e = near_epoch();
    assert_int_not_equal(e, 0);
    near_bump();
    assert_true(near_epoch() > e);
    e = near_epoch();

    /* leaving and joining again: an entry kept before is never served after */
    struct near_table *t = near_table_new();
    near_put(t, 1, STR("p"), 'V', STR("old"), e, SEC);
    assert_non_null(near_get(t, 1, STR("p"), near_epoch(), 0));
    assert_true(near_set_member(false));
    assert_int_equal(near_epoch(), 0);
    assert_true(near_set_member(true));
    assert_true(near_epoch() > e);
    assert_null(near_get(t, 1, STR("p"), near_epoch(), 0));
    near_table_free(t);
}

static void test_signatures_are_checked_in_mac_and_time(void **state)
{
    (void)state;
    struct arena *a = arena_new(4096, 1 << 20);
    struct str key = STR("a-secret-that-is-long-enough-0123456789");
    int64_t now = 1790000000;
    struct str sig = near_sign(a, key, now);
    assert_true(near_verify(a, key, sig, now));
    assert_true(near_verify(a, key, sig, now + NEAR_WINDOW_S));
    assert_false(near_verify(a, key, sig, now + NEAR_WINDOW_S + 1)); /* too old */
    assert_false(near_verify(a, key, sig, now - NEAR_WINDOW_S - 1)); /* from the future */
    assert_false(near_verify(a, STR("another-secret-that-is-long-enough-0123"), sig, now));
    assert_false(near_verify(a, STR(""), sig, now));
    /* altered: the time, the MAC, or the shape */
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)sig.len, sig.p);
    buf[3] = buf[3] == '1' ? '2' : '1';
    assert_false(near_verify(a, key, str_from_cstr(buf), now));
    snprintf(buf, sizeof buf, "%.*s", (int)sig.len, sig.p);
    buf[sig.len - 1] = buf[sig.len - 1] == 'a' ? 'b' : 'a';
    assert_false(near_verify(a, key, str_from_cstr(buf), now));
    const char *bad[] = {"",
                         "t=",
                         "t=1790000000",
                         "t=1790000000,",
                         "t=abc,v1=00",
                         "x=1790000000,v1=00",
                         "t=1790000000,v2=00",
                         "t=-1,v1=00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(near_verify(a, key, str_from_cstr(bad[i]), now));
    arena_destroy(a);
}

int main(void)
{
    sec_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entries_live_under_their_epoch_and_ttl),
        cmocka_unit_test(test_collisions_evict_and_bad_arguments_are_ignored),
        cmocka_unit_test(test_the_node_epoch_is_shared_and_moves_on_bump),
        cmocka_unit_test(test_signatures_are_checked_in_mac_and_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

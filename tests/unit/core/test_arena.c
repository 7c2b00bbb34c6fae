/* Unit tests for app/core/arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/mem.h"

#include <string.h>

static void test_alloc_is_aligned_and_usable(void **state)
{
    (void)state;
    struct arena *a = arena_new(1024, 1 << 20);
    for (int i = 1; i < 200; i++) {
        char *p = arena_alloc(a, (size_t)i);
        assert_true(((uintptr_t)p % _Alignof(max_align_t)) == 0);
        memset(p, 0xab, (size_t)i);
    }
    assert_true(arena_used(a) >= 199 * 100 / 2);
    arena_destroy(a);
}

static void test_reset_keeps_first_chunk(void **state)
{
    (void)state;
    struct arena *a = arena_new(512, 1 << 20);
    assert_int_equal(arena_chunks(a), 1);
    for (int i = 0; i < 100; i++)
        arena_alloc(a, 100);
    assert_true(arena_chunks(a) > 1);
    arena_reset(a);
    assert_int_equal(arena_chunks(a), 1);
    assert_int_equal(arena_used(a), 0);
    /* a typical request after warm-up allocates nothing from the heap */
    struct mem_stats before, after;
    mem_stats_get(&before);
    for (int i = 0; i < 3; i++)
        arena_alloc(a, 100);
    mem_stats_get(&after);
    assert_int_equal(before.allocs, after.allocs);
    arena_destroy(a);
}

static void test_large_allocation_gets_own_chunk(void **state)
{
    (void)state;
    struct arena *a = arena_new(256, 1 << 20);
    char *big = arena_alloc(a, 10000);
    memset(big, 1, 10000);
    char *small = arena_alloc(a, 8);
    assert_non_null(small);
    arena_destroy(a);
}

static int cleanup_order[4];
static int cleanup_n;
static void record(void *p)
{
    cleanup_order[cleanup_n++] = *(int *)p;
}

static void test_cleanups_run_lifo_on_reset(void **state)
{
    (void)state;
    struct arena *a = arena_new(512, 1 << 20);
    static int one = 1, two = 2, three = 3;
    cleanup_n = 0;
    arena_on_reset(a, record, &one);
    arena_on_reset(a, record, &two);
    arena_on_reset(a, record, &three);
    arena_reset(a);
    assert_int_equal(cleanup_n, 3);
    assert_int_equal(cleanup_order[0], 3);
    assert_int_equal(cleanup_order[2], 1);
    arena_reset(a); /* cleanups ran once only */
    assert_int_equal(cleanup_n, 3);
    arena_destroy(a);
}

static void test_strings(void **state)
{
    (void)state;
    struct arena *a = arena_new(512, 1 << 20);
    char *s = arena_sprintf(a, "%s-%d", "size", 270);
    assert_string_equal(s, "size-270");
    struct str d = arena_str_dup(a, STR("abc"));
    assert_int_equal(d.len, 3);
    assert_int_equal(d.p[3], '\0');
    assert_string_equal(arena_cstr(a, (struct str){"hello world", 5}), "hello");
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_is_aligned_and_usable),
        cmocka_unit_test(test_reset_keeps_first_chunk),
        cmocka_unit_test(test_large_allocation_gets_own_chunk),
        cmocka_unit_test(test_cleanups_run_lifo_on_reset),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

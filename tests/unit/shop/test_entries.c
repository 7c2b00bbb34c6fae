/* Unit tests for app/shop/entries: what does not need a database — the public refs entries
 * get are valid stampede-draw-v1 refs of 22 characters and do not repeat. (Entering, the
 * one-entry rule under double submissions, the draw and the proof run against a real stack in
 * tests/integration/test_draw.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/sec.h"
#include "shop/draw.h"
#include "shop/entries.h"

#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
    return memcmp(((const struct str *)a)->p, ((const struct str *)b)->p, 22);
}

static void test_refs_are_22_characters_of_the_draw_alphabet(void **state)
{
    (void)state;
    assert_int_equal(sec_init(), 0);
    struct arena *a = arena_new(1 << 20, 64 << 20);
    enum { N = 20000 };
    struct str *refs = calloc(N, sizeof *refs);
    for (int i = 0; i < N; i++) {
        refs[i] = sec_token(a, ENTRY_REF_BYTES);
        assert_int_equal(refs[i].len, 22);
        assert_true(draw_ref_valid(refs[i])); /* no ':' or newline: the digest stays unambiguous */
    }
    qsort(refs, N, sizeof *refs, cmp);
    for (int i = 1; i < N; i++)
        assert_int_not_equal(memcmp(refs[i - 1].p, refs[i].p, 22), 0);
    free(refs);
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refs_are_22_characters_of_the_draw_alphabet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for app/shop/session: what is stored of a client's User-Agent (review
 * finding 3: a cut in the middle of a character made the insert fail after the account was
 * created). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/arena.h"
#include "shop/session.h"

#include <string.h>

static void test_clip_cuts_at_a_character_boundary(void **state)
{
    (void)state;
    struct arena *a = arena_new(4096, 1 << 20);
    char ua[260];
    memset(ua, 'x', 199);
    memcpy(ua + 199, "é", 2); /* bytes 199 and 200: the cut at 200 falls inside it */
    ua[201] = '\0';
    struct str c = session_clip(a, str_from_cstr(ua), SESSION_UA_MAX);
    assert_int_equal(c.len, 199);
    assert_true(str_utf8_valid(c));
    /* a 4-byte character across the cut */
    memset(ua, 'y', 198);
    memcpy(ua + 198, "😀", 4);
    ua[202] = '\0';
    c = session_clip(a, str_from_cstr(ua), SESSION_UA_MAX);
    assert_int_equal(c.len, 198);
    /* short enough: untouched, the same bytes */
    c = session_clip(a, STR("Mozilla/5.0 (Ünïcode)"), SESSION_UA_MAX);
    assert_true(str_eq_cstr(c, "Mozilla/5.0 (Ünïcode)"));
    /* not UTF-8 at all: still storable */
    c = session_clip(a, STR("bad \xff\xfe agent \xc3"), SESSION_UA_MAX);
    assert_true(str_utf8_valid(c));
    assert_true(str_eq_cstr(c, "bad ?? agent ?"));
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clip_cuts_at_a_character_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

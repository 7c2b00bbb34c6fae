/* Unit tests for app/shop/password: the password policy (review finding 10). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shop/password.h"

#include <string.h>

#define BITS 28

static const char *problem(const char *pw)
{
    return password_problem(str_from_cstr(pw), STR("jurgen.x@example.com"), STR("Jürgen X"), BITS);
}

static void test_characters_not_bytes(void **state)
{
    (void)state;
    /* ten characters, twenty bytes, one of them repeated: refused for the pattern, not length */
    assert_string_equal(problem("éééééééééé"), "Do not repeat the same few characters.");
    assert_string_equal(problem("ééééé"), "Use at least 10 characters.");
    /* nine 2-byte characters are 18 bytes but still too short */
    assert_string_equal(problem("ŝŝŝŝŝŝŝŝŝ"), "Use at least 10 characters.");
    char long_pw[600];
    memset(long_pw, 'a', 129);
    long_pw[129] = '\0';
    assert_string_equal(problem(long_pw), "Use at most 128 characters.");
    assert_string_equal(password_problem((struct str){"abc\0defghijkl", 13}, STR(""), STR(""), 0),
                        "The password is not valid text.");
    assert_string_equal(password_problem(STR("\xff\xfe valid? no....."), STR(""), STR(""), 0),
                        "The password is not valid text.");
}

static void test_patterns_and_common_passwords(void **state)
{
    (void)state;
    assert_string_equal(problem("abcabcabca"), "Do not repeat the same few characters.");
    assert_string_equal(problem("1111111112"), "Use at least 5 different characters.");
    assert_non_null(problem("changeme123"));
    assert_non_null(problem("password123!"));
    assert_non_null(problem("qwertyuiop"));
    assert_non_null(problem("1q2w3e4r5t"));
    assert_string_equal(problem("jurgen.x@example.com"),
                        "Do not use your e-mail address as the password.");
    /* the shopper's own name and address count as dictionary words */
    assert_true(password_entropy_bits(STR("jurgenx2026"), STR("jurgenx@example.com"), STR("")) <
                password_entropy_bits(STR("jurgenx2026"), STR(""), STR("")));
}

static void test_good_passwords_pass(void **state)
{
    (void)state;
    assert_null(problem("correct horse battery"));
    assert_null(problem("race-day-password-2026"));
    assert_null(problem("kR7pW2nQ4x"));
    assert_null(problem("네이버 비밀번호 정말 길다")); /* any script: characters, not bytes */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_characters_not_bytes),
        cmocka_unit_test(test_patterns_and_common_passwords),
        cmocka_unit_test(test_good_passwords_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for app/shop/address: address_check, the Korean format and its edge cases (no
 * database: address_check does no I/O). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/arena.h"
#include "shop/address.h"

#include <string.h>

static struct arena *A;

static int setup(void **state)
{
    (void)state;
    A = arena_new(64 * 1024, 8 << 20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_destroy(A);
    return 0;
}

static struct address good(void)
{
    return (struct address){STR("홍길동"),       STR("010-1234-5678"),
                            STR("06236"),        STR("서울특별시 강남구 테헤란로 152"),
                            STR("101동 1203호"), STR_NULL};
}

/* check: address_check of in; the normalised address in *out, the messages in *e */
static int check(const struct address *in, struct address *out, struct address_errors *e)
{
    return address_check(A, in, out, e);
}

/* phone_is: the phone normalises to want (NULL: refused) */
static void phone_is(const char *in, const char *want)
{
    struct address a = good(), out;
    struct address_errors e;
    a.phone = str_from_cstr(in);
    int rc = check(&a, &out, &e);
    if (!want) {
        if (rc != SHOP_INVALID_ADDRESS || !e.field[ADDRESS_PHONE])
            fail_msg("phone %s was accepted as %.*s", in, STR_FMT(out.phone));
        return;
    }
    if (rc != SHOP_OK)
        fail_msg("phone %s refused: %s", in, e.field[ADDRESS_PHONE]);
    if (!str_eq_cstr(out.phone, want))
        fail_msg("phone %s became %.*s, not %s", in, STR_FMT(out.phone), want);
}

static void test_phones_normalise_with_dashes(void **state)
{
    (void)state;
    phone_is("010-1234-5678", "010-1234-5678");
    phone_is("01012345678", "010-1234-5678");
    phone_is("010 1234 5678", "010-1234-5678");
    phone_is("010.1234.5678", "010-1234-5678");
    phone_is("+82 10-1234-5678", "010-1234-5678");
    phone_is("+82 010-1234-5678", "010-1234-5678"); /* the 0 written twice */
    phone_is("+82 (0)10 1234 5678", "010-1234-5678");
    phone_is("  010-1234-5678  ", "010-1234-5678");
    phone_is("02-123-4567", "02-123-4567"); /* Seoul, 3 + 4 */
    phone_is("0212345678", "02-1234-5678");
    phone_is("031-123-4567", "031-123-4567");
    phone_is("064-7123-4567", "064-7123-4567");
    phone_is("011-123-4567", "011-123-4567"); /* old mobile prefixes keep 3 + 4 */
    phone_is("070-1234-5678", "070-1234-5678");
}

static void test_wrong_phones_are_refused(void **state)
{
    (void)state;
    phone_is("010-123-4567", NULL); /* 010 is always 4 + 4 */
    phone_is("070-123-4567", NULL);
    phone_is("+1 555 123 4567", NULL);
    phone_is("+8210", NULL);
    phone_is("1234-5678", NULL);
    phone_is("039-123-4567", NULL); /* no such area code */
    phone_is("010-1234-56789", NULL);
    phone_is("010/1234/5678", NULL);
    phone_is("010-1234-567８", NULL); /* a full-width digit */
    phone_is("+", NULL);
    phone_is("0", NULL);
    phone_is("010123456781234567890123456789012", NULL); /* over 32 characters */
}

static void test_postcodes(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *message_has; /* NULL: accepted */
    } cases[] = {
        {"06236", NULL},       {" 06236 ", NULL}, {"135-080", "6-digit"},
        {"135080", "6-digit"}, {"0623", "5 dig"}, {"062360", "6-dig"},
        {"O6236", "5 dig"},    {"", "Enter"},     {"06 236", "5 dig"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct address a = good(), out;
        struct address_errors e;
        a.postcode = str_from_cstr(cases[i].in);
        int rc = check(&a, &out, &e);
        if (!cases[i].message_has) {
            assert_int_equal(rc, SHOP_OK);
            assert_true(str_eq_cstr(out.postcode, "06236"));
        } else {
            assert_int_equal(rc, SHOP_INVALID_ADDRESS);
            if (!e.field[ADDRESS_POSTCODE] ||
                !strstr(e.field[ADDRESS_POSTCODE], cases[i].message_has))
                fail_msg("postcode '%s': %s", cases[i].in,
                         e.field[ADDRESS_POSTCODE] ? e.field[ADDRESS_POSTCODE] : "(no message)");
        }
    }
}

/* lengths count characters, not bytes: 40 Hangul syllables (120 bytes) are a fine name */
static void test_lengths_are_in_characters(void **state)
{
    (void)state;
    char name[41 * 3 + 1] = "";
    for (int i = 0; i < 41; i++)
        memcpy(name + 3 * i, "가", 3);
    name[40 * 3] = '\0';
    struct address a = good(), out;
    struct address_errors e;
    a.recipient = str_from_cstr(name);
    assert_int_equal(check(&a, &out, &e), SHOP_OK);
    name[40 * 3] = name[0]; /* the 41st: the bytes are still there */
    a.recipient = str_from_cstr(name);
    assert_int_equal(check(&a, &out, &e), SHOP_INVALID_ADDRESS);
    assert_non_null(e.field[ADDRESS_RECIPIENT]);
    assert_null(e.field[ADDRESS_PHONE]);
    /* 200 characters of address, 100 of detail */
    static char addr[202], detail[102];
    memset(addr, 'a', 200);
    memset(detail, 'b', 100);
    a = good();
    a.address = str_from_cstr(addr);
    a.detail = str_from_cstr(detail);
    assert_int_equal(check(&a, &out, &e), SHOP_OK);
    addr[200] = 'a';
    detail[100] = 'b';
    a.address = str_from_cstr(addr);
    a.detail = str_from_cstr(detail);
    assert_int_equal(check(&a, &out, &e), SHOP_INVALID_ADDRESS);
    assert_non_null(e.field[ADDRESS_ADDRESS]);
    assert_non_null(e.field[ADDRESS_DETAIL]);
}

static void test_control_characters_and_bad_text(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "A\nB",          "A\tB",     "A\rB", "A\x7f", "A\xc2\x85", /* NEL */
        "A\xe2\x80\xa8",                                           /* U+2028 */
        "A\xe2\x80\xa9",                                           /* U+2029 */
        "\xff\xfe",      "\xc0\xaf",                               /* overlong */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct address a = good(), out;
        struct address_errors e;
        a.detail = str_from_cstr(bad[i]);
        if (check(&a, &out, &e) != SHOP_INVALID_ADDRESS || !e.field[ADDRESS_DETAIL])
            fail_msg("detail %zu was accepted", i);
        for (int f = 0; f < ADDRESS_NFIELDS; f++)
            if (f != ADDRESS_DETAIL && e.field[f])
                fail_msg("case %zu: %s blamed too", i, address_field_name(f));
    }
}

/* every wrong field at once, each with its own message; missing (NULL) fields are empty */
static void test_every_wrong_field_is_named(void **state)
{
    (void)state;
    struct address a = {STR_NULL, STR("12"), STR("1"), STR("   "), STR_NULL, STR_NULL}, out;
    struct address_errors e;
    assert_int_equal(check(&a, &out, &e), SHOP_INVALID_ADDRESS);
    assert_non_null(e.field[ADDRESS_RECIPIENT]);
    assert_non_null(e.field[ADDRESS_PHONE]);
    assert_non_null(e.field[ADDRESS_POSTCODE]);
    assert_non_null(e.field[ADDRESS_ADDRESS]);
    assert_null(e.field[ADDRESS_DETAIL]); /* optional */
    assert_string_equal(address_field_name(ADDRESS_POSTCODE), "postcode");
    assert_string_equal(address_field_name(ADDRESS_NFIELDS), "");
}

static void test_good_address_is_trimmed(void **state)
{
    (void)state;
    struct address a = good(), out;
    struct address_errors e;
    a.recipient = STR("  홍길동 ");
    a.detail = STR("   ");
    assert_int_equal(check(&a, &out, &e), SHOP_OK);
    assert_true(str_eq_cstr(out.recipient, "홍길동"));
    assert_int_equal(out.detail.len, 0);
    for (int f = 0; f < ADDRESS_NFIELDS; f++)
        assert_null(e.field[f]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phones_normalise_with_dashes),
        cmocka_unit_test(test_wrong_phones_are_refused),
        cmocka_unit_test(test_postcodes),
        cmocka_unit_test(test_lengths_are_in_characters),
        cmocka_unit_test(test_control_characters_and_bad_text),
        cmocka_unit_test(test_every_wrong_field_is_named),
        cmocka_unit_test(test_good_address_is_trimmed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

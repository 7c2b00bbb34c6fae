/* Unit tests for app/shop/throttle: the keys of a sign-in attempt (the counting itself is in
 * the database; tests/integration/test_accounts.c drives it). A pair is the account and where
 * the attempt came from, or the account and a trusted device; the account and address counts
 * each ignore the other half; no key of one kind can be another's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shop/throttle.h"

#include "core/sec.h"

#include <stdio.h>
#include <string.h>

static struct arena *A;

static int setup(void **state)
{
    (void)state;
    A = arena_new(4096, 1 << 20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_destroy(A);
    return 0;
}

static struct throttle_keys keys(const char *email, const char *address, const char *device)
{
    struct throttle_keys k;
    throttle_keys_for(A, str_from_cstr(email), str_from_cstr(address), str_from_cstr(device), &k);
    return k;
}

static void assert_hex64(struct str s)
{
    assert_int_equal(s.len, 64);
    for (size_t i = 0; i < s.len; i++)
        assert_true((s.p[i] >= '0' && s.p[i] <= '9') || (s.p[i] >= 'a' && s.p[i] <= 'f'));
}

static void test_keys_are_fixed_width_hex(void **state)
{
    (void)state;
    /* whatever the e-mail (any length, any bytes) the column gets 64 ASCII characters */
    char long_email[600];
    memset(long_email, 'a', sizeof long_email - 1);
    long_email[sizeof long_email - 1] = '\0';
    const char *emails[] = {"a@example.com", "jürgen-x@example.com", long_email, ""};
    for (size_t i = 0; i < sizeof emails / sizeof emails[0]; i++) {
        struct throttle_keys k = keys(emails[i], "192.0.2.10", "");
        assert_hex64(k.pair);
        assert_hex64(k.account);
        assert_hex64(k.address);
        assert_false(k.device);
    }
    /* the pair is the hex SHA-256 of "pair|<e-mail>|<address>" */
    uint8_t h[SEC_SHA256_LEN];
    const char *m = "pair|a@example.com|192.0.2.10";
    sec_sha256(h, m, strlen(m));
    assert_true(str_eq(keys("a@example.com", "192.0.2.10", "").pair, sec_hex(A, h, sizeof h)));
}

static void test_keys_are_deterministic(void **state)
{
    (void)state;
    struct throttle_keys a = keys("a@example.com", "192.0.2.10", "");
    struct throttle_keys b = keys("a@example.com", "192.0.2.10", "");
    assert_true(str_eq(a.pair, b.pair));
    assert_true(str_eq(a.account, b.account));
    assert_true(str_eq(a.address, b.address));
}

static void test_a_pair_is_the_account_and_the_address(void **state)
{
    (void)state;
    struct throttle_keys k = keys("a@example.com", "192.0.2.10", "");
    struct throttle_keys other_address = keys("a@example.com", "198.51.100.7", "");
    struct throttle_keys other_account = keys("b@example.com", "192.0.2.10", "");
    /* an attacker elsewhere has a pair of their own: the shopper's is not slowed */
    assert_false(str_eq(k.pair, other_address.pair));
    assert_false(str_eq(k.pair, other_account.pair));
    /* the account's count is the same from anywhere, the address's on any account */
    assert_true(str_eq(k.account, other_address.account));
    assert_false(str_eq(k.account, other_account.account));
    assert_true(str_eq(k.address, other_account.address));
    assert_false(str_eq(k.address, other_address.address));
}

static void test_a_trusted_device_replaces_the_address(void **state)
{
    (void)state;
    const char *dev = "00112233445566778899aabbccddeeff";
    struct throttle_keys home = keys("a@example.com", "192.0.2.10", dev);
    struct throttle_keys away = keys("a@example.com", "198.51.100.7", dev);
    struct throttle_keys plain = keys("a@example.com", "192.0.2.10", "");
    assert_true(home.device);
    assert_true(away.device);
    /* the device's pair follows the browser, whatever its address */
    assert_true(str_eq(home.pair, away.pair));
    /* and is not the address pair, so failures without the device never make it wait */
    assert_false(str_eq(home.pair, plain.pair));
    /* another account on the same device is another pair */
    assert_false(str_eq(home.pair, keys("b@example.com", "192.0.2.10", dev).pair));
    /* the account and address counts do not depend on the device */
    assert_true(str_eq(home.account, plain.account));
    assert_true(str_eq(home.address, plain.address));
}

static void test_kinds_never_share_a_key(void **state)
{
    (void)state;
    /* the same strings under another kind: an address that looks like an e-mail, a device id
     * that looks like an address */
    struct throttle_keys k = keys("192.0.2.10", "192.0.2.10", "");
    assert_false(str_eq(k.account, k.address));
    assert_false(str_eq(k.pair, k.account));
    assert_false(str_eq(k.pair, k.address));
    struct throttle_keys d = keys("a@example.com", "192.0.2.10", "192.0.2.10");
    assert_false(str_eq(d.pair, keys("a@example.com", "192.0.2.10", "").pair));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_are_fixed_width_hex),
        cmocka_unit_test(test_keys_are_deterministic),
        cmocka_unit_test(test_a_pair_is_the_account_and_the_address),
        cmocka_unit_test(test_a_trusted_device_replaces_the_address),
        cmocka_unit_test(test_kinds_never_share_a_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

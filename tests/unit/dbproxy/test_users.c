/* Unit tests for app/dbproxy/users: host patterns, entry choice, plugins, hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dbproxy/users.h"

#include <string.h>

static void test_host_match(void **state)
{
    (void)state;
    assert_true(users_host_match("127.0.0.1", "127.0.0.1"));
    assert_false(users_host_match("127.0.0.1", "127.0.0.10"));
    assert_true(users_host_match("%", "10.1.2.3"));
    assert_true(users_host_match("", "10.1.2.3"));
    assert_true(users_host_match("10.1.%", "10.1.2.3"));
    assert_false(users_host_match("10.1.%", "10.2.2.3"));
    assert_true(users_host_match("10.1.2._", "10.1.2.3"));
    assert_false(users_host_match("10.1.2._", "10.1.2.33"));
    assert_true(users_host_match("10.1.0.0/255.255.0.0", "10.1.200.3"));
    assert_false(users_host_match("10.1.0.0/255.255.0.0", "10.2.0.3"));
    assert_false(users_host_match("localhost", "127.0.0.1")); /* names never match addresses */
}

static void test_find(void **state)
{
    (void)state;
    struct users_table *t = users_table_new();
    const char *h2 = "*6B309E423E8640E8C7B10F6ACB9FE5D6C5C8A151";
    users_table_add(t, STR("shop"), STR("%"), STR("mysql_native_password"),
                    STR("*0000000000000000000000000000000000000000"));
    users_table_add(t, STR("shop"), STR("127.0.0.1"), STR("mysql_native_password"),
                    str_from_cstr(h2));
    users_table_add(t, STR("nopw"), STR("%"), STR(""), STR(""));
    users_table_add(t, STR("root"), STR("localhost"), STR("unix_socket"), STR(""));
    users_table_add(t, STR("ed"), STR("%"), STR("ed25519"), STR("abc"));
    users_table_add(t, STR("broken"), STR("%"), STR("mysql_native_password"), STR("*XYZ"));
    users_table_add(t, STR(""), STR("%"), STR(""), STR("")); /* anonymous: ignored */
    users_replace(t);
    assert_true(users_generation() >= 1);
    struct users_entry e;
    assert_int_equal(users_find(STR("shop"), "127.0.0.1", &e), USERS_OK);
    assert_string_equal(e.host, "127.0.0.1"); /* the exact host wins over '%' */
    assert_true(e.has_password);
    assert_int_equal(e.h2[0], 0x6B);
    assert_int_equal(users_find(STR("shop"), "10.0.0.1", &e), USERS_OK);
    assert_string_equal(e.host, "%");
    assert_int_equal(users_find(STR("nopw"), "1.2.3.4", &e), USERS_OK);
    assert_false(e.has_password);
    assert_int_equal(users_find(STR("root"), "127.0.0.1", &e), USERS_UNKNOWN);
    assert_int_equal(users_find(STR("ed"), "127.0.0.1", &e), USERS_PLUGIN);
    assert_string_equal(e.plugin, "ed25519");
    assert_int_equal(users_find(STR("broken"), "127.0.0.1", &e), USERS_PLUGIN);
    assert_int_equal(users_find(STR(""), "127.0.0.1", &e), USERS_UNKNOWN);
    assert_int_equal(users_find(STR("Shop"), "127.0.0.1", &e), USERS_UNKNOWN); /* case matters */
    users_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_host_match),
                                       cmocka_unit_test(test_find)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

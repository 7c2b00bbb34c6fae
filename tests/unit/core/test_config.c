/* Unit tests for app/core/config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/buf.h"
#include "core/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cfg {
    char *host;
    int64_t port;
    bool cache;
    int64_t timeout_ms;
    int64_t body_max;
    char *password;
};

static const struct cfg_directive table[] = {
    {"db.host", CFG_STR, offsetof(struct cfg, host), "127.0.0.1", 1, 255, "database host"},
    {"db.port", CFG_INT, offsetof(struct cfg, port), "3306", 1, 65535, "database port"},
    {"cache.enabled", CFG_BOOL, offsetof(struct cfg, cache), "on", 0, 0, "use memcached"},
    {"db.timeout", CFG_MS, offsetof(struct cfg, timeout_ms), "2s", 1, 60000, "timeout"},
    {"http.body_max", CFG_BYTES, offsetof(struct cfg, body_max), "64k", 1, 1 << 30, "body"},
    {"db.password", CFG_STR, offsetof(struct cfg, password), NULL, 1, 255, "password"},
};
#define N (sizeof table / sizeof table[0])

static char path[64];

static void write_file(const char *text)
{
    snprintf(path, sizeof path, "%s", "/tmp/stampede-cfg-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static int load(const char *text, char *const *envp, struct cfg *c, struct buf *err)
{
    memset(c, 0, sizeof *c);
    buf_init(err, 1024);
    write_file(text);
    int rc = config_load(table, N, c, path, envp, err);
    unlink(path);
    return rc;
}

static void test_defaults_file_and_units(void **state)
{
    (void)state;
    struct cfg c;
    struct buf err;
    char *env[] = {NULL};
    int rc = load("# comment\n\ndb.port = 3307\ndb.password = \"s3cret\"\ndb.timeout = 250ms\n"
                  "http.body_max = 1m\ncache.enabled = off\n",
                  env, &c, &err);
    assert_int_equal(rc, 0);
    assert_string_equal(c.host, "127.0.0.1");
    assert_int_equal(c.port, 3307);
    assert_string_equal(c.password, "s3cret");
    assert_int_equal(c.timeout_ms, 250);
    assert_int_equal(c.body_max, 1 << 20);
    assert_false(c.cache);
    config_free(table, N, &c);
    buf_free(&err);
}

static void test_unknown_key_names_file_and_line(void **state)
{
    (void)state;
    struct cfg c;
    struct buf err;
    assert_int_equal(load("db.password = x\n\ndb.hots = a\n", NULL, &c, &err), ERR_CONFIG);
    assert_non_null(strstr(buf_cstr(&err), ":3: unknown key 'db.hots'"));
    config_free(table, N, &c);
    buf_free(&err);
}

static void test_out_of_range_and_bad_type(void **state)
{
    (void)state;
    struct cfg c;
    struct buf err;
    assert_int_equal(load("db.password = x\ndb.port = 70000\n", NULL, &c, &err), ERR_CONFIG);
    assert_non_null(strstr(buf_cstr(&err), ":2: db.port: 70000 is out of range 1..65535"));
    config_free(table, N, &c);
    buf_free(&err);
    assert_int_equal(load("db.password = x\ndb.timeout = soon\n", NULL, &c, &err), ERR_CONFIG);
    assert_non_null(strstr(buf_cstr(&err), "db.timeout: expected a duration"));
    config_free(table, N, &c);
    buf_free(&err);
    assert_int_equal(load("db.password = x\ncache.enabled = maybe\n", NULL, &c, &err), ERR_CONFIG);
    config_free(table, N, &c);
    buf_free(&err);
    assert_int_equal(load("db.password = x\ndb.port = 1\ndb.port = 2\n", NULL, &c, &err),
                     ERR_CONFIG);
    assert_non_null(strstr(buf_cstr(&err), "duplicate key"));
    config_free(table, N, &c);
    buf_free(&err);
}

static void test_required_key(void **state)
{
    (void)state;
    struct cfg c;
    struct buf err;
    assert_int_equal(load("db.port = 1\n", NULL, &c, &err), ERR_CONFIG);
    assert_non_null(strstr(buf_cstr(&err), "required key 'db.password'"));
    config_free(table, N, &c);
    buf_free(&err);
}

static void test_environment_overrides_and_unknown(void **state)
{
    (void)state;
    struct cfg c;
    struct buf err;
    char *env[] = {"PATH=/bin", "STAMPEDE_CFG_DB_PORT=4000", "STAMPEDE_CFG_DB_PASSWORD=pw", NULL};
    assert_int_equal(load("db.port = 3307\n", env, &c, &err), 0);
    assert_int_equal(c.port, 4000);
    assert_string_equal(c.password, "pw");
    config_free(table, N, &c);
    buf_free(&err);
    char *bad[] = {"STAMPEDE_CFG_DB_PROT=1", NULL};
    assert_int_equal(load("db.password = x\n", bad, &c, &err), ERR_CONFIG);
    assert_non_null(strstr(buf_cstr(&err), "STAMPEDE_CFG_DB_PROT: unknown key"));
    config_free(table, N, &c);
    buf_free(&err);
    char *range[] = {"STAMPEDE_CFG_DB_PORT=0", NULL};
    assert_int_equal(load("db.password = x\n", range, &c, &err), ERR_CONFIG);
    config_free(table, N, &c);
    buf_free(&err);
}

static void test_print_hides_secrets(void **state)
{
    (void)state;
    struct cfg c;
    struct buf err, out;
    assert_int_equal(load("db.password = hunter2hunter2\n", NULL, &c, &err), 0);
    buf_init(&out, 4096);
    config_print(table, N, &c, &out);
    assert_null(strstr(buf_cstr(&out), "hunter2"));
    assert_non_null(strstr(buf_cstr(&out), "db.password = (set)"));
    config_free(table, N, &c);
    buf_free(&err);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_file_and_units),
        cmocka_unit_test(test_unknown_key_names_file_and_line),
        cmocka_unit_test(test_out_of_range_and_bad_type),
        cmocka_unit_test(test_required_key),
        cmocka_unit_test(test_environment_overrides_and_unknown),
        cmocka_unit_test(test_print_hides_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

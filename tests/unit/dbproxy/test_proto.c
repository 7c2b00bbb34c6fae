/* Unit tests for app/dbproxy/proto: framing, handshake, native password, OK/ERR, responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "dbproxy/proto.h"

#include <stdlib.h>
#include <string.h>

static void test_lenenc_round_trip(void **state)
{
    (void)state;
    static const uint64_t v[] = {0, 1, 250, 251, 0xFFFF, 0x10000, 0xFFFFFF, 0x1000000, UINT64_MAX};
    static const size_t len[] = {1, 1, 1, 3, 3, 4, 4, 9, 9};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct buf b;
        buf_init(&b, 64);
        proto_wr_lenenc(&b, v[i]);
        assert_int_equal(b.len, len[i]);
        struct proto_rd r = proto_rd(b.p, b.len);
        assert_true(proto_rd_lenenc(&r) == v[i]);
        assert_false(r.bad);
        assert_int_equal(proto_rd_left(&r), 0);
        buf_free(&b);
    }
    /* 0xFB (NULL) and 0xFF are not integers; a short read is bad, never out of bounds */
    struct proto_rd r = proto_rd("\xfb", 1);
    proto_rd_lenenc(&r);
    assert_true(r.bad);
    r = proto_rd("\xfd\x01", 2);
    proto_rd_lenenc(&r);
    assert_true(r.bad);
    r = proto_rd("\x05"
                 "abc",
                 4);
    proto_rd_lenenc_str(&r);
    assert_true(r.bad);
}

static void test_packet_split(void **state)
{
    (void)state;
    size_t n = PROTO_MAX_CHUNK + 5;
    uint8_t *payload = mem_alloc(n);
    memset(payload, 'x', n);
    struct buf b;
    buf_init(&b, 64u << 20);
    uint8_t seq = 7;
    proto_wr_packet(&b, payload, n, &seq);
    assert_int_equal(seq, 9); /* two chunks */
    assert_int_equal(b.len, n + 2 * PROTO_HDR);
    assert_int_equal(proto_hdr_len((uint8_t *)b.p), PROTO_MAX_CHUNK);
    assert_int_equal(proto_hdr_seq((uint8_t *)b.p), 7);
    assert_int_equal(proto_hdr_len((uint8_t *)b.p + PROTO_HDR + PROTO_MAX_CHUNK), 5);
    /* exactly one full chunk is followed by an empty one */
    buf_reset(&b);
    seq = 0;
    proto_wr_packet(&b, payload, PROTO_MAX_CHUNK, &seq);
    assert_int_equal(seq, 2);
    assert_int_equal(b.len, PROTO_MAX_CHUNK + 2 * PROTO_HDR);
    assert_int_equal(proto_hdr_len((uint8_t *)b.p + PROTO_HDR + PROTO_MAX_CHUNK), 0);
    buf_free(&b);
    mem_free(payload);
}

static void hex(const char *h, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x[3] = {h[2 * i], h[2 * i + 1], 0};
        out[i] = (uint8_t)strtoul(x, NULL, 16);
    }
}

static void test_native_password(void **state)
{
    (void)state;
    /* MariaDB's own hash of "proxypass1": PASSWORD('proxypass1') */
    uint8_t sha1pw[PROTO_SHA1_LEN], h2[PROTO_SHA1_LEN], want[PROTO_SHA1_LEN];
    proto_sha1(sha1pw, "proxypass1", 10);
    proto_sha1(h2, sha1pw, sizeof sha1pw);
    hex("6B309E423E8640E8C7B10F6ACB9FE5D6C5C8A151", want, sizeof want);
    assert_memory_equal(h2, want, sizeof want);

    const uint8_t nonce[PROTO_NONCE_LEN] = "abcdefghij0123456789";
    uint8_t tok[PROTO_SHA1_LEN], back[PROTO_SHA1_LEN];
    proto_native_token(tok, sha1pw, nonce, sizeof nonce);
    assert_true(proto_native_verify(h2, nonce, sizeof nonce, (struct str){(char *)tok, 20}, back));
    assert_memory_equal(back, sha1pw, sizeof back); /* what logs in to the backends */
    /* another nonce, a flipped bit, a short token: refused */
    const uint8_t other[PROTO_NONCE_LEN] = "ABCDEFGHIJ0123456789";
    assert_false(proto_native_verify(h2, other, sizeof other, (struct str){(char *)tok, 20}, back));
    tok[3] ^= 1;
    assert_false(proto_native_verify(h2, nonce, sizeof nonce, (struct str){(char *)tok, 20}, back));
    assert_false(proto_native_verify(h2, nonce, sizeof nonce, (struct str){(char *)tok, 19}, back));
}

static void test_greeting_and_login(void **state)
{
    (void)state;
    const uint8_t nonce[PROTO_NONCE_LEN] = "NONCEnonce0123456789";
    struct buf b;
    buf_init(&b, 4096);
    proto_build_greeting(&b, STR("5.5.5-10.11.19-MariaDB"), 42, nonce, 45);
    struct proto_greeting g;
    assert_int_equal(proto_parse_greeting((uint8_t *)b.p + 4, b.len - 4, &g), 0);
    assert_true(str_eq_cstr(g.version, "5.5.5-10.11.19-MariaDB"));
    assert_int_equal(g.conn_id, 42);
    assert_int_equal(g.nonce_len, PROTO_NONCE_LEN);
    assert_memory_equal(g.nonce, nonce, PROTO_NONCE_LEN);
    assert_int_equal(g.caps, PROTO_CAPS);
    assert_true(str_eq_cstr(g.plugin, "mysql_native_password"));

    buf_reset(&b);
    static const char attrs[] = "\x0b\x04_pid\x05"
                                "12345";
    struct proto_login in = {.caps = PROTO_CAPS | CAP_CONNECT_WITH_DB,
                             .max_packet = 1 << 24,
                             .charset = 45,
                             .user = STR("shop"),
                             .auth = STR("01234567890123456789"),
                             .db = STR("stampede"),
                             .plugin = STR("mysql_native_password"),
                             .attrs = {attrs, sizeof attrs - 1}};
    proto_build_login(&b, &in, 1);
    assert_int_equal(proto_hdr_seq((uint8_t *)b.p), 1);
    struct proto_login out;
    assert_int_equal(proto_parse_login((uint8_t *)b.p + 4, b.len - 4, &out), 0);
    assert_int_equal(out.caps, in.caps);
    assert_true(str_eq_cstr(out.user, "shop"));
    assert_true(str_eq(out.auth, in.auth));
    assert_true(str_eq_cstr(out.db, "stampede"));
    assert_true(str_eq_cstr(out.plugin, "mysql_native_password"));
    assert_true(str_eq(out.attrs, in.attrs));
    /* truncated anywhere: refused, never read past the end */
    for (size_t cut = 0; cut + 4 < b.len - 1; cut++) {
        struct proto_login x;
        int rc = proto_parse_login((uint8_t *)b.p + 4, cut, &x);
        if (rc == 0) /* only a prefix ending in a complete optional part can parse */
            assert_true(cut >= 32);
    }
    /* the SSL request (32 bytes) is recognised */
    uint8_t ssl[32] = {0};
    ssl[1] = (uint8_t)((CAP_PROTOCOL_41 | CAP_SSL) >> 8);
    assert_int_equal(proto_parse_login(ssl, 32, &out), 0);
    assert_true(out.ssl_request);
    buf_free(&b);
}

static void test_ok_err(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 4096);
    proto_build_ok(&b, 3, CAP_SESSION_TRACK, 2, 77, ST_AUTOCOMMIT | ST_IN_TRANS, 1);
    struct proto_ok ok;
    assert_int_equal(proto_parse_ok((uint8_t *)b.p + 4, b.len - 4, CAP_SESSION_TRACK, &ok), 0);
    assert_int_equal(ok.affected, 2);
    assert_int_equal(ok.insert_id, 77);
    assert_int_equal(ok.status, ST_AUTOCOMMIT | ST_IN_TRANS);
    assert_int_equal(ok.warnings, 1);

    /* an OK with session state: last_gtid as MariaDB reports it */
    buf_reset(&b);
    static const char var[] = "\x09last_gtid\x07"
                              "0-1-250";
    struct buf st;
    buf_init(&st, 256);
    proto_wr_u8(&st, 0);
    proto_wr_lenenc_str(&st, (struct str){var, sizeof var - 1});
    struct buf p;
    buf_init(&p, 512);
    proto_wr_u8(&p, 0);
    proto_wr_u8(&p, 1);
    proto_wr_u8(&p, 0);
    proto_wr_u16(&p, ST_AUTOCOMMIT | ST_SESSION_STATE_CHANGED);
    proto_wr_u16(&p, 0);
    proto_wr_lenenc_str(&p, STR(""));
    proto_wr_lenenc_str(&p, buf_str(&st));
    assert_int_equal(proto_parse_ok((uint8_t *)p.p, p.len, CAP_SESSION_TRACK, &ok), 0);
    struct str v;
    assert_true(proto_track_var(ok.session_state, "last_gtid", &v));
    assert_true(str_eq_cstr(v, "0-1-250"));
    assert_false(proto_track_var(ok.session_state, "autocommit", &v));

    buf_reset(&b);
    proto_build_err(&b, 1, PROTO_ER_READ_ONLY, "HY000", "no primary: %d", 7);
    struct proto_err e;
    assert_int_equal(proto_parse_err((uint8_t *)b.p + 4, b.len - 4, &e), 0);
    assert_int_equal(e.code, PROTO_ER_READ_ONLY);
    assert_memory_equal(e.state, "HY000", 5);
    assert_true(str_eq_cstr(e.msg, "no primary: 7"));
    buf_free(&b);
    buf_free(&st);
    buf_free(&p);
}

/* feed: payloads given as (len, bytes) pairs; returns the tracker's result for the last */
static int feed(struct proto_resp *r, const char *p, size_t n)
{
    return proto_resp_feed(r, (const uint8_t *)p, n);
}

#define F(r, lit) feed(r, lit, sizeof lit - 1)

static void test_resp_result_set(void **state)
{
    (void)state;
    struct proto_resp r;
    proto_resp_init(&r, RK_RESULT, CAP_SESSION_TRACK, false);
    assert_int_equal(F(&r, "\x02"), 0); /* two columns */
    assert_int_equal(F(&r, "\x03"
                           "defcoldef1"),
                     0);
    assert_int_equal(F(&r, "\x03"
                           "defcoldef2"),
                     0);
    assert_int_equal(F(&r, "\xfe\x00\x00\x02\x00"), 0); /* EOF after definitions */
    assert_int_equal(F(&r, "\x01"
                           "0\xfb"),
                     0); /* row: "0", NULL */
    /* a row whose first value is 2^24 bytes long begins with 0xFE but is long: not an EOF */
    char big[20] = {(char)0xfe, 0, 0, 0, 1, 0, 0, 0, 0, 'x'};
    assert_int_equal(feed(&r, big, sizeof big), 0);
    assert_int_equal(F(&r, "\xfe\x00\x00\x22\x00"), 1); /* EOF: autocommit, in trans */
    assert_int_equal(r.rows, 2);
    assert_true(r.value_set);
    assert_string_equal(r.value, "0");
    assert_int_equal(r.status, 0x22);
    assert_true(r.has_status);
    assert_int_equal(F(&r, "\x00"), ERR_INVAL); /* nothing after the end */
}

static void test_resp_multi_and_errors(void **state)
{
    (void)state;
    struct proto_resp r;
    proto_resp_init(&r, RK_RESULT, 0, false);
    assert_int_equal(F(&r, "\x01"), 0);
    assert_int_equal(F(&r, "\x03"
                           "def"),
                     0);
    assert_int_equal(F(&r, "\xfe\x00\x00\x0a\x00"), 0);
    assert_int_equal(F(&r, "\x01"
                           "a"),
                     0);
    assert_int_equal(F(&r, "\xfe\x00\x00\x0a\x00"), 0); /* MORE_RESULTS: another follows */
    assert_int_equal(F(&r, "\x00\x01\x00\x02\x00\x00\x00"), 1);

    proto_resp_init(&r, RK_RESULT, 0, false);
    assert_int_equal(F(&r, "\xff\x7a\x04#42S02Table 'x' doesn't exist"), 1);
    assert_true(r.is_err);
    assert_int_equal(r.err_code, 1146);
    assert_string_equal(r.err_msg, "Table 'x' doesn't exist");

    /* an error in the middle of the rows ends the response */
    proto_resp_init(&r, RK_RESULT, 0, false);
    F(&r, "\x01");
    F(&r, "\x03"
          "def");
    F(&r, "\xfe\x00\x00\x02\x00");
    assert_int_equal(F(&r, "\xff\x28\x05#HY000Query execution was interrupted"), 1);
    assert_true(r.is_err);

    /* LOCAL INFILE is never offered: its request is a protocol error */
    proto_resp_init(&r, RK_RESULT, 0, false);
    assert_int_equal(F(&r, "\xfb"
                           "file.csv"),
                     ERR_INVAL);
}

static void test_resp_prepare_cursor_fetch(void **state)
{
    (void)state;
    struct proto_resp r;
    proto_resp_init(&r, RK_PREPARE, 0, false);
    /* OK: id 9, 1 column, 2 params */
    assert_int_equal(F(&r, "\x00\x09\x00\x00\x00\x01\x00\x02\x00\x00\x00\x00"), 0);
    assert_int_equal(r.stmt_id, 9);
    assert_int_equal(r.nparams, 2);
    assert_int_equal(r.pcols, 1);
    assert_int_equal(F(&r, "\x03"
                           "defp1"),
                     0);
    assert_int_equal(F(&r, "\x03"
                           "defp2"),
                     0);
    assert_int_equal(F(&r, "\xfe\x00\x00\x02\x00"), 0);
    assert_int_equal(F(&r, "\x03"
                           "defc1"),
                     0);
    assert_int_equal(F(&r, "\xfe\x00\x00\x02\x00"), 1);

    proto_resp_init(&r, RK_PREPARE, 0, false);
    assert_int_equal(F(&r, "\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), 1); /* nothing */

    /* execute with a cursor: definitions, then EOF with CURSOR_EXISTS ends it */
    proto_resp_init(&r, RK_RESULT, 0, true);
    F(&r, "\x01");
    F(&r, "\x03"
          "def");
    assert_int_equal(F(&r, "\xfe\x00\x00\x42\x00"), 1);
    proto_resp_init(&r, RK_FETCH, 0, true);
    assert_int_equal(F(&r, "\x00\x00\x01\x00\x00\x00"), 0); /* binary row */
    assert_int_equal(F(&r, "\xfe\x00\x00\x82\x00"), 1);     /* LAST_ROW_SENT */
    assert_false(r.value_set);                              /* binary: no text value */

    proto_resp_init(&r, RK_FIELDS, 0, false);
    assert_int_equal(F(&r, "\x03"
                           "def"),
                     0);
    assert_int_equal(F(&r, "\xfe\x00\x00\x02\x00"), 1);

    proto_resp_init(&r, RK_ONE, 0, false);
    assert_int_equal(F(&r, "Uptime: 10  Threads: 1"), 1); /* COM_STATISTICS: a string */
    assert_false(r.has_status);
}

static void test_resp_long_row(void **state)
{
    (void)state;
    uint8_t *chunk = mem_calloc(1, PROTO_MAX_CHUNK);
    chunk[0] = 0xFE; /* an 8-byte length: the value is longer than the chunk */
    struct proto_resp r;
    proto_resp_init(&r, RK_RESULT, 0, false);
    F(&r, "\x01");
    F(&r, "\x03"
          "def");
    F(&r, "\xfe\x00\x00\x02\x00");
    assert_int_equal(proto_resp_feed(&r, chunk, PROTO_MAX_CHUNK), 0);
    /* the continuation starts with 0xFE and is short: still part of the row, not an EOF */
    assert_int_equal(F(&r, "\xfe\x00\x00"), 0);
    assert_int_equal(F(&r, "\xfe\x00\x00\x02\x00"), 1);
    assert_int_equal(r.rows, 1);
    mem_free(chunk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lenenc_round_trip),
        cmocka_unit_test(test_packet_split),
        cmocka_unit_test(test_native_password),
        cmocka_unit_test(test_greeting_and_login),
        cmocka_unit_test(test_ok_err),
        cmocka_unit_test(test_resp_result_set),
        cmocka_unit_test(test_resp_multi_and_errors),
        cmocka_unit_test(test_resp_prepare_cursor_fetch),
        cmocka_unit_test(test_resp_long_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit: admission tokens (JWT via libjwt) and queue tickets (shop/admission.h). */
#include "shop/admission.h"

#include "core/arena.h"
#include "core/sec.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

static struct arena *A;
static uint8_t key[ADMISSION_KEY_LEN], other[ADMISSION_KEY_LEN];

static int setup(void **state)
{
    (void)state;
    assert_int_equal(sec_init(), 0);
    A = arena_new(64 * 1024, 16 << 20);
    admission_key(STR("the shop's secret"), key);
    admission_key(STR("another shop's secret"), other);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_destroy(A);
    return 0;
}

static struct admission pass(int64_t now)
{
    return (struct admission){42, 7, 13, now, now + 600, STR("AbCdEfGhIjKlMnOpQrStUv")};
}

static void test_admission_round_trip_and_refusals(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    struct admission a = pass(now), out;
    struct str tok;
    assert_int_equal(admission_sign(key, &a, A, &tok), 0);
    assert_true(admission_verify(key, tok, 42, 7, now, A, &out));
    assert_int_equal(out.place, 13);
    assert_true(str_eq_cstr(out.ref, "AbCdEfGhIjKlMnOpQrStUv"));
    /* another shopper, another drop, expired, another key */
    assert_false(admission_verify(key, tok, 43, 7, now, A, NULL));
    assert_false(admission_verify(key, tok, 42, 8, now, A, NULL));
    assert_false(admission_verify(key, tok, 42, 7, now + 601, A, NULL));
    assert_false(admission_verify(other, tok, 42, 7, now, A, NULL));
    /* altered: one character of the payload, one of the signature */
    char *m = arena_alloc(A, tok.len + 1);
    memcpy(m, tok.p, tok.len);
    m[tok.len] = '\0';
    char *dot = strchr(m, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    assert_false(admission_verify(key, str_from_cstr(m), 42, 7, now, A, NULL));
    memcpy(m, tok.p, tok.len);
    m[tok.len - 2] = m[tok.len - 2] == 'A' ? 'B' : 'A';
    assert_false(admission_verify(key, str_from_cstr(m), 42, 7, now, A, NULL));
    /* alg "none" with the same claims, and garbage */
    const char *payload = strchr(tok.p, '.') + 1;
    const char *sig = strchr(payload, '.');
    char none[2048];
    snprintf(none, sizeof none, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%.*s.", (int)(sig - payload),
             payload);
    assert_false(admission_verify(key, str_from_cstr(none), 42, 7, now, A, NULL));
    assert_false(admission_verify(key, STR("not.a.token"), 42, 7, now, A, NULL));
    assert_false(admission_verify(key, STR(""), 42, 7, now, A, NULL));
}

static void test_ticket_round_trip_and_refusals(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    struct admission a = pass(now), out;
    uint8_t tk[ADMISSION_KEY_LEN];
    admission_ticket_key(STR("the shop's secret"), tk);
    struct str t = ticket_sign(tk, &a, A);
    assert_true(ticket_read(tk, t, 7, now, &out));
    assert_int_equal(out.account_id, 42);
    assert_int_equal(out.place, 13);
    assert_int_equal(out.ref.len, 22);
    assert_false(ticket_read(tk, t, 8, now, NULL));       /* another drop */
    assert_false(ticket_read(tk, t, 7, now + 601, NULL)); /* expired */
    assert_false(ticket_read(key, t, 7, now, NULL));      /* the admission key: not a ticket */
    /* a better place written in: the MAC no longer matches */
    char *m = arena_alloc(A, t.len + 2);
    snprintf(m, t.len + 2, "%.*s", (int)t.len, t.p);
    char *p = strstr(m, ".13.");
    assert_non_null(p);
    p[1] = '1', p[2] = '2';
    assert_false(ticket_read(tk, str_from_cstr(m), 7, now, NULL));
    /* a ticket is not an admission, and an admission not a ticket */
    struct str adm;
    assert_int_equal(admission_sign(key, &a, A, &adm), 0);
    assert_false(ticket_read(tk, adm, 7, now, NULL));
    assert_false(admission_verify(key, t, 42, 7, now, A, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admission_round_trip_and_refusals),
        cmocka_unit_test(test_ticket_round_trip_and_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Unit tests for app/dbproxy/stmt: a session's prepared statements and the execute rewrite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dbproxy/stmt.h"

#include "core/mem.h"

#include <string.h>

static uint32_t le32(const char *p)
{
    const uint8_t *u = (const uint8_t *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void test_ids_find_delete_clear(void **state)
{
    (void)state;
    struct ps_table t;
    memset(&t, 0, sizeof t);
    struct qc_info qc;
    memset(&qc, 0, sizeof qc);
    struct ps *a = ps_new(&t, "SELECT 1", 8, &qc), *b = ps_new(&t, "SELECT 2", 8, &qc);
    assert_int_equal(a->id, 1);
    assert_int_equal(b->id, 2);
    assert_int_equal(t.count, 2);
    assert_ptr_equal(ps_find(&t, 2), b);
    assert_memory_equal(ps_find(&t, 1)->sql, "SELECT 1", 8);
    assert_int_equal(a->cursor_srv, -1);
    assert_int_equal(a->last_srv, -1);
    /* statements that share a bucket stay apart */
    struct ps *c = NULL;
    for (int i = 0; i < PS_BUCKETS - 1; i++)
        c = ps_new(&t, "SELECT 3", 8, &qc);
    assert_int_equal(c->id % PS_BUCKETS, a->id % PS_BUCKETS);
    uint32_t gone = a->id;
    ps_delete(&t, gone);
    assert_null(ps_find(&t, gone));
    assert_ptr_equal(ps_find(&t, c->id), c);
    ps_delete(&t, 999999); /* absent: nothing happens */
    assert_int_equal(t.count, PS_BUCKETS);
    uint32_t last = c->id;
    ps_clear(&t);
    assert_int_equal(t.count, 0);
    assert_null(ps_find(&t, last));
}

static void test_ids_skip_zero_and_the_last_marker(void **state)
{
    (void)state;
    struct ps_table t;
    memset(&t, 0, sizeof t);
    struct qc_info qc;
    memset(&qc, 0, sizeof qc);
    t.next = 0xFFFFFFFEu; /* the next id would be 0xFFFFFFFF, which means "the last one" */
    struct ps *p = ps_new(&t, "SELECT 1", 8, &qc);
    assert_int_equal(p->id, 1);
    assert_int_equal(ps_new(&t, "SELECT 1", 8, &qc)->id, 2);
    ps_clear(&t);
}

/* COM_STMT_EXECUTE of a statement with 2 parameters: id, flags, iterations, a 1-byte null
 * bitmap, the new-params-bound flag, then (if bound) the types, then the values */
static size_t execute(uint8_t *out, uint32_t id, bool bound)
{
    size_t n = 0;
    out[n++] = 0x17;
    for (int i = 0; i < 4; i++)
        out[n++] = (uint8_t)(id >> (8 * i));
    out[n++] = 0;                                           /* flags */
    out[n++] = 1, out[n++] = 0, out[n++] = 0, out[n++] = 0; /* iterations */
    out[n++] = 0;                                           /* null bitmap */
    out[n++] = bound ? 1 : 0;
    if (bound)
        out[n++] = 8, out[n++] = 0, out[n++] = 8, out[n++] = 0; /* two LONGLONGs */
    for (int v = 0; v < 16; v++)
        out[n++] = (uint8_t)v;
    return n;
}

static void test_execute_is_rewritten_for_each_server(void **state)
{
    (void)state;
    struct ps_table t;
    memset(&t, 0, sizeof t);
    struct qc_info qc;
    memset(&qc, 0, sizeof qc);
    struct ps *p = ps_new(&t, "SELECT ?, ?", 11, &qc);
    p->nparams = 2;
    p->on[0] = (struct ps_on){1, 41, false};
    p->on[1] = (struct ps_on){1, 77, false};
    p->types = mem_alloc(4);
    memcpy(p->types, "\x08\x00\x08\x00", 4);
    uint8_t cmd[64];
    struct buf out;
    buf_init(&out, 64);

    /* the first execute binds: server 0 gets it as sent, under its own id */
    size_t n = execute(cmd, p->id, true);
    ps_exec_payload(p, 0, cmd, n, &out);
    assert_int_equal(out.len, n);
    assert_int_equal(le32(out.p + 1), 41);
    assert_memory_equal(out.p + 5, cmd + 5, n - 5);
    assert_true(p->on[0].types);

    /* the next execute does not bind again; server 1 never saw the types: they are added */
    n = execute(cmd, p->id, false);
    ps_exec_payload(p, 1, cmd, n, &out);
    assert_int_equal(out.len, n + 4);
    assert_int_equal(le32(out.p + 1), 77);
    assert_int_equal((uint8_t)out.p[11], 1);
    assert_memory_equal(out.p + 12, "\x08\x00\x08\x00", 4);
    assert_memory_equal(out.p + 16, cmd + 12, n - 12);
    assert_true(p->on[1].types);
    /* and once is enough */
    ps_exec_payload(p, 1, cmd, n, &out);
    assert_int_equal(out.len, n);
    assert_int_equal(le32(out.p + 1), 77);
    buf_free(&out);
    ps_clear(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_find_delete_clear),
        cmocka_unit_test(test_ids_skip_zero_and_the_last_marker),
        cmocka_unit_test(test_execute_is_rewritten_for_each_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for app/core/gate: the node-wide bulkhead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/gate.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_limit_queue_and_wait(void **state)
{
    (void)state;
    struct gate *g = gate_new(2, 1);
    assert_int_equal(gate_enter(g, 0), 0);
    assert_int_equal(gate_enter(g, 0), 0);
    struct gate_stats s;
    gate_stats_get(g, &s);
    assert_int_equal(s.holders, 2);
    /* full, queue free: waits its time, then gives up */
    int64_t t0 = clock_mono_ns();
    assert_int_equal(gate_enter(g, 50), ERR_TIMEOUT);
    assert_true(clock_mono_ns() - t0 >= 50 * 1000000LL);
    gate_leave(g);
    assert_int_equal(gate_enter(g, 50), 0);
    gate_stats_get(g, &s);
    assert_int_equal(s.entered, 3);
    assert_int_equal(s.timed_out, 1);
    gate_leave(g);
    gate_leave(g);
    gate_stats_get(g, &s);
    assert_int_equal(s.holders, 0);
    assert_true(gate_retry_after_s(g) >= 1);
    gate_stats_get(g, &s);
    assert_true(s.avg_hold_us > 0); /* measured from the holds above */
    gate_free(g);
    assert_null(gate_new(0, 1));
    assert_null(gate_new(GATE_MAX_LIMIT + 1, 1));
}

struct waiter {
    struct gate *g;
    int rc;
};

static void *wait_long(void *arg)
{
    struct waiter *w = arg;
    w->rc = gate_enter(w->g, 2000);
    return NULL;
}

static void test_a_full_queue_refuses_at_once(void **state)
{
    (void)state;
    struct gate *g = gate_new(1, 1);
    assert_int_equal(gate_enter(g, 0), 0);
    struct waiter w = {g, 99};
    pthread_t t;
    pthread_create(&t, NULL, wait_long, &w);
    /* wait until the waiter is queued */
    struct gate_stats s;
    for (int i = 0; i < 1000; i++) {
        gate_stats_get(g, &s);
        if (s.waiting == 1)
            break;
        clock_sleep_ms(1);
    }
    assert_int_equal(s.waiting, 1);
    int64_t t0 = clock_mono_ns();
    assert_true(gate_full(g));
    assert_int_equal(gate_enter(g, 2000), ERR_LIMIT); /* no place to wait: at once */
    assert_true(clock_mono_ns() - t0 < 100 * 1000000LL);
    gate_leave(g); /* the waiter gets the slot */
    pthread_join(t, NULL);
    assert_int_equal(w.rc, 0);
    gate_stats_get(g, &s);
    assert_int_equal(s.refused, 1);
    gate_leave(g);
    gate_free(g);
}

static void test_retry_after_grows_with_the_refusals(void **state)
{
    (void)state;
    struct gate *g = gate_new(1, 0);
    /* holds of about 50 ms */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(gate_enter(g, 0), 0);
        clock_sleep_ms(50);
        gate_leave(g);
    }
    assert_int_equal(gate_enter(g, 0), 0);
    assert_true(gate_full(g));
    int64_t calm = gate_retry_after_s(g);
    /* a storm: hundreds refused each second for a few seconds */
    for (int sec = 0; sec < 5; sec++) {
        for (int i = 0; i < 200; i++)
            assert_int_equal(gate_enter(g, 0), ERR_LIMIT);
        clock_sleep_ms(1000);
    }
    int64_t stormy = gate_retry_after_s(g);
    /* ~200 refused per second at ~50 ms each on one slot: ~10 s, not 1 */
    assert_true(stormy > calm);
    assert_in_range(stormy, 5, 60);
    gate_leave(g);
    gate_free(g);
}

static void test_a_dead_holder_gives_its_slot_back(void **state)
{
    (void)state;
    struct gate *g = gate_new(1, 0);
    pid_t pid = fork();
    if (pid == 0) {
        gate_enter(g, 0);
        pause(); /* holds the slot until killed */
        _exit(0);
    }
    struct gate_stats s;
    for (int i = 0; i < 1000; i++) {
        gate_stats_get(g, &s);
        if (s.holders == 1)
            break;
        clock_sleep_ms(1);
    }
    assert_int_equal(s.holders, 1);
    assert_int_equal(gate_enter(g, 0), ERR_LIMIT);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    assert_int_equal(gate_enter(g, 0), 0); /* reclaimed from the dead process */
    gate_stats_get(g, &s);
    assert_int_equal(s.reclaimed, 1);
    gate_leave(g);
    gate_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_queue_and_wait),
        cmocka_unit_test(test_a_full_queue_refuses_at_once),
        cmocka_unit_test(test_retry_after_grows_with_the_refusals),
        cmocka_unit_test(test_a_dead_holder_gives_its_slot_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

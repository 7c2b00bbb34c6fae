/* Unit tests for app/autoscale/policy: target tracking, cooldowns, windows, clamps, restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "autoscale/policy.h"

#include <string.h>

#define S 1000 /* ms */

static const struct policy_cfg CFG = {
    .min = 2,
    .max = 6,
    .target = 20,
    .cpu_target = 0.80,
    .in_ratio = 0.5,
    .window_ms = 30 * S,
    .out_cooldown_ms = 20 * S,
    .in_cooldown_ms = 120 * S,
    .in_window_ms = 60 * S,
};

/* a scene: samples every 2 s up to now = 1000 s, with load per node `per` on `up` nodes */
struct scene {
    struct policy_sample s[256];
    struct policy_in in;
};

static void fill(struct scene *sc, int up, double per, double cpu, int64_t span_ms)
{
    memset(sc, 0, sizeof *sc);
    int64_t now = 1000 * S;
    size_t n = 0;
    for (int64_t t = now - span_ms; t <= now; t += 2 * S)
        sc->s[n++] = (struct policy_sample){t, per * up, up, cpu};
    sc->in =
        (struct policy_in){sc->s, n, up, up, 0, now, now - span_ms - S, POLICY_NEVER, POLICY_NEVER};
}

static struct policy_decision decide(const struct scene *sc)
{
    struct policy_decision d;
    policy_decide(&CFG, &sc->in, &d);
    return d;
}

static void test_steady_is_none(void **state)
{
    (void)state;
    struct scene sc;
    fill(&sc, 2, 18, 0.3, 120 * S);
    struct policy_decision d = decide(&sc);
    assert_int_equal(d.action, POLICY_NONE);
    assert_int_equal(d.to, 2);
    assert_non_null(strstr(d.reason, "target 20"));
}

static void test_scale_out_fast_several_at_once(void **state)
{
    (void)state;
    struct scene sc;
    fill(&sc, 2, 41.2, 0.5, 30 * S);
    struct policy_decision d = decide(&sc);
    assert_int_equal(d.action, POLICY_OUT);
    assert_int_equal(d.from, 2);
    assert_int_equal(d.to, 5); /* ceil(2 * 41.2 / 20) */
    assert_string_equal(d.reason, "load 41.2 per node over 30s > target 20 (x1.10): 2 -> 5 nodes");
    /* within the 10 % tolerance: nothing */
    fill(&sc, 2, 21.5, 0.5, 30 * S);
    assert_int_equal(decide(&sc).action, POLICY_NONE);
    /* too few samples (one spike is not a trend) */
    fill(&sc, 2, 100, 0.5, 2 * S);
    assert_int_equal(decide(&sc).action, POLICY_NONE);
}

static void test_clamped_to_max(void **state)
{
    (void)state;
    struct scene sc;
    fill(&sc, 4, 100, 0.5, 30 * S);
    struct policy_decision d = decide(&sc);
    assert_int_equal(d.action, POLICY_OUT);
    assert_int_equal(d.to, 6);
    assert_int_equal(d.desired, 6);
    /* at the maximum: held, with the reason */
    fill(&sc, 6, 100, 0.5, 30 * S);
    d = decide(&sc);
    assert_int_equal(d.action, POLICY_HELD);
    assert_string_equal(d.held, "maximum");
    assert_non_null(strstr(d.reason, "at the maximum"));
    /* down servers count against the maximum: 4 UP of 6 in haproxy adds nothing */
    fill(&sc, 4, 100, 0.5, 30 * S);
    sc.in.total = 6;
    d = decide(&sc);
    assert_int_equal(d.action, POLICY_HELD);
    assert_string_equal(d.held, "maximum");
    sc.in.total = 5; /* room for one */
    d = decide(&sc);
    assert_int_equal(d.action, POLICY_OUT);
    assert_int_equal(d.to, 5);
}

static void test_below_min_adds_whatever_the_load(void **state)
{
    (void)state;
    struct scene sc;
    fill(&sc, 1, 0, 0.1, 120 * S);
    struct policy_decision d = decide(&sc);
    assert_int_equal(d.action, POLICY_OUT);
    assert_int_equal(d.to, 2);
    assert_non_null(strstr(d.reason, "below the minimum 2 for 30s"));
    /* a node down for 6 s (restarting, a deploy): not replaced */
    fill(&sc, 2, 0, 0.1, 120 * S);
    sc.in.up = 1;
    for (size_t i = sc.in.n - 3; i < sc.in.n; i++)
        sc.s[i].up = 1;
    d = decide(&sc);
    assert_int_equal(d.action, POLICY_HELD);
    assert_string_equal(d.held, "below-min");
    /* nor right after a start, before a whole window of samples */
    fill(&sc, 1, 0, 0.1, 10 * S);
    sc.in.since_ms = sc.in.now_ms - 10 * S;
    assert_int_equal(decide(&sc).action, POLICY_HELD);
}

static void test_out_cooldown(void **state)
{
    (void)state;
    struct scene sc;
    fill(&sc, 2, 50, 0.5, 30 * S);
    sc.in.last_out_ms = sc.in.now_ms - 12 * S;
    struct policy_decision d = decide(&sc);
    assert_int_equal(d.action, POLICY_HELD);
    assert_string_equal(d.held, "cooldown-out");
    assert_non_null(strstr(d.reason, "8s left"));
    sc.in.last_out_ms = sc.in.now_ms - 20 * S; /* just over */
    assert_int_equal(decide(&sc).action, POLICY_OUT);
    /* a recent scale-in does not hold a scale-out (scale out fast) */
    sc.in.last_in_ms = sc.in.now_ms - 1 * S;
    assert_int_equal(decide(&sc).action, POLICY_OUT);
}

static void test_no_decision_during_transition(void **state)
{
    (void)state;
    struct scene sc;
    fill(&sc, 2, 80, 0.9, 30 * S);
    sc.in.transitioning = 1;
    struct policy_decision d = decide(&sc);
    assert_int_equal(d.action, POLICY_HELD);
    assert_string_equal(d.held, "transition");
    assert_int_equal(d.to, 2);
    fill(&sc, 4, 1, 0.1, 300 * S);
    sc.in.transitioning = 2;
    assert_int_equal(decide(&sc).action, POLICY_HELD);
}

static void test_scale_in_window(void **state)
{
    (void)state;
    struct scene sc;
    fill(&sc, 4, 3, 0.2, 120 * S);
    struct policy_decision d = decide(&sc);
    assert_int_equal(d.action, POLICY_IN);
    assert_int_equal(d.to, 3); /* one node at a time */
    assert_non_null(strstr(d.reason, "for 60s: 4 -> 3 nodes"));
    /* one sample inside the scale-in window above target x ratio (10): not low for all of it */
    fill(&sc, 4, 3, 0.2, 120 * S);
    sc.s[sc.in.n - 10].load = 4 * 11.0;
    assert_int_equal(decide(&sc).action, POLICY_NONE);
    /* the same sample older than the window no longer counts */
    fill(&sc, 4, 3, 0.2, 120 * S);
    sc.s[5].load = 4 * 11.0;
    assert_int_equal(decide(&sc).action, POLICY_IN);
    /* never below min */
    fill(&sc, 2, 0, 0.1, 300 * S);
    assert_int_equal(decide(&sc).action, POLICY_NONE);
    /* the remaining nodes would be above the target: held */
    struct policy_cfg c = CFG;
    c.in_ratio = 0.9;
    fill(&sc, 3, 17, 0.2, 120 * S); /* 17 < 18, but 3 x 17 / 2 = 25.5 >= 20 */
    policy_decide(&c, &sc.in, &d);
    assert_int_equal(d.action, POLICY_HELD);
    assert_string_equal(d.held, "projected");
}

static void test_scale_in_cooldowns(void **state)
{
    (void)state;
    struct scene sc;
    fill(&sc, 4, 3, 0.2, 300 * S);
    sc.in.last_in_ms = sc.in.now_ms - 100 * S;
    struct policy_decision d = decide(&sc);
    assert_int_equal(d.action, POLICY_HELD);
    assert_string_equal(d.held, "cooldown-in");
    assert_non_null(strstr(d.reason, "20s left"));
    /* a scale-out also holds a scale-in for the scale-in cooldown */
    sc.in.last_in_ms = POLICY_NEVER;
    sc.in.last_out_ms = sc.in.now_ms - 60 * S;
    d = decide(&sc);
    assert_int_equal(d.action, POLICY_HELD);
    assert_string_equal(d.held, "cooldown-in");
    sc.in.last_out_ms = sc.in.now_ms - 121 * S;
    assert_int_equal(decide(&sc).action, POLICY_IN);
}

static void test_restart(void **state)
{
    (void)state;
    /* restarted 20 s ago: samples of 20 s only, low load: no scale-in until a whole window */
    struct scene sc;
    fill(&sc, 4, 2, 0.1, 20 * S);
    sc.in.since_ms = sc.in.now_ms - 20 * S;
    struct policy_decision d = decide(&sc);
    assert_int_equal(d.action, POLICY_HELD);
    assert_string_equal(d.held, "warming-up");
    assert_non_null(strstr(d.reason, "sampled only 20s of the 60s"));
    /* 60 s after the restart, but the last scale-in (read back from the log) was 30 s ago */
    fill(&sc, 4, 2, 0.1, 60 * S);
    sc.in.since_ms = sc.in.now_ms - 60 * S;
    sc.in.last_in_ms = sc.in.now_ms - 30 * S;
    d = decide(&sc);
    assert_int_equal(d.action, POLICY_HELD);
    assert_string_equal(d.held, "cooldown-in");
    sc.in.last_in_ms = POLICY_NEVER;
    assert_int_equal(decide(&sc).action, POLICY_IN);
    /* a scale-out logged 5 s before the restart holds the next scale-out */
    fill(&sc, 2, 60, 0.5, 10 * S);
    sc.in.since_ms = sc.in.now_ms - 10 * S;
    sc.in.last_out_ms = sc.in.now_ms - 15 * S;
    d = decide(&sc);
    assert_int_equal(d.action, POLICY_HELD);
    assert_string_equal(d.held, "cooldown-out");
}

static void test_cpu_signal(void **state)
{
    (void)state;
    struct scene sc;
    /* load under the target but rising, CPU above its target: one more node */
    fill(&sc, 2, 12, 0.92, 30 * S);
    for (size_t i = sc.in.n / 2; i < sc.in.n; i++)
        sc.s[i].load = 2 * 17.0;
    struct policy_decision d = decide(&sc);
    assert_int_equal(d.action, POLICY_OUT);
    assert_int_equal(d.to, 3);
    assert_non_null(strstr(d.reason, "cpu 0.92"));
    assert_non_null(strstr(d.reason, "load rising"));
    /* CPU high but the load is flat: nothing */
    fill(&sc, 2, 12, 0.92, 30 * S);
    assert_int_equal(decide(&sc).action, POLICY_NONE);
    /* CPU unknown: not a signal */
    fill(&sc, 2, 12, -1, 30 * S);
    for (size_t i = sc.in.n / 2; i < sc.in.n; i++)
        sc.s[i].load = 2 * 17.0;
    assert_int_equal(decide(&sc).action, POLICY_NONE);
    /* CPU high blocks a scale-in */
    fill(&sc, 4, 3, 0.95, 120 * S);
    d = decide(&sc);
    assert_int_equal(d.action, POLICY_HELD);
    assert_string_equal(d.held, "cpu");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_is_none),
        cmocka_unit_test(test_scale_out_fast_several_at_once),
        cmocka_unit_test(test_clamped_to_max),
        cmocka_unit_test(test_below_min_adds_whatever_the_load),
        cmocka_unit_test(test_out_cooldown),
        cmocka_unit_test(test_no_decision_during_transition),
        cmocka_unit_test(test_scale_in_window),
        cmocka_unit_test(test_scale_in_cooldowns),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_cpu_signal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

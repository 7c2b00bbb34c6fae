/* Unit tests for app/core/metrics: shared counters, histograms and the text format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/metrics.h"
#include "core/buf.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *render(void)
{
    static struct buf b;
    buf_free(&b);
    buf_init(&b, 1 << 22);
    metrics_render(&b);
    return (char *)buf_cstr(&b);
}

static void test_registration_is_idempotent(void **state)
{
    (void)state;
    struct metric *a = metrics_counter("test_things_total", "kind=\"a\"", "Things.");
    struct metric *b = metrics_counter("test_things_total", "kind=\"a\"", "Things.");
    struct metric *c = metrics_counter("test_things_total", "kind=\"b\"", "Things.");
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, c);
    metric_add(a, 5);
    metric_inc(b);
    assert_int_equal(metric_value(a), 6);
    assert_int_equal(metric_value(c), 0);
    /* NULL handles do nothing */
    metric_inc(NULL);
    metric_observe_ns(NULL, 5);
    assert_int_equal(metric_value(NULL), 0);
}

/* The point of the shared mapping: forked workers add to what the parent (and a scrape in any
 * worker) sees. */
static void test_counts_from_forked_children_add_up(void **state)
{
    (void)state;
    struct metric *m = metrics_counter("test_forked_total", "", "From children.");
    pid_t kids[4];
    for (int i = 0; i < 4; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            for (int k = 0; k < 1000; k++)
                metric_inc(m);
            _exit(0);
        }
    }
    for (int i = 0; i < 4; i++)
        waitpid(kids[i], NULL, 0);
    metric_add(m, 1);
    assert_int_equal(metric_value(m), 4001);
}

static void *adder(void *arg)
{
    for (int k = 0; k < 10000; k++)
        metric_inc(arg);
    return NULL;
}

static void test_threads_do_not_lose_counts(void **state)
{
    (void)state;
    struct metric *m = metrics_counter("test_threads_total", "", "From threads.");
    pthread_t t[METRICS_SHARDS + 4];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        pthread_create(&t[i], NULL, adder, m);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(metric_value(m), 10000 * (sizeof t / sizeof t[0]));
}

static void test_text_format(void **state)
{
    (void)state;
    static const double bounds[] = {0.001, 0.01};
    struct metric *h =
        metrics_histogram("test_latency_seconds", "route=\"x\"", "Latency.", bounds, 2);
    metric_observe_ns(h, 500000);   /* 0.5 ms */
    metric_observe_ns(h, 5000000);  /* 5 ms */
    metric_observe_ns(h, 50000000); /* 50 ms */
    metric_observe_ns(h, -1);       /* counts as 0 */
    assert_int_equal(metric_value(h), 4);
    char *t = render();
    assert_non_null(strstr(t, "# HELP test_latency_seconds Latency.\n"
                              "# TYPE test_latency_seconds histogram\n"
                              "test_latency_seconds_bucket{route=\"x\",le=\"0.001\"} 2\n"
                              "test_latency_seconds_bucket{route=\"x\",le=\"0.01\"} 3\n"
                              "test_latency_seconds_bucket{route=\"x\",le=\"+Inf\"} 4\n"
                              "test_latency_seconds_sum{route=\"x\"} 0.055500000\n"
                              "test_latency_seconds_count{route=\"x\"} 4\n"));
    /* one HELP/TYPE per name, all its series under it */
    assert_non_null(strstr(t, "# TYPE test_things_total counter\n"
                              "test_things_total{kind=\"a\"} 6\n"
                              "test_things_total{kind=\"b\"} 0\n"));
    assert_null(strstr(strstr(t, "# TYPE test_things_total") + 1, "# TYPE test_things_total"));
    assert_non_null(strstr(t, "\ntest_forked_total 4001\n"));
}

/* A gauge is set, not added to; a swap tells exactly one caller (of any process) about a
 * change, which is what once-only log lines rely on. */
static void test_gauges_are_set_and_swapped_across_processes(void **state)
{
    (void)state;
    struct metric *g = metrics_gauge("test_level", "server=\"a\"", "A level.");
    assert_ptr_equal(g, metrics_gauge("test_level", "server=\"a\"", "A level."));
    metric_set(g, 1);
    pid_t kids[4];
    int changed = 0;
    for (int i = 0; i < 4; i++) {
        kids[i] = fork();
        if (kids[i] == 0)
            _exit(metric_swap(g, 0) == 1 ? 1 : 0);
    }
    for (int i = 0; i < 4; i++) {
        int st = 0;
        waitpid(kids[i], &st, 0);
        changed += WEXITSTATUS(st);
    }
    assert_int_equal(changed, 1);
    assert_int_equal(metric_gauge(g), 0);
    metric_set(g, -3);
    assert_int_equal(metric_gauge(g), -3);
    assert_int_equal(metric_swap(NULL, 1), 0);
    metric_set(NULL, 1);
    char *t = render();
    assert_non_null(strstr(t, "# HELP test_level A level.\n"
                              "# TYPE test_level gauge\n"
                              "test_level{server=\"a\"} -3\n"));
}

static void test_a_full_table_degrades_to_no_ops(void **state)
{
    (void)state;
    struct metric *last = NULL;
    char labels[32];
    for (int i = 0; i < METRICS_MAX + 10; i++) {
        snprintf(labels, sizeof labels, "n=\"%d\"", i);
        last = metrics_counter("test_many_total", labels, "Many.");
    }
    assert_null(last);
    metric_inc(last);
    /* existing metrics keep working */
    struct metric *a = metrics_counter("test_things_total", "kind=\"a\"", "Things.");
    assert_non_null(a);
    metric_inc(a);
    assert_int_equal(metric_value(a), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registration_is_idempotent),
        cmocka_unit_test(test_counts_from_forked_children_add_up),
        cmocka_unit_test(test_threads_do_not_lose_counts),
        cmocka_unit_test(test_text_format),
        cmocka_unit_test(test_gauges_are_set_and_swapped_across_processes),
        cmocka_unit_test(test_a_full_table_degrades_to_no_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

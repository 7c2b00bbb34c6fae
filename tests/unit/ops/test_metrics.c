/* Unit tests for app/ops/metrics: /metrics renders the node's metrics (requests, database,
 * checkout and payments, the business metrics that degrade when the database is down);
 * near-cache invalidations must be signed. The fake site's database is a closed port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include "cache/near.h"
#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_metrics_count_requests_by_route(void **state)
{
    (void)state;
    fake_request(fake, "GET", "/healthz", NULL, NULL, NULL);
    fake_request(fake, "GET", "/no/such/page", NULL, NULL, NULL);
    struct fake_resp r = fake_request(fake, "GET", "/metrics", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    char ct[128];
    assert_true(fake_header(&r, "Content-Type", ct, sizeof ct));
    assert_non_null(strstr(ct, "text/plain; version=0.0.4"));
    assert_non_null(
        strstr(r.body, "stampede_http_requests_total{route=\"healthz\",code=\"2xx\"} 1\n"));
    assert_non_null(
        strstr(r.body, "stampede_http_requests_total{route=\"unmatched\",code=\"4xx\"} 1\n"));
    /* every route of every folder is there, web's, admin's and ops' */
    assert_non_null(strstr(r.body, "route=\"api_checkout\""));
    assert_non_null(strstr(r.body, "route=\"admin_stock\""));
    assert_non_null(strstr(r.body, "route=\"readyz\""));
    /* the password gate's state */
    assert_non_null(strstr(r.body, "stampede_auth_hash_slots 2\n"));
    assert_non_null(strstr(r.body, "stampede_auth_hash_total{result=\"refused\"} 0\n"));
}

/* the database families are node-wide counters; a failed connect shows as one */
static void test_metrics_export_the_database_counters(void **state)
{
    (void)state;
    fake_request(fake, "GET", "/api/v1/products/some-shoe", NULL, NULL, NULL); /* needs the DB */
    struct fake_resp r = fake_request(fake, "GET", "/metrics", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    const char *p = strstr(r.body, "stampede_db_connects_total{result=\"failed\"} ");
    assert_non_null(p);
    assert_true(strtoull(p + strlen("stampede_db_connects_total{result=\"failed\"} "), NULL, 10) >=
                1);
    assert_non_null(strstr(r.body, "# TYPE stampede_db_queries_total counter\n"));
    assert_non_null(strstr(r.body, "# TYPE stampede_db_query_duration_seconds histogram\n"));
    assert_non_null(strstr(r.body, "stampede_db_errors_total{kind=\"deadlock\"} 0\n"));
    assert_non_null(strstr(r.body, "stampede_db_errors_total{kind=\"read_only\"} 0\n"));
    assert_non_null(strstr(r.body, "# TYPE stampede_db_connections_open gauge\n"
                                   "stampede_db_connections_open 0\n"));
    assert_non_null(strstr(r.body, "stampede_db_transactions_open 0\n"));
    assert_non_null(strstr(r.body, "stampede_db_retries_total 0\n"));
    assert_non_null(strstr(r.body, "stampede_db_retries_exhausted_total 0\n"));
}

/* every outcome is there from the start (0), so rates and ratios exist before the first sale */
static void test_metrics_export_checkout_and_payment_outcomes(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "GET", "/metrics", NULL, NULL, NULL);
    static const char *const want[] = {
        "# TYPE stampede_checkout_total counter\n",
        "stampede_checkout_total{outcome=\"ok\"} 0\n",
        "stampede_checkout_total{outcome=\"out_of_stock\"} 0\n",
        "stampede_checkout_total{outcome=\"not_admitted\"} 0\n",
        "stampede_checkout_total{outcome=\"retry_exhausted\"} 0\n",
        "stampede_checkout_retries_total 0\n",
        "stampede_payments_total{outcome=\"paid\"} 0\n",
        "stampede_payments_total{outcome=\"declined\"} 0\n",
        "stampede_payments_total{outcome=\"pending\"} 0\n",
        "stampede_payments_total{outcome=\"failed\"} 0\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(r.body, want[i]))
            fail_msg("/metrics lacks %s", want[i]);
}

/* The database is down: the scrape still answers 200 with everything else; the business
 * metrics are left out (none were ever read), their age says so, and the failed read is
 * counted once per interval, not once per scrape. */
static void test_business_metrics_degrade_when_the_database_is_down(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "GET", "/metrics", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "stampede_http_requests_total{"));
    assert_non_null(strstr(r.body, "stampede_stats_age_seconds -1.000\n"));
    assert_null(strstr(r.body, "stampede_orders{"));
    assert_null(strstr(r.body, "stampede_pairs{"));
    const char *p = strstr(r.body, "\nstampede_stats_errors_total ");
    assert_non_null(p);
    unsigned long long errors = strtoull(p + strlen("\nstampede_stats_errors_total "), NULL, 10);
    assert_true(errors >= 1);
    for (int i = 0; i < 3; i++)
        r = fake_request(fake, "GET", "/metrics", NULL, NULL, NULL);
    p = strstr(r.body, "\nstampede_stats_errors_total ");
    assert_non_null(p);
    assert_int_equal(strtoull(p + strlen("\nstampede_stats_errors_total "), NULL, 10), errors);
}

/* the scheduled batch jobs' intervals (defaults: expire-holds 2 s, reconcile-payments 30 s,
 * audit-stock 5 min); the jobs that are not scheduled have none, so BatchJobNotSucceeding
 * leaves them alone */
static void test_metrics_export_the_batch_schedule(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "GET", "/metrics", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "# TYPE stampede_batch_job_interval_seconds gauge\n"));
    assert_non_null(
        strstr(r.body, "stampede_batch_job_interval_seconds{job=\"expire-holds\"} 2.000\n"));
    assert_non_null(
        strstr(r.body, "stampede_batch_job_interval_seconds{job=\"reconcile-payments\"} 30.000\n"));
    assert_non_null(
        strstr(r.body, "stampede_batch_job_interval_seconds{job=\"audit-stock\"} 300.000\n"));
    assert_null(strstr(r.body, "stampede_batch_job_interval_seconds{job=\"drop-draw\"}"));
    assert_null(strstr(r.body, "stampede_batch_job_interval_seconds{job=\"audit-payments\"}"));
}

static void test_near_epoch_needs_a_signature(void **state)
{
    (void)state;
    const char *none[] = {NULL};
    struct fake_resp r = fake_request(fake, "POST", NEAR_PATH, none, NULL, NULL);
    assert_int_equal(r.status, 403);
    const char *forged[] = {NEAR_SIG_HDR ": t=1,v1=00", NULL};
    assert_int_equal(fake_request(fake, "POST", NEAR_PATH, forged, NULL, NULL).status, 403);
    /* signed with the node's secret: accepted */
    struct arena *a = arena_new(4096, 1 << 20);
    struct str sig =
        near_sign(a, STR("fake-secret-0123456789abcdef0123456789abcdef"), clock_real_s());
    char h[512];
    snprintf(h, sizeof h, "%s: %.*s", NEAR_SIG_HDR, STR_FMT(sig));
    const char *signed_[] = {h, NULL};
    assert_int_equal(fake_request(fake, "POST", NEAR_PATH, signed_, NULL, NULL).status, 204);
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_count_requests_by_route),
        cmocka_unit_test(test_metrics_export_the_database_counters),
        cmocka_unit_test(test_metrics_export_checkout_and_payment_outcomes),
        cmocka_unit_test(test_business_metrics_degrade_when_the_database_is_down),
        cmocka_unit_test(test_metrics_export_the_batch_schedule),
        cmocka_unit_test(test_near_epoch_needs_a_signature),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

/* Unit tests for app/ops/metrics: /metrics renders the node's metrics; near-cache
 * invalidations must be signed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include "cache/near.h"
#include "core/clock.h"

#include <stdio.h>
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
        cmocka_unit_test(test_near_epoch_needs_a_signature),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

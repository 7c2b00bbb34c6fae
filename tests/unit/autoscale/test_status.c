/* Unit tests for app/autoscale/status: /metrics and /status of a view. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "autoscale/status.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static struct scaler_view view(void)
{
    struct scaler_view v;
    memset(&v, 0, sizeof v);
    v.policy = (struct policy_cfg){
        .min = 2, .max = 4, .target = 8, .cpu_target = 0.8, .in_ratio = 0.5, .window_ms = 30000};
    v.enabled = true;
    v.haproxy_ok = true;
    v.up = 3;
    v.total = 3;
    v.desired = 4;
    v.load = 9.5;
    v.cpu = -1;
    v.last_out_ms = 1796500000000;
    v.last_in_ms = POLICY_NEVER;
    v.last_decision_ms = 1796500000000;
    snprintf(v.last_action, sizeof v.last_action, "%s", "out");
    snprintf(v.last_reason, sizeof v.last_reason, "%s", "load 9.5 per node");
    v.decisions[SC_OUT] = 2;
    v.decisions[SC_FAILED] = 1;
    v.nnodes = 1;
    snprintf(v.nodes[0].name, sizeof v.nodes[0].name, "%s", "web1");
    snprintf(v.nodes[0].status, sizeof v.nodes[0].status, "%s", "UP");
    v.nodes[0].state = "up";
    v.nodes[0].scur = 7;
    return v;
}

static void test_metrics(void **state)
{
    (void)state;
    struct scaler_view v = view();
    struct buf b;
    buf_init(&b, 1 << 20);
    status_metrics(&v, &b);
    const char *m = buf_cstr(&b);
    assert_non_null(strstr(m, "\nstampede_autoscale_nodes 3\n"));
    assert_non_null(strstr(m, "\nstampede_autoscale_desired_nodes 4\n"));
    assert_non_null(strstr(m, "\nstampede_autoscale_load_per_node 9.5\n"));
    assert_non_null(strstr(m, "\nstampede_autoscale_cpu_ratio -1\n"));
    assert_non_null(strstr(m, "\nstampede_autoscale_max_nodes 4\n"));
    assert_non_null(strstr(m, "\nstampede_autoscale_target 8\n"));
    assert_non_null(strstr(m, "\nstampede_autoscale_paused 0\n"));
    assert_non_null(strstr(m, "stampede_autoscale_decisions_total{action=\"failed\"} 1\n"));
    assert_non_null(strstr(m, "stampede_autoscale_last_decision_timestamp_seconds 1.7965e+09\n"));
    assert_non_null(strstr(m, "# TYPE stampede_autoscale_decisions_total counter\n"));
    buf_free(&b);
}

static void test_json(void **state)
{
    (void)state;
    struct scaler_view v = view();
    v.enabled = false;
    struct buf b;
    buf_init(&b, 1 << 20);
    status_json(&v, &b);
    cJSON *j = cJSON_Parse(buf_cstr(&b));
    assert_non_null(j);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "paused")));
    assert_int_equal(cJSON_GetObjectItem(j, "nodes")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(j, "desired")->valueint, 4);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "cpu")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "last_scale_in_at")));
    assert_true(cJSON_GetObjectItem(j, "last_scale_out_at")->valuedouble == 1796500000.0);
    const cJSON *last = cJSON_GetObjectItem(j, "last_decision");
    assert_string_equal(cJSON_GetObjectItem(last, "action")->valuestring, "out");
    const cJSON *set = cJSON_GetObjectItem(j, "settings");
    assert_int_equal(cJSON_GetObjectItem(set, "max")->valueint, 4);
    assert_true(cJSON_GetObjectItem(set, "window_s")->valuedouble == 30.0);
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "servers"), 0);
    assert_string_equal(cJSON_GetObjectItem(s0, "name")->valuestring, "web1");
    assert_int_equal(cJSON_GetObjectItem(s0, "sessions")->valueint, 7);
    cJSON_Delete(j);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

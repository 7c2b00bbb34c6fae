/* status — /metrics and /status of stampede-autoscale; see status.h. */
#include "status.h"

#include <cjson/cJSON.h>
#include <string.h>

static void gauge(struct buf *b, const char *name, const char *help, double v)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %.6g\n", name, help, name, name, v);
}

void status_metrics(const struct scaler_view *v, struct buf *b)
{
    gauge(b, "stampede_autoscale_nodes", "UP web nodes in the backend (capacity)", v->up);
    gauge(b, "stampede_autoscale_nodes_total", "Servers of the backend in any state", v->total);
    gauge(b, "stampede_autoscale_nodes_in_transition",
          "Nodes joining or leaving (maint, drain, rising)", v->joining + v->leaving);
    gauge(b, "stampede_autoscale_desired_nodes", "Nodes the load asks for, within min..max",
          v->desired);
    gauge(b, "stampede_autoscale_load_per_node",
          "Sessions in flight + queued per UP node, averaged over the window", v->load);
    gauge(b, "stampede_autoscale_cpu_ratio",
          "Host CPU busy ratio averaged over the window (-1: unknown)", v->cpu);
    gauge(b, "stampede_autoscale_response_time_seconds",
          "Mean of HAProxy's rtime over the UP nodes", v->rtime_ms / 1000.0);
    gauge(b, "stampede_autoscale_min_nodes", "autoscale.min", v->policy.min);
    gauge(b, "stampede_autoscale_max_nodes", "autoscale.max", v->policy.max);
    gauge(b, "stampede_autoscale_target", "autoscale.target: the load per node to keep",
          v->policy.target);
    gauge(b, "stampede_autoscale_paused", "1 while autoscale.enabled is off", v->enabled ? 0 : 1);
    gauge(b, "stampede_autoscale_dry_run", "1 while autoscale.dry_run is on", v->dry_run ? 1 : 0);
    gauge(b, "stampede_autoscale_haproxy_up", "Whether the last read of HAProxy's stats worked",
          v->haproxy_ok ? 1 : 0);
    gauge(b, "stampede_autoscale_last_decision_timestamp_seconds",
          "Unix time of the last out, in, held or failed decision (0: none)",
          (double)v->last_decision_ms / 1000.0);
    buf_printf(b, "# HELP stampede_autoscale_decisions_total Decisions by action (failed: an "
                  "add or remove command failed)\n# TYPE stampede_autoscale_decisions_total "
                  "counter\n");
    for (int i = 0; i < SC_N; i++)
        buf_printf(b, "stampede_autoscale_decisions_total{action=\"%s\"} %llu\n",
                   scaler_count_names[i], (unsigned long long)v->decisions[i]);
}

static void add_time(cJSON *o, const char *key, int64_t ms)
{
    if (ms == POLICY_NEVER || ms == 0)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, (double)ms / 1000.0);
}

void status_json(const struct scaler_view *v, struct buf *b)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddBoolToObject(root, "paused", !v->enabled);
    cJSON_AddBoolToObject(root, "dry_run", v->dry_run);
    cJSON_AddBoolToObject(root, "acting", v->acting);
    cJSON_AddBoolToObject(root, "haproxy_ok", v->haproxy_ok);
    cJSON_AddStringToObject(root, "haproxy_error", v->haproxy_error);
    cJSON_AddNumberToObject(root, "nodes", v->up);
    cJSON_AddNumberToObject(root, "nodes_total", v->total);
    cJSON_AddNumberToObject(root, "joining", v->joining);
    cJSON_AddNumberToObject(root, "leaving", v->leaving);
    cJSON_AddNumberToObject(root, "down", v->down);
    cJSON_AddNumberToObject(root, "desired", v->desired);
    cJSON_AddNumberToObject(root, "load", v->load);
    cJSON_AddNumberToObject(root, "load_now", v->load_now);
    if (v->cpu >= 0)
        cJSON_AddNumberToObject(root, "cpu", v->cpu);
    else
        cJSON_AddNullToObject(root, "cpu");
    cJSON_AddNumberToObject(root, "response_time_ms", v->rtime_ms);
    add_time(root, "started_at", v->started_ms);
    add_time(root, "sampled_at", v->sampled_at_ms);
    add_time(root, "last_scale_out_at", v->last_out_ms);
    add_time(root, "last_scale_in_at", v->last_in_ms);
    cJSON *last = cJSON_AddObjectToObject(root, "last_decision");
    cJSON_AddStringToObject(last, "action", v->last_action);
    add_time(last, "at", v->last_decision_ms);
    cJSON_AddStringToObject(last, "reason", v->last_reason);
    cJSON_AddStringToObject(last, "result", v->last_result);
    cJSON_AddStringToObject(root, "now", v->now_reason);
    cJSON *set = cJSON_AddObjectToObject(root, "settings");
    cJSON_AddNumberToObject(set, "min", v->policy.min);
    cJSON_AddNumberToObject(set, "max", v->policy.max);
    cJSON_AddNumberToObject(set, "target", v->policy.target);
    cJSON_AddNumberToObject(set, "cpu_target", v->policy.cpu_target);
    cJSON_AddNumberToObject(set, "scale_in_ratio", v->policy.in_ratio);
    cJSON_AddNumberToObject(set, "window_s", (double)v->policy.window_ms / 1000.0);
    cJSON_AddNumberToObject(set, "scale_out_cooldown_s",
                            (double)v->policy.out_cooldown_ms / 1000.0);
    cJSON_AddNumberToObject(set, "scale_in_cooldown_s", (double)v->policy.in_cooldown_ms / 1000.0);
    cJSON_AddNumberToObject(set, "scale_in_window_s", (double)v->policy.in_window_ms / 1000.0);
    cJSON *counts = cJSON_AddObjectToObject(root, "decisions");
    for (int i = 0; i < SC_N; i++)
        cJSON_AddNumberToObject(counts, scaler_count_names[i], (double)v->decisions[i]);
    cJSON *servers = cJSON_AddArrayToObject(root, "servers");
    for (size_t i = 0; i < v->nnodes; i++) {
        const struct scaler_node *n = &v->nodes[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", n->name);
        cJSON_AddStringToObject(o, "status", n->status);
        cJSON_AddStringToObject(o, "state", n->state ? n->state : "");
        cJSON_AddNumberToObject(o, "sessions", (double)n->scur);
        cJSON_AddNumberToObject(o, "queue", (double)n->qcur);
        cJSON_AddNumberToObject(o, "response_time_ms", (double)n->rtime_ms);
        cJSON_AddNumberToObject(o, "weight", (double)n->weight);
        cJSON_AddItemToArray(servers, o);
    }
    char *text = cJSON_PrintUnformatted(root);
    buf_append_cstr(b, text);
    cJSON_free(text);
    cJSON_Delete(root);
}

unsigned status_answer(void *arg, const char *path, struct buf *body, const char **type)
{
    struct scaler_view v;
    if (strcmp(path, "/metrics") == 0) {
        scaler_view(arg, &v);
        status_metrics(&v, body);
        *type = "text/plain; version=0.0.4";
        return 200;
    }
    if (strcmp(path, "/status") == 0) {
        scaler_view(arg, &v);
        status_json(&v, body);
        *type = "application/json";
        return 200;
    }
    if (strcmp(path, "/healthz") == 0) {
        buf_append_cstr(body, "ok\n");
        return 200;
    }
    buf_append_cstr(body, "not found\n");
    return 404;
}

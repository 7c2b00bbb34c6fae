/*
 * autoscale — /admin/autoscale: what stampede-autoscale sees and decided. The state and the
 * settings come from its /status (fetched here, server-side, from autoscale.status_url, with a
 * short timeout: unreachable is a notice, never an error page); the decision log comes from the
 * database (autoscale/events.h), newest first, paged, held decisions on request.
 */
#include "admin/admin.h"

#include "autoscale/events.h"
#include "core/clock.h"
#include "front/fetch.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define AUTOSCALE_PAGE   25
#define AUTOSCALE_STATUS (1 << 20)

struct view_as_server {
    struct str name, status, state;
    int64_t sessions, queue, rtime_ms, weight;
};

struct view_as_event {
    int64_t id;
    struct str at, action, load, cpu, reason, result, host;
    int64_t before, after;
    bool failed;
};

struct view_admin_autoscale {
    const struct view_layout *layout;
    bool reachable;
    struct str status_url, notice;
    /* state, from /status */
    bool paused, dry_run, acting, haproxy_ok;
    struct str haproxy_error;
    int64_t nodes, desired, total, joining, leaving, down;
    struct str load, load_now, cpu, rtime;
    struct str last_action, last_at, last_reason, last_result;
    struct str last_out_at, last_in_at, now;
    struct tpl_list servers; /* of struct view_as_server */
    /* settings, from /status */
    int64_t min, max;
    struct str target, cpu_target, in_ratio, window, out_cooldown, in_cooldown, in_window;
    /* the decision log */
    struct tpl_list events; /* of struct view_as_event */
    int64_t total_events, page, pages, prev, next;
    bool held;
};

static const struct tpl_field as_server_fields[] = {
    TPL_FIELD(struct view_as_server, name, TPL_STR),
    TPL_FIELD(struct view_as_server, status, TPL_STR),
    TPL_FIELD(struct view_as_server, state, TPL_STR),
    TPL_FIELD(struct view_as_server, sessions, TPL_I64),
    TPL_FIELD(struct view_as_server, queue, TPL_I64),
    TPL_FIELD(struct view_as_server, rtime_ms, TPL_I64),
    TPL_FIELD(struct view_as_server, weight, TPL_I64),
};
static const struct tpl_schema as_server_schema = TPL_SCHEMA(as_server, as_server_fields);

static const struct tpl_field as_event_fields[] = {
    TPL_FIELD(struct view_as_event, id, TPL_I64),
    TPL_FIELD(struct view_as_event, at, TPL_STR),
    TPL_FIELD(struct view_as_event, action, TPL_STR),
    TPL_FIELD(struct view_as_event, load, TPL_STR),
    TPL_FIELD(struct view_as_event, cpu, TPL_STR),
    TPL_FIELD(struct view_as_event, reason, TPL_STR),
    TPL_FIELD(struct view_as_event, result, TPL_STR),
    TPL_FIELD(struct view_as_event, host, TPL_STR),
    TPL_FIELD(struct view_as_event, before, TPL_I64),
    TPL_FIELD(struct view_as_event, after, TPL_I64),
    TPL_FIELD(struct view_as_event, failed, TPL_BOOL),
};
static const struct tpl_schema as_event_schema = TPL_SCHEMA(as_event, as_event_fields);

#define AS(m, k) TPL_FIELD(struct view_admin_autoscale, m, k)
static const struct tpl_field admin_autoscale_fields[] = {
    TPL_NESTED(struct view_admin_autoscale, layout, TPL_OBJ, view_layout_schema),
    AS(reachable, TPL_BOOL),
    AS(status_url, TPL_STR),
    AS(notice, TPL_STR),
    AS(paused, TPL_BOOL),
    AS(dry_run, TPL_BOOL),
    AS(acting, TPL_BOOL),
    AS(haproxy_ok, TPL_BOOL),
    AS(haproxy_error, TPL_STR),
    AS(nodes, TPL_I64),
    AS(desired, TPL_I64),
    AS(total, TPL_I64),
    AS(joining, TPL_I64),
    AS(leaving, TPL_I64),
    AS(down, TPL_I64),
    AS(load, TPL_STR),
    AS(load_now, TPL_STR),
    AS(cpu, TPL_STR),
    AS(rtime, TPL_STR),
    AS(last_action, TPL_STR),
    AS(last_at, TPL_STR),
    AS(last_reason, TPL_STR),
    AS(last_result, TPL_STR),
    AS(last_out_at, TPL_STR),
    AS(last_in_at, TPL_STR),
    AS(now, TPL_STR),
    TPL_NESTED(struct view_admin_autoscale, servers, TPL_LIST, as_server_schema),
    AS(min, TPL_I64),
    AS(max, TPL_I64),
    AS(target, TPL_STR),
    AS(cpu_target, TPL_STR),
    AS(in_ratio, TPL_STR),
    AS(window, TPL_STR),
    AS(out_cooldown, TPL_STR),
    AS(in_cooldown, TPL_STR),
    AS(in_window, TPL_STR),
    TPL_NESTED(struct view_admin_autoscale, events, TPL_LIST, as_event_schema),
    AS(total_events, TPL_I64),
    AS(page, TPL_I64),
    AS(pages, TPL_I64),
    AS(prev, TPL_I64),
    AS(next, TPL_I64),
    AS(held, TPL_BOOL),
};
#undef AS
const struct tpl_schema admin_autoscale_schema =
    TPL_SCHEMA(admin_autoscale, admin_autoscale_fields);

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static struct str text(struct arena *a, const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? arena_str_dup(a, str_from_cstr(v->valuestring)) : STR("");
}

static bool flag(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItem(o, k));
}

static struct str fmt(struct arena *a, const char *f, double v)
{
    return str_from_cstr(arena_sprintf(a, f, v));
}

/* when: an ISO time of the unix seconds at o.k ("" when null) */
static struct str when(struct arena *a, const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    if (!cJSON_IsNumber(v))
        return STR("");
    char iso[40];
    size_t n = clock_iso8601((int64_t)(v->valuedouble * 1000), iso, sizeof iso);
    return arena_str_dup(a, (struct str){iso, n});
}

/* state: the view's state and settings from a /status body; false if it is not one */
static bool state(struct arena *a, struct str body, struct view_admin_autoscale *v)
{
    cJSON *j = cJSON_ParseWithLength(body.p, body.len);
    const cJSON *set = cJSON_GetObjectItem(j, "settings");
    if (!cJSON_IsObject(set)) {
        cJSON_Delete(j);
        return false;
    }
    v->paused = flag(j, "paused");
    v->dry_run = flag(j, "dry_run");
    v->acting = flag(j, "acting");
    v->haproxy_ok = flag(j, "haproxy_ok");
    v->haproxy_error = text(a, j, "haproxy_error");
    v->nodes = (int64_t)num(j, "nodes");
    v->desired = (int64_t)num(j, "desired");
    v->total = (int64_t)num(j, "nodes_total");
    v->joining = (int64_t)num(j, "joining");
    v->leaving = (int64_t)num(j, "leaving");
    v->down = (int64_t)num(j, "down");
    v->load = fmt(a, "%.1f", num(j, "load"));
    v->load_now = fmt(a, "%.1f", num(j, "load_now"));
    const cJSON *cpu = cJSON_GetObjectItem(j, "cpu");
    v->cpu = cJSON_IsNumber(cpu) ? fmt(a, "%.0f %%", cpu->valuedouble * 100) : STR("unknown");
    v->rtime = fmt(a, "%.0f ms", num(j, "response_time_ms"));
    const cJSON *last = cJSON_GetObjectItem(j, "last_decision");
    v->last_action = text(a, last, "action");
    v->last_at = when(a, last, "at");
    v->last_reason = text(a, last, "reason");
    v->last_result = text(a, last, "result");
    v->last_out_at = when(a, j, "last_scale_out_at");
    v->last_in_at = when(a, j, "last_scale_in_at");
    v->now = text(a, j, "now");
    v->min = (int64_t)num(set, "min");
    v->max = (int64_t)num(set, "max");
    v->target = fmt(a, "%g", num(set, "target"));
    v->cpu_target = num(set, "cpu_target") > 0 ? fmt(a, "%.0f %%", num(set, "cpu_target") * 100)
                                               : STR("off: CPU is not a signal");
    v->in_ratio = fmt(a, "%.0f %%", num(set, "scale_in_ratio") * 100);
    v->window = fmt(a, "%g s", num(set, "window_s"));
    v->out_cooldown = fmt(a, "%g s", num(set, "scale_out_cooldown_s"));
    v->in_cooldown = fmt(a, "%g s", num(set, "scale_in_cooldown_s"));
    v->in_window = fmt(a, "%g s", num(set, "scale_in_window_s"));
    const cJSON *servers = cJSON_GetObjectItem(j, "servers");
    size_t n = cJSON_IsArray(servers) ? (size_t)cJSON_GetArraySize(servers) : 0;
    struct view_as_server *sv = arena_calloc(a, n + 1, sizeof *sv);
    size_t k = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, servers)
    {
        if (k == n)
            break;
        sv[k++] =
            (struct view_as_server){text(a, s, "name"),       text(a, s, "status"),
                                    text(a, s, "state"),      (int64_t)num(s, "sessions"),
                                    (int64_t)num(s, "queue"), (int64_t)num(s, "response_time_ms"),
                                    (int64_t)num(s, "weight")};
    }
    v->servers = (struct tpl_list){sv, k, sizeof *sv};
    cJSON_Delete(j);
    return true;
}

void admin_autoscale(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct view_admin_autoscale *v = arena_calloc(x->arena, 1, sizeof *v);
    v->held = http_param_bool(x, "held");
    v->page = http_param_i64(x, "page", 1);
    struct events_row *rows;
    size_t n;
    int rc = events_list(s.db, x->arena, v->held, (v->page - 1) * AUTOSCALE_PAGE, AUTOSCALE_PAGE,
                         &rows, &n, &v->total_events);
    if (rc) {
        front_fail(x, rc);
        return;
    }
    struct view_as_event *ev = arena_calloc(x->arena, n + 1, sizeof *ev);
    for (size_t i = 0; i < n; i++)
        ev[i] = (struct view_as_event){rows[i].id,
                                       rows[i].at,
                                       rows[i].action,
                                       rows[i].load,
                                       rows[i].cpu,
                                       rows[i].reason,
                                       rows[i].result,
                                       rows[i].host,
                                       rows[i].nodes_before,
                                       rows[i].nodes_after,
                                       str_starts_with(rows[i].action, STR("failed"))};
    v->events = (struct tpl_list){ev, n, sizeof *ev};
    v->pages = v->total_events ? (v->total_events + AUTOSCALE_PAGE - 1) / AUTOSCALE_PAGE : 1;
    v->prev = v->page > 1 ? v->page - 1 : 0;
    v->next = v->page < v->pages ? v->page + 1 : 0;

    const char *url = front_cfg(x)->autoscale_status_url;
    v->status_url = str_from_cstr(url ? url : "");
    if (!url || !*url) {
        v->notice = STR("autoscale.status_url is not set: the autoscaler's live state is not "
                        "shown (its decisions below come from the database).");
    } else {
        struct buf body;
        buf_init(&body, AUTOSCALE_STATUS);
        char *status = arena_sprintf(x->arena, "%s/status", url);
        v->reachable = fetch_get(status, 1500, &body) == 0 && state(x->arena, buf_str(&body), v);
        buf_free(&body);
        if (!v->reachable)
            v->notice = str_from_cstr(arena_sprintf(
                x->arena,
                "The autoscaler does not answer at %s: it is stopped or starting. No node is "
                "added or removed while it is down (./stampede status; ./stampede up starts it).",
                status));
    }
    v->layout = front_layout(x, STR("Autoscaler"));
    http_resp_header(x, "Cache-Control", STR("no-store"));
    x->resp.status = 200;
    front_render(x, "admin/autoscale.html", v);
}

/*
 * dashboard — the live dashboard (admins only): the last hour and the last five minutes of
 * what tells the story of a release, read from Prometheus's HTTP API on the server side
 * (front/prom.h) and drawn as inline SVG (no script, no chart library); the page refreshes
 * itself every 15 s. Without Prometheus (monitoring off, or down) it says so.
 */
#include "admin/admin.h"

#include "core/buf.h"
#include "core/clock.h"
#include "front/prom.h"

#include <stdio.h>

#define W 320 /* the plot's view box */
#define H 90

/* the routes that are not the shop's traffic: Prometheus's scrapes and HAProxy's checks (as in
 * the ShopHighLatencyP99 rule) */
#define SHOP_ROUTES "route!~\"metrics|healthz|readyz\""

/* memcached lookups only: a near copy (cache/near.h) is no memcached hit, so the ratio falls to
 * 0 when memcached is lost; no lookups at all is no point rather than a ratio of 0 */
#define MC_LOOKUPS                                                                    \
    "sum(rate(stampede_cache_hits_total[1m]) + rate(stampede_cache_misses_total[1m])" \
    " + rate(stampede_cache_lookup_errors_total[1m]))"

static const struct panel {
    const char *title, *unit, *query;
} panels[] = {
    {"Requests", "req/s", "sum(rate(stampede_http_requests_total{" SHOP_ROUTES "}[1m]))"},
    {"Latency p99", "ms",
     "1000 * histogram_quantile(0.99, sum by (le) "
     "(rate(stampede_http_request_duration_seconds_bucket{" SHOP_ROUTES "}[1m])))"},
    {"Server errors (5xx)", "req/s", "sum(rate(stampede_http_requests_total{code=\"5xx\"}[1m]))"},
    {"Orders placed", "orders/s", "sum(rate(stampede_checkout_total{outcome=\"ok\"}[1m]))"},
    {"Pairs left per live drop", "pairs", "max by (drop) (stampede_drop_pairs_left)"},
    {"Queue length per drop", "shoppers", "max by (drop) (stampede_drop_queue_waiting)"},
    {"memcached hit ratio", "", "sum(rate(stampede_cache_hits_total[1m])) / (" MC_LOOKUPS " > 0)"},
    /* min over the nodes: a server one node cannot reach counts as down */
    {"memcached servers up", "up", "min by (server) (stampede_cache_server_up)"},
    {"Replica lag", "s", "max(mysql_slave_status_seconds_behind_master)"},
};

static const char *const colors[] = {"#d9480f", "#1864ab", "#2b8a3e", "#862e9c", "#e67700",
                                     "#0b7285", "#c2255c", "#495057", "#5c940d"};

static struct str fmt_value(struct http_ex *x, double v)
{
    if (v >= 1000)
        return str_from_cstr(arena_sprintf(x->arena, "%.0f", v));
    if (v >= 10)
        return str_from_cstr(arena_sprintf(x->arena, "%.1f", v));
    return str_from_cstr(arena_sprintf(x->arena, "%.3g", v));
}

/* plot: one window of one panel */
static bool plot(struct http_ex *x, const struct panel *p, int64_t span, int64_t step,
                 struct view_admin_plot *out)
{
    const char *url = front_cfg(x)->prometheus_url;
    int64_t end = clock_real_s(), start = end - span;
    struct prom_series *s;
    size_t n;
    if (prom_range(x->arena, url, p->query, start, end, step, &s, &n))
        return false;
    double max = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < s[i].n; k++)
            if (s[i].v[k] > max)
                max = s[i].v[k];
    if (max <= 0)
        max = 1;
    struct view_admin_line *lines = arena_calloc(x->arena, n + 1, sizeof *lines);
    for (size_t i = 0; i < n; i++) {
        struct buf b;
        buf_init(&b, 1 << 20);
        for (size_t k = 0; k < s[i].n; k++) {
            double px = (s[i].t[k] - (double)start) * W / (double)span;
            double py = H - s[i].v[k] * (H - 4) / max;
            buf_printf(&b, "%s%.1f,%.1f", k ? " " : "", px, py);
        }
        lines[i] = (struct view_admin_line){
            .label = s[i].label,
            .points = arena_str_dup(x->arena, buf_str(&b)),
            .color = str_from_cstr(colors[i % (sizeof colors / sizeof colors[0])]),
            .last = s[i].n ? fmt_value(x, s[i].v[s[i].n - 1]) : STR("—"),
        };
        buf_free(&b);
    }
    out->lines = (struct tpl_list){lines, n, sizeof *lines};
    out->max = fmt_value(x, max);
    out->empty = n == 0;
    return true;
}

void admin_dashboard(struct http_ex *x)
{
    size_t np = sizeof panels / sizeof panels[0];
    struct view_admin_panel *vp = arena_calloc(x->arena, np + 1, sizeof *vp);
    struct view_admin_dashboard *v = arena_calloc(x->arena, 1, sizeof *v);
    v->available = true;
    for (size_t i = 0; i < np && v->available; i++) {
        vp[i].title = str_from_cstr(panels[i].title);
        vp[i].unit = str_from_cstr(panels[i].unit);
        vp[i].query = str_from_cstr(panels[i].query);
        vp[i].hour = arena_calloc(x->arena, 1, sizeof *vp[i].hour);
        vp[i].minutes = arena_calloc(x->arena, 1, sizeof *vp[i].minutes);
        v->available =
            plot(x, &panels[i], 3600, 30, vp[i].hour) && plot(x, &panels[i], 300, 5, vp[i].minutes);
    }
    v->panels = (struct tpl_list){vp, v->available ? np : 0, sizeof *vp};
    v->configured = front_cfg(x)->prometheus_url && *front_cfg(x)->prometheus_url;
    v->layout = front_layout(x, STR("Dashboard"));
    http_resp_header(x, "Cache-Control", STR("no-store"));
    front_render(x, "admin/dashboard.html", v);
}

/*
 * drops — scheduling and watching drops (admins only): the list with each drop's crowd and
 * sales, the form that schedules one (times entered in Korean time), cancelling, and the public
 * beacon of a draw. The same operations as `./stampede drop create|cancel` (shop/drop.h).
 * Admins see every drop, also one not yet announced (shoppers do not), with its announce time.
 */
#include "admin/admin.h"

#include "core/clock.h"
#include "shop/drop.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static struct str iso(struct http_ex *x, int64_t ms)
{
    char b[40];
    size_t n = clock_iso8601(ms, b, sizeof b);
    return arena_str_dup(x->arena, (struct str){b, n});
}

/* kst_local: "2026-12-24T18:00" (a datetime-local field, Korean time) to unix ms */
static bool kst_local(struct str s, int64_t *ms)
{
    char b[40], z[48];
    if (s.len < 16 || s.len > 19)
        return false;
    memcpy(b, s.p, s.len);
    b[s.len] = '\0';
    /* as UTC, then nine hours back: Korea has no daylight saving */
    snprintf(z, sizeof z, "%s%sZ", b, s.len == 16 ? ":00" : "");
    int64_t t;
    if (!clock_parse_iso8601(str_from_cstr(z), &t))
        return false;
    *ms = (t - CLOCK_KST_OFFSET_S) * 1000;
    return true;
}

/* announce_time: the optional announce field: empty is "now" (0); false if not a time */
static bool announce_time(struct str s, int64_t *ms)
{
    *ms = 0;
    return s.len == 0 || kst_local(s, ms);
}

/* local_kst: unix ms as a datetime-local value in Korean time ("2026-12-24T18:00") */
static struct str local_kst(struct http_ex *x, int64_t ms)
{
    char b[40];
    size_t n = clock_iso8601(ms + CLOCK_KST_OFFSET_S * 1000LL, b, sizeof b);
    return arena_str_dup(x->arena, (struct str){b, n < 16 ? n : 16});
}

/* announce_words: a drop's stored announce time (0: when created), for the audit log */
static const char *announce_words(struct http_ex *x, int64_t ms)
{
    if (!ms)
        return "when created";
    char b[40];
    clock_iso8601(ms, b, sizeof b);
    return arena_sprintf(x->arena, "%s", b);
}

static void render(struct http_ex *x, int status, struct view_admin_drops *v)
{
    struct shop_ctx s = front_shop(x);
    struct drop *ds;
    size_t n;
    int64_t now;
    int rc = drop_list(&s, true, &ds, &n);
    if (!rc)
        rc = drop_now_ms(&s, &now);
    if (rc) {
        front_fail(x, rc);
        return;
    }
    struct view_admin_drop_row *rows = arena_calloc(x->arena, n + 1, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        const struct drop *d = &ds[i];
        struct drop_stats st = {0};
        if ((rc = drop_stats(&s, d, &st))) {
            front_fail(x, rc);
            return;
        }
        enum drop_state state = drop_state(d, now);
        int64_t announce = drop_announce_time(d);
        rows[i] = (struct view_admin_drop_row){
            .id = d->id,
            .slug = d->slug,
            .name = d->name,
            .kind = str_from_cstr(drop_kind_name(d->kind)),
            .state = str_from_cstr(d->cancelled_at ? "cancelled" : drop_state_name(state)),
            .commitment = d->commitment,
            .beacon = d->beacon,
            .announce_at = iso(x, announce),
            .opens_at = iso(x, d->opens_at),
            .starts_at = iso(x, d->starts_at),
            .closes_at = iso(x, d->closes_at),
            .announced = drop_announced(d, now),
            .queue = d->kind == DROP_QUEUE,
            .draw = d->kind == DROP_DRAW,
            .can_cancel = !d->cancelled_at && !d->drawn_at && drop_live(d, now),
            .can_beacon = d->kind == DROP_DRAW && !d->cancelled_at && !d->drawn_at,
            .can_edit = !d->cancelled_at && now < d->opens_at,
            .announce_local = drop_announced(d, now) ? STR_NULL : local_kst(x, announce),
            .opens_local = local_kst(x, d->opens_at),
            .starts_local = local_kst(x, d->starts_at),
            .closes_local = local_kst(x, d->closes_at),
            .rate = d->admit_per_second,
            .limit = d->per_account_limit,
            .window_s = d->purchase_window_s,
            .window_min = d->purchase_window_s / 60,
            .joined = st.joined,
            .admitted = st.admitted,
            .orders = st.orders,
            .paid = st.paid,
            .serving = d->serving,
            .next_place = d->next_place,
        };
    }
    v->drops = (struct tpl_list){rows, n, sizeof *rows};
    v->csrf = front_csrf_token(x);
    if (!v->f_rate)
        v->f_rate = 10;
    if (!v->f_limit)
        v->f_limit = 1;
    if (!v->f_window)
        v->f_window = 10;
    v->layout = front_layout(x, STR("Drops"));
    x->resp.status = status;
    http_resp_header(x, "Cache-Control", STR("no-store"));
    front_render(x, "admin/drops.html", v);
}

void admin_drops(struct http_ex *x)
{
    struct view_admin_drops *v = arena_calloc(x->arena, 1, sizeof *v);
    if (http_param_has(x, "created"))
        v->notice = str_from_cstr(arena_sprintf(x->arena, "Drop #%" PRId64 " is scheduled.",
                                                http_param_i64(x, "created", 0)));
    struct str done = http_param_str(x, "done");
    if (str_eq_cstr(done, "cancelled"))
        v->notice = STR("The drop is cancelled; its sizes are back on ordinary sale.");
    else if (str_eq_cstr(done, "edited"))
        v->notice = STR("The drop is changed.");
    else if (str_eq_cstr(done, "beacon"))
        v->notice = STR("The beacon is saved; the draw will mix it into its key.");
    render(x, 200, v);
}

void admin_drop_create(struct http_ex *x)
{
    struct view_admin_drops *v = arena_calloc(x->arena, 1, sizeof *v);
    v->f_slug = http_param_str(x, "product");
    v->f_kind = http_param_str(x, "kind");
    v->f_draw = str_eq_cstr(v->f_kind, "draw");
    v->f_announce = http_param_str(x, "announce_at");
    v->f_opens = http_param_str(x, "opens_at");
    v->f_starts = http_param_str(x, "starts_at");
    v->f_closes = http_param_str(x, "closes_at");
    v->f_rate = http_param_i64(x, "admit_per_second", 10);
    v->f_limit = http_param_i64(x, "limit", 1);
    v->f_window = http_param_i64(x, "window_minutes", 10);
    struct drop_new n = {.slug = v->f_slug,
                         .admit_per_second = v->f_rate,
                         .per_account_limit = v->f_limit,
                         .purchase_window_s = v->f_window * 60,
                         .actor = front_req(x)->session.email};
    if (!drop_kind_parse(v->f_kind, &n.kind)) {
        v->error = STR("Choose a kind: waiting room (queue) or draw.");
        render(x, 400, v);
        return;
    }
    if (!announce_time(v->f_announce, &n.announce_at) || !kst_local(v->f_opens, &n.opens_at) ||
        !kst_local(v->f_closes, &n.closes_at) ||
        (n.kind == DROP_QUEUE && !kst_local(v->f_starts, &n.starts_at))) {
        v->error = STR("Enter every time as a date and time (Korean time).");
        render(x, 400, v);
        return;
    }
    struct shop_ctx s = front_shop(x);
    struct shop_problem problem = {0};
    int64_t id;
    int rc = drop_create(&s, &n, &id, &problem);
    if (rc == SHOP_OK) {
        struct drop made; /* the announce time as stored ("now" is kept as "when created") */
        const char *ann = drop_get(&s, id, &made) ? "?" : announce_words(x, made.announce_at);
        admin_audit(x, "drop_create", str_from_cstr(arena_sprintf(x->arena, "drop:%" PRId64, id)),
                    str_from_cstr(arena_sprintf(x->arena, "%.*s %.*s; announce_at %s",
                                                STR_FMT(v->f_kind), STR_FMT(v->f_slug), ann)));
        front_redirectf(x, "/admin/drops?created=%" PRId64, id);
        return;
    }
    if (rc < 0) {
        front_fail(x, rc);
        return;
    }
    x->error_code = front_outcome(rc)->code;
    v->error = str_from_cstr(front_outcome_message(x, rc, &problem));
    render(x, front_outcome(rc)->status, v);
}

void admin_drop_edit(struct http_ex *x)
{
    struct view_admin_drops *v = arena_calloc(x->arena, 1, sizeof *v);
    struct shop_ctx s = front_shop(x);
    struct drop d;
    int64_t id = http_param_i64(x, "id", 0);
    int rc = drop_get(&s, id, &d);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    struct drop_new n = {.admit_per_second = http_param_i64(x, "admit_per_second", 10),
                         .per_account_limit = http_param_i64(x, "limit", 1),
                         .purchase_window_s = http_param_i64(x, "window_minutes", 10) * 60,
                         .actor = front_req(x)->session.email};
    if (!announce_time(http_param_str(x, "announce_at"), &n.announce_at) ||
        !kst_local(http_param_str(x, "opens_at"), &n.opens_at) ||
        !kst_local(http_param_str(x, "closes_at"), &n.closes_at) ||
        (d.kind == DROP_QUEUE && !kst_local(http_param_str(x, "starts_at"), &n.starts_at))) {
        v->error = STR("Enter every time as a date and time (Korean time).");
        render(x, 400, v);
        return;
    }
    struct shop_problem problem = {0};
    rc = drop_edit(&s, id, &n, &problem);
    if (rc == SHOP_OK) {
        /* the announce time as stored (the edit resolves "now" and keeps a past one) */
        struct drop after;
        const char *ann = drop_get(&s, id, &after) ? "?" : announce_words(x, after.announce_at);
        admin_audit(x, "drop_edit", str_from_cstr(arena_sprintf(x->arena, "drop:%" PRId64, id)),
                    str_from_cstr(arena_sprintf(x->arena, "announce_at %s", ann)));
        http_resp_redirect(x, 303, STR("/admin/drops?done=edited"));
        return;
    }
    if (rc < 0) {
        front_fail(x, rc);
        return;
    }
    x->error_code = front_outcome(rc)->code;
    v->error = str_from_cstr(front_outcome_message(x, rc, &problem));
    render(x, front_outcome(rc)->status, v);
}

void admin_drop_cancel(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    int rc = drop_cancel(&s, id, front_req(x)->session.email);
    if (rc != SHOP_OK) {
        front_answer(x, rc, NULL);
        return;
    }
    admin_audit(x, "drop_cancel", str_from_cstr(arena_sprintf(x->arena, "drop:%" PRId64, id)),
                STR_NULL);
    http_resp_redirect(x, 303, STR("/admin/drops?done=cancelled"));
}

void admin_drop_beacon(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    int rc = drop_set_beacon(&s, id, http_param_str(x, "beacon"));
    if (rc != SHOP_OK) {
        front_answer(x, rc, NULL);
        return;
    }
    admin_audit(x, "drop_beacon", str_from_cstr(arena_sprintf(x->arena, "drop:%" PRId64, id)),
                http_param_str(x, "beacon"));
    http_resp_redirect(x, 303, STR("/admin/drops?done=beacon"));
}

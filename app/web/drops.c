/*
 * drops — limited releases for shoppers: the list and the drop page, the waiting room (join,
 * poll) and buying with an admission (pages and JSON, DESIGN.md "Drops (v1)"). The draw's
 * entries, results and proofs are in draws.c.
 *
 * The poll is the hottest request of a drop and reads no database in steady state:
 *   - who and where: the queue ticket, a value signed by the shop (shop/admission.h,
 *     ticket_sign: one HMAC to check) that names the account, the drop and the place, given when
 * the shopper joins (cookie stampede_q_<id>, or the Queue-Ticket header for apps). The route skips
 *     the session lookup (FRONT_LAZY_SESSION); the ticket is the proof.
 *   - the queue: the board the batch tick writes to memcached (shop/queue.h), kept by the
 *     thread for up to BOARD_KEEP_MS.
 *   - admitted: the admission token (cookie stampede_adm_<id> or Drop-Admission) says so.
 * The database is read only at transitions: a pre-queue ticket after the shuffle (to learn the
 * place), the first poll after admission (to sign the admission), a board memcached lost, or
 * a poll without a ticket. stampede_drop_poll_db_reads_total counts those reads.
 */
#include "web/web.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/sec.h"
#include "shop/admission.h"
#include "shop/drop.h"
#include "shop/queue.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define BOARD_KEEP_MS 200 /* a thread reuses a board this long (the tick runs every 250 ms) */

/* ---------------------------------------------------------------- tokens */

static const char *cookie_name(struct http_ex *x, const char *prefix, int64_t drop_id)
{
    return arena_sprintf(x->arena, "%s%" PRId64, prefix, drop_id);
}

/* the tokens a poll carries: headers for apps (the API poll route declares them), cookies for
 * browsers */
static struct str ticket_sent(struct http_ex *x, int64_t drop_id)
{
    struct str t = x->req.is_api ? http_param_str(x, "Queue-Ticket") : STR_NULL;
    return t.len ? t : http_cookie(x, cookie_name(x, "stampede_q_", drop_id));
}

static struct str admission_sent(struct http_ex *x, int64_t drop_id)
{
    struct str t = x->req.is_api ? http_param_str(x, "Drop-Admission") : STR_NULL;
    return t.len ? t : http_cookie(x, cookie_name(x, "stampede_adm_", drop_id));
}

/* give_token: signs a ticket or an admission and sets its cookie (HttpOnly, until exp) */
static struct str give_token(struct http_ex *x, const uint8_t *key, const char *prefix,
                             const struct admission *a)
{
    struct str tok;
    if (admission_sign(key, a, x->arena, &tok))
        return STR_NULL;
    int64_t age = a->expires_s - clock_real_s();
    struct http_cookie_opts o = {age > 0 ? age : 0, true, false, "Lax"};
    http_resp_cookie(x, cookie_name(x, prefix, a->drop_id), tok, &o);
    return tok;
}

static struct str give_ticket(struct http_ex *x, const struct queue_place *p,
                              const struct queue_board *b)
{
    struct admission a = {
        p->account_id, p->drop_id, p->place, clock_real_s(), b->closes_at / 1000 + 3600, p->ref};
    struct str tok = ticket_sign(front_shop(x).rules->ticket_key, &a, x->arena);
    struct http_cookie_opts o = {a.expires_s - a.issued_s, true, false, "Lax"};
    http_resp_cookie(x, cookie_name(x, "stampede_q_", a.drop_id), tok, &o);
    return tok;
}

static struct str give_admission(struct http_ex *x, const struct queue_place *p)
{
    struct admission a = {p->account_id,  p->drop_id,           p->place,
                          clock_real_s(), p->expires_at / 1000, p->ref};
    return give_token(x, front_shop(x).rules->admission_key, "stampede_adm_", &a);
}

/* ---------------------------------------------------------------- the board */

static struct metric *m_polls, *m_poll_db;

void web_drops_metrics(void)
{
    m_polls = metrics_counter("stampede_drop_polls_total", "",
                              "Queue status polls answered (JSON polls and waiting-page loads).");
    m_poll_db = metrics_counter("stampede_drop_poll_db_reads_total", "",
                                "Queue polls and waiting-page loads of a ticket holder that had "
                                "to read the database (transitions, a board or drop row missing "
                                "from memcached, no ticket).");
}

static _Thread_local struct {
    int64_t at_ns;
    struct queue_board b;
} kept[8];

static int board(struct http_ex *x, int64_t drop_id, struct queue_board *b, bool *db_read)
{
    int64_t now = clock_mono_ns();
    size_t slot = (size_t)drop_id % (sizeof kept / sizeof kept[0]);
    if (kept[slot].b.drop_id == drop_id && now - kept[slot].at_ns < BOARD_KEEP_MS * 1000000LL) {
        *b = kept[slot].b;
        return 0;
    }
    struct shop_ctx s = front_shop(x);
    int rc = queue_board_get(&s, drop_id, b);
    if (rc) {
        *db_read = true;
        if ((rc = queue_board_load(&s, drop_id, b)))
            return rc;
    }
    kept[slot].b = *b;
    kept[slot].at_ns = now;
    return 0;
}

/* ---------------------------------------------------------------- the waiting room */

struct standing {
    struct queue_board b;
    struct queue_view v;
    struct str ticket;    /* given now (empty: the shopper's own is still good) */
    struct str admission; /* given now */
    int64_t admission_expires_at;
    int64_t order_id;
    struct str ref;
};

/* from_place: the view for a place read from the database, with the tokens it earns */
static void from_place(struct http_ex *x, const struct queue_place *p, struct standing *st,
                       int64_t now_ms)
{
    bool admitted = p->admitted_at && !p->order_id && p->expires_at > now_ms;
    bool lapsed = p->admitted_at && !p->order_id && !admitted;
    queue_view(&st->b, p->place, admitted || p->order_id, lapsed, now_ms, &st->v);
    st->ticket = give_ticket(x, p, &st->b);
    st->ref = p->ref;
    st->order_id = p->order_id;
    if (admitted) {
        st->admission = give_admission(x, p);
        st->admission_expires_at = p->expires_at;
    }
}

/* stand: where the asking shopper stands; join first when asked to (signed in). Reads the
 * database only at transitions (above). */
static int stand(struct http_ex *x, int64_t drop_id, bool join, struct standing *st)
{
    struct shop_ctx s = front_shop(x);
    const struct shop_rules *rules = s.rules;
    int64_t now_ms = clock_real_ms();
    bool db_read = false;
    memset(st, 0, sizeof *st);
    struct queue_place p;
    int rc;
    if (join) {
        struct front_req *r = front_req(x);
        if ((rc = queue_join(&s, drop_id, r->session.account_id, web_drop_client_ip(x), &p)) ||
            (rc = board(x, drop_id, &st->b, &db_read)))
            return rc;
        from_place(x, &p, st, now_ms);
        return 0;
    }
    metric_inc(m_polls);
    if ((rc = board(x, drop_id, &st->b, &db_read)))
        goto out;
    struct admission t, a;
    bool ticket =
        ticket_read(rules->ticket_key, ticket_sent(x, drop_id), drop_id, now_ms / 1000, &t);
    if (ticket && (t.place > 0 || !st->b.shuffled)) {
        bool reached = t.place > 0 && t.place <= st->b.serving;
        if (!reached) {
            queue_view(&st->b, t.place, false, false, now_ms, &st->v);
            st->ref = arena_str_dup(x->arena, t.ref);
            goto out;
        }
        if (admission_verify(rules->admission_key, admission_sent(x, drop_id), t.account_id,
                             drop_id, now_ms / 1000, x->arena, &a)) {
            queue_view(&st->b, t.place, true, false, now_ms, &st->v);
            st->admission_expires_at = a.expires_s * 1000;
            st->ref = arena_str_dup(x->arena, t.ref);
            goto out;
        }
    }
    /* a transition, or no ticket: the database says where the shopper stands */
    int64_t account = ticket ? t.account_id : 0;
    if (!account) {
        if (!front_load_session(x)) {
            rc = front_req(x)->session_unknown ? ERR_DB : SHOP_NOT_IN_QUEUE;
            goto out;
        }
        account = front_req(x)->session.account_id;
    }
    db_read = true;
    if ((rc = queue_place_get(&s, drop_id, account, &p)))
        goto out;
    from_place(x, &p, st, now_ms);
out:
    if (db_read)
        metric_inc(m_poll_db);
    return rc;
}

/* token_safe: only characters JSON carries as they are (refs, tickets, admissions, times) */
static bool token_safe(struct str s)
{
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    }
    return true;
}

static void json_field(struct buf *b, const char *name, struct str v)
{
    buf_printf(b, ",\"%s\":\"%.*s\"", name, STR_FMT(v));
}

static void json_num(struct buf *b, const char *name, int64_t v, bool known)
{
    if (known)
        buf_printf(b, ",\"%s\":%lld", name, (long long)v);
    else
        buf_printf(b, ",\"%s\":null", name);
}

/*
 * answer_standing: the status body (DESIGN.md, Drops (v1)). Written straight into the response
 * (the poll is the hottest request of a drop; every string in it is a token of the characters
 * token_safe allows, checked).
 */
static void answer_standing(struct http_ex *x, const struct standing *st)
{
    char iso[40] = "";
    if (st->admission_expires_at)
        clock_iso8601(st->admission_expires_at, iso, sizeof iso);
    struct str exp = str_from_cstr(iso);
    if (!token_safe(st->ref) || !token_safe(st->ticket) || !token_safe(st->admission)) {
        front_fail(x, ERR_INTERNAL);
        return;
    }
    struct buf *b = x->resp.body;
    buf_reset(b);
    x->resp.status = 200;
    x->resp.content_type = "application/json";
    buf_printf(b, "{\"state\":\"%s\"", queue_state_name(st->v.state));
    json_num(b, "position", st->v.position, st->v.position > 0);
    json_num(b, "ahead", st->v.ahead, st->v.position > 0);
    json_num(b, "eta_seconds", st->v.eta_s, st->v.eta_s >= 0);
    json_num(b, "poll_after_ms", st->v.poll_after_ms, true);
    if (st->v.starts_in_s > 0)
        json_num(b, "starts_in_seconds", st->v.starts_in_s, true);
    if (st->ref.len)
        json_field(b, "ref", st->ref);
    if (st->ticket.len)
        json_field(b, "ticket", st->ticket);
    if (st->admission.len)
        json_field(b, "admission", st->admission);
    if (exp.len)
        json_field(b, "admission_expires_at", exp);
    if (st->order_id)
        json_num(b, "order_id", st->order_id, true);
    json_num(b, "pairs_left", st->b.available, true);
    buf_append_cstr(b, "}");
}

void api_drop_queue_join(struct http_ex *x)
{
    struct standing st;
    int rc = stand(x, http_param_i64(x, "id", 0), true, &st);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    answer_standing(x, &st);
}

void api_drop_queue(struct http_ex *x)
{
    struct standing st;
    int rc = stand(x, http_param_i64(x, "id", 0), false, &st);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    http_resp_header(x, "Cache-Control", STR("no-store"));
    answer_standing(x, &st);
}

/* ---------------------------------------------------------------- drops as JSON */

static void add_time(cJSON *o, const char *name, int64_t ms)
{
    char iso[40];
    clock_iso8601(ms, iso, sizeof iso);
    cJSON_AddStringToObject(o, name, iso);
}

static cJSON *drop_json(const struct drop *d, int64_t now, bool full)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)d->id);
    cJSON *p = cJSON_AddObjectToObject(o, "product");
    cJSON_AddItemToObject(p, "slug", front_json_str(d->slug));
    cJSON_AddItemToObject(p, "name", front_json_str(d->name));
    cJSON_AddStringToObject(o, "kind", drop_kind_name(d->kind));
    cJSON_AddStringToObject(o, "state", drop_state_name(drop_state(d, now)));
    add_time(o, "opens_at", d->opens_at);
    add_time(o, "starts_at", d->starts_at);
    add_time(o, "closes_at", d->closes_at);
    if (full) {
        cJSON_AddItemToObject(o, "commitment", front_json_str(d->commitment));
        cJSON_AddNumberToObject(o, "price", (double)d->price_krw);
        cJSON_AddNumberToObject(o, "per_account_limit", (double)d->per_account_limit);
        cJSON_AddNumberToObject(o, "purchase_window_seconds", (double)d->purchase_window_s);
        if (d->kind == DROP_QUEUE)
            cJSON_AddNumberToObject(o, "admit_per_second", (double)d->admit_per_second);
    }
    return o;
}

void api_drops(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct drop *ds;
    size_t n;
    int64_t now;
    int rc = drop_list(&s, false, &ds, &n);
    if (!rc)
        rc = drop_now_ms(&s, &now);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "drops");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, drop_json(&ds[i], now, false));
    http_resp_json(x, 200, root);
}

/* one_drop: the {id} drop, announced and not cancelled; false when it has answered */
static bool one_drop(struct http_ex *x, struct drop *d, int64_t *now)
{
    struct shop_ctx s = front_shop(x);
    int rc = drop_get_public(&s, http_param_i64(x, "id", 0), d);
    if (!rc && d->cancelled_at)
        rc = SHOP_DROP_NOT_FOUND;
    if (!rc)
        rc = drop_now_ms(&s, now);
    if (rc)
        front_answer(x, rc, NULL);
    return rc == 0;
}

void api_drop(struct http_ex *x)
{
    struct drop d;
    int64_t now;
    if (one_drop(x, &d, &now))
        http_resp_json(x, 200, drop_json(&d, now, true));
}

/* ---------------------------------------------------------------- pages */

static const char *when_kst(struct http_ex *x, int64_t ms)
{
    char buf[CLOCK_KST_MAX];
    clock_kst(ms / 1000, buf, sizeof buf);
    return arena_sprintf(x->arena, "%s", buf);
}

static struct str iso(struct http_ex *x, int64_t ms)
{
    char buf[40];
    size_t n = clock_iso8601(ms, buf, sizeof buf);
    return arena_str_dup(x->arena, (struct str){buf, n});
}

static void fill_drop_row(struct http_ex *x, const struct drop *d, int64_t now,
                          struct view_drop_row *r)
{
    enum drop_state st = drop_state(d, now);
    *r = (struct view_drop_row){
        .id = d->id,
        .slug = d->slug,
        .name = d->name,
        .image_url = front_asset_url(x, d->image),
        .price = d->price_krw,
        .kind = str_from_cstr(drop_kind_name(d->kind)),
        .queue = d->kind == DROP_QUEUE,
        .state = str_from_cstr(drop_state_name(st)),
        .state_label = str_from_cstr(web_drop_state_label(st, d->kind)),
        .opens_at = iso(x, d->opens_at),
        .starts_at = iso(x, d->starts_at),
        .closes_at = iso(x, d->closes_at),
        .opens_kst = str_from_cstr(when_kst(x, d->opens_at)),
        .starts_kst = str_from_cstr(when_kst(x, d->starts_at)),
        .closes_kst = str_from_cstr(when_kst(x, d->closes_at)),
    };
}

const char *web_drop_state_label(enum drop_state s, enum drop_kind k)
{
    switch (s) {
    case DROP_UPCOMING:
        return k == DROP_QUEUE ? "Queue opens soon" : "Entries open soon";
    case DROP_PREQUEUE:
        return "Queue open — the sale starts soon";
    case DROP_OPEN:
        return k == DROP_QUEUE ? "On sale now" : "Entries open";
    case DROP_SOLD_OUT:
        return "Sold out";
    case DROP_CLOSED:
        return k == DROP_QUEUE ? "Closed" : "Entries closed — draw soon";
    case DROP_DRAWN:
        return "Drawn — results are out";
    }
    return "Closed";
}

void page_drops(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct drop *ds;
    size_t n;
    int64_t now;
    int rc = drop_list(&s, false, &ds, &n);
    if (!rc)
        rc = drop_now_ms(&s, &now);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    struct view_drops *v = arena_calloc(x->arena, 1, sizeof *v);
    struct view_drop_row *rows = arena_calloc(x->arena, n + 1, sizeof *rows);
    for (size_t i = 0; i < n; i++)
        fill_drop_row(x, &ds[i], now, &rows[i]);
    v->drops = (struct tpl_list){rows, n, sizeof *rows};
    v->empty = n == 0;
    v->layout = front_layout(x, STR("Drops"));
    front_render(x, "drops.html", v);
}

/* the sizes of the drop's product, for the buy form of an admitted shopper */
static void sizes(struct http_ex *x, const struct drop *d, struct view_drop *v)
{
    struct shop_ctx s = front_shop(x);
    struct drop_size *z;
    size_t n;
    if (drop_sizes(&s, d->product_id, &z, &n))
        return;
    struct view_drop_size *rows = arena_calloc(x->arena, n + 1, sizeof *rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = (struct view_drop_size){z[i].sku_id, z[i].size_mm, z[i].available > 0};
    v->sizes = (struct tpl_list){rows, n, sizeof *rows};
}

/*
 * page_drop_row: the {id} drop for the waiting page without the database in steady state: the
 * row from the entity cache (shop/drop.h, drop_get_cached), and for a queue what moves on its
 * own (times, the shuffle, sold out, cancelled) from the board every poll reads. *db_read says
 * whether either had to read the database. A draw's page reads its row fresh (its entries and
 * results are read there anyway). A drop not yet announced is not there (SHOP_DROP_NOT_FOUND,
 * as for an unknown id), before its kind or its board are looked at.
 */
static int page_drop_row(struct http_ex *x, int64_t id, struct drop *d, bool *db_read)
{
    struct shop_ctx s = front_shop(x);
    int rc = drop_get_cached(&s, id, d, db_read);
    if (rc)
        return rc;
    if (!drop_announced(d, clock_real_ms()))
        return SHOP_DROP_NOT_FOUND;
    if (d->kind == DROP_DRAW) {
        *db_read = true;
        rc = drop_get_public(&s, id, d);
    } else {
        struct queue_board b;
        if ((rc = board(x, id, &b, db_read)))
            return rc;
        d->opens_at = b.opens_at;
        d->starts_at = b.starts_at;
        d->closes_at = b.closes_at;
        d->serving = b.serving;
        d->next_place = b.next_place;
        d->shuffled_at = b.shuffled ? (d->shuffled_at ? d->shuffled_at : b.updated_at) : 0;
        d->sold_out_at = b.sold_out ? (d->sold_out_at ? d->sold_out_at : b.updated_at) : 0;
        if (b.cancelled && !d->cancelled_at)
            d->cancelled_at = b.updated_at;
    }
    if (!rc && d->cancelled_at)
        rc = SHOP_DROP_NOT_FOUND;
    return rc;
}

/*
 * page_drop: the drop page, and for a queue the shopper's waiting room. The route does not look
 * the session up (FRONT_LAZY_SESSION): a shopper who holds this drop's queue ticket is known by
 * it, as in the JSON poll, so a waiting shopper's reloads (the <noscript> refresh) read no
 * database in steady state; the session is looked up only for visitors without a ticket, an
 * admitted shopper's buy form, and a draw's page. Reads made for a ticket holder count in
 * stampede_drop_poll_db_reads_total, like the poll's.
 */
void page_drop(struct http_ex *x)
{
    int64_t id = http_param_i64(x, "id", 0);
    struct drop d;
    bool db_read = false;
    int rc = page_drop_row(x, id, &d, &db_read);
    struct admission t;
    int64_t now = clock_real_ms();
    bool ticket =
        !rc && d.kind == DROP_QUEUE &&
        ticket_read(front_shop(x).rules->ticket_key, ticket_sent(x, id), id, now / 1000, &t);
    if (ticket && db_read)
        metric_inc(m_poll_db);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    if (d.kind == DROP_DRAW) {
        front_load_session(x);
        web_drop_draw_page(x, &d); /* entries, results and the proof: draw.c */
        return;
    }
    if (ticket)
        front_presume_session(x);
    else
        front_load_session(x);
    struct view_drop *v = arena_calloc(x->arena, 1, sizeof *v);
    v->drop = arena_calloc(x->arena, 1, sizeof *v->drop);
    fill_drop_row(x, &d, now, v->drop);
    v->commitment = d.commitment;
    v->per_account_limit = d.per_account_limit;
    v->window_minutes = d.purchase_window_s / 60;
    v->shuffled = d.shuffled_at != 0;
    v->signed_in = front_req(x)->signed_in || ticket;
    v->proof = d.shuffled_at != 0;
    enum drop_state st = drop_state(&d, now);
    if (v->signed_in) {
        struct standing sd;
        rc = stand(x, d.id, false, &sd);
        if (rc == 0) {
            v->joined = true;
            v->q_state = str_from_cstr(queue_state_name(sd.v.state));
            v->waiting = sd.v.state == QUEUE_WAITING;
            v->admitted = sd.v.state == QUEUE_ADMITTED && !sd.order_id;
            v->bought = sd.order_id;
            v->sold_out = sd.v.state == QUEUE_SOLD_OUT;
            v->closed = sd.v.state == QUEUE_CLOSED;
            v->position = sd.v.position;
            v->ahead = sd.v.ahead;
            v->eta_s = sd.v.eta_s;
            v->eta_min = sd.v.eta_s >= 0 ? (sd.v.eta_s + 59) / 60 : -1;
            v->prequeue = sd.v.position == 0 && sd.v.state == QUEUE_WAITING;
            v->refresh_s = (sd.v.poll_after_ms + 999) / 1000;
            v->pairs_left = sd.b.available;
            /* everyone up to this place may buy the limit each: said plainly when the pairs
             * left cannot reach this place (the estimate alone would promise a turn) */
            v->likely_out = v->waiting && sd.v.position > 0 &&
                            sd.v.position * d.per_account_limit > sd.b.available;
            v->ref = sd.ref;
            if (v->admitted) {
                /* the buy form: a transition, where the session is looked up (its CSRF token
                 * and the checkout need it) and the sizes read */
                front_load_session(x);
                struct str adm = sd.admission.len ? sd.admission : admission_sent(x, d.id);
                v->admission = adm;
                v->admission_until = iso(x, sd.admission_expires_at);
                v->idempotency_key = sec_token(x->arena, 18);
                sizes(x, &d, v);
                if (ticket)
                    metric_inc(m_poll_db);
            }
        } else if (rc != SHOP_NOT_IN_QUEUE) {
            front_answer(x, rc, NULL);
            return;
        }
    }
    v->csrf = front_csrf_token(x);
    v->can_join = !v->joined && (st == DROP_PREQUEUE || st == DROP_OPEN || st == DROP_SOLD_OUT);
    /* without JavaScript the page refreshes itself (a <noscript> meta refresh) until something
     * changes; with it, static/js/drop.js polls the JSON endpoint. No Refresh header: browsers
     * obey it with JavaScript on too, which would reload the page on top of the polling. */
    if (v->waiting || v->sold_out)
        v->refresh = true;
    else if (st == DROP_UPCOMING && d.opens_at - now < 3600 * 1000)
        v->refresh = true, v->refresh_s = (d.opens_at - now) / 1000 + 1;
    http_resp_header(x, "Cache-Control", STR("no-store"));
    v->layout = front_layout(x, d.name);
    front_render(x, "drop.html", v);
}

void page_help_drops(struct http_ex *x)
{
    struct view_help *v = arena_calloc(x->arena, 1, sizeof *v);
    v->accounts_per_address = front_shop(x).rules->drop_accounts_per_address;
    v->layout = front_layout(x, STR("How drops work"));
    front_render(x, "help_drops.html", v);
}

void page_drop_queue_join(struct http_ex *x)
{
    int64_t id = http_param_i64(x, "id", 0);
    struct standing st;
    int rc = stand(x, id, true, &st);
    if (rc == SHOP_ADDRESS_REQUIRED) {
        front_redirectf(x, "/account/address?next=/drops/%" PRId64, id);
        return;
    }
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    front_redirectf(x, "/drops/%" PRId64, id);
}

/* ---------------------------------------------------------------- buying with an admission */

/*
 * web_drop_admission: the drop checkout's admission, if the request carries one (the
 * Drop-Admission header, the admission form field or cookie): *drop_id the drop it admits to.
 * Returns false when there is none; a token that is not valid for the signed-in shopper is
 * not an admission (and the checkout then answers 403 not_admitted for a drop's size).
 */
bool web_drop_admission(struct http_ex *x, int64_t *drop_id)
{
    struct str tok = http_param_str(x, x->req.is_api ? "Drop-Admission" : "admission");
    if (!tok.len)
        return false;
    struct shop_ctx s = front_shop(x);
    struct admission a;
    if (!admission_read(s.rules->admission_key, tok, 0, clock_real_s(), x->arena, &a) ||
        a.account_id != front_req(x)->session.account_id || a.place <= 0) {
        *drop_id = -1; /* present but not valid: still a drop checkout, refused */
        return true;
    }
    *drop_id = a.drop_id;
    return true;
}

/* ---------------------------------------------------------------- the client's address */

struct str web_drop_client_ip(struct http_ex *x)
{
    struct str ip = x->req.client_ip;
    const char *list = front_cfg(x)->drops_exempt_addresses;
    for (const char *p = list ? list : ""; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == ip.len && ip.len && memcmp(p, ip.p, n) == 0)
            return STR_NULL; /* exempt: not counted per address */
        p += n + (end ? 1 : 0);
    }
    return ip;
}

/* ---------------------------------------------------------------- the product page */

#define PRODUCT_DROP_KEEP_MS 2000 /* a thread reuses "which drop governs this product" */

static _Thread_local struct {
    int64_t product_id;
    int64_t at_ns;
    bool found;
    struct drop d;
    char text[512]; /* the drop's strings, copied out of the request arena */
} pd[16];

static struct str keep(char **p, char *end, struct str s)
{
    size_t n = s.len < (size_t)(end - *p) ? s.len : (size_t)(end - *p);
    memcpy(*p, s.p, n);
    struct str out = {*p, n};
    *p += n;
    return out;
}

struct view_drop_row *web_product_drop(struct http_ex *x, int64_t product_id, bool *held)
{
    *held = false;
    int64_t now = clock_mono_ns();
    size_t slot = (size_t)product_id % (sizeof pd / sizeof pd[0]);
    if (pd[slot].product_id != product_id ||
        now - pd[slot].at_ns >= PRODUCT_DROP_KEEP_MS * 1000000LL) {
        struct shop_ctx s = front_shop(x);
        struct drop d;
        int rc = drop_for_product(&s, product_id, &d);
        if (rc && rc != SHOP_DROP_NOT_FOUND)
            return NULL; /* the checkout still refuses a drop's sizes; the page just says less */
        pd[slot].product_id = product_id;
        pd[slot].at_ns = now;
        pd[slot].found = rc == 0;
        if (rc == 0) {
            char *p = pd[slot].text, *end = p + sizeof pd[slot].text;
            pd[slot].d = d;
            pd[slot].d.slug = keep(&p, end, d.slug);
            pd[slot].d.name = keep(&p, end, d.name);
            pd[slot].d.image = keep(&p, end, d.image);
            pd[slot].d.commitment = keep(&p, end, d.commitment);
            pd[slot].d.beacon = STR_NULL;
            pd[slot].d.created_by = STR_NULL;
        }
    }
    if (!pd[slot].found)
        return NULL;
    int64_t now_ms = clock_real_ms();
    if (!drop_announced(&pd[slot].d, now_ms)) {
        *held = true; /* its sizes are the drop's, but the drop is not public yet */
        return NULL;
    }
    struct view_drop_row *r = arena_calloc(x->arena, 1, sizeof *r);
    fill_drop_row(x, &pd[slot].d, now_ms, r);
    return r;
}

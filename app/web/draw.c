/*
 * draw — a draw drop for the shopper: entering (page form and JSON), one's entry and result,
 * and the published proof (JSON for tools/verify_draw.py, and a page that lists it).
 *
 * The drop page (/drops/{id}) shows a draw drop's part with web_drop_draw_view and the partial
 * templates/partials/drop_draw.html; /drops/{id}/draw is that part as a page of its own, where
 * the entry form comes back to.
 */
#include "web/web.h"

#include "core/clock.h"
#include "shop/catalog.h"
#include "shop/draw.h"
#include "shop/drop.h"
#include "shop/entries.h"

#include <cjson/cJSON.h>

static struct str iso(struct http_ex *x, int64_t ms)
{
    if (!ms)
        return STR_NULL;
    char buf[40];
    size_t n = clock_iso8601(ms, buf, sizeof buf);
    return arena_str_dup(x->arena, (struct str){buf, n});
}

/* ---------------------------------------------------------------- JSON API */

void api_drop_enter(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct front_req *req = front_req(x);
    struct entry e;
    int rc = entries_enter(&s, http_param_i64(x, "id", 0), req->session.account_id,
                           http_param_i64(x, "sku_id", 0), web_drop_client_ip(x), &e);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "ref", front_json_str(e.ref));
    cJSON_AddNumberToObject(o, "sku_id", (double)e.sku_id);
    cJSON_AddNumberToObject(o, "size", (double)e.size_mm);
    cJSON_AddStringToObject(o, "result", "pending");
    http_resp_json(x, 201, o);
}

void api_drop_entry(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct entry e;
    int rc = entries_get(&s, http_param_i64(x, "id", 0), front_req(x)->session.account_id, &e);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "ref", front_json_str(e.ref));
    cJSON_AddNumberToObject(o, "sku_id", (double)e.sku_id);
    cJSON_AddNumberToObject(o, "size", (double)e.size_mm);
    cJSON_AddItemToObject(o, "result", front_json_str(e.result));
    if (e.order_id)
        cJSON_AddNumberToObject(o, "order_id", (double)e.order_id);
    if (e.draw_place)
        cJSON_AddNumberToObject(o, "place", (double)e.draw_place);
    http_resp_json(x, 200, o);
}

/* proof: the drop's proof, or an answer already given (false) */
static bool proof(struct http_ex *x, struct entries_proof *p)
{
    struct shop_ctx s = front_shop(x);
    int rc = entries_proof(&s, http_param_i64(x, "id", 0), p);
    if (rc)
        front_answer(x, rc, NULL);
    return rc == 0;
}

void api_drop_proof(struct http_ex *x)
{
    struct entries_proof p;
    if (!proof(x, &p))
        return;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "algorithm", DRAW_ALGORITHM);
    cJSON_AddItemToObject(o, "commitment", front_json_str(p.commitment));
    cJSON_AddItemToObject(o, "seed", front_json_str(p.seed));
    cJSON_AddItemToObject(o, "entries_digest", front_json_str(p.digest));
    if (p.beacon.len)
        cJSON_AddItemToObject(o, "beacon", front_json_str(p.beacon));
    else
        cJSON_AddNullToObject(o, "beacon");
    cJSON *stock = cJSON_AddObjectToObject(o, "stock");
    for (size_t i = 0; i < p.nstock; i++)
        cJSON_AddNumberToObject(stock,
                                arena_sprintf(x->arena, "%lld", (long long)p.stock[i].sku_id),
                                (double)p.stock[i].n);
    cJSON *entries = cJSON_AddArrayToObject(o, "entries");
    for (size_t i = 0; i < p.n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToObject(e, "ref", front_json_str(p.entries[i].ref));
        cJSON_AddNumberToObject(e, "sku_id", (double)p.entries[i].sku_id);
        cJSON_AddItemToArray(entries, e);
    }
    cJSON *winners = cJSON_AddArrayToObject(o, "winners");
    for (size_t i = 0; i < p.nwinners; i++)
        cJSON_AddItemToArray(winners, front_json_str(p.winners[i]));
    /* a proof never changes once published */
    http_resp_header(x, "Cache-Control", STR("public, max-age=60"));
    http_resp_json(x, 200, o);
}

/* ---------------------------------------------------------------- pages */

/* the drop of the {id} parameter with its product, if it is a draw (false: answered) */
static bool draw_drop(struct http_ex *x, struct drop *d)
{
    struct shop_ctx s = front_shop(x);
    int rc = drop_get_public(&s, http_param_i64(x, "id", 0), d);
    if (rc == 0 && d->kind != DROP_DRAW)
        rc = SHOP_WRONG_DROP_KIND;
    if (rc)
        front_answer(x, rc, NULL);
    return rc == 0;
}

int web_drop_draw_view(struct http_ex *x, const struct drop *d, struct view_drop_draw **out)
{
    struct shop_ctx s = front_shop(x);
    struct front_req *req = front_req(x);
    int64_t now;
    int rc = drop_now_ms(&s, &now);
    if (rc)
        return rc;
    struct view_drop_draw *v = arena_calloc(x->arena, 1, sizeof *v);
    enum drop_state st = drop_state(d, now);
    v->id = d->id;
    v->state = str_from_cstr(drop_state_name(st));
    v->opens_at = iso(x, d->opens_at);
    v->closes_at = iso(x, d->closes_at);
    v->drawn_at = iso(x, d->drawn_at);
    v->commitment = d->commitment;
    v->cancelled = d->cancelled_at != 0;
    v->upcoming = st == DROP_UPCOMING;
    v->open = st == DROP_OPEN;
    v->drawn = st == DROP_DRAWN;
    v->closed = st == DROP_CLOSED && !v->cancelled;
    v->signed_in = req->signed_in;
    v->csrf = front_csrf_token(x);
    if ((rc = entries_count(&s, d->id, &v->entries)))
        return rc;
    struct entry e = {0};
    if (req->signed_in) {
        rc = entries_get(&s, d->id, req->session.account_id, &e);
        if (rc < 0)
            return rc;
        if (rc == SHOP_OK) {
            v->entered = true;
            v->ref = e.ref;
            v->size_mm = e.size_mm;
            v->place = e.draw_place;
            v->won = str_eq_cstr(e.result, "won");
            v->lost = str_eq_cstr(e.result, "lost");
            v->waiting = !v->won && !v->lost;
            v->order_id = e.order_id;
            v->lapsed = v->lost && e.order_id != 0;
        }
    }
    struct catalog_product p;
    rc = catalog_product_by_id(&s, d->product_id, &p);
    if (rc < 0)
        return rc;
    if (rc == SHOP_OK) {
        struct view_draw_size *sizes = arena_calloc(x->arena, p.nsizes + 1, sizeof *sizes);
        for (size_t i = 0; i < p.nsizes; i++)
            sizes[i] = (struct view_draw_size){p.sizes[i].sku_id, p.sizes[i].size_mm,
                                               v->entered && p.sizes[i].sku_id == e.sku_id};
        v->sizes = (struct tpl_list){sizes, p.nsizes, sizeof *sizes};
    }
    *out = v;
    return 0;
}

static void render_draw_page(struct http_ex *x, const struct drop *d, int status, struct str error,
                             bool just_entered)
{
    struct view_drop_draw *dv;
    int rc = web_drop_draw_view(x, d, &dv);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    dv->error = error;
    dv->just_entered = just_entered;
    struct view_drop_draw_page *v = arena_calloc(x->arena, 1, sizeof *v);
    v->layout =
        front_layout(x, str_from_cstr(arena_sprintf(x->arena, "Draw: %.*s", STR_FMT(d->name))));
    v->slug = d->slug;
    v->name = d->name;
    v->image_url = front_asset_url(x, d->image);
    v->price = d->price_krw;
    v->refresh = dv->closed;
    v->draw = dv;
    x->resp.status = status;
    front_render(x, "drop_draw.html", v);
}

void web_drop_draw_page(struct http_ex *x, const struct drop *d)
{
    render_draw_page(x, d, 200, STR_NULL, false);
}

void page_drop_draw(struct http_ex *x)
{
    struct drop d;
    if (draw_drop(x, &d))
        render_draw_page(x, &d, 200, STR_NULL, http_param_bool(x, "entered"));
}

void page_drop_enter(struct http_ex *x)
{
    struct drop d;
    if (!draw_drop(x, &d))
        return;
    struct shop_ctx s = front_shop(x);
    struct entry e;
    int rc = entries_enter(&s, d.id, front_req(x)->session.account_id,
                           http_param_i64(x, "sku_id", 0), web_drop_client_ip(x), &e);
    if (rc == SHOP_OK) {
        front_redirectf(x, "/drops/%lld/draw?entered=1", (long long)d.id);
        return;
    }
    if (rc < 0) {
        front_answer(x, rc, NULL);
        return;
    }
    const struct front_outcome *o = front_outcome(rc);
    x->error_code = o->code;
    render_draw_page(x, &d, o->status, str_from_cstr(front_outcome_message(x, rc, NULL)), false);
}

void page_drop_proof(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct drop d;
    int rc = drop_get_public(&s, http_param_i64(x, "id", 0), &d);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    struct entries_proof p;
    if (!proof(x, &p))
        return;
    struct view_drop_proof *v = arena_calloc(x->arena, 1, sizeof *v);
    v->id = d.id;
    v->name = d.name;
    v->kind = str_from_cstr(drop_kind_name(d.kind));
    v->prequeue = p.prequeue;
    v->algorithm = STR(DRAW_ALGORITHM);
    v->commitment = p.commitment;
    v->seed = p.seed;
    v->digest = p.digest;
    v->beacon = p.beacon;
    v->nentries = (int64_t)p.n;
    v->nwinners = (int64_t)p.nwinners;
    struct view_proof_stock *stock = arena_calloc(x->arena, p.nstock + 1, sizeof *stock);
    for (size_t i = 0; i < p.nstock; i++)
        stock[i] = (struct view_proof_stock){p.stock[i].sku_id, p.stock[i].n};
    v->stock = (struct tpl_list){stock, p.nstock, sizeof *stock};
    /* winners are in draw order, a subsequence of the entries */
    struct view_proof_entry *rows = arena_calloc(x->arena, p.n + 1, sizeof *rows);
    for (size_t i = 0, w = 0; i < p.n; i++) {
        bool won = w < p.nwinners && str_eq(p.winners[w], p.entries[i].ref);
        w += won;
        rows[i] =
            (struct view_proof_entry){(int64_t)i + 1, p.entries[i].ref, p.entries[i].sku_id, won};
    }
    v->entries = (struct tpl_list){rows, p.n, sizeof *rows};
    v->json_url =
        str_from_cstr(arena_sprintf(x->arena, "/api/v1/drops/%lld/proof", (long long)d.id));
    const char *base = front_cfg(x)->shop_public_url;
    v->verify_url = str_from_cstr(arena_sprintf(x->arena, "%s/api/v1/drops/%lld/proof",
                                                base && *base ? base : "", (long long)d.id));
    v->layout = front_layout(
        x, str_from_cstr(arena_sprintf(x->arena, "Proof of the %s: %.*s",
                                       p.prequeue ? "shuffle" : "draw", STR_FMT(d.name))));
    front_render(x, "drop_proof.html", v);
}

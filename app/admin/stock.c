/* stock — stock per size, the bucket split of hot sizes and prices (admins only). */
#include "admin/admin.h"

#include "shop/catalog.h"
#include "shop/inventory.h"
#include "shop/report.h"

#include <string.h>

static void render(struct http_ex *x, int status, struct str notice, struct str error)
{
    struct shop_ctx s = front_shop(x);
    struct report_stock_row *r;
    size_t n;
    int rc = report_stock(&s, &r, &n);
    if (rc) {
        front_fail(x, rc);
        return;
    }
    struct view_admin_product *products = arena_calloc(x->arena, n + 1, sizeof *products);
    struct view_admin_sku *skus = arena_calloc(x->arena, n + 1, sizeof *skus);
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        if (np == 0 || products[np - 1].id != r[i].product_id) {
            products[np] = (struct view_admin_product){
                r[i].product_id, r[i].slug,  r[i].name,
                r[i].brand,      r[i].price, {&skus[i], 0, sizeof *skus}};
            np++;
        }
        skus[i] = (struct view_admin_sku){r[i].sku_id, r[i].size_mm, r[i].available,
                                          r[i].held,   r[i].sold,    r[i].buckets};
        products[np - 1].skus.len++;
    }
    struct view_admin_stock *v = arena_calloc(x->arena, 1, sizeof *v);
    v->products = (struct tpl_list){products, np, sizeof *products};
    v->notice = notice;
    v->error = error;
    v->layout = front_layout(x, STR("Stock"));
    x->resp.status = status;
    front_render(x, "admin/stock.html", v);
}

void admin_stock(struct http_ex *x)
{
    struct str notice = STR_NULL;
    if (http_param_bool(x, "saved"))
        notice = STR("Buckets updated.");
    else if (http_param_bool(x, "priced"))
        notice = STR("Price updated.");
    else if (http_param_bool(x, "received"))
        notice = STR("Stock received: the pairs are on sale, with ledger rows.");
    else if (http_param_bool(x, "adjusted"))
        notice = STR("Stock adjusted, with ledger rows.");
    render(x, 200, notice, STR_NULL);
}

/* answer: the outcome of an admin change: back to the page, or why not */
static void answer(struct http_ex *x, int rc, struct str done_url)
{
    if (rc == SHOP_OK) {
        http_resp_redirect(x, 303, done_url);
    } else if (rc == SHOP_ROW_BUSY || rc == SHOP_OUT_OF_STOCK || rc == SHOP_INVALID_QUANTITY) {
        const struct front_outcome *o = front_outcome(rc);
        x->error_code = o->code;
        render(x, o->status, STR_NULL, str_from_cstr(o->message));
    } else {
        front_answer(x, rc, NULL);
    }
}

void admin_stock_buckets(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t sku = http_param_i64(x, "sku_id", 0);
    int rc =
        inventory_rebucket(&s, sku, http_param_i64(x, "buckets", 1), front_req(x)->session.email);
    /* committed: the shop's advisory availability of this size is dropped at once */
    if (rc == SHOP_OK) {
        catalog_stock_changed(&s, sku);
        admin_audit(x, "stock_buckets",
                    str_from_cstr(arena_sprintf(x->arena, "sku:%lld", (long long)sku)),
                    str_from_cstr(arena_sprintf(x->arena, "%lld buckets",
                                                (long long)http_param_i64(x, "buckets", 1))));
    }
    answer(x, rc, STR("/admin/stock?saved=1"));
}

/* admin_stock_adjust: POST /admin/stock/{sku_id}/receive (qty) or .../adjust (delta), with a
 * note: ledger rows and the audit row in one transaction (shop/inventory.h) */
void admin_stock_adjust(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t sku = http_param_i64(x, "sku_id", 0);
    bool receive = strcmp(x->route->name, "admin_stock_receive") == 0;
    int64_t delta = receive ? http_param_i64(x, "qty", 0) : http_param_i64(x, "delta", 0);
    int rc = inventory_adjust(&s, sku, delta, receive, http_param_str(x, "note"),
                              front_req(x)->session.email);
    answer(x, rc, receive ? STR("/admin/stock?received=1") : STR("/admin/stock?adjusted=1"));
}

void admin_price(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t id = http_param_i64(x, "id", 0), price = http_param_i64(x, "price", 0);
    int rc = catalog_set_price(&s, id, price, front_req(x)->session.email);
    if (rc == SHOP_OK)
        admin_audit(x, "price_set",
                    str_from_cstr(arena_sprintf(x->arena, "product:%lld", (long long)id)),
                    str_from_cstr(arena_sprintf(x->arena, "%lld KRW", (long long)price)));
    answer(x, rc, STR("/admin/stock?priced=1"));
}

/* admin/stock — stock per size, the bucket split of hot sizes and prices (admins only). */
#include "web/app.h"

#include "core/err.h"
#include "shop/catalog.h"
#include "shop/inventory.h"

static const struct db_stmt q_stock = {
    "admin_stock",
    "SELECT p.id, p.slug, p.name, p.brand, k.id, k.size_mm, COALESCE(SUM(s.available), 0),"
    "       COALESCE(SUM(s.held), 0), COALESCE(SUM(s.sold), 0), COALESCE(SUM(s.available > 0), 0),"
    "       p.price_krw"
    "  FROM products p JOIN skus k ON k.product_id = p.id LEFT JOIN stock s ON s.sku_id = k.id"
    " GROUP BY p.id, k.id ORDER BY p.id, k.size_mm",
    DB_IDEMPOTENT};

static void render(struct http_ex *x, int status, struct str notice, struct str error)
{
    struct shop_ctx s = web_shop(x);
    struct db_result r;
    int rc = db_exec(s.db, &q_stock, NULL, 0, x->arena, &r);
    if (rc) {
        web_fail(x, rc);
        return;
    }
    struct view_admin_product *products = arena_calloc(x->arena, r.nrows + 1, sizeof *products);
    struct view_admin_sku *skus = arena_calloc(x->arena, r.nrows + 1, sizeof *skus);
    size_t np = 0;
    for (size_t i = 0; i < r.nrows; i++) {
        if (np == 0 || products[np - 1].id != db_int(&r, i, 0)) {
            products[np] = (struct view_admin_product){
                db_int(&r, i, 0),  db_text(&r, i, 1), db_text(&r, i, 2),
                db_text(&r, i, 3), db_int(&r, i, 10), {&skus[i], 0, sizeof *skus}};
            np++;
        }
        skus[i] = (struct view_admin_sku){db_int(&r, i, 4), db_int(&r, i, 5), db_int(&r, i, 6),
                                          db_int(&r, i, 7), db_int(&r, i, 8), db_int(&r, i, 9)};
        products[np - 1].skus.len++;
    }
    struct view_admin_stock *v = arena_calloc(x->arena, 1, sizeof *v);
    v->products = (struct tpl_list){products, np, sizeof *products};
    v->notice = notice;
    v->error = error;
    v->layout = web_layout(x, STR("Stock"));
    x->resp.status = status;
    web_render(x, x->app->web->t_admin_stock, v);
}

void admin_stock(struct http_ex *x)
{
    struct str notice = STR_NULL;
    if (http_param_bool(x, "saved"))
        notice = STR("Buckets updated.");
    else if (http_param_bool(x, "priced"))
        notice = STR("Price updated.");
    render(x, 200, notice, STR_NULL);
}

/* answer: the outcome of an admin change: back to the page, or why not. */
static void answer(struct http_ex *x, int rc, const char *code, const char *missing,
                   struct str busy, struct str done_url)
{
    if (rc == ERR_NOTFOUND) {
        http_resp_error(x, 404, code, missing);
    } else if (err_is_retryable(rc)) {
        render(x, 409, STR_NULL, busy);
    } else if (rc) {
        web_fail(x, rc);
    } else {
        http_resp_redirect(x, 303, done_url);
    }
}

void admin_stock_buckets(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    struct web_req *r = web_req(x);
    int64_t sku = http_param_i64(x, "sku_id", 0);
    int rc = inventory_rebucket(&s, sku, http_param_i64(x, "buckets", 1), r->session.email);
    /* committed: the shop's advisory availability of this size is dropped at once */
    if (rc == 0)
        catalog_stock_changed(&s, sku);
    answer(x, rc, "sku_not_found", "No such size.",
           STR("Checkouts are holding this size right now; try again."),
           STR("/admin/stock?saved=1"));
}

void admin_price(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    struct web_req *r = web_req(x);
    int rc = catalog_set_price(&s, http_param_i64(x, "id", 0), http_param_i64(x, "price", 0),
                               r->session.email);
    answer(x, rc, "product_not_found", "No such product.",
           STR("The product is being changed right now; try again."), STR("/admin/stock?priced=1"));
}

/*
 * products — creating and editing products and their sizes (admins only). Every change is
 * audited in its transaction and the caches forget the product on every node at once
 * (shop/catalog.h, catalog_product_save). Pictures are static files (img/products/...): the
 * form names one; uploading new ones is not built yet (docs/OPERATIONS.md).
 */
#include "admin/admin.h"

#include "shop/catalog.h"
#include "shop/drop.h"

#include <inttypes.h>
#include <string.h>

static void render(struct http_ex *x, int status, int64_t id, const struct catalog_product_edit *e,
                   struct str notice, struct str error)
{
    struct view_admin_product_form *v = arena_calloc(x->arena, 1, sizeof *v);
    *v = (struct view_admin_product_form){.id = id,
                                          .slug = e->slug,
                                          .name = e->name,
                                          .brand = e->brand,
                                          .colorway = e->colorway,
                                          .description = e->description,
                                          .image = e->image,
                                          .release_date = e->release_date,
                                          .image_url = front_asset_url(x, e->image),
                                          .price = e->price,
                                          .max_per_account = e->max_per_account,
                                          .active = e->active,
                                          .notice = notice,
                                          .error = error};
    if (id) {
        struct shop_ctx s = front_shop(x);
        struct drop_size *z;
        size_t n = 0;
        if (drop_sizes(&s, id, &z, &n) == 0) {
            struct view_admin_size *rows = arena_calloc(x->arena, n + 1, sizeof *rows);
            for (size_t i = 0; i < n; i++)
                rows[i] = (struct view_admin_size){z[i].sku_id, z[i].size_mm, z[i].available};
            v->sizes = (struct tpl_list){rows, n, sizeof *rows};
        }
    }
    v->csrf = front_csrf_token(x);
    v->layout = front_layout(x, id ? e->name : STR("New product"));
    x->resp.status = status;
    front_render(x, "admin/product.html", v);
}

static struct catalog_product_edit from_form(struct http_ex *x, bool is_new)
{
    return (struct catalog_product_edit){
        .slug = is_new ? http_param_str(x, "slug") : STR_NULL,
        .name = http_param_str(x, "name"),
        .brand = http_param_str(x, "brand"),
        .colorway = http_param_str(x, "colorway"),
        .description = http_param_str(x, "description"),
        .image = http_param_str(x, "image"),
        .release_date = http_param_str(x, "release_date"),
        .price = http_param_i64(x, "price", 0),
        .max_per_account = http_param_i64(x, "max_per_account", 0),
        .active = http_param_bool(x, "active"),
    };
}

void admin_product_new(struct http_ex *x)
{
    struct catalog_product_edit e = {.image = STR("img/products/"), .active = true};
    render(x, 200, 0, &e, STR_NULL, STR_NULL);
}

void admin_product(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    struct catalog_product_edit e;
    int rc = catalog_product_for_edit(&s, id, &e);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    struct str notice =
        http_param_bool(x, "saved") ? STR("Saved; the shop shows it now.") : STR_NULL;
    render(x, 200, id, &e, notice, STR_NULL);
}

void admin_product_save(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t id = strcmp(x->route->name, "admin_product_save") == 0 ? http_param_i64(x, "id", 0) : 0;
    struct catalog_product_edit e = from_form(x, id == 0);
    if (id) {
        struct catalog_product_edit old;
        int rc = catalog_product_for_edit(&s, id, &old);
        if (rc) {
            front_answer(x, rc, NULL);
            return;
        }
        e.slug = old.slug;
    }
    struct shop_problem problem = {0};
    int64_t saved = 0;
    int rc = catalog_product_save(&s, id, &e, front_req(x)->session.email, &saved, &problem);
    if (rc == SHOP_OK) {
        front_redirectf(x, "/admin/products/%" PRId64 "?saved=1", saved);
        return;
    }
    if (rc < 0) {
        front_fail(x, rc);
        return;
    }
    x->error_code = front_outcome(rc)->code;
    render(x, front_outcome(rc)->status, id, &e, STR_NULL,
           str_from_cstr(front_outcome_message(x, rc, &problem)));
}

void admin_product_size(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    struct shop_problem problem = {0};
    int rc = catalog_size_add(&s, id, http_param_i64(x, "size_mm", 0), front_req(x)->session.email,
                              NULL, &problem);
    if (rc == SHOP_OK) {
        front_redirectf(x, "/admin/products/%" PRId64 "?saved=1", id);
        return;
    }
    struct catalog_product_edit e;
    if (rc < 0 || catalog_product_for_edit(&s, id, &e) != 0) {
        front_answer(x, rc < 0 ? rc : SHOP_PRODUCT_NOT_FOUND, NULL);
        return;
    }
    x->error_code = front_outcome(rc)->code;
    render(x, front_outcome(rc)->status, id, &e, STR_NULL,
           str_from_cstr(front_outcome_message(x, rc, &problem)));
}

/* POST /admin/products/{id}/sizes/{sku_id}: a size's label (catalog_size_edit) */
void admin_product_size_edit(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    struct shop_problem problem = {0};
    int rc =
        catalog_size_edit(&s, id, http_param_i64(x, "sku_id", 0), http_param_i64(x, "size_mm", 0),
                          front_req(x)->session.email, &problem);
    if (rc == SHOP_OK) {
        front_redirectf(x, "/admin/products/%" PRId64 "?saved=1", id);
        return;
    }
    struct catalog_product_edit e;
    if (rc < 0 || rc == SHOP_SKU_NOT_FOUND || catalog_product_for_edit(&s, id, &e) != 0) {
        front_answer(x, rc, NULL);
        return;
    }
    x->error_code = front_outcome(rc)->code;
    render(x, front_outcome(rc)->status, id, &e, STR_NULL,
           str_from_cstr(front_outcome_message(x, rc, &problem)));
}

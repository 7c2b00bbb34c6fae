/* pages — shopper HTML pages: home and product. */
#include "web/app.h"

#include "core/err.h"
#include "core/sec.h"
#include "shop/catalog.h"

void page_home(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    struct catalog_list list;
    int rc = catalog_list(&s, &list);
    if (rc) {
        web_fail(x, rc);
        return;
    }
    struct view_home *v = arena_calloc(x->arena, 1, sizeof *v);
    v->layout = web_layout(x, STR("Latest drops"));
    struct view_product_card *cards = arena_calloc(x->arena, list.n + 1, sizeof *cards);
    for (size_t i = 0; i < list.n; i++) {
        const struct catalog_item *it = &list.items[i];
        cards[i] = (struct view_product_card){
            .slug = it->slug,
            .name = it->name,
            .brand = it->brand,
            .colorway = it->colorway,
            .image_url = web_asset_url(x, it->image),
            .price = it->price,
            .sold_out = it->available == 0,
            .few_left = it->available > 0 && it->available <= 5,
        };
        v->available_count += it->available > 0;
    }
    v->products = (struct tpl_list){cards, list.n, sizeof *cards};
    v->product_count = (int64_t)list.n;
    web_render(x, x->app->web->t_home, v);
}

void page_product(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    struct catalog_product p;
    int rc = catalog_product_by_slug(&s, http_param_str(x, "slug"), &p);
    if (rc == ERR_NOTFOUND) {
        http_resp_error(x, 404, "product_not_found", "We could not find that product.");
        return;
    }
    if (rc) {
        web_fail(x, rc);
        return;
    }
    struct view_product *v = arena_calloc(x->arena, 1, sizeof *v);
    v->layout = web_layout(x, p.name);
    v->slug = p.slug;
    v->name = p.name;
    v->brand = p.brand;
    v->colorway = p.colorway;
    v->description = p.description;
    v->image_url = web_asset_url(x, p.image);
    v->release_date = p.release_date;
    v->price = p.price;
    v->total_available = p.available;
    v->sold_out = p.available == 0;
    struct view_size *sizes = arena_calloc(x->arena, p.nsizes + 1, sizeof *sizes);
    for (size_t i = 0; i < p.nsizes; i++) {
        const struct catalog_size *cs = &p.sizes[i];
        sizes[i] = (struct view_size){
            .sku_id = cs->sku_id,
            .size_mm = cs->size_mm,
            .available = cs->available,
            .sold_out = cs->available == 0,
            .few_left = cs->available > 0 && cs->available <= 3,
        };
    }
    v->sizes = (struct tpl_list){sizes, p.nsizes, sizeof *sizes};
    if (web_req(x)->signed_in)
        v->idempotency_key = sec_token(x->arena, 24); /* one "Buy now" = one order */
    web_render(x, x->app->web->t_product, v);
}

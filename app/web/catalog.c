/* catalog — the home page, product pages and their JSON twins. */
#include "web/web.h"

#include "core/sec.h"
#include "shop/catalog.h"

#include <cjson/cJSON.h>

void page_home(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct catalog_list list;
    int rc = catalog_list(&s, &list);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    struct view_home *v = arena_calloc(x->arena, 1, sizeof *v);
    v->layout = front_layout(x, STR("Latest drops"));
    struct view_product_card *cards = arena_calloc(x->arena, list.n + 1, sizeof *cards);
    for (size_t i = 0; i < list.n; i++) {
        const struct catalog_item *it = &list.items[i];
        cards[i] = (struct view_product_card){
            .slug = it->slug,
            .name = it->name,
            .brand = it->brand,
            .colorway = it->colorway,
            .image_url = front_asset_url(x, it->image),
            .price = it->price,
            .sold_out = it->available == 0,
            .few_left = it->available > 0 && it->available <= 5,
        };
        v->available_count += it->available > 0;
    }
    v->products = (struct tpl_list){cards, list.n, sizeof *cards};
    v->product_count = (int64_t)list.n;
    front_render(x, "home.html", v);
}

void page_product(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct catalog_product p;
    int rc = catalog_product_by_slug(&s, http_param_str(x, "slug"), &p);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    struct view_product *v = arena_calloc(x->arena, 1, sizeof *v);
    v->layout = front_layout(x, p.name);
    v->slug = p.slug;
    v->name = p.name;
    v->brand = p.brand;
    v->colorway = p.colorway;
    v->description = p.description;
    v->image_url = front_asset_url(x, p.image);
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
    if (front_req(x)->signed_in)
        v->idempotency_key = sec_token(x->arena, 24); /* one "Buy now" = one order */
    v->drop = web_product_drop(x, p.id, &v->held);
    front_render(x, "product.html", v);
}

void api_products(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct catalog_list list;
    int rc = catalog_list(&s, &list);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "products");
    for (size_t i = 0; i < list.n; i++) {
        const struct catalog_item *it = &list.items[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "slug", front_json_str(it->slug));
        cJSON_AddItemToObject(o, "name", front_json_str(it->name));
        cJSON_AddItemToObject(o, "brand", front_json_str(it->brand));
        cJSON_AddItemToObject(o, "colorway", front_json_str(it->colorway));
        cJSON_AddNumberToObject(o, "price", (double)it->price);
        cJSON_AddStringToObject(o, "currency", "KRW");
        cJSON_AddItemToObject(o, "image", front_json_str(front_asset_url(x, it->image)));
        cJSON_AddBoolToObject(o, "available", it->available > 0);
        cJSON_AddItemToArray(arr, o);
    }
    http_resp_json(x, 200, root);
}

void api_product(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct catalog_product p;
    int rc = catalog_product_by_slug(&s, http_param_str(x, "slug"), &p);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "slug", front_json_str(p.slug));
    cJSON_AddItemToObject(o, "name", front_json_str(p.name));
    cJSON_AddItemToObject(o, "brand", front_json_str(p.brand));
    cJSON_AddItemToObject(o, "colorway", front_json_str(p.colorway));
    cJSON_AddItemToObject(o, "description", front_json_str(p.description));
    cJSON_AddNumberToObject(o, "price", (double)p.price);
    cJSON_AddStringToObject(o, "currency", "KRW");
    cJSON_AddItemToObject(o, "image", front_json_str(front_asset_url(x, p.image)));
    if (p.release_date.len)
        cJSON_AddItemToObject(o, "release_date", front_json_str(p.release_date));
    else
        cJSON_AddNullToObject(o, "release_date");
    if (p.max_per_account)
        cJSON_AddNumberToObject(o, "max_per_account", (double)p.max_per_account);
    else
        cJSON_AddNullToObject(o, "max_per_account");
    cJSON_AddNumberToObject(o, "available", (double)p.available);
    cJSON *skus = cJSON_AddArrayToObject(o, "skus");
    for (size_t i = 0; i < p.nsizes; i++) {
        cJSON *k = cJSON_CreateObject();
        cJSON_AddNumberToObject(k, "id", (double)p.sizes[i].sku_id);
        cJSON_AddNumberToObject(k, "size", (double)p.sizes[i].size_mm);
        cJSON_AddNumberToObject(k, "available", (double)p.sizes[i].available);
        cJSON_AddItemToArray(skus, k);
    }
    http_resp_json(x, 200, o);
}

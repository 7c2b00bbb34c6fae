/* api — the JSON API (v1) for the mobile app; shapes as in DESIGN.md's contract. */
#include "web/app.h"

#include "core/err.h"
#include "shop/catalog.h"

#include <cjson/cJSON.h>

static cJSON *str_json(struct str s)
{
    /* cJSON wants NUL-terminated strings; slices from the database are (arena copies) */
    return cJSON_CreateString(s.p ? s.p : "");
}

void api_products(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    struct catalog_list list;
    int rc = catalog_list(&s, &list);
    if (rc) {
        web_fail(x, rc);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "products");
    for (size_t i = 0; i < list.n; i++) {
        const struct catalog_item *it = &list.items[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "slug", str_json(it->slug));
        cJSON_AddItemToObject(o, "name", str_json(it->name));
        cJSON_AddItemToObject(o, "brand", str_json(it->brand));
        cJSON_AddItemToObject(o, "colorway", str_json(it->colorway));
        cJSON_AddNumberToObject(o, "price", (double)it->price);
        cJSON_AddStringToObject(o, "currency", "KRW");
        cJSON_AddItemToObject(o, "image", str_json(web_asset_url(x, it->image)));
        cJSON_AddBoolToObject(o, "available", it->available > 0);
        cJSON_AddItemToArray(arr, o);
    }
    http_resp_json(x, 200, root);
}

void api_product(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    struct catalog_product p;
    int rc = catalog_product_by_slug(&s, http_param_str(x, "slug"), &p);
    if (rc == ERR_NOTFOUND) {
        http_resp_error(x, 404, "product_not_found", "No product has this slug.");
        return;
    }
    if (rc) {
        web_fail(x, rc);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "slug", str_json(p.slug));
    cJSON_AddItemToObject(o, "name", str_json(p.name));
    cJSON_AddItemToObject(o, "brand", str_json(p.brand));
    cJSON_AddItemToObject(o, "colorway", str_json(p.colorway));
    cJSON_AddItemToObject(o, "description", str_json(p.description));
    cJSON_AddNumberToObject(o, "price", (double)p.price);
    cJSON_AddStringToObject(o, "currency", "KRW");
    cJSON_AddItemToObject(o, "image", str_json(web_asset_url(x, p.image)));
    if (p.release_date.len)
        cJSON_AddItemToObject(o, "release_date", str_json(p.release_date));
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

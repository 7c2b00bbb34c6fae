/* views — tpl schemas of the page structs; see views.h. */
#include "views.h"

#include <stddef.h>

static const struct tpl_field layout_fields[] = {
    TPL_FIELD(struct view_layout, title, TPL_STR),
    TPL_FIELD(struct view_layout, description, TPL_STR),
    TPL_FIELD(struct view_layout, site_name, TPL_STR),
    TPL_FIELD(struct view_layout, csrf, TPL_STR),
    TPL_FIELD(struct view_layout, user_name, TPL_STR),
    TPL_FIELD(struct view_layout, signed_in, TPL_BOOL),
    TPL_FIELD(struct view_layout, cart_count, TPL_I64),
    TPL_FIELD(struct view_layout, node, TPL_STR),
};
const struct tpl_schema view_layout_schema = TPL_SCHEMA(layout, layout_fields);

static const struct tpl_field card_fields[] = {
    TPL_FIELD(struct view_product_card, slug, TPL_STR),
    TPL_FIELD(struct view_product_card, name, TPL_STR),
    TPL_FIELD(struct view_product_card, brand, TPL_STR),
    TPL_FIELD(struct view_product_card, colorway, TPL_STR),
    TPL_FIELD(struct view_product_card, image_url, TPL_STR),
    TPL_FIELD(struct view_product_card, price, TPL_I64),
    TPL_FIELD(struct view_product_card, sold_out, TPL_BOOL),
    TPL_FIELD(struct view_product_card, few_left, TPL_BOOL),
};
static const struct tpl_schema card_schema = TPL_SCHEMA(product_card, card_fields);

static const struct tpl_field home_fields[] = {
    TPL_NESTED(struct view_home, layout, TPL_OBJ, view_layout_schema),
    TPL_NESTED(struct view_home, products, TPL_LIST, card_schema),
    TPL_FIELD(struct view_home, product_count, TPL_I64),
    TPL_FIELD(struct view_home, available_count, TPL_I64),
};
const struct tpl_schema view_home_schema = TPL_SCHEMA(home, home_fields);

static const struct tpl_field size_fields[] = {
    TPL_FIELD(struct view_size, sku_id, TPL_I64),
    TPL_FIELD(struct view_size, size_mm, TPL_I64),
    TPL_FIELD(struct view_size, available, TPL_I64),
    TPL_FIELD(struct view_size, sold_out, TPL_BOOL),
    TPL_FIELD(struct view_size, few_left, TPL_BOOL),
};
static const struct tpl_schema size_schema = TPL_SCHEMA(size, size_fields);

static const struct tpl_field product_fields[] = {
    TPL_NESTED(struct view_product, layout, TPL_OBJ, view_layout_schema),
    TPL_FIELD(struct view_product, slug, TPL_STR),
    TPL_FIELD(struct view_product, name, TPL_STR),
    TPL_FIELD(struct view_product, brand, TPL_STR),
    TPL_FIELD(struct view_product, colorway, TPL_STR),
    TPL_FIELD(struct view_product, description, TPL_STR),
    TPL_FIELD(struct view_product, image_url, TPL_STR),
    TPL_FIELD(struct view_product, release_date, TPL_STR),
    TPL_FIELD(struct view_product, price, TPL_I64),
    TPL_FIELD(struct view_product, sold_out, TPL_BOOL),
    TPL_FIELD(struct view_product, total_available, TPL_I64),
    TPL_NESTED(struct view_product, sizes, TPL_LIST, size_schema),
};
const struct tpl_schema view_product_schema = TPL_SCHEMA(product, product_fields);

static const struct tpl_field error_fields[] = {
    TPL_NESTED(struct view_error, layout, TPL_OBJ, view_layout_schema),
    TPL_FIELD(struct view_error, status, TPL_I64),
    TPL_FIELD(struct view_error, code, TPL_STR),
    TPL_FIELD(struct view_error, message, TPL_STR),
};
const struct tpl_schema view_error_schema = TPL_SCHEMA(error, error_fields);

const struct tpl_binding view_bindings[] = {
    {"home.html", &view_home_schema},
    {"product.html", &view_product_schema},
    {"error.html", &view_error_schema},
};
const size_t view_bindings_len = sizeof view_bindings / sizeof view_bindings[0];

/* views — tpl schemas of the page structs; see views.h. */
#include "views.h"

#include <stddef.h>

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

#define DROP_ROW(f, t) TPL_FIELD(struct view_drop_row, f, t)
static const struct tpl_field drop_row_fields[] = {
    DROP_ROW(id, TPL_I64),        DROP_ROW(slug, TPL_STR),       DROP_ROW(name, TPL_STR),
    DROP_ROW(image_url, TPL_STR), DROP_ROW(price, TPL_I64),      DROP_ROW(kind, TPL_STR),
    DROP_ROW(queue, TPL_BOOL),    DROP_ROW(state, TPL_STR),      DROP_ROW(state_label, TPL_STR),
    DROP_ROW(opens_at, TPL_STR),  DROP_ROW(starts_at, TPL_STR),  DROP_ROW(closes_at, TPL_STR),
    DROP_ROW(opens_kst, TPL_STR), DROP_ROW(starts_kst, TPL_STR), DROP_ROW(closes_kst, TPL_STR),
};
static const struct tpl_schema drop_row_schema = TPL_SCHEMA(drop_row, drop_row_fields);

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
    TPL_FIELD(struct view_product, idempotency_key, TPL_STR),
    TPL_NESTED(struct view_product, drop, TPL_OBJ, drop_row_schema),
    TPL_FIELD(struct view_product, held, TPL_BOOL),
    TPL_NESTED(struct view_product, sizes, TPL_LIST, size_schema),
};
const struct tpl_schema view_product_schema = TPL_SCHEMA(product, product_fields);

static const struct tpl_field signin_fields[] = {
    TPL_NESTED(struct view_signin, layout, TPL_OBJ, view_layout_schema),
    TPL_FIELD(struct view_signin, email, TPL_STR),
    TPL_FIELD(struct view_signin, next, TPL_STR),
    TPL_FIELD(struct view_signin, error, TPL_STR),
    TPL_FIELD(struct view_signin, notice, TPL_STR),
};
static const struct tpl_schema signin_schema = TPL_SCHEMA(signin, signin_fields);

static const struct tpl_field signup_fields[] = {
    TPL_NESTED(struct view_signup, layout, TPL_OBJ, view_layout_schema),
    TPL_FIELD(struct view_signup, email, TPL_STR),
    TPL_FIELD(struct view_signup, name, TPL_STR),
    TPL_FIELD(struct view_signup, error, TPL_STR),
};
static const struct tpl_schema signup_schema = TPL_SCHEMA(signup, signup_fields);

static const struct tpl_field ship_fields[] = {
    TPL_FIELD(struct view_ship, has, TPL_BOOL),    TPL_FIELD(struct view_ship, recipient, TPL_STR),
    TPL_FIELD(struct view_ship, phone, TPL_STR),   TPL_FIELD(struct view_ship, postcode, TPL_STR),
    TPL_FIELD(struct view_ship, address, TPL_STR), TPL_FIELD(struct view_ship, detail, TPL_STR),
};
static const struct tpl_schema ship_schema = TPL_SCHEMA(ship, ship_fields);

static const struct tpl_field address_fields[] = {
    TPL_NESTED(struct view_address, layout, TPL_OBJ, view_layout_schema),
    TPL_FIELD(struct view_address, recipient, TPL_STR),
    TPL_FIELD(struct view_address, phone, TPL_STR),
    TPL_FIELD(struct view_address, postcode, TPL_STR),
    TPL_FIELD(struct view_address, address, TPL_STR),
    TPL_FIELD(struct view_address, detail, TPL_STR),
    TPL_FIELD(struct view_address, err_recipient, TPL_STR),
    TPL_FIELD(struct view_address, err_phone, TPL_STR),
    TPL_FIELD(struct view_address, err_postcode, TPL_STR),
    TPL_FIELD(struct view_address, err_address, TPL_STR),
    TPL_FIELD(struct view_address, err_detail, TPL_STR),
    TPL_FIELD(struct view_address, error, TPL_STR),
    TPL_FIELD(struct view_address, notice, TPL_STR),
    TPL_FIELD(struct view_address, next, TPL_STR),
    TPL_FIELD(struct view_address, has_address, TPL_BOOL),
    TPL_FIELD(struct view_address, required, TPL_BOOL),
};
static const struct tpl_schema address_schema = TPL_SCHEMA(address, address_fields);

static const struct tpl_field cart_line_fields[] = {
    TPL_FIELD(struct view_cart_line, sku_id, TPL_I64),
    TPL_FIELD(struct view_cart_line, slug, TPL_STR),
    TPL_FIELD(struct view_cart_line, name, TPL_STR),
    TPL_FIELD(struct view_cart_line, brand, TPL_STR),
    TPL_FIELD(struct view_cart_line, image_url, TPL_STR),
    TPL_FIELD(struct view_cart_line, size_mm, TPL_I64),
    TPL_FIELD(struct view_cart_line, quantity, TPL_I64),
    TPL_FIELD(struct view_cart_line, unit_price, TPL_I64),
    TPL_FIELD(struct view_cart_line, line_total, TPL_I64),
    TPL_FIELD(struct view_cart_line, available, TPL_I64),
    TPL_FIELD(struct view_cart_line, sold_out, TPL_BOOL),
    TPL_FIELD(struct view_cart_line, short_of, TPL_BOOL),
    TPL_FIELD(struct view_cart_line, max_per_account, TPL_I64),
};
static const struct tpl_schema cart_line_schema = TPL_SCHEMA(cart_line, cart_line_fields);

static const struct tpl_field problem_fields[] = {
    TPL_FIELD(struct view_problem, text, TPL_STR),
};
static const struct tpl_schema problem_schema = TPL_SCHEMA(problem, problem_fields);

static const struct tpl_field cart_fields[] = {
    TPL_NESTED(struct view_cart, layout, TPL_OBJ, view_layout_schema),
    TPL_NESTED(struct view_cart, lines, TPL_LIST, cart_line_schema),
    TPL_FIELD(struct view_cart, empty, TPL_BOOL),
    TPL_FIELD(struct view_cart, pairs, TPL_I64),
    TPL_FIELD(struct view_cart, total, TPL_I64),
    TPL_FIELD(struct view_cart, idempotency_key, TPL_STR),
    TPL_FIELD(struct view_cart, max_line, TPL_I64),
    TPL_FIELD(struct view_cart, error, TPL_STR),
    TPL_NESTED(struct view_cart, problems, TPL_LIST, problem_schema),
    TPL_FIELD(struct view_cart, notice, TPL_STR),
    TPL_NESTED(struct view_cart, ship, TPL_OBJ, ship_schema),
};
static const struct tpl_schema cart_schema = TPL_SCHEMA(cart, cart_fields);

static const struct tpl_field order_row_fields[] = {
    TPL_FIELD(struct view_order_row, id, TPL_I64),
    TPL_FIELD(struct view_order_row, status, TPL_STR),
    TPL_FIELD(struct view_order_row, status_label, TPL_STR),
    TPL_FIELD(struct view_order_row, pending, TPL_BOOL),
    TPL_FIELD(struct view_order_row, total, TPL_I64),
    TPL_FIELD(struct view_order_row, pairs, TPL_I64),
    TPL_FIELD(struct view_order_row, created_at, TPL_STR),
    TPL_FIELD(struct view_order_row, hold_expires_at, TPL_STR),
    TPL_NESTED(struct view_order_row, ship, TPL_OBJ, ship_schema),
};
static const struct tpl_schema order_row_schema = TPL_SCHEMA(order_row, order_row_fields);

static const struct tpl_field orders_fields[] = {
    TPL_NESTED(struct view_orders, layout, TPL_OBJ, view_layout_schema),
    TPL_NESTED(struct view_orders, orders, TPL_LIST, order_row_schema),
    TPL_FIELD(struct view_orders, empty, TPL_BOOL),
    TPL_NESTED(struct view_orders, ship, TPL_OBJ, ship_schema),
};
static const struct tpl_schema orders_schema = TPL_SCHEMA(orders, orders_fields);

static const struct tpl_field order_line_fields[] = {
    TPL_FIELD(struct view_order_line, slug, TPL_STR),
    TPL_FIELD(struct view_order_line, name, TPL_STR),
    TPL_FIELD(struct view_order_line, brand, TPL_STR),
    TPL_FIELD(struct view_order_line, image_url, TPL_STR),
    TPL_FIELD(struct view_order_line, size_mm, TPL_I64),
    TPL_FIELD(struct view_order_line, quantity, TPL_I64),
    TPL_FIELD(struct view_order_line, unit_price, TPL_I64),
    TPL_FIELD(struct view_order_line, line_total, TPL_I64),
};
static const struct tpl_schema order_line_schema = TPL_SCHEMA(order_line, order_line_fields);

static const struct tpl_field order_fields[] = {
    TPL_NESTED(struct view_order, layout, TPL_OBJ, view_layout_schema),
    TPL_FIELD(struct view_order, id, TPL_I64),
    TPL_FIELD(struct view_order, status, TPL_STR),
    TPL_FIELD(struct view_order, status_label, TPL_STR),
    TPL_FIELD(struct view_order, pending, TPL_BOOL),
    TPL_FIELD(struct view_order, just_placed, TPL_BOOL),
    TPL_FIELD(struct view_order, can_pay, TPL_BOOL),
    TPL_FIELD(struct view_order, confirming, TPL_BOOL),
    TPL_FIELD(struct view_order, paid, TPL_BOOL),
    TPL_FIELD(struct view_order, notice, TPL_STR),
    TPL_FIELD(struct view_order, notice_kind, TPL_STR),
    TPL_FIELD(struct view_order, total, TPL_I64),
    TPL_FIELD(struct view_order, pairs, TPL_I64),
    TPL_FIELD(struct view_order, created_at, TPL_STR),
    TPL_FIELD(struct view_order, hold_expires_at, TPL_STR),
    TPL_FIELD(struct view_order, paid_at, TPL_STR),
    TPL_NESTED(struct view_order, ship, TPL_OBJ, ship_schema),
    TPL_NESTED(struct view_order, lines, TPL_LIST, order_line_schema),
};
static const struct tpl_schema order_schema = TPL_SCHEMA(order, order_fields);

static const struct tpl_field drops_fields[] = {
    TPL_NESTED(struct view_drops, layout, TPL_OBJ, view_layout_schema),
    TPL_NESTED(struct view_drops, drops, TPL_LIST, drop_row_schema),
    TPL_FIELD(struct view_drops, empty, TPL_BOOL),
};
static const struct tpl_schema drops_schema = TPL_SCHEMA(drops, drops_fields);

static const struct tpl_field drop_size_fields[] = {
    TPL_FIELD(struct view_drop_size, sku_id, TPL_I64),
    TPL_FIELD(struct view_drop_size, size_mm, TPL_I64),
    TPL_FIELD(struct view_drop_size, available, TPL_BOOL),
};
static const struct tpl_schema drop_size_schema = TPL_SCHEMA(drop_size, drop_size_fields);

#define DROP(f, t) TPL_FIELD(struct view_drop, f, t)
static const struct tpl_field drop_fields[] = {
    TPL_NESTED(struct view_drop, layout, TPL_OBJ, view_layout_schema),
    TPL_NESTED(struct view_drop, drop, TPL_OBJ, drop_row_schema),
    DROP(commitment, TPL_STR),
    DROP(per_account_limit, TPL_I64),
    DROP(window_minutes, TPL_I64),
    DROP(shuffled, TPL_BOOL),
    DROP(proof, TPL_BOOL),
    DROP(csrf, TPL_STR),
    DROP(signed_in, TPL_BOOL),
    DROP(can_join, TPL_BOOL),
    DROP(joined, TPL_BOOL),
    DROP(waiting, TPL_BOOL),
    DROP(prequeue, TPL_BOOL),
    DROP(admitted, TPL_BOOL),
    DROP(sold_out, TPL_BOOL),
    DROP(closed, TPL_BOOL),
    DROP(bought, TPL_I64),
    DROP(q_state, TPL_STR),
    DROP(ref, TPL_STR),
    DROP(position, TPL_I64),
    DROP(ahead, TPL_I64),
    DROP(eta_s, TPL_I64),
    DROP(eta_min, TPL_I64),
    DROP(pairs_left, TPL_I64),
    DROP(likely_out, TPL_BOOL),
    DROP(admission, TPL_STR),
    DROP(admission_until, TPL_STR),
    DROP(idempotency_key, TPL_STR),
    TPL_NESTED(struct view_drop, sizes, TPL_LIST, drop_size_schema),
    DROP(refresh, TPL_BOOL),
    DROP(refresh_s, TPL_I64),
};
static const struct tpl_schema drop_schema = TPL_SCHEMA(drop, drop_fields);

static const struct tpl_field help_fields[] = {
    TPL_NESTED(struct view_help, layout, TPL_OBJ, view_layout_schema),
    TPL_FIELD(struct view_help, accounts_per_address, TPL_I64),
};
static const struct tpl_schema help_schema = TPL_SCHEMA(help, help_fields);

/* ---- draws (draw.c) */
static const struct tpl_field draw_size_fields[] = {
    TPL_FIELD(struct view_draw_size, sku_id, TPL_I64),
    TPL_FIELD(struct view_draw_size, size_mm, TPL_I64),
    TPL_FIELD(struct view_draw_size, mine, TPL_BOOL),
};
static const struct tpl_schema draw_size_schema = TPL_SCHEMA(draw_size, draw_size_fields);

static const struct tpl_field drop_draw_fields[] = {
    TPL_FIELD(struct view_drop_draw, id, TPL_I64),
    TPL_FIELD(struct view_drop_draw, state, TPL_STR),
    TPL_FIELD(struct view_drop_draw, opens_at, TPL_STR),
    TPL_FIELD(struct view_drop_draw, closes_at, TPL_STR),
    TPL_FIELD(struct view_drop_draw, drawn_at, TPL_STR),
    TPL_FIELD(struct view_drop_draw, commitment, TPL_STR),
    TPL_FIELD(struct view_drop_draw, upcoming, TPL_BOOL),
    TPL_FIELD(struct view_drop_draw, open, TPL_BOOL),
    TPL_FIELD(struct view_drop_draw, closed, TPL_BOOL),
    TPL_FIELD(struct view_drop_draw, drawn, TPL_BOOL),
    TPL_FIELD(struct view_drop_draw, cancelled, TPL_BOOL),
    TPL_FIELD(struct view_drop_draw, signed_in, TPL_BOOL),
    TPL_FIELD(struct view_drop_draw, csrf, TPL_STR),
    TPL_FIELD(struct view_drop_draw, entries, TPL_I64),
    TPL_NESTED(struct view_drop_draw, sizes, TPL_LIST, draw_size_schema),
    TPL_FIELD(struct view_drop_draw, entered, TPL_BOOL),
    TPL_FIELD(struct view_drop_draw, ref, TPL_STR),
    TPL_FIELD(struct view_drop_draw, size_mm, TPL_I64),
    TPL_FIELD(struct view_drop_draw, place, TPL_I64),
    TPL_FIELD(struct view_drop_draw, won, TPL_BOOL),
    TPL_FIELD(struct view_drop_draw, lost, TPL_BOOL),
    TPL_FIELD(struct view_drop_draw, waiting, TPL_BOOL),
    TPL_FIELD(struct view_drop_draw, order_id, TPL_I64),
    TPL_FIELD(struct view_drop_draw, lapsed, TPL_BOOL),
    TPL_FIELD(struct view_drop_draw, error, TPL_STR),
    TPL_FIELD(struct view_drop_draw, just_entered, TPL_BOOL),
};
const struct tpl_schema view_drop_draw_schema = TPL_SCHEMA(drop_draw, drop_draw_fields);

static const struct tpl_field drop_draw_page_fields[] = {
    TPL_NESTED(struct view_drop_draw_page, layout, TPL_OBJ, view_layout_schema),
    TPL_FIELD(struct view_drop_draw_page, slug, TPL_STR),
    TPL_FIELD(struct view_drop_draw_page, name, TPL_STR),
    TPL_FIELD(struct view_drop_draw_page, brand, TPL_STR),
    TPL_FIELD(struct view_drop_draw_page, image_url, TPL_STR),
    TPL_FIELD(struct view_drop_draw_page, price, TPL_I64),
    TPL_FIELD(struct view_drop_draw_page, refresh, TPL_BOOL),
    TPL_NESTED(struct view_drop_draw_page, draw, TPL_OBJ, view_drop_draw_schema),
};
static const struct tpl_schema drop_draw_page_schema =
    TPL_SCHEMA(drop_draw_page, drop_draw_page_fields);

static const struct tpl_field proof_entry_fields[] = {
    TPL_FIELD(struct view_proof_entry, place, TPL_I64),
    TPL_FIELD(struct view_proof_entry, ref, TPL_STR),
    TPL_FIELD(struct view_proof_entry, sku_id, TPL_I64),
    TPL_FIELD(struct view_proof_entry, won, TPL_BOOL),
};
static const struct tpl_schema proof_entry_schema = TPL_SCHEMA(proof_entry, proof_entry_fields);

static const struct tpl_field proof_stock_fields[] = {
    TPL_FIELD(struct view_proof_stock, sku_id, TPL_I64),
    TPL_FIELD(struct view_proof_stock, n, TPL_I64),
};
static const struct tpl_schema proof_stock_schema = TPL_SCHEMA(proof_stock, proof_stock_fields);

static const struct tpl_field drop_proof_fields[] = {
    TPL_NESTED(struct view_drop_proof, layout, TPL_OBJ, view_layout_schema),
    TPL_FIELD(struct view_drop_proof, id, TPL_I64),
    TPL_FIELD(struct view_drop_proof, name, TPL_STR),
    TPL_FIELD(struct view_drop_proof, kind, TPL_STR),
    TPL_FIELD(struct view_drop_proof, prequeue, TPL_BOOL),
    TPL_FIELD(struct view_drop_proof, algorithm, TPL_STR),
    TPL_FIELD(struct view_drop_proof, commitment, TPL_STR),
    TPL_FIELD(struct view_drop_proof, seed, TPL_STR),
    TPL_FIELD(struct view_drop_proof, digest, TPL_STR),
    TPL_FIELD(struct view_drop_proof, beacon, TPL_STR),
    TPL_FIELD(struct view_drop_proof, nentries, TPL_I64),
    TPL_FIELD(struct view_drop_proof, nwinners, TPL_I64),
    TPL_NESTED(struct view_drop_proof, stock, TPL_LIST, proof_stock_schema),
    TPL_NESTED(struct view_drop_proof, entries, TPL_LIST, proof_entry_schema),
    TPL_FIELD(struct view_drop_proof, json_url, TPL_STR),
    TPL_FIELD(struct view_drop_proof, verify_url, TPL_STR),
};
static const struct tpl_schema drop_proof_schema = TPL_SCHEMA(drop_proof, drop_proof_fields);

const struct tpl_binding web_views[] = {
    {"home.html", &view_home_schema},
    {"product.html", &view_product_schema},
    {"signin.html", &signin_schema},
    {"signup.html", &signup_schema},
    {"cart.html", &cart_schema},
    {"orders.html", &orders_schema},
    {"order.html", &order_schema},
    {"address.html", &address_schema},
    {"drops.html", &drops_schema},
    {"drop.html", &drop_schema},
    {"help_drops.html", &help_schema},
    /* draws (draw.c) */
    {"drop_draw.html", &drop_draw_page_schema},
    {"drop_proof.html", &drop_proof_schema},
    {NULL, NULL},
};

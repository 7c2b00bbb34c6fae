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
    TPL_FIELD(struct view_layout, is_admin, TPL_BOOL),
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
    TPL_FIELD(struct view_product, idempotency_key, TPL_STR),
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
};
static const struct tpl_schema order_row_schema = TPL_SCHEMA(order_row, order_row_fields);

static const struct tpl_field orders_fields[] = {
    TPL_NESTED(struct view_orders, layout, TPL_OBJ, view_layout_schema),
    TPL_NESTED(struct view_orders, orders, TPL_LIST, order_row_schema),
    TPL_FIELD(struct view_orders, empty, TPL_BOOL),
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
    TPL_NESTED(struct view_order, lines, TPL_LIST, order_line_schema),
};
static const struct tpl_schema order_schema = TPL_SCHEMA(order, order_fields);

static const struct tpl_field admin_sku_fields[] = {
    TPL_FIELD(struct view_admin_sku, sku_id, TPL_I64),
    TPL_FIELD(struct view_admin_sku, size_mm, TPL_I64),
    TPL_FIELD(struct view_admin_sku, available, TPL_I64),
    TPL_FIELD(struct view_admin_sku, held, TPL_I64),
    TPL_FIELD(struct view_admin_sku, sold, TPL_I64),
    TPL_FIELD(struct view_admin_sku, buckets, TPL_I64),
};
static const struct tpl_schema admin_sku_schema = TPL_SCHEMA(admin_sku, admin_sku_fields);

static const struct tpl_field admin_product_fields[] = {
    TPL_FIELD(struct view_admin_product, id, TPL_I64),
    TPL_FIELD(struct view_admin_product, slug, TPL_STR),
    TPL_FIELD(struct view_admin_product, name, TPL_STR),
    TPL_FIELD(struct view_admin_product, brand, TPL_STR),
    TPL_FIELD(struct view_admin_product, price, TPL_I64),
    TPL_NESTED(struct view_admin_product, skus, TPL_LIST, admin_sku_schema),
};
static const struct tpl_schema admin_product_schema =
    TPL_SCHEMA(admin_product, admin_product_fields);

static const struct tpl_field admin_stock_fields[] = {
    TPL_NESTED(struct view_admin_stock, layout, TPL_OBJ, view_layout_schema),
    TPL_NESTED(struct view_admin_stock, products, TPL_LIST, admin_product_schema),
    TPL_FIELD(struct view_admin_stock, notice, TPL_STR),
    TPL_FIELD(struct view_admin_stock, error, TPL_STR),
};
static const struct tpl_schema admin_stock_schema = TPL_SCHEMA(admin_stock, admin_stock_fields);

static const struct tpl_field anomaly_fields[] = {
    TPL_FIELD(struct view_anomaly, id, TPL_I64),
    TPL_FIELD(struct view_anomaly, kind, TPL_STR),
    TPL_FIELD(struct view_anomaly, order_id, TPL_I64),
    TPL_FIELD(struct view_anomaly, payment_key, TPL_STR),
    TPL_FIELD(struct view_anomaly, amount, TPL_I64),
    TPL_FIELD(struct view_anomaly, detail, TPL_STR),
    TPL_FIELD(struct view_anomaly, created_at, TPL_STR),
    TPL_FIELD(struct view_anomaly, resolution, TPL_STR),
    TPL_FIELD(struct view_anomaly, resolved_by, TPL_STR),
    TPL_FIELD(struct view_anomaly, open, TPL_BOOL),
    TPL_FIELD(struct view_anomaly, can_mark_refunded, TPL_BOOL),
};
static const struct tpl_schema anomaly_schema = TPL_SCHEMA(anomaly, anomaly_fields);

static const struct tpl_field job_run_fields[] = {
    TPL_FIELD(struct view_job_run, id, TPL_I64),
    TPL_FIELD(struct view_job_run, status, TPL_STR),
    TPL_FIELD(struct view_job_run, started_at, TPL_STR),
    TPL_FIELD(struct view_job_run, read, TPL_I64),
    TPL_FIELD(struct view_job_run, processed, TPL_I64),
    TPL_FIELD(struct view_job_run, skipped, TPL_I64),
    TPL_FIELD(struct view_job_run, message, TPL_STR),
};
static const struct tpl_schema job_run_schema = TPL_SCHEMA(job_run, job_run_fields);

static const struct tpl_field payment_event_fields[] = {
    TPL_FIELD(struct view_payment_event, at, TPL_STR),
    TPL_FIELD(struct view_payment_event, order_id, TPL_I64),
    TPL_FIELD(struct view_payment_event, payment_key, TPL_STR),
    TPL_FIELD(struct view_payment_event, event, TPL_STR),
    TPL_FIELD(struct view_payment_event, amount, TPL_I64),
    TPL_FIELD(struct view_payment_event, source, TPL_STR),
    TPL_FIELD(struct view_payment_event, detail, TPL_STR),
};
static const struct tpl_schema payment_event_schema =
    TPL_SCHEMA(payment_event, payment_event_fields);

static const struct tpl_field admin_payments_fields[] = {
    TPL_NESTED(struct view_admin_payments, layout, TPL_OBJ, view_layout_schema),
    TPL_NESTED(struct view_admin_payments, anomalies, TPL_LIST, anomaly_schema),
    TPL_FIELD(struct view_admin_payments, open_count, TPL_I64),
    TPL_NESTED(struct view_admin_payments, runs, TPL_LIST, job_run_schema),
    TPL_NESTED(struct view_admin_payments, events, TPL_LIST, payment_event_schema),
    TPL_FIELD(struct view_admin_payments, notice, TPL_STR),
    TPL_FIELD(struct view_admin_payments, error, TPL_STR),
};
static const struct tpl_schema admin_payments_schema =
    TPL_SCHEMA(admin_payments, admin_payments_fields);

const struct tpl_binding view_bindings[] = {
    {"home.html", &view_home_schema},          {"product.html", &view_product_schema},
    {"error.html", &view_error_schema},        {"signin.html", &signin_schema},
    {"signup.html", &signup_schema},           {"cart.html", &cart_schema},
    {"orders.html", &orders_schema},           {"order.html", &order_schema},
    {"admin/stock.html", &admin_stock_schema}, {"admin/payments.html", &admin_payments_schema},
};
const size_t view_bindings_len = sizeof view_bindings / sizeof view_bindings[0];

/* views — tpl schemas of the admin page structs; see views.h. */
#include "views.h"

#include "admin/admin.h"

#include <stddef.h>

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

static const struct tpl_field admin_ship_fields[] = {
    TPL_FIELD(struct view_admin_ship, has, TPL_BOOL),
    TPL_FIELD(struct view_admin_ship, recipient, TPL_STR),
    TPL_FIELD(struct view_admin_ship, phone, TPL_STR),
    TPL_FIELD(struct view_admin_ship, postcode, TPL_STR),
    TPL_FIELD(struct view_admin_ship, address, TPL_STR),
    TPL_FIELD(struct view_admin_ship, detail, TPL_STR),
};
static const struct tpl_schema admin_ship_schema = TPL_SCHEMA(admin_ship, admin_ship_fields);

static const struct tpl_field admin_order_row_fields[] = {
    TPL_FIELD(struct view_admin_order_row, id, TPL_I64),
    TPL_FIELD(struct view_admin_order_row, email, TPL_STR),
    TPL_FIELD(struct view_admin_order_row, status, TPL_STR),
    TPL_FIELD(struct view_admin_order_row, total, TPL_I64),
    TPL_FIELD(struct view_admin_order_row, created_at, TPL_STR),
    TPL_NESTED(struct view_admin_order_row, ship, TPL_OBJ, admin_ship_schema),
};
static const struct tpl_schema admin_order_row_schema =
    TPL_SCHEMA(admin_order_row, admin_order_row_fields);

static const struct tpl_field admin_orders_fields[] = {
    TPL_NESTED(struct view_admin_orders, layout, TPL_OBJ, view_layout_schema),
    TPL_FIELD(struct view_admin_orders, q, TPL_STR),
    TPL_NESTED(struct view_admin_orders, orders, TPL_LIST, admin_order_row_schema),
};
static const struct tpl_schema admin_orders_schema = TPL_SCHEMA(admin_orders, admin_orders_fields);

static const struct tpl_field admin_order_line_fields[] = {
    TPL_FIELD(struct view_admin_order_line, slug, TPL_STR),
    TPL_FIELD(struct view_admin_order_line, name, TPL_STR),
    TPL_FIELD(struct view_admin_order_line, size_mm, TPL_I64),
    TPL_FIELD(struct view_admin_order_line, quantity, TPL_I64),
    TPL_FIELD(struct view_admin_order_line, unit_price, TPL_I64),
};
static const struct tpl_schema admin_order_line_schema =
    TPL_SCHEMA(admin_order_line, admin_order_line_fields);

static const struct tpl_field admin_event_fields[] = {
    TPL_FIELD(struct view_admin_event, at, TPL_STR),
    TPL_FIELD(struct view_admin_event, source, TPL_STR),
    TPL_FIELD(struct view_admin_event, what, TPL_STR),
    TPL_FIELD(struct view_admin_event, detail, TPL_STR),
};
static const struct tpl_schema admin_event_schema = TPL_SCHEMA(admin_event, admin_event_fields);

static const struct tpl_field admin_audit_row_fields[] = {
    TPL_FIELD(struct view_admin_audit_row, at, TPL_STR),
    TPL_FIELD(struct view_admin_audit_row, actor, TPL_STR),
    TPL_FIELD(struct view_admin_audit_row, action, TPL_STR),
    TPL_FIELD(struct view_admin_audit_row, target, TPL_STR),
    TPL_FIELD(struct view_admin_audit_row, detail, TPL_STR),
};
static const struct tpl_schema admin_audit_row_schema =
    TPL_SCHEMA(admin_audit_row, admin_audit_row_fields);

static const struct tpl_field admin_job_fields[] = {
    TPL_FIELD(struct view_admin_job, name, TPL_STR),
    TPL_FIELD(struct view_admin_job, description, TPL_STR),
};
static const struct tpl_schema admin_job_schema = TPL_SCHEMA(admin_job, admin_job_fields);

#define AE(f, t) TPL_FIELD(struct view_admin_exec, f, t)
static const struct tpl_field admin_exec_fields[] = {
    AE(id, TPL_I64),      AE(job, TPL_STR),         AE(status, TPL_STR),  AE(started_at, TPL_STR),
    AE(message, TPL_STR), AE(duration_ms, TPL_I64), AE(read, TPL_I64),    AE(processed, TPL_I64),
    AE(skipped, TPL_I64), AE(restart_of, TPL_I64),  AE(failed, TPL_BOOL), AE(running, TPL_BOOL),
};
static const struct tpl_schema admin_exec_schema = TPL_SCHEMA(admin_exec, admin_exec_fields);

#define AST(f, t) TPL_FIELD(struct view_admin_step, f, t)
static const struct tpl_field admin_step_fields[] = {
    AST(name, TPL_STR),    AST(status, TPL_STR),  AST(checkpoint, TPL_STR),
    AST(message, TPL_STR), AST(read, TPL_I64),    AST(processed, TPL_I64),
    AST(skipped, TPL_I64), AST(commits, TPL_I64), AST(rollbacks, TPL_I64),
};
static const struct tpl_schema admin_step_schema = TPL_SCHEMA(admin_step, admin_step_fields);

static const struct tpl_field admin_batch_fields[] = {
    TPL_NESTED(struct view_admin_batch, layout, TPL_OBJ, view_layout_schema),
    TPL_NESTED(struct view_admin_batch, jobs, TPL_LIST, admin_job_schema),
    TPL_NESTED(struct view_admin_batch, execs, TPL_LIST, admin_exec_schema),
    TPL_FIELD(struct view_admin_batch, job, TPL_STR),
    TPL_FIELD(struct view_admin_batch, open_requests, TPL_I64),
    TPL_FIELD(struct view_admin_batch, notice, TPL_STR),
    TPL_FIELD(struct view_admin_batch, csrf, TPL_STR),
    TPL_FIELD(struct view_admin_batch, one, TPL_BOOL),
    TPL_NESTED(struct view_admin_batch, exec, TPL_OBJ, admin_exec_schema),
    TPL_NESTED(struct view_admin_batch, steps, TPL_LIST, admin_step_schema),
};
static const struct tpl_schema admin_batch_schema = TPL_SCHEMA(admin_batch, admin_batch_fields);

static const struct tpl_field admin_size_fields[] = {
    TPL_FIELD(struct view_admin_size, sku_id, TPL_I64),
    TPL_FIELD(struct view_admin_size, size_mm, TPL_I64),
    TPL_FIELD(struct view_admin_size, available, TPL_I64),
};
static const struct tpl_schema admin_size_schema = TPL_SCHEMA(admin_size, admin_size_fields);

#define AP(f, t) TPL_FIELD(struct view_admin_product_form, f, t)
static const struct tpl_field admin_product_form_fields[] = {
    TPL_NESTED(struct view_admin_product_form, layout, TPL_OBJ, view_layout_schema),
    AP(id, TPL_I64),
    AP(slug, TPL_STR),
    AP(name, TPL_STR),
    AP(brand, TPL_STR),
    AP(colorway, TPL_STR),
    AP(description, TPL_STR),
    AP(image, TPL_STR),
    AP(release_date, TPL_STR),
    AP(image_url, TPL_STR),
    AP(price, TPL_I64),
    AP(max_per_account, TPL_I64),
    AP(active, TPL_BOOL),
    TPL_NESTED(struct view_admin_product_form, sizes, TPL_LIST, admin_size_schema),
    AP(csrf, TPL_STR),
    AP(notice, TPL_STR),
    AP(error, TPL_STR),
};
static const struct tpl_schema admin_product_form_schema =
    TPL_SCHEMA(admin_product_form, admin_product_form_fields);

static const struct tpl_field admin_line_fields[] = {
    TPL_FIELD(struct view_admin_line, label, TPL_STR),
    TPL_FIELD(struct view_admin_line, points, TPL_STR),
    TPL_FIELD(struct view_admin_line, color, TPL_STR),
    TPL_FIELD(struct view_admin_line, last, TPL_STR),
};
static const struct tpl_schema admin_line_schema = TPL_SCHEMA(admin_line, admin_line_fields);

static const struct tpl_field admin_plot_fields[] = {
    TPL_NESTED(struct view_admin_plot, lines, TPL_LIST, admin_line_schema),
    TPL_FIELD(struct view_admin_plot, max, TPL_STR),
    TPL_FIELD(struct view_admin_plot, empty, TPL_BOOL),
};
static const struct tpl_schema admin_plot_schema = TPL_SCHEMA(admin_plot, admin_plot_fields);

static const struct tpl_field admin_panel_fields[] = {
    TPL_FIELD(struct view_admin_panel, title, TPL_STR),
    TPL_FIELD(struct view_admin_panel, unit, TPL_STR),
    TPL_FIELD(struct view_admin_panel, query, TPL_STR),
    TPL_NESTED(struct view_admin_panel, hour, TPL_OBJ, admin_plot_schema),
    TPL_NESTED(struct view_admin_panel, minutes, TPL_OBJ, admin_plot_schema),
};
static const struct tpl_schema admin_panel_schema = TPL_SCHEMA(admin_panel, admin_panel_fields);

static const struct tpl_field admin_dashboard_fields[] = {
    TPL_NESTED(struct view_admin_dashboard, layout, TPL_OBJ, view_layout_schema),
    TPL_FIELD(struct view_admin_dashboard, configured, TPL_BOOL),
    TPL_FIELD(struct view_admin_dashboard, available, TPL_BOOL),
    TPL_NESTED(struct view_admin_dashboard, panels, TPL_LIST, admin_panel_schema),
};
static const struct tpl_schema admin_dashboard_schema =
    TPL_SCHEMA(admin_dashboard, admin_dashboard_fields);

static const struct tpl_field admin_index_fields[] = {
    TPL_NESTED(struct view_admin_index, layout, TPL_OBJ, view_layout_schema),
    TPL_NESTED(struct view_admin_index, audit, TPL_LIST, admin_audit_row_schema),
};
static const struct tpl_schema admin_index_schema = TPL_SCHEMA(admin_index, admin_index_fields);

static const struct tpl_field admin_order_fields[] = {
    TPL_NESTED(struct view_admin_order, layout, TPL_OBJ, view_layout_schema),
    TPL_FIELD(struct view_admin_order, id, TPL_I64),
    TPL_FIELD(struct view_admin_order, email, TPL_STR),
    TPL_FIELD(struct view_admin_order, status, TPL_STR),
    TPL_FIELD(struct view_admin_order, pending, TPL_BOOL),
    TPL_FIELD(struct view_admin_order, total, TPL_I64),
    TPL_FIELD(struct view_admin_order, pairs, TPL_I64),
    TPL_FIELD(struct view_admin_order, created_at, TPL_STR),
    TPL_FIELD(struct view_admin_order, hold_expires_at, TPL_STR),
    TPL_FIELD(struct view_admin_order, paid_at, TPL_STR),
    TPL_NESTED(struct view_admin_order, ship, TPL_OBJ, admin_ship_schema),
    TPL_NESTED(struct view_admin_order, lines, TPL_LIST, admin_order_line_schema),
    TPL_FIELD(struct view_admin_order, paid, TPL_BOOL),
    TPL_NESTED(struct view_admin_order, events, TPL_LIST, admin_event_schema),
    TPL_FIELD(struct view_admin_order, csrf, TPL_STR),
    TPL_FIELD(struct view_admin_order, notice, TPL_STR),
    TPL_FIELD(struct view_admin_order, error, TPL_STR),
};
static const struct tpl_schema admin_order_schema = TPL_SCHEMA(admin_order, admin_order_fields);

#define AD(f, t) TPL_FIELD(struct view_admin_drop_row, f, t)
static const struct tpl_field admin_drop_fields[] = {
    AD(id, TPL_I64),          AD(slug, TPL_STR),         AD(name, TPL_STR),
    AD(kind, TPL_STR),        AD(state, TPL_STR),        AD(commitment, TPL_STR),
    AD(beacon, TPL_STR),      AD(opens_at, TPL_STR),     AD(starts_at, TPL_STR),
    AD(closes_at, TPL_STR),   AD(queue, TPL_BOOL),       AD(draw, TPL_BOOL),
    AD(can_cancel, TPL_BOOL), AD(can_beacon, TPL_BOOL),  AD(rate, TPL_I64),
    AD(limit, TPL_I64),       AD(window_s, TPL_I64),     AD(joined, TPL_I64),
    AD(admitted, TPL_I64),    AD(orders, TPL_I64),       AD(paid, TPL_I64),
    AD(serving, TPL_I64),     AD(next_place, TPL_I64),   AD(can_edit, TPL_BOOL),
    AD(opens_local, TPL_STR), AD(starts_local, TPL_STR), AD(closes_local, TPL_STR),
    AD(window_min, TPL_I64),  AD(announce_at, TPL_STR),  AD(announce_local, TPL_STR),
    AD(announced, TPL_BOOL),
};
static const struct tpl_schema admin_drop_schema = TPL_SCHEMA(admin_drop, admin_drop_fields);

#define ADS(f, t) TPL_FIELD(struct view_admin_drops, f, t)
static const struct tpl_field admin_drops_fields[] = {
    TPL_NESTED(struct view_admin_drops, layout, TPL_OBJ, view_layout_schema),
    TPL_NESTED(struct view_admin_drops, drops, TPL_LIST, admin_drop_schema),
    ADS(csrf, TPL_STR),
    ADS(error, TPL_STR),
    ADS(notice, TPL_STR),
    ADS(f_slug, TPL_STR),
    ADS(f_kind, TPL_STR),
    ADS(f_announce, TPL_STR),
    ADS(f_opens, TPL_STR),
    ADS(f_starts, TPL_STR),
    ADS(f_closes, TPL_STR),
    ADS(f_rate, TPL_I64),
    ADS(f_limit, TPL_I64),
    ADS(f_window, TPL_I64),
    ADS(f_draw, TPL_BOOL),
};
static const struct tpl_schema admin_drops_schema = TPL_SCHEMA(admin_drops, admin_drops_fields);

const struct tpl_binding admin_views[] = {
    {"admin/index.html", &admin_index_schema},
    {"admin/dashboard.html", &admin_dashboard_schema},
    {"admin/batch.html", &admin_batch_schema},
    {"admin/product.html", &admin_product_form_schema},
    {"admin/drops.html", &admin_drops_schema},
    {"admin/stock.html", &admin_stock_schema},
    {"admin/payments.html", &admin_payments_schema},
    {"admin/orders.html", &admin_orders_schema},
    {"admin/order.html", &admin_order_schema},
    {"admin/alerts.html", &admin_alerts_schema},
    {"admin/autoscale.html", &admin_autoscale_schema},
    {NULL, NULL},
};

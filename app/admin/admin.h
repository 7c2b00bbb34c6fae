/*
 * admin — the operators' pages under /admin (role admin; everyone else gets 404): stock and
 * the bucket split of hot sizes, prices, orders and where they ship, payment anomalies. Changes are
 * CSRF-protected forms that go through the domain's operations and answer their outcomes through
 * the shared table (front_answer).
 *
 * This header is the folder's own: the composition (app/site) reads admin_module; the handler
 * prototypes are for routes.c.
 */
#ifndef STAMPEDE_ADMIN_ADMIN_H
#define STAMPEDE_ADMIN_ADMIN_H

#include "admin/views.h"
#include "front/front.h"

extern const struct front_module admin_module;

/* stock.c */
void admin_stock(struct http_ex *x);
void admin_stock_buckets(struct http_ex *x);
void admin_price(struct http_ex *x);
/* orders.c */
void admin_orders(struct http_ex *x);
void admin_order_cancel(struct http_ex *x);
void admin_order_refund(struct http_ex *x);
/* products.c */
void admin_product_new(struct http_ex *x);
void admin_product(struct http_ex *x);
void admin_product_save(struct http_ex *x);
void admin_product_size(struct http_ex *x);
void admin_product_size_edit(struct http_ex *x);
/* upload.c */
void admin_product_picture(struct http_ex *x);
/* dashboard.c */
void admin_dashboard(struct http_ex *x);
/* batch.c */
void admin_batch(struct http_ex *x);
void admin_batch_run(struct http_ex *x);
void admin_batch_request(struct http_ex *x);
void admin_batch_restart(struct http_ex *x);
/* index.c: /admin, and the audit helper every change calls */
void admin_index(struct http_ex *x);
/* admin_audit: one admin audit row for the signed-in admin (shop/audit.h); a failure to write
 * it is logged (the change itself is done) */
void admin_audit(struct http_ex *x, const char *action, struct str target, struct str detail);
void admin_stock_adjust(struct http_ex *x);
/* drops.c */
void admin_drops(struct http_ex *x);
void admin_drop_create(struct http_ex *x);
void admin_drop_edit(struct http_ex *x);
void admin_drop_cancel(struct http_ex *x);
void admin_drop_beacon(struct http_ex *x);
void admin_order(struct http_ex *x);
/* payments.c */
void admin_payments(struct http_ex *x);
void admin_anomaly_resolve(struct http_ex *x);
/* alerts.c: the monitoring stack's alerts (the page's schema is bound in views.c) */
void admin_alerts(struct http_ex *x);
extern const struct tpl_schema admin_alerts_schema;
/* autoscale.c: stampede-autoscale's state (its /status) and decision log */
void admin_autoscale(struct http_ex *x);
extern const struct tpl_schema admin_autoscale_schema;

#endif

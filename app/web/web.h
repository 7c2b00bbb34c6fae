/*
 * web — the shopper's side: HTML pages and the JSON API (v1) for the mobile app.
 *
 * A page and its JSON twin are one handler file per subject (catalog, account, address, cart,
 * checkout, orders, pay, webhook): both call the same domain operation and answer its outcome
 * through the shared table (front_answer, app/front/outcome.c); they differ only in how a
 * success is shown (a rendered page or a redirect, versus JSON). routes.c is the folder's
 * route table; views.[ch] its page data.
 *
 * This header is the folder's own: the composition (app/site) reads web_module; the handler
 * prototypes are for routes.c.
 */
#ifndef STAMPEDE_WEB_WEB_H
#define STAMPEDE_WEB_WEB_H

#include "front/front.h"
#include "shop/drop.h"
#include "web/views.h"

extern const struct front_module web_module;

/* status labels of orders ("Awaiting payment"), shared by the order pages */
const char *web_status_label(struct str status);
struct order;
/* web_own_order: the signed-in shopper's order named by the {id} parameter; false when it has
 * answered already (404 order_not_found for anyone else's or a missing order, else a 5xx). */
bool web_own_order(struct http_ex *x, struct order *o);

struct address;
/* web_view_ship: an address as the pages show it, in the arena; an empty one (has false) for
 * NULL or an address without a recipient (address.c) */
const struct view_ship *web_view_ship(struct http_ex *x, const struct address *a);

/* catalog.c */
void page_home(struct http_ex *x);
void page_product(struct http_ex *x);
void api_products(struct http_ex *x);
void api_product(struct http_ex *x);
/* account.c */
void page_signin(struct http_ex *x);
void page_signin_post(struct http_ex *x);
void page_signup(struct http_ex *x);
void page_signup_post(struct http_ex *x);
void page_signout(struct http_ex *x);
void page_account(struct http_ex *x);
void api_signup(struct http_ex *x);
void api_signin(struct http_ex *x);
void api_signout(struct http_ex *x);
void api_whoami(struct http_ex *x);
/* address.c */
void page_address(struct http_ex *x);
void page_address_post(struct http_ex *x);
void api_address(struct http_ex *x);
void api_address_put(struct http_ex *x);
/* cart.c */
void page_cart(struct http_ex *x);
void page_cart_set(struct http_ex *x);
void api_cart(struct http_ex *x);
void api_cart_set(struct http_ex *x);
/* checkout.c */
void page_checkout(struct http_ex *x);
void api_checkout(struct http_ex *x);
/* orders.c */
void page_orders(struct http_ex *x);
void page_order(struct http_ex *x);
void api_orders(struct http_ex *x);
void api_order(struct http_ex *x);
/* pay.c */
void page_order_pay(struct http_ex *x);
void page_order_cancel(struct http_ex *x);
void page_payment_success(struct http_ex *x);
void page_payment_fail(struct http_ex *x);
void api_order_payment(struct http_ex *x);
void api_order_cancel(struct http_ex *x);
/* drops.c */
void page_drops(struct http_ex *x);
void page_drop(struct http_ex *x);
void page_drop_queue_join(struct http_ex *x);
void page_help_drops(struct http_ex *x);
void api_drops(struct http_ex *x);
void api_drop(struct http_ex *x);
void api_drop_queue_join(struct http_ex *x);
void api_drop_queue(struct http_ex *x);
/* web_drops_metrics: registers the queue poll counters (before workers fork) */
void web_drops_metrics(void);
/* web_checkout_metrics: registers stampede_checkout_total{outcome} and
 * stampede_checkout_retries_total (before workers fork; checkout.c) */
void web_checkout_metrics(void);
/* web_pay_metrics: registers stampede_payments_total{outcome} (before workers fork; pay.c) */
void web_pay_metrics(void);
/* web_drop_state_label: a drop's state in words for shoppers */
const char *web_drop_state_label(enum drop_state s, enum drop_kind k);
/* web_product_drop: the announced drop that governs a product, for its page (NULL: none);
 * *held when a drop not yet announced governs it (its sizes are not on sale, and the page must
 * not show that drop) */
struct view_drop_row *web_product_drop(struct http_ex *x, int64_t product_id, bool *held);
/* web_drop_client_ip: the client's address for the per-address limit of drops, empty when
 * drops.exempt_addresses lists it (then it is not counted) */
struct str web_drop_client_ip(struct http_ex *x);
/* web_drop_admission: whether the request carries a drop admission (checkout.c) */
bool web_drop_admission(struct http_ex *x, int64_t *drop_id);
/* draw.c: draw drops (entries, results, proofs) */
void api_drop_enter(struct http_ex *x);
void api_drop_entry(struct http_ex *x);
void api_drop_proof(struct http_ex *x);
void page_drop_draw(struct http_ex *x);
void page_drop_enter(struct http_ex *x);
void page_drop_proof(struct http_ex *x);
struct drop;
/* web_drop_draw_view: the draw part of a drop page for d (a draw): state, the size picker,
 * the signed-in shopper's entry and result; templates/partials/drop_draw.html renders it
 * ({{#with draw}}{{> drop_draw}}{{/with}}). 0, or an error for front_answer. */
int web_drop_draw_view(struct http_ex *x, const struct drop *d, struct view_drop_draw **out);
/* web_drop_draw_page: renders the whole page of a draw drop (drop_draw.html), for a drop page
 * handler that finds its drop is a draw. */
void web_drop_draw_page(struct http_ex *x, const struct drop *d);
/* webhook.c */
void hook_psp_webhook(struct http_ex *x);

/* web_render_cart: the cart page with an error (status, outcome's message) or a notice;
 * shared by the cart and checkout pages (cart.c). */
void web_render_cart(struct http_ex *x, int status, struct str error,
                     const struct view_problem *problems, size_t nproblems, struct str notice);

#endif

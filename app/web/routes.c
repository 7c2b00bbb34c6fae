/*
 * routes — the shopper's routes (pages and JSON API v1). Every parameter and header a handler
 * reads is declared here with its validator; flags say who may call a route (front_before,
 * app/front/auth.c). The composition (app/site) puts these before admin's and ops'.
 */
#include "web/web.h"

#include <stdint.h>

#define END                     \
    {                           \
        NULL, 0, 0, 0, 0, false \
    }

static const struct http_param p_slug[] = {
    {"slug", HTTP_SRC_PATH, HTTP_K_SLUG, 1, 80, true},
    END,
};
static const struct http_param p_id[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    END,
};
static const struct http_param p_order_page[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"placed", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    {"payment", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 32, false},
    END,
};
/* what the gateway appends to the return URLs (Toss Payments' names) */
/* `attempt` is the shop's own signed token in the return URLs (shop/payment.h) */
static const struct http_param p_pay_success[] = {
    {"paymentKey", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 64, true},
    {"orderId", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 64, true},
    {"amount", HTTP_SRC_QUERY, HTTP_K_INT, 1, 1000000000000LL, true},
    {"attempt", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 64, false},
    END,
};
static const struct http_param p_pay_fail[] = {
    {"orderId", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 64, true},
    {"code", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 64, true},
    {"message", HTTP_SRC_QUERY, HTTP_K_TEXT, 0, 500, false},
    {"paymentKey", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 64, false},
    {"attempt", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 64, false},
    END,
};
static const struct http_param p_api_pay[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"paymentKey", HTTP_SRC_BODY, HTTP_K_TOKEN, 1, 64, true},
    {"amount", HTTP_SRC_BODY, HTTP_K_INT, 1, 1000000000000LL, true},
    END,
};
static const struct http_param p_signin_page[] = {
    {"next", HTTP_SRC_QUERY, HTTP_K_TEXT, 0, 200, false},
    {"signed_out", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    END,
};
/* sign-in takes any text up to the size limits: a malformed address is just a failed
 * sign-in, not a 400 that would tell an attacker something */
static const struct http_param p_signin[] = {
    {"email", HTTP_SRC_BODY, HTTP_K_TEXT, 1, 254, true},
    {"password", HTTP_SRC_BODY, HTTP_K_SECRET, 1, 1024, true},
    {"next", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 200, false},
    END,
};
static const struct http_param p_signup_page[] = {
    {"email", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 254, true},
    {"name", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 100, true},
    {"password", HTTP_SRC_BODY, HTTP_K_SECRET, 0, 1024, true},
    END,
};
static const struct http_param p_signup_api[] = {
    {"email", HTTP_SRC_BODY, HTTP_K_EMAIL, 0, 0, true},
    {"name", HTTP_SRC_BODY, HTTP_K_TEXT, 1, 100, true},
    {"password", HTTP_SRC_BODY, HTTP_K_SECRET, 0, 1024, true},
    END,
};
static const struct http_param p_cart_page[] = {
    {"updated", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    END,
};
static const struct http_param p_cart_set[] = {
    {"sku_id", HTTP_SRC_BODY, HTTP_K_ID, 0, 0, true},
    {"quantity", HTTP_SRC_BODY, HTTP_K_INT, 0, 99, true},
    END,
};
static const struct http_param p_checkout_page[] = {
    {"idempotency_key", HTTP_SRC_BODY, HTTP_K_TOKEN, 16, 255, true},
    /* "Buy now" on a product page: that size instead of the cart */
    {"sku_id", HTTP_SRC_BODY, HTTP_K_ID, 0, 0, false},
    {"quantity", HTTP_SRC_BODY, HTTP_K_INT, 1, 99, false},
    /* the drop page's buy form: the shopper's admission (shop/admission.h) */
    {"admission", HTTP_SRC_BODY, HTTP_K_TOKEN, 1, 2048, false},
    END,
};
/* buy now: one size and quantity instead of the cart (both or neither); every checkout carries
 * an Idempotency-Key header (a retry with the same key is the same order) */
static const struct http_param p_checkout_api[] = {
    {"sku_id", HTTP_SRC_BODY, HTTP_K_ID, 0, 0, false},
    {"quantity", HTTP_SRC_BODY, HTTP_K_INT, 1, 99, false},
    /* a drop's size: the admission of its queue (shop/admission.h) */
    {"Drop-Admission", HTTP_SRC_HEADER, HTTP_K_TOKEN, 1, 2048, false},
    {"Idempotency-Key", HTTP_SRC_HEADER, HTTP_K_TOKEN, 8, 255, true, "idempotency_key_required",
     "invalid_idempotency_key"},
    END,
};
/* the shipping address (address.c): any text up to the router's bound reaches the domain,
 * which names each wrong field; bad UTF-8 or a control character is 400 invalid_address here */
#define ADDRESS_FIELD(name)                                                       \
    {                                                                             \
        name, HTTP_SRC_BODY, HTTP_K_TEXT, 0, 1000, false, NULL, "invalid_address" \
    }
static const struct http_param p_address_page[] = {
    {"next", HTTP_SRC_QUERY, HTTP_K_TEXT, 0, 200, false},
    {"saved", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    {"required", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    END,
};
static const struct http_param p_address_form[] = {
    ADDRESS_FIELD("recipient"),
    ADDRESS_FIELD("phone"),
    ADDRESS_FIELD("postcode"),
    ADDRESS_FIELD("address"),
    ADDRESS_FIELD("detail"),
    {"next", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 200, false},
    {"required", HTTP_SRC_BODY, HTTP_K_BOOL, 0, 0, false},
    END,
};
static const struct http_param p_address_api[] = {
    ADDRESS_FIELD("recipient"), ADDRESS_FIELD("phone"),  ADDRESS_FIELD("postcode"),
    ADDRESS_FIELD("address"),   ADDRESS_FIELD("detail"), END,
};
/* draws (draw.c) */
static const struct http_param p_draw_page[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"entered", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    END,
};
static const struct http_param p_draw_enter[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"sku_id", HTTP_SRC_BODY, HTTP_K_ID, 0, 0, true},
    END,
};
static const struct http_param p_webhook[] = {
    {"PSP-Signature", HTTP_SRC_HEADER, HTTP_K_TEXT, 1, 500, false},
    END,
};

/* drops: a queue poll proves who asks with its ticket (web/drops.c) */
static const struct http_param p_drop_poll[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"Queue-Ticket", HTTP_SRC_HEADER, HTTP_K_TOKEN, 1, 2048, false},
    {"Drop-Admission", HTTP_SRC_HEADER, HTTP_K_TOKEN, 1, 2048, false},
    END,
};

static const struct http_route routes[] = {
    /* pages */
    {HTTP_GET, "/", page_home, "home", NULL, 0},
    {HTTP_GET, "/products/{slug}", page_product, "product", p_slug, 0},
    {HTTP_GET, "/account/signin", page_signin, "signin_page", p_signin_page, 0},
    {HTTP_POST, "/account/signin", page_signin_post, "signin", p_signin, 0},
    {HTTP_GET, "/account/signup", page_signup, "signup_page", NULL, 0},
    {HTTP_POST, "/account/signup", page_signup_post, "signup", p_signup_page, 0},
    {HTTP_POST, "/account/signout", page_signout, "signout", NULL, 0},
    {HTTP_GET, "/account", page_account, "account", NULL, FRONT_AUTH},
    {HTTP_GET, "/account/address", page_address, "address_page", p_address_page, FRONT_AUTH},
    {HTTP_POST, "/account/address", page_address_post, "address", p_address_form, FRONT_AUTH},
    {HTTP_GET, "/cart", page_cart, "cart", p_cart_page, FRONT_AUTH},
    {HTTP_POST, "/cart/items", page_cart_set, "cart_set", p_cart_set, FRONT_AUTH},
    {HTTP_POST, "/checkout", page_checkout, "checkout", p_checkout_page, FRONT_AUTH},
    {HTTP_GET, "/orders", page_orders, "orders", NULL, FRONT_AUTH},
    {HTTP_GET, "/orders/{id}", page_order, "order", p_order_page, FRONT_AUTH},
    {HTTP_GET, "/orders/{id}/pay", page_order_pay, "order_pay", p_id, FRONT_AUTH},
    {HTTP_POST, "/orders/{id}/cancel", page_order_cancel, "order_cancel", p_id, FRONT_AUTH},
    {HTTP_GET, "/payments/success", page_payment_success, "payment_success", p_pay_success, 0},
    {HTTP_GET, "/payments/fail", page_payment_fail, "payment_fail", p_pay_fail, FRONT_AUTH},
    {HTTP_GET, "/drops", page_drops, "drops", NULL, 0},
    {HTTP_GET, "/help/drops", page_help_drops, "help_drops", NULL, 0},
    /* the waiting room knows a ticket holder by the ticket, as the poll does (drops.c) */
    {HTTP_GET, "/drops/{id}", page_drop, "drop", p_id, FRONT_LAZY_SESSION},
    {HTTP_POST, "/drops/{id}/queue", page_drop_queue_join, "drop_queue_join", p_id, FRONT_AUTH},
    /* gateway events: authenticated by their HMAC signature, not by a session */
    {HTTP_POST, "/webhooks/psp", hook_psp_webhook, "webhook_psp", p_webhook, FRONT_NO_CSRF},
    /* JSON API v1 */
    {HTTP_GET, "/api/v1/products", api_products, "api_products", NULL, 0},
    {HTTP_GET, "/api/v1/products/{slug}", api_product, "api_product", p_slug, 0},
    {HTTP_POST, "/api/v1/accounts", api_signup, "api_signup", p_signup_api, 0},
    {HTTP_POST, "/api/v1/session", api_signin, "api_signin", p_signin, 0},
    {HTTP_GET, "/api/v1/session", api_whoami, "api_whoami", NULL, FRONT_AUTH},
    {HTTP_DELETE, "/api/v1/session", api_signout, "api_signout", NULL, FRONT_AUTH},
    {HTTP_GET, "/api/v1/account/address", api_address, "api_address", NULL, FRONT_AUTH},
    {HTTP_PUT, "/api/v1/account/address", api_address_put, "api_address_put", p_address_api,
     FRONT_AUTH},
    {HTTP_GET, "/api/v1/cart", api_cart, "api_cart", NULL, FRONT_AUTH},
    {HTTP_POST, "/api/v1/cart/items", api_cart_set, "api_cart_set", p_cart_set, FRONT_AUTH},
    {HTTP_POST, "/api/v1/checkout", api_checkout, "api_checkout", p_checkout_api, FRONT_AUTH},
    {HTTP_GET, "/api/v1/orders", api_orders, "api_orders", NULL, FRONT_AUTH},
    {HTTP_GET, "/api/v1/orders/{id}", api_order, "api_order", p_id, FRONT_AUTH},
    {HTTP_POST, "/api/v1/orders/{id}/payment", api_order_payment, "api_order_payment", p_api_pay,
     FRONT_AUTH},
    {HTTP_POST, "/api/v1/orders/{id}/cancel", api_order_cancel, "api_order_cancel", p_id,
     FRONT_AUTH},
    {HTTP_GET, "/api/v1/drops", api_drops, "api_drops", NULL, 0},
    {HTTP_GET, "/api/v1/drops/{id}", api_drop, "api_drop", p_id, 0},
    {HTTP_POST, "/api/v1/drops/{id}/queue", api_drop_queue_join, "api_drop_queue_join", p_id,
     FRONT_AUTH},
    {HTTP_GET, "/api/v1/drops/{id}/queue", api_drop_queue, "api_drop_queue", p_drop_poll,
     FRONT_LAZY_SESSION},
    /* draw drops (draw.c): entering, one's result, the proof (public, also a queue's
     * pre-queue shuffle) */
    {HTTP_GET, "/drops/{id}/draw", page_drop_draw, "drop_draw", p_draw_page, 0},
    {HTTP_POST, "/drops/{id}/entries", page_drop_enter, "drop_enter", p_draw_enter, FRONT_AUTH},
    {HTTP_GET, "/drops/{id}/proof", page_drop_proof, "drop_proof", p_id, 0},
    {HTTP_POST, "/api/v1/drops/{id}/entries", api_drop_enter, "api_drop_enter", p_draw_enter,
     FRONT_AUTH},
    {HTTP_GET, "/api/v1/drops/{id}/entry", api_drop_entry, "api_drop_entry", p_id, FRONT_AUTH},
    {HTTP_GET, "/api/v1/drops/{id}/proof", api_drop_proof, "api_drop_proof", p_id, 0},
};

const struct front_module web_module = {
    "web",
    routes,
    sizeof routes / sizeof routes[0],
    web_views,
};

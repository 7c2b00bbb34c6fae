/*
 * pages — the sandbox's hosted payment page (Toss's payment window, Stripe Checkout).
 *
 *   GET  /checkout?clientKey&orderId&orderName&amount&successUrl&failUrl[&customerEmail]
 *        the card form, labelled SANDBOX, with the test cards listed;
 *   POST /checkout   the card holder pays or cancels: a payment is authorized (READY) or
 *        declined (ABORTED) and the browser goes to
 *          successUrl?paymentKey=..&orderId=..&amount=..          (authorized), or
 *          failUrl?code=..&message=..&orderId=..[&paymentKey=..]  (declined or cancelled).
 *
 * Test cards (spaces and dashes are ignored):
 *   4242 4242 4242 4242  approved
 *   4000 0000 0000 0002  declined by the card company (REJECT_CARD_COMPANY)
 *   4000 0000 0000 3220  approved, but slow: psp.slow_ms here and again at confirm
 *
 * Nothing is captured here: the merchant's server must confirm (api.c) within the confirm
 * window, with the amount the card holder saw.
 */
#include "psp.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"

#include <stddef.h>
#include <string.h>

struct view_card {
    const char *number;
    const char *outcome;
};

struct view_checkout {
    struct str client_key;
    struct str order_id;
    struct str order_name;
    int64_t amount;
    struct str success_url;
    struct str fail_url;
    struct str customer_email;
    struct str card_number;
    struct str error;
    struct tpl_list cards;
};

struct view_message {
    int64_t status;
    struct str title;
    struct str message;
};

static const struct tpl_field card_fields[] = {
    TPL_FIELD(struct view_card, number, TPL_CSTR),
    TPL_FIELD(struct view_card, outcome, TPL_CSTR),
};
static const struct tpl_schema card_schema = TPL_SCHEMA(card, card_fields);

static const struct tpl_field checkout_fields[] = {
    TPL_FIELD(struct view_checkout, client_key, TPL_STR),
    TPL_FIELD(struct view_checkout, order_id, TPL_STR),
    TPL_FIELD(struct view_checkout, order_name, TPL_STR),
    TPL_FIELD(struct view_checkout, amount, TPL_I64),
    TPL_FIELD(struct view_checkout, success_url, TPL_STR),
    TPL_FIELD(struct view_checkout, fail_url, TPL_STR),
    TPL_FIELD(struct view_checkout, customer_email, TPL_STR),
    TPL_FIELD(struct view_checkout, card_number, TPL_STR),
    TPL_FIELD(struct view_checkout, error, TPL_STR),
    TPL_NESTED(struct view_checkout, cards, TPL_LIST, card_schema),
};
static const struct tpl_schema checkout_schema = TPL_SCHEMA(checkout, checkout_fields);

static const struct tpl_field message_fields[] = {
    TPL_FIELD(struct view_message, status, TPL_I64),
    TPL_FIELD(struct view_message, title, TPL_STR),
    TPL_FIELD(struct view_message, message, TPL_STR),
};
static const struct tpl_schema message_schema = TPL_SCHEMA(message, message_fields);

const struct tpl_binding psp_view_bindings[] = {
    {"psp/checkout.html", &checkout_schema},
    {"psp/message.html", &message_schema},
};
const size_t psp_view_bindings_len = sizeof psp_view_bindings / sizeof psp_view_bindings[0];

static const struct view_card test_cards[] = {
    {"4242 4242 4242 4242", "approved"},
    {"4000 0000 0000 0002", "declined by the card company"},
    {"4000 0000 0000 3220", "approved slowly (the card company takes a few seconds)"},
};

/* origin: "http://host:port" of an absolute http(s) URL, or empty when it is not one or has
 * characters that do not belong in a CSP source */
static struct str origin(struct str url)
{
    size_t skip = str_starts_with(url, STR("http://"))    ? 7
                  : str_starts_with(url, STR("https://")) ? 8
                                                          : 0;
    if (!skip)
        return STR_NULL;
    size_t end = skip;
    while (end < url.len && url.p[end] != '/' && url.p[end] != '?' && url.p[end] != '#')
        end++;
    if (end == skip)
        return STR_NULL;
    for (size_t i = skip; i < end; i++) {
        char c = url.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return STR_NULL;
    }
    return (struct str){url.p, end};
}

static void page_headers(struct http_ex *x, struct str success, struct str fail)
{
    struct str a = origin(success), b = origin(fail);
    http_resp_header(x, "Content-Security-Policy",
                     str_from_cstr(arena_sprintf(
                         x->arena,
                         "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                         "form-action 'self' %.*s %.*s; base-uri 'none'; frame-ancestors 'none'",
                         STR_FMT(a), STR_FMT(b))));
}

static void message(struct http_ex *x, int status, const char *title, const char *text)
{
    struct view_message *v = arena_calloc(x->arena, 1, sizeof *v);
    v->status = status;
    v->title = str_from_cstr(title);
    v->message = str_from_cstr(text);
    x->resp.status = status;
    x->resp.content_type = "text/html; charset=utf-8";
    buf_reset(x->resp.body);
    page_headers(x, STR_NULL, STR_NULL);
    tpl_render(x->app->psp->t_message, v, x->resp.body);
}

/* psp_error_page: the error hook: JSON under /v1, a SANDBOX page elsewhere */
void psp_error_page(struct http_ex *x, int status, const char *code, const char *text)
{
    if (str_starts_with(x->req.path, STR("/v1/"))) {
        psp_error(x, status, code, text);
        return;
    }
    message(x, status, status == 404 ? "Not found" : "That did not work", text);
}

/* request: the checkout fields, validated beyond their kinds; false when answered */
static bool request(struct http_ex *x, struct view_checkout *v)
{
    const struct psp_cfg *cfg = &x->app->psp->cfg;
    v->client_key = http_param_str(x, "clientKey");
    v->order_id = http_param_str(x, "orderId");
    v->order_name = http_param_str(x, "orderName");
    v->amount = http_param_i64(x, "amount", 0);
    v->success_url = http_param_str(x, "successUrl");
    v->fail_url = http_param_str(x, "failUrl");
    v->customer_email = http_param_str(x, "customerEmail");
    v->cards =
        (struct tpl_list){test_cards, sizeof test_cards / sizeof *test_cards, sizeof *test_cards};
    if (!sec_equal(v->client_key, str_from_cstr(cfg->client_key))) {
        x->error_code = "invalid_client_key";
        message(x, 401, "Unknown merchant",
                "This payment page was opened with a client key the sandbox does not know.");
        return false;
    }
    if (!origin(v->success_url).len || !origin(v->fail_url).len) {
        x->error_code = "invalid_return_url";
        message(x, 400, "Bad return address",
                "successUrl and failUrl must be absolute http or https addresses.");
        return false;
    }
    return true;
}

static void render_form(struct http_ex *x, int status, struct view_checkout *v)
{
    x->resp.status = status;
    x->resp.content_type = "text/html; charset=utf-8";
    buf_reset(x->resp.body);
    page_headers(x, v->success_url, v->fail_url);
    tpl_render(x->app->psp->t_checkout, v, x->resp.body);
}

void psp_page_checkout(struct http_ex *x)
{
    struct view_checkout *v = arena_calloc(x->arena, 1, sizeof *v);
    if (request(x, v))
        render_form(x, 200, v);
}

/* back_to: url + (? or &) + the pairs, each value percent-encoded */
static struct str back_to(struct http_ex *x, struct str url, const char *const *kv, size_t n)
{
    struct buf *b = x->resp.body;
    buf_reset(b);
    buf_append_str(b, url);
    char sep = memchr(url.p, '?', url.len) ? '&' : '?';
    for (size_t i = 0; i + 1 < n; i += 2) {
        buf_append_char(b, sep);
        buf_append_cstr(b, kv[i]);
        buf_append_char(b, '=');
        buf_append_urlenc(b, str_from_cstr(kv[i + 1]));
        sep = '&';
    }
    struct str s = arena_str_dup(x->arena, buf_str(b));
    buf_reset(b);
    return s;
}

void psp_page_checkout_post(struct http_ex *x)
{
    struct view_checkout *v = arena_calloc(x->arena, 1, sizeof *v);
    if (!request(x, v))
        return;
    const char *order = arena_cstr(x->arena, v->order_id);
    struct psp_fault f;
    if (psp_fault_take(x->app->psp, "checkout", v->order_id, &f)) {
        log_info("fault %s on checkout (order %s)", f.kind, order);
        if (strcmp(f.kind, "slow") == 0)
            clock_sleep_ms(f.delay_ms > 0 ? f.delay_ms : 2000);
        if (strcmp(f.kind, "error") == 0) {
            message(x, 500, "Sandbox fault", "The payment page failed (an injected fault).");
            return;
        }
    }
    if (str_eq_cstr(http_param_str(x, "action"), "cancel")) {
        const char *kv[] = {"code",    "PAY_PROCESS_CANCELED",
                            "message", "The card holder cancelled the payment.",
                            "orderId", order};
        http_resp_redirect(x, 303, back_to(x, v->fail_url, kv, 6));
        return;
    }
    /* the card number without spaces and dashes */
    struct str raw = http_param_str(x, "cardNumber");
    char digits[32];
    size_t nd = 0;
    for (size_t i = 0; i < raw.len && nd + 1 < sizeof digits; i++)
        if (raw.p[i] >= '0' && raw.p[i] <= '9')
            digits[nd++] = raw.p[i];
    digits[nd] = '\0';
    const char *kind = strcmp(digits, "4242424242424242") == 0   ? "approve"
                       : strcmp(digits, "4000000000000002") == 0 ? "decline"
                       : strcmp(digits, "4000000000003220") == 0 ? "slow"
                                                                 : NULL;
    if (!kind) {
        v->card_number = raw;
        v->error = STR("This sandbox accepts only the test cards listed below.");
        x->error_code = "unknown_test_card";
        render_form(x, 422, v);
        return;
    }
    if (strcmp(kind, "slow") == 0)
        clock_sleep_ms(x->app->psp->cfg.slow_ms);
    struct psp_new_payment in = {
        v->order_id, v->order_name, v->amount,
        str_from_cstr(arena_sprintf(x->arena, "%.6s******%s", digits, digits + 12)), kind};
    struct psp_payment p;
    int rc = psp_payment_create(x->app, &in, &p);
    if (rc) {
        log_error("checkout for order %s failed: %s", order, err_str(rc));
        message(x, 500, "Sandbox error", "The sandbox could not record the payment; try again.");
        return;
    }
    const char *key = arena_cstr(x->arena, p.payment_key);
    if (strcmp(kind, "decline") == 0) {
        const char *kv[] = {"code",       "REJECT_CARD_COMPANY",
                            "message",    "The card company declined the payment.",
                            "orderId",    order,
                            "paymentKey", key};
        http_resp_redirect(x, 303, back_to(x, v->fail_url, kv, 8));
        return;
    }
    const char *kv[] = {"paymentKey", key,
                        "orderId",    order,
                        "amount",     arena_sprintf(x->arena, "%lld", (long long)v->amount)};
    http_resp_redirect(x, 303, back_to(x, v->success_url, kv, 6));
}

void psp_page_css(struct http_ex *x)
{
    buf_reset(x->resp.body);
    x->resp.content_type = "text/css; charset=utf-8";
    x->resp.cache_max_age = 3600;
    buf_append_str(x->resp.body, x->app->psp->css);
}

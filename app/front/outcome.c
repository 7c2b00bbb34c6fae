/*
 * outcome — the one table from a domain outcome (shop/outcome.h) to an HTTP answer: status,
 * stable error code and message. Pages and the JSON API both use it, so a shopper reads the
 * same words in the app and on the site, and docs/API.md lists these codes.
 */
#include "front/front.h"

#include "core/err.h"

static const struct front_outcome table[SHOP_OUTCOME_COUNT] = {
    [SHOP_OK] = {200, "", ""},
    [SHOP_PRODUCT_NOT_FOUND] = {404, "product_not_found", "We could not find that product."},
    [SHOP_SKU_NOT_FOUND] = {404, "sku_not_found", "That size is not on sale."},
    [SHOP_ORDER_NOT_FOUND] = {404, "order_not_found", "We could not find that order."},
    [SHOP_ANOMALY_NOT_FOUND] = {404, "anomaly_not_found", "No such open anomaly."},
    [SHOP_SOLD_OUT] = {409, "sold_out", "That size is sold out."},
    [SHOP_OUT_OF_STOCK] = {409, "out_of_stock", "Not enough pairs left of some sizes."},
    [SHOP_INVALID_QUANTITY] = {400, "invalid_quantity", "Choose fewer pairs of that size."},
    [SHOP_LIMIT_EXCEEDED] = {409, "limit_exceeded", "That product is limited per customer."},
    [SHOP_CART_EMPTY] = {409, "cart_empty", "The cart is empty."},
    [SHOP_KEY_REUSED] = {422, "idempotency_key_reused",
                         "This Idempotency-Key was used with a different cart or size."},
    [SHOP_NOT_PAYABLE] = {409, "not_payable", "This order does not wait for payment."},
    [SHOP_NOT_CANCELLABLE] = {409, "not_cancellable", "The order no longer waits for payment."},
    [SHOP_NOT_REFUNDABLE] = {409, "not_refundable", "Only a paid order can be refunded."},
    [SHOP_EMAIL_TAKEN] = {409, "email_taken",
                          "An account with this e-mail address already exists."},
    [SHOP_WEAK_PASSWORD] = {422, "weak_password", "Choose a stronger password."},
    [SHOP_INVALID_EMAIL] = {422, "invalid_email", "Enter a valid e-mail address."},
    [SHOP_INVALID_NAME] = {422, "invalid_name", "Tell us your name (1 to 100 characters)."},
    [SHOP_INVALID_CREDENTIALS] = {401, "invalid_credentials",
                                  "That e-mail address and password do not match."},
    [SHOP_TOO_MANY_ATTEMPTS] = {429, "too_many_attempts",
                                "Too many failed sign-ins from here; wait and try again."},
    [SHOP_AUTH_BUSY] = {503, "auth_busy",
                        "Many shoppers are signing in right now; try again in a moment."},
    [SHOP_PAYMENT_PENDING] = {202, "payment_pending",
                              "The payment is being confirmed; check the order shortly."},
    [SHOP_PAYMENT_DECLINED] = {402, "payment_declined", "The payment company refused the payment."},
    [SHOP_ORDER_EXPIRED] = {409, "order_expired", "The hold ran out before the payment."},
    [SHOP_ORDER_CLOSED] = {409, "order_closed", "The order no longer waits for payment."},
    [SHOP_ALREADY_PAID] = {409, "already_paid", "The order was paid by another payment."},
    [SHOP_PAYMENT_IN_PROGRESS] = {409, "payment_in_progress",
                                  "Another payment of this order is being confirmed."},
    [SHOP_AMOUNT_MISMATCH] = {422, "amount_mismatch", "The amount differs from the order total."},
    [SHOP_PAYMENTS_OFF] = {503, "payments_unavailable",
                           "Payments are not available right now. Please try again soon."},
    [SHOP_BAD_SIGNATURE] = {400, "invalid_signature",
                            "The signature is missing, wrong or outside the time window."},
    [SHOP_BAD_EVENT] = {400, "invalid_event", "The body is not an event we know."},
    [SHOP_INVALID_ACTION] = {400, "invalid_action", "That action is not possible here."},
    [SHOP_STILL_CAPTURED] = {409, "still_captured",
                             "The gateway still holds money for this payment: the order was not "
                             "refunded. Refund it at the gateway first, or dismiss the anomaly."},
    [SHOP_GATEWAY_DOWN] = {503, "gateway_unavailable",
                           "The payment gateway cannot be asked right now; try again."},
    [SHOP_ROW_BUSY] = {409, "busy", "Someone else is changing this right now; try again."},
    [SHOP_BATCH_JOB_NOT_FOUND] = {404, "job_not_found", "There is no such batch job."},
    [SHOP_BATCH_RUN_NOT_FOUND] = {404, "batch_run_not_found", "There is no such batch run."},
    [SHOP_NOT_RESTARTABLE] = {409, "not_restartable",
                              "Only a job's latest run can be restarted, once it has failed and "
                              "before another run resumed it."},
    [SHOP_DROP_NOT_FOUND] = {404, "drop_not_found", "We could not find that drop."},
    [SHOP_INVALID_DROP] = {400, "invalid_drop", "Those drop settings are not possible."},
    [SHOP_INVALID_PRODUCT] = {400, "invalid_product", "Some product fields are not right."},
    [SHOP_SLUG_TAKEN] = {409, "slug_taken", "Another product already has that address (slug)."},
    [SHOP_DROP_EXISTS] = {409, "drop_exists", "That product already has a drop scheduled."},
    [SHOP_DROP_LOCKED] = {409, "drop_locked", "The drop has opened; it can no longer change."},
    [SHOP_WRONG_DROP_KIND] = {409, "wrong_drop_kind", "This drop does not work that way."},
    [SHOP_DROP_NOT_OPEN] = {409, "drop_not_open", "This drop is not open right now."},
    [SHOP_NOT_IN_QUEUE] = {404, "not_in_queue", "You have not joined this queue."},
    [SHOP_TOO_MANY_ACCOUNTS] = {429, "too_many_accounts",
                                "Too many accounts from your address are in this drop."},
    [SHOP_NOT_ADMITTED] = {403, "not_admitted",
                           "That size is sold only through its drop: join the queue or the draw."},
    [SHOP_ALREADY_ENTERED] = {409, "already_entered", "You have already entered this draw."},
    [SHOP_ENTRIES_CLOSED] = {409, "entries_closed", "Entries for this draw are not open."},
    [SHOP_NOT_ENTERED] = {404, "not_entered", "You have not entered this draw."},
    [SHOP_NOT_DRAWN] = {409, "not_drawn", "The draw has not happened yet."},
    [SHOP_TOO_MANY_TRIES] = {429, "too_many_tries",
                             "You are trying too often. Wait a minute, then try again: your "
                             "place or entry is kept."},
    [SHOP_INVALID_ADDRESS] = {400, "invalid_address",
                              "Check the shipping address: some fields are not right."},
    [SHOP_NO_ADDRESS] = {404, "no_address", "There is no shipping address in your account yet."},
    [SHOP_ADDRESS_REQUIRED] = {409, "address_required",
                               "Add a shipping address to your account first."},
};

static const struct front_outcome unknown = {500, "internal_error",
                                             "Something went wrong on our side."};

const struct front_outcome *front_outcome(int outcome)
{
    if (outcome < 0 || outcome >= SHOP_OUTCOME_COUNT || !table[outcome].code)
        return &unknown;
    return &table[outcome];
}

const char *front_outcome_message(struct http_ex *x, int outcome, const struct shop_problem *p)
{
    const struct front_outcome *o = front_outcome(outcome);
    if (!p)
        return o->message;
    switch (outcome) {
    case SHOP_INVALID_QUANTITY:
        if (p->max_line > 0)
            return arena_sprintf(x->arena, "Choose between 1 and %lld pairs of a size.",
                                 (long long)p->max_line);
        break;
    case SHOP_LIMIT_EXCEEDED:
        if (p->product.len && p->already > 0)
            return arena_sprintf(x->arena,
                                 "%.*s is limited to %lld per customer (you already ordered %lld).",
                                 STR_FMT(p->product), (long long)p->limit, (long long)p->already);
        if (p->product.len)
            return arena_sprintf(x->arena, "%.*s is limited to %lld per customer.",
                                 STR_FMT(p->product), (long long)p->limit);
        break;
    case SHOP_WEAK_PASSWORD:
    case SHOP_EMAIL_TAKEN:
    case SHOP_INVALID_DROP:
    case SHOP_INVALID_PRODUCT:
        if (p->why)
            return p->why;
        break;
    case SHOP_TOO_MANY_ATTEMPTS:
        if (p->retry_after_s > 0)
            return arena_sprintf(x->arena,
                                 "Too many failed sign-ins from here. Try again in %lld seconds.",
                                 (long long)p->retry_after_s);
        break;
    case SHOP_AUTH_BUSY:
        if (p->retry_after_s > 0)
            return arena_sprintf(x->arena,
                                 "Many shoppers are signing in right now. Please try again in "
                                 "%lld seconds.",
                                 (long long)p->retry_after_s);
        break;
    }
    return o->message;
}

void front_answer(struct http_ex *x, int rc, const struct shop_problem *problem)
{
    if (rc < 0) {
        front_fail(x, rc);
        return;
    }
    const struct front_outcome *o = front_outcome(rc);
    if (problem && problem->retry_after_s > 0)
        front_retry_after(x, problem->retry_after_s);
    else if (o->status == 503)
        front_retry_after(x, 2);
    http_resp_error(x, o->status, o->code, front_outcome_message(x, rc, problem));
}

/*
 * outcome — what a domain operation decided, as a result kind of its own.
 *
 * Domain operations (cart_set, checkout_place, account_signin, payment_confirm, ...) return an
 * int with two channels that never mix:
 *   < 0   an internal failure (an ERR_* code of core/err.h): the operation could not run
 *         (database down, lock wait exhausted, a bug). Nothing was decided; the caller
 *         answers "try again" or "something went wrong".
 *   >= 0  an enum shop_outcome: the operation ran and this is its answer. SHOP_OK is 0; every
 *         other value is a business answer the shopper must see (sold out, limit reached,
 *         wrong password...). What changed is documented per operation; an operation that
 *         refuses changes nothing.
 * Details that a message needs (which product hit its limit, which sizes ran out) come back
 * in the operation's own result struct, or in struct shop_problem.
 *
 * The front layer (app/front/outcome.c) holds the one table that turns each outcome into an
 * HTTP status, a stable error code and a message, for pages and the JSON API alike.
 */
#ifndef STAMPEDE_SHOP_OUTCOME_H
#define STAMPEDE_SHOP_OUTCOME_H

#include "core/str.h"

#include <stdint.h>

enum shop_outcome {
    SHOP_OK = 0,
    /* things that do not exist (for this shopper) */
    SHOP_PRODUCT_NOT_FOUND,
    SHOP_SKU_NOT_FOUND,
    SHOP_ORDER_NOT_FOUND,
    SHOP_ANOMALY_NOT_FOUND,
    /* cart and checkout */
    SHOP_SOLD_OUT,         /* cart: the size has no pair left */
    SHOP_OUT_OF_STOCK,     /* checkout: not enough pairs of some sizes (problem->oos) */
    SHOP_INVALID_QUANTITY, /* outside 0/1..cart.max_line */
    SHOP_LIMIT_EXCEEDED,   /* the product's per-account limit (problem->product, limit) */
    SHOP_CART_EMPTY,
    SHOP_KEY_REUSED,      /* an idempotency key used before with another cart or size */
    SHOP_NOT_PAYABLE,     /* the order no longer waits for payment */
    SHOP_NOT_CANCELLABLE, /* the order is no longer pending */
    SHOP_NOT_REFUNDABLE,  /* an admin refund of an order that is not paid */
    /* accounts */
    SHOP_EMAIL_TAKEN,
    SHOP_WEAK_PASSWORD, /* problem->why says which rule */
    SHOP_INVALID_EMAIL,
    SHOP_INVALID_NAME,
    SHOP_INVALID_CREDENTIALS,
    SHOP_TOO_MANY_ATTEMPTS, /* problem->retry_after_s */
    SHOP_AUTH_BUSY,         /* password hashing is saturated; problem->retry_after_s */
    /* payments (payment_confirm) */
    SHOP_PAYMENT_PENDING,     /* no answer from the gateway yet: being confirmed */
    SHOP_PAYMENT_DECLINED,    /* the gateway refused; the order waits for another payment */
    SHOP_ORDER_EXPIRED,       /* the hold ran out before the payment */
    SHOP_ORDER_CLOSED,        /* cancelled, expired or refunded: nothing captured */
    SHOP_ALREADY_PAID,        /* paid by another payment; this one is voided */
    SHOP_PAYMENT_IN_PROGRESS, /* another payment of the order is being confirmed */
    SHOP_AMOUNT_MISMATCH,     /* the amount differs from the order total */
    SHOP_PAYMENTS_OFF,        /* no gateway is configured */
    SHOP_BAD_SIGNATURE,       /* a webhook whose signature is missing, wrong or stale */
    SHOP_BAD_EVENT,           /* a webhook that is not an event we know */
    /* admin */
    SHOP_INVALID_ACTION,
    SHOP_STILL_CAPTURED, /* the gateway still holds the money (mark refunded refused) */
    SHOP_GATEWAY_DOWN,   /* the gateway could not be asked */
    SHOP_ROW_BUSY,       /* another transaction holds the row: try again */
    /* batch (batch/requests.h) */
    SHOP_BATCH_JOB_NOT_FOUND,
    SHOP_BATCH_RUN_NOT_FOUND,
    SHOP_NOT_RESTARTABLE, /* not the job's latest finished run, not failed, or resumed already */
    /* drops (shop/drop.h, queue.h, entries.h) */
    SHOP_DROP_NOT_FOUND,
    SHOP_INVALID_DROP,      /* problem->why names the field */
    SHOP_INVALID_PRODUCT,   /* admin catalog input; problem->why names the field */
    SHOP_SLUG_TAKEN,        /* another product has that slug */
    SHOP_DROP_EXISTS,       /* the product already has a live drop */
    SHOP_DROP_LOCKED,       /* the drop opened (or was drawn): it cannot be changed so */
    SHOP_WRONG_DROP_KIND,   /* a queue action on a draw, or the other way round */
    SHOP_DROP_NOT_OPEN,     /* the queue or the entries are not open now */
    SHOP_NOT_IN_QUEUE,      /* the shopper never joined this queue */
    SHOP_TOO_MANY_ACCOUNTS, /* too many accounts from one address in this drop */
    SHOP_NOT_ADMITTED,      /* a drop's size bought without a valid admission */
    SHOP_ALREADY_ENTERED,   /* a second entry in a draw by the same account */
    SHOP_ENTRIES_CLOSED,    /* outside the draw's entry window */
    SHOP_NOT_ENTERED,       /* the shopper has no entry in this draw */
    SHOP_NOT_DRAWN,         /* no proof yet */
    SHOP_TOO_MANY_TRIES,    /* an account joining or entering too often (drops.account_rate) */
    /* the shipping address (shop/address.h) */
    SHOP_INVALID_ADDRESS,  /* some fields are wrong; which and why in struct address_errors */
    SHOP_NO_ADDRESS,       /* the account has no shipping address yet */
    SHOP_ADDRESS_REQUIRED, /* an order, a queue or an entry needs an address to ship to */
    SHOP_OUTCOME_COUNT
};

/* shop_outcome_name: a constant name for logs ("SHOP_SOLD_OUT"); never NULL. */
const char *shop_outcome_name(int outcome);

/* Details some outcomes carry (arena slices). */
struct shop_problem {
    struct str product;    /* LIMIT_EXCEEDED, SOLD_OUT: the product's name */
    int64_t limit;         /* LIMIT_EXCEEDED: pairs allowed per account */
    int64_t already;       /* LIMIT_EXCEEDED: pairs already ordered */
    int64_t max_line;      /* INVALID_QUANTITY: the cap of a cart line */
    const char *why;       /* WEAK_PASSWORD, EMAIL_TAKEN: the rule broken */
    int64_t retry_after_s; /* TOO_MANY_ATTEMPTS, AUTH_BUSY */
};

#endif

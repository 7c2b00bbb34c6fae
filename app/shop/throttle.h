/*
 * throttle — failed sign-ins slow down guessing without letting anyone lock a shopper out.
 *
 * Failures are counted in a window (throttle.window) under three keys, stored as SHA-256 hex
 * so any e-mail or address fits one ASCII column (login_throttle, migration 006):
 *   pair     the account and the address the attempt came from; or, for a browser holding a
 *            valid device token of that account (issued at a successful sign-in), the account
 *            and that device instead of the address;
 *   account  every failure on the account, from anywhere;
 *   address  every failure from the address, on any account.
 * Only a pair is ever refused: after `free` failures in the window, each further failure makes
 * that pair wait 1, 2, 4, ... seconds (at most throttle.max_delay) before its next attempt.
 * `free` is throttle.pair_free (5) normally, and 1 while the account (more than
 * throttle.account_limit failures: a guessing campaign from many addresses) or the address
 * (more than throttle.ip_limit failures: one source guessing across accounts) is under
 * attack; a device pair always keeps the normal allowance, whatever others do.
 *
 * So an attacker slows down only their own pairs: a shopper who knows the password signs in at
 * the first attempt from their own address or device, even while the account is being
 * attacked; only someone on the same address without the device cookie shares the pair's wait.
 * A success clears the pair. The account and address counts only expire with the window.
 *
 * Errors: database errors only. Thread safety: as the shop_ctx's db.
 */
#ifndef STAMPEDE_SHOP_THROTTLE_H
#define STAMPEDE_SHOP_THROTTLE_H

#include "shop/shop.h"

struct throttle_policy {
    int64_t window_s;
    int64_t pair_free;     /* failures a pair may make before it must wait */
    int64_t account_limit; /* account failures in the window that count as an attack */
    int64_t ip_limit;      /* address failures in the window that count as an attack */
    int64_t max_delay_s;   /* the longest wait */
};

/* The keys of one sign-in attempt. */
struct throttle_keys {
    struct str pair, account, address; /* hex SHA-256, arena */
    bool device;                       /* pair is the account and a trusted device */
};

/*
 * throttle_keys_for: the keys of an attempt on `email` (normalised) from `address`;
 * `device` is the id of a device token valid for this account, or empty.
 */
void throttle_keys_for(struct arena *a, struct str email, struct str address, struct str device,
                       struct throttle_keys *out);

/* throttle_wait: seconds the pair must still wait (0: it may try now). */
int throttle_wait(struct shop_ctx *c, const struct throttle_keys *k, int64_t *wait_s);

/* throttle_failed: counts a failure under every key; *wait_s is the pair's wait from now. */
int throttle_failed(struct shop_ctx *c, const struct throttle_policy *p,
                    const struct throttle_keys *k, int64_t *wait_s);

/* throttle_succeeded: clears the pair. */
int throttle_succeeded(struct shop_ctx *c, const struct throttle_keys *k);

#endif

/*
 * account — shopper and admin accounts: sign-up and sign-in.
 *
 * Passwords: argon2id through libsodium's crypto_pwhash_str_alg with OWASP's parameters
 * (19 MiB, 2 passes, 1 lane by default); the policy is shop/password.h. Sign-in for an unknown
 * e-mail runs the same verification against a dummy hash, so timing does not reveal which
 * addresses have accounts.
 *
 * Bulkhead: every hash and verification runs inside the node's password gate (core/gate.h:
 * about one holder per core, a short queue, a bounded wait), on a few low-priority threads of
 * the process (core/offload.h: nice +10, so pages get the cores first). When the gate is full,
 * sign-up and sign-in answer SHOP_AUTH_BUSY at once with a Retry-After, and the worker thread
 * is free for pages, carts and health checks again.
 *
 * Throttling: shop/throttle.h (per account+address pair; a device that signed in before is its
 * own pair).
 *
 * Nothing half-done: sign-up inserts the account and its first session in one transaction;
 * sign-in deletes the browser's old session (if any) and creates the new one in one
 * transaction. Either the shopper is signed in or nothing changed.
 *
 * Results (shop/outcome.h): SHOP_OK with *out filled; sign-up: SHOP_INVALID_EMAIL,
 * SHOP_INVALID_NAME, SHOP_WEAK_PASSWORD (problem.why), SHOP_EMAIL_TAKEN, SHOP_AUTH_BUSY;
 * sign-in: SHOP_INVALID_CREDENTIALS, SHOP_TOO_MANY_ATTEMPTS, SHOP_AUTH_BUSY (with
 * problem.retry_after_s); negative ERR_* when the database failed.
 */
#ifndef STAMPEDE_SHOP_ACCOUNT_H
#define STAMPEDE_SHOP_ACCOUNT_H

#include "shop/outcome.h"
#include "shop/shop.h"
#include "shop/throttle.h"

#include <stdbool.h>

struct gate;

struct account {
    int64_t id;
    struct str email;
    struct str name;
    struct str role;
};

struct account_policy {
    int64_t pw_opslimit;
    int64_t pw_memlimit;
    int64_t password_min_bits; /* least zxcvbn estimate (password.h) */
    struct throttle_policy throttle;
    struct gate *hash_gate; /* NULL: no bulkhead (tools, tests): hash on the caller's thread */
    int hash_threads;       /* the process's low-priority hashing threads (core/offload.h) */
    int64_t hash_wait_ms;   /* longest wait for a place in the gate */
    int64_t session_absolute_s;
};

/* Who is asking: the request's client. */
struct account_client {
    struct str ip;
    struct str user_agent;
    struct str old_session; /* the browser's current session token (rotated), or empty */
    int64_t device_account; /* the account a valid device token names (0: none) */
    struct str device_id;   /* that token's id */
};

/* A signed-in result: the account and the new session's browser token. */
struct account_session {
    struct account account;
    struct str token;
    struct shop_problem problem;
};

/* account_init: checks libsodium and computes the dummy hash; once per process. */
int account_init(const struct account_policy *p);

/* account_normalize_email: ASCII letters lower-cased, in the arena. */
struct str account_normalize_email(struct arena *a, struct str email);

/* account_email_ok: local@domain.tld, 3..254 bytes of UTF-8, no spaces or <>",;\ . */
bool account_email_ok(struct str email);

int account_signup(struct shop_ctx *c, const struct account_policy *p, struct str email,
                   struct str name, struct str password, const struct account_client *cl,
                   struct account_session *out);

int account_signin(struct shop_ctx *c, const struct account_policy *p, struct str email,
                   struct str password, const struct account_client *cl,
                   struct account_session *out);

/* account_signout: ends the session token names (0 also when it did not exist). */
int account_signout(struct shop_ctx *c, struct str token);

/*
 * account_make_admin: creates the account (or promotes an existing one) with role admin and
 * this password (stampede-admin). SHOP_INVALID_EMAIL, SHOP_INVALID_NAME, SHOP_WEAK_PASSWORD.
 */
int account_make_admin(struct shop_ctx *c, const struct account_policy *p, struct str email,
                       struct str name, struct str password, struct shop_problem *problem);

#endif

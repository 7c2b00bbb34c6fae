/*
 * account — shopper accounts, passwords, server-side sessions and sign-in throttling.
 *
 * Passwords: argon2id through libsodium's crypto_pwhash_str_alg with OWASP's parameters
 * (19 MiB, 2 passes, 1 lane by default); at least 10 characters, at most 128, not one of the
 * most common passwords (common_passwords.c) nor a trivial pattern (one repeated character,
 * a straight run like 1234567890 or abcdefghij), and not the e-mail address. Sign-in for an
 * unknown e-mail runs the same verification against a dummy hash so timing does not reveal
 * which addresses have accounts.
 *
 * Sessions: the id is 32 random bytes given to the browser (base64url); the database keeps
 * only its SHA-256. A session ends at its absolute timeout, after the idle timeout without
 * requests, or at sign-out (deleted). last_seen_at is refreshed at most once a minute.
 *
 * Throttling (per IP and per account, shared by every node through the database):
 *   ip:<address>   more than ip_limit failures in window_s -> refused for window_s;
 *   acct:<email>   more than acct_limit failures in window_s -> refused for acct_lock_s only
 *                  (short, so an attacker cannot lock a shopper out for long), and not at all
 *                  for a browser that holds a valid device token of that account (issued at
 *                  a successful sign-in; OWASP's "device cookie" defence).
 *
 * Errors: ERR_EXISTS (e-mail taken), ERR_INVAL (password policy; *why says which rule),
 * ERR_UNAUTH (wrong e-mail or password), ERR_LIMIT (throttled; *retry_after_s set),
 * ERR_NOTFOUND (no such session), database errors.
 */
#ifndef STAMPEDE_SHOP_ACCOUNT_H
#define STAMPEDE_SHOP_ACCOUNT_H

#include "shop/shop.h"

#include <stdbool.h>

struct account {
    int64_t id;
    struct str email;
    struct str name;
    struct str role;
};

struct account_policy {
    int64_t pw_opslimit;
    int64_t pw_memlimit;
    int64_t window_s;
    int64_t ip_limit;
    int64_t acct_limit;
    int64_t acct_lock_s;
};

/* account_init: computes the dummy hash used for unknown e-mails; once per process. */
int account_init(const struct account_policy *p);

/* account_password_ok: NULL, or the reason the password is refused. */
const char *account_password_problem(struct str password, struct str email);

/* account_normalize_email: lower-cased ASCII copy in the arena. */
struct str account_normalize_email(struct arena *a, struct str email);

int account_signup(struct shop_ctx *c, const struct account_policy *p, struct str email,
                   struct str name, struct str password, struct account *out, const char **why);

/*
 * account_signin: checks the throttles, then the password. trusted_account_id (0: none) is
 * the account a valid device token names; it bypasses that account's lock.
 */
int account_signin(struct shop_ctx *c, const struct account_policy *p, struct str email,
                   struct str password, struct str ip, int64_t trusted_account_id,
                   struct account *out, int64_t *retry_after_s);

struct session {
    int64_t account_id;
    struct str email;
    struct str name;
    struct str role;
    struct str token; /* the browser's id (only set by session_create) */
};

/* session_create: a new session for account; its token is returned in out->token. */
int session_create(struct shop_ctx *c, int64_t account_id, struct str ip, struct str user_agent,
                   int64_t absolute_s, struct session *out);
/* session_load: the live session for token (ERR_NOTFOUND when unknown or timed out). */
int session_load(struct shop_ctx *c, struct str token, int64_t idle_s, struct session *out);
/* session_delete: ends the session server-side (0 also when it did not exist). */
int session_delete(struct shop_ctx *c, struct str token);

#endif

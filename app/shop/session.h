/*
 * session — server-side sessions of signed-in shoppers.
 *
 * The session id is 32 random bytes given to the browser (base64url, 43 characters); the
 * database keeps only its SHA-256, so a copy of the sessions table cannot be replayed as
 * cookies. A session ends at its absolute timeout, after the idle timeout without requests,
 * or when it is deleted (sign-out, a new sign-in in the same browser). last_seen_at is
 * refreshed at most once a minute.
 *
 * The client's address and User-Agent are kept for the shopper's and the admin's information
 * only; they are clipped to their columns at a character boundary, and a User-Agent that is
 * not UTF-8 has its other bytes replaced, so no header can make the insert fail.
 *
 * Errors: ERR_NOTFOUND (session_load: unknown, ended or malformed token); database errors.
 */
#ifndef STAMPEDE_SHOP_SESSION_H
#define STAMPEDE_SHOP_SESSION_H

#include "shop/shop.h"

#define SESSION_UA_MAX 200 /* bytes kept of a User-Agent */
#define SESSION_IP_MAX 45

struct session {
    int64_t account_id;
    struct str email;
    struct str name;
    struct str role;
};

/* session_create: a new session for account_id (in the caller's transaction, if any); its
 * browser token is returned in *token. */
int session_create(struct shop_ctx *c, int64_t account_id, struct str ip, struct str user_agent,
                   int64_t absolute_s, struct str *token);
/* session_load: the live session for token. */
int session_load(struct shop_ctx *c, struct str token, int64_t idle_s, struct session *out);
/* session_delete: ends the session server-side (0 also when it did not exist). */
int session_delete(struct shop_ctx *c, struct str token);

/* session_clip: s cut to at most max bytes at a character boundary, as valid UTF-8 (other
 * bytes become '?'), in the arena. */
struct str session_clip(struct arena *a, struct str s, size_t max);

#endif

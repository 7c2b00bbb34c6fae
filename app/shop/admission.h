/*
 * admission — the signed pass an admitted shopper of a queue drop checks out with.
 *
 * A JSON Web Token (RFC 7519, HS256, made and checked with Debian's libjwt) so that any
 * standard tool can read it and the edge could refuse a forged one before a web node
 * (HAProxy's jwt_verify): claims iss "stampede", sub (the account id), drop (the drop id),
 * place (the queue place), iat and exp (the end of the purchase window), jti (the place's
 * public ref). The key is derived from the shop's secret (security.secret) and never leaves
 * the server.
 *
 * admission_verify accepts only HS256 tokens with this key whose sub and drop are the ones
 * asked for and whose exp is in the future: a forged, altered, expired token, one of another
 * shopper or another drop, or one with another algorithm ("none" included) is refused.
 * Checkout verifies it itself (shop/queue.h): the page is not the only gate.
 *
 * Memory: the token is in the arena. Thread safety: pure functions of their input.
 */
#ifndef STAMPEDE_SHOP_ADMISSION_H
#define STAMPEDE_SHOP_ADMISSION_H

#include "core/arena.h"
#include "core/str.h"

#include <stdbool.h>
#include <stdint.h>

#define ADMISSION_KEY_LEN 32

/* admission_key: the signing key for a shop secret. */
void admission_key(struct str secret, uint8_t key[ADMISSION_KEY_LEN]);

struct admission {
    int64_t account_id;
    int64_t drop_id;
    int64_t place;
    int64_t issued_s;  /* unix seconds */
    int64_t expires_s; /* unix seconds */
    struct str ref;
};

/* admission_sign: the token for a (0 on success, ERR_INTERNAL if libjwt fails). */
int admission_sign(const uint8_t key[ADMISSION_KEY_LEN], const struct admission *a,
                   struct arena *arena, struct str *token);

/*
 * admission_verify: true if token is a valid admission for account_id and drop_id at now_s;
 * then *out holds its claims (arena strings).
 */
bool admission_verify(const uint8_t key[ADMISSION_KEY_LEN], struct str token, int64_t account_id,
                      int64_t drop_id, int64_t now_s, struct arena *arena, struct admission *out);

/*
 * admission_read: the claims of a token signed with key for drop_id (any drop when drop_id
 * <= 0) that has not expired, whoever it belongs to (place may be 0). The queue's tickets use it:
 * the same format with another key (admission_ticket_key), so a ticket is never an admission.
 */
bool admission_read(const uint8_t key[ADMISSION_KEY_LEN], struct str token, int64_t drop_id,
                    int64_t now_s, struct arena *arena, struct admission *out);

/* admission_ticket_key: the key of queue tickets (a shopper's place, web/drops.c). */
void admission_ticket_key(struct str secret, uint8_t key[ADMISSION_KEY_LEN]);

/*
 * Queue tickets: the same claims (account, drop, place, expiry, ref) as the shop's own signed
 * value "sub.drop.place.exp.ref.MAC" (decimal numbers, the ref's base64url characters, MAC = the
 * first 16 bytes of HMAC-SHA256(ticket key, everything before it) in base64url), not a JWT:
 * a ticket is read on every queue poll, the hottest request of a drop, and only ever by the
 * shop, so it is checked with one HMAC (libsodium) instead of a JWT library's parse (the
 * admission, which checkout and the edge check, stays a standard JWT).
 *
 * ticket_sign: the value for a (arena). ticket_read: true, with *out, when token is a ticket
 * signed with key for drop_id that has not expired at now_s.
 */
struct str ticket_sign(const uint8_t key[ADMISSION_KEY_LEN], const struct admission *a,
                       struct arena *arena);
bool ticket_read(const uint8_t key[ADMISSION_KEY_LEN], struct str token, int64_t drop_id,
                 int64_t now_s, struct admission *out);

#endif

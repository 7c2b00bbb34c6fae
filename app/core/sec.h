/*
 * sec — small security primitives over libsodium: random tokens, SHA-256, HMAC-SHA256,
 * base64url and constant-time comparison.
 *
 * Nothing here is invented: every operation is a libsodium call; this module only fixes the
 * encodings the rest of the code uses (tokens are unpadded base64url).
 *
 * Thread safety: all functions are thread-safe after sec_init (once per process).
 * Memory: results go to caller buffers or the given arena.
 */
#ifndef STAMPEDE_CORE_SEC_H
#define STAMPEDE_CORE_SEC_H

#include "core/arena.h"
#include "core/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEC_SHA256_LEN 32

/* sec_init: initialises libsodium; 0 or ERR_INTERNAL. */
int sec_init(void);

void sec_random(void *out, size_t n);
/* sec_random_below: uniform in [0, upper). */
uint32_t sec_random_below(uint32_t upper);

/* sec_token: n random bytes as unpadded base64url (n = 32 gives 43 characters). */
struct str sec_token(struct arena *a, size_t nbytes);

void sec_sha256(uint8_t out[SEC_SHA256_LEN], const void *data, size_t n);
void sec_hmac_sha256(uint8_t out[SEC_SHA256_LEN], struct str key, const void *msg, size_t n);

/* sec_hmac_ts_hex: lower-case hex of HMAC-SHA256(key, "<t>." + body): the signed payload of
 * timestamped webhook signatures (Stripe's scheme). */
struct str sec_hmac_ts_hex(struct arena *a, struct str key, int64_t t, struct str body);

/* sec_b64url: unpadded base64url of bin. */
struct str sec_b64url(struct arena *a, const void *bin, size_t n);
/* sec_b64url_decode: decodes into out (at most cap bytes); returns bytes or -1 if invalid. */
long sec_b64url_decode(struct str in, void *out, size_t cap);
/* sec_hex: lower-case hex of bin. */
struct str sec_hex(struct arena *a, const void *bin, size_t n);

/* sec_equal: constant-time comparison of two slices (false when lengths differ). */
bool sec_equal(struct str a, struct str b);

#endif

/* sec — security primitives over libsodium; see sec.h. */
#include "sec.h"

#include "core/err.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int sec_init(void)
{
    return sodium_init() < 0 ? ERR_INTERNAL : 0;
}

/*
 * Random bytes are drawn from the kernel (libsodium's randombytes_buf, getrandom(2)) a block
 * at a time per thread instead of once per token: a product page for a visitor without a
 * cookie needs 32 bytes, and the system call was a visible part of its cost. Bytes handed out
 * are wiped from the block at once (what is left cannot reveal what was given). A fork makes
 * the child drop its copy of the forking thread's block, so no two processes share bytes;
 * other threads do not exist in the child.
 */
#define RANDOM_BLOCK 1024

struct random_block {
    unsigned char b[RANDOM_BLOCK];
    size_t left; /* unused bytes at the end of b */
};

static _Thread_local struct random_block tl_random;
static pthread_once_t random_once = PTHREAD_ONCE_INIT;

static void random_forget(void)
{
    sodium_memzero(&tl_random, sizeof tl_random);
}

static void random_watch_forks(void)
{
    pthread_atfork(NULL, NULL, random_forget);
}

void sec_random(void *out, size_t n)
{
    pthread_once(&random_once, random_watch_forks);
    struct random_block *r = &tl_random;
    if (n > RANDOM_BLOCK / 4) {
        randombytes_buf(out, n);
        return;
    }
    if (r->left < n) {
        randombytes_buf(r->b, RANDOM_BLOCK);
        r->left = RANDOM_BLOCK;
    }
    unsigned char *p = r->b + RANDOM_BLOCK - r->left;
    memcpy(out, p, n);
    sodium_memzero(p, n);
    r->left -= n;
}

uint32_t sec_random_below(uint32_t upper)
{
    return upper ? randombytes_uniform(upper) : 0;
}

struct str sec_b64url(struct arena *a, const void *bin, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = arena_alloc(a, cap);
    sodium_bin2base64(out, cap, bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return (struct str){out, strlen(out)};
}

long sec_b64url_decode(struct str in, void *out, size_t cap)
{
    size_t len = 0;
    if (in.len == 0)
        return 0;
    if (sodium_base642bin(out, cap, in.p, in.len, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return -1;
    return (long)len;
}

struct str sec_token(struct arena *a, size_t nbytes)
{
    uint8_t raw[64];
    if (nbytes > sizeof raw)
        nbytes = sizeof raw;
    sec_random(raw, nbytes);
    return sec_b64url(a, raw, nbytes);
}

void sec_sha256(uint8_t out[SEC_SHA256_LEN], const void *data, size_t n)
{
    crypto_hash_sha256(out, data, n);
}

void sec_hmac_sha256(uint8_t out[SEC_SHA256_LEN], struct str key, const void *msg, size_t n)
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)key.p, key.len);
    crypto_auth_hmacsha256_update(&st, msg, n);
    crypto_auth_hmacsha256_final(&st, out);
}

struct str sec_hmac_ts_hex(struct arena *a, struct str key, int64_t t, struct str body)
{
    char ts[24];
    int tl = snprintf(ts, sizeof ts, "%lld.", (long long)t);
    crypto_auth_hmacsha256_state st;
    uint8_t mac[SEC_SHA256_LEN];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)key.p, key.len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)tl);
    if (body.len)
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)body.p, body.len);
    crypto_auth_hmacsha256_final(&st, mac);
    return sec_hex(a, mac, sizeof mac);
}

struct str sec_hex(struct arena *a, const void *bin, size_t n)
{
    char *out = arena_alloc(a, n * 2 + 1);
    sodium_bin2hex(out, n * 2 + 1, bin, n);
    return (struct str){out, n * 2};
}

bool sec_equal(struct str a, struct str b)
{
    if (a.len != b.len)
        return false;
    if (a.len == 0)
        return true;
    return sodium_memcmp(a.p, b.p, a.len) == 0;
}

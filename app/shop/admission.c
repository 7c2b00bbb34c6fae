/* admission — admission tokens (JWT, HS256, libjwt); see admission.h. */
#include "admission.h"

#include "core/err.h"
#include "core/mem.h"
#include "core/sec.h"

#include <jwt.h>
#include <string.h>

void admission_key(struct str secret, uint8_t key[ADMISSION_KEY_LEN])
{
    static const char label[] = "stampede drop admission v1";
    sec_hmac_sha256(key, secret, label, sizeof label - 1);
}

int admission_sign(const uint8_t key[ADMISSION_KEY_LEN], const struct admission *a,
                   struct arena *arena, struct str *token)
{
    jwt_t *j = NULL;
    if (jwt_new(&j) != 0)
        return ERR_INTERNAL;
    char ref[80];
    size_t n = a->ref.len < sizeof ref - 1 ? a->ref.len : sizeof ref - 1;
    if (n)
        memcpy(ref, a->ref.p, n);
    ref[n] = '\0';
    int rc = jwt_add_grant(j, "iss", "stampede") || jwt_add_grant_int(j, "sub", a->account_id) ||
             jwt_add_grant_int(j, "drop", a->drop_id) || jwt_add_grant_int(j, "place", a->place) ||
             jwt_add_grant_int(j, "iat", a->issued_s) ||
             jwt_add_grant_int(j, "exp", a->expires_s) || jwt_add_grant(j, "jti", ref) ||
             jwt_set_alg(j, JWT_ALG_HS256, key, ADMISSION_KEY_LEN);
    char *s = rc ? NULL : jwt_encode_str(j);
    jwt_free(j);
    if (!s)
        return ERR_INTERNAL;
    *token = arena_str_dup(arena, str_from_cstr(s));
    mem_free_foreign(s);
    return 0;
}

bool admission_read(const uint8_t key[ADMISSION_KEY_LEN], struct str token, int64_t drop_id,
                    int64_t now_s, struct arena *arena, struct admission *out)
{
    if (token.len == 0 || token.len > 2048)
        return false;
    char buf[2049];
    memcpy(buf, token.p, token.len);
    buf[token.len] = '\0';
    if (memchr(token.p, '\0', token.len))
        return false;
    jwt_t *j = NULL;
    if (jwt_decode(&j, buf, key, ADMISSION_KEY_LEN) != 0 || !j)
        return false;
    bool ok = jwt_get_alg(j) == JWT_ALG_HS256;
    const char *iss = ok ? jwt_get_grant(j, "iss") : NULL;
    ok = ok && iss && strcmp(iss, "stampede") == 0;
    struct admission a = {0};
    if (ok) {
        a.account_id = jwt_get_grant_int(j, "sub");
        a.drop_id = jwt_get_grant_int(j, "drop");
        a.place = jwt_get_grant_int(j, "place");
        a.issued_s = jwt_get_grant_int(j, "iat");
        a.expires_s = jwt_get_grant_int(j, "exp");
        const char *jti = jwt_get_grant(j, "jti");
        a.ref = arena_str_dup(arena, str_from_cstr(jti ? jti : ""));
        ok = a.account_id > 0 && (drop_id <= 0 || a.drop_id == drop_id) && a.expires_s > now_s &&
             a.place >= 0;
    }
    jwt_free(j);
    if (ok && out)
        *out = a;
    return ok;
}

bool admission_verify(const uint8_t key[ADMISSION_KEY_LEN], struct str token, int64_t account_id,
                      int64_t drop_id, int64_t now_s, struct arena *arena, struct admission *out)
{
    struct admission a;
    if (!admission_read(key, token, drop_id, now_s, arena, &a) || a.account_id != account_id ||
        a.place <= 0)
        return false;
    if (out)
        *out = a;
    return true;
}

void admission_ticket_key(struct str secret, uint8_t key[ADMISSION_KEY_LEN])
{
    static const char label[] = "stampede queue ticket v1";
    sec_hmac_sha256(key, secret, label, sizeof label - 1);
}

#define TICKET_MAC 16 /* bytes of the HMAC kept */

static struct str ticket_mac(const uint8_t key[ADMISSION_KEY_LEN], const char *msg, size_t n,
                             char out[32])
{
    uint8_t mac[SEC_SHA256_LEN];
    sec_hmac_sha256(mac, (struct str){(const char *)key, ADMISSION_KEY_LEN}, msg, n);
    /* base64url of 16 bytes: 22 characters */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < TICKET_MAC; i++) {
        acc = (acc << 8) | mac[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = b64[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = b64[(acc << (6 - bits)) & 63];
    out[o] = '\0';
    return (struct str){out, o};
}

struct str ticket_sign(const uint8_t key[ADMISSION_KEY_LEN], const struct admission *a,
                       struct arena *arena)
{
    char body[200], mac[32];
    int n = snprintf(body, sizeof body, "%lld.%lld.%lld.%lld.%.*s", (long long)a->account_id,
                     (long long)a->drop_id, (long long)a->place, (long long)a->expires_s,
                     (int)(a->ref.len < 64 ? a->ref.len : 64), a->ref.p ? a->ref.p : "");
    struct str m = ticket_mac(key, body, (size_t)n, mac);
    return str_from_cstr(arena_sprintf(arena, "%s.%.*s", body, STR_FMT(m)));
}

/* next_field: the text up to the next '.' of *s (advancing past it) */
static struct str next_field(struct str *s)
{
    const char *dot = s->len ? memchr(s->p, '.', s->len) : NULL;
    size_t n = dot ? (size_t)(dot - s->p) : s->len;
    struct str f = {s->p, n};
    s->p += dot ? n + 1 : n;
    s->len -= dot ? n + 1 : n;
    return f;
}

bool ticket_read(const uint8_t key[ADMISSION_KEY_LEN], struct str token, int64_t drop_id,
                 int64_t now_s, struct admission *out)
{
    if (token.len < 10 || token.len > 200)
        return false;
    const char *last = NULL;
    for (size_t i = 0; i < token.len; i++)
        if (token.p[i] == '.')
            last = token.p + i;
    if (!last)
        return false;
    size_t body = (size_t)(last - token.p);
    char mac[32];
    struct str want = ticket_mac(key, token.p, body, mac);
    if (!sec_equal(want, (struct str){last + 1, token.len - body - 1}))
        return false;
    struct str rest = {token.p, body};
    struct admission a = {0};
    struct str f[5];
    for (int i = 0; i < 5; i++)
        f[i] = next_field(&rest);
    if (!str_to_i64(f[0], &a.account_id) || !str_to_i64(f[1], &a.drop_id) ||
        !str_to_i64(f[2], &a.place) || !str_to_i64(f[3], &a.expires_s) || rest.len)
        return false;
    a.ref = f[4];
    if (a.account_id <= 0 || a.drop_id != drop_id || a.place < 0 || a.expires_s <= now_s)
        return false;
    if (out)
        *out = a;
    return true;
}

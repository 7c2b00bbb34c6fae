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

/* session — server-side sessions; see session.h. */
#include "session.h"

#include "core/err.h"
#include "core/sec.h"

#include <string.h>

static const struct db_stmt q_insert = {
    "session_insert",
    "INSERT INTO sessions (id_hash, account_id, expires_at, ip, user_agent)"
    " VALUES (?, ?, NOW(6) + INTERVAL ? SECOND, ?, ?)",
    0};

static const struct db_stmt q_load = {"session_load",
                                      "SELECT s.account_id, a.email, a.name, a.role,"
                                      "       TIMESTAMPDIFF(SECOND, s.last_seen_at, NOW(6))"
                                      "  FROM sessions s JOIN accounts a ON a.id = s.account_id"
                                      " WHERE s.id_hash = ? AND s.expires_at > NOW(6)"
                                      "   AND s.last_seen_at > NOW(6) - INTERVAL ? SECOND",
                                      DB_IDEMPOTENT | DB_PRIMARY};

static const struct db_stmt q_touch = {
    "session_touch", "UPDATE sessions SET last_seen_at = NOW(6) WHERE id_hash = ?", 0};

static const struct db_stmt q_delete = {"session_delete", "DELETE FROM sessions WHERE id_hash = ?",
                                        0};

/* token_hash: SHA-256 of the decoded token; false for a malformed token. */
static bool token_hash(struct str token, uint8_t out[SEC_SHA256_LEN])
{
    uint8_t raw[48];
    if (token.len != 43)
        return false;
    long n = sec_b64url_decode(token, raw, sizeof raw);
    if (n != 32)
        return false;
    sec_sha256(out, raw, 32);
    return true;
}

struct str session_clip(struct arena *a, struct str s, size_t max)
{
    if (s.len > max) {
        s.len = max;
        /* the first byte left out continues a character: drop that character's start too */
        while (s.len && ((unsigned char)s.p[s.len] & 0xC0) == 0x80)
            s.len--;
    }
    if (str_utf8_valid(s))
        return s;
    char *d = arena_alloc(a, s.len + 1);
    for (size_t i = 0; i < s.len; i++)
        d[i] = (unsigned char)s.p[i] < 0x80 ? s.p[i] : '?';
    d[s.len] = '\0';
    return (struct str){d, s.len};
}

int session_create(struct shop_ctx *c, int64_t account_id, struct str ip, struct str user_agent,
                   int64_t absolute_s, struct str *token)
{
    uint8_t raw[32], h[SEC_SHA256_LEN];
    sec_random(raw, sizeof raw);
    sec_sha256(h, raw, sizeof raw);
    struct db_val v[] = {DB_S(((struct str){(const char *)h, sizeof h})), DB_I(account_id),
                         DB_I(absolute_s), DB_S(session_clip(c->arena, ip, SESSION_IP_MAX)),
                         DB_S(session_clip(c->arena, user_agent, SESSION_UA_MAX))};
    int rc = db_exec(c->db, &q_insert, v, 5, c->arena, NULL);
    if (rc)
        return rc;
    *token = sec_b64url(c->arena, raw, sizeof raw);
    return 0;
}

int session_load(struct shop_ctx *c, struct str token, int64_t idle_s, struct session *out)
{
    uint8_t h[SEC_SHA256_LEN];
    if (!token_hash(token, h))
        return ERR_NOTFOUND;
    struct str hs = {(const char *)h, sizeof h};
    struct db_val v[] = {DB_S(hs), DB_I(idle_s)};
    struct db_result r;
    int rc = db_exec(c->db, &q_load, v, 2, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return ERR_NOTFOUND;
    memset(out, 0, sizeof *out);
    out->account_id = db_int(&r, 0, 0);
    out->email = db_text(&r, 0, 1);
    out->name = db_text(&r, 0, 2);
    out->role = db_text(&r, 0, 3);
    if (db_int(&r, 0, 4) >= 60) {
        struct db_val t[] = {DB_S(hs)};
        db_exec(c->db, &q_touch, t, 1, c->arena, NULL); /* best effort */
    }
    return 0;
}

int session_delete(struct shop_ctx *c, struct str token)
{
    uint8_t h[SEC_SHA256_LEN];
    if (!token_hash(token, h))
        return 0;
    struct db_val v[] = {DB_S(((struct str){(const char *)h, sizeof h}))};
    return db_exec(c->db, &q_delete, v, 1, c->arena, NULL);
}

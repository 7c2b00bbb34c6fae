/* account — accounts, passwords, sessions, throttling; see account.h. */
#include "account.h"

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/sec.h"

#include <sodium.h>
#include <string.h>

/* from common_passwords.c */
bool common_password(struct str lowercased);

static char dummy_hash[crypto_pwhash_STRBYTES];

int account_init(const struct account_policy *p)
{
    if (sec_init())
        return ERR_INTERNAL;
    if (crypto_pwhash_str_alg(dummy_hash, "stampede-dummy-password", 23,
                              (unsigned long long)p->pw_opslimit, (size_t)p->pw_memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return ERR_INTERNAL;
    return 0;
}

struct str account_normalize_email(struct arena *a, struct str email)
{
    char *d = arena_alloc(a, email.len + 1);
    for (size_t i = 0; i < email.len; i++) {
        char ch = email.p[i];
        d[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
    }
    d[email.len] = '\0';
    return (struct str){d, email.len};
}

static size_t utf8_chars(struct str s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++)
        n += ((unsigned char)s.p[i] & 0xC0) != 0x80;
    return n;
}

/* trivial: one repeated character, or a straight ascending/descending run. */
static bool trivial(struct str s)
{
    bool same = true, up = true, down = true;
    for (size_t i = 1; i < s.len; i++) {
        same &= s.p[i] == s.p[0];
        up &= s.p[i] == s.p[i - 1] + 1;
        down &= s.p[i] == s.p[i - 1] - 1;
    }
    return same || up || down;
}

const char *account_password_problem(struct str pw, struct str email)
{
    size_t chars = utf8_chars(pw);
    if (chars < 10)
        return "Use at least 10 characters.";
    if (chars > 128)
        return "Use at most 128 characters.";
    char lower[600];
    if (pw.len >= sizeof lower)
        return "Use at most 128 characters.";
    for (size_t i = 0; i < pw.len; i++) {
        char ch = pw.p[i];
        lower[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
    }
    struct str low = {lower, pw.len};
    if (trivial(low))
        return "That password is too easy to guess.";
    if (common_password(low))
        return "That password is one of the most common ones; choose another.";
    if (email.len &&
        (str_eq(low, email) ||
         (memchr(email.p, '@', email.len) &&
          str_eq(low, (struct str){email.p, (size_t)((const char *)memchr(email.p, '@', email.len) -
                                                     email.p)}))))
        return "Do not use your e-mail address as the password.";
    return NULL;
}

static const struct db_stmt q_insert_account = {
    "account_insert", "INSERT INTO accounts (email, name, password_hash) VALUES (?, ?, ?)", 0};

int account_signup(struct shop_ctx *c, const struct account_policy *p, struct str email,
                   struct str name, struct str password, struct account *out, const char **why)
{
    email = account_normalize_email(c->arena, email);
    *why = account_password_problem(password, email);
    if (*why)
        return ERR_INVAL;
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(hash, password.p, password.len, (unsigned long long)p->pw_opslimit,
                              (size_t)p->pw_memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        log_error("argon2id hashing failed (out of memory?)");
        return ERR_INTERNAL;
    }
    struct db_val v[] = {DB_S(email), DB_S(name), DB_CS(hash)};
    struct db_result r;
    int rc = db_exec(c->db, &q_insert_account, v, 3, c->arena, &r);
    if (rc == ERR_EXISTS) {
        *why = "An account with this e-mail address already exists.";
        return ERR_EXISTS;
    }
    if (rc)
        return rc;
    out->id = r.insert_id;
    out->email = email;
    out->name = name;
    out->role = STR("shopper");
    return 0;
}

static const struct db_stmt q_throttle_get = {
    "throttle_get",
    "SELECT throttle_key, GREATEST(0, CEIL(TIMESTAMPDIFF(MICROSECOND, NOW(6), locked_until)"
    " / 1000000)) FROM login_throttle WHERE throttle_key IN (?, ?) AND locked_until > NOW(6)",
    DB_IDEMPOTENT};

/*
 * One failure, atomically (MariaDB evaluates these assignments left to right, each seeing the
 * values set before it): a new window when the last one is over; at the limit, lock and start
 * counting from zero, so one failure after the lock ends does not lock again at once.
 */
static const struct db_stmt q_throttle_fail = {
    "throttle_fail",
    "INSERT INTO login_throttle (throttle_key, failures, window_start, locked_until)"
    " VALUES (?, 1, NOW(6), NULL)"
    " ON DUPLICATE KEY UPDATE"
    "  failures = IF(window_start < NOW(6) - INTERVAL ? SECOND, 1, failures + 1),"
    "  window_start = IF(failures = 1, NOW(6), window_start),"
    "  locked_until = IF(failures >= ?, NOW(6) + INTERVAL ? SECOND, locked_until),"
    "  failures = IF(failures >= ?, 0, failures)",
    0};

static const struct db_stmt q_throttle_clear = {
    "throttle_clear", "DELETE FROM login_throttle WHERE throttle_key = ?", 0};

static const struct db_stmt q_account_by_email = {
    "account_by_email", "SELECT id, email, name, role, password_hash FROM accounts WHERE email = ?",
    DB_IDEMPOTENT};

static int throttle_fail(struct shop_ctx *c, struct str key, int64_t window, int64_t limit,
                         int64_t lock)
{
    struct db_val v[] = {DB_S(key), DB_I(window), DB_I(limit), DB_I(lock), DB_I(limit)};
    return db_exec(c->db, &q_throttle_fail, v, 5, c->arena, NULL);
}

int account_signin(struct shop_ctx *c, const struct account_policy *p, struct str email,
                   struct str password, struct str ip, int64_t trusted_account_id,
                   struct account *out, int64_t *retry_after_s)
{
    email = account_normalize_email(c->arena, email);
    struct str ip_key = str_from_cstr(arena_sprintf(c->arena, "ip:%.*s", STR_FMT(ip)));
    struct str acct_key = str_from_cstr(arena_sprintf(c->arena, "acct:%.*s", STR_FMT(email)));
    *retry_after_s = 0;

    struct db_result acct;
    struct db_val ev[] = {DB_S(email)};
    int rc = db_exec(c->db, &q_account_by_email, ev, 1, c->arena, &acct);
    if (rc)
        return rc;
    int64_t account_id = acct.nrows ? db_int(&acct, 0, 0) : 0;

    struct db_result t;
    struct db_val tv[] = {DB_S(ip_key), DB_S(acct_key)};
    if ((rc = db_exec(c->db, &q_throttle_get, tv, 2, c->arena, &t)))
        return rc;
    for (size_t i = 0; i < t.nrows; i++) {
        bool is_acct = str_eq(db_text(&t, i, 0), acct_key);
        if (is_acct && account_id && account_id == trusted_account_id)
            continue; /* this browser signed in to this account before */
        int64_t wait = db_int(&t, i, 1);
        if (wait > *retry_after_s)
            *retry_after_s = wait > 0 ? wait : 1;
    }
    if (*retry_after_s)
        return ERR_LIMIT;

    /* verify even for unknown e-mails, against a dummy hash, to keep timing flat */
    const char *hash = acct.nrows ? db_text(&acct, 0, 4).p : dummy_hash;
    char *pw = arena_strndup(c->arena, password.p, password.len);
    bool ok = crypto_pwhash_str_verify(hash, pw, password.len) == 0 && acct.nrows;
    sodium_memzero(pw, password.len);
    if (!ok) {
        if ((rc = throttle_fail(c, ip_key, p->window_s, p->ip_limit, p->window_s)) ||
            (rc = throttle_fail(c, acct_key, p->window_s, p->acct_limit, p->acct_lock_s)))
            return rc;
        return ERR_UNAUTH;
    }
    struct db_val cv[] = {DB_S(acct_key)};
    if ((rc = db_exec(c->db, &q_throttle_clear, cv, 1, c->arena, NULL)))
        return rc;
    out->id = account_id;
    out->email = db_text(&acct, 0, 1);
    out->name = db_text(&acct, 0, 2);
    out->role = db_text(&acct, 0, 3);
    return 0;
}

/* ---------------------------------------------------------------- sessions */

static const struct db_stmt q_session_insert = {
    "session_insert",
    "INSERT INTO sessions (id_hash, account_id, expires_at, ip, user_agent)"
    " VALUES (?, ?, NOW(6) + INTERVAL ? SECOND, ?, ?)",
    0};

static const struct db_stmt q_session_load = {
    "session_load",
    "SELECT s.account_id, a.email, a.name, a.role,"
    "       TIMESTAMPDIFF(SECOND, s.last_seen_at, NOW(6))"
    "  FROM sessions s JOIN accounts a ON a.id = s.account_id"
    " WHERE s.id_hash = ? AND s.expires_at > NOW(6)"
    "   AND s.last_seen_at > NOW(6) - INTERVAL ? SECOND",
    DB_IDEMPOTENT};

static const struct db_stmt q_session_touch = {
    "session_touch", "UPDATE sessions SET last_seen_at = NOW(6) WHERE id_hash = ?", 0};

static const struct db_stmt q_session_delete = {"session_delete",
                                                "DELETE FROM sessions WHERE id_hash = ?", 0};

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

int session_create(struct shop_ctx *c, int64_t account_id, struct str ip, struct str user_agent,
                   int64_t absolute_s, struct session *out)
{
    uint8_t raw[32], h[SEC_SHA256_LEN];
    sec_random(raw, sizeof raw);
    sec_sha256(h, raw, sizeof raw);
    if (user_agent.len > 200)
        user_agent.len = 200;
    while (user_agent.len && ((unsigned char)user_agent.p[user_agent.len - 1] & 0xC0) == 0x80)
        user_agent.len--; /* never cut a UTF-8 sequence in half */
    if (ip.len > 45)
        ip.len = 45;
    struct db_val v[] = {DB_S(((struct str){(const char *)h, sizeof h})), DB_I(account_id),
                         DB_I(absolute_s), DB_S(ip), DB_S(user_agent)};
    int rc = db_exec(c->db, &q_session_insert, v, 5, c->arena, NULL);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    out->account_id = account_id;
    out->token = sec_b64url(c->arena, raw, sizeof raw);
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
    int rc = db_exec(c->db, &q_session_load, v, 2, c->arena, &r);
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
        db_exec(c->db, &q_session_touch, t, 1, c->arena, NULL); /* best effort */
    }
    return 0;
}

int session_delete(struct shop_ctx *c, struct str token)
{
    uint8_t h[SEC_SHA256_LEN];
    if (!token_hash(token, h))
        return 0;
    struct db_val v[] = {DB_S(((struct str){(const char *)h, sizeof h}))};
    return db_exec(c->db, &q_session_delete, v, 1, c->arena, NULL);
}

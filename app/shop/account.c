/* account — sign-up and sign-in; see account.h. */
#include "account.h"

#include "core/err.h"
#include "core/gate.h"
#include "core/log.h"
#include "core/offload.h"
#include "core/sec.h"
#include "db/retry.h"
#include "shop/password.h"
#include "shop/session.h"

#include <sodium.h>
#include <string.h>

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

bool account_email_ok(struct str email)
{
    return str_is_email(email);
}

/* name_ok: 1..100 characters of text, not only blanks */
static bool name_ok(struct str name)
{
    size_t chars = 0;
    for (size_t i = 0; i < name.len; i++)
        chars += ((unsigned char)name.p[i] & 0xC0) != 0x80;
    return str_utf8_valid(name) && str_trim(name).len > 0 && chars <= 100 &&
           !memchr(name.p, '\0', name.len);
}

/*
 * hash_gate: enters the node's password gate (if any). SHOP_OK, or SHOP_AUTH_BUSY with the
 * Retry-After in *problem.
 */
static int hash_gate(const struct account_policy *p, struct shop_problem *problem)
{
    if (!p->hash_gate)
        return SHOP_OK;
    if (gate_enter(p->hash_gate, p->hash_wait_ms) == 0)
        return SHOP_OK;
    problem->retry_after_s = gate_retry_after_s(p->hash_gate);
    return SHOP_AUTH_BUSY;
}

/* hash_busy: the gate is full right now: refuse before any database work (a storm's refusals
 * must cost next to nothing) */
static bool hash_busy(const struct account_policy *p, struct shop_problem *problem)
{
    if (!p->hash_gate || !gate_full(p->hash_gate))
        return false;
    problem->retry_after_s = gate_retry_after_s(p->hash_gate);
    gate_refuse(p->hash_gate);
    return true;
}

static void hash_leave(const struct account_policy *p)
{
    if (p->hash_gate)
        gate_leave(p->hash_gate);
}

/* The hash and the verification run on the process's low-priority threads (core/offload.h)
 * when the policy has a gate, so a sign-in storm yields the cores to page requests. */
struct pwjob {
    const struct account_policy *p;
    const char *pw;
    size_t len;
    const char *stored; /* verify: the stored hash */
    char *out;          /* hash: crypto_pwhash_STRBYTES */
    int rc;
};

static void do_hash(void *arg)
{
    struct pwjob *j = arg;
    j->rc = crypto_pwhash_str_alg(j->out, j->pw, j->len, (unsigned long long)j->p->pw_opslimit,
                                  (size_t)j->p->pw_memlimit, crypto_pwhash_ALG_ARGON2ID13);
}

static void do_verify(void *arg)
{
    struct pwjob *j = arg;
    j->rc = crypto_pwhash_str_verify(j->stored, j->pw, j->len);
}

static int hash(const struct account_policy *p, struct str pw, char out[crypto_pwhash_STRBYTES])
{
    struct pwjob j = {p, pw.p, pw.len, NULL, out, -1};
    offload_run(p->hash_gate ? p->hash_threads : 0, do_hash, &j);
    return j.rc;
}

static bool verify(const struct account_policy *p, const char *stored, const char *pw, size_t len)
{
    struct pwjob j = {p, pw, len, stored, NULL, -1};
    offload_run(p->hash_gate ? p->hash_threads : 0, do_verify, &j);
    return j.rc == 0;
}

/* ---------------------------------------------------------------- sign-up */

static const struct db_stmt q_insert = {
    "account_insert", "INSERT INTO accounts (email, name, password_hash) VALUES (?, ?, ?)", 0};

struct signup_tx {
    struct shop_ctx *c;
    const struct account_policy *p;
    const struct account_client *cl;
    struct account_session *out;
    const char *hash;
};

static int signup_tx(void *arg)
{
    struct signup_tx *q = arg;
    struct account *a = &q->out->account;
    struct db_val v[] = {DB_S(a->email), DB_S(a->name), DB_CS(q->hash)};
    struct db_result r;
    int rc = db_exec(q->c->db, &q_insert, v, 3, q->c->arena, &r);
    if (rc == ERR_EXISTS)
        return SHOP_EMAIL_TAKEN;
    if (rc)
        return rc;
    a->id = r.insert_id;
    return session_create(q->c, a->id, q->cl->ip, q->cl->user_agent, q->p->session_absolute_s,
                          &q->out->token);
}

int account_signup(struct shop_ctx *c, const struct account_policy *p, struct str email,
                   struct str name, struct str password, const struct account_client *cl,
                   struct account_session *out)
{
    memset(out, 0, sizeof *out);
    email = account_normalize_email(c->arena, email);
    name = str_trim(name);
    if (!account_email_ok(email))
        return SHOP_INVALID_EMAIL;
    if (!name_ok(name))
        return SHOP_INVALID_NAME;
    out->problem.why = password_problem(password, email, name, p->password_min_bits);
    if (out->problem.why)
        return SHOP_WEAK_PASSWORD;
    if (hash_busy(p, &out->problem))
        return SHOP_AUTH_BUSY;
    int rc = hash_gate(p, &out->problem);
    if (rc)
        return rc;
    char hashed[crypto_pwhash_STRBYTES];
    int hrc = hash(p, password, hashed);
    hash_leave(p);
    if (hrc != 0) {
        log_error("argon2id hashing failed (out of memory?)");
        return ERR_INTERNAL;
    }
    out->account = (struct account){0, email, arena_str_dup(c->arena, name), STR("shopper")};
    struct signup_tx q = {c, p, cl, out, hashed};
    rc = db_tx(c->db, &db_retry_default, signup_tx, &q);
    if (rc == SHOP_EMAIL_TAKEN)
        out->problem.why = "An account with this e-mail address already exists.";
    return rc;
}

/* ---------------------------------------------------------------- sign-in */

static const struct db_stmt q_by_email = {
    "account_by_email", "SELECT id, email, name, role, password_hash FROM accounts WHERE email = ?",
    DB_IDEMPOTENT | DB_PRIMARY};

struct signin_tx {
    struct shop_ctx *c;
    const struct account_policy *p;
    const struct account_client *cl;
    struct account_session *out;
};

static int signin_tx(void *arg)
{
    struct signin_tx *q = arg;
    int rc = 0;
    if (q->cl->old_session.len && (rc = session_delete(q->c, q->cl->old_session)))
        return rc;
    return session_create(q->c, q->out->account.id, q->cl->ip, q->cl->user_agent,
                          q->p->session_absolute_s, &q->out->token);
}

int account_signin(struct shop_ctx *c, const struct account_policy *p, struct str email,
                   struct str password, const struct account_client *cl,
                   struct account_session *out)
{
    memset(out, 0, sizeof *out);
    if (hash_busy(p, &out->problem))
        return SHOP_AUTH_BUSY;
    email = account_normalize_email(c->arena, email);
    struct db_result acct;
    struct db_val ev[] = {DB_S(email)};
    int rc = db_exec(c->db, &q_by_email, ev, 1, c->arena, &acct);
    if (rc)
        return rc;
    int64_t id = acct.nrows ? db_int(&acct, 0, 0) : 0;
    bool trusted = id && cl->device_account == id && cl->device_id.len;
    struct throttle_keys keys;
    throttle_keys_for(c->arena, email, cl->ip, trusted ? cl->device_id : STR_NULL, &keys);
    if ((rc = throttle_wait(c, &keys, &out->problem.retry_after_s)))
        return rc;
    if (out->problem.retry_after_s)
        return SHOP_TOO_MANY_ATTEMPTS;

    /* verify even for unknown e-mails, against a dummy hash, to keep timing flat */
    if ((rc = hash_gate(p, &out->problem)))
        return rc;
    const char *stored = acct.nrows ? db_text(&acct, 0, 4).p : dummy_hash;
    char *pw = arena_strndup(c->arena, password.p, password.len);
    bool ok = verify(p, stored, pw, password.len) && acct.nrows;
    hash_leave(p);
    sodium_memzero(pw, password.len);
    if (!ok) {
        if ((rc = throttle_failed(c, &p->throttle, &keys, &out->problem.retry_after_s)))
            return rc;
        return SHOP_INVALID_CREDENTIALS;
    }
    out->account =
        (struct account){id, db_text(&acct, 0, 1), db_text(&acct, 0, 2), db_text(&acct, 0, 3)};
    struct signin_tx q = {c, p, cl, out};
    if ((rc = db_tx(c->db, &db_retry_default, signin_tx, &q)))
        return rc;
    throttle_succeeded(c, &keys); /* best effort: the pair's count expires anyway */
    return SHOP_OK;
}

int account_signout(struct shop_ctx *c, struct str token)
{
    return session_delete(c, token);
}

/* ---------------------------------------------------------------- admins */

static const struct db_stmt q_upsert_admin = {
    "admin_upsert",
    "INSERT INTO accounts (email, name, password_hash, role) VALUES (?, ?, ?, 'admin')"
    " ON DUPLICATE KEY UPDATE role = 'admin', name = VALUES(name),"
    " password_hash = VALUES(password_hash)",
    0};

int account_make_admin(struct shop_ctx *c, const struct account_policy *p, struct str email,
                       struct str name, struct str password, struct shop_problem *problem)
{
    memset(problem, 0, sizeof *problem);
    email = account_normalize_email(c->arena, email);
    if (!account_email_ok(email))
        return SHOP_INVALID_EMAIL;
    if (!name_ok(name))
        return SHOP_INVALID_NAME;
    problem->why = password_problem(password, email, name, p->password_min_bits);
    if (problem->why)
        return SHOP_WEAK_PASSWORD;
    char hashed[crypto_pwhash_STRBYTES];
    if (hash(p, password, hashed) != 0)
        return ERR_INTERNAL;
    struct db_val v[] = {DB_S(email), DB_S(name), DB_CS(hashed)};
    return db_exec(c->db, &q_upsert_admin, v, 3, c->arena, NULL);
}

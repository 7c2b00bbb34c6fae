/* throttle — sign-in failures per pair, account and address; see throttle.h. */
#include "throttle.h"

#include "core/err.h"
#include "core/sec.h"

#include <string.h>

static const struct db_stmt q_wait = {
    "throttle_wait",
    "SELECT GREATEST(0, CEIL(TIMESTAMPDIFF(MICROSECOND, NOW(6), locked_until) / 1000000))"
    "  FROM login_throttle WHERE throttle_key = ? AND locked_until > NOW(6)",
    DB_IDEMPOTENT | DB_PRIMARY};

/* One failure under a counting key (account, address): a new window when the last is over. */
static const struct db_stmt q_count = {
    "throttle_count",
    "INSERT INTO login_throttle (throttle_key, failures, window_start, locked_until)"
    " VALUES (?, 1, NOW(6), NULL)"
    " ON DUPLICATE KEY UPDATE"
    "  failures = IF(window_start < NOW(6) - INTERVAL ? SECOND, 1, failures + 1),"
    "  window_start = IF(failures = 1, NOW(6), window_start)",
    0};

static const struct db_stmt q_failures = {
    "throttle_failures",
    "SELECT COALESCE(SUM(IF(throttle_key = ?, failures, 0)), 0),"
    "       COALESCE(SUM(IF(throttle_key = ?, failures, 0)), 0)"
    "  FROM login_throttle WHERE throttle_key IN (?, ?) AND window_start >= NOW(6) - INTERVAL ? "
    "SECOND",
    DB_PRIMARY};

/*
 * One failure of the pair: past `free` failures in the window the pair waits 2^(n - free - 1)
 * seconds, at most max. MariaDB evaluates the assignments left to right, each seeing the
 * values set before it.
 */
static const struct db_stmt q_pair = {
    "throttle_pair",
    "INSERT INTO login_throttle (throttle_key, failures, window_start, locked_until)"
    " VALUES (?, 1, NOW(6), IF(1 > ?, NOW(6) + INTERVAL 1 SECOND, NULL))"
    " ON DUPLICATE KEY UPDATE"
    "  failures = IF(window_start < NOW(6) - INTERVAL ? SECOND, 1, failures + 1),"
    "  window_start = IF(failures = 1, NOW(6), window_start),"
    "  locked_until = IF(failures > ?, NOW(6) + INTERVAL LEAST(POW(2, failures - ? - 1), ?)"
    " SECOND, NULL)",
    0};

static const struct db_stmt q_clear = {"throttle_clear",
                                       "DELETE FROM login_throttle WHERE throttle_key = ?", 0};

static struct str key_of(struct arena *a, const char *kind, struct str x, struct str y)
{
    char *msg = arena_sprintf(a, "%s|%.*s|%.*s", kind, STR_FMT(x), STR_FMT(y));
    uint8_t h[SEC_SHA256_LEN];
    sec_sha256(h, msg, strlen(msg));
    return sec_hex(a, h, sizeof h);
}

void throttle_keys_for(struct arena *a, struct str email, struct str address, struct str device,
                       struct throttle_keys *out)
{
    out->device = device.len > 0;
    out->pair =
        out->device ? key_of(a, "device", email, device) : key_of(a, "pair", email, address);
    out->account = key_of(a, "account", email, STR(""));
    out->address = key_of(a, "address", address, STR(""));
}

int throttle_wait(struct shop_ctx *c, const struct throttle_keys *k, int64_t *wait_s)
{
    struct db_result r;
    struct db_val v[] = {DB_S(k->pair)};
    int rc = db_exec(c->db, &q_wait, v, 1, c->arena, &r);
    *wait_s = rc == 0 && r.nrows ? db_int(&r, 0, 0) : 0;
    if (rc == 0 && r.nrows && *wait_s < 1)
        *wait_s = 1;
    return rc;
}

int throttle_failed(struct shop_ctx *c, const struct throttle_policy *p,
                    const struct throttle_keys *k, int64_t *wait_s)
{
    *wait_s = 0;
    struct db_val a[] = {DB_S(k->account), DB_I(p->window_s)};
    struct db_val i[] = {DB_S(k->address), DB_I(p->window_s)};
    int rc;
    if ((rc = db_exec(c->db, &q_count, a, 2, c->arena, NULL)) ||
        (rc = db_exec(c->db, &q_count, i, 2, c->arena, NULL)))
        return rc;
    int64_t free = p->pair_free;
    if (!k->device) {
        struct db_result f;
        struct db_val fv[] = {DB_S(k->account), DB_S(k->address), DB_S(k->account),
                              DB_S(k->address), DB_I(p->window_s)};
        if ((rc = db_exec(c->db, &q_failures, fv, 5, c->arena, &f)))
            return rc;
        if (db_int(&f, 0, 0) > p->account_limit || db_int(&f, 0, 1) > p->ip_limit)
            free = 1;
    }
    struct db_val pv[] = {DB_S(k->pair), DB_I(free), DB_I(p->window_s),
                          DB_I(free),    DB_I(free), DB_I(p->max_delay_s)};
    if ((rc = db_exec(c->db, &q_pair, pv, 6, c->arena, NULL)))
        return rc;
    return throttle_wait(c, k, wait_s);
}

int throttle_succeeded(struct shop_ctx *c, const struct throttle_keys *k)
{
    struct db_val v[] = {DB_S(k->pair)};
    return db_exec(c->db, &q_clear, v, 1, c->arena, NULL);
}

/* ledger — the sandbox's payments, ledger, idempotency keys and webhook outbox; see psp.h. */
#include "psp.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"
#include "db/retry.h"

#include <cjson/cJSON.h>
#include <string.h>

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
#define PAYMENT_COLS                                                         \
    "id, payment_key, order_id, order_name, status, card_number, card_kind," \
    " COALESCE(fail_code, ''), " ISO("requested_at") ", COALESCE(" ISO(      \
        "approved_at") ", ''), amount, captured, balance,"                   \
                       " status = 'READY' AND requested_at < NOW(6) - INTERVAL ? MICROSECOND"

static const struct db_stmt q_get = {
    "psp_payment_get", "SELECT " PAYMENT_COLS " FROM psp_payments WHERE payment_key = ?", 0};

static const struct db_stmt q_lock = {
    "psp_payment_lock",
    "SELECT " PAYMENT_COLS " FROM psp_payments WHERE payment_key = ? FOR UPDATE", 0};

static const struct db_stmt q_by_order = {
    "psp_payments_by_order",
    "SELECT " PAYMENT_COLS " FROM psp_payments WHERE order_id = ? ORDER BY id LIMIT 100", 0};

static const struct db_stmt q_captured = {
    "psp_payments_captured",
    "SELECT " PAYMENT_COLS " FROM psp_payments WHERE id > ? AND captured > 0"
    " AND (? = 0 OR updated_at >= NOW(6) - INTERVAL ? SECOND) ORDER BY id LIMIT ?",
    0};

static const struct db_stmt q_cancels = {
    "psp_payment_cancels",
    "SELECT kind, amount, reason, " ISO("created_at") ", id FROM psp_ledger"
                                                      " WHERE payment_key = ? AND kind IN "
                                                      "('refund', 'void') ORDER BY id",
    0};

static const struct db_stmt q_insert = {
    "psp_payment_insert",
    "INSERT INTO psp_payments (payment_key, order_id, order_name, amount, status, card_number,"
    " card_kind, fail_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    0};

static const struct db_stmt q_ledger = {
    "psp_ledger_insert",
    "INSERT INTO psp_ledger (payment_key, order_id, kind, amount, idem_key, reason)"
    " VALUES (?, ?, ?, ?, ?, ?)",
    0};

static const struct db_stmt q_capture = {
    "psp_payment_capture",
    "UPDATE psp_payments SET status = 'DONE', captured = ?, balance = ?, approved_at = NOW(6)"
    " WHERE payment_key = ?",
    0};

static const struct db_stmt q_set_status = {
    "psp_payment_status", "UPDATE psp_payments SET status = ?, balance = ? WHERE payment_key = ?",
    0};

static const struct db_stmt q_event = {
    "psp_event_insert",
    "INSERT INTO psp_webhook_events (event_id, event_type, payment_key, order_id, body, fault,"
    " next_attempt_at, gave_up_at) VALUES (?, 'PAYMENT_STATUS_CHANGED', ?, ?, ?, ?,"
    " NOW(6) + INTERVAL ? MICROSECOND, IF(? = 'drop', NOW(6), NULL))",
    0};

static const struct db_stmt q_idem_insert = {
    "psp_idem_insert",
    "INSERT INTO psp_idempotency (idem_key, operation, request_hash) VALUES (?, ?, ?)", 0};

static const struct db_stmt q_idem_get = {
    "psp_idem_get",
    "SELECT operation, request_hash, COALESCE(status, 0), COALESCE(body, '') FROM psp_idempotency"
    " WHERE idem_key = ?",
    0};

static const struct db_stmt q_idem_store = {
    "psp_idem_store", "UPDATE psp_idempotency SET status = ?, body = ? WHERE idem_key = ?", 0};

static const struct db_stmt q_due_expiry = {
    "psp_due_expiry",
    "SELECT payment_key FROM psp_payments WHERE status = 'READY'"
    " AND requested_at < NOW(6) - INTERVAL ? MICROSECOND ORDER BY id LIMIT ?",
    0};

static struct db_val window(struct http_app *w)
{
    return DB_I(w->psp->cfg.confirm_window_ms * 1000);
}

static int load_cancels(struct http_app *w, struct psp_payment *p)
{
    struct db_result r;
    struct db_val v[] = {DB_S(p->payment_key)};
    int rc = db_exec(w->db, &q_cancels, v, 1, w->arena, &r);
    if (rc)
        return rc;
    p->cancels = arena_calloc(w->arena, r.nrows + 1, sizeof *p->cancels);
    p->ncancels = r.nrows;
    for (size_t i = 0; i < r.nrows; i++) {
        struct psp_cancel *c = &p->cancels[i];
        c->kind = db_text(&r, i, 0);
        c->amount = db_int(&r, i, 1);
        c->reason = db_text(&r, i, 2);
        c->at = db_text(&r, i, 3);
        c->transaction_key =
            str_from_cstr(arena_sprintf(w->arena, "txn_%lld", (long long)db_int(&r, i, 4)));
    }
    return 0;
}

static int fill(struct http_app *w, const struct db_result *r, size_t i, struct psp_payment *p)
{
    memset(p, 0, sizeof *p);
    p->seq = db_int(r, i, 0);
    p->payment_key = db_text(r, i, 1);
    p->order_id = db_text(r, i, 2);
    p->order_name = db_text(r, i, 3);
    p->status = db_text(r, i, 4);
    p->card_number = db_text(r, i, 5);
    p->card_kind = db_text(r, i, 6);
    p->fail_code = db_text(r, i, 7);
    p->requested_at = db_text(r, i, 8);
    p->approved_at = db_text(r, i, 9);
    p->amount = db_int(r, i, 10);
    p->captured = db_int(r, i, 11);
    p->balance = db_int(r, i, 12);
    p->expired_window = db_int(r, i, 13) != 0;
    return load_cancels(w, p);
}

static int get_one(struct http_app *w, const struct db_stmt *st, struct str key,
                   struct psp_payment *out)
{
    struct db_result r;
    struct db_val v[] = {window(w), DB_S(key)};
    int rc = db_exec(w->db, st, v, 2, w->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return ERR_NOTFOUND;
    return fill(w, &r, 0, out);
}

int psp_payment_get(struct http_app *w, struct str payment_key, struct psp_payment *out)
{
    return get_one(w, &q_get, payment_key, out);
}

static int list(struct http_app *w, const struct db_stmt *st, const struct db_val *v, size_t nv,
                struct psp_payment **out, size_t *n)
{
    struct db_result r;
    int rc = db_exec(w->db, st, v, nv, w->arena, &r);
    if (rc)
        return rc;
    *out = arena_calloc(w->arena, r.nrows + 1, sizeof **out);
    *n = r.nrows;
    for (size_t i = 0; i < r.nrows; i++)
        if ((rc = fill(w, &r, i, &(*out)[i])))
            return rc;
    return 0;
}

int psp_payments_by_order(struct http_app *w, struct str order_id, struct psp_payment **out,
                          size_t *n)
{
    struct db_val v[] = {window(w), DB_S(order_id)};
    return list(w, &q_by_order, v, 2, out, n);
}

int psp_payments_captured(struct http_app *w, int64_t after, int64_t within_s, int64_t limit,
                          struct psp_payment **out, size_t *n)
{
    struct db_val v[] = {window(w), DB_I(after), DB_I(within_s), DB_I(within_s), DB_I(limit)};
    return list(w, &q_captured, v, 5, out, n);
}

cJSON *psp_payment_json(const struct psp_payment *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "mId", "stampede-sandbox");
    cJSON_AddStringToObject(o, "paymentKey", p->payment_key.p ? p->payment_key.p : "");
    cJSON_AddStringToObject(o, "orderId", p->order_id.p ? p->order_id.p : "");
    cJSON_AddStringToObject(o, "orderName", p->order_name.p ? p->order_name.p : "");
    cJSON_AddStringToObject(o, "status", p->status.p ? p->status.p : "");
    cJSON_AddStringToObject(o, "method", "CARD");
    cJSON_AddStringToObject(o, "currency", "KRW");
    cJSON_AddNumberToObject(o, "totalAmount", (double)p->amount);
    cJSON_AddNumberToObject(o, "capturedAmount", (double)p->captured);
    cJSON_AddNumberToObject(o, "balanceAmount", (double)p->balance);
    cJSON_AddStringToObject(o, "requestedAt", p->requested_at.p ? p->requested_at.p : "");
    if (p->approved_at.len)
        cJSON_AddStringToObject(o, "approvedAt", p->approved_at.p);
    else
        cJSON_AddNullToObject(o, "approvedAt");
    if (p->fail_code.len)
        cJSON_AddStringToObject(o, "failCode", p->fail_code.p);
    cJSON *card = cJSON_AddObjectToObject(o, "card");
    cJSON_AddStringToObject(card, "number", p->card_number.p ? p->card_number.p : "");
    cJSON *cancels = cJSON_AddArrayToObject(o, "cancels");
    for (size_t i = 0; i < p->ncancels; i++) {
        const struct psp_cancel *c = &p->cancels[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "kind", c->kind.p);
        cJSON_AddNumberToObject(j, "cancelAmount", (double)c->amount);
        cJSON_AddStringToObject(j, "cancelReason", c->reason.p);
        cJSON_AddStringToObject(j, "canceledAt", c->at.p);
        cJSON_AddStringToObject(j, "transactionKey", c->transaction_key.p);
        cJSON_AddItemToArray(cancels, j);
    }
    cJSON_AddBoolToObject(o, "sandbox", true);
    return o;
}

/* json_str: prints and deletes j into the arena */
static struct str json_str(struct arena *a, cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    struct str out = arena_str_dup(a, str_from_cstr(s ? s : "{}"));
    cJSON_free(s);
    return out;
}

static void answer_error(struct http_app *w, struct psp_answer *out, int status, const char *code,
                         const char *message)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "code", code);
    cJSON_AddStringToObject(j, "message", message);
    out->status = status;
    out->body = json_str(w->arena, j);
}

static int ledger(struct http_app *w, const struct psp_payment *p, const char *kind, int64_t amount,
                  struct str idem_key, struct str reason)
{
    struct db_val v[] = {DB_S(p->payment_key),
                         DB_S(p->order_id),
                         DB_CS(kind),
                         DB_I(amount),
                         idem_key.len ? DB_S(idem_key) : DB_NULLV,
                         DB_S(reason)};
    return db_exec(w->db, &q_ledger, v, 6, w->arena, NULL);
}

/*
 * event: the payment's current state as a PAYMENT_STATUS_CHANGED event in the outbox, with a
 * webhook fault taken now (so the event of the call a test just made gets it).
 */
static int event(struct http_app *w, struct str payment_key)
{
    if (!w->psp->cfg.webhook_url[0])
        return 0;
    struct psp_payment p;
    int rc = get_one(w, &q_get, payment_key, &p);
    if (rc)
        return rc;
    struct str id = str_from_cstr(arena_sprintf(w->arena, "evt_%s", sec_token(w->arena, 18).p));
    char now[40];
    clock_iso8601(clock_real_ms(), now, sizeof now);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "eventId", id.p);
    cJSON_AddStringToObject(j, "eventType", "PAYMENT_STATUS_CHANGED");
    cJSON_AddStringToObject(j, "createdAt", now);
    cJSON_AddItemToObject(j, "data", psp_payment_json(&p));
    struct str body = json_str(w->arena, j);
    struct psp_fault f;
    const char *fault = "";
    int64_t delay_us = 0;
    if (psp_fault_take(w->psp, "webhook", p.order_id, &f)) {
        fault = arena_strndup(w->arena, f.kind, strlen(f.kind));
        if (strcmp(fault, "reorder") == 0)
            delay_us = (f.delay_ms > 0 ? f.delay_ms : 2000) * 1000;
        log_info("webhook fault %s for event %s (order %.*s)", fault, id.p, STR_FMT(p.order_id));
    }
    struct db_val v[] = {DB_S(id),     DB_S(p.payment_key), DB_S(p.order_id), DB_S(body),
                         DB_CS(fault), DB_I(delay_us),      DB_CS(fault)};
    return db_exec(w->db, &q_event, v, 7, w->arena, NULL);
}

struct create_tx {
    struct http_app *w;
    const struct psp_new_payment *in;
    struct psp_payment *out;
    struct str key;
    bool decline;
};

static int create_tx(void *arg)
{
    struct create_tx *q = arg;
    struct http_app *w = q->w;
    const struct psp_new_payment *in = q->in;
    struct db_val v[] = {DB_S(q->key),
                         DB_S(in->order_id),
                         DB_S(in->order_name),
                         DB_I(in->amount),
                         DB_CS(q->decline ? "ABORTED" : "READY"),
                         DB_S(in->card_number),
                         DB_CS(in->card_kind),
                         q->decline ? DB_CS("REJECT_CARD_COMPANY") : DB_NULLV};
    struct psp_payment p = {.payment_key = q->key, .order_id = in->order_id};
    int rc;
    if ((rc = db_exec(w->db, &q_insert, v, 8, w->arena, NULL)) ||
        (rc = ledger(w, &p, q->decline ? "decline" : "authorize", in->amount, STR_NULL, STR(""))) ||
        (rc = q->decline ? event(w, q->key) : 0))
        return rc;
    return get_one(w, &q_get, q->key, q->out);
}

static const struct db_retry sandbox_retry = {"sandbox", 5, 1, 10, NULL};

int psp_payment_create(struct http_app *w, const struct psp_new_payment *in,
                       struct psp_payment *out)
{
    struct create_tx q = {
        w, in, out, str_from_cstr(arena_sprintf(w->arena, "psp_%s", sec_token(w->arena, 18).p)),
        strcmp(in->card_kind, "decline") == 0};
    return db_tx(w->db, &sandbox_retry, create_tx, &q);
}

/* ---------------------------------------------------------------- confirm and cancel */

static int expire_locked(struct http_app *w, const struct psp_payment *p)
{
    struct db_val v[] = {DB_CS("EXPIRED"), DB_I(0), DB_S(p->payment_key)};
    int rc = db_exec(w->db, &q_set_status, v, 3, w->arena, NULL);
    if (rc == 0)
        rc = ledger(w, p, "expire", p->amount, STR_NULL, STR("not confirmed in time"));
    if (rc == 0)
        rc = event(w, p->payment_key);
    return rc;
}

static int answer_payment(struct http_app *w, struct str key, struct psp_answer *out)
{
    struct psp_payment p;
    int rc = get_one(w, &q_get, key, &p);
    if (rc)
        return rc;
    out->status = 200;
    out->body = json_str(w->arena, psp_payment_json(&p));
    return 0;
}

/* lock_payment: the payment under its row lock; false with a 404 answer when it does not
 * exist (*rc = 0) or on a database error (*rc set) */
static bool lock_payment(struct http_app *w, struct str key, struct psp_payment *p,
                         struct psp_answer *out, int *rc)
{
    *rc = get_one(w, &q_lock, key, p);
    if (*rc == ERR_NOTFOUND) {
        *rc = 0;
        answer_error(w, out, 404, "NOT_FOUND_PAYMENT", "No payment with this paymentKey.");
        return false;
    }
    return *rc == 0;
}

struct confirm_req {
    struct str payment_key, order_id;
    int64_t amount;
};

static int do_confirm(struct http_app *w, const void *arg, struct str idem_key,
                      struct psp_answer *out)
{
    const struct confirm_req *q = arg;
    struct psp_payment p;
    int rc;
    if (!lock_payment(w, q->payment_key, &p, out, &rc))
        return rc;
    if (!str_eq(p.order_id, q->order_id)) {
        answer_error(w, out, 400, "ORDER_ID_MISMATCH",
                     "The orderId differs from the one the payment was made for.");
        return 0;
    }
    if (p.captured > 0) {
        answer_error(w, out, 400, "ALREADY_PROCESSED_PAYMENT",
                     "This payment was already confirmed.");
        return 0;
    }
    if (str_eq_cstr(p.status, "CANCELED")) {
        answer_error(w, out, 400, "ALREADY_CANCELED_PAYMENT", "This payment was cancelled.");
        return 0;
    }
    if (str_eq_cstr(p.status, "ABORTED")) {
        answer_error(w, out, 400, "REJECT_CARD_COMPANY", "The card company declined the payment.");
        return 0;
    }
    if (str_eq_cstr(p.status, "EXPIRED") || p.expired_window) {
        if (!str_eq_cstr(p.status, "EXPIRED") && (rc = expire_locked(w, &p)))
            return rc;
        answer_error(w, out, 400, "NOT_FOUND_PAYMENT_SESSION",
                     "The payment was not confirmed within the confirm window and expired.");
        return 0;
    }
    if (q->amount != p.amount) {
        answer_error(w, out, 400, "AMOUNT_MISMATCH",
                     "The amount differs from the amount the card holder authorized.");
        return 0;
    }
    struct db_val v[] = {DB_I(p.amount), DB_I(p.amount), DB_S(p.payment_key)};
    if ((rc = db_exec(w->db, &q_capture, v, 3, w->arena, NULL)) ||
        (rc = ledger(w, &p, "capture", p.amount, idem_key, STR(""))) ||
        (rc = event(w, p.payment_key)))
        return rc;
    return answer_payment(w, p.payment_key, out);
}

struct cancel_req {
    struct str payment_key, reason;
    int64_t amount;
};

static int do_cancel(struct http_app *w, const void *arg, struct str idem_key,
                     struct psp_answer *out)
{
    const struct cancel_req *q = arg;
    struct psp_payment p;
    int rc;
    if (!lock_payment(w, q->payment_key, &p, out, &rc))
        return rc;
    if (str_eq_cstr(p.status, "READY") && !p.expired_window) {
        struct db_val v[] = {DB_CS("CANCELED"), DB_I(0), DB_S(p.payment_key)};
        if ((rc = db_exec(w->db, &q_set_status, v, 3, w->arena, NULL)) ||
            (rc = ledger(w, &p, "void", p.amount, idem_key, q->reason)) ||
            (rc = event(w, p.payment_key)))
            return rc;
        return answer_payment(w, p.payment_key, out);
    }
    if (p.balance > 0) {
        int64_t amt = q->amount > 0 ? q->amount : p.balance;
        if (amt > p.balance) {
            answer_error(w, out, 400, "NOT_CANCELABLE_AMOUNT",
                         "The cancel amount is larger than what is left to refund.");
            return 0;
        }
        int64_t left = p.balance - amt;
        struct db_val v[] = {DB_CS(left ? "PARTIAL_CANCELED" : "CANCELED"), DB_I(left),
                             DB_S(p.payment_key)};
        if ((rc = db_exec(w->db, &q_set_status, v, 3, w->arena, NULL)) ||
            (rc = ledger(w, &p, "refund", amt, idem_key, q->reason)) ||
            (rc = event(w, p.payment_key)))
            return rc;
        return answer_payment(w, p.payment_key, out);
    }
    if (str_eq_cstr(p.status, "CANCELED")) {
        answer_error(w, out, 400, "ALREADY_CANCELED_PAYMENT",
                     "This payment was already cancelled.");
        return 0;
    }
    answer_error(w, out, 400, "NOT_CANCELABLE_PAYMENT",
                 "A declined or expired payment has nothing to cancel.");
    return 0;
}

typedef int (*work_fn)(struct http_app *w, const void *arg, struct str idem_key,
                       struct psp_answer *out);

/* A key that a concurrent request inserted and then rolled back: the attempt goes again. */
#define KEY_VANISHED ERR_NOTFOUND

static bool vanished(int rc)
{
    return rc == KEY_VANISHED;
}

static const struct db_retry vanished_retry = {"sandbox idempotency key", 5, 0, 0, vanished};

struct idem_tx {
    struct http_app *w;
    struct str key, hash;
    const char *op;
    work_fn fn;
    const void *arg;
    struct psp_answer *out;
    bool *replayed;
    bool taken; /* the key's row exists: replay it after the rollback */
};

static int idem_tx(void *arg)
{
    struct idem_tx *q = arg;
    struct http_app *w = q->w;
    q->taken = false;
    int rc = 0;
    if (q->key.len) {
        struct db_val v[] = {DB_S(q->key), DB_CS(q->op), DB_S(q->hash)};
        rc = db_exec(w->db, &q_idem_insert, v, 3, w->arena, NULL);
        if (rc == ERR_EXISTS) {
            q->taken = true;
            return rc; /* rolled back; replayed outside the transaction */
        }
    }
    if (rc == 0)
        rc = q->fn(w, q->arg, q->key, q->out);
    if (rc == 0 && q->key.len) {
        struct db_val v[] = {DB_I(q->out->status), DB_S(q->out->body), DB_S(q->key)};
        rc = db_exec(w->db, &q_idem_store, v, 3, w->arena, NULL);
    }
    return rc;
}

/* replay: the stored answer of a key used before (KEY_VANISHED when its first use rolled back) */
static int replay(struct idem_tx *q)
{
    struct http_app *w = q->w;
    struct db_result r;
    struct db_val k[] = {DB_S(q->key)};
    int rc = db_exec(w->db, &q_idem_get, k, 1, w->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return KEY_VANISHED;
    if (!str_eq_cstr(db_text(&r, 0, 0), q->op) || !sec_equal(db_text(&r, 0, 1), q->hash)) {
        answer_error(w, q->out, 422, "IDEMPOTENCY_KEY_REUSED",
                     "This Idempotency-Key was used with another request.");
        return 0;
    }
    q->out->status = (int)db_int(&r, 0, 2);
    q->out->body = db_text(&r, 0, 3);
    *q->replayed = true;
    return 0;
}

static int idem_call(void *arg)
{
    struct idem_tx *q = arg;
    int rc = db_tx(q->w->db, &sandbox_retry, idem_tx, q);
    return rc == ERR_EXISTS && q->taken ? replay(q) : rc;
}

/*
 * idempotent: runs fn in one transaction; with a key, the key's row is inserted first (a
 * concurrent request with the key waits on it, then finds it) and the answer is stored with
 * it before the commit. A key found taken is replayed; one that vanished (its first request
 * rolled back meanwhile) is tried again.
 */
static int idempotent(struct http_app *w, struct str key, const char *op, struct str request,
                      work_fn fn, const void *arg, struct psp_answer *out, bool *replayed)
{
    uint8_t hash[SEC_SHA256_LEN];
    sec_sha256(hash, request.p, request.len);
    *replayed = false;
    struct idem_tx q = {w,        key,  {(const char *)hash, sizeof hash}, op, fn, arg, out,
                        replayed, false};
    return db_retry(&vanished_retry, idem_call, &q);
}

int psp_confirm(struct http_app *w, struct str idem_key, struct str payment_key,
                struct str order_id, int64_t amount, struct psp_answer *out, bool *replayed)
{
    struct confirm_req q = {payment_key, order_id, amount};
    struct str request =
        str_from_cstr(arena_sprintf(w->arena, "confirm|%.*s|%.*s|%lld", STR_FMT(payment_key),
                                    STR_FMT(order_id), (long long)amount));
    return idempotent(w, idem_key, "confirm", request, do_confirm, &q, out, replayed);
}

int psp_cancel(struct http_app *w, struct str idem_key, struct str payment_key, struct str reason,
               int64_t cancel_amount, struct psp_answer *out, bool *replayed)
{
    struct cancel_req q = {payment_key, reason, cancel_amount};
    struct str request =
        str_from_cstr(arena_sprintf(w->arena, "cancel|%.*s|%.*s|%lld", STR_FMT(payment_key),
                                    STR_FMT(reason), (long long)cancel_amount));
    return idempotent(w, idem_key, "cancel", request, do_cancel, &q, out, replayed);
}

int psp_expire_due(struct http_app *w, int64_t limit, int64_t *n)
{
    *n = 0;
    struct db_result r;
    struct db_val v[] = {window(w), DB_I(limit)};
    int rc = db_exec(w->db, &q_due_expiry, v, 2, w->arena, &r);
    if (rc)
        return rc;
    for (size_t i = 0; i < r.nrows; i++) {
        if ((rc = db_begin(w->db)))
            return rc;
        struct psp_payment p;
        rc = get_one(w, &q_lock, db_text(&r, i, 0), &p);
        bool due = rc == 0 && str_eq_cstr(p.status, "READY") && p.expired_window;
        if (rc == 0 && due)
            rc = expire_locked(w, &p);
        if (rc == 0)
            rc = db_commit(w->db);
        else
            db_rollback(w->db);
        if (rc)
            return rc;
        *n += due;
    }
    return 0;
}

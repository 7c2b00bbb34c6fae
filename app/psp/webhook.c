/*
 * webhook — delivery of the sandbox's events to the merchant (webhook.url).
 *
 * Events wait in psp_webhook_events (written in the transaction of the change). One thread
 * POSTs each due event with the header
 *     PSP-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(webhook.secret, "<t>." + body)>
 * (Stripe's scheme) and records every attempt in psp_webhook_deliveries. Anything but a 2xx
 * is a failure: the event is tried again after webhook.retry_base, then 4, 16, 64 ... times
 * that (Toss's schedule, scaled), up to webhook.max_attempts. Events are delivered in the
 * order they become due, so a retried or reordered event arrives after newer ones.
 *
 * A fault stored with the event applies to its first delivery: duplicate sends it twice,
 * bad_signature signs with another secret, stale uses a timestamp 10 minutes old (reorder
 * and drop were applied when the event was written). The same thread also expires
 * authorizations nobody confirmed within psp.confirm_window.
 */
#include "psp.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"

#include <curl/curl.h>
#include <string.h>

static const struct db_stmt q_due = {
    "psp_events_due",
    "SELECT event_id, body, fault, attempts FROM psp_webhook_events"
    " WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= NOW(6)"
    " ORDER BY next_attempt_at, id LIMIT 20",
    0};

static const struct db_stmt q_delivery = {
    "psp_delivery_insert",
    "INSERT INTO psp_webhook_deliveries (event_id, attempt, signature, fault, status)"
    " VALUES (?, ?, ?, ?, ?)",
    0};

static const struct db_stmt q_done = {
    "psp_event_done",
    "UPDATE psp_webhook_events SET attempts = ?, last_status = ?, delivered_at = NOW(6)"
    " WHERE event_id = ?",
    0};

static const struct db_stmt q_retry = {
    "psp_event_retry",
    "UPDATE psp_webhook_events SET attempts = ?, last_status = ?,"
    " next_attempt_at = NOW(6) + INTERVAL ? MICROSECOND,"
    " gave_up_at = IF(? >= ?, NOW(6), NULL) WHERE event_id = ?",
    0};

struct str psp_webhook_sign(struct arena *a, struct str secret, int64_t t, struct str body)
{
    struct str hex = sec_hmac_ts_hex(a, secret, t, body);
    return str_from_cstr(arena_sprintf(a, "t=%lld,v1=%.*s", (long long)t, STR_FMT(hex)));
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* post: one delivery; the HTTP status, or -1 when no answer came */
static long post(struct http_app *w, struct str body, struct str signature)
{
    CURL *h = w->curl;
    const struct psp_cfg *cfg = &w->psp->cfg;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, cfg->webhook_url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)cfg->webhook_timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.p);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body.len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    char *sig = arena_sprintf(w->arena, "PSP-Signature: %.*s", STR_FMT(signature));
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, sig);
    hdr = curl_slist_append(hdr, "User-Agent: stampede-psp-sandbox/1");
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    long status = -1;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    return status;
}

static int deliver(struct http_app *w, struct str event_id, struct str body, struct str fault,
                   int64_t attempts)
{
    const struct psp_cfg *cfg = &w->psp->cfg;
    bool first = attempts == 0;
    struct str secret = str_from_cstr(cfg->webhook_secret);
    int64_t t = clock_real_s();
    if (first && str_eq_cstr(fault, "bad_signature"))
        secret = str_from_cstr(arena_sprintf(w->arena, "not-%s", cfg->webhook_secret));
    if (first && str_eq_cstr(fault, "stale"))
        t -= 600;
    int sends = first && str_eq_cstr(fault, "duplicate") ? 2 : 1;
    long best = -1;
    int rc = 0;
    for (int i = 0; i < sends; i++) {
        struct str sig = psp_webhook_sign(w->arena, secret, t, body);
        long status = post(w, body, sig);
        if (best < 200 || best > 299)
            best = status;
        struct db_val v[] = {DB_S(event_id), DB_I(attempts + 1), DB_S(sig),
                             DB_S(first ? fault : STR("")), DB_I(status)};
        if ((rc = db_exec(w->db, &q_delivery, v, 5, w->arena, NULL)))
            return rc;
        log_info("webhook %.*s attempt %lld%s%.*s: %ld", STR_FMT(event_id), (long long)attempts + 1,
                 first && fault.len ? " fault " : "", (int)(first ? fault.len : 0),
                 fault.p ? fault.p : "", status);
    }
    int64_t n = attempts + 1;
    if (best >= 200 && best <= 299) {
        struct db_val v[] = {DB_I(n), DB_I(best), DB_S(event_id)};
        return db_exec(w->db, &q_done, v, 3, w->arena, NULL);
    }
    int64_t delay = cfg->webhook_retry_base_ms * 1000;
    for (int64_t i = 1; i < n && delay < 86400LL * 1000000; i++)
        delay *= 4;
    struct db_val v[] = {
        DB_I(n), DB_I(best), DB_I(delay), DB_I(n), DB_I(cfg->webhook_max_attempts), DB_S(event_id)};
    rc = db_exec(w->db, &q_retry, v, 6, w->arena, NULL);
    if (rc == 0 && n >= cfg->webhook_max_attempts)
        log_warn("webhook %.*s: gave up after %lld attempts", STR_FMT(event_id), (long long)n);
    return rc;
}

int psp_webhook_deliver_due(struct http_app *w, int64_t *sent)
{
    *sent = 0;
    struct db_result r;
    int rc = db_exec(w->db, &q_due, NULL, 0, w->arena, &r);
    if (rc)
        return rc;
    for (size_t i = 0; i < r.nrows && !*w->psp->stop; i++) {
        if ((rc = deliver(w, db_text(&r, i, 0), db_text(&r, i, 1), db_text(&r, i, 2),
                          db_int(&r, i, 3))))
            return rc;
        (*sent)++;
    }
    return 0;
}

static void *thread_main(void *arg)
{
    struct psp *p = arg;
    struct http_app *w = psp_worker_new(p);
    w->curl = curl_easy_init();
    int64_t next_expiry = 0;
    while (!*p->stop) {
        int64_t sent = 0, expired = 0;
        int rc = 0;
        if (p->cfg.webhook_url[0])
            rc = psp_webhook_deliver_due(w, &sent);
        if (rc)
            log_warn("webhook delivery pass failed: %s", err_str(rc));
        int64_t now = clock_mono_ns();
        if (now >= next_expiry) {
            if ((rc = psp_expire_due(w, 100, &expired)))
                log_warn("authorization expiry failed: %s", err_str(rc));
            else if (expired)
                log_info("expired %lld unconfirmed authorization(s)", (long long)expired);
            next_expiry = now + 1000000000LL;
        }
        arena_reset(w->arena);
        if (!sent)
            clock_sleep_ms(p->cfg.webhook_poll_ms);
    }
    curl_easy_cleanup(w->curl);
    psp_worker_free(w);
    return NULL;
}

int psp_webhook_start(struct psp *p)
{
    if (pthread_create(&p->webhook_thread, NULL, thread_main, p) != 0)
        return ERR_INTERNAL;
    p->webhook_running = true;
    return 0;
}

void psp_webhook_stop(struct psp *p)
{
    if (p->webhook_running)
        pthread_join(p->webhook_thread, NULL);
    p->webhook_running = false;
}

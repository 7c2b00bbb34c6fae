/*
 * gateway_psp — the gateway adapter for stampede-psp (see gateway.h), over libcurl.
 *
 * HTTP Basic auth with the secret key; JSON both ways; Toss-shaped errors
 * {"code","message"}; webhooks signed "PSP-Signature: t=<unix>,v1=<hex HMAC-SHA256>" over
 * "<t>." + the raw body (Stripe's scheme). One keep-alive connection per struct gateway.
 */
#include "gateway.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/sec.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define RESP_MAX (8 << 20)

struct psp_impl {
    CURL *curl;
    char *auth_header; /* "Authorization: Basic ..." */
    struct buf resp;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    buf_append(b, p, size * n);
    return size * n;
}

/*
 * request: one call. 0 with the status and body; ERR_UNAVAILABLE when nothing was sent;
 * ERR_UNKNOWN when no answer came back (the request may have been processed).
 */
static int request(struct gateway *g, struct arena *a, const char *method, const char *url,
                   const char *json, struct str idem_key, long *status, struct str *body)
{
    struct psp_impl *p = g->impl;
    if (!gateway_configured(g))
        return ERR_UNAVAILABLE;
    CURL *h = p->curl;
    curl_easy_reset(h);
    buf_reset(&p->resp);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)g->opts.timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)g->opts.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &p->resp);
    struct curl_slist *hdr = curl_slist_append(NULL, p->auth_header);
    hdr = curl_slist_append(hdr, "Accept: application/json");
    hdr = curl_slist_append(hdr, "Expect:");
    if (json) {
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    }
    if (strcmp(method, json ? "POST" : "GET") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (idem_key.len)
        hdr = curl_slist_append(hdr, arena_sprintf(a, "Idempotency-Key: %.*s", STR_FMT(idem_key)));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK) {
        bool unsent = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                      rc == CURLE_URL_MALFORMAT;
        log_warn("gateway %s %s: %s (%s)", method, url, curl_easy_strerror(rc),
                 unsent ? "not sent" : "outcome unknown");
        return unsent ? ERR_UNAVAILABLE : ERR_UNKNOWN;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    if (p->resp.overflow)
        return ERR_UNKNOWN;
    *body = arena_str_dup(a, buf_str(&p->resp));
    return 0;
}

static struct str jstr(struct arena *a, const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? arena_str_dup(a, str_from_cstr(v->valuestring)) : STR("");
}

static int64_t jint(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= -9e15 && v->valuedouble <= 9e15))
        return 0;
    return (int64_t)v->valuedouble;
}

static bool parse_payment(struct arena *a, const cJSON *o, struct gateway_payment *out)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(o))
        return false;
    out->seq = jint(o, "seq");
    out->payment_key = jstr(a, o, "paymentKey");
    out->order_id = jstr(a, o, "orderId");
    out->status = jstr(a, o, "status");
    out->amount = jint(o, "totalAmount");
    out->captured = jint(o, "capturedAmount");
    out->balance = jint(o, "balanceAmount");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "cancels");
    size_t n = cJSON_IsArray(c) ? (size_t)cJSON_GetArraySize(c) : 0;
    out->cancels = arena_calloc(a, n + 1, sizeof *out->cancels);
    const cJSON *it;
    cJSON_ArrayForEach(it, c)
    {
        struct gateway_cancel *x = &out->cancels[out->ncancels++];
        x->kind = jstr(a, it, "kind");
        x->reason = jstr(a, it, "cancelReason");
        x->amount = jint(it, "cancelAmount");
    }
    return out->payment_key.len > 0;
}

static void json_cleanup(void *j)
{
    cJSON_Delete(j);
}

static cJSON *parse(struct arena *a, struct str body)
{
    cJSON *j = cJSON_ParseWithLength(body.p ? body.p : "", body.len);
    if (j)
        arena_on_reset(a, json_cleanup, j);
    return j;
}

/* answer: turns a status and body into the outcome and the parsed JSON object */
static int answer(struct arena *a, const char *what, long status, struct str body,
                  struct gateway_error *err, cJSON **json)
{
    memset(err, 0, sizeof *err);
    err->http_status = status;
    *json = parse(a, body);
    if (status >= 200 && status <= 299)
        return *json ? 0 : ERR_UNKNOWN;
    if (status >= 400 && status <= 499) {
        err->code = *json ? jstr(a, *json, "code") : STR("");
        err->message = *json ? jstr(a, *json, "message") : STR("");
        if (err->code.len == 0)
            err->code = STR("HTTP_4XX");
        return ERR_GATEWAY;
    }
    log_warn("gateway %s answered %ld: outcome unknown", what, status);
    err->code = STR("GATEWAY_ERROR");
    return ERR_UNKNOWN;
}

static char *url(struct gateway *g, struct arena *a, const char *fmt, struct str arg)
{
    struct buf b;
    buf_init(&b, 4096);
    buf_append_cstr(&b, g->opts.api_url);
    const char *pct = strstr(fmt, "%s");
    buf_append(&b, fmt, pct ? (size_t)(pct - fmt) : strlen(fmt));
    if (pct) {
        buf_append_urlenc(&b, arg);
        buf_append_cstr(&b, pct + 2);
    }
    char *s = arena_strndup(a, b.p ? b.p : "", b.len);
    buf_free(&b);
    return s;
}

static char *print(struct arena *a, cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    char *out = arena_strndup(a, s ? s : "{}", s ? strlen(s) : 2);
    cJSON_free(s);
    return out;
}

static int one_payment(struct arena *a, const char *what, int rc, long status, struct str body,
                       struct gateway_payment *out, struct gateway_error *err)
{
    if (rc) {
        memset(err, 0, sizeof *err);
        err->http_status = -1;
        err->code = STR("NO_ANSWER");
        return rc;
    }
    cJSON *j;
    if ((rc = answer(a, what, status, body, err, &j)))
        return rc;
    return parse_payment(a, j, out) ? 0 : ERR_UNKNOWN;
}

static int psp_confirm(struct gateway *g, struct arena *a, struct str payment_key,
                       struct str order_id, int64_t amount, struct str idem_key,
                       struct gateway_payment *out, struct gateway_error *err)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "paymentKey", arena_cstr(a, payment_key));
    cJSON_AddStringToObject(j, "orderId", arena_cstr(a, order_id));
    cJSON_AddNumberToObject(j, "amount", (double)amount);
    long status = 0;
    struct str body;
    int rc = request(g, a, "POST", url(g, a, "/v1/payments/confirm", STR_NULL), print(a, j),
                     idem_key, &status, &body);
    return one_payment(a, "confirm", rc, status, body, out, err);
}

static int psp_cancel(struct gateway *g, struct arena *a, struct str payment_key, struct str reason,
                      int64_t amount, struct str idem_key, struct gateway_payment *out,
                      struct gateway_error *err)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "cancelReason", arena_cstr(a, reason));
    if (amount > 0)
        cJSON_AddNumberToObject(j, "cancelAmount", (double)amount);
    long status = 0;
    struct str body;
    int rc = request(g, a, "POST", url(g, a, "/v1/payments/%s/cancel", payment_key), print(a, j),
                     idem_key, &status, &body);
    return one_payment(a, "cancel", rc, status, body, out, err);
}

static int psp_get(struct gateway *g, struct arena *a, struct str payment_key,
                   struct gateway_payment *out, struct gateway_error *err)
{
    long status = 0;
    struct str body;
    int rc = request(g, a, "GET", url(g, a, "/v1/payments/%s", payment_key), NULL, STR_NULL,
                     &status, &body);
    return one_payment(a, "lookup", rc, status, body, out, err);
}

static int list(struct gateway *g, struct arena *a, const char *u, struct gateway_payment **out,
                size_t *n, struct gateway_error *err)
{
    long status = 0;
    struct str body;
    *out = NULL;
    *n = 0;
    int rc = request(g, a, "GET", u, NULL, STR_NULL, &status, &body);
    if (rc) {
        memset(err, 0, sizeof *err);
        err->http_status = -1;
        return rc;
    }
    cJSON *j;
    if ((rc = answer(a, "list", status, body, err, &j)))
        return rc;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "payments");
    if (!cJSON_IsArray(arr))
        return ERR_UNKNOWN;
    size_t cnt = (size_t)cJSON_GetArraySize(arr);
    *out = arena_calloc(a, cnt + 1, sizeof **out);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (!parse_payment(a, it, &(*out)[*n]))
            return ERR_UNKNOWN;
        (*n)++;
    }
    return 0;
}

static int psp_by_order(struct gateway *g, struct arena *a, struct str order_id,
                        struct gateway_payment **out, size_t *n, struct gateway_error *err)
{
    return list(g, a, url(g, a, "/v1/payments?orderId=%s", order_id), out, n, err);
}

static int psp_captured(struct gateway *g, struct arena *a, int64_t after, int64_t within_s,
                        int64_t limit, struct gateway_payment **out, size_t *n,
                        struct gateway_error *err)
{
    char *u =
        arena_sprintf(a, "%s/v1/payments?capturedAfter=%lld&limit=%lld&updatedWithin=%lld",
                      g->opts.api_url, (long long)after, (long long)limit, (long long)within_s);
    return list(g, a, u, out, n, err);
}

static struct str psp_checkout_url(struct gateway *g, struct arena *a,
                                   const struct gateway_checkout *c)
{
    struct buf b;
    buf_init(&b, 8192);
    buf_append_cstr(&b, g->opts.checkout_url);
    buf_append_cstr(&b, "?clientKey=");
    buf_append_urlenc(&b, str_from_cstr(g->opts.client_key));
    buf_append_cstr(&b, "&orderId=");
    buf_append_urlenc(&b, c->order_id);
    buf_append_cstr(&b, "&orderName=");
    buf_append_urlenc(&b, c->order_name);
    buf_printf(&b, "&amount=%lld&successUrl=", (long long)c->amount);
    buf_append_urlenc(&b, c->success_url);
    buf_append_cstr(&b, "&failUrl=");
    buf_append_urlenc(&b, c->fail_url);
    if (c->customer_email.len) {
        buf_append_cstr(&b, "&customerEmail=");
        buf_append_urlenc(&b, c->customer_email);
    }
    struct str s = arena_str_dup(a, buf_str(&b));
    buf_free(&b);
    return s;
}

/* header: "t=<digits>,v1=<hex>[,v1=<hex>...]" (order of the pairs does not matter) */
static int psp_verify_event(struct gateway *g, struct arena *a, struct str header, struct str body,
                            int64_t now_s, int64_t tolerance_s, struct gateway_event *out)
{
    memset(out, 0, sizeof *out);
    if (!g->opts.webhook_secret[0] || header.len == 0 || header.len > 1024)
        return ERR_UNAUTH;
    int64_t t = -1;
    struct str sigs[4];
    size_t nsigs = 0;
    const char *p = header.p, *end = header.p + header.len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        struct str part = str_trim((struct str){p, (size_t)((comma ? comma : end) - p)});
        if (str_starts_with(part, STR("t="))) {
            if (!str_to_i64((struct str){part.p + 2, part.len - 2}, &t) || t < 0)
                return ERR_UNAUTH;
        } else if (str_starts_with(part, STR("v1=")) && nsigs < 4) {
            sigs[nsigs++] = (struct str){part.p + 3, part.len - 3};
        }
        p = comma ? comma + 1 : end;
    }
    if (t < 0 || nsigs == 0)
        return ERR_UNAUTH;
    struct str want = sec_hmac_ts_hex(a, str_from_cstr(g->opts.webhook_secret), t, body);
    bool ok = false;
    for (size_t i = 0; i < nsigs; i++)
        ok |= sec_equal(sigs[i], want);
    if (!ok)
        return ERR_UNAUTH;
    /* checked after the signature, so the timestamp cannot be forged to pass */
    if (t < now_s - tolerance_s || t > now_s + tolerance_s)
        return ERR_UNAUTH;
    cJSON *j = parse(a, body);
    if (!cJSON_IsObject(j))
        return ERR_INVAL;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
    out->id = jstr(a, j, "eventId");
    out->type = jstr(a, j, "eventType");
    out->payment_key = jstr(a, data, "paymentKey");
    out->order_id = jstr(a, data, "orderId");
    if (!out->id.len || out->id.len > 64 || !out->type.len || !out->payment_key.len ||
        out->payment_key.len > 64)
        return ERR_INVAL;
    return 0;
}

static void psp_free(struct gateway *g)
{
    struct psp_impl *p = g->impl;
    curl_easy_cleanup(p->curl);
    mem_free(p->auth_header);
    buf_free(&p->resp);
    mem_free(p);
}

static const struct gateway_ops psp_ops = {
    "stampede-psp", psp_confirm,      psp_cancel,       psp_get,  psp_by_order,
    psp_captured,   psp_checkout_url, psp_verify_event, psp_free,
};

struct gateway *gateway_psp_new(const struct gateway_opts *o)
{
    struct gateway *g = mem_calloc(1, sizeof *g);
    struct psp_impl *p = mem_calloc(1, sizeof *p);
    g->ops = &psp_ops;
    g->impl = p;
    g->opts = *o;
    g->opts.api_url = mem_strdup(o->api_url ? o->api_url : "");
    g->opts.checkout_url = mem_strdup(o->checkout_url ? o->checkout_url : "");
    g->opts.secret_key = mem_strdup(o->secret_key ? o->secret_key : "");
    g->opts.client_key = mem_strdup(o->client_key ? o->client_key : "");
    g->opts.webhook_secret = mem_strdup(o->webhook_secret ? o->webhook_secret : "");
    p->curl = curl_easy_init();
    buf_init(&p->resp, RESP_MAX);
    size_t kl = strlen(g->opts.secret_key);
    char *plain = mem_alloc(kl + 2);
    memcpy(plain, g->opts.secret_key, kl);
    plain[kl] = ':';
    size_t cap = sodium_base64_ENCODED_LEN(kl + 1, sodium_base64_VARIANT_ORIGINAL);
    char *enc = mem_alloc(cap);
    sodium_bin2base64(enc, cap, (const unsigned char *)plain, kl + 1,
                      sodium_base64_VARIANT_ORIGINAL);
    size_t hl = strlen(enc) + 32;
    p->auth_header = mem_alloc(hl);
    snprintf(p->auth_header, hl, "Authorization: Basic %s", enc);
    mem_free(enc);
    mem_free(plain);
    return g;
}

/*
 * auth — sessions, CSRF and roles for every request (the http before hook); see front.h.
 *
 * Session: the stampede_sid cookie holds the session id; front_before loads the session once
 * per request when the cookie is present. Cookies are HttpOnly, SameSite=Lax, Secure over
 * HTTPS, Path=/.
 *
 * CSRF: every state-changing request must prove it comes from our own pages:
 *   - under /api: the header `X-Requested-With: stampede` (a cross-site form cannot set it,
 *     and a cross-site fetch with it needs a CORS preflight we never grant);
 *   - forms: a `csrf` field equal to HMAC(secret, "csrf|" + binding), where the binding is
 *     the session id for a signed-in shopper and otherwise a random anonymous cookie
 *     (stampede_csrf) set with the first page that shows a form. Compared in constant time.
 * Missing or wrong -> 403 `csrf`, nothing changes.
 *
 * Device cookie: after a successful sign-in the browser gets stampede_dev =
 * base64url(account id || 16 random bytes || HMAC(secret, "dev|" + both)[0..16)); it lets
 * that browser its own throttling pair (shop/throttle.h): failures from anywhere else never
 * make it wait.
 */
#include "front/front.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"

#include <stdio.h>
#include <string.h>

struct front_req *front_req(struct http_ex *x)
{
    if (!x->local) {
        struct front_req *r = arena_calloc(x->arena, 1, sizeof *r);
        r->cart_pairs = -1;
        x->local = r;
    }
    return x->local;
}

static struct str hmac_b64(struct http_ex *x, const char *label, struct str binding, size_t len)
{
    uint8_t mac[SEC_SHA256_LEN];
    size_t ll = strlen(label);
    char *msg = arena_alloc(x->arena, ll + binding.len + 1);
    memcpy(msg, label, ll);
    if (binding.len)
        memcpy(msg + ll, binding.p, binding.len);
    sec_hmac_sha256(mac, str_from_cstr(x->app->front->cfg.secret), msg, ll + binding.len);
    return sec_b64url(x->arena, mac, len);
}

static const struct http_cookie_opts session_cookie = {-1, true, false, "Lax"};

struct str front_csrf_token(struct http_ex *x)
{
    struct front_req *r = front_req(x);
    if (r->csrf.len)
        return r->csrf;
    struct str binding;
    if (r->signed_in || r->presumed) {
        binding = r->session_token;
    } else {
        binding = http_cookie(x, FRONT_CSRF_COOKIE);
        if (binding.len < 22 || binding.len > 64) {
            binding = sec_token(x->arena, 32);
            http_resp_cookie(x, FRONT_CSRF_COOKIE, binding, &session_cookie);
        }
    }
    r->csrf = hmac_b64(x, "csrf|", binding, SEC_SHA256_LEN);
    return r->csrf;
}

static bool csrf_ok(struct http_ex *x)
{
    if (x->req.is_api)
        return str_eq_cstr(http_header(x, "X-Requested-With"), "stampede");
    struct front_req *r = front_req(x);
    struct str binding = r->signed_in ? r->session_token : http_cookie(x, FRONT_CSRF_COOKIE);
    if (binding.len == 0)
        return false;
    struct str sent = http_kvs_get(&x->req.form, STR("csrf"));
    struct str want = hmac_b64(x, "csrf|", binding, SEC_SHA256_LEN);
    return sec_equal(sent, want);
}

static void load_session(struct http_ex *x)
{
    struct front_req *r = front_req(x);
    if (r->session_loaded)
        return;
    r->session_loaded = true;
    struct str token = http_cookie(x, FRONT_SESSION_COOKIE);
    if (token.len == 0)
        return;
    struct shop_ctx s = front_shop(x);
    int rc = session_load(&s, token, x->app->front->cfg.session_idle_ms / 1000, &r->session);
    if (rc == 0) {
        r->signed_in = true;
        r->session_token = token;
    } else if (rc != ERR_NOTFOUND) {
        /* the database is unreachable: the session may well be valid, so say "try again"
         * rather than "sign in" (front_before answers 503 where a session is needed) */
        log_warn("session lookup failed: %s", err_str(rc));
        r->session_unknown = true;
    }
}

/*
 * Read-your-writes across requests (db_set_fresh). The proxy's causal reads cover one database
 * session, but a shopper's next page may be served by another thread or node. So a request
 * that wrote sets a short cookie, and while it is valid that browser's reads go to the primary
 * (the session lookup included, so a new sign-in is seen at once). Signed, so that a forged
 * one cannot push reads to the primary; it holds no personal data.
 */
static struct str fresh_mac(struct http_ex *x, struct str exp)
{
    return hmac_b64(x, "rw|", exp, 12);
}

static void fresh_from_cookie(struct http_ex *x)
{
    struct db *db = x->app->db;
    if (!db)
        return;
    db_take_wrote(db); /* from here on: this request's writes */
    db_set_fresh(db, false);
    struct str v = http_cookie(x, FRONT_FRESH_COOKIE);
    const char *dot = v.len ? memchr(v.p, '.', v.len) : NULL;
    if (!dot)
        return;
    struct str exp = {v.p, (size_t)(dot - v.p)};
    struct str mac = {dot + 1, v.len - exp.len - 1};
    int64_t t = 0, now = clock_real_s();
    int64_t window = (x->app->front->cfg.db_fresh_after_write_ms + 999) / 1000;
    if (!str_to_i64(exp, &t) || t < now || t > now + window + 1)
        return;
    if (sec_equal(mac, fresh_mac(x, exp)))
        db_set_fresh(db, true);
}

void front_finish(struct http_ex *x)
{
    struct db *db = x->app ? x->app->db : NULL;
    if (!db)
        return;
    db_set_fresh(db, false);
    int64_t window = (x->app->front->cfg.db_fresh_after_write_ms + 999) / 1000;
    if (!db_take_wrote(db) || window <= 0)
        return;
    char e[24];
    int n = snprintf(e, sizeof e, "%lld", (long long)(clock_real_s() + window));
    struct str exp = arena_str_dup(x->arena, (struct str){e, (size_t)n});
    struct str mac = fresh_mac(x, exp);
    char *val = arena_alloc(x->arena, exp.len + 1 + mac.len + 1);
    memcpy(val, exp.p, exp.len);
    val[exp.len] = '.';
    memcpy(val + exp.len + 1, mac.p, mac.len);
    val[exp.len + 1 + mac.len] = '\0';
    struct http_cookie_opts o = {window, true, false, "Lax"};
    http_resp_cookie(x, FRONT_FRESH_COOKIE, (struct str){val, exp.len + 1 + mac.len}, &o);
}

void front_presume_session(struct http_ex *x)
{
    struct front_req *r = front_req(x);
    if (r->session_loaded || r->csrf.len)
        return; /* looked up already, or a token was given out on another binding */
    struct str token = http_cookie(x, FRONT_SESSION_COOKIE);
    if (token.len == 0)
        return;
    r->presumed = true;
    r->session_token = token;
}

bool front_load_session(struct http_ex *x)
{
    load_session(x);
    return front_req(x)->signed_in;
}

bool front_before(struct http_ex *x)
{
    unsigned flags = x->route->flags;
    fresh_from_cookie(x);
    if (!(flags & FRONT_LAZY_SESSION))
        load_session(x);
    struct front_req *r = front_req(x);
    bool changes = x->req.method & (HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE);
    if (changes && !(flags & FRONT_NO_CSRF) && !csrf_ok(x)) {
        http_resp_error(x, 403, "csrf",
                        x->req.is_api ? "State-changing API requests need the header "
                                        "X-Requested-With: stampede."
                                      : "This form has expired. Go back, reload the page and "
                                        "try again.");
        return false;
    }
    if ((flags & FRONT_ADMIN) && !front_is_admin(x)) {
        http_resp_error(x, 404, "not_found", "There is nothing at this address.");
        return false;
    }
    if ((flags & (FRONT_AUTH | FRONT_ADMIN)) && r->session_unknown) {
        http_resp_header(x, "Retry-After", STR("5"));
        http_resp_error(x, 503, "service_unavailable",
                        "We cannot check your session right now. Try again in a moment.");
        return false;
    }
    if ((flags & FRONT_AUTH) && !r->signed_in) {
        if (x->req.is_api) {
            http_resp_error(x, 401, "unauthenticated", "Sign in first.");
        } else if (x->req.method & (HTTP_GET | HTTP_HEAD)) {
            struct buf *b = x->resp.body;
            buf_reset(b);
            buf_append_cstr(b, "/account/signin?next=");
            buf_append_urlenc(b, x->req.path);
            struct str loc = arena_str_dup(x->arena, buf_str(b));
            buf_reset(b);
            http_resp_redirect(x, 303, loc);
        } else {
            http_resp_error(x, 401, "unauthenticated", "Your session has ended. Sign in again.");
        }
        return false;
    }
    return true;
}

/* device_mac: the device cookie's MAC over "dev|" + account id + random id */
static void device_mac(struct http_ex *x, const uint8_t dev[24], uint8_t mac[SEC_SHA256_LEN])
{
    char msg[4 + 24];
    memcpy(msg, "dev|", 4);
    memcpy(msg + 4, dev, 24);
    sec_hmac_sha256(mac, str_from_cstr(x->app->front->cfg.secret), msg, sizeof msg);
}

void front_begin_session(struct http_ex *x, const struct account_session *s)
{
    struct front_req *r = front_req(x);
    const struct appcfg *cfg = &x->app->front->cfg;
    struct http_cookie_opts o = {cfg->session_absolute_ms / 1000, true, false, "Lax"};
    http_resp_cookie(x, FRONT_SESSION_COOKIE, s->token, &o);

    /* the device cookie: this browser signed in to this account (throttle.h) */
    uint8_t dev[8 + 16 + 16];
    for (int i = 0; i < 8; i++)
        dev[i] = (uint8_t)((uint64_t)s->account.id >> (56 - 8 * i));
    sec_random(dev + 8, 16);
    uint8_t mac[SEC_SHA256_LEN];
    device_mac(x, dev, mac);
    memcpy(dev + 24, mac, 16);
    struct http_cookie_opts d = {365 * 86400, true, false, "Lax"};
    http_resp_cookie(x, FRONT_DEVICE_COOKIE, sec_b64url(x->arena, dev, sizeof dev), &d);

    r->signed_in = true;
    r->session =
        (struct session){s->account.id, s->account.email, s->account.name, s->account.role};
    r->session_token = s->token;
    r->csrf = STR_NULL;
}

int front_end_session(struct http_ex *x)
{
    struct front_req *r = front_req(x);
    struct shop_ctx s = front_shop(x);
    struct str token = http_cookie(x, FRONT_SESSION_COOKIE);
    int rc = token.len ? account_signout(&s, token) : 0;
    struct http_cookie_opts gone = {0, true, false, "Lax"};
    http_resp_cookie(x, FRONT_SESSION_COOKIE, STR(""), &gone);
    r->signed_in = false;
    r->csrf = STR_NULL;
    return rc;
}

/* device: the account and id a valid device cookie names (account 0: none) */
static int64_t device(struct http_ex *x, struct str *id)
{
    *id = STR_NULL;
    struct str c = http_cookie(x, FRONT_DEVICE_COOKIE);
    uint8_t dev[48];
    if (sec_b64url_decode(c, dev, sizeof dev) != 40)
        return 0;
    uint8_t mac[SEC_SHA256_LEN];
    device_mac(x, dev, mac);
    if (!sec_equal((struct str){(const char *)mac, 16}, (struct str){(const char *)dev + 24, 16}))
        return 0;
    uint64_t account = 0;
    for (int i = 0; i < 8; i++)
        account = (account << 8) | dev[i];
    *id = sec_hex(x->arena, dev + 8, 16);
    return (int64_t)account;
}

struct account_client front_client(struct http_ex *x)
{
    struct account_client cl = {
        .ip = x->req.client_ip,
        .user_agent = http_header(x, "User-Agent"),
        .old_session = http_cookie(x, FRONT_SESSION_COOKIE),
    };
    cl.device_account = device(x, &cl.device_id);
    return cl;
}

const struct appcfg *front_cfg(const struct http_ex *x)
{
    return &x->app->front->cfg;
}

struct shop_ctx front_shop(struct http_ex *x)
{
    return (struct shop_ctx){x->app->db, x->app->cache, x->arena, x->app->gw,
                             &x->app->front->rules};
}

bool front_is_admin(struct http_ex *x)
{
    struct front_req *r = front_req(x);
    return r->signed_in && str_eq_cstr(r->session.role, "admin");
}

struct str front_safe_next(struct str next)
{
    /* only our own absolute paths: "/x", never "//host" or "/\\host" or a scheme */
    if (next.len == 0 || next.len > 200 || next.p[0] != '/' ||
        (next.len > 1 && (next.p[1] == '/' || next.p[1] == '\\')))
        return STR("/");
    for (size_t i = 0; i < next.len; i++)
        if ((unsigned char)next.p[i] < 0x20 || next.p[i] == '\\')
            return STR("/");
    return next;
}

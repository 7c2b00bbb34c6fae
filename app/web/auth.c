/*
 * auth — sessions, CSRF and roles for every request (the http before hook).
 *
 * Session: the stampede_sid cookie holds the session id; web_before loads the session once
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
 * that browser sign in while the account is briefly locked by failed attempts elsewhere.
 */
#include "web/app.h"

#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"

#include <string.h>

struct web_req *web_req(struct http_ex *x)
{
    if (!x->local) {
        struct web_req *r = arena_calloc(x->arena, 1, sizeof *r);
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
    sec_hmac_sha256(mac, str_from_cstr(x->app->web->cfg.secret), msg, ll + binding.len);
    return sec_b64url(x->arena, mac, len);
}

static const struct http_cookie_opts session_cookie = {-1, true, false, "Lax"};

struct str web_csrf_token(struct http_ex *x)
{
    struct web_req *r = web_req(x);
    if (r->csrf.len)
        return r->csrf;
    struct str binding;
    if (r->signed_in) {
        binding = r->session_token;
    } else {
        binding = http_cookie(x, WEB_CSRF_COOKIE);
        if (binding.len < 22 || binding.len > 64) {
            binding = sec_token(x->arena, 32);
            http_resp_cookie(x, WEB_CSRF_COOKIE, binding, &session_cookie);
        }
    }
    r->csrf = hmac_b64(x, "csrf|", binding, SEC_SHA256_LEN);
    return r->csrf;
}

static bool csrf_ok(struct http_ex *x)
{
    if (x->req.is_api)
        return str_eq_cstr(http_header(x, "X-Requested-With"), "stampede");
    struct web_req *r = web_req(x);
    struct str binding = r->signed_in ? r->session_token : http_cookie(x, WEB_CSRF_COOKIE);
    if (binding.len == 0)
        return false;
    struct str sent = http_kvs_get(&x->req.form, STR("csrf"));
    struct str want = hmac_b64(x, "csrf|", binding, SEC_SHA256_LEN);
    return sec_equal(sent, want);
}

static void load_session(struct http_ex *x)
{
    struct web_req *r = web_req(x);
    struct str token = http_cookie(x, WEB_SESSION_COOKIE);
    if (token.len == 0)
        return;
    struct shop_ctx s = web_shop(x);
    int rc = session_load(&s, token, x->app->web->cfg.session_idle_ms / 1000, &r->session);
    if (rc == 0) {
        r->signed_in = true;
        r->session_token = token;
    } else if (rc != ERR_NOTFOUND) {
        /* the database is unreachable: the session may well be valid, so say "try again"
         * rather than "sign in" (web_before answers 503 where a session is needed) */
        log_warn("session lookup failed: %s", err_str(rc));
        r->session_unknown = true;
    }
}

bool web_before(struct http_ex *x)
{
    unsigned flags = x->route->flags;
    load_session(x);
    struct web_req *r = web_req(x);
    bool changes = x->req.method & (HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE);
    if (changes && !(flags & WEB_NO_CSRF) && !csrf_ok(x)) {
        http_resp_error(x, 403, "csrf",
                        x->req.is_api ? "State-changing API requests need the header "
                                        "X-Requested-With: stampede."
                                      : "This form has expired. Go back, reload the page and "
                                        "try again.");
        return false;
    }
    if ((flags & WEB_ADMIN) && !(r->signed_in && str_eq_cstr(r->session.role, "admin"))) {
        http_resp_error(x, 404, "not_found", "There is nothing at this address.");
        return false;
    }
    if ((flags & (WEB_AUTH | WEB_ADMIN)) && r->session_unknown) {
        http_resp_header(x, "Retry-After", STR("5"));
        http_resp_error(x, 503, "service_unavailable",
                        "We cannot check your session right now. Try again in a moment.");
        return false;
    }
    if ((flags & WEB_AUTH) && !r->signed_in) {
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

int web_start_session(struct http_ex *x, const struct account *a)
{
    struct web_req *r = web_req(x);
    struct shop_ctx s = web_shop(x);
    /* a new id at every sign-in: the old one (if any) dies server-side */
    struct str old = http_cookie(x, WEB_SESSION_COOKIE);
    if (old.len)
        session_delete(&s, old);
    const struct webcfg *cfg = &x->app->web->cfg;
    struct session ns;
    int rc = session_create(&s, a->id, x->req.client_ip, http_header(x, "User-Agent"),
                            cfg->session_absolute_ms / 1000, &ns);
    if (rc)
        return rc;
    struct http_cookie_opts o = {cfg->session_absolute_ms / 1000, true, false, "Lax"};
    http_resp_cookie(x, WEB_SESSION_COOKIE, ns.token, &o);

    uint8_t dev[8 + 16 + 16];
    for (int i = 0; i < 8; i++)
        dev[i] = (uint8_t)((uint64_t)a->id >> (56 - 8 * i));
    sec_random(dev + 8, 16);
    uint8_t mac[SEC_SHA256_LEN];
    char msg[4 + 24];
    memcpy(msg, "dev|", 4);
    memcpy(msg + 4, dev, 24);
    sec_hmac_sha256(mac, str_from_cstr(cfg->secret), msg, sizeof msg);
    memcpy(dev + 24, mac, 16);
    struct http_cookie_opts d = {365 * 86400, true, false, "Lax"};
    http_resp_cookie(x, WEB_DEVICE_COOKIE, sec_b64url(x->arena, dev, sizeof dev), &d);

    r->signed_in = true;
    r->session.account_id = a->id;
    r->session.email = a->email;
    r->session.name = a->name;
    r->session.role = a->role;
    r->session_token = ns.token;
    r->csrf = STR_NULL;
    return 0;
}

int web_end_session(struct http_ex *x)
{
    struct web_req *r = web_req(x);
    struct shop_ctx s = web_shop(x);
    struct str token = http_cookie(x, WEB_SESSION_COOKIE);
    int rc = token.len ? session_delete(&s, token) : 0;
    struct http_cookie_opts gone = {0, true, false, "Lax"};
    http_resp_cookie(x, WEB_SESSION_COOKIE, STR(""), &gone);
    r->signed_in = false;
    r->csrf = STR_NULL;
    return rc;
}

int64_t web_device_account(struct http_ex *x)
{
    struct str c = http_cookie(x, WEB_DEVICE_COOKIE);
    uint8_t dev[48];
    if (sec_b64url_decode(c, dev, sizeof dev) != 40)
        return 0;
    uint8_t mac[SEC_SHA256_LEN];
    char msg[4 + 24];
    memcpy(msg, "dev|", 4);
    memcpy(msg + 4, dev, 24);
    sec_hmac_sha256(mac, str_from_cstr(x->app->web->cfg.secret), msg, sizeof msg);
    if (!sec_equal((struct str){(const char *)mac, 16}, (struct str){(const char *)dev + 24, 16}))
        return 0;
    uint64_t id = 0;
    for (int i = 0; i < 8; i++)
        id = (id << 8) | dev[i];
    return (int64_t)id;
}

struct str web_safe_next(struct str next)
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

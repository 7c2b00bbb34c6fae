/*
 * front — what every handler folder (app/web, app/admin, app/ops) shares, so that none of
 * them includes another:
 *
 *   struct front        the loaded application: configuration, assets, templates, the one
 *                       route table, the http hooks, the rules and policies the domain gets.
 *                       Built by the composition layer (app/site) in the master before it
 *                       forks; read-only afterwards; a reload (SIGHUP) builds a new one.
 *   struct http_app     the per-thread state (the type app/http keeps opaque): the thread's
 *                       database, cache and gateway handles. Handlers reach it as x->app.
 *   struct front_req    the per-request state (x->local): the session, the CSRF token.
 *   struct front_module what a handler folder gives the composition: its routes and its
 *                       page templates with their view schemas.
 *
 * and the kit handlers use: the before hook (session, CSRF, roles: auth.c), rendering
 * (layout, templates, asset URLs, the HTML error page: render.c), per-route request metrics
 * (metrics.c), and the one table that turns a domain outcome (shop/outcome.h) into an HTTP
 * status, a stable error code and a message, for pages and the JSON API alike (outcome.c).
 *
 * Memory: struct front is process-lifetime; everything a handler gets is in the request's
 * arena. Thread safety: struct front is read-only after load; http_app and front_req belong to
 * one thread.
 */
#ifndef STAMPEDE_FRONT_FRONT_H
#define STAMPEDE_FRONT_FRONT_H

#include "cache/cache.h"
#include "conf/appcfg.h"
#include "core/buf.h"
#include "core/metrics.h"
#include "db/db.h"
#include "front/assets.h"
#include "front/views.h"
#include "http/router.h"
#include "http/server.h"
#include "shop/account.h"
#include "shop/nodes.h"
#include "shop/outcome.h"
#include "shop/session.h"
#include "shop/shop.h"
#include "tpl/tpl.h"

/* What a handler folder contributes (see app/site/site.c). */
struct front_module {
    const char *name;
    const struct http_route *routes;
    size_t nroutes;
    const struct tpl_binding *views; /* page templates and their schemas; the list ends with
                                        an entry whose file is NULL */
};

/* Request metrics of one route (metrics.c). */
struct front_route_metrics {
    struct metric *by_code[5]; /* 1xx..5xx */
    struct metric *latency;
};

struct gate;

struct front {
    struct appcfg cfg;
    struct assets *assets;
    struct tpl_set *tpl;
    const struct tpl *t_error;
    struct http_route *routes; /* every module's routes in one table */
    size_t nroutes;
    struct front_route_metrics *route_metrics; /* nroutes + 1 ("unmatched") */
    struct router *router;
    struct http_hooks hooks;
    char *extra_headers;
    struct gate *hash_gate; /* the node's password-hashing bulkhead (core/gate.h) */
    struct account_policy policy;
    struct shop_rules rules;
    struct nodes_member member; /* the node's membership (shop/nodes.h), kept by the master */
    struct http_service svc;
};

struct http_app {
    const struct front *front;
    struct db *db;
    struct cache *cache;
    struct gateway *gw; /* payment gateway client (shop/gateway.h) */
    int thread_index;
    /* readiness, reused for cfg.readyz_interval_ms (app/ops/health.c) */
    int64_t ready_at_ns;
    bool ready_db;
    bool ready_primary;
    enum cache_health ready_cache;
    int ready_cache_up;
    int ready_cache_total;
};

/* Route flags read by front_before (auth.c). */
enum front_route_flags {
    FRONT_AUTH = HTTP_ROUTE_APP(0),    /* a signed-in shopper is required */
    FRONT_ADMIN = HTTP_ROUTE_APP(1),   /* an admin is required (others get 404) */
    FRONT_NO_CSRF = HTTP_ROUTE_APP(2), /* state change authenticated otherwise (signed) */
    /* the session is not looked up before the handler (a GET that proves who asks with a
     * signed token of its own, such as a queue poll); the handler calls front_load_session
     * if it needs it. Not with FRONT_AUTH or FRONT_ADMIN. */
    FRONT_LAZY_SESSION = HTTP_ROUTE_APP(3),
};

/* Per-request state (x->local). */
struct front_req {
    bool signed_in;
    bool session_loaded;  /* load_session ran */
    bool session_unknown; /* the session lookup failed (database down), not "no session" */
    struct session session;
    bool presumed;            /* front_presume_session: the cookie taken at its word */
    struct str session_token; /* from the cookie */
    struct str csrf;          /* token expected in forms of this response */
    int64_t cart_pairs;       /* -1: not loaded */
};

#define FRONT_SESSION_COOKIE "stampede_sid"
#define FRONT_CSRF_COOKIE    "stampede_csrf"
#define FRONT_DEVICE_COOKIE  "stampede_dev"
/* After a write: "<unix expiry>.<MAC>"; while valid this browser's reads go to the primary. */
#define FRONT_FRESH_COOKIE "stampede_rw"

/* ---------------------------------------------------------------- load (load.c) */

/*
 * front_init: the parts of a front that come from the configuration file alone: settings,
 * asset manifest, security headers, the domain's rules and the account policy (hash_gate is
 * the composition's). 0, or ERR_CONFIG with a reason in err (front_free cleans up either way).
 */
int front_init(struct front *f, const char *config_path, struct buf *err);
void front_free(struct front *f);

/* front_thread_start/stop: the http_service hooks that make and free a thread's http_app. */
struct http_app *front_thread_start(void *front, int index);
void front_thread_stop(struct http_app *app);

/* ---------------------------------------------------------------- requests (auth.c) */

/* front_before: the http before hook: session, CSRF on state changes, sign-in and roles. */
bool front_before(struct http_ex *x);
/* front_finish: the http finish hook: after a write, the read-your-writes cookie. */
void front_finish(struct http_ex *x);
/* front_load_session: for FRONT_LAZY_SESSION routes: looks the session up now (once);
 * true when signed in (front_req(x)->session_unknown when the lookup failed). */
bool front_load_session(struct http_ex *x);
/*
 * front_presume_session: for FRONT_LAZY_SESSION pages that know who asks from a signed token
 * of their own (a queue ticket) and so skip the session lookup: when a session cookie is
 * present, the layout shows the account's links (without the name or the cart badge, which
 * need the lookup) and forms carry the CSRF token bound to that cookie. It authorises
 * nothing: whatever such a form posts meets the session lookup and the CSRF check as usual.
 */
void front_presume_session(struct http_ex *x);
/* front_req: this request's state (created on first use). */
struct front_req *front_req(struct http_ex *x);
/* front_cfg: the configuration. */
const struct appcfg *front_cfg(const struct http_ex *x);
/* front_shop: the domain context of this request (thread handles, arena, rules). */
struct shop_ctx front_shop(struct http_ex *x);
/* front_client: who is asking, for the account operations (address, agent, session, device). */
struct account_client front_client(struct http_ex *x);
/* front_csrf_token: the token forms of this response carry (sets the anonymous CSRF cookie
 * when the visitor has neither a session nor one). */
struct str front_csrf_token(struct http_ex *x);
/* front_begin_session: the browser's cookies and this request's state for a new session. */
void front_begin_session(struct http_ex *x, const struct account_session *s);
/* front_end_session: deletes the current session server-side and clears the cookie. */
int front_end_session(struct http_ex *x);
/* front_safe_next: a same-site relative path to go to after sign-in, or "/". */
struct str front_safe_next(struct str next);
/* front_is_admin: the signed-in shopper has the admin role. */
bool front_is_admin(struct http_ex *x);

/* ---------------------------------------------------------------- rendering (render.c) */

/* front_layout: common page data with the given title. */
struct view_layout *front_layout(struct http_ex *x, struct str title);
/* front_render: renders the page template `file` (a module's binding) with view into the
 * response body (status as already set). A file no module bound is a programming error. */
void front_render(struct http_ex *x, const char *file, const void *view);
/* front_asset_url: URL of a logical static path (falls back to the favicon when unknown). */
struct str front_asset_url(struct http_ex *x, struct str logical);
/* front_error_page: the HTML error page hook. */
void front_error_page(struct http_ex *x, int status, const char *code, const char *message);
/* front_fail: answers an internal error code: 503 with Retry-After when a dependency is down
 * or busy, else 500 (logged). */
void front_fail(struct http_ex *x, int err);
/* front_redirectf: 303 to a formatted same-site path. */
void front_redirectf(struct http_ex *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* front_json_str: a cJSON string of s (cJSON wants NUL-terminated strings; slices from the
 * database and the arena are; a NULL slice is ""). */
struct cJSON *front_json_str(struct str s);
/* front_retry_after: sets Retry-After to seconds (at least 1). */
void front_retry_after(struct http_ex *x, int64_t seconds);

/* ---------------------------------------------------------------- outcomes (outcome.c) */

struct front_outcome {
    int status;          /* HTTP status */
    const char *code;    /* stable snake_case error code ("" for SHOP_OK) */
    const char *message; /* default message for the shopper */
};

/* front_outcome: the table's entry for outcome (>= 0). */
const struct front_outcome *front_outcome(int outcome);
/*
 * front_outcome_message: the message for outcome with the details of problem (may be NULL):
 * "Halo 1 is limited to 2 per customer." rather than the generic one. Arena string.
 */
const char *front_outcome_message(struct http_ex *x, int outcome,
                                  const struct shop_problem *problem);
/*
 * front_answer: answers a domain result that is not SHOP_OK: a negative internal error goes
 * to front_fail; an outcome is the table's status, code and message (with problem's details)
 * as JSON under /api or as the HTML error page, with Retry-After where the outcome has one.
 */
void front_answer(struct http_ex *x, int rc, const struct shop_problem *problem);

/* ---------------------------------------------------------------- metrics (metrics.c) */

/* front_metrics_init: registers the request metrics of every route (before workers fork). */
void front_metrics_init(struct front *f);
/* front_after: the http after hook that counts a finished request. */
void front_after(struct http_ex *x, int64_t dur_ns);

#endif

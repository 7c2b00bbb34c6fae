/*
 * http — one request/response exchange, independent of FastCGI.
 *
 * struct http_ex holds the parsed request, the response being built and the per-thread
 * context. The FastCGI server (server.c) fills it from libfcgi; tests fill it from a fake
 * environment (http_ex_begin), so every handler runs in-process without a socket.
 *
 * Memory: everything in req is a slice into the FastCGI parameters, the body or the
 * exchange's arena; all of it is valid until the exchange ends (arena reset). The response
 * buffers belong to the worker thread and are reused.
 *
 * Thread safety: an exchange belongs to one thread.
 *
 * struct http_app is declared here and defined by the application layer (app/web): the
 * per-thread state handlers need (database and cache handles, templates). Keeping it an
 * incomplete type here means app/http knows nothing about shops.
 */
#ifndef STAMPEDE_HTTP_HTTP_H
#define STAMPEDE_HTTP_HTTP_H

#include "core/arena.h"
#include "core/buf.h"
#include "core/str.h"
#include "http/parse.h"

#include <stdbool.h>
#include <stdint.h>

struct http_app;
struct http_route;
struct http_hooks;
struct cJSON;

enum http_method {
    HTTP_GET = 1 << 0,
    HTTP_HEAD = 1 << 1,
    HTTP_POST = 1 << 2,
    HTTP_PUT = 1 << 3,
    HTTP_DELETE = 1 << 4,
    HTTP_PATCH = 1 << 5,
    HTTP_OPTIONS = 1 << 6,
    HTTP_OTHER = 1 << 7,
};

struct http_limits {
    size_t body_max;    /* bytes; larger bodies get 413 */
    size_t max_params;  /* query or form pairs; more get 400 */
    size_t max_cookies; /* cookies kept; the rest are ignored */
};

struct http_req {
    char *const *envp; /* FastCGI parameters, "NAME=value" */
    enum http_method method;
    struct str method_name;
    struct str uri;  /* REQUEST_URI as sent */
    struct str path; /* decoded path, without the query */
    struct str query_string;
    struct http_kvs query;
    struct http_kvs form; /* urlencoded body */
    struct cJSON *json;   /* application/json body (arena-released), or NULL */
    struct http_kvs cookies;
    struct str body;
    struct str content_type;
    struct str client_ip; /* X-Forwarded-For from our proxy, else REMOTE_ADDR */
    struct str request_id;
    bool https;
    bool is_api; /* path under /api/: errors are JSON */
};

struct http_resp {
    int status;
    const char *content_type;
    struct buf *head; /* extra header lines, "Name: value\r\n" */
    struct buf *body;
    int64_t cache_max_age; /* -1: Cache-Control: no-store (default); >= 0: public, max-age */
};

struct http_ex {
    struct http_req req;
    struct http_resp resp;
    struct arena *arena;
    struct http_app *app;
    const struct http_hooks *hooks;
    const struct http_route *route;
    struct str *params;     /* values of route->params, in declaration order */
    const char *error_code; /* stable code of an error answer, for the log line */
    int64_t start_ns;
    void *local; /* the application's per-request state (arena-allocated), NULL at start */
};

/* Hooks the application gives the server; all but error_page are optional. */
struct http_hooks {
    /*
     * error_page renders an HTML error page for browsers. status, code (snake_case) and
     * message are already chosen; it must set resp.status and the body.
     */
    void (*error_page)(struct http_ex *x, int status, const char *code, const char *message);
    /*
     * before runs after routing and parameter validation, just before the handler: central
     * checks (session, CSRF, roles). Returning false stops the request; it must then have
     * produced the response.
     */
    bool (*before)(struct http_ex *x);
    /* finish runs after the handler (when the request was routed), before the response is
     * written: it may still add headers and cookies. */
    void (*finish)(struct http_ex *x);
    /* after runs once the response is written: metrics. */
    void (*after)(struct http_ex *x, int64_t dur_ns);
    /* security headers appended to every response ("Name: value\r\n" lines). */
    const char *extra_headers;
    /* security headers for HTTPS requests only (HSTS). */
    const char *https_headers;
};

/*
 * http_ex_begin: parses a request from FastCGI parameters and a body already read.
 * The caller provides arena and the reusable response buffers. Returns 0 when the request
 * can be routed, or an HTTP status (400, 413) when it is malformed; in that case the error
 * response has already been produced.
 */
int http_ex_begin(struct http_ex *x, char *const *envp, struct str body,
                  const struct http_limits *lim, struct arena *a, struct buf *head, struct buf *out,
                  const struct http_hooks *hooks);

/* http_env: a FastCGI parameter ("REQUEST_METHOD", "HTTP_COOKIE"), or a NULL slice. */
struct str http_env(char *const *envp, const char *name);
/* http_header: a request header by its HTTP name ("X-Requested-With"), or a NULL slice. */
struct str http_header(const struct http_ex *x, const char *name);
struct str http_cookie(const struct http_ex *x, const char *name);
bool http_wants_json(const struct http_ex *x);

/* http_method_parse: "GET" -> HTTP_GET; HTTP_OTHER for anything unknown. */
enum http_method http_method_parse(struct str m);
const char *http_status_text(int status);

/* ---- responses ---- */

/* http_resp_header: adds a header line; a value with CR or LF is dropped (and logged). */
void http_resp_header(struct http_ex *x, const char *name, struct str value);

struct http_cookie_opts {
    int64_t max_age; /* seconds; < 0: session cookie; 0: delete */
    bool http_only;
    bool secure;           /* also forced when the request came over HTTPS */
    const char *same_site; /* "Lax", "Strict" or NULL */
};
void http_resp_cookie(struct http_ex *x, const char *name, struct str value,
                      const struct http_cookie_opts *o);

/* http_resp_json: status and body from root (which is deleted). */
void http_resp_json(struct http_ex *x, int status, struct cJSON *root);
/* http_resp_text: a plain-text body. */
void http_resp_text(struct http_ex *x, int status, struct str text);
/* http_resp_redirect: 303 (or the given 3xx) to location. */
void http_resp_redirect(struct http_ex *x, int status, struct str location);
/*
 * http_resp_error: the one way to answer with an error. JSON
 * {"error":{"code","message"}} under /api (or when the client asked for JSON), otherwise the
 * application's HTML error page. Replaces anything already in the body.
 */
void http_resp_error(struct http_ex *x, int status, const char *code, const char *message);

/*
 * http_resp_serialize: writes the CGI response head (Status, Content-Type, Content-Length,
 * security and extra headers) into out, for the server to send before the body.
 */
void http_resp_serialize(const struct http_ex *x, struct buf *out);

#endif

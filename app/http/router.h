/*
 * router — the route table: method, path pattern, handler, and a validator per parameter
 * (Kore style).
 *
 * A route declares every parameter its handler may read: where it comes from (a path
 * segment, the query string, the body as a form or JSON object, a request header), its kind,
 * its range and whether it is required. The router validates them before the handler runs and
 * stores the values in x->params; a handler reads them with http_param_*, and asking for a name the
 * route did not declare is an assertion failure. Parameters the route does not declare never
 * reach a handler (they stay in the raw request but no accessor returns them).
 *
 * Patterns are literal segments and {name} segments ("/products/{slug}"); matching is exact,
 * segment by segment. When a path matches but the method does not, the answer is 405 with an
 * Allow header.
 *
 * Memory: the table is static data; the compiled router is process-lifetime.
 * Thread safety: read-only after router_new.
 */
#ifndef STAMPEDE_HTTP_ROUTER_H
#define STAMPEDE_HTTP_ROUTER_H

#include "core/buf.h"
#include "http/http.h"

enum http_src {
    HTTP_SRC_PATH = 1,
    HTTP_SRC_QUERY,
    HTTP_SRC_BODY,   /* urlencoded form field or top-level JSON member */
    HTTP_SRC_HEADER, /* a request header by its HTTP name ("Idempotency-Key"), trimmed */
};

enum http_kind {
    HTTP_K_SLUG = 1, /* [a-z0-9-], length min..max (defaults 1..80) */
    HTTP_K_ID,       /* decimal integer 1..max (default INT64_MAX) */
    HTTP_K_INT,      /* decimal integer min..max */
    HTTP_K_TEXT,     /* UTF-8 text without control characters but tab/CR/LF, length min..max */
    HTTP_K_TOKEN,    /* [A-Za-z0-9_.:-], length min..max */
    HTTP_K_EMAIL,    /* local@domain.tld, length 3..254 */
    HTTP_K_SECRET,   /* like TEXT, but never logged (passwords) */
    HTTP_K_BOOL,     /* on/off, true/false, 1/0 (forms: checkbox) */
};

struct http_param {
    const char *name;
    enum http_src src;
    enum http_kind kind;
    int64_t min;
    int64_t max;
    bool required;
    const char *missing_code; /* error code when a required one is absent (NULL:
                                 invalid_parameter) */
    const char *invalid_code; /* error code when it fails validation (NULL: invalid_parameter) */
};

typedef void (*http_handler)(struct http_ex *x);

enum http_route_flags {
    HTTP_ROUTE_NO_LOG = 1 << 0, /* health checks: no request log line */
};
/* Bits from HTTP_ROUTE_APP(0) up belong to the application (its before hook reads them). */
#define HTTP_ROUTE_APP(n) (1u << (8 + (n)))

struct http_route {
    unsigned methods; /* HTTP_GET | HTTP_POST ...; GET routes also answer HEAD */
    const char *pattern;
    http_handler handler;
    const char *name;                /* stable name for logs and metrics */
    const struct http_param *params; /* terminated by an entry with name NULL; may be NULL */
    unsigned flags;
};

struct router;

/*
 * router_new: compiles the table. Checks that every {name} in a pattern is declared as a path
 * parameter and the other way round, and that no two routes share a method and pattern.
 * Returns NULL with a reason in err on a bad table (a programming error; the process stops).
 */
struct router *router_new(const struct http_route *routes, size_t n, struct buf *err);
void router_free(struct router *r);
size_t router_count(const struct router *r);
const struct http_route *router_route(const struct router *r, size_t i);

/*
 * router_dispatch: routes x, validates the declared parameters and runs the handler; on no
 * match, a wrong method or an invalid parameter it answers 404, 405 or 400 itself.
 */
void router_dispatch(const struct router *r, struct http_ex *x);

/* Accessors for declared parameters (abort on an undeclared name: a programming error). */
struct str http_param_str(const struct http_ex *x, const char *name);
bool http_param_has(const struct http_ex *x, const char *name);
/* http_param_i64: the validated integer, or def when the optional parameter is absent. */
int64_t http_param_i64(const struct http_ex *x, const char *name, int64_t def);
bool http_param_bool(const struct http_ex *x, const char *name);

/*
 * http_validate: checks one value against p; returns NULL or a user-facing reason. Exposed
 * for tests and for handlers that validate nested JSON.
 */
const char *http_validate(const struct http_param *p, struct str v);

#endif

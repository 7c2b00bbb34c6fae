/*
 * err — the one error enum of Stampede.
 *
 * 0 is success; every failure is negative. err_str() names a code for logs. Callers classify
 * with the predicates (err_is_retryable, err_is_fatal) instead of comparing with ==, so that a
 * new code only needs a line here.
 *
 * These are internal status codes. A user-facing error (bad input, out of stock) is a stable
 * snake_case code on a page or in JSON, chosen by the web layer; an invariant violation is an
 * assertion. The three channels never mix.
 */
#ifndef STAMPEDE_CORE_ERR_H
#define STAMPEDE_CORE_ERR_H

#include <stdbool.h>

enum err {
    ERR_OK = 0,
    ERR_NOMEM = -1,        /* a capped buffer or arena is full */
    ERR_INVAL = -2,        /* malformed input or argument */
    ERR_NOTFOUND = -3,     /* no such row, key or file */
    ERR_EXISTS = -4,       /* unique key already taken */
    ERR_CONFLICT = -5,     /* state does not allow the operation */
    ERR_TOOBIG = -6,       /* input exceeds a configured limit */
    ERR_IO = -7,           /* read/write/socket failure */
    ERR_TIMEOUT = -8,      /* a bounded wait ran out */
    ERR_DB = -9,           /* database error that a retry will not fix */
    ERR_DB_RETRY = -10,    /* deadlock 1213, lock wait 1205, record changed 1020 */
    ERR_DB_CONN = -11,     /* database unreachable or connection lost */
    ERR_CACHE = -12,       /* memcached failure (never fatal to a request) */
    ERR_CONFIG = -13,      /* invalid configuration */
    ERR_TEMPLATE = -14,    /* template compile or render failure */
    ERR_UNAVAILABLE = -15, /* a dependency is down or the node is draining */
    ERR_FORBIDDEN = -16,   /* authenticated but not allowed */
    ERR_UNAUTH = -17,      /* no valid session */
    ERR_LIMIT = -18,       /* a business or rate limit was hit */
    ERR_GATEWAY = -19,     /* payment gateway refused or failed */
    ERR_UNKNOWN = -20,     /* outcome unknown (timeout after send) */
    ERR_INTERNAL = -21,    /* a bug; logged with its cause */
    ERR_READONLY = -22,    /* the database takes no writes now (no primary); reads still work */
};

/* err_str: a short constant name for rc ("ERR_DB_RETRY"); never NULL. */
const char *err_str(int rc);

/* err_is_retryable: the same operation may succeed if repeated (deadlocks, lock timeouts). */
bool err_is_retryable(int rc);

/* err_is_fatal: the process cannot continue (configuration, template compile). */
bool err_is_fatal(int rc);

/* err_is_unavailable: a dependency is down; the caller answers 503, not 500. */
bool err_is_unavailable(int rc);

#endif

/*
 * parse — decoding of request data: urlencoded query strings and forms, cookies, paths.
 *
 * All results live in the caller's arena and are slices (decoded copies where decoding
 * changed bytes). Inputs are untrusted; every function is bounded by its input length and by
 * max_pairs, and is fuzzed (tests/fuzz).
 *
 * What counts as malformed (ERR_INVAL with a short reason in *why):
 *   urlencoded: '%' not followed by two hex digits, a decoded byte below 0x20 other than tab,
 *     CR and LF, DEL, invalid UTF-8 after decoding, more than max_pairs pairs;
 *   path: the same rules, plus "%2F" or "%00" (an encoded slash would change routing).
 * Cookies are parsed leniently on purpose: other applications on the same domain can set
 * cookies we do not control, and one junk cookie must not lock a shopper out. A malformed pair
 * is skipped, never an error; pairs past max_pairs are ignored.
 *
 * Thread safety: pure functions.
 */
#ifndef STAMPEDE_HTTP_PARSE_H
#define STAMPEDE_HTTP_PARSE_H

#include "core/arena.h"
#include "core/str.h"

struct http_kv {
    struct str name;
    struct str value;
};

struct http_kvs {
    struct http_kv *v;
    size_t n;
};

/*
 * http_parse_urlencoded: "a=1&b=x+y%21" -> {a:"1", b:"x y!"}. Decoding of '+' and %XX is done
 * by liburiparser. Empty pieces ("a=1&&b=2") are skipped; a piece without '=' has an empty
 * value. Returns 0 with *out filled, or ERR_INVAL / ERR_TOOBIG with *why set.
 */
int http_parse_urlencoded(struct arena *a, struct str in, size_t max_pairs, struct http_kvs *out,
                          const char **why);

/* http_parse_cookies: the Cookie header -> pairs; never fails (see above). */
void http_parse_cookies(struct arena *a, struct str header, size_t max_pairs, struct http_kvs *out);

/*
 * http_decode_path: percent-decodes a URL path ("/products/air%20max" -> "/products/air max").
 * Returns 0, or ERR_INVAL with *why for malformed input (see above).
 */
int http_decode_path(struct arena *a, struct str in, struct str *out, const char **why);

/* http_kvs_get: the first value named `name`, or a NULL slice. */
struct str http_kvs_get(const struct http_kvs *kv, struct str name);
/* http_kvs_count: how many pairs are named `name`. */
size_t http_kvs_count(const struct http_kvs *kv, struct str name);

#endif

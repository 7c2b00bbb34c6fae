/*
 * str — byte slices.
 *
 * struct str is a {ptr, len} view; it never owns memory and is never assumed NUL-terminated
 * (request data arrives as slices). Growable buffers are in buf.h.
 *
 * Thread safety: slices are values; what they point to belongs to whoever made them.
 */
#ifndef STAMPEDE_CORE_STR_H
#define STAMPEDE_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct str {
    const char *p;
    size_t len;
};

#define STR(lit)   ((struct str){(lit), sizeof(lit) - 1})
#define STR_NULL   ((struct str){NULL, 0})
#define STR_FMT(s) (int)(s).len, (s).p /* printf("%.*s", STR_FMT(s)) */

struct str str_from_cstr(const char *s);
bool str_eq(struct str a, struct str b);
bool str_eq_cstr(struct str a, const char *b);
bool str_case_eq_cstr(struct str a, const char *b);
bool str_starts_with(struct str s, struct str prefix);
struct str str_trim(struct str s); /* strips ASCII space and tab at both ends */

/*
 * str_to_i64: strict decimal parse of the whole slice (optional leading '-', no spaces, no
 * '+', at most 19 digits). Returns true and sets *out on success; false on any other input,
 * including overflow.
 */
bool str_to_i64(struct str s, int64_t *out);

/* str_utf8_valid: s is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool str_utf8_valid(struct str s);

/*
 * str_is_email: local@domain.tld as shops accept it: 3..254 bytes of UTF-8, one '@' with text
 * on both sides, a dot inside the domain, no spaces, controls or <>",;\ .
 */
bool str_is_email(struct str s);

#endif

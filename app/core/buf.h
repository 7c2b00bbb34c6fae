/*
 * buf — capped growable buffers.
 *
 * struct buf owns a heap block obtained through the mem seam and grows up to a hard cap: an
 * append that would pass the cap sets the sticky `overflow` flag and drops the data, so a
 * renderer can append freely and check once at the end instead of testing every call.
 *
 * Thread safety: none; a buf belongs to one thread (usually a worker's response buffer).
 */
#ifndef STAMPEDE_CORE_BUF_H
#define STAMPEDE_CORE_BUF_H

#include "core/str.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    char *p;
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len */
    bool overflow;
};

/* buf_init: empty buffer that may grow to max bytes; no allocation until the first append. */
void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
/* buf_reset: len = 0 and overflow cleared; keeps the allocation for reuse. */
void buf_reset(struct buf *b);

/*
 * Appends. On success the data is in the buffer; if the cap would be passed or memory cannot
 * be obtained, nothing is appended and b->overflow is set (and stays set until buf_reset).
 * Each returns 0 or ERR_NOMEM for callers that want to stop early.
 */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, struct str s);
int buf_append_cstr(struct buf *b, const char *s);
int buf_append_char(struct buf *b, char c);
int buf_append_i64(struct buf *b, int64_t v);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* buf_append_html: appends s with & < > " ' escaped, safe in text and quoted attributes. */
int buf_append_html(struct buf *b, struct str s);

/* buf_append_urlenc: appends s percent-encoded for a URL path segment or query value. */
int buf_append_urlenc(struct buf *b, struct str s);

/* buf_append_krw: appends an amount in won with thousands separators: 129000 -> "129,000". */
int buf_append_krw(struct buf *b, int64_t won);

/* buf_str: the buffer's contents as a slice (valid until the next append or free). */
struct str buf_str(const struct buf *b);
/* buf_cstr: NUL-terminates (without counting it in len) and returns p; "" when empty. */
const char *buf_cstr(struct buf *b);

#endif

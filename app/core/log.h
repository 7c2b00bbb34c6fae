/*
 * log — one line per event, logfmt (key=value), written with a single write(2).
 *
 * Each line starts with ts, level, prog, node and pid so lines from every process of a node
 * can be merged and grepped. Lines are built in a stack buffer (truncated at LOG_LINE_MAX)
 * and written in one call to an O_APPEND descriptor, so concurrent writers never interleave.
 * The request line of the web server is built by app/http with log_kv_* and written with
 * log_line().
 *
 * Thread safety: log_msg/log_line are thread-safe after log_init; log_init and log_reopen are
 * called from the main thread only (SIGHUP handling reopens the file).
 */
#ifndef STAMPEDE_CORE_LOG_H
#define STAMPEDE_CORE_LOG_H

#include "buf.h"
#include "str.h"

#include <stdbool.h>

#define LOG_LINE_MAX 2048

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/*
 * log_init: program and node name are copied; path NULL or "-" logs to stderr, otherwise the
 * file is opened for append (created 0640). Returns 0 or ERR_IO.
 */
int log_init(const char *program, const char *node, const char *path, enum log_level min);
/* log_reopen: reopens the file given to log_init (after rotation). */
int log_reopen(void);
bool log_enabled(enum log_level level);
/* log_level_parse: "debug", "info", "warn", "error"; -1 if unknown. */
int log_level_parse(const char *s);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* log_prefix: appends "ts=… level=… prog=… node=… pid=…" to b (for structured lines). */
void log_prefix(struct buf *b, enum log_level level);
/* log_kv_str: appends " key=value", quoting and escaping the value when needed. */
void log_kv_str(struct buf *b, const char *key, struct str value);
void log_kv_i64(struct buf *b, const char *key, long long value);
/* log_line: writes b plus a newline as one line. */
void log_line(struct buf *b);

#endif

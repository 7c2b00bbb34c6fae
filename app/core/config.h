/*
 * config — table-driven configuration: a file of `key = value` lines plus environment
 * overrides, validated before any worker starts and frozen afterwards.
 *
 * Each executable declares its directives in a table (name, type, offset into its config
 * struct, default, range), nginx ngx_command_t style. config_load applies, in order: the
 * defaults, the file, then environment variables named PREFIX + the key in upper case with
 * '.' turned into '_' (db.port -> STAMPEDE_CFG_DB_PORT). Any unknown key, in the file or in an
 * environment variable carrying the prefix, is an error naming the file and line or the
 * variable; so is a value of the wrong type or out of range, a duplicate key in the file, and
 * a required directive (default NULL) left unset.
 *
 * Memory: strings are heap copies owned by the config struct; config_free releases them.
 * Thread safety: load and free before threads start (or in the master, for reloads); the
 * loaded struct is read-only afterwards and may be shared.
 */
#ifndef STAMPEDE_CORE_CONFIG_H
#define STAMPEDE_CORE_CONFIG_H

#include "buf.h"
#include "str.h"

#include <stddef.h>
#include <stdint.h>

enum cfg_type {
    CFG_INT,   /* int64_t; min..max */
    CFG_STR,   /* char *; max = maximum length (0 = 4096) */
    CFG_BOOL,  /* bool; on/off, true/false, yes/no, 1/0 */
    CFG_MS,    /* int64_t milliseconds; "250ms", "2s", "5m", "1h" or a bare number of ms */
    CFG_BYTES, /* int64_t bytes; "512", "64k", "8m", "1g" */
};

struct cfg_directive {
    const char *name;
    enum cfg_type type;
    size_t offset;
    const char *def; /* default, written as in the file; NULL = required */
    int64_t min;
    int64_t max;
    const char *help;
};

#define CFG_ENV_PREFIX "STAMPEDE_CFG_"

/*
 * config_load: fills *target from defaults, the file at path (NULL: no file) and envp (NULL:
 * no overrides; pass `environ`). Returns 0, or ERR_CONFIG with a one-line reason in err; on
 * failure *target may be partly filled and must be released with config_free.
 */
int config_load(const struct cfg_directive *table, size_t n, void *target, const char *path,
                char *const *envp, struct buf *err);

/* config_free: releases the strings of a loaded (or partly loaded) config. */
void config_free(const struct cfg_directive *table, size_t n, void *target);

/* config_print: one `key = value` line per directive into out (for --print-config). */
void config_print(const struct cfg_directive *table, size_t n, const void *target, struct buf *out);

#endif

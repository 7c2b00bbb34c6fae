/* config — table-driven configuration; see config.h. */
#include "config.h"

#include "buf.h"
#include "err.h"
#include "mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define CFG_MAX_LINE 4096

static void *field(void *target, const struct cfg_directive *d)
{
    return (char *)target + d->offset;
}

static bool parse_scaled(struct str v, const char *const *units, const int64_t *scales,
                         size_t nunits, int64_t *out)
{
    size_t i = 0;
    while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9')
        i++;
    int64_t n;
    if (i == 0 || !str_to_i64((struct str){v.p, i}, &n))
        return false;
    struct str unit = {v.p + i, v.len - i};
    for (size_t u = 0; u < nunits; u++) {
        if (str_eq_cstr(unit, units[u])) {
            if (scales[u] && n > INT64_MAX / scales[u])
                return false;
            *out = n * scales[u];
            return true;
        }
    }
    return false;
}

/* set_value: parses v for d into target; returns NULL or a reason. */
static const char *set_value(const struct cfg_directive *d, void *target, struct str v, char *why,
                             size_t whylen)
{
    int64_t n = 0;
    switch (d->type) {
    case CFG_INT:
        if (!str_to_i64(v, &n))
            return "expected an integer";
        break;
    case CFG_MS: {
        static const char *const u[] = {"", "ms", "s", "m", "h"};
        static const int64_t s[] = {1, 1, 1000, 60000, 3600000};
        if (!parse_scaled(v, u, s, 5, &n))
            return "expected a duration like 250ms, 2s, 5m or 1h";
        break;
    }
    case CFG_BYTES: {
        static const char *const u[] = {"", "k", "m", "g", "K", "M", "G"};
        static const int64_t s[] = {1, 1024, 1 << 20, 1 << 30, 1024, 1 << 20, 1 << 30};
        if (!parse_scaled(v, u, s, 7, &n))
            return "expected a size like 512, 64k, 8m or 1g";
        break;
    }
    case CFG_BOOL: {
        bool *b = field(target, d);
        if (str_eq_cstr(v, "on") || str_eq_cstr(v, "true") || str_eq_cstr(v, "yes") ||
            str_eq_cstr(v, "1"))
            *b = true;
        else if (str_eq_cstr(v, "off") || str_eq_cstr(v, "false") || str_eq_cstr(v, "no") ||
                 str_eq_cstr(v, "0"))
            *b = false;
        else
            return "expected on or off";
        return NULL;
    }
    case CFG_STR: {
        size_t max = d->max > 0 ? (size_t)d->max : 4096;
        if (v.len > max) {
            snprintf(why, whylen, "longer than %zu characters", max);
            return why;
        }
        for (size_t i = 0; i < v.len; i++)
            if ((unsigned char)v.p[i] < 0x20)
                return "control characters are not allowed";
        if (v.len < (size_t)(d->min > 0 ? d->min : 0)) {
            snprintf(why, whylen, "shorter than %lld characters", (long long)d->min);
            return why;
        }
        char **s = field(target, d);
        mem_free(*s);
        *s = mem_strndup(v.p, v.len);
        return NULL;
    }
    }
    if (n < d->min || n > d->max) {
        snprintf(why, whylen, "%lld is out of range %lld..%lld", (long long)n, (long long)d->min,
                 (long long)d->max);
        return why;
    }
    *(int64_t *)field(target, d) = n;
    return NULL;
}

static const struct cfg_directive *find(const struct cfg_directive *t, size_t n, struct str key)
{
    for (size_t i = 0; i < n; i++)
        if (str_eq_cstr(key, t[i].name))
            return &t[i];
    return NULL;
}

/* env_name: "db.port" -> "STAMPEDE_CFG_DB_PORT" */
static void env_name(const char *key, char *out, size_t outlen)
{
    size_t o = (size_t)snprintf(out, outlen, "%s", CFG_ENV_PREFIX);
    for (const char *k = key; *k && o + 1 < outlen; k++)
        out[o++] = *k == '.' ? '_' : (char)toupper((unsigned char)*k);
    out[o] = '\0';
}

static int load_file(const struct cfg_directive *t, size_t n, void *target, const char *path,
                     bool *seen, struct buf *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        buf_printf(err, "config: cannot open %s: %s", path, strerror(errno));
        return ERR_CONFIG;
    }
    char line[CFG_MAX_LINE];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            buf_printf(err, "config: %s:%d: line too long", path, lineno);
            rc = ERR_CONFIG;
            break;
        }
        struct str s = str_trim((struct str){line, len});
        while (s.len && (s.p[s.len - 1] == '\n' || s.p[s.len - 1] == '\r'))
            s.len--;
        s = str_trim(s);
        if (s.len == 0 || s.p[0] == '#')
            continue;
        const char *eq = memchr(s.p, '=', s.len);
        if (!eq) {
            buf_printf(err, "config: %s:%d: expected 'key = value'", path, lineno);
            rc = ERR_CONFIG;
            break;
        }
        struct str key = str_trim((struct str){s.p, (size_t)(eq - s.p)});
        struct str val = str_trim((struct str){eq + 1, s.len - (size_t)(eq - s.p) - 1});
        if (val.len >= 2 && val.p[0] == '"' && val.p[val.len - 1] == '"') {
            val.p++;
            val.len -= 2;
        }
        const struct cfg_directive *d = find(t, n, key);
        if (!d) {
            buf_printf(err, "config: %s:%d: unknown key '%.*s'", path, lineno, STR_FMT(key));
            rc = ERR_CONFIG;
            break;
        }
        if (seen[d - t]) {
            buf_printf(err, "config: %s:%d: duplicate key '%s'", path, lineno, d->name);
            rc = ERR_CONFIG;
            break;
        }
        seen[d - t] = true;
        char why[128];
        const char *bad = set_value(d, target, val, why, sizeof why);
        if (bad) {
            buf_printf(err, "config: %s:%d: %s: %s", path, lineno, d->name, bad);
            rc = ERR_CONFIG;
            break;
        }
    }
    fclose(f);
    return rc;
}

static int load_env(const struct cfg_directive *t, size_t n, void *target, char *const *envp,
                    bool *seen, struct buf *err)
{
    size_t plen = strlen(CFG_ENV_PREFIX);
    for (char *const *e = envp; *e; e++) {
        if (strncmp(*e, CFG_ENV_PREFIX, plen) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        struct str name = {*e, (size_t)(eq - *e)};
        const struct cfg_directive *d = NULL;
        char want[160];
        for (size_t i = 0; i < n && !d; i++) {
            env_name(t[i].name, want, sizeof want);
            if (str_eq_cstr(name, want))
                d = &t[i];
        }
        if (!d) {
            buf_printf(err, "config: environment %.*s: unknown key", STR_FMT(name));
            return ERR_CONFIG;
        }
        seen[d - t] = true;
        char why[128];
        const char *bad = set_value(d, target, str_trim(str_from_cstr(eq + 1)), why, sizeof why);
        if (bad) {
            buf_printf(err, "config: environment %.*s: %s: %s", STR_FMT(name), d->name, bad);
            return ERR_CONFIG;
        }
    }
    return 0;
}

int config_load(const struct cfg_directive *t, size_t n, void *target, const char *path,
                char *const *envp, struct buf *err)
{
    bool *seen = mem_calloc(n, sizeof *seen);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!t[i].def)
            continue;
        char why[128];
        const char *bad = set_value(&t[i], target, str_from_cstr(t[i].def), why, sizeof why);
        if (bad) {
            buf_printf(err, "config: default of %s: %s", t[i].name, bad);
            rc = ERR_CONFIG;
        }
    }
    if (rc == 0 && path)
        rc = load_file(t, n, target, path, seen, err);
    if (rc == 0 && envp)
        rc = load_env(t, n, target, envp, seen, err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!t[i].def && !seen[i]) {
            buf_printf(err, "config: required key '%s' is not set (%s)", t[i].name,
                       t[i].help ? t[i].help : "no default");
            rc = ERR_CONFIG;
        }
    }
    mem_free(seen);
    return rc;
}

void config_free(const struct cfg_directive *t, size_t n, void *target)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i].type == CFG_STR) {
            char **s = field(target, &t[i]);
            mem_free(*s);
            *s = NULL;
        }
    }
}

void config_print(const struct cfg_directive *t, size_t n, const void *target, struct buf *out)
{
    for (size_t i = 0; i < n; i++) {
        const void *f = (const char *)target + t[i].offset;
        buf_printf(out, "%s = ", t[i].name);
        switch (t[i].type) {
        case CFG_STR: {
            const char *s = *(char *const *)f;
            /* secrets are configuration too; never print them */
            if (strstr(t[i].name, "password") || strstr(t[i].name, "secret"))
                buf_append_cstr(out, s && *s ? "(set)" : "");
            else
                buf_append_cstr(out, s ? s : "");
            break;
        }
        case CFG_BOOL:
            buf_append_cstr(out, *(const bool *)f ? "on" : "off");
            break;
        case CFG_MS:
            buf_printf(out, "%lldms", (long long)*(const int64_t *)f);
            break;
        default:
            buf_append_i64(out, *(const int64_t *)f);
            break;
        }
        buf_append_char(out, '\n');
    }
}

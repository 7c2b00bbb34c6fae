/* users — the account table for authentication; see users.h. */
#include "users.h"

#include "core/mem.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct users_table {
    struct users_entry *e;
    size_t n, cap;
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct users_table *current;
static _Atomic uint64_t generation;

struct users_table *users_table_new(void)
{
    return mem_calloc(1, sizeof(struct users_table));
}

void users_table_free(struct users_table *t)
{
    if (!t)
        return;
    mem_free(t->e);
    mem_free(t);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static void copy(char *dst, size_t cap, struct str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

void users_table_add(struct users_table *t, struct str user, struct str host, struct str plugin,
                     struct str auth_string)
{
    if (user.len == 0)
        return; /* anonymous accounts: not supported through the proxy */
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->e = mem_realloc(t->e, t->cap * sizeof *t->e);
    }
    struct users_entry *e = &t->e[t->n++];
    memset(e, 0, sizeof *e);
    copy(e->user, sizeof e->user, user);
    copy(e->host, sizeof e->host, host);
    if (plugin.len == 0)
        plugin = STR("mysql_native_password");
    copy(e->plugin, sizeof e->plugin, plugin);
    if (!str_eq_cstr(plugin, "mysql_native_password"))
        return;
    if (auth_string.len == 0)
        return; /* no password */
    if (auth_string.len != 41 || auth_string.p[0] != '*') {
        copy(e->plugin, sizeof e->plugin, STR("invalid"));
        return;
    }
    for (size_t i = 0; i < PROTO_SHA1_LEN; i++) {
        int hi = hexval(auth_string.p[1 + 2 * i]), lo = hexval(auth_string.p[2 + 2 * i]);
        if (hi < 0 || lo < 0) {
            copy(e->plugin, sizeof e->plugin, STR("invalid"));
            return;
        }
        e->h2[i] = (uint8_t)(hi << 4 | lo);
    }
    e->has_password = true;
}

static bool has_wildcard(const char *h)
{
    return strpbrk(h, "%_") != NULL || strchr(h, '/') != NULL;
}

/* MariaDB's order: hosts without wildcards first, then with, '%' alone last; then by user. */
static int rank(const struct users_entry *e)
{
    if (strcmp(e->host, "%") == 0 || e->host[0] == '\0')
        return 2;
    return has_wildcard(e->host) ? 1 : 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct users_entry *x = a, *y = b;
    int r = rank(x) - rank(y);
    if (r)
        return r;
    size_t lx = strlen(x->host), ly = strlen(y->host);
    if (lx != ly) /* longer patterns are more specific among wildcards */
        return lx > ly ? -1 : 1;
    return strcmp(x->user, y->user);
}

void users_replace(struct users_table *t)
{
    qsort(t->e, t->n, sizeof *t->e, cmp_entry);
    pthread_rwlock_wrlock(&lock);
    struct users_table *old = current;
    current = t;
    pthread_rwlock_unlock(&lock);
    atomic_fetch_add(&generation, 1);
    users_table_free(old);
}

/* like_match: SQL LIKE with % and _ (case-insensitive for host names). */
static bool like_match(const char *p, const char *s)
{
    while (*p) {
        if (*p == '%') {
            while (*p == '%')
                p++;
            if (!*p)
                return true;
            for (; *s; s++)
                if (like_match(p, s))
                    return true;
            return false;
        }
        if (!*s)
            return false;
        if (*p != '_') {
            char a = *p, b = *s;
            if (a >= 'A' && a <= 'Z')
                a = (char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (char)(b - 'A' + 'a');
            if (a != b)
                return false;
        }
        p++;
        s++;
    }
    return *s == '\0';
}

bool users_host_match(const char *pattern, const char *addr)
{
    if (pattern[0] == '\0')
        return true; /* '' is the same as '%' */
    const char *slash = strchr(pattern, '/');
    if (slash) { /* address/netmask (IPv4), as MariaDB accepts */
        char net[64];
        size_t n = (size_t)(slash - pattern);
        if (n >= sizeof net)
            return false;
        memcpy(net, pattern, n);
        net[n] = '\0';
        struct in_addr a, m, x;
        if (inet_pton(AF_INET, net, &a) != 1 || inet_pton(AF_INET, slash + 1, &m) != 1 ||
            inet_pton(AF_INET, addr, &x) != 1)
            return false;
        return (x.s_addr & m.s_addr) == (a.s_addr & m.s_addr);
    }
    return like_match(pattern, addr);
}

enum users_found users_find(struct str user, const char *addr, struct users_entry *out)
{
    enum users_found rc = USERS_UNKNOWN;
    pthread_rwlock_rdlock(&lock);
    for (size_t i = 0; current && i < current->n; i++) {
        const struct users_entry *e = &current->e[i];
        if (!str_eq_cstr(user, e->user) || !users_host_match(e->host, addr))
            continue;
        *out = *e;
        rc = strcmp(e->plugin, "mysql_native_password") == 0 ? USERS_OK : USERS_PLUGIN;
        break;
    }
    pthread_rwlock_unlock(&lock);
    return rc;
}

uint64_t users_generation(void)
{
    return atomic_load(&generation);
}

size_t users_count(void)
{
    pthread_rwlock_rdlock(&lock);
    size_t n = current ? current->n : 0;
    pthread_rwlock_unlock(&lock);
    return n;
}

void users_shutdown(void)
{
    pthread_rwlock_wrlock(&lock);
    users_table_free(current);
    current = NULL;
    pthread_rwlock_unlock(&lock);
}

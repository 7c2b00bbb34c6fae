/*
 * users — the account table the proxy authenticates clients against, loaded from the backends
 * as MaxScale does (mysql.user: user, host pattern, plugin, mysql_native_password hash).
 *
 * A lookup finds the entry MariaDB itself would pick for user@client-address: host patterns
 * are matched like the server's (exact addresses, '%' and '_' wildcards, address/netmask),
 * most specific first; anonymous accounts ('' user) are not supported by the proxy. Host
 * names other than addresses never match (the servers run with skip-name-resolve).
 *
 * Only mysql_native_password accounts (and accounts without a password) can log in through
 * the proxy; others get a clear error naming their plugin.
 *
 * Memory: the table is replaced whole on reload; lookups copy what they return. Thread
 * safety: users_find/users_generation from any thread; users_replace from the monitor thread.
 */
#ifndef STAMPEDE_DBPROXY_USERS_H
#define STAMPEDE_DBPROXY_USERS_H

#include "core/str.h"
#include "dbproxy/proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct users_entry {
    char user[81];
    char host[256];
    char plugin[64];
    bool has_password;
    uint8_t h2[PROTO_SHA1_LEN]; /* SHA1(SHA1(password)) */
};

struct users_table;

/* users_table_new / users_table_add / users_table_done: build a table (monitor thread). An
 * entry whose hash cannot be parsed is kept with plugin "invalid" so its logins fail clearly. */
struct users_table *users_table_new(void);
void users_table_add(struct users_table *t, struct str user, struct str host, struct str plugin,
                     struct str auth_string);
/* users_replace: sorts t and makes it the current table (the old one is freed). */
void users_replace(struct users_table *t);
void users_table_free(struct users_table *t);

enum users_found { USERS_OK = 0, USERS_UNKNOWN, USERS_PLUGIN };

/* users_find: the entry for user logging in from addr (dotted IPv4/IPv6 text). */
enum users_found users_find(struct str user, const char *addr, struct users_entry *out);
/* users_generation: incremented by every users_replace (0: never loaded). */
uint64_t users_generation(void);
size_t users_count(void);
void users_shutdown(void);

/* users_host_match: MariaDB host pattern matching (exported for tests). */
bool users_host_match(const char *pattern, const char *addr);

#endif

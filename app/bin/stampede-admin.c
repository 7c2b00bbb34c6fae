/*
 * stampede-admin — operator commands that need the application's own code.
 *
 *   stampede-admin [--config FILE] create-admin EMAIL NAME
 *       creates the account (or promotes an existing one) with role admin; the password is
 *       read from $STAMPEDE_ADMIN_PASSWORD or else the first line of standard input, checked
 *       against the password policy and stored as an argon2id hash.
 *   stampede-admin [--config FILE] set-price SLUG PRICE
 *       sets a product's price in KRW through the catalog (committed on the primary, then the
 *       cached product and listing are invalidated on every node).
 *   stampede-admin [--config FILE] cache-bump
 *       invalidates every catalog cache region at once: run it after changing the catalog in
 *       the database by hand or by a bulk import.
 *
 * FILE defaults to $STAMPEDE_CONFIG, else var/etc/stampede.conf. Exit: 0 done, 1 refused
 * (weak password, bad e-mail, unknown product, bad price), 2 usage, 3 configuration, database
 * or cache error.
 */
#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"
#include "http/router.h"
#include "shop/account.h"
#include "shop/catalog.h"
#include "web/webcfg.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_stmt q_upsert_admin = {
    "admin_upsert",
    "INSERT INTO accounts (email, name, password_hash, role) VALUES (?, ?, ?, 'admin')"
    " ON DUPLICATE KEY UPDATE role = 'admin', name = VALUES(name),"
    " password_hash = VALUES(password_hash)",
    0};

static const char usage[] = "usage: stampede-admin [--config FILE] create-admin EMAIL NAME\n"
                            "       stampede-admin [--config FILE] set-price SLUG PRICE\n"
                            "       stampede-admin [--config FILE] cache-bump\n";

static struct db *open_db(const struct webcfg *cfg)
{
    db_library_init();
    struct db_opts o = {cfg->db_host,
                        (int)cfg->db_port,
                        cfg->db_user,
                        cfg->db_password,
                        cfg->db_name,
                        cfg->db_connect_timeout_ms,
                        cfg->db_read_timeout_ms,
                        0};
    return db_new(&o);
}

/* catalog_cmd: set-price SLUG PRICE, or cache-bump (args after the command name). */
static int catalog_cmd(const char *config, const char *cmd, char **args)
{
    struct webcfg cfg;
    struct buf err;
    buf_init(&err, 4096);
    int rc = 0;
    struct db *db = NULL;
    struct cache *cache = NULL;
    struct arena *a = arena_new(64 * 1024, 16 << 20);
    if (webcfg_load(&cfg, config, &err)) {
        fprintf(stderr, "stampede-admin: %s\n", buf_cstr(&err));
        rc = 3;
        goto out;
    }
    log_init("stampede-admin", "admin", "-", LOG_WARN);
    sec_init();
    catalog_init();
    db = open_db(&cfg);
    struct cache_opts co = {.servers = cfg.cache_servers,
                            .enabled = cfg.cache_enabled,
                            .connect_timeout_ms = cfg.cache_connect_timeout_ms,
                            .poll_timeout_ms = cfg.cache_poll_timeout_ms,
                            .retry_timeout_s = 2,
                            .lease_wait_ms = cfg.cache_lease_wait_ms,
                            /* no near cache here; its writes reach the nodes' near caches */
                            .near_peers = cfg.cache_near_peers,
                            .near_secret = cfg.secret,
                            .near_timeout_ms = cfg.cache_near_timeout_ms};
    cache = cache_new(&co);
    struct shop_ctx ctx = {db, cache, a};
    if (strcmp(cmd, "cache-bump") == 0) {
        if (catalog_cache_bump(&ctx)) {
            fputs("stampede-admin: memcached could not be reached for every region\n", stderr);
            rc = 3;
        } else {
            printf("catalog cache regions invalidated\n");
        }
        goto out;
    }
    int64_t price = 0;
    struct catalog_product p;
    if (!str_to_i64(str_from_cstr(args[1]), &price) || price < 1 || price > CATALOG_PRICE_MAX) {
        fprintf(stderr, "stampede-admin: PRICE must be 1..%d KRW\n", CATALOG_PRICE_MAX);
        rc = 1;
        goto out;
    }
    rc = catalog_product_by_slug(&ctx, str_from_cstr(args[0]), &p);
    if (rc == 0)
        rc = catalog_set_price(&ctx, p.id, price, STR("stampede-admin"));
    if (rc == ERR_NOTFOUND) {
        fprintf(stderr, "stampede-admin: no active product %s\n", args[0]);
        rc = 1;
    } else if (rc) {
        fprintf(stderr, "stampede-admin: cannot set the price: %s\n", err_str(rc));
        rc = 3;
    } else {
        printf("price of %s is now %lld KRW\n", args[0], (long long)price);
    }
out:
    if (db)
        db_free(db);
    cache_free(cache);
    arena_destroy(a);
    webcfg_free(&cfg);
    buf_free(&err);
    return rc;
}

int main(int argc, char **argv)
{
    const char *config = getenv("STAMPEDE_CONFIG");
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--config") == 0) {
        config = argv[i + 1];
        i += 2;
    }
    if (!config)
        config = "var/etc/stampede.conf";
    if (argc - i == 3 && strcmp(argv[i], "set-price") == 0)
        return catalog_cmd(config, argv[i], argv + i + 1);
    if (argc - i == 1 && strcmp(argv[i], "cache-bump") == 0)
        return catalog_cmd(config, argv[i], argv + i + 1);
    if (argc - i != 3 || strcmp(argv[i], "create-admin") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    struct str email = str_from_cstr(argv[i + 1]), name = str_from_cstr(argv[i + 2]);
    static const struct http_param email_rule = {"email", HTTP_SRC_BODY, HTTP_K_EMAIL, 0, 0, true};
    if (http_validate(&email_rule, email) || name.len == 0 || name.len > 100) {
        fputs("stampede-admin: give a valid e-mail address and a name (1..100 characters)\n",
              stderr);
        return 1;
    }
    char pw[1100] = "";
    const char *envpw = getenv("STAMPEDE_ADMIN_PASSWORD");
    if (envpw) {
        snprintf(pw, sizeof pw, "%s", envpw);
    } else if (!fgets(pw, sizeof pw, stdin)) {
        fputs("stampede-admin: no password on standard input\n", stderr);
        return 1;
    }
    pw[strcspn(pw, "\r\n")] = '\0';

    int rc = 0;
    struct db *db = NULL;
    struct arena *a = NULL;
    struct webcfg cfg;
    struct buf err;
    buf_init(&err, 4096);
    if (webcfg_load(&cfg, config, &err)) {
        fprintf(stderr, "stampede-admin: %s\n", buf_cstr(&err));
        rc = 3;
        goto out;
    }
    log_init("stampede-admin", "admin", "-", LOG_WARN);
    if (sec_init()) {
        fputs("stampede-admin: libsodium failed to initialise\n", stderr);
        rc = 3;
        goto out;
    }
    a = arena_new(4096, 1 << 20);
    email = account_normalize_email(a, email);
    const char *why = account_password_problem(str_from_cstr(pw), email);
    if (why) {
        fprintf(stderr, "stampede-admin: password refused: %s\n", why);
        rc = 1;
        goto out;
    }
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(hash, pw, strlen(pw), (unsigned long long)cfg.pw_opslimit,
                              (size_t)cfg.pw_memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        fputs("stampede-admin: hashing failed (out of memory?)\n", stderr);
        rc = 3;
        goto out;
    }
    sodium_memzero(pw, sizeof pw);
    db = open_db(&cfg);
    struct db_val v[] = {DB_S(email), DB_S(name), DB_CS(hash)};
    rc = db_exec(db, &q_upsert_admin, v, 3, a, NULL);
    if (rc) {
        fprintf(stderr, "stampede-admin: cannot store the account: %s\n", err_str(rc));
        rc = 3;
        goto out;
    }
    printf("admin account %.*s ready\n", STR_FMT(email));
out:
    sodium_memzero(pw, sizeof pw);
    if (db)
        db_free(db);
    if (a)
        arena_destroy(a);
    webcfg_free(&cfg);
    buf_free(&err);
    return rc;
}

/*
 * stampede-admin — operator commands that need the application's own code.
 *
 *   stampede-admin [--config FILE] create-admin EMAIL NAME
 *       creates the account (or promotes an existing one) with role admin; the password is
 *       read from $STAMPEDE_ADMIN_PASSWORD or else the first line of standard input, checked
 *       against the password policy and stored as an argon2id hash.
 *
 * FILE defaults to $STAMPEDE_CONFIG, else var/etc/stampede.conf. Exit: 0 done, 1 refused
 * (weak password, bad e-mail), 2 usage, 3 configuration or database error.
 */
#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"
#include "http/router.h"
#include "shop/account.h"
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
    if (argc - i != 3 || strcmp(argv[i], "create-admin") != 0) {
        fputs("usage: stampede-admin [--config FILE] create-admin EMAIL NAME\n", stderr);
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
    db_library_init();
    struct db_opts o = {cfg.db_host,
                        (int)cfg.db_port,
                        cfg.db_user,
                        cfg.db_password,
                        cfg.db_name,
                        cfg.db_connect_timeout_ms,
                        cfg.db_read_timeout_ms,
                        0};
    db = db_new(&o);
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

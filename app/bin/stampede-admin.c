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
#include "conf/appcfg.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"
#include "core/clock.h"
#include "shop/account.h"
#include "shop/catalog.h"
#include "shop/drop.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "usage: stampede-admin [--config FILE] create-admin EMAIL NAME\n"
                            "       stampede-admin [--config FILE] set-price SLUG PRICE\n"
                            "       stampede-admin [--config FILE] cache-bump\n"
                            "       stampede-admin [--config FILE] drop-create --product SLUG\n"
                            "           --kind queue|draw [--opens-in S] [--starts-in S]\n"
                            "           [--closes-in S] [--admit-per-second N] [--limit N]\n"
                            "           [--window S] [--announce-in S]\n"
                            "       stampede-admin [--config FILE] drop-edit ID [--opens-in S]\n"
                            "           [--starts-in S] [--closes-in S] [--admit-per-second N]\n"
                            "           [--limit N] [--window S] [--announce-in S]\n"
                            "           (until the drop opens; --announce-in 0 announces it now)\n"
                            "       stampede-admin [--config FILE] drop-cancel ID\n";

static struct db *open_db(const struct appcfg *cfg)
{
    db_library_init();
    struct db_opts o = appcfg_db_opts(cfg);
    o.lock_wait_s = 0; /* the server's default: an operator's command may wait */
    return db_new(&o);
}

/* catalog_cmd: set-price SLUG PRICE, or cache-bump (args after the command name). */
static int catalog_cmd(const char *config, const char *cmd, char **args)
{
    struct appcfg cfg;
    struct buf err;
    buf_init(&err, 4096);
    int rc = 0;
    struct db *db = NULL;
    struct cache *cache = NULL;
    struct arena *a = arena_new(64 * 1024, 16 << 20);
    if (appcfg_load(&cfg, config, &err)) {
        fprintf(stderr, "stampede-admin: %s\n", buf_cstr(&err));
        rc = 3;
        goto out;
    }
    log_init("stampede-admin", "admin", "-", LOG_WARN);
    sec_init();
    catalog_init();
    drop_init();
    db = open_db(&cfg);
    /* no near cache here; its writes reach the nodes' near caches */
    struct cache_opts co = appcfg_cache_opts(&cfg, false);
    cache = cache_new(&co);
    struct shop_ctx ctx = {db, cache, a, NULL, NULL};
    if (strcmp(cmd, "cache-bump") == 0) {
        /* the drop rows first: the catalog's bump tells every node to drop its near copies */
        int drc = drop_cache_bump(&ctx);
        if (catalog_cache_bump(&ctx) || drc) {
            fputs("stampede-admin: memcached could not be reached for every region\n", stderr);
            rc = 3;
        } else {
            printf("catalog and drop cache regions invalidated\n");
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
    if (rc == SHOP_OK)
        rc = catalog_set_price(&ctx, p.id, price, STR("stampede-admin"));
    if (rc == SHOP_PRODUCT_NOT_FOUND) {
        fprintf(stderr, "stampede-admin: no active product %s\n", args[0]);
        rc = 1;
    } else if (rc) {
        fprintf(stderr, "stampede-admin: cannot set the price: %s\n",
                rc < 0 ? err_str(rc) : shop_outcome_name(rc));
        rc = 3;
    } else {
        printf("price of %s is now %lld KRW\n", args[0], (long long)price);
    }
out:
    if (db)
        db_free(db);
    cache_free(cache);
    arena_destroy(a);
    appcfg_free(&cfg);
    buf_free(&err);
    return rc;
}

/* create_admin: EMAIL NAME, the password from the environment or standard input */
static int create_admin(const char *config, struct str email, struct str name)
{
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
    struct appcfg cfg;
    struct buf err;
    buf_init(&err, 4096);
    if (appcfg_load(&cfg, config, &err)) {
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
    db = open_db(&cfg);
    struct shop_ctx ctx = {db, NULL, a, NULL, NULL};
    struct account_policy policy = {.pw_opslimit = cfg.pw_opslimit,
                                    .pw_memlimit = cfg.pw_memlimit,
                                    .password_min_bits = cfg.password_min_bits};
    struct shop_problem problem;
    rc = account_make_admin(&ctx, &policy, email, name, str_from_cstr(pw), &problem);
    if (rc == SHOP_WEAK_PASSWORD) {
        fprintf(stderr, "stampede-admin: password refused: %s\n", problem.why);
        rc = 1;
    } else if (rc > 0) {
        fputs("stampede-admin: give a valid e-mail address and a name (1..100 characters)\n",
              stderr);
        rc = 1;
    } else if (rc < 0) {
        fprintf(stderr, "stampede-admin: cannot store the account: %s\n", err_str(rc));
        rc = 3;
    } else {
        printf("admin account %.*s ready\n", STR_FMT(account_normalize_email(a, email)));
    }
out:
    sodium_memzero(pw, sizeof pw);
    if (db)
        db_free(db);
    if (a)
        arena_destroy(a);
    appcfg_free(&cfg);
    buf_free(&err);
    return rc;
}

/* drop_cmd: drop-create OPTIONS (prints the drop as JSON), drop-edit ID OPTIONS (the options
 * given replace the drop's; prints it) or drop-cancel ID. --announce-in S: public S seconds
 * from now (create: at once when not given; edit: as it was when not given, 0 announces it). */
static int drop_cmd(const char *config, int argc, char **argv)
{
    struct drop_new n = {.actor = STR("stampede-admin")};
    int64_t opens_in = -1, starts_in = -1, closes_in = -1, announce_in = -1, id = 0;
    bool have_kind = false, cancel = strcmp(argv[0], "drop-cancel") == 0,
         edit = strcmp(argv[0], "drop-edit") == 0;
    if ((cancel || edit) &&
        (argc < 2 || !str_to_i64(str_from_cstr(argv[1]), &id) || id < 1 || (cancel && argc != 2))) {
        fputs(usage, stderr);
        return 2;
    }
    for (int i = edit ? 2 : 1; !cancel && i < argc; i += 2) {
        int64_t v = 0;
        const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val) {
            fprintf(stderr, "stampede-admin: %s needs a value\n", o);
            return 2;
        }
        bool num = str_to_i64(str_from_cstr(val), &v) && v >= 0;
        if (strcmp(o, "--product") == 0)
            n.slug = str_from_cstr(val);
        else if (strcmp(o, "--kind") == 0 && drop_kind_parse(str_from_cstr(val), &n.kind))
            have_kind = true;
        else if (strcmp(o, "--opens-in") == 0 && num)
            opens_in = v;
        else if (strcmp(o, "--starts-in") == 0 && num)
            starts_in = v;
        else if (strcmp(o, "--closes-in") == 0 && num)
            closes_in = v;
        else if (strcmp(o, "--admit-per-second") == 0 && num)
            n.admit_per_second = v;
        else if (strcmp(o, "--limit") == 0 && num)
            n.per_account_limit = v;
        else if (strcmp(o, "--window") == 0 && num)
            n.purchase_window_s = v;
        else if (strcmp(o, "--announce-in") == 0 && num)
            announce_in = v;
        else {
            fprintf(stderr, "stampede-admin: bad option or value: %s %s\n", o, val);
            return 2;
        }
    }
    if (!cancel && !edit && (!n.slug.len || !have_kind)) {
        fputs(usage, stderr);
        return 2;
    }
    struct appcfg cfg;
    struct buf err;
    buf_init(&err, 4096);
    int rc = 0;
    struct db *db = NULL;
    struct cache *cache = NULL;
    struct arena *a = arena_new(64 * 1024, 16 << 20);
    if (appcfg_load(&cfg, config, &err)) {
        fprintf(stderr, "stampede-admin: %s\n", buf_cstr(&err));
        rc = 3;
        goto out;
    }
    log_init("stampede-admin", "admin", "-", LOG_WARN);
    sec_init();
    drop_init(); /* its writes invalidate the cached drop rows (shop/drop.h) */
    db = open_db(&cfg);
    struct cache_opts co = appcfg_cache_opts(&cfg, false);
    cache = cache_new(&co);
    struct shop_ctx ctx = {db, cache, a, NULL, NULL};
    struct shop_problem problem = {0};
    int64_t now = 0;
    struct drop d;
    if (cancel) {
        rc = drop_cancel(&ctx, id, STR("stampede-admin"));
    } else if (edit) {
        if (!(rc = drop_now_ms(&ctx, &now)) && !(rc = drop_get(&ctx, id, &d))) {
            /* what is not given stays as it is */
            n.opens_at = opens_in >= 0 ? now + opens_in * 1000 : d.opens_at;
            n.starts_at = starts_in >= 0 ? now + starts_in * 1000 : d.starts_at;
            n.closes_at = closes_in >= 0 ? now + closes_in * 1000 : d.closes_at;
            n.announce_at = announce_in >= 0 ? now + announce_in * 1000 : d.announce_at;
            if (!n.admit_per_second)
                n.admit_per_second = d.admit_per_second;
            if (!n.per_account_limit)
                n.per_account_limit = d.per_account_limit;
            if (!n.purchase_window_s)
                n.purchase_window_s = d.purchase_window_s;
            rc = drop_edit(&ctx, id, &n, &problem);
        }
    } else if (!(rc = drop_now_ms(&ctx, &now))) {
        if (opens_in < 0)
            opens_in = 0;
        /* defaults: opens now, a queue starts 60 s after it opens; a sale of an hour */
        if (starts_in < 0)
            starts_in = n.kind == DROP_QUEUE ? opens_in + 60 : opens_in;
        if (closes_in < 0)
            closes_in = starts_in + 3600;
        n.opens_at = now + opens_in * 1000;
        n.starts_at = now + starts_in * 1000;
        n.closes_at = now + closes_in * 1000;
        n.announce_at = announce_in > 0 ? now + announce_in * 1000 : 0;
        rc = drop_create(&ctx, &n, &id, &problem);
    }
    if (!rc)
        rc = drop_get(&ctx, id, &d);
    if (rc > 0) {
        fprintf(stderr, "stampede-admin: %s%s%s\n", shop_outcome_name(rc), problem.why ? ": " : "",
                problem.why ? problem.why : "");
        rc = 1;
    } else if (rc < 0) {
        fprintf(stderr, "stampede-admin: database: %s\n", err_str(rc));
        rc = 3;
    } else {
        char o[40], s[40], c[40], an[40];
        clock_iso8601(d.opens_at, o, sizeof o);
        clock_iso8601(d.starts_at, s, sizeof s);
        clock_iso8601(d.closes_at, c, sizeof c);
        clock_iso8601(drop_announce_time(&d), an, sizeof an);
        printf("{\"id\":%lld,\"product\":{\"slug\":\"%.*s\"},\"kind\":\"%s\","
               "\"state\":\"%s\",\"opens_at\":\"%s\",\"starts_at\":\"%s\",\"closes_at\":\"%s\","
               "\"announce_at\":\"%s\",\"commitment\":\"%.*s\",\"admit_per_second\":%lld,\"per_"
               "account_limit\":%lld,"
               "\"purchase_window_seconds\":%lld}\n",
               (long long)d.id, STR_FMT(d.slug), drop_kind_name(d.kind),
               drop_state_name(drop_state(&d, now ? now : d.created_at)), o, s, c, an,
               STR_FMT(d.commitment), (long long)d.admit_per_second, (long long)d.per_account_limit,
               (long long)d.purchase_window_s);
    }
out:
    if (db)
        db_free(db);
    cache_free(cache);
    arena_destroy(a);
    appcfg_free(&cfg);
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
    if (argc - i >= 1 && (strcmp(argv[i], "drop-create") == 0 ||
                          strcmp(argv[i], "drop-edit") == 0 || strcmp(argv[i], "drop-cancel") == 0))
        return drop_cmd(config, argc - i, argv + i);
    if (argc - i == 1 && strcmp(argv[i], "cache-bump") == 0)
        return catalog_cmd(config, argv[i], argv + i + 1);
    if (argc - i != 3 || strcmp(argv[i], "create-admin") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    return create_admin(config, str_from_cstr(argv[i + 1]), str_from_cstr(argv[i + 2]));
}

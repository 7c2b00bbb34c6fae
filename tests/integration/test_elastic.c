/*
 * The elastic tier under load (issue 11): nodes that come and go without a dropped request.
 *
 * Each test runs stampede-loadgen (tools/bench/loadgen.c) through HAProxy for its whole length
 * and counts every failed, refused or reset request:
 *   - a node added with `./stampede node add` joins HAProxy and the near-cache membership
 *     (a price change shows on it at once), serves, and is removed again: zero failures;
 *   - a node's FastCGI processes killed with SIGKILL: every GET succeeds (HAProxy sends it to
 *     the other node); POSTs fail cleanly and are never applied twice: each checkout is retried
 *     with its Idempotency-Key until it has an answer, and there is exactly one order per key;
 *   - `./stampede deploy` restarts every node in turn: zero failures;
 *   - `./stampede reload haproxy` with a changed configuration, clients opening a connection per
 *     request: zero refused (and zero failed) connections;
 *   - the autoscaler (paused in the test stack, switched on here with a low target and short
 *     windows) adds a node when a step of load arrives and removes it when the load falls:
 *     zero failures, and each decision is in autoscale_events with its reason.
 * The stack's own two nodes are UP again at the end of each test.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

static struct stack S;
static MYSQL *DB;
static char run_tag[16];

/* ---------------------------------------------------------------- the load */

struct load {
    pid_t pid;
    char out[600];
};
struct load_result {
    long requests, failed, refused, reset, status_5xx, status_502, status_4xx;
};

/* the loads running now: a failed test's teardown stops them (never left running) */
static pid_t running_loads[8];

static void load_track(pid_t pid, bool on)
{
    for (size_t i = 0; i < sizeof running_loads / sizeof running_loads[0]; i++)
        if (on ? running_loads[i] == 0 : running_loads[i] == pid) {
            running_loads[i] = on ? pid : 0;
            return;
        }
}

static void load_start(struct load *l, const char *path, int conns, bool close_each)
{
    char url[300], n[16];
    snprintf(url, sizeof url, "%s", stack_url(&S, path));
    snprintf(n, sizeof n, "%d", conns);
    static int n_loads;
    snprintf(l->out, sizeof l->out, "%s/tmp/loadgen-%d-%d.out", S.data, (int)getpid(), ++n_loads);
    char exe[600];
    snprintf(exe, sizeof exe, "%s/stampede-loadgen", S.build);
    l->pid = fork();
    assert_true(l->pid >= 0);
    if (l->pid == 0) {
        if (!freopen(l->out, "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(127);
        if (close_each)
            execl(exe, exe, url, "--conns", n, "--close", (char *)NULL);
        else
            execl(exe, exe, url, "--conns", n, (char *)NULL);
        _exit(127);
    }
    load_track(l->pid, true);
    usleep(500000); /* the load is running before anything happens */
}

static long field(const char *line, const char *key)
{
    char k[40];
    snprintf(k, sizeof k, " %s=", key);
    const char *p = strstr(line, k);
    if (!p && strncmp(line, k + 1, strlen(k) - 1) == 0)
        p = line - 1;
    assert_non_null(p);
    return strtol(p + strlen(k), NULL, 10);
}

static void load_stop(struct load *l, struct load_result *r)
{
    int st;
    kill(l->pid, SIGINT);
    assert_int_equal(waitpid(l->pid, &st, 0), l->pid);
    load_track(l->pid, false);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    FILE *f = fopen(l->out, "r");
    assert_non_null(f);
    char line[1024] = "";
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    unlink(l->out);
    print_message("    load: %s", line);
    r->requests = field(line, "requests");
    r->failed = field(line, "failed");
    r->refused = field(line, "refused");
    r->reset = field(line, "reset");
    r->status_5xx = field(line, "status_5xx");
    r->status_502 = field(line, "status_502");
    r->status_4xx = field(line, "status_4xx");
    assert_true(r->requests > 100); /* it did run */
}

/* ---------------------------------------------------------------- the stack */

static bool node_up(void *arg)
{
    char st[32];
    return stack_haproxy_stat(&S, arg, "status", st, sizeof st) && strcmp(st, "UP") == 0;
}

static bool both_up(void *arg)
{
    (void)arg;
    return node_up("web1") && node_up("web2");
}

static bool web1_down(void *arg)
{
    (void)arg;
    char st[32];
    return stack_haproxy_stat(&S, "web1", "status", st, sizeof st) && strncmp(st, "DOWN", 4) == 0;
}

static bool serves(void *arg)
{
    struct client *c = client_new();
    bool seen = false;
    for (int i = 0; i < 10 && !seen; i++)
        seen = strcmp(stack_served_by(&S, c), arg) == 0;
    client_free(c);
    return seen;
}

/* stack_out: runs a ./stampede command; its last line of output into out */
static int stack_out(char *out, size_t n, const char *cmd)
{
    char path[700];
    snprintf(path, sizeof path, "%s/tmp/elastic-cmd.out", S.data);
    int rc = stack_run(&S, "%s > '%s' 2>&1", cmd, path);
    FILE *f = fopen(path, "r");
    char line[512];
    out[0] = '\0';
    while (f && fgets(line, sizeof line, f))
        snprintf(out, n, "%.*s", (int)strcspn(line, "\r\n"), line);
    if (f)
        fclose(f);
    if (rc)
        print_error("%s: exit %d, last line: %s\n", cmd, rc, out);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    stack_load(&S);
    DB = stack_db(&S, 0);
    if (sodium_init() < 0)
        fail_msg("libsodium");
    snprintf(run_tag, sizeof run_tag, "%08x", (unsigned)randombytes_random());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mysql_close(DB);
    return 0;
}

/* ---------------------------------------------------------------- a node comes and goes */

/* price_on: the product's price as node_port's own nginx serves it (-1 on failure) */
static long long price_on(int port, const char *slug)
{
    char url[300];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/products/%s", port, slug);
    struct client *c = client_new();
    struct resp r;
    long long price = -1;
    if (client_get(c, url, &r) == 0 && r.status == 200) {
        cJSON *j = resp_json(&r);
        cJSON *p = j ? cJSON_GetObjectItem(j, "price") : NULL;
        if (cJSON_IsNumber(p))
            price = (long long)p->valuedouble;
        cJSON_Delete(j);
    }
    resp_free(&r);
    client_free(c);
    return price;
}

static void test_node_added_and_removed_under_load(void **state)
{
    (void)state;
    assert_true(wait_until(both_up, NULL, 15000));
    char slug[64];
    snprintf(slug, sizeof slug, "elastic-%s", run_tag);
    assert_int_equal(db_execf(DB,
                              "INSERT INTO products (slug, name, brand, description, price_krw, "
                              "image) VALUES ('%s', 'Elastic', 'Test', 'elastic', 150000, "
                              "'img/favicon.svg')",
                              slug),
                     0);

    struct load l;
    load_start(&l, "/", 24, false);
    char name[64];
    assert_int_equal(stack_out(name, sizeof name, "./stampede node add --reason test"), 0);
    assert_true(strncmp(name, "web", 3) == 0 && strcmp(name, "web1") && strcmp(name, "web2"));
    assert_true(node_up(name));
    assert_true(wait_until(serves, name, 20000)); /* slowstart: its share ramps up */

    /* it registered itself (membership) and for Prometheus (service discovery) */
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM web_nodes WHERE name = '%s' AND seen_at "
                               ">= NOW(6) - INTERVAL 30 SECOND",
                               name),
                     1);
    char sd[700];
    snprintf(sd, sizeof sd, "%s/etc/prometheus-sd/web-%s.json", S.data, name);
    assert_int_equal(access(sd, R_OK), 0);
    const char *url = db_textf(DB, "SELECT url FROM web_nodes WHERE name = '%s'", name);
    const char *colon = strrchr(url, ':');
    assert_non_null(colon);
    int port = (int)strtol(colon + 1, NULL, 10);

    /* a catalog write reaches the new node before it returns: its near copy (read twice to be
     * sure it is kept) never shows the old price afterwards */
    assert_int_equal(price_on(port, slug), 150000);
    assert_int_equal(price_on(port, slug), 150000);
    assert_int_equal(price_on(S.nginx_port[0], slug), 150000);
    assert_int_equal(stack_run(&S,
                               "'%s/stampede-admin' --config '%s/etc/stampede.conf' set-price %s "
                               "151000 >/dev/null",
                               S.build, S.data, slug),
                     0);
    assert_int_equal(price_on(port, slug), 151000);
    assert_int_equal(price_on(S.nginx_port[0], slug), 151000);
    assert_int_equal(price_on(S.nginx_port[1], slug), 151000);

    char removed[64], cmd[128];
    snprintf(cmd, sizeof cmd, "./stampede node remove %s --reason test", name);
    assert_int_equal(stack_out(removed, sizeof removed, cmd), 0);
    assert_string_equal(removed, name);
    char st[32];
    assert_false(stack_haproxy_stat(&S, name, "status", st, sizeof st));
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM web_nodes WHERE name = '%s'", name), 0);
    assert_int_not_equal(access(sd, F_OK), 0);
    struct load_result r;
    load_stop(&l, &r);
    assert_int_equal(r.failed, 0);
    assert_true(both_up(NULL));
}

/* ---------------------------------------------------------------- a node killed */

#define BUYERS 40
#define STOCK  25

static void test_node_killed_under_load(void **state)
{
    (void)state;
    assert_true(wait_until(both_up, NULL, 15000));
    /* shoppers with sessions and an address, and a size with STOCK pairs */
    static char sid[BUYERS][64];
    char prefix[40];
    snprintf(prefix, sizeof prefix, "elastic%s", run_tag);
    crowd_sign_in(&S, DB, prefix, "elastic test passphrase 2026", BUYERS, sid, NULL);
    assert_int_equal(db_execf(DB,
                              "INSERT INTO account_addresses (account_id, " TEST_ADDRESS_COLUMNS
                              ") SELECT id, " TEST_ADDRESS_VALUES
                              " FROM accounts WHERE email LIKE '%s-%%'",
                              prefix),
                     0);
    char slug[64];
    snprintf(slug, sizeof slug, "elastic-kill-%s", run_tag);
    assert_int_equal(db_execf(DB,
                              "INSERT INTO products (slug, name, brand, description, price_krw, "
                              "image) VALUES ('%s', 'Kill', 'Test', 'kill', 150000, "
                              "'img/favicon.svg')",
                              slug),
                     0);
    long long product = db_scalar(DB, "SELECT id FROM products WHERE slug = '%s'", slug);
    assert_int_equal(
        db_execf(DB, "INSERT INTO skus (product_id, size_mm) VALUES (%lld, 270)", product), 0);
    long long sku = db_scalar(DB, "SELECT id FROM skus WHERE product_id = %lld", product);
    assert_int_equal(db_execf(DB,
                              "INSERT INTO stock (sku_id, bucket, available) VALUES (%lld, 0, %d)",
                              sku, STOCK),
                     0);
    assert_int_equal(db_execf(DB,
                              "INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available, "
                              "ref_type, ref_id) VALUES (%lld, 0, 'receive', %d, 'test', "
                              "'elastic')",
                              sku, STOCK),
                     0);

    static struct hreq req[BUYERS];
    static char bodies[BUYERS][80];
    memset(req, 0, sizeof req);
    for (int i = 0; i < BUYERS; i++) {
        req[i].method = "POST";
        req[i].ctype = "application/json";
        snprintf(req[i].url, sizeof req[i].url, "%s/api/v1/checkout", S.base_url);
        snprintf(bodies[i], sizeof bodies[i], "{\"sku_id\":%lld,\"quantity\":1}", sku);
        req[i].body = bodies[i];
        snprintf(req[i].hdr[0], sizeof req[i].hdr[0], "X-Requested-With: stampede");
        snprintf(req[i].hdr[1], sizeof req[i].hdr[1], "Cookie: stampede_sid=%s", sid[i]);
        snprintf(req[i].hdr[2], sizeof req[i].hdr[2], "Idempotency-Key: %s-kill-%03d", run_tag, i);
    }

    struct load l;
    load_start(&l, "/", 24, false);
    /* the checkouts and the kill at the same moment */
    int pid = stack_pid(&S, "run/web1-app.pid");
    assert_true(pid > 0);
    pid_t killer = fork();
    assert_true(killer >= 0);
    if (killer == 0) {
        usleep(20000);
        kill(-pid, SIGKILL); /* the master and its workers: the node's whole process group */
        _exit(0);
    }
    http_parallel(req, BUYERS, BUYERS);
    int st;
    waitpid(killer, &st, 0);
    int clean_failures = 0;
    for (int i = 0; i < BUYERS; i++) {
        long s = req[i].status;
        if (s == 201 || (s == 409 && strstr(req[i].out, "\"out_of_stock\"")))
            continue;
        /* a failure is clean: an answer saying so (the node went away under it), never a
         * hang; the client sends it again with the same key */
        if (s != 502 && s != 503 && s != -1)
            fail_msg("buyer %d: unexpected %ld %s", i, s, req[i].out ? req[i].out : "");
        clean_failures++;
    }
    print_message("    checkouts that failed cleanly while web1 was killed: %d of %d\n",
                  clean_failures, BUYERS);
    /* HAProxy takes web1 out (its checks fail: fall 3 x fastinter); every GET of the load
     * succeeded meanwhile, and goes on succeeding */
    assert_true(wait_until(web1_down, NULL, 10000));
    sleep(2);
    struct load_result r;
    load_stop(&l, &r);
    assert_int_equal(r.failed, 0);

    /* retries with the same keys: everything gets an answer, once */
    for (int round = 0; round < 5; round++) {
        size_t k = 0;
        for (int i = 0; i < BUYERS; i++) {
            long s = req[i].status;
            if (s == 201 || s == 409)
                continue;
            hreq_free(&req[i]);
            k++;
            http_parallel(&req[i], 1, 1);
        }
        if (!k)
            break;
    }
    int created = 0;
    for (int i = 0; i < BUYERS; i++) {
        assert_true(req[i].status == 201 || req[i].status == 409);
        created += req[i].status == 201;
        hreq_free(&req[i]);
    }
    assert_int_equal(created, STOCK);
    /* exactly one order per key that succeeded, and the stock adds up (I1) */
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM orders o JOIN order_lines l ON l.order_id = "
                               "o.id WHERE l.sku_id = %lld",
                               sku),
                     STOCK);
    assert_int_equal(db_scalar(DB, "SELECT available FROM stock WHERE sku_id = %lld", sku), 0);
    assert_int_equal(db_scalar(DB, "SELECT held FROM stock WHERE sku_id = %lld", sku), STOCK);
    assert_int_equal(stack_run(&S, "./stampede batch audit-stock >/dev/null"), 0);

    /* the node comes back */
    assert_int_equal(stack_run(&S, "./stampede node restart web1 >/dev/null"), 0);
    assert_true(wait_until(both_up, NULL, 15000));
}

/* children_of: the pids whose parent is pid (from /proc), up to n */
static int children_of(int pid, int *out, int n)
{
    int k = 0;
    DIR *d = opendir("/proc");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) && k < n) {
        char path[300], line[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(line, sizeof line, f)) {
            const char *rp = strrchr(line, ')'); /* "pid (comm) state ppid ..." */
            char state;
            int ppid = 0;
            if (rp && rp[1] == ' ') {
                state = rp[2];
                ppid = (int)strtol(rp + 4, NULL, 10);
                if (ppid == pid && state != 'Z')
                    out[k++] = (int)strtol(e->d_name, NULL, 10);
            }
        }
        fclose(f);
    }
    closedir(d);
    return k;
}

static bool all_gone(void *arg)
{
    const int *pids = arg;
    for (int i = 0; pids[i]; i++)
        if (kill(pids[i], 0) == 0)
            return false;
    return true;
}

/* A master killed alone (not its process group): its workers stop by themselves (they would
 * otherwise live on, serving an old socket, holding connections, outside any supervision). */
static void test_workers_do_not_outlive_their_master(void **state)
{
    (void)state;
    assert_true(wait_until(both_up, NULL, 15000));
    int master = stack_pid(&S, "run/web2-app.pid");
    assert_true(master > 0);
    int workers[17] = {0};
    int n = children_of(master, workers, 16);
    assert_true(n >= 1);
    assert_int_equal(kill(master, SIGKILL), 0);
    assert_true(wait_until(all_gone, workers, 15000));
    assert_int_equal(stack_run(&S, "./stampede node restart web2 >/dev/null"), 0);
    assert_true(wait_until(both_up, NULL, 15000));
}

/* ---------------------------------------------------------------- deploys and reloads */

static void test_rolling_restart_under_load(void **state)
{
    (void)state;
    assert_true(wait_until(both_up, NULL, 15000));
    int pid1 = stack_pid(&S, "run/web1-app.pid"), pid2 = stack_pid(&S, "run/web2-app.pid");
    struct load l;
    load_start(&l, "/", 24, false);
    assert_int_equal(stack_run(&S, "STAMPEDE_NODE_SLOWSTART=3s ./stampede deploy >/dev/null"), 0);
    struct load_result r;
    load_stop(&l, &r);
    assert_int_equal(r.failed, 0);
    /* every node is a new process */
    assert_int_not_equal(stack_pid(&S, "run/web1-app.pid"), pid1);
    assert_int_not_equal(stack_pid(&S, "run/web2-app.pid"), pid2);
    assert_true(both_up(NULL));
}

static void test_haproxy_reload_under_load(void **state)
{
    (void)state;
    assert_true(wait_until(both_up, NULL, 15000));
    char cfg[700];
    snprintf(cfg, sizeof cfg, "%s/etc/haproxy.cfg", S.data);
    struct load l;
    load_start(&l, "/", 24, true); /* a new connection per request */
    for (int i = 0; i < 4; i++) {
        /* a changed configuration each time: the per-address limit */
        assert_int_equal(
            stack_run(&S,
                      "STAMPEDE_RATE_LIMIT=%d STAMPEDE_RATE_LIMIT_EXEMPT=127.0.0.1 ./stampede "
                      "reload haproxy >/dev/null",
                      300 + i),
            0);
        char want[64];
        snprintf(want, sizeof want, "gt %d", 300 + i);
        FILE *f = fopen(cfg, "r");
        assert_non_null(f);
        char line[512];
        bool found = false;
        while (fgets(line, sizeof line, f))
            found |= strstr(line, want) != NULL;
        fclose(f);
        assert_true(found);
        usleep(700000);
    }
    struct load_result r;
    load_stop(&l, &r);
    assert_int_equal(r.refused, 0);
    assert_int_equal(r.failed, 0);
    /* back to the suite's own setting */
    assert_int_equal(stack_run(&S, "STAMPEDE_RATE_LIMIT=200 STAMPEDE_RATE_LIMIT_EXEMPT=127.0.0.1 "
                                   "./stampede reload haproxy >/dev/null"),
                     0);
    assert_true(wait_until(both_up, NULL, 15000));
}

/* ---------------------------------------------------------------- the autoscaler */

static char *conf_saved;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char chunk[4096];
    size_t len = 0, cap = 1;
    char *all = calloc(1, 1);
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        cap = len + n + 1;
        all = realloc(all, cap);
        assert_non_null(all);
        memcpy(all + len, chunk, n);
        len += n;
        all[len] = '\0';
    }
    fclose(f);
    return all;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void autoscaler_reload(void)
{
    int pid = stack_pid(&S, "run/autoscale.pid");
    assert_true(pid > 0);
    assert_int_equal(kill(pid, SIGHUP), 0);
    usleep(700000);
}

/* autoscale_settings: the stack's configuration with these autoscale.* lines in place of its
 * own (the autoscaler re-reads it on SIGHUP); NULL puts the saved file back */
static void autoscale_settings(const char *lines)
{
    char path[700];
    snprintf(path, sizeof path, "%s/etc/stampede.conf", S.data);
    if (!lines) {
        /* the stack's file as it was, and paused in any case (as the suite runs it) */
        const char *on = "autoscale.enabled = on\n";
        char *at = strstr(conf_saved, on);
        if (at) {
            FILE *f = fopen(path, "w");
            assert_non_null(f);
            fprintf(f, "%.*sautoscale.enabled = off\n%s", (int)(at - conf_saved), conf_saved,
                    at + strlen(on));
            fclose(f);
        } else {
            write_file(path, conf_saved);
        }
        free(conf_saved);
        conf_saved = NULL;
        autoscaler_reload();
        return;
    }
    conf_saved = read_file(path);
    char *out = calloc(1, strlen(conf_saved) + strlen(lines) + 2);
    assert_non_null(out);
    char *w = out;
    for (const char *p = conf_saved; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
        bool replaced = false;
        for (const char *k = lines; *k;) {
            const char *eq = strchr(k, '=');
            const char *end = strchr(k, '\n');
            if (!eq || !end)
                break;
            if ((size_t)(eq - k) < len && strncmp(p, k, (size_t)(eq - k)) == 0)
                replaced = true;
            k = end + 1;
        }
        if (!replaced) {
            memcpy(w, p, len);
            w += len;
        }
        p += len;
    }
    memcpy(w, lines, strlen(lines) + 1);
    write_file(path, out);
    free(out);
    autoscaler_reload();
}

static int up_nodes(void)
{
    int n = 0;
    for (int i = 1; i <= 9; i++) {
        char name[16];
        snprintf(name, sizeof name, "web%d", i);
        n += node_up(name);
    }
    return n;
}
static bool three_up(void *arg)
{
    (void)arg;
    return up_nodes() == 3;
}
static bool back_to_two(void *arg)
{
    (void)arg;
    char st[32];
    return up_nodes() == 2 && !stack_haproxy_stat(&S, "web3", "status", st, sizeof st);
}

static void test_autoscaler_follows_a_load_ramp(void **state)
{
    (void)state;
    assert_true(wait_until(both_up, NULL, 15000));
    long long last = db_scalar(DB, "SELECT COALESCE(MAX(id), 0) FROM autoscale_events");
    /* a window of quiet first (paused, it keeps sampling: the tests before left high load in
     * its samples), then on, with a low target and short windows */
    struct load trickle, step;
    load_start(&trickle, "/", 1, false);
    sleep(5);
    autoscale_settings("autoscale.enabled = on\n"
                       "autoscale.dry_run = off\n"
                       "autoscale.min = 2\n"
                       "autoscale.max = 3\n"
                       "autoscale.target = 4\n"
                       "autoscale.cpu_target = 0\n"
                       "autoscale.interval = 500ms\n"
                       "autoscale.window = 4s\n"
                       "autoscale.scale_out_cooldown = 2s\n"
                       "autoscale.scale_in_cooldown = 5s\n"
                       "autoscale.scale_in_window = 8s\n");
    /* the whole ramp under that steady trickle: nothing to do at first, then a step of 24
     * connections on top */
    sleep(3);
    assert_int_equal(up_nodes(), 2);
    load_start(&step, "/", 24, false);
    assert_true(wait_until(three_up, NULL, 90000));
    assert_true(wait_until(serves, "web3", 20000));
    struct load_result r;
    load_stop(&step, &r);
    assert_int_equal(r.failed, 0);
    /* the load falls: after its scale-in window it removes the node again */
    assert_true(wait_until(back_to_two, NULL, 120000));
    load_stop(&trickle, &r);
    assert_int_equal(r.failed, 0);
    autoscale_settings(NULL);

    /* each decision is recorded with its reason, and counted */
    assert_true(db_scalar(DB,
                          "SELECT COUNT(*) FROM autoscale_events WHERE id > %lld AND action = "
                          "'out' AND nodes_before = 2 AND nodes_after = 3 AND reason <> ''",
                          last) >= 1);
    assert_true(db_scalar(DB,
                          "SELECT COUNT(*) FROM autoscale_events WHERE id > %lld AND action = "
                          "'in' AND nodes_before = 3 AND nodes_after = 2 AND reason <> ''",
                          last) >= 1);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM autoscale_events WHERE id > %lld AND "
                               "action IN ('failed-out', 'failed-in')",
                               last),
                     0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", S.port_base + 39);
    struct client *c = client_new();
    struct resp m;
    assert_int_equal(client_get(c, url, &m), 0);
    assert_int_equal(m.status, 200);
    assert_true(resp_contains(&m, "stampede_autoscale_decisions_total{action=\"out\"}"));
    resp_free(&m);
    client_free(c);
    assert_true(both_up(NULL));
}

/* after each test, even a failed one: the autoscaler paused again, no added node left, the
 * stack's two nodes UP (the suite's other tests expect exactly them) */
static int restore_stack(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof running_loads / sizeof running_loads[0]; i++)
        if (running_loads[i] > 0) {
            kill(running_loads[i], SIGKILL);
            waitpid(running_loads[i], NULL, 0);
            running_loads[i] = 0;
        }
    if (conf_saved)
        autoscale_settings(NULL);
    char st[32];
    for (int i = 3; i <= 9; i++) {
        char name[16];
        snprintf(name, sizeof name, "web%d", i);
        if (stack_haproxy_stat(&S, name, "status", st, sizeof st))
            stack_run(&S, "./stampede node remove %s >/dev/null 2>&1", name);
    }
    if (!both_up(NULL))
        stack_run(&S, "./stampede up >/dev/null 2>&1");
    return wait_until(both_up, NULL, 30000) ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_node_added_and_removed_under_load, restore_stack),
        cmocka_unit_test_teardown(test_node_killed_under_load, restore_stack),
        cmocka_unit_test_teardown(test_workers_do_not_outlive_their_master, restore_stack),
        cmocka_unit_test_teardown(test_rolling_restart_under_load, restore_stack),
        cmocka_unit_test_teardown(test_haproxy_reload_under_load, restore_stack),
        cmocka_unit_test_teardown(test_autoscaler_follows_a_load_ramp, restore_stack),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

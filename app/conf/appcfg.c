/* appcfg — the shop processes' configuration table; see appcfg.h. */
#include "appcfg.h"

#include "shop/admission.h"
#include "core/buf.h"

#include <stddef.h>
#include <string.h>

extern char **environ;

#define F(m) offsetof(struct appcfg, m)

const struct cfg_directive appcfg_table[] = {
    {"node.name", CFG_STR, F(node_name), "web", 1, 40, "node name in logs and headers"},
    {"node.url", CFG_STR, F(node_url), "", 0, 200,
     "the base URL other nodes reach this node on (http://host:port of its nginx); with it the "
     "node registers itself in web_nodes, so catalog writes reach it (empty: not registered, "
     "only cache.near_peers are told)"},
    {"listen", CFG_STR, F(listen), "var/run/web.sock", 1, 100, "FastCGI unix socket path"},
    {"ops.listen", CFG_STR, F(ops_listen), "", 0, 100,
     "a second FastCGI socket served by one thread per worker process for /healthz, /readyz and "
     "/metrics only, so health checks are answered even when every worker thread is busy "
     "(empty: none)"},
    {"listen.owner", CFG_STR, F(listen_owner), "", 0, 64,
     "when run as root, give the socket to this user (nginx workers)"},
    {"pid_file", CFG_STR, F(pid_file), "", 0, 255, "master pid file; empty: none"},
    {"log.file", CFG_STR, F(log_file), "-", 1, 255, "log file; - for stderr"},
    {"log.level", CFG_STR, F(log_level), "info", 1, 5, "debug, info, warn or error"},
    {"web.processes", CFG_INT, F(processes), "2", 1, 64, "worker processes per node"},
    {"web.threads", CFG_INT, F(threads), "8", 1, 256, "threads per worker process"},
    {"web.drain", CFG_MS, F(drain_ms), "3s", 0, 60000,
     "after SIGTERM, answer /readyz 503 this long before stopping"},
    {"web.stop_timeout", CFG_MS, F(stop_timeout_ms), "10s", 100, 300000,
     "longest wait for requests in flight at stop"},
    {"http.body_max", CFG_BYTES, F(body_max), "1m", 1024, 64 << 20, "largest request body"},
    {"http.max_params", CFG_INT, F(max_params), "64", 1, 10000, "most query/form pairs"},
    {"http.resp_max", CFG_BYTES, F(resp_max), "8m", 65536, 256 << 20, "largest response"},
    {"db.host", CFG_STR, F(db_host), "127.0.0.1", 1, 255, "database endpoint host"},
    {"db.port", CFG_INT, F(db_port), "3307", 1, 65535, "database endpoint port"},
    {"db.user", CFG_STR, F(db_user), "stampede_app", 1, 80, "database account"},
    {"db.password", CFG_STR, F(db_password), NULL, 1, 255, "database password (required)"},
    {"db.name", CFG_STR, F(db_name), "stampede", 1, 64, "database name"},
    {"db.connect_timeout", CFG_MS, F(db_connect_timeout_ms), "2s", 100, 60000,
     "database connect timeout"},
    {"db.read_timeout", CFG_MS, F(db_read_timeout_ms), "10s", 1000, 600000,
     "database read/write timeout"},
    {"cache.servers", CFG_STR, F(cache_servers), "127.0.0.1:11211,127.0.0.1:11212", 0, 1000,
     "memcached servers, comma-separated host:port"},
    {"cache.enabled", CFG_BOOL, F(cache_enabled), "on", 0, 0, "use the memcached cache"},
    {"cache.connect_timeout", CFG_MS, F(cache_connect_timeout_ms), "50ms", 1, 5000,
     "memcached connect timeout"},
    {"cache.poll_timeout", CFG_MS, F(cache_poll_timeout_ms), "100ms", 1, 5000,
     "memcached I/O timeout"},
    {"cache.lease_wait", CFG_MS, F(cache_lease_wait_ms), "200ms", 1, 5000,
     "on a miss, how long a request waits for another request's load of the same entry "
     "before it reads the database itself"},
    {"cache.near", CFG_BOOL, F(cache_near), "on", 0, 0,
     "each web thread keeps a near copy of catalog entries (invalidated by every write)"},
    {"cache.near_peers", CFG_STR, F(cache_near_peers), "", 0, 2000,
     "every web node's base URL (http://host:port, comma-separated): writes tell each to drop "
     "its near copies"},
    {"cache.near_timeout", CFG_MS, F(cache_near_timeout_ms), "1s", 10, 30000,
     "how long a write waits for the nodes to confirm"},
    {"templates.dir", CFG_STR, F(templates_dir), "templates", 1, 255, "template directory"},
    {"static.manifest", CFG_STR, F(static_manifest), "build/release/static-dist/manifest.txt", 1,
     255, "asset manifest written by the build"},
    {"static.base_url", CFG_STR, F(static_base_url), "/static", 1, 255,
     "URL prefix of fingerprinted assets (a CDN origin in production)"},
    {"site.name", CFG_STR, F(site_name), "Stampede", 1, 60, "shop name shown on pages"},
    {"readyz.interval", CFG_MS, F(readyz_interval_ms), "500ms", 0, 60000,
     "how long a worker reuses its last dependency check"},
    {"security.secret", CFG_STR, F(secret), NULL, 32, 255,
     "key for CSRF tokens and device cookies (required; `up` generates one)"},
    {"session.idle_timeout", CFG_MS, F(session_idle_ms), "30m", 60000, 86400000,
     "a session ends after this long without requests"},
    {"session.absolute_timeout", CFG_MS, F(session_absolute_ms), "12h", 60000, 2592000000LL,
     "a session ends this long after sign-in"},
    {"auth.pwhash_opslimit", CFG_INT, F(pw_opslimit), "2", 1, 10,
     "argon2id passes (OWASP: 2 with 19 MiB)"},
    {"auth.pwhash_memlimit", CFG_BYTES, F(pw_memlimit), "19m", 8 << 20, 1 << 30,
     "argon2id memory (OWASP: 19 MiB with 2 passes)"},
    {"auth.password_min_bits", CFG_INT, F(password_min_bits), "28", 0, 128,
     "least guessing entropy of a new password by zxcvbn's estimate (28 bits: ~3e8 guesses)"},
    {"auth.hash_concurrency", CFG_INT, F(hash_concurrency), "2", 1, 64,
     "password hashes (argon2id) running at once on this node, over all its processes: about "
     "the node's cores"},
    {"auth.hash_queue", CFG_INT, F(hash_queue), "4", 0, 1000,
     "sign-ins and sign-ups that may wait for a hash; beyond that they are told to retry at once"},
    {"auth.hash_wait", CFG_MS, F(hash_wait_ms), "1s", 0, 30000,
     "longest wait for a hash before the answer is \"busy, retry\""},
    {"throttle.window", CFG_MS, F(throttle_window_ms), "15m", 1000, 86400000,
     "window in which failed sign-ins are counted"},
    {"throttle.pair_free", CFG_INT, F(throttle_pair_free), "5", 1, 1000,
     "failed sign-ins an account+address pair (or account+device) may make in the window before "
     "each further failure makes it wait (1, 2, 4 ... s)"},
    {"throttle.account_limit", CFG_INT, F(throttle_account_limit), "20", 1, 100000,
     "failures on one account in the window that mean it is under attack: new pairs get one "
     "free failure, not pair_free"},
    {"throttle.ip_limit", CFG_INT, F(throttle_ip_limit), "100", 1, 1000000,
     "failures from one address in the window that mean it is attacking: its pairs get one free "
     "failure"},
    {"throttle.max_delay", CFG_MS, F(throttle_max_delay_ms), "5m", 1000, 86400000,
     "the longest wait a pair's failures can build up"},
    {"cart.max_line", CFG_INT, F(cart_max_line), "10", 1, 99, "most pairs of one size in a cart"},
    {"checkout.hold_ttl", CFG_MS, F(hold_ttl_ms), "10m", 1000, 86400000,
     "how long an unpaid order holds its stock"},
    {"checkout.max_retries", CFG_INT, F(checkout_retries), "5", 0, 50,
     "retries of a checkout transaction after a deadlock or lock wait timeout"},
    {"drops.accounts_per_address", CFG_INT, F(drops_accounts_per_address), "3", 1, 100000,
     "accounts from one client address that may join one drop's queue or draw"},
    {"drops.account_rate", CFG_INT, F(drops_account_rate), "20", 0, 100000,
     "queue joins and draw entries one account may send per minute, over all drops (more: 429 "
     "too_many_tries; the place or entry is kept); 0: no limit"},
    {"drops.exempt_addresses", CFG_STR, F(drops_exempt_addresses), "", 0, 500,
     "client addresses (comma-separated) not counted by drops.accounts_per_address: a known "
     "shared address such as an office gateway (the test suite's 127.0.0.1)"},
    {"batch.drop_interval", CFG_MS, F(batch_drop_interval_ms), "250ms", 50, 60000,
     "how often the drop tick runs: queue admission, the pre-queue shuffle, draws and their "
     "roll-overs"},
    {"db.fresh_after_write", CFG_MS, F(db_fresh_after_write_ms), "5s", 0, 600000,
     "after a shopper's write, their reads go to the primary this long (read-your-writes "
     "across requests; at least the proxy's max_replication_lag); 0: never"},
    {"db.lock_wait", CFG_MS, F(db_lock_wait_ms), "2s", 1000, 60000,
     "bounded wait for a row lock (innodb_lock_wait_timeout, whole seconds)"},
    {"batch.host", CFG_STR, F(batch_host), "", 0, 100,
     "name of this host in job executions; empty: the system host name"},
    {"batch.lease_ttl", CFG_MS, F(batch_lease_ttl_ms), "30s", 2000, 3600000,
     "a job run's lease; a run silent for longer is considered dead"},
    {"batch.chunk_size", CFG_INT, F(batch_chunk), "100", 1, 10000, "items per committed chunk"},
    {"batch.skip_limit", CFG_INT, F(batch_skip_limit), "10", 0, 100000,
     "items a run may skip before it fails"},
    {"batch.expire_interval", CFG_MS, F(batch_expire_interval_ms), "2s", 200, 3600000,
     "how often the scheduler runs expire-holds"},
    {"batch.audit_interval", CFG_MS, F(batch_audit_interval_ms), "5m", 0, 86400000,
     "how often the scheduler runs audit-stock (0: never)"},
    {"batch.reconcile_interval", CFG_MS, F(batch_reconcile_interval_ms), "30s", 0, 86400000,
     "how often the scheduler runs reconcile-payments (0: never)"},
    {"batch.keep_noop", CFG_MS, F(batch_keep_noop_ms), "1h", 0, 31536000000LL,
     "the scheduler deletes executions of the frequent jobs (expire-holds, reconcile-payments) "
     "that found nothing to do once they are this old (0: keep them all)"},
    {"reconcile.min_age", CFG_MS, F(reconcile_min_age_ms), "5s", 0, 86400000,
     "a payment_unknown order this old is resolved by reconcile-payments (younger ones may "
     "still have their confirm in flight; resolving them is safe, only wasteful)"},
    {"reconcile.paid_window", CFG_MS, F(reconcile_paid_window_ms), "1h", 60000, 31536000000LL,
     "paid orders this recent are looked up at the gateway on every run (a capture refunded "
     "later is found by the captures step anyway)"},
    {"reconcile.captures_window", CFG_MS, F(reconcile_captures_window_ms), "24h", 0, 31536000000LL,
     "payments captured or refunded this recently are checked on every run (0: all of them)"},
    {"shop.public_url", CFG_STR, F(shop_public_url), "http://127.0.0.1:8080", 8, 200,
     "the shop's address as shoppers reach it (the gateway sends them back here)"},
    {"uploads.dir", CFG_STR, F(uploads_dir), "", 0, 400,
     "where product pictures uploaded by admins are written (served at /uploads/ by nginx); "
     "empty: uploads are off"},
    {"monitoring.prometheus_url", CFG_STR, F(prometheus_url), "", 0, 200,
     "Prometheus's HTTP API, read by the admin dashboard (empty: no dashboard)"},
    {"gateway.api_url", CFG_STR, F(gateway_api_url), "http://127.0.0.1:8090", 8, 200,
     "payment gateway server API"},
    {"gateway.checkout_url", CFG_STR, F(gateway_checkout_url), "http://127.0.0.1:8090/checkout", 8,
     200, "payment gateway hosted page (the shopper's browser goes there)"},
    {"gateway.secret_key", CFG_STR, F(gateway_secret_key), "", 0, 255,
     "merchant secret key (empty: payments are off)"},
    {"gateway.client_key", CFG_STR, F(gateway_client_key), "", 0, 255,
     "merchant client key for the hosted page"},
    {"gateway.webhook_secret", CFG_STR, F(gateway_webhook_secret), "", 0, 255,
     "secret the gateway signs webhooks with (empty: webhooks are refused)"},
    {"gateway.timeout", CFG_MS, F(gateway_timeout_ms), "10s", 200, 120000,
     "longest wait for a gateway answer; after it the outcome is unknown"},
    {"gateway.connect_timeout", CFG_MS, F(gateway_connect_timeout_ms), "2s", 50, 30000,
     "gateway connect timeout"},
    {"webhook.tolerance", CFG_MS, F(webhook_tolerance_ms), "5m", 1000, 3600000,
     "a webhook whose signed timestamp is further than this from now is refused (Stripe: 300 s)"},
    {"payment.return_ttl", CFG_MS, F(payment_return_ttl_ms), "1h", 60000, 86400000,
     "how long the signed return URLs given to the gateway stay valid"},
    /* stampede-autoscale: target tracking over HAProxy's view of the web nodes */
    {"autoscale.enabled", CFG_BOOL, F(autoscale_enabled), "on", 0, 0,
     "the autoscaler decides and acts; off: it keeps sampling and reporting (paused)"},
    {"autoscale.dry_run", CFG_BOOL, F(autoscale_dry_run), "off", 0, 0,
     "decide and log, but run no add/remove command"},
    {"autoscale.min", CFG_INT, F(autoscale_min), "1", 1, 64, "fewest UP web nodes"},
    {"autoscale.max", CFG_INT, F(autoscale_max), "4", 1, 64,
     "most web nodes in the backend (down ones included)"},
    {"autoscale.target", CFG_INT, F(autoscale_target), "8", 1, 100000,
     "the load per UP node to keep: requests in flight (sessions) + queued, per node"},
    {"autoscale.cpu_target", CFG_INT, F(autoscale_cpu_target), "80", 0, 100,
     "host CPU busy percent above which a rising load adds a node and no node is removed "
     "(0: CPU is not a signal)"},
    {"autoscale.scale_in_ratio", CFG_INT, F(autoscale_in_ratio), "50", 1, 100,
     "scale in only while the load stays below this percent of the target"},
    {"autoscale.interval", CFG_MS, F(autoscale_interval_ms), "2s", 200, 60000,
     "how often HAProxy and the CPU are sampled"},
    {"autoscale.window", CFG_MS, F(autoscale_window_ms), "30s", 1000, 3600000,
     "samples averaged for a scale-out"},
    {"autoscale.scale_out_cooldown", CFG_MS, F(autoscale_out_cooldown_ms), "20s", 0, 3600000,
     "after a scale-out (or a failed one), no further scale-out for this long"},
    {"autoscale.scale_in_cooldown", CFG_MS, F(autoscale_in_cooldown_ms), "2m", 0, 86400000,
     "after any scale-out or scale-in, no scale-in for this long"},
    {"autoscale.scale_in_window", CFG_MS, F(autoscale_in_window_ms), "60s", 1000, 86400000,
     "the load must have been low for this long (and sampled that long) before a scale-in"},
    {"autoscale.listen_host", CFG_STR, F(autoscale_listen_host), "127.0.0.1", 1, 64,
     "address of the autoscaler's status port (/metrics, /status)"},
    {"autoscale.listen_port", CFG_INT, F(autoscale_listen_port), "8190", 0, 65535,
     "the autoscaler's status port (0: none)"},
    {"autoscale.haproxy", CFG_STR, F(autoscale_haproxy), "var/run/haproxy.sock", 1, 255,
     "HAProxy's runtime API: a unix socket path or host:port (level admin not needed)"},
    {"autoscale.backend", CFG_STR, F(autoscale_backend), "be_web", 1, 64,
     "the HAProxy backend of the web nodes"},
    {"autoscale.add_command", CFG_STR, F(autoscale_add_command), "", 0, 400,
     "argv (split on spaces, no shell) that adds one node; `--reason TEXT` is appended; the "
     "last line of its output names the node (empty: cannot scale out)"},
    {"autoscale.remove_command", CFG_STR, F(autoscale_remove_command), "", 0, 400,
     "argv (split on spaces, no shell) that drains and removes one node; `--reason TEXT` is "
     "appended (empty: cannot scale in)"},
    {"autoscale.command_timeout", CFG_MS, F(autoscale_command_timeout_ms), "3m", 1000, 3600000,
     "an add/remove command running longer is stopped (TERM, then KILL) and counts as failed"},
    {"autoscale.status_url", CFG_STR, F(autoscale_status_url), "", 0, 200,
     "the autoscaler's status port as the admin pages reach it (http://host:port; empty: "
     "/admin/autoscale shows only the decision log)"},
};
const size_t appcfg_table_len = sizeof appcfg_table / sizeof appcfg_table[0];

int appcfg_load(struct appcfg *c, const char *path, struct buf *err)
{
    memset(c, 0, sizeof *c);
    return config_load(appcfg_table, appcfg_table_len, c, path, environ, err);
}

void appcfg_free(struct appcfg *c)
{
    config_free(appcfg_table, appcfg_table_len, c);
}

struct db_opts appcfg_db_opts(const struct appcfg *c)
{
    return (struct db_opts){
        .host = c->db_host,
        .port = (int)c->db_port,
        .user = c->db_user,
        .password = c->db_password,
        .name = c->db_name,
        .connect_timeout_ms = c->db_connect_timeout_ms,
        .read_timeout_ms = c->db_read_timeout_ms,
        .lock_wait_s = (c->db_lock_wait_ms + 999) / 1000,
    };
}

struct cache_opts appcfg_cache_opts(const struct appcfg *c, bool near)
{
    return (struct cache_opts){
        .servers = c->cache_servers,
        .enabled = c->cache_enabled,
        .connect_timeout_ms = c->cache_connect_timeout_ms,
        .poll_timeout_ms = c->cache_poll_timeout_ms,
        .retry_timeout_s = 2,
        .lease_wait_ms = c->cache_lease_wait_ms,
        .near = near && c->cache_near,
        .near_peers = c->cache_near_peers,
        .near_secret = c->secret,
        .near_timeout_ms = c->cache_near_timeout_ms,
    };
}

struct gateway_opts appcfg_gateway_opts(const struct appcfg *c)
{
    return (struct gateway_opts){
        .api_url = c->gateway_api_url,
        .checkout_url = c->gateway_checkout_url,
        .secret_key = c->gateway_secret_key,
        .client_key = c->gateway_client_key,
        .webhook_secret = c->gateway_webhook_secret,
        .timeout_ms = c->gateway_timeout_ms,
        .connect_timeout_ms = c->gateway_connect_timeout_ms,
    };
}

struct shop_rules appcfg_shop_rules(const struct appcfg *c)
{
    struct shop_rules r = {
        .cart_max_line = c->cart_max_line,
        .hold_ttl_s = c->hold_ttl_ms / 1000,
        .checkout_tries = c->checkout_retries + 1,
        .drop_accounts_per_address = c->drops_accounts_per_address,
        .drop_account_rate = c->drops_account_rate,
    };
    admission_key(str_from_cstr(c->secret ? c->secret : ""), r.admission_key);
    admission_ticket_key(str_from_cstr(c->secret ? c->secret : ""), r.ticket_key);
    return r;
}

size_t appcfg_schedule(const struct appcfg *c, struct appcfg_schedule out[APPCFG_SCHEDULED_MAX])
{
    const struct appcfg_schedule all[APPCFG_SCHEDULED_MAX] = {
        /* holds that ran out while the scheduler was down are released at once */
        {"expire-holds", c->batch_expire_interval_ms, true},
        {"reconcile-payments", c->batch_reconcile_interval_ms, false},
        {"audit-stock", c->batch_audit_interval_ms, false},
    };
    size_t n = 0;
    for (size_t i = 0; i < APPCFG_SCHEDULED_MAX; i++)
        if (all[i].interval_ms > 0)
            out[n++] = all[i];
    return n;
}

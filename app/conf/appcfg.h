/*
 * appcfg — configuration of the shop's processes (stampede-web, stampede-batch,
 * stampede-admin and stampede-autoscale): the directive table, the struct it fills, and the option
 * structs of the layers below built from it (database, cache, gateway, business rules). It sits
 * above the domain and below everything that runs it (front, batch, site, the executables), so no
 * executable reaches into a handler folder for its settings.
 *
 * One file (var/etc/stampede.conf, written by `stampede up`) is shared by every node; what
 * differs per node (name, socket, log, pid file) comes from STAMPEDE_CFG_* environment
 * overrides. `stampede-web --check` validates a configuration and the templates and exits.
 *
 * Memory: strings are owned by the struct (appcfg_free). Read-only once loaded.
 */
#ifndef STAMPEDE_CONF_APPCFG_H
#define STAMPEDE_CONF_APPCFG_H

#include "core/buf.h"
#include "cache/cache.h"
#include "core/config.h"
#include "db/db.h"
#include "shop/gateway.h"
#include "shop/shop.h"

#include <stdbool.h>
#include <stdint.h>

struct appcfg {
    char *node_name;
    char *node_url;
    char *listen;
    char *ops_listen;
    char *listen_owner;
    char *pid_file;
    char *log_file;
    char *log_level;
    int64_t processes;
    int64_t threads;
    int64_t drain_ms;
    int64_t stop_timeout_ms;
    int64_t body_max;
    int64_t max_params;
    int64_t resp_max;
    char *db_host;
    int64_t db_port;
    char *db_user;
    char *db_password;
    char *db_name;
    int64_t db_connect_timeout_ms;
    int64_t db_read_timeout_ms;
    char *cache_servers;
    bool cache_enabled;
    int64_t cache_connect_timeout_ms;
    int64_t cache_poll_timeout_ms;
    int64_t cache_lease_wait_ms;
    bool cache_near;
    char *cache_near_peers;
    int64_t cache_near_timeout_ms;
    char *templates_dir;
    char *static_manifest;
    char *static_base_url;
    char *site_name;
    int64_t readyz_interval_ms;
    char *secret;
    int64_t session_idle_ms;
    int64_t session_absolute_ms;
    int64_t pw_opslimit;
    int64_t pw_memlimit;
    int64_t password_min_bits;
    int64_t hash_concurrency;
    int64_t hash_queue;
    int64_t hash_wait_ms;
    int64_t throttle_window_ms;
    int64_t throttle_pair_free;
    int64_t throttle_ip_limit;
    int64_t throttle_account_limit;
    int64_t throttle_max_delay_ms;
    int64_t cart_max_line;
    int64_t hold_ttl_ms;
    int64_t checkout_retries;
    int64_t db_lock_wait_ms;
    int64_t db_fresh_after_write_ms;
    int64_t drops_accounts_per_address;
    int64_t drops_account_rate;
    char *drops_exempt_addresses;
    char *prometheus_url;
    char *uploads_dir;
    int64_t batch_drop_interval_ms;
    char *batch_host;
    int64_t batch_lease_ttl_ms;
    int64_t batch_chunk;
    int64_t batch_skip_limit;
    int64_t batch_expire_interval_ms;
    int64_t batch_audit_interval_ms;
    int64_t batch_reconcile_interval_ms;
    int64_t batch_keep_noop_ms;
    int64_t reconcile_min_age_ms;
    int64_t reconcile_paid_window_ms;
    int64_t reconcile_captures_window_ms;
    char *shop_public_url;
    char *gateway_api_url;
    char *gateway_checkout_url;
    char *gateway_secret_key;
    char *gateway_client_key;
    char *gateway_webhook_secret;
    int64_t gateway_timeout_ms;
    int64_t gateway_connect_timeout_ms;
    int64_t webhook_tolerance_ms;
    int64_t payment_return_ttl_ms;
    /* stampede-autoscale (app/autoscale, docs/OPERATIONS.md "The autoscaler") */
    bool autoscale_enabled;
    bool autoscale_dry_run;
    int64_t autoscale_min;
    int64_t autoscale_max;
    int64_t autoscale_target;
    int64_t autoscale_cpu_target;
    int64_t autoscale_in_ratio;
    int64_t autoscale_interval_ms;
    int64_t autoscale_window_ms;
    int64_t autoscale_out_cooldown_ms;
    int64_t autoscale_in_cooldown_ms;
    int64_t autoscale_in_window_ms;
    char *autoscale_listen_host;
    int64_t autoscale_listen_port;
    char *autoscale_haproxy;
    char *autoscale_backend;
    char *autoscale_add_command;
    char *autoscale_remove_command;
    int64_t autoscale_command_timeout_ms;
    char *autoscale_status_url;
};

extern const struct cfg_directive appcfg_table[];
extern const size_t appcfg_table_len;

/* appcfg_load: defaults, file, environment; ERR_CONFIG with a reason in err. */
int appcfg_load(struct appcfg *c, const char *path, struct buf *err);
void appcfg_free(struct appcfg *c);

/* The option structs of the layers below; strings point into c. */
struct db_opts appcfg_db_opts(const struct appcfg *c);
/* near: keep a near copy per thread (web threads) or only publish invalidations (tools) */
struct cache_opts appcfg_cache_opts(const struct appcfg *c, bool near);
struct gateway_opts appcfg_gateway_opts(const struct appcfg *c);
struct shop_rules appcfg_shop_rules(const struct appcfg *c);

/*
 * The batch jobs that stampede-batch's scheduler runs on a fixed interval, with the interval
 * of each (batch.*_interval). The scheduler runs them from this table; the web nodes export
 * it (stampede_batch_job_interval_seconds), so the alert on a job that has not succeeded
 * (BatchJobNotSucceeding) knows which jobs are due and when. A job that is off (interval 0)
 * and the jobs that are not scheduled (audit-payments, run by hand; drop-draw, run when a draw
 * is due) are not in it.
 */
#define APPCFG_SCHEDULED_MAX 3
struct appcfg_schedule {
    const char *job;
    int64_t interval_ms; /* > 0 */
    bool at_start;       /* the first run at start-up, not one interval later */
};
/* appcfg_schedule: fills out with the scheduled jobs (at most APPCFG_SCHEDULED_MAX), in the
 * order the scheduler tries them; the count. */
size_t appcfg_schedule(const struct appcfg *c, struct appcfg_schedule out[APPCFG_SCHEDULED_MAX]);

#endif

/*
 * webcfg — configuration of the application processes (stampede-web and stampede-batch):
 * the directive table and the struct it fills.
 *
 * One file (var/etc/stampede.conf, written by `stampede up`) is shared by every node; what
 * differs per node (name, socket, log, pid file) comes from STAMPEDE_CFG_* environment
 * overrides. `stampede-web --check` validates a configuration and the templates and exits.
 *
 * Memory: strings are owned by the struct (webcfg_free). Read-only once loaded.
 */
#ifndef STAMPEDE_WEB_WEBCFG_H
#define STAMPEDE_WEB_WEBCFG_H

#include "core/config.h"

#include <stdbool.h>
#include <stdint.h>

struct webcfg {
    char *node_name;
    char *listen;
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
    int64_t throttle_window_ms;
    int64_t throttle_ip_limit;
    int64_t throttle_account_limit;
    int64_t throttle_account_lock_ms;
    int64_t cart_max_line;
    int64_t hold_ttl_ms;
    int64_t checkout_retries;
    int64_t db_lock_wait_ms;
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
};

extern const struct cfg_directive webcfg_table[];
extern const size_t webcfg_table_len;

/* webcfg_load: defaults, file, environment; ERR_CONFIG with a reason in err. */
int webcfg_load(struct webcfg *c, const char *path, struct buf *err);
void webcfg_free(struct webcfg *c);

#endif

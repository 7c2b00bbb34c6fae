/* pspcfg — stampede-psp configuration directives; see psp.h. */
#include "psp.h"
#include "core/buf.h"

#include <stddef.h>
#include <string.h>

#define F(m) offsetof(struct psp_cfg, m)

const struct cfg_directive psp_cfg_table[] = {
    {"listen.host", CFG_STR, F(listen_host), "127.0.0.1", 1, 100, "address to listen on"},
    {"listen.port", CFG_INT, F(listen_port), "8090", 1, 65535, "TCP port of the sandbox"},
    {"pid_file", CFG_STR, F(pid_file), "", 0, 255, "pid file; empty: none"},
    {"log.file", CFG_STR, F(log_file), "-", 1, 255, "log file; - for stderr"},
    {"log.level", CFG_STR, F(log_level), "info", 1, 5, "debug, info, warn or error"},
    {"db.host", CFG_STR, F(db_host), "127.0.0.1", 1, 255, "MariaDB host"},
    {"db.port", CFG_INT, F(db_port), "3307", 1, 65535, "MariaDB port"},
    {"db.user", CFG_STR, F(db_user), "stampede_psp", 1, 80, "the sandbox's own account"},
    {"db.password", CFG_STR, F(db_password), NULL, 1, 255, "its password (required)"},
    {"db.name", CFG_STR, F(db_name), "stampede_psp", 1, 64, "the sandbox's own database"},
    {"db.connect_timeout", CFG_MS, F(db_connect_timeout_ms), "2s", 100, 60000,
     "database connect timeout"},
    {"db.read_timeout", CFG_MS, F(db_read_timeout_ms), "30s", 1000, 600000,
     "database read/write timeout"},
    {"db.lock_wait", CFG_MS, F(db_lock_wait_ms), "30s", 1000, 600000,
     "row lock wait (requests with one idempotency key queue on its row)"},
    {"psp.secret_key", CFG_STR, F(secret_key), NULL, 16, 255,
     "merchant secret key for the server API (HTTP Basic user, empty password)"},
    {"psp.client_key", CFG_STR, F(client_key), NULL, 16, 255,
     "merchant client key the hosted page accepts (public)"},
    {"psp.confirm_window", CFG_MS, F(confirm_window_ms), "10m", 1000, 86400000,
     "an authorized payment not confirmed within this expires"},
    {"psp.slow_ms", CFG_MS, F(slow_ms), "3s", 0, 600000,
     "how long the slow test card takes on the page and at confirm"},
    {"psp.workers", CFG_INT, F(workers), "48", 2, 1024,
     "requests served at once (each holds a database connection)"},
    {"psp.max_connections", CFG_INT, F(max_connections), "1024", 4, 65536,
     "open connections (one thread each)"},
    {"webhook.url", CFG_STR, F(webhook_url), "", 0, 500,
     "where events are POSTed (the shop's endpoint); empty: no webhooks"},
    {"webhook.secret", CFG_STR, F(webhook_secret), NULL, 16, 255, "HMAC-SHA256 signing secret"},
    {"webhook.retry_base", CFG_MS, F(webhook_retry_base_ms), "1s", 10, 3600000,
     "first retry delay; each later one is 4 times longer (Toss: 1, 4, 16 ... minutes)"},
    {"webhook.max_attempts", CFG_INT, F(webhook_max_attempts), "8", 1, 100,
     "deliveries of one event before giving up"},
    {"webhook.timeout", CFG_MS, F(webhook_timeout_ms), "5s", 100, 60000,
     "how long one delivery may take"},
    {"webhook.poll", CFG_MS, F(webhook_poll_ms), "100ms", 10, 60000,
     "how often the outbox is looked at"},
    {"templates.dir", CFG_STR, F(templates_dir), "templates", 1, 255,
     "template directory (the sandbox's pages are in psp/)"},
};
const size_t psp_cfg_table_len = sizeof psp_cfg_table / sizeof psp_cfg_table[0];

int psp_cfg_load(struct psp_cfg *c, const char *path, struct buf *err)
{
    memset(c, 0, sizeof *c);
    return config_load(psp_cfg_table, psp_cfg_table_len, c, path, NULL, err);
}

void psp_cfg_free(struct psp_cfg *c)
{
    config_free(psp_cfg_table, psp_cfg_table_len, c);
}

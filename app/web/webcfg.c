/* webcfg — stampede-web configuration table; see webcfg.h. */
#include "webcfg.h"

#include <stddef.h>
#include <string.h>

extern char **environ;

#define F(m) offsetof(struct webcfg, m)

const struct cfg_directive webcfg_table[] = {
    {"node.name", CFG_STR, F(node_name), "web", 1, 40, "node name in logs and headers"},
    {"listen", CFG_STR, F(listen), "var/run/web.sock", 1, 100, "FastCGI unix socket path"},
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
    {"templates.dir", CFG_STR, F(templates_dir), "templates", 1, 255, "template directory"},
    {"static.manifest", CFG_STR, F(static_manifest), "build/release/static-dist/manifest.txt", 1,
     255, "asset manifest written by the build"},
    {"static.base_url", CFG_STR, F(static_base_url), "/static", 1, 255,
     "URL prefix of fingerprinted assets (a CDN origin in production)"},
    {"site.name", CFG_STR, F(site_name), "Stampede", 1, 60, "shop name shown on pages"},
    {"readyz.interval", CFG_MS, F(readyz_interval_ms), "500ms", 0, 60000,
     "how long a worker reuses its last dependency check"},
};
const size_t webcfg_table_len = sizeof webcfg_table / sizeof webcfg_table[0];

int webcfg_load(struct webcfg *c, const char *path, struct buf *err)
{
    memset(c, 0, sizeof *c);
    return config_load(webcfg_table, webcfg_table_len, c, path, environ, err);
}

void webcfg_free(struct webcfg *c)
{
    config_free(webcfg_table, webcfg_table_len, c);
}

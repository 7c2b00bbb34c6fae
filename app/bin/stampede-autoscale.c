/*
 * stampede-autoscale — adds and removes web nodes from HAProxy's view of their load (target
 * tracking; see autoscale/policy.h and autoscale/scaler.h), with a status port for /metrics and
 * /status (autoscale/status.h).
 *
 *   stampede-autoscale [--config FILE]           run until SIGTERM/SIGINT
 *   stampede-autoscale [--config FILE] --once    one sample and decision, then print /status
 *
 * FILE defaults to $STAMPEDE_CONFIG, else var/etc/stampede.conf (the shop's file: the
 * autoscale.* keys, db.*, log.*). SIGHUP reads the file again (to pause: autoscale.enabled =
 * off, then kill -HUP). Exit status: 0 stopped, 3 cannot start (configuration, status port).
 */
#include "autoscale/run.h"
#include "autoscale/scaler.h"
#include "autoscale/status.h"
#include "conf/appcfg.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/statusd.h"
#include "db/db.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stopping, reload;
static volatile int stop_commands;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload = 1;
    else
        stopping = stop_commands = 1;
}

static int load(struct appcfg *c, const char *path)
{
    struct buf err;
    buf_init(&err, 4096);
    int rc = appcfg_load(c, path, &err);
    if (rc)
        fprintf(stderr, "stampede-autoscale: %s\n", buf_cstr(&err));
    buf_free(&err);
    return rc;
}

int main(int argc, char **argv)
{
    const char *config = getenv("STAMPEDE_CONFIG");
    bool once = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--once") == 0) {
            once = true;
        } else {
            fprintf(stderr, "usage: stampede-autoscale [--config FILE] [--once]\n");
            return 2;
        }
    }
    if (!config)
        config = "var/etc/stampede.conf";
    static struct appcfg cfgs[2];
    int cur = 0;
    if (load(&cfgs[cur], config)) {
        appcfg_free(&cfgs[cur]);
        return 3;
    }
    struct appcfg *cfg = &cfgs[cur];
    int level = log_level_parse(cfg->log_level);
    if (log_init("stampede-autoscale", "autoscale", cfg->log_file, level < 0 ? LOG_INFO : level)) {
        fprintf(stderr, "stampede-autoscale: cannot open log %s\n", cfg->log_file);
        appcfg_free(cfg);
        return 3;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    run_set_stop_flag(&stop_commands);
    char host[100];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    db_library_init();
    db_thread_init();
    struct scaler *s = scaler_new(cfg, host);
    struct statusd *sd = NULL;
    int rc = 0;
    if (!once && cfg->autoscale_listen_port > 0 &&
        statusd_start(cfg->autoscale_listen_host, cfg->autoscale_listen_port, status_answer, s,
                      &sd)) {
        rc = 3;
        goto out;
    }
    log_info("autoscale: running (min %lld, max %lld, target %lld per node, haproxy %s %s,%s "
             "status %s:%lld)",
             (long long)cfg->autoscale_min, (long long)cfg->autoscale_max,
             (long long)cfg->autoscale_target, cfg->autoscale_haproxy, cfg->autoscale_backend,
             cfg->autoscale_enabled ? (cfg->autoscale_dry_run ? " dry run," : "") : " PAUSED,",
             cfg->autoscale_listen_host, (long long)cfg->autoscale_listen_port);
    while (!stopping) {
        if (reload) {
            reload = 0;
            int next = 1 - cur;
            if (load(&cfgs[next], config) == 0) {
                scaler_apply(s, &cfgs[next]);
                appcfg_free(&cfgs[cur]);
                cur = next;
                cfg = &cfgs[cur];
                log_info("autoscale: configuration reloaded (%s)",
                         cfg->autoscale_enabled ? "enabled" : "paused");
            } else {
                appcfg_free(&cfgs[next]);
                log_error("autoscale: reload failed, the previous settings stay");
            }
        }
        int64_t t0 = clock_mono_ns();
        scaler_tick(s);
        if (once) {
            struct scaler_view v;
            struct buf b;
            buf_init(&b, STATUSD_BODY_MAX);
            scaler_view(s, &v);
            status_json(&v, &b);
            printf("%s\n", buf_cstr(&b));
            buf_free(&b);
            break;
        }
        int64_t left = cfg->autoscale_interval_ms - (clock_mono_ns() - t0) / 1000000;
        while (left > 0 && !stopping && !reload) {
            clock_sleep_ms(left > 100 ? 100 : left);
            left -= 100;
        }
    }
    log_info("autoscale: stopping");
out:
    statusd_stop(sd);
    scaler_free(s);
    db_thread_end();
    appcfg_free(&cfgs[cur]);
    return rc;
}

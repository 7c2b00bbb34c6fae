/*
 * stampede-dbproxy — the read/write-split proxy in front of MariaDB (see dbproxy/dbproxy.h).
 *
 *   stampede-dbproxy --config FILE            run until SIGTERM/SIGINT
 *   stampede-dbproxy --config FILE --check    validate the configuration, then exit
 *
 * SIGHUP reopens the log file. Exit status: 0 after a clean stop, 1 when it cannot start,
 * 2 usage.
 */
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"
#include "dbproxy/dbproxy.h"
#include "dbproxy/monitor.h"
#include "dbproxy/status.h"
#include "dbproxy/users.h"
#include "dbproxy/worker.h"

#include <mysql.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stopping, reopen;

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reopen = 1;
}

static void usage(FILE *f)
{
    fputs("usage: stampede-dbproxy --config FILE [--check]\n", f);
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    bool check = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--check") == 0) {
            check = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "stampede-dbproxy: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!config) {
        usage(stderr);
        return 2;
    }
    struct buf err;
    buf_init(&err, 4096);
    static struct dbproxy p;
    int rc = 1;
    bool started = false;
    if (dbproxy_load(&p, config, &err)) {
        fprintf(stderr, "stampede-dbproxy: %s\n", buf_cstr(&err));
        goto out;
    }
    if (check) {
        printf("stampede-dbproxy: configuration ok: %zu servers, port %lld\n", p.nservers,
               (long long)p.cfg.listen_port);
        rc = 0;
        goto out;
    }
    if (log_init("stampede-dbproxy", "dbproxy", p.cfg.log_file, log_level_parse(p.cfg.log_level))) {
        fprintf(stderr, "stampede-dbproxy: cannot open log %s\n", p.cfg.log_file);
        goto out;
    }
    if (sec_init()) {
        fprintf(stderr, "stampede-dbproxy: libsodium failed to initialise\n");
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    mysql_library_init(0, NULL, NULL);
    if (monitor_start(&p) != 0) {
        fprintf(stderr, "stampede-dbproxy: cannot start the monitor\n");
        goto out;
    }
    started = true;
    if (workers_start(&p) != 0 || status_start(&p) != 0) {
        fprintf(stderr, "stampede-dbproxy: cannot listen (see the log)\n");
        goto out;
    }
    if (p.cfg.pid_file[0]) {
        FILE *f = fopen(p.cfg.pid_file, "w");
        if (!f) {
            fprintf(stderr, "stampede-dbproxy: cannot write %s\n", p.cfg.pid_file);
            goto out;
        }
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    log_info("dbproxy: listening on %s:%lld (status %s:%lld), %zu servers, %lld threads,"
             " causal_reads=%s",
             p.cfg.listen_host, (long long)p.cfg.listen_port, p.cfg.status_host,
             (long long)p.cfg.status_port, p.nservers, (long long)p.cfg.threads,
             p.cfg.causal_reads);
    while (!stopping) {
        pause();
        if (reopen) {
            reopen = 0;
            log_reopen();
        }
    }
    log_info("dbproxy: stopping");
    rc = 0;
    if (p.cfg.pid_file[0])
        unlink(p.cfg.pid_file);
out:
    status_stop();
    workers_stop();
    if (started)
        monitor_stop();
    users_shutdown();
    dbproxy_free(&p);
    buf_free(&err);
    return rc;
}

/*
 * stampede-psp — the payment-gateway SANDBOX (see psp/psp.h). For development and tests only:
 * it moves no money and accepts only test cards.
 *
 *   stampede-psp --config FILE            run until SIGTERM/SIGINT
 *   stampede-psp --config FILE --check    validate configuration and templates, then exit
 *
 * Exit status: 0 after a clean stop, 1 when it cannot start, 2 usage.
 */
#include "core/err.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/sec.h"
#include "psp/psp.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int stopping;

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
}

static void usage(FILE *f)
{
    fputs("usage: stampede-psp --config FILE [--check]\n", f);
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
            fprintf(stderr, "stampede-psp: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!config) {
        usage(stderr);
        return 2;
    }
    http_init_json();
    struct buf err;
    buf_init(&err, 4096);
    static struct psp p;
    int rc = 1;
    if (psp_load(&p, config, &err)) {
        fprintf(stderr, "stampede-psp: %s\n", buf_cstr(&err));
        goto out;
    }
    if (check) {
        printf("stampede-psp: configuration ok: %zu routes, port %lld\n", psp_routes_len,
               (long long)p.cfg.listen_port);
        rc = 0;
        goto out;
    }
    if (log_init("stampede-psp", "psp", p.cfg.log_file, log_level_parse(p.cfg.log_level))) {
        fprintf(stderr, "stampede-psp: cannot open log %s\n", p.cfg.log_file);
        goto out;
    }
    if (sec_init()) {
        fprintf(stderr, "stampede-psp: libsodium failed to initialise\n");
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (p.cfg.pid_file[0]) {
        FILE *f = fopen(p.cfg.pid_file, "w");
        if (!f) {
            fprintf(stderr, "stampede-psp: cannot write %s\n", p.cfg.pid_file);
            goto out;
        }
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    rc = psp_run(&p, &stopping, &err);
    if (rc) {
        fprintf(stderr, "stampede-psp: %s\n", buf_cstr(&err));
        log_error("cannot start: %s", buf_cstr(&err));
    }
    if (p.cfg.pid_file[0])
        unlink(p.cfg.pid_file);
out:
    psp_unload(&p);
    buf_free(&err);
    return rc;
}

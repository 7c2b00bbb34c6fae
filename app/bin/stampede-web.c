/*
 * stampede-web — the shop's FastCGI application server (one per web node).
 *
 *   stampede-web --config FILE            run (master + worker processes; see http/server.h)
 *   stampede-web --config FILE --check    validate configuration and templates, then exit
 *   stampede-web --config FILE --print-config
 *
 * Configuration: FILE plus STAMPEDE_CFG_* environment overrides (see conf/appcfg.c).
 */
#include "core/log.h"
#include "core/buf.h"
#include "core/mem.h"
#include "site/site.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: stampede-web --config FILE [--check | --print-config]\n", f);
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    bool check = false, print = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--check") == 0) {
            check = true;
        } else if (strcmp(argv[i], "--print-config") == 0) {
            print = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "stampede-web: unknown argument '%s'\n", argv[i]);
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
    struct appcfg cfg;
    if (appcfg_load(&cfg, config, &err)) {
        fprintf(stderr, "stampede-web: %s\n", buf_cstr(&err));
        appcfg_free(&cfg);
        buf_free(&err);
        return 1;
    }
    if (print) {
        struct buf out;
        buf_init(&out, 1 << 16);
        config_print(appcfg_table, appcfg_table_len, &cfg, &out);
        fputs(buf_cstr(&out), stdout);
        buf_free(&out);
        appcfg_free(&cfg);
        buf_free(&err);
        return 0;
    }
    if (check) {
        struct http_service *svc = site_load((void *)config, &err);
        if (!svc) {
            fprintf(stderr, "stampede-web: %s\n", buf_cstr(&err));
            appcfg_free(&cfg);
            buf_free(&err);
            return 1;
        }
        const struct front *f = site_front(svc);
        printf("stampede-web: configuration ok: %zu routes, %zu assets, templates in %s\n",
               router_count(f->router), assets_count(f->assets), f->cfg.templates_dir);
        site_unload(svc);
        appcfg_free(&cfg);
        buf_free(&err);
        return 0;
    }

    int level = log_level_parse(cfg.log_level);
    if (log_init("stampede-web", cfg.node_name, cfg.log_file,
                 level < 0 ? LOG_INFO : (enum log_level)level)) {
        fprintf(stderr, "stampede-web: cannot open log file %s\n", cfg.log_file);
        appcfg_free(&cfg);
        buf_free(&err);
        return 1;
    }
    struct http_server_opts o = {
        .listen = cfg.listen,
        .ops_listen = *cfg.ops_listen ? cfg.ops_listen : NULL,
        .socket_owner = cfg.listen_owner,
        .pid_file = *cfg.pid_file ? cfg.pid_file : NULL,
        .node = cfg.node_name,
        .backlog = 4096,
        .processes = (int)cfg.processes,
        .threads = (int)cfg.threads,
        .drain_ms = cfg.drain_ms,
        .stop_timeout_ms = cfg.stop_timeout_ms,
        .limits = {(size_t)cfg.body_max, (size_t)cfg.max_params, 64},
        .resp_max = (size_t)cfg.resp_max,
        .arena_first = 64 * 1024,
        .arena_cap = 64 << 20,
    };
    struct http_service_ops ops = {site_load, site_unload, (void *)config};
    int rc = http_server_run(&o, &ops);
    appcfg_free(&cfg);
    buf_free(&err);
    return rc;
}

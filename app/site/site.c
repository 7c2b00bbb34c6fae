/* site — the composition of stampede-web; see site.h. */
#include "site/site.h"

#include "admin/admin.h"
#include "cache/cache.h"
#include "cache/near.h"
#include "core/gate.h"
#include "db/db.h"
#include "core/mem.h"
#include "ops/ops.h"
#include "shop/catalog.h"
#include "shop/drop.h"
#include "shop/nodes.h"
#include "web/web.h"

#include <string.h>

/* The handler folders of the shop, in routing order. */
static const struct front_module *const modules[] = {&web_module, &admin_module, &ops_module};
#define NMODULES (sizeof modules / sizeof modules[0])

/* routes: every module's routes in one table (the router and the metrics index it) */
static void collect_routes(struct front *f)
{
    size_t n = 0;
    for (size_t m = 0; m < NMODULES; m++)
        n += modules[m]->nroutes;
    f->routes = mem_calloc(n ? n : 1, sizeof *f->routes);
    for (size_t m = 0; m < NMODULES; m++) {
        memcpy(f->routes + f->nroutes, modules[m]->routes, modules[m]->nroutes * sizeof *f->routes);
        f->nroutes += modules[m]->nroutes;
    }
}

/* templates: front's own and every module's, compiled into one set */
static size_t add_views(struct tpl_binding *all, size_t k, const struct tpl_binding *v)
{
    for (; v && v->file; v++) {
        if (all)
            all[k] = *v;
        k++;
    }
    return k;
}

static int load_templates(struct front *f, struct buf *err)
{
    size_t n = add_views(NULL, 0, front_views);
    for (size_t m = 0; m < NMODULES; m++)
        n = add_views(NULL, n, modules[m]->views);
    struct tpl_binding *all = mem_calloc(n, sizeof *all);
    size_t k = add_views(all, 0, front_views);
    for (size_t m = 0; m < NMODULES; m++)
        k = add_views(all, k, modules[m]->views);
    struct tpl_assets ta = assets_tpl(f->assets);
    f->tpl = tpl_set_load(f->cfg.templates_dir, all, k, &ta, err);
    mem_free(all);
    if (!f->tpl)
        return -1;
    f->t_error = tpl_get(f->tpl, "error.html");
    return 0;
}

/* the node's membership (shop/nodes.h): beats while the node runs, leaves when it stops */
static void master_tick(void *ctx, int64_t now_ns)
{
    struct front *f = ctx;
    nodes_member_beat(&f->member, now_ns);
}

static void master_stop(void *ctx)
{
    struct front *f = ctx;
    nodes_member_leave(&f->member);
}

struct http_service *site_load(void *config_path, struct buf *err)
{
    struct front *f = mem_calloc(1, sizeof *f);
    if (front_init(f, config_path, err))
        goto fail;
    if (*f->cfg.node_url && strncmp(f->cfg.node_url, "http://", 7) != 0 &&
        strncmp(f->cfg.node_url, "https://", 8) != 0) {
        buf_printf(err, "node.url: '%s' is not an http:// or https:// base URL", f->cfg.node_url);
        goto fail;
    }
    collect_routes(f);
    if (load_templates(f, err))
        goto fail;
    f->router = router_new(f->routes, f->nroutes, err);
    if (!f->router)
        goto fail;
    /* shared memory (metrics, cache regions, the near-cache epoch, the password gate) is set
     * up here, in the master, before it forks */
    catalog_init();
    drop_init();
    if (f->cfg.cache_enabled && f->cfg.cache_near)
        near_node_init(!*f->cfg.node_url); /* with a node.url: a member once registered */
    front_metrics_init(f);
    if (f->cfg.cache_enabled)
        cache_metrics_init(f->cfg.cache_servers);
    db_metrics_init();
    web_drops_metrics();
    web_checkout_metrics();
    web_pay_metrics();
    ops_metrics_init();
    f->hash_gate = gate_new((int)f->cfg.hash_concurrency, (int)f->cfg.hash_queue);
    f->policy.hash_gate = f->hash_gate;
    f->svc.router = f->router;
    f->svc.hooks = &f->hooks;
    f->svc.ctx = f;
    f->svc.thread_start = front_thread_start;
    f->svc.thread_stop = front_thread_stop;
    f->member = (struct nodes_member){
        .db = appcfg_db_opts(&f->cfg), .name = f->cfg.node_name, .url = f->cfg.node_url};
    f->svc.master_tick = master_tick;
    f->svc.master_stop = master_stop;
    return &f->svc;
fail:
    front_free(f);
    mem_free(f);
    return NULL;
}

void site_unload(struct http_service *svc)
{
    struct front *f = svc->ctx;
    front_free(f);
    mem_free(f);
}

const struct front *site_front(const struct http_service *svc)
{
    return svc->ctx;
}

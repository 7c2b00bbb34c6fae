/* alerts — /admin/alerts: what the monitoring stack raised, firing first (shop/alerts.h). */
#include "admin/admin.h"

#include "shop/alerts.h"

#include <stddef.h>

#define ALERTS_PAGE_MAX 200

struct view_alert {
    int64_t id;
    struct str name, severity, status, summary, labels, starts_at, ends_at, updated_at;
};

struct view_admin_alerts {
    const struct view_layout *layout;
    struct tpl_list firing;   /* of struct view_alert */
    struct tpl_list resolved; /* of struct view_alert */
    int64_t firing_count;
};

static const struct tpl_field alert_fields[] = {
    TPL_FIELD(struct view_alert, id, TPL_I64),
    TPL_FIELD(struct view_alert, name, TPL_STR),
    TPL_FIELD(struct view_alert, severity, TPL_STR),
    TPL_FIELD(struct view_alert, status, TPL_STR),
    TPL_FIELD(struct view_alert, summary, TPL_STR),
    TPL_FIELD(struct view_alert, labels, TPL_STR),
    TPL_FIELD(struct view_alert, starts_at, TPL_STR),
    TPL_FIELD(struct view_alert, ends_at, TPL_STR),
    TPL_FIELD(struct view_alert, updated_at, TPL_STR),
};
static const struct tpl_schema alert_schema = TPL_SCHEMA(alert, alert_fields);

static const struct tpl_field admin_alerts_fields[] = {
    TPL_NESTED(struct view_admin_alerts, layout, TPL_OBJ, view_layout_schema),
    TPL_NESTED(struct view_admin_alerts, firing, TPL_LIST, alert_schema),
    TPL_NESTED(struct view_admin_alerts, resolved, TPL_LIST, alert_schema),
    TPL_FIELD(struct view_admin_alerts, firing_count, TPL_I64),
};
const struct tpl_schema admin_alerts_schema = TPL_SCHEMA(admin_alerts, admin_alerts_fields);

void admin_alerts(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct alerts_row *rows;
    size_t n;
    int rc = alerts_list(&s, ALERTS_PAGE_MAX, &rows, &n);
    if (rc) {
        front_fail(x, rc);
        return;
    }
    struct view_alert *f = arena_calloc(x->arena, n + 1, sizeof *f);
    struct view_alert *r = arena_calloc(x->arena, n + 1, sizeof *r);
    size_t nf = 0, nr = 0;
    for (size_t i = 0; i < n; i++) {
        const struct alerts_row *a = &rows[i];
        struct view_alert v = {a->id,     a->name,      a->severity, a->status,    a->summary,
                               a->labels, a->starts_at, a->ends_at,  a->updated_at};
        if (a->firing)
            f[nf++] = v;
        else
            r[nr++] = v;
    }
    struct view_admin_alerts *v = arena_calloc(x->arena, 1, sizeof *v);
    v->firing = (struct tpl_list){f, nf, sizeof *f};
    v->resolved = (struct tpl_list){r, nr, sizeof *r};
    v->firing_count = (int64_t)nf;
    v->layout = front_layout(x, STR("Alerts"));
    x->resp.status = 200;
    front_render(x, "admin/alerts.html", v);
}

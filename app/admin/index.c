/* index — /admin: where every admin page is, and the latest changes from the audit log. */
#include "admin/admin.h"

#include "core/err.h"
#include "core/log.h"
#include "shop/audit.h"

void admin_audit(struct http_ex *x, const char *action, struct str target, struct str detail)
{
    struct shop_ctx s = front_shop(x);
    int rc = audit_write(&s, front_req(x)->session.email, action, target, detail);
    if (rc)
        log_warn("admin audit row not written (%s %.*s by %.*s): %s", action, STR_FMT(target),
                 STR_FMT(front_req(x)->session.email), err_str(rc));
}

void admin_index(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct audit_row *rows;
    size_t n;
    int rc = audit_list(&s, STR_NULL, 50, &rows, &n);
    if (rc) {
        front_fail(x, rc);
        return;
    }
    struct view_admin_audit_row *v = arena_calloc(x->arena, n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = (struct view_admin_audit_row){rows[i].at, rows[i].actor, rows[i].action,
                                             rows[i].target, rows[i].detail};
    struct view_admin_index *page = arena_calloc(x->arena, 1, sizeof *page);
    page->audit = (struct tpl_list){v, n, sizeof *v};
    page->layout = front_layout(x, STR("Admin"));
    front_render(x, "admin/index.html", page);
}

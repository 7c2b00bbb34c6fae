/* audit — the admin audit log; see audit.h. */
#include "audit.h"

#include "shop/session.h"

static const struct db_stmt q_write = {
    "audit_write", "INSERT INTO admin_audit (actor, action, target, detail) VALUES (?, ?, ?, ?)",
    0};

static const struct db_stmt q_list = {
    "audit_list",
    "SELECT id, DATE_FORMAT(at, '%Y-%m-%dT%H:%i:%sZ'), actor, action, target, detail"
    "  FROM admin_audit WHERE (? = '' OR target = ?) ORDER BY id DESC LIMIT ?",
    DB_IDEMPOTENT};

int audit_write(struct shop_ctx *c, struct str actor, const char *action, struct str target,
                struct str detail)
{
    struct db_val v[] = {DB_S(session_clip(c->arena, actor, 254)), DB_CS(action),
                         DB_S(session_clip(c->arena, target, 80)),
                         DB_S(session_clip(c->arena, detail, AUDIT_DETAIL_MAX))};
    return db_exec(c->db, &q_write, v, 4, c->arena, NULL);
}

int audit_list(struct shop_ctx *c, struct str target, int64_t limit, struct audit_row **out,
               size_t *n)
{
    struct db_result r;
    struct db_val v[] = {DB_S(target), DB_S(target), DB_I(limit)};
    int rc = db_exec(c->db, &q_list, v, 3, c->arena, &r);
    if (rc)
        return rc;
    *out = arena_calloc(c->arena, r.nrows + 1, sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        (*out)[i] = (struct audit_row){db_int(&r, i, 0),  db_text(&r, i, 1), db_text(&r, i, 2),
                                       db_text(&r, i, 3), db_text(&r, i, 4), db_text(&r, i, 5)};
    *n = r.nrows;
    return 0;
}

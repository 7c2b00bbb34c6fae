/* nodes — the membership of web nodes; see nodes.h. */
#include "shop/nodes.h"

#include "cache/l2.h"
#include "cache/near.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"

static const struct db_stmt q_members = {
    "nodes_members",
    "SELECT url FROM web_nodes WHERE seen_at >= NOW(6) - INTERVAL 30 SECOND ORDER BY name",
    DB_IDEMPOTENT | DB_PRIMARY};
static const struct db_stmt q_join = {
    "nodes_join",
    "INSERT INTO web_nodes (name, url, started_at, seen_at) VALUES (?, ?, NOW(6), NOW(6)) "
    "ON DUPLICATE KEY UPDATE url = VALUES(url), started_at = NOW(6), seen_at = NOW(6)",
    0};
static const struct db_stmt q_beat = {
    "nodes_beat", "UPDATE web_nodes SET seen_at = NOW(6) WHERE name = ? AND url = ?", 0};
static const struct db_stmt q_leave = {"nodes_leave", "DELETE FROM web_nodes WHERE name = ?", 0};
/* rows of nodes that died long ago: nobody publishes to them any more; keep the table short */
static const struct db_stmt q_forget = {
    "nodes_forget", "DELETE FROM web_nodes WHERE seen_at < NOW(6) - INTERVAL 1 DAY", 0};

int nodes_urls(struct db *db, struct arena *a, const char **out)
{
    struct db_result r;
    *out = "";
    int rc = db_exec(db, &q_members, NULL, 0, a, &r);
    if (rc)
        return rc;
    struct buf b;
    buf_init(&b, 64 * 1024);
    for (size_t i = 0; i < r.nrows; i++) {
        if (i)
            buf_append_char(&b, ',');
        buf_append_str(&b, db_text(&r, i, 0));
    }
    if (b.overflow) {
        buf_free(&b);
        return ERR_NOMEM;
    }
    *out = arena_strndup(a, buf_cstr(&b), b.len);
    buf_free(&b);
    return 0;
}

int nodes_publish(struct shop_ctx *ctx)
{
    const char *urls;
    int rc = nodes_urls(ctx->db, ctx->arena, &urls);
    if (rc) {
        log_warn("near cache: cannot read the web nodes (%s); only the configured peers are "
                 "told, the others' near copies live until their TTL",
                 err_str(rc));
        return l2_publish(ctx->cache, NULL) + 1;
    }
    return l2_publish(ctx->cache, urls);
}

/* ---------------------------------------------------------------- a node's own membership */

void nodes_member_beat(struct nodes_member *m, int64_t now_ns)
{
    if (!m->url || !*m->url || now_ns < m->next_beat_ns)
        return;
    m->next_beat_ns = now_ns + (int64_t)NODES_BEAT_S * 1000000000;
    struct db *db = db_new(&m->db);
    struct db_val p[] = {DB_CS(m->name), DB_CS(m->url)};
    struct db_result r = {0};
    int rc = 0;
    if (m->joined) {
        rc = db_exec(db, &q_beat, p, 2, NULL, &r);
        if (rc == 0 && r.affected == 0) /* our row is gone (removed by hand): join again */
            m->joined = false;
    }
    if (rc == 0 && !m->joined) {
        rc = db_exec(db, &q_join, p, 2, NULL, NULL);
        if (rc == 0)
            (void)db_exec(db, &q_forget, NULL, 0, NULL, NULL);
    }
    db_free(db);
    if (rc == 0) {
        if (!m->joined || m->last_ok_ns == 0)
            log_info("nodes: %s joined as %s", m->name, m->url);
        else if (now_ns - m->last_ok_ns > (int64_t)NODES_ALIVE_S * 500000000)
            log_info("nodes: %s is listed again; keeping near copies again", m->name);
        m->joined = true;
        m->last_ok_ns = now_ns; /* sent before it committed: a conservative start */
        near_set_member(true);
        return;
    }
    /* writers forget a node NODES_ALIVE_S after its last beat: stop keeping near copies well
     * before that */
    if (m->last_ok_ns && now_ns - m->last_ok_ns > (int64_t)NODES_ALIVE_S * 500000000) {
        if (near_set_member(false))
            log_warn("nodes: %s could not beat for %d s (%s); near copies dropped until it can",
                     m->name, NODES_ALIVE_S / 2, err_str(rc));
    } else {
        log_warn("nodes: %s could not beat (%s); retrying", m->name, err_str(rc));
    }
    m->next_beat_ns = now_ns + 1000000000LL; /* try again soon */
}

void nodes_member_leave(struct nodes_member *m)
{
    if (!m->url || !*m->url)
        return;
    near_set_member(false);
    struct db *db = db_new(&m->db);
    struct db_val p[] = {DB_CS(m->name)};
    int rc = db_exec(db, &q_leave, p, 1, NULL, NULL);
    db_free(db);
    if (rc)
        log_warn("nodes: %s could not leave (%s); writers skip it after %d s", m->name, err_str(rc),
                 NODES_ALIVE_S);
    else
        log_info("nodes: %s left", m->name);
    m->joined = false;
}

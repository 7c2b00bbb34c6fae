/* alerts — the monitoring stack's alerts, recorded and listed; see alerts.h. */
#include "alerts.h"

#include <cjson/cJSON.h>
#include <string.h>

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

/* Alertmanager's times are RFC 3339 in UTC ("2026-01-02T03:04:05.678Z"): the first 19
 * characters are the second. A resolved episode never goes back to firing. */
static const struct db_stmt q_upsert = {
    "alerts_upsert",
    "INSERT INTO alerts (fingerprint, starts_at, ends_at, name, severity, status, summary,"
    "                    labels, annotations)"
    " VALUES (?, STR_TO_DATE(?, '%Y-%m-%dT%H:%i:%s'), STR_TO_DATE(?, '%Y-%m-%dT%H:%i:%s'),"
    "         ?, ?, ?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE"
    "   ends_at = IF(status = 'resolved', ends_at, VALUES(ends_at)),"
    "   status = IF(status = 'resolved', status, VALUES(status)),"
    "   summary = VALUES(summary), annotations = VALUES(annotations)",
    DB_IDEMPOTENT};

static struct str json_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && v->valuestring ? str_from_cstr(v->valuestring) : STR_NULL;
}

static struct str clip(struct str s, size_t max)
{
    if (s.len > max)
        s.len = max;
    return s;
}

/* the object printed as JSON into the arena ("{}" when absent) */
static struct str json_text(struct arena *a, const cJSON *o)
{
    if (!cJSON_IsObject(o))
        return STR("{}");
    char *p = cJSON_PrintUnformatted(o);
    if (!p)
        return STR("{}");
    struct str s = {arena_strndup(a, p, strlen(p)), strlen(p)};
    cJSON_free(p);
    return clip(s, 60000);
}

static bool rfc3339(struct str s)
{
    if (s.len < 19 || s.p[4] != '-' || s.p[10] != 'T')
        return false;
    return !(s.len >= 4 && memcmp(s.p, "0001", 4) == 0); /* Go's zero time: not set */
}

int alerts_record(struct shop_ctx *c, struct str body, size_t *n)
{
    *n = 0;
    cJSON *root = cJSON_ParseWithLength(body.p ? body.p : "", body.len);
    if (!root)
        return SHOP_INVALID_ACTION;
    int rc = 0;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "alerts");
    if (!cJSON_IsArray(list)) {
        rc = SHOP_INVALID_ACTION;
        goto out;
    }
    const cJSON *al;
    cJSON_ArrayForEach(al, list)
    {
        if (*n >= ALERTS_PER_NOTIFICATION_MAX)
            break;
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(al, "labels");
        const cJSON *ann = cJSON_GetObjectItemCaseSensitive(al, "annotations");
        struct str fp = json_str(al, "fingerprint"), status = json_str(al, "status");
        struct str starts = json_str(al, "startsAt"), ends = json_str(al, "endsAt");
        struct str name = json_str(labels, "alertname");
        if (fp.len == 0 || fp.len > 64 || name.len == 0 || !rfc3339(starts) ||
            !(str_eq_cstr(status, "firing") || str_eq_cstr(status, "resolved"))) {
            rc = SHOP_INVALID_ACTION;
            goto out;
        }
        bool resolved = str_eq_cstr(status, "resolved");
        struct str severity = json_str(labels, "severity");
        struct db_val v[] = {
            DB_S(fp),
            DB_S(clip(starts, 19)),
            resolved && rfc3339(ends) ? DB_S(clip(ends, 19)) : DB_NULLV,
            DB_S(clip(name, 200)),
            DB_S(severity.len ? clip(severity, 32) : STR("none")),
            DB_S(status),
            DB_S(clip(json_str(ann, "summary"), 1000)),
            DB_S(json_text(c->arena, labels)),
            DB_S(json_text(c->arena, ann)),
        };
        if ((rc = db_exec(c->db, &q_upsert, v, sizeof v / sizeof v[0], c->arena, NULL)))
            goto out;
        (*n)++;
    }
out:
    cJSON_Delete(root);
    return rc;
}

static const struct db_stmt q_list = {
    "alerts_list",
    "SELECT id, fingerprint, name, severity, status, summary, labels, annotations,"
    "       " ISO("starts_at") ", COALESCE(" ISO("ends_at") ", ''), " ISO(
        "updated_at") "  FROM alerts ORDER BY status = 'firing' DESC, starts_at DESC, id DESC "
                      "LIMIT ?",
    DB_IDEMPOTENT};

int alerts_list(struct shop_ctx *c, int64_t limit, struct alerts_row **rows, size_t *n)
{
    if (limit < 1 || limit > 1000)
        limit = 1000;
    struct db_val v[] = {DB_I(limit)};
    struct db_result r;
    int rc = db_exec(c->db, &q_list, v, 1, c->arena, &r);
    if (rc)
        return rc;
    *rows = arena_calloc(c->arena, r.nrows + 1, sizeof **rows);
    *n = r.nrows;
    for (size_t i = 0; i < r.nrows; i++) {
        struct str status = db_text(&r, i, 4);
        (*rows)[i] = (struct alerts_row){
            .id = db_int(&r, i, 0),
            .fingerprint = db_text(&r, i, 1),
            .name = db_text(&r, i, 2),
            .severity = db_text(&r, i, 3),
            .status = status,
            .summary = db_text(&r, i, 5),
            .labels = db_text(&r, i, 6),
            .annotations = db_text(&r, i, 7),
            .starts_at = db_text(&r, i, 8),
            .ends_at = db_text(&r, i, 9),
            .updated_at = db_text(&r, i, 10),
            .firing = str_eq_cstr(status, "firing"),
        };
    }
    return 0;
}

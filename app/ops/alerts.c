/*
 * alerts — POST /__internal/alerts: Alertmanager's webhook (monitoring/alertmanager.yml.in).
 * Internal like the near-cache invalidations: nginx answers 404 to anything that came through
 * HAProxy (which denies /__internal/ itself), and the sender must carry
 * "Authorization: Bearer <token>", the token being hex HMAC-SHA256(security.secret,
 * "alerts-webhook") (tools/stampede/monitoring.sh writes the same for Alertmanager).
 * Stored by shop/alerts.h; a 5xx makes Alertmanager retry the notification.
 */
#include "ops/ops.h"

#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"
#include "shop/alerts.h"

#include <cjson/cJSON.h>
#include <string.h>

#define ALERTS_WHAT "alerts-webhook"

/* json_error: the sender is a machine, so its answers are JSON whatever it accepts */
static void json_error(struct http_ex *x, int status, const char *code, const char *message)
{
    x->error_code = code;
    cJSON *root = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", message);
    http_resp_json(x, status, root);
}

static bool authorised(struct http_ex *x)
{
    struct str secret = str_from_cstr(front_cfg(x)->secret);
    struct str auth = http_param_str(x, "Authorization"); /* declared: routes.c */
    if (secret.len == 0 || auth.len < 7 || memcmp(auth.p, "Bearer ", 7) != 0)
        return false;
    uint8_t mac[SEC_SHA256_LEN];
    sec_hmac_sha256(mac, secret, ALERTS_WHAT, strlen(ALERTS_WHAT));
    struct str want = sec_hex(x->arena, mac, sizeof mac);
    return sec_equal(want, (struct str){auth.p + 7, auth.len - 7});
}

void ops_alerts(struct http_ex *x)
{
    if (!authorised(x)) {
        json_error(x, 403, "bad_token", "The alert notification is not authorised.");
        return;
    }
    struct shop_ctx s = front_shop(x);
    size_t n = 0;
    int rc = alerts_record(&s, x->req.body, &n);
    if (rc > 0) {
        json_error(x, 400, "bad_notification", "This is not an Alertmanager notification.");
        return;
    }
    if (rc < 0) {
        log_warn("alerts: a notification could not be stored (%s); Alertmanager retries",
                 err_str(rc));
        json_error(x, 503, "try_later", "The alerts could not be stored now.");
        return;
    }
    log_info("alerts: %zu alert(s) recorded", n);
    buf_reset(x->resp.body);
    x->resp.status = 204;
}

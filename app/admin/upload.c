/*
 * upload — a product picture uploaded by an admin: PUT /admin/products/{id}/picture with the
 * image's bytes as the body (Content-Type image/png, image/jpeg or image/webp; the admin page
 * sends it with static/js/admin.js). The bytes must be what they claim (magic numbers) and at
 * most http.body_max; the file is named by its SHA-256 (so the same picture is stored once and
 * a name never changes content), written atomically under uploads.dir, served by nginx at
 * /uploads/, and becomes the product's picture (audited, caches forgotten).
 *
 * A raw body carries no form field, so the CSRF token comes in the X-CSRF-Token header and is
 * compared here (the route is FRONT_NO_CSRF for the generic check only).
 */
#include "admin/admin.h"

#include "core/err.h"
#include "core/sec.h"
#include "shop/catalog.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *kind(struct str b, struct str ctype)
{
    const unsigned char *p = (const unsigned char *)b.p;
    if (b.len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return str_case_eq_cstr(ctype, "image/png") ? "png" : NULL;
    if (b.len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return str_case_eq_cstr(ctype, "image/jpeg") ? "jpg" : NULL;
    if (b.len >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
        return str_case_eq_cstr(ctype, "image/webp") ? "webp" : NULL;
    return NULL;
}

static int write_file(const char *dir, const char *name, struct str b)
{
    char tmp[600], final[600];
    snprintf(final, sizeof final, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.%d", dir, name, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < b.len) {
        ssize_t n = write(fd, b.p + off, b.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, final) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

void admin_product_picture(struct http_ex *x)
{
    const struct appcfg *cfg = front_cfg(x);
    if (!sec_equal(http_param_str(x, "X-CSRF-Token"), front_csrf_token(x))) {
        http_resp_error(x, 403, "csrf", "This form has expired. Reload the page and try again.");
        return;
    }
    if (!cfg->uploads_dir || !*cfg->uploads_dir) {
        http_resp_error(x, 503, "uploads_off", "Picture uploads are not configured here.");
        return;
    }
    struct str ctype = str_trim(x->req.content_type);
    const char *ext = kind(x->req.body, ctype);
    if (!ext) {
        http_resp_error(x, 415, "invalid_picture",
                        "Send a PNG, JPEG or WebP picture whose bytes match its type.");
        return;
    }
    struct shop_ctx s = front_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    struct catalog_product_edit e;
    int rc = catalog_product_for_edit(&s, id, &e);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    uint8_t h[SEC_SHA256_LEN];
    sec_sha256(h, x->req.body.p, x->req.body.len);
    char name[80];
    int n = snprintf(name, sizeof name, "p-");
    for (int i = 0; i < 16; i++)
        n += snprintf(name + n, sizeof name - (size_t)n, "%02x", h[i]);
    snprintf(name + n, sizeof name - (size_t)n, ".%s", ext);
    if (write_file(cfg->uploads_dir, name, x->req.body) != 0) {
        front_fail(x, ERR_INTERNAL);
        return;
    }
    e.image = str_from_cstr(arena_sprintf(x->arena, "uploads/%s", name));
    e.slug = STR_NULL;
    struct shop_problem problem = {0};
    rc = catalog_product_save(&s, id, &e, front_req(x)->session.email, NULL, &problem);
    if (rc) {
        front_answer(x, rc, &problem);
        return;
    }
    admin_audit(x, "picture_upload",
                str_from_cstr(arena_sprintf(x->arena, "product:%lld", (long long)id)), e.image);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "image", arena_cstr(x->arena, e.image));
    cJSON_AddStringToObject(o, "url", arena_cstr(x->arena, front_asset_url(x, e.image)));
    http_resp_json(x, 200, o);
}

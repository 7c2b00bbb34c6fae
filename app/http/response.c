/* response — building and serializing a response; see http.h. */
#include "http.h"

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"

#include <cjson/cJSON.h>
#include <string.h>

const char *http_status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    }
    return "Unknown";
}

static bool header_safe(struct str s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] == '\r' || s.p[i] == '\n' || s.p[i] == '\0')
            return false;
    return true;
}

void http_resp_header(struct http_ex *x, const char *name, struct str value)
{
    if (!header_safe(value) || !header_safe(str_from_cstr(name))) {
        log_warn("dropped response header %s: contains CR, LF or NUL", name);
        return;
    }
    buf_append_cstr(x->resp.head, name);
    buf_append(x->resp.head, ": ", 2);
    buf_append_str(x->resp.head, value);
    buf_append(x->resp.head, "\r\n", 2);
}

void http_resp_cookie(struct http_ex *x, const char *name, struct str value,
                      const struct http_cookie_opts *o)
{
    struct buf *h = x->resp.head;
    if (!header_safe(value))
        return;
    buf_printf(h, "Set-Cookie: %s=", name);
    buf_append_str(h, value);
    buf_append_cstr(h, "; Path=/");
    if (o->max_age == 0)
        buf_append_cstr(h, "; Max-Age=0");
    else if (o->max_age > 0)
        buf_printf(h, "; Max-Age=%lld", (long long)o->max_age);
    if (o->http_only)
        buf_append_cstr(h, "; HttpOnly");
    if (o->secure || x->req.https)
        buf_append_cstr(h, "; Secure");
    if (o->same_site)
        buf_printf(h, "; SameSite=%s", o->same_site);
    buf_append(h, "\r\n", 2);
}

void http_resp_json(struct http_ex *x, int status, cJSON *root)
{
    buf_reset(x->resp.body);
    x->resp.status = status;
    x->resp.content_type = "application/json";
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!s) {
        x->resp.body->overflow = true;
        return;
    }
    buf_append_cstr(x->resp.body, s);
    cJSON_free(s);
}

void http_resp_text(struct http_ex *x, int status, struct str text)
{
    buf_reset(x->resp.body);
    x->resp.status = status;
    x->resp.content_type = "text/plain; charset=utf-8";
    buf_append_str(x->resp.body, text);
}

void http_resp_redirect(struct http_ex *x, int status, struct str location)
{
    buf_reset(x->resp.body);
    x->resp.status = status;
    http_resp_header(x, "Location", location);
}

void http_resp_error(struct http_ex *x, int status, const char *code, const char *message)
{
    x->error_code = code;
    x->resp.cache_max_age = -1;
    if (http_wants_json(x) || !x->hooks || !x->hooks->error_page) {
        cJSON *root = cJSON_CreateObject();
        cJSON *err = cJSON_AddObjectToObject(root, "error");
        cJSON_AddStringToObject(err, "code", code);
        cJSON_AddStringToObject(err, "message", message);
        http_resp_json(x, status, root);
        return;
    }
    buf_reset(x->resp.body);
    x->resp.status = status;
    x->hooks->error_page(x, status, code, message);
}

void http_resp_serialize(const struct http_ex *x, struct buf *out)
{
    const struct http_resp *r = &x->resp;
    buf_printf(out, "Status: %d %s\r\n", r->status, http_status_text(r->status));
    if (r->status != 204 && r->status != 304) {
        buf_printf(out, "Content-Type: %s\r\nContent-Length: %zu\r\n", r->content_type,
                   r->body->len);
    }
    if (r->cache_max_age >= 0)
        buf_printf(out, "Cache-Control: public, max-age=%lld\r\n", (long long)r->cache_max_age);
    else
        buf_append_cstr(out, "Cache-Control: no-store\r\n");
    if (x->req.request_id.len && header_safe(x->req.request_id)) {
        buf_append_cstr(out, "X-Request-Id: ");
        buf_append_str(out, x->req.request_id);
        buf_append(out, "\r\n", 2);
    }
    if (x->hooks && x->hooks->extra_headers)
        buf_append_cstr(out, x->hooks->extra_headers);
    if (x->hooks && x->hooks->https_headers && x->req.https)
        buf_append_cstr(out, x->hooks->https_headers);
    buf_append_str(out, buf_str(r->head));
    buf_append(out, "\r\n", 2);
}

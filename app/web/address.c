/*
 * address — the shopper's shipping address: the form at /account/address and its JSON twin
 * (GET and PUT /api/v1/account/address). Both call the domain's address_get and address_put
 * (shop/address.h), which check the Korean format; a refusal names every wrong field: beside
 * the field on the form, in error.fields of the JSON answer.
 */
#include "web/web.h"

#include "shop/address.h"

#include <cjson/cJSON.h>

/* web_view_ship: an address as the pages show it (NULL or empty fields: none) */
const struct view_ship *web_view_ship(struct http_ex *x, const struct address *a)
{
    struct view_ship *v = arena_calloc(x->arena, 1, sizeof *v);
    if (!a || a->recipient.len == 0)
        return v;
    *v = (struct view_ship){true, a->recipient, a->phone, a->postcode, a->address, a->detail};
    return v;
}

/* from_params: the address as the request gave it (missing fields empty) */
static struct address from_params(struct http_ex *x)
{
    return (struct address){
        http_param_str(x, "recipient"), http_param_str(x, "phone"),  http_param_str(x, "postcode"),
        http_param_str(x, "address"),   http_param_str(x, "detail"), STR_NULL,
    };
}

static int put(struct http_ex *x, struct address *saved, struct address_errors *errs)
{
    struct shop_ctx s = front_shop(x);
    struct address in = from_params(x);
    return address_put(&s, front_req(x)->session.account_id, &in, saved, errs);
}

/* ---------------------------------------------------------------- the page */

/* next_of: the local path to return to, or empty (never another site: front_safe_next) */
static struct str next_of(struct http_ex *x)
{
    struct str next = http_param_str(x, "next");
    if (next.len == 0)
        return STR_NULL;
    next = front_safe_next(next);
    return str_eq_cstr(next, "/") ? STR_NULL : next;
}

static void render(struct http_ex *x, int status, const struct address *a,
                   const struct address_errors *errs, bool has_address, struct str notice)
{
    struct view_address *v = arena_calloc(x->arena, 1, sizeof *v);
    if (a) {
        v->recipient = a->recipient;
        v->phone = a->phone;
        v->postcode = a->postcode;
        v->address = a->address;
        v->detail = a->detail;
    }
    if (errs) {
        struct str *e[ADDRESS_NFIELDS] = {&v->err_recipient, &v->err_phone, &v->err_postcode,
                                          &v->err_address, &v->err_detail};
        for (int f = 0; f < ADDRESS_NFIELDS; f++)
            *e[f] = errs->field[f] ? str_from_cstr(errs->field[f]) : STR_NULL;
        v->error = STR("Check the fields marked below: the address was not saved.");
    }
    v->notice = notice;
    v->next = next_of(x);
    v->has_address = has_address;
    v->required = http_param_bool(x, "required");
    v->layout = front_layout(x, STR("Shipping address"));
    x->resp.status = status;
    front_render(x, "address.html", v);
}

void page_address(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct address a;
    int rc = address_get(&s, front_req(x)->session.account_id, &a);
    if (rc < 0) {
        front_fail(x, rc);
        return;
    }
    struct str notice =
        http_param_bool(x, "saved") ? STR("Your shipping address is saved.") : STR_NULL;
    render(x, 200, rc == SHOP_OK ? &a : NULL, NULL, rc == SHOP_OK, notice);
}

void page_address_post(struct http_ex *x)
{
    struct address saved;
    struct address_errors errs;
    int rc = put(x, &saved, &errs);
    if (rc == SHOP_OK) {
        struct str next = next_of(x);
        if (next.len)
            http_resp_redirect(x, 303, next);
        else
            http_resp_redirect(x, 303, STR("/account/address?saved=1"));
    } else if (rc == SHOP_INVALID_ADDRESS) {
        /* the form again, as typed, with each message beside its field */
        x->error_code = front_outcome(rc)->code;
        struct address typed = from_params(x);
        render(x, front_outcome(rc)->status, &typed, &errs, false, STR_NULL);
    } else {
        front_answer(x, rc, NULL);
    }
}

/* ---------------------------------------------------------------- JSON API */

static cJSON *address_json(const struct address *a)
{
    cJSON *o = cJSON_CreateObject();
    for (int f = 0; f < ADDRESS_NFIELDS; f++)
        cJSON_AddItemToObject(o, address_field_name((enum address_field)f),
                              front_json_str(address_field(a, (enum address_field)f)));
    cJSON_AddItemToObject(o, "updated_at", front_json_str(a->updated_at));
    return o;
}

void api_address(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct address a;
    int rc = address_get(&s, front_req(x)->session.account_id, &a);
    if (rc == SHOP_OK)
        http_resp_json(x, 200, address_json(&a));
    else
        front_answer(x, rc, NULL);
}

void api_address_put(struct http_ex *x)
{
    struct address saved;
    struct address_errors errs;
    int rc = put(x, &saved, &errs);
    if (rc == SHOP_OK) {
        http_resp_json(x, 200, address_json(&saved));
        return;
    }
    if (rc != SHOP_INVALID_ADDRESS) {
        front_answer(x, rc, NULL);
        return;
    }
    /* {"error": {"code", "message", "fields": {"phone": "Enter a Korean ...", ...}}} */
    const struct front_outcome *o = front_outcome(rc);
    cJSON *root = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(e, "code", o->code);
    cJSON_AddStringToObject(e, "message", o->message);
    cJSON *fields = cJSON_AddObjectToObject(e, "fields");
    for (int f = 0; f < ADDRESS_NFIELDS; f++)
        if (errs.field[f])
            cJSON_AddStringToObject(fields, address_field_name((enum address_field)f),
                                    errs.field[f]);
    x->error_code = o->code;
    http_resp_json(x, o->status, root);
}

/* pages_account — sign-in, sign-up and sign-out pages. */
#include "web/app.h"

#include "core/err.h"
#include "core/log.h"

static void render_signin(struct http_ex *x, int status, struct str email, struct str next,
                          struct str error, struct str notice)
{
    struct view_signin *v = arena_calloc(x->arena, 1, sizeof *v);
    v->email = email;
    v->next = web_safe_next(next);
    v->error = error;
    v->notice = notice;
    v->layout = web_layout(x, STR("Sign in"));
    x->resp.status = status;
    web_render(x, x->app->web->t_signin, v);
}

static void render_signup(struct http_ex *x, int status, struct str email, struct str name,
                          struct str error)
{
    struct view_signup *v = arena_calloc(x->arena, 1, sizeof *v);
    v->email = email;
    v->name = name;
    v->error = error;
    v->layout = web_layout(x, STR("Create an account"));
    x->resp.status = status;
    web_render(x, x->app->web->t_signup, v);
}

void page_signin(struct http_ex *x)
{
    struct str notice = http_param_bool(x, "signed_out") ? STR("You are signed out.") : STR_NULL;
    if (web_req(x)->signed_in) {
        http_resp_redirect(x, 303, web_safe_next(http_param_str(x, "next")));
        return;
    }
    render_signin(x, 200, STR_NULL, http_param_str(x, "next"), STR_NULL, notice);
}

void page_signin_post(struct http_ex *x)
{
    const struct web_ctx *w = x->app->web;
    struct str email = http_param_str(x, "email"), next = http_param_str(x, "next");
    struct shop_ctx s = web_shop(x);
    struct account a;
    int64_t wait = 0;
    int rc = account_signin(&s, &w->policy, email, http_param_str(x, "password"), x->req.client_ip,
                            web_device_account(x), &a, &wait);
    if (rc == ERR_UNAUTH) {
        x->error_code = "invalid_credentials";
        render_signin(x, 401, email, next, STR("That e-mail address and password do not match."),
                      STR_NULL);
        return;
    }
    if (rc == ERR_LIMIT) {
        x->error_code = "too_many_attempts";
        http_resp_header(x, "Retry-After",
                         str_from_cstr(arena_sprintf(x->arena, "%lld", (long long)wait)));
        render_signin(x, 429, email, next,
                      str_from_cstr(arena_sprintf(x->arena,
                                                  "Too many failed attempts. Try again in %lld "
                                                  "seconds.",
                                                  (long long)wait)),
                      STR_NULL);
        return;
    }
    if (rc || (rc = web_start_session(x, &a))) {
        web_fail(x, rc);
        return;
    }
    http_resp_redirect(x, 303, web_safe_next(next));
}

void page_signup(struct http_ex *x)
{
    if (web_req(x)->signed_in) {
        http_resp_redirect(x, 303, STR("/"));
        return;
    }
    render_signup(x, 200, STR_NULL, STR_NULL, STR_NULL);
}

void page_signup_post(struct http_ex *x)
{
    const struct web_ctx *w = x->app->web;
    struct str email = http_param_str(x, "email"), name = str_trim(http_param_str(x, "name"));
    static const struct http_param email_rule = {"email", HTTP_SRC_BODY, HTTP_K_EMAIL, 0, 0, true};
    if (http_validate(&email_rule, email)) {
        x->error_code = "invalid_email";
        render_signup(x, 422, email, name, STR("Enter a valid e-mail address."));
        return;
    }
    if (name.len == 0) {
        x->error_code = "invalid_name";
        render_signup(x, 422, email, name, STR("Tell us your name."));
        return;
    }
    struct shop_ctx s = web_shop(x);
    struct account a;
    const char *why = NULL;
    int rc = account_signup(&s, &w->policy, email, name, http_param_str(x, "password"), &a, &why);
    if (rc == ERR_INVAL || rc == ERR_EXISTS) {
        x->error_code = rc == ERR_INVAL ? "weak_password" : "email_taken";
        render_signup(x, rc == ERR_INVAL ? 422 : 409, email, name, str_from_cstr(why));
        return;
    }
    if (rc || (rc = web_start_session(x, &a))) {
        web_fail(x, rc);
        return;
    }
    http_resp_redirect(x, 303, STR("/"));
}

void page_signout(struct http_ex *x)
{
    int rc = web_end_session(x);
    if (rc) {
        web_fail(x, rc);
        return;
    }
    http_resp_redirect(x, 303, STR("/account/signin?signed_out=1"));
}

void page_account(struct http_ex *x)
{
    http_resp_redirect(x, 303, STR("/orders"));
}

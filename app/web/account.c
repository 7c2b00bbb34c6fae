/* account — sign-in, sign-up and sign-out: the pages and their JSON twins. */
#include "web/web.h"

#include <cjson/cJSON.h>

static cJSON *account_json(const struct account *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)a->id);
    cJSON_AddItemToObject(o, "email", front_json_str(a->email));
    cJSON_AddItemToObject(o, "name", front_json_str(a->name));
    return o;
}

static void send_account(struct http_ex *x, int status, const struct account *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "account", account_json(a));
    http_resp_json(x, status, o);
}

/* signin: the domain's sign-in for this request; on success the session is begun */
static int signin(struct http_ex *x, struct account_session *s)
{
    struct shop_ctx c = front_shop(x);
    struct account_client cl = front_client(x);
    int rc = account_signin(&c, &x->app->front->policy, http_param_str(x, "email"),
                            http_param_str(x, "password"), &cl, s);
    if (rc == SHOP_OK)
        front_begin_session(x, s);
    return rc;
}

static int signup(struct http_ex *x, struct str email, struct str name, struct account_session *s)
{
    struct shop_ctx c = front_shop(x);
    struct account_client cl = front_client(x);
    int rc = account_signup(&c, &x->app->front->policy, email, name, http_param_str(x, "password"),
                            &cl, s);
    if (rc == SHOP_OK)
        front_begin_session(x, s);
    return rc;
}

/* ---------------------------------------------------------------- pages */

static void render_signin(struct http_ex *x, int status, struct str email, struct str next,
                          struct str error, struct str notice)
{
    struct view_signin *v = arena_calloc(x->arena, 1, sizeof *v);
    v->email = email;
    v->next = front_safe_next(next);
    v->error = error;
    v->notice = notice;
    v->layout = front_layout(x, STR("Sign in"));
    x->resp.status = status;
    front_render(x, "signin.html", v);
}

static void render_signup(struct http_ex *x, int status, struct str email, struct str name,
                          struct str error)
{
    struct view_signup *v = arena_calloc(x->arena, 1, sizeof *v);
    v->email = email;
    v->name = name;
    v->error = error;
    v->layout = front_layout(x, STR("Create an account"));
    x->resp.status = status;
    front_render(x, "signup.html", v);
}

/* form_error: the outcome on the form it came from (status, code, Retry-After, message) */
static struct str form_error(struct http_ex *x, int rc, const struct shop_problem *p, int *status)
{
    const struct front_outcome *o = front_outcome(rc);
    *status = o->status;
    x->error_code = o->code;
    if (p->retry_after_s > 0)
        front_retry_after(x, p->retry_after_s);
    return str_from_cstr(front_outcome_message(x, rc, p));
}

void page_signin(struct http_ex *x)
{
    struct str notice = http_param_bool(x, "signed_out") ? STR("You are signed out.") : STR_NULL;
    if (front_req(x)->signed_in) {
        http_resp_redirect(x, 303, front_safe_next(http_param_str(x, "next")));
        return;
    }
    render_signin(x, 200, STR_NULL, http_param_str(x, "next"), STR_NULL, notice);
}

void page_signin_post(struct http_ex *x)
{
    struct str email = http_param_str(x, "email"), next = http_param_str(x, "next");
    struct account_session s;
    int rc = signin(x, &s);
    if (rc == SHOP_OK) {
        http_resp_redirect(x, 303, front_safe_next(next));
    } else if (rc > 0) {
        int status;
        struct str error = form_error(x, rc, &s.problem, &status);
        render_signin(x, status, email, next, error, STR_NULL);
    } else {
        front_fail(x, rc);
    }
}

void page_signup(struct http_ex *x)
{
    if (front_req(x)->signed_in) {
        http_resp_redirect(x, 303, STR("/"));
        return;
    }
    render_signup(x, 200, STR_NULL, STR_NULL, STR_NULL);
}

void page_signup_post(struct http_ex *x)
{
    struct str email = http_param_str(x, "email"), name = http_param_str(x, "name");
    struct account_session s;
    int rc = signup(x, email, name, &s);
    if (rc == SHOP_OK) {
        http_resp_redirect(x, 303, STR("/"));
    } else if (rc > 0) {
        int status;
        struct str error = form_error(x, rc, &s.problem, &status);
        render_signup(x, status, email, str_trim(name), error);
    } else {
        front_fail(x, rc);
    }
}

void page_signout(struct http_ex *x)
{
    int rc = front_end_session(x);
    if (rc) {
        front_fail(x, rc);
        return;
    }
    http_resp_redirect(x, 303, STR("/account/signin?signed_out=1"));
}

void page_account(struct http_ex *x)
{
    http_resp_redirect(x, 303, STR("/orders"));
}

/* ---------------------------------------------------------------- JSON API */

void api_signup(struct http_ex *x)
{
    struct account_session s;
    int rc = signup(x, http_param_str(x, "email"), http_param_str(x, "name"), &s);
    if (rc == SHOP_OK)
        send_account(x, 201, &s.account);
    else
        front_answer(x, rc, &s.problem);
}

void api_signin(struct http_ex *x)
{
    struct account_session s;
    int rc = signin(x, &s);
    if (rc == SHOP_OK)
        send_account(x, 200, &s.account);
    else
        front_answer(x, rc, &s.problem);
}

void api_signout(struct http_ex *x)
{
    int rc = front_end_session(x);
    if (rc) {
        front_fail(x, rc);
        return;
    }
    buf_reset(x->resp.body);
    x->resp.status = 204;
}

void api_whoami(struct http_ex *x)
{
    struct front_req *r = front_req(x);
    struct account a = {r->session.account_id, r->session.email, r->session.name, r->session.role};
    send_account(x, 200, &a);
}

/*
 * batch — every job's runs, one run's steps, and "run now" (admins only). The web node never
 * runs a job itself: a request is stored and the scheduler runs it within a moment
 * (batch/requests.h); a job whose latest run failed resumes it from its checkpoint, and a
 * failed run's page has "Restart", which asks for exactly that. Refusals are domain outcomes
 * answered through front/outcome.c's table.
 */
#include "admin/admin.h"

#include "batch/batch.h"
#include "batch/requests.h"

#include <inttypes.h>

static struct view_admin_exec exec_view(const struct batch_exec_row *r)
{
    return (struct view_admin_exec){r->id,
                                    r->job,
                                    r->status,
                                    r->started_at,
                                    r->message,
                                    r->duration_ms,
                                    r->read,
                                    r->processed,
                                    r->skipped,
                                    r->restart_of,
                                    str_eq_cstr(r->status, "FAILED"),
                                    str_eq_cstr(r->status, "STARTED")};
}

static struct view_admin_batch *page(struct http_ex *x)
{
    struct view_admin_batch *v = arena_calloc(x->arena, 1, sizeof *v);
    struct view_admin_job *jobs = arena_calloc(x->arena, batch_jobs_len + 1, sizeof *jobs);
    for (size_t i = 0; i < batch_jobs_len; i++)
        jobs[i] = (struct view_admin_job){str_from_cstr(batch_jobs[i].name),
                                          str_from_cstr(batch_jobs[i].description)};
    v->jobs = (struct tpl_list){jobs, batch_jobs_len, sizeof *jobs};
    v->csrf = front_csrf_token(x);
    v->layout = front_layout(x, STR("Batch jobs"));
    return v;
}

void admin_batch(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct view_admin_batch *v = page(x);
    v->job = http_param_str(x, "job");
    if (http_param_bool(x, "requested"))
        v->notice = STR("Requested: the scheduler runs it within a moment (reload to see it).");
    struct batch_exec_row *rows;
    size_t n;
    int rc = batch_executions(&s, v->job, http_param_bool(x, "noop"), 100, &rows, &n);
    if (!rc)
        rc = batch_open_requests(&s, &v->open_requests);
    if (rc) {
        front_fail(x, rc);
        return;
    }
    struct view_admin_exec *ex = arena_calloc(x->arena, n + 1, sizeof *ex);
    for (size_t i = 0; i < n; i++)
        ex[i] = exec_view(&rows[i]);
    v->execs = (struct tpl_list){ex, n, sizeof *ex};
    http_resp_header(x, "Cache-Control", STR("no-store"));
    front_render(x, "admin/batch.html", v);
}

void admin_batch_run(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct view_admin_batch *v = page(x);
    int64_t id = http_param_i64(x, "id", 0);
    struct batch_exec_row found;
    int rc = batch_execution(&s, id, &found);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    if (http_param_bool(x, "restart"))
        v->notice = STR("Restart requested: the scheduler resumes this run within a moment; the "
                        "new run says which run it resumes.");
    struct view_admin_exec *e = arena_calloc(x->arena, 1, sizeof *e);
    *e = exec_view(&found);
    struct batch_step_row *steps;
    size_t ns;
    if ((rc = batch_steps(&s, id, &steps, &ns))) {
        front_fail(x, rc);
        return;
    }
    struct view_admin_step *st = arena_calloc(x->arena, ns + 1, sizeof *st);
    for (size_t i = 0; i < ns; i++)
        st[i] = (struct view_admin_step){steps[i].name,    steps[i].status,  steps[i].checkpoint,
                                         steps[i].message, steps[i].read,    steps[i].processed,
                                         steps[i].skipped, steps[i].commits, steps[i].rollbacks};
    v->one = true;
    v->exec = e;
    v->steps = (struct tpl_list){st, ns, sizeof *st};
    front_render(x, "admin/batch.html", v);
}

void admin_batch_request(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int rc = batch_request_run(&s, http_param_str(x, "job"), front_req(x)->session.email);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    http_resp_redirect(x, 303, STR("/admin/batch?requested=1"));
}

/* POST /admin/batch/runs/{id}/restart: a failed run resumed by the scheduler (requests.h) */
void admin_batch_restart(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    int rc = batch_request_restart(&s, id, front_req(x)->session.email);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    http_resp_redirect(
        x, 303,
        str_from_cstr(arena_sprintf(x->arena, "/admin/batch/runs/%lld?restart=1", (long long)id)));
}

/* batch — job runner with leases, heartbeats, chunks and restarts; see batch.h. */
#include "batch.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"
#include "db/retry.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct db_stmt q_lease_take = {
    "batch_lease_take",
    "INSERT INTO batch_lease (job_name, holder, expires_at)"
    " VALUES (?, ?, NOW(6) + INTERVAL ? SECOND)"
    " ON DUPLICATE KEY UPDATE"
    "  holder = IF(expires_at < NOW(6), VALUES(holder), holder),"
    "  expires_at = IF(holder = VALUES(holder), VALUES(expires_at), expires_at)",
    0};

static const struct db_stmt q_lease_holder = {
    "batch_lease_holder", "SELECT holder FROM batch_lease WHERE job_name = ?", 0};

static const struct db_stmt q_lease_renew = {
    "batch_lease_renew",
    "UPDATE batch_lease SET expires_at = NOW(6) + INTERVAL ? SECOND, execution_id = ?"
    " WHERE job_name = ? AND holder = ?",
    0};

static const struct db_stmt q_lease_release = {
    "batch_lease_release", "DELETE FROM batch_lease WHERE job_name = ? AND holder = ?", 0};

static const struct db_stmt q_recover_steps = {
    "batch_recover_steps",
    "UPDATE batch_step_execution s JOIN batch_job_execution j ON j.id = s.job_execution_id"
    "   SET s.status = 'FAILED', s.ended_at = NOW(6),"
    "       s.exit_message = 'process died during the step (no heartbeat)'"
    " WHERE j.job_name = ? AND j.status = 'STARTED' AND s.status = 'STARTED'"
    "   AND j.heartbeat_at < NOW(6) - INTERVAL ? SECOND",
    0};

static const struct db_stmt q_recover_jobs = {
    "batch_recover_jobs",
    "UPDATE batch_job_execution SET status = 'FAILED', ended_at = NOW(6),"
    "       exit_code = 'DEAD_PROCESS',"
    "       exit_message = CONCAT('no heartbeat since ', heartbeat_at, ' from ', host, ' pid ', "
    "pid)"
    " WHERE job_name = ? AND status = 'STARTED' AND heartbeat_at < NOW(6) - INTERVAL ? SECOND",
    0};

static const struct db_stmt q_last_failed = {
    "batch_last_failed",
    "SELECT j.id FROM batch_job_execution j"
    " WHERE j.job_name = ? AND j.status IN ('COMPLETED', 'FAILED')"
    " ORDER BY j.id DESC LIMIT 1",
    0};

static const struct db_stmt q_status_of = {
    "batch_status_of", "SELECT status FROM batch_job_execution WHERE id = ?", 0};

static const struct db_stmt q_already_restarted = {
    "batch_already_restarted",
    "SELECT COUNT(*) FROM batch_job_execution WHERE restart_of = ? AND status <> 'NOOP'", 0};

static const struct db_stmt q_exec_insert = {
    "batch_exec_insert",
    "INSERT INTO batch_job_execution (job_name, params, status, host, pid, restart_of)"
    " VALUES (?, ?, ?, ?, ?, ?)",
    0};

static const struct db_stmt q_exec_heartbeat = {
    "batch_exec_heartbeat",
    "UPDATE batch_job_execution SET heartbeat_at = NOW(6), read_count = ?, processed_count = ?,"
    " skip_count = ? WHERE id = ?",
    0};

static const struct db_stmt q_exec_end = {
    "batch_exec_end",
    "UPDATE batch_job_execution SET status = ?, ended_at = NOW(6), heartbeat_at = NOW(6),"
    " read_count = ?, processed_count = ?, skip_count = ?, exit_code = ?, exit_message = ?"
    " WHERE id = ?",
    0};

static const struct db_stmt q_step_prev = {"batch_step_prev",
                                           "SELECT status, checkpoint FROM batch_step_execution"
                                           " WHERE job_execution_id = ? AND step_name = ?",
                                           0};

static const struct db_stmt q_step_insert = {
    "batch_step_insert",
    "INSERT INTO batch_step_execution (job_execution_id, step_name, status, checkpoint)"
    " VALUES (?, ?, 'STARTED', ?)",
    0};

static const struct db_stmt q_step_chunk = {
    "batch_step_chunk",
    "UPDATE batch_step_execution SET checkpoint = ?, read_count = read_count + ?,"
    " processed_count = processed_count + ?, skip_count = skip_count + ?,"
    " commit_count = commit_count + 1, rollback_count = rollback_count + ? WHERE id = ?",
    0};

static const struct db_stmt q_step_end = {
    "batch_step_end",
    "UPDATE batch_step_execution SET status = ?, ended_at = NOW(6), exit_message = ? WHERE id = ?",
    0};

struct counts {
    int64_t read, processed, skipped;
};

static int heartbeat(struct batch_run *r, const struct counts *t)
{
    struct shop_ctx *c = r->ctx;
    struct db_val h[] = {DB_I(t->read), DB_I(t->processed), DB_I(t->skipped),
                         DB_I(r->execution_id)};
    int rc = db_exec(c->db, &q_exec_heartbeat, h, 4, c->arena, NULL);
    if (rc)
        return rc;
    struct db_result res;
    struct db_val l[] = {DB_I(r->opts->lease_ttl_s), DB_I(r->execution_id), DB_CS(r->job->name),
                         DB_S(r->holder)};
    if ((rc = db_exec(c->db, &q_lease_renew, l, 4, c->arena, &res)))
        return rc;
    return res.affected == 1 ? 0 : ERR_CONFLICT; /* lease lost */
}

static int step_chunk_update(struct batch_run *r, int64_t step_id, struct str checkpoint,
                             const struct counts *d, int64_t rollbacks)
{
    struct shop_ctx *c = r->ctx;
    struct db_val v[] = {DB_S(checkpoint), DB_I(d->read),   DB_I(d->processed),
                         DB_I(d->skipped), DB_I(rollbacks), DB_I(step_id)};
    return db_exec(c->db, &q_step_chunk, v, 6, c->arena, NULL);
}

/*
 * run_items: items[0..n) and the step's checkpoint in one transaction. With skip set, the
 * (single) item is recorded as skipped instead of processed. Rolled back on any error.
 */
static int run_items(struct batch_run *r, const struct batch_step *st, int64_t step_id,
                     const struct batch_item *items, size_t n, bool skip, int64_t rollbacks,
                     struct counts *d)
{
    struct shop_ctx *c = r->ctx;
    memset(d, 0, sizeof *d);
    int rc = db_begin(c->db);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && !skip; i++) {
        bool done = false;
        if ((rc = st->process(r, &items[i], &done))) {
            db_rollback(c->db);
            return rc;
        }
        d->processed += done;
    }
    d->read = (int64_t)n;
    d->skipped = skip ? (int64_t)n : 0;
    if ((rc = step_chunk_update(r, step_id, items[n - 1].key, d, rollbacks))) {
        db_rollback(c->db);
        return rc;
    }
    return db_commit(c->db);
}

/* A chunk meets checkouts and payments on the same rows: a few retries with a longer pause
 * than a request's, since a batch is in no hurry. */
static const struct db_retry chunk_retry = {"batch chunk", 4, 10, 100, NULL};

struct chunk_call {
    struct batch_run *r;
    const struct batch_step *st;
    int64_t step_id;
    const struct batch_item *items;
    size_t n;
    int64_t *rollbacks;
    struct counts *d;
    int calls;
};

static int chunk_call(void *arg)
{
    struct chunk_call *q = arg;
    if (q->calls++)
        (*q->rollbacks)++;
    return run_items(q->r, q->st, q->step_id, q->items, q->n, false, *q->rollbacks, q->d);
}

/* with_retries: runs items again while the error is retryable (chunk_retry) */
static int with_retries(struct batch_run *r, const struct batch_step *st, int64_t step_id,
                        const struct batch_item *items, size_t n, int64_t *rollbacks,
                        struct counts *d)
{
    struct chunk_call q = {r, st, step_id, items, n, rollbacks, d, 0};
    int rc = db_retry(&chunk_retry, chunk_call, &q);
    if (err_is_retryable(rc))
        (*rollbacks)++;
    return rc;
}

static volatile int *stop_flag;

/* run_step: returns 0 when the step completed, else an error with msg set */
static int run_step(struct batch_run *r, const struct batch_step *st, int64_t step_id,
                    struct str checkpoint, struct counts *total, struct buf *msg)
{
    struct shop_ctx *c = r->ctx;
    if (st->tasklet)
        return st->tasklet(r, msg);
    char cp[256];
    snprintf(cp, sizeof cp, "%.*s", STR_FMT(checkpoint));
    struct arena *outer = c->arena;
    struct arena *chunk_arena = arena_new(64 * 1024, 256 << 20);
    int rc = 0;
    for (;;) {
        arena_reset(chunk_arena);
        c->arena = chunk_arena;
        struct batch_item *items = NULL;
        size_t n = 0;
        if ((rc = st->read(r, str_from_cstr(cp), r->opts->chunk_size, &items, &n))) {
            buf_printf(msg, "step %s: reading failed: %s", st->name, err_str(rc));
            break;
        }
        if (n == 0)
            break;
        int64_t rollbacks = 0;
        struct counts d;
        rc = with_retries(r, st, step_id, items, n, &rollbacks, &d);
        if (rc) {
            /* isolate the bad item: one transaction per item, skipping failures */
            log_warn("%s/%s: chunk failed (%s); processing its %zu items one by one", r->job->name,
                     st->name, err_str(rc), n);
            rc = 0;
            memset(&d, 0, sizeof d);
            for (size_t i = 0; i < n; i++) {
                struct counts one;
                int irc = with_retries(r, st, step_id, &items[i], 1, &rollbacks, &one);
                if (irc) {
                    buf_printf(r->log, "skipped item %.*s: %s\n", STR_FMT(items[i].key),
                               err_str(irc));
                    log_error("%s/%s: item %.*s skipped: %s", r->job->name, st->name,
                              STR_FMT(items[i].key), err_str(irc));
                    if ((irc = run_items(r, st, step_id, &items[i], 1, true, 0, &one))) {
                        rc = irc;
                        buf_printf(msg, "step %s: cannot record a skip: %s", st->name,
                                   err_str(irc));
                        break;
                    }
                }
                d.read += one.read;
                d.processed += one.processed;
                d.skipped += one.skipped;
            }
            if (rc)
                break;
        }
        total->read += d.read;
        total->processed += d.processed;
        total->skipped += d.skipped;
        snprintf(cp, sizeof cp, "%.*s", STR_FMT(items[n - 1].key));
        if (total->skipped > r->opts->skip_limit) {
            rc = ERR_LIMIT;
            buf_printf(msg, "step %s: %lld items skipped, more than the limit of %lld", st->name,
                       (long long)total->skipped, (long long)r->opts->skip_limit);
            break;
        }
        c->arena = outer;
        if ((rc = heartbeat(r, total))) {
            buf_printf(msg, rc == ERR_CONFLICT ? "lease lost: another run took over"
                                               : "heartbeat failed");
            break;
        }
        if (stop_flag && *stop_flag) {
            rc = ERR_UNAVAILABLE;
            buf_printf(msg, "stopped by a signal after a committed chunk (restartable)");
            break;
        }
    }
    c->arena = outer;
    arena_destroy(chunk_arena);
    return rc;
}

int batch_read_ids(struct batch_run *r, const struct db_stmt *st, const struct db_val *lead,
                   size_t nlead, struct str checkpoint, int64_t limit, struct batch_item **items,
                   size_t *n)
{
    struct shop_ctx *c = r->ctx;
    int64_t after = 0;
    if (checkpoint.len && !str_to_i64(checkpoint, &after))
        return ERR_INVAL;
    struct db_val v[8];
    if (nlead > 6)
        return ERR_INVAL;
    for (size_t i = 0; i < nlead; i++)
        v[i] = lead[i];
    v[nlead] = DB_I(after);
    v[nlead + 1] = DB_I(limit);
    struct db_result res;
    int rc = db_exec(c->db, st, v, nlead + 2, c->arena, &res);
    if (rc)
        return rc;
    *items = arena_calloc(c->arena, res.nrows + 1, sizeof **items);
    *n = res.nrows;
    for (size_t i = 0; i < res.nrows; i++) {
        (*items)[i].id = db_int(&res, i, 0);
        (*items)[i].key = str_from_cstr(arena_sprintf(c->arena, "%lld", (long long)(*items)[i].id));
    }
    return 0;
}

int64_t batch_param_i64(const struct batch_run *r, const char *name, int64_t def)
{
    struct str all = str_from_cstr(r->opts->params ? r->opts->params : "");
    size_t nl = strlen(name);
    const char *p = all.p, *end = all.p + all.len;
    while (p < end) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        struct str word = {p, (size_t)((sp ? sp : end) - p)};
        int64_t v;
        if (word.len > nl + 1 && memcmp(word.p, name, nl) == 0 && word.p[nl] == '=' &&
            str_to_i64((struct str){word.p + nl + 1, word.len - nl - 1}, &v))
            return v;
        p = sp ? sp + 1 : end;
    }
    return def;
}

void batch_set_stop_flag(volatile int *flag)
{
    stop_flag = flag;
}

/* take_lease: 1 acquired, 0 held by someone else; holder is filled with ours */
static int take_lease(struct batch_run *r, struct str *current)
{
    struct shop_ctx *c = r->ctx;
    struct db_val v[] = {DB_CS(r->job->name), DB_S(r->holder), DB_I(r->opts->lease_ttl_s)};
    int rc = db_exec(c->db, &q_lease_take, v, 3, c->arena, NULL);
    if (rc)
        return rc;
    struct db_result h;
    struct db_val k[] = {DB_CS(r->job->name)};
    if ((rc = db_exec(c->db, &q_lease_holder, k, 1, c->arena, &h)))
        return rc;
    *current = h.nrows ? db_text(&h, 0, 0) : STR("");
    return str_eq(*current, r->holder) ? 1 : 0;
}

static void finish(struct batch_run *r, const char *status, const struct counts *t,
                   const char *code, const char *message)
{
    struct shop_ctx *c = r->ctx;
    struct db_val v[] = {DB_CS(status), DB_I(t->read),  DB_I(t->processed),   DB_I(t->skipped),
                         DB_CS(code),   DB_CS(message), DB_I(r->execution_id)};
    if (db_exec(c->db, &q_exec_end, v, 7, c->arena, NULL))
        log_error("%s: cannot record the end of execution %lld", r->job->name,
                  (long long)r->execution_id);
}

/* record_noop: someone else holds the lease: record that this run did nothing */
static int record_noop(struct batch_run *r, struct str holder, struct batch_result *out)
{
    struct shop_ctx *c = r->ctx;
    const struct batch_opts *o = r->opts;
    struct db_result ins;
    struct db_val v[] = {DB_CS(r->job->name), DB_CS(o->params ? o->params : ""),
                         DB_CS("NOOP"),       DB_CS(o->host),
                         DB_I(getpid()),      DB_NULLV};
    int rc = db_exec(c->db, &q_exec_insert, v, 6, c->arena, &ins);
    if (rc)
        return rc;
    r->execution_id = ins.insert_id;
    struct counts none = {0, 0, 0};
    char msg[300];
    snprintf(msg, sizeof msg, "lease held by %.*s", STR_FMT(holder));
    finish(r, "NOOP", &none, "LEASE_HELD", msg);
    out->execution_id = r->execution_id;
    out->status = "NOOP";
    snprintf(out->message, sizeof out->message, "%s", msg);
    return 0;
}

/* recover_dead: with the lease held, any STARTED execution without a recent heartbeat is dead */
static int recover_dead(struct batch_run *r, struct batch_result *out)
{
    struct shop_ctx *c = r->ctx;
    struct db_result rec;
    struct db_val rv[] = {DB_CS(r->job->name), DB_I(r->opts->lease_ttl_s)};
    int rc;
    if ((rc = db_exec(c->db, &q_recover_steps, rv, 2, c->arena, NULL)) ||
        (rc = db_exec(c->db, &q_recover_jobs, rv, 2, c->arena, &rec)))
        return rc;
    out->recovered = rec.affected;
    if (rec.affected)
        buf_printf(r->log, "marked %lld dead execution(s) of %s as FAILED\n",
                   (long long)rec.affected, r->job->name);
    return 0;
}

/* find_restart: the latest execution if it failed and nobody restarted it yet (0: none) */
static int find_restart(struct batch_run *r, int64_t *restart_of)
{
    struct shop_ctx *c = r->ctx;
    *restart_of = 0;
    struct db_result last;
    struct db_val lv[] = {DB_CS(r->job->name)};
    int rc = db_exec(c->db, &q_last_failed, lv, 1, c->arena, &last);
    if (rc || last.nrows == 0)
        return rc;
    int64_t id = db_int(&last, 0, 0);
    struct db_result st, again;
    struct db_val iv[] = {DB_I(id)};
    if ((rc = db_exec(c->db, &q_status_of, iv, 1, c->arena, &st)) ||
        (rc = db_exec(c->db, &q_already_restarted, iv, 1, c->arena, &again)))
        return rc;
    if (str_eq_cstr(db_text(&st, 0, 0), "FAILED") && db_int(&again, 0, 0) == 0)
        *restart_of = id;
    return 0;
}

/* start_execution: the STARTED execution row of this run */
static int start_execution(struct batch_run *r, int64_t restart_of)
{
    struct shop_ctx *c = r->ctx;
    const struct batch_opts *o = r->opts;
    struct db_result ins;
    struct db_val ev[] = {DB_CS(r->job->name), DB_CS(o->params ? o->params : ""),
                          DB_CS("STARTED"),    DB_CS(o->host),
                          DB_I(getpid()),      restart_of ? DB_I(restart_of) : DB_NULLV};
    int rc = db_exec(c->db, &q_exec_insert, ev, 6, c->arena, &ins);
    if (rc)
        return rc;
    r->execution_id = ins.insert_id;
    if (restart_of)
        buf_printf(r->log, "restarting failed execution %lld\n", (long long)restart_of);
    return 0;
}

/*
 * step_checkpoint: where a step of a restarted run begins: *skip when it completed in the
 * failed run, else its checkpoint there ("" = from the start)
 */
static int step_checkpoint(struct batch_run *r, const struct batch_step *st, int64_t restart_of,
                           struct str *checkpoint, bool *skip)
{
    struct shop_ctx *c = r->ctx;
    *checkpoint = STR("");
    *skip = false;
    if (!restart_of)
        return 0;
    struct db_result prev;
    struct db_val pv[] = {DB_I(restart_of), DB_CS(st->name)};
    int rc = db_exec(c->db, &q_step_prev, pv, 2, c->arena, &prev);
    if (rc || prev.nrows == 0)
        return rc;
    *skip = str_eq_cstr(db_text(&prev, 0, 0), "COMPLETED");
    *checkpoint = db_text(&prev, 0, 1);
    return 0;
}

/* run_steps: every step of the job in order, each recorded as a step execution */
static int run_steps(struct batch_run *r, int64_t restart_of, struct counts *total, struct buf *msg)
{
    struct shop_ctx *c = r->ctx;
    int rc = 0;
    for (size_t i = 0; i < r->job->nsteps && rc == 0; i++) {
        const struct batch_step *st = &r->job->steps[i];
        struct str checkpoint;
        bool skip;
        if ((rc = step_checkpoint(r, st, restart_of, &checkpoint, &skip)))
            break;
        if (skip) {
            buf_printf(r->log, "step %s: completed before, skipped\n", st->name);
            continue;
        }
        struct db_result si;
        struct db_val sv[] = {DB_I(r->execution_id), DB_CS(st->name), DB_S(checkpoint)};
        if ((rc = db_exec(c->db, &q_step_insert, sv, 3, c->arena, &si)))
            break;
        if (checkpoint.len)
            buf_printf(r->log, "step %s: resuming after %.*s\n", st->name, STR_FMT(checkpoint));
        rc = run_step(r, st, si.insert_id, checkpoint, total, msg);
        struct db_val end[] = {DB_CS(rc ? "FAILED" : "COMPLETED"), DB_S(buf_str(msg)),
                               DB_I(si.insert_id)};
        if (db_exec(c->db, &q_step_end, end, 3, c->arena, NULL))
            log_error("%s: cannot record the end of step %s", r->job->name, st->name);
    }
    return rc;
}

/* run_job_once: lease (or a NOOP record), recovery, restart detection, the steps, the end */
static int run_job_once(struct shop_ctx *c, const struct batch_job *job, const struct batch_opts *o,
                        struct buf *log, struct batch_result *out)
{
    memset(out, 0, sizeof *out);
    struct batch_run r = {c, job, o, 0, STR_NULL, log};
    r.holder = str_from_cstr(arena_sprintf(c->arena, "%s:%d:%.*s", o->host, (int)getpid(),
                                           STR_FMT(sec_token(c->arena, 9))));
    struct str current;
    int rc = take_lease(&r, &current);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return record_noop(&r, current, out);
    int64_t restart_of = 0;
    if ((rc = recover_dead(&r, out)) || (rc = find_restart(&r, &restart_of)) ||
        (rc = start_execution(&r, restart_of)))
        goto release;
    out->restart_of = restart_of;
    out->execution_id = r.execution_id;

    struct counts total = {0, 0, 0};
    struct buf msg;
    buf_init(&msg, 1024);
    rc = run_steps(&r, restart_of, &total, &msg);
    if (rc && msg.len == 0)
        buf_printf(&msg, "%s", err_str(rc));
    out->status = rc ? "FAILED" : "COMPLETED";
    finish(&r, out->status, &total, rc ? err_str(rc) : "OK", buf_cstr(&msg));
    out->read = total.read;
    out->processed = total.processed;
    out->skipped = total.skipped;
    snprintf(out->message, sizeof out->message, "%s", buf_cstr(&msg));
    buf_free(&msg);
    rc = rc ? ERR_INTERNAL : 0;
release:;
    struct db_val rel[] = {DB_CS(job->name), DB_S(r.holder)};
    db_exec(c->db, &q_lease_release, rel, 2, c->arena, NULL);
    return rc;
}

/*
 * The bookkeeping before a run starts (lease, recovery, the execution row) runs beside the
 * scheduler's and other hosts' runs and can meet a deadlock or a lock wait timeout. Nothing has
 * started then (no status, the lease released), so it is tried again after a short random
 * pause, a bounded number of times, instead of reporting "could not run".
 */
static const struct db_retry start_retry = {"batch start", 4, 20, 400, NULL};

struct start_call {
    struct shop_ctx *c;
    const struct batch_job *job;
    const struct batch_opts *o;
    struct buf *log;
    struct batch_result *out;
};

static int start_call(void *arg)
{
    struct start_call *q = arg;
    int rc = run_job_once(q->c, q->job, q->o, q->log, q->out);
    if (rc && !q->out->status && err_is_retryable(rc))
        log_warn("%s: %s while starting; trying again", q->job->name, err_str(rc));
    return rc;
}

int batch_run_job(struct shop_ctx *c, const struct batch_job *job, const struct batch_opts *o,
                  struct buf *log, struct batch_result *out)
{
    /* a run that got as far as a status ends COMPLETED, NOOP (0) or FAILED (ERR_INTERNAL, not
     * retryable): only a failure before that is started again */
    struct start_call q = {c, job, o, log, out};
    return db_retry(&start_retry, start_call, &q);
}

/*
 * Integration: the admin (issue 10) through HAProxy, signed in as the stack's admin.
 *
 * Stock received and adjusted with a reason (ledger rows, the audit stays clean: I1); an
 * adjust that would take more than is available changes nothing; orders found by number,
 * e-mail and status; a pending order cancelled and a paid order refunded (the pairs return,
 * the money goes back at the sandbox: I5); the order's timeline shows what happened; every
 * change is in the admin audit log; the pages are invisible to shoppers and need the form token.
 */
#include "harness.h"
#include "pay.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PRICE 120000LL

static struct stack S;
static MYSQL *DB;
static struct shopper A;
static char admin_sid[128], csrf[128];

static int setup(void **state)
{
    (void)state;
    stack_load(&S);
    DB = stack_db(&S, 0);
    if (sodium_init() < 0)
        fail();
    pay_init(&S);
    shopper_new(&S, DB, "admintest", &A);
    admin_sign_in(&S, admin_sid, sizeof admin_sid);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mysql_close(DB);
    return 0;
}

/* admin: a request as the admin; form bodies get the page's CSRF token (read from /admin/stock
 * once). Returns the status; the body in *out when out is not NULL (free it). */
static long admin(const char *method, const char *path, const char *form, char **out)
{
    if (!csrf[0] && form) {
        char *page;
        assert_int_equal(admin("GET", "/admin/stock", NULL, &page), 200);
        const char *at = strstr(page, "name=\"csrf\" value=\"");
        assert_non_null(at);
        at += strlen("name=\"csrf\" value=\"");
        snprintf(csrf, sizeof csrf, "%.*s", (int)strcspn(at, "\""), at);
        free(page);
    }
    struct hreq q = {.method = method};
    snprintf(q.url, sizeof q.url, "%s%s", S.base_url, path);
    snprintf(q.hdr[0], sizeof q.hdr[0], "Cookie: stampede_sid=%s", admin_sid);
    char body[2048];
    if (form) {
        snprintf(body, sizeof body, "csrf=%s&%s", csrf, form);
        q.body = body;
        q.ctype = "application/x-www-form-urlencoded";
    }
    http_parallel(&q, 1, 1);
    long st = q.status;
    if (out)
        *out = strdup(q.out ? q.out : "");
    hreq_free(&q);
    return st;
}

static long long available(long long sku)
{
    return db_scalar(DB, "SELECT SUM(available) FROM stock WHERE sku_id = %lld", sku);
}

static long long audit_rows(const char *action, const char *target)
{
    return db_scalar(DB, "SELECT COUNT(*) FROM admin_audit WHERE action = '%s' AND target = '%s'",
                     action, target);
}

static void audit_stock_clean(void)
{
    char out[8192];
    assert_int_equal(stack_batch(&S, "audit-stock", "", NULL, out, sizeof out), 0);
}

static void test_stock_received_and_adjusted(void **state)
{
    (void)state;
    long long sku = sku_new(DB, "adm-stock", 5, PRICE);
    char path[128], target[64];
    snprintf(target, sizeof target, "sku:%lld", sku);
    snprintf(path, sizeof path, "/admin/stock/%lld/receive", sku);
    assert_int_equal(admin("POST", path, "qty=7&note=delivery+PO-1", NULL), 303);
    assert_int_equal(available(sku), 12);
    assert_int_equal(audit_rows("stock_receive", target), 1);
    snprintf(path, sizeof path, "/admin/stock/%lld/adjust", sku);
    /* more than there is: refused, nothing changed */
    assert_int_equal(admin("POST", path, "delta=-20&note=count", NULL), 409);
    assert_int_equal(available(sku), 12);
    assert_int_equal(audit_rows("stock_adjust", target), 0);
    assert_int_equal(admin("POST", path, "delta=-3&note=damaged+in+store", NULL), 303);
    assert_int_equal(available(sku), 9);
    assert_int_equal(audit_rows("stock_adjust", target), 1);
    assert_int_equal(db_scalar(DB,
                               "SELECT SUM(d_available) FROM inventory_ledger WHERE sku_id = %lld "
                               "AND reason IN ('receive', 'adjust') AND ref_type = 'admin'",
                               sku),
                     4);
    /* the shop shows it; the stock audit is clean (I1) */
    audit_stock_clean();
    /* without the form token, nothing */
    struct hreq q = {
        .method = "POST", .ctype = "application/x-www-form-urlencoded", .body = "delta=1&note=x"};
    snprintf(q.url, sizeof q.url, "%s%s", S.base_url, path);
    snprintf(q.hdr[0], sizeof q.hdr[0], "Cookie: stampede_sid=%s", admin_sid);
    http_parallel(&q, 1, 1);
    assert_int_equal(q.status, 403);
    hreq_free(&q);
    /* a shopper does not see the admin */
    struct resp r;
    assert_int_equal(shopper_request(&S, &A, "GET", "/admin", NULL, &r), 404);
    resp_free(&r);
}

static void test_orders_found_cancelled_and_refunded(void **state)
{
    (void)state;
    long long sku = sku_new(DB, "adm-orders", 4, PRICE), total;
    long long pending = order_new(&S, &A, sku, 1, &total);
    long long paid = order_new(&S, &A, sku, 1, &total);
    char key[80], loc[1024], path[128], *body;
    psp_authorize(&S, paid, total, TEST_CARD_APPROVE, key, sizeof key, loc, sizeof loc);
    assert_int_equal(shop_return(&S, &A, key, paid, total, loc, sizeof loc), 303);
    assert_string_equal(db_textf(DB, "SELECT status FROM orders WHERE id = %lld", paid), "paid");
    assert_int_equal(available(sku), 2);

    /* search by number, e-mail and status */
    snprintf(path, sizeof path, "/admin/orders?q=%%23%lld", pending);
    assert_int_equal(admin("GET", path, NULL, &body), 200);
    char want[64];
    snprintf(want, sizeof want, "data-order=\"%lld\"", pending);
    assert_non_null(strstr(body, want));
    snprintf(want, sizeof want, "data-order=\"%lld\"", paid);
    assert_null(strstr(body, want));
    free(body);
    char local[64];
    snprintf(local, sizeof local, "%.*s", (int)strcspn(A.email, "@"), A.email);
    snprintf(path, sizeof path, "/admin/orders?q=%s", local);
    assert_int_equal(admin("GET", path, NULL, &body), 200);
    assert_non_null(strstr(body, want));
    free(body);
    assert_int_equal(admin("GET", "/admin/orders?q=paid", NULL, &body), 200);
    assert_non_null(strstr(body, want));
    free(body);

    /* cancel the pending one: its pair returns */
    snprintf(path, sizeof path, "/admin/orders/%lld/cancel", pending);
    assert_int_equal(admin("POST", path, "reason=shopper+called", NULL), 303);
    assert_string_equal(db_textf(DB, "SELECT status FROM orders WHERE id = %lld", pending),
                        "cancelled");
    assert_int_equal(available(sku), 3);
    /* a paid order cannot be cancelled, a pending one not refunded */
    snprintf(path, sizeof path, "/admin/orders/%lld/cancel", paid);
    assert_int_equal(admin("POST", path, "reason=x", NULL), 409);
    snprintf(path, sizeof path, "/admin/orders/%lld/refund", pending);
    assert_int_equal(admin("POST", path, "reason=x", NULL), 409);

    /* refund the paid one: refunded, the pair back, the money back at the sandbox (I5) */
    snprintf(path, sizeof path, "/admin/orders/%lld/refund", paid);
    assert_int_equal(admin("POST", path, "reason=wrong+size", NULL), 303);
    assert_string_equal(db_textf(DB, "SELECT status FROM orders WHERE id = %lld", paid),
                        "refunded");
    assert_int_equal(available(sku), 4);
    assert_int_equal(psp_sum(DB, paid, "refund"), total);
    assert_int_equal(i5_violations(DB), 0);
    char target[64];
    snprintf(target, sizeof target, "order:%lld", paid);
    assert_int_equal(audit_rows("order_refund", target), 1);
    snprintf(target, sizeof target, "order:%lld", pending);
    assert_int_equal(audit_rows("order_cancel", target), 1);

    /* the timeline tells the story */
    snprintf(path, sizeof path, "/admin/orders/%lld", paid);
    assert_int_equal(admin("GET", path, NULL, &body), 200);
    assert_non_null(strstr(body, "Timeline"));
    assert_non_null(strstr(body, ">hold<"));
    assert_non_null(strstr(body, ">sell<"));
    assert_non_null(strstr(body, ">refund<"));
    assert_non_null(strstr(body, ">order_refund<"));
    free(body);
    /* and the index shows the latest changes */
    assert_int_equal(admin("GET", "/admin", NULL, &body), 200);
    assert_non_null(strstr(body, "order_refund"));
    free(body);
    audit_stock_clean();
}

static void test_product_created_edited_and_sold(void **state)
{
    (void)state;
    char form[1024], path[128], *body, slug[64];
    snprintf(slug, sizeof slug, "adm-new-%u", randombytes_random() % 1000000);
    snprintf(form, sizeof form,
             "slug=%s&name=Admin+Runner&brand=Stampede&colorway=Black&description=Made+by+the+"
             "admin+test.&price=99000&image=img/favicon.svg&release_date=2026-12-24&"
             "max_per_account=2&active=on",
             slug);
    /* invalid input: a clear 400 and nothing written */
    assert_int_equal(admin("POST", "/admin/products",
                           "slug=Bad+Slug&name=x&brand=y&description=z&price=1&image=img/x.svg",
                           &body),
                     400);
    assert_non_null(strstr(body, "slug"));
    free(body);
    assert_int_equal(admin("POST", "/admin/products", form, NULL), 303);
    long long id = db_scalar(DB, "SELECT id FROM products WHERE slug = '%s'", slug);
    assert_true(id > 0);
    assert_int_equal(admin("POST", "/admin/products", form, NULL), 409); /* slug taken */
    snprintf(path, sizeof path, "/admin/products/%lld/sizes", id);
    assert_int_equal(admin("POST", path, "size_mm=270", NULL), 303);
    assert_int_equal(admin("POST", path, "size_mm=270", NULL), 400); /* twice */
    long long sku = db_scalar(DB, "SELECT id FROM skus WHERE product_id = %lld", id);
    snprintf(path, sizeof path, "/admin/stock/%lld/receive", sku);
    assert_int_equal(admin("POST", path, "qty=6&note=first+delivery", NULL), 303);
    /* the shop shows it at once */
    struct client *c = client_new();
    struct resp r;
    snprintf(path, sizeof path, "/products/%s", slug);
    assert_int_equal(client_get(c, stack_url(&S, path), &r), 0);
    assert_int_equal(r.status, 200);
    assert_true(resp_contains(&r, "Admin Runner"));
    assert_true(resp_contains(&r, "99,000"));
    resp_free(&r);
    /* a new price and name, then off sale */
    snprintf(path, sizeof path, "/admin/products/%lld", id);
    snprintf(form, sizeof form,
             "name=Admin+Runner+II&brand=Stampede&colorway=Black&description=Changed.&price="
             "101000&image=img/favicon.svg&release_date=&max_per_account=0&active=on");
    assert_int_equal(admin("POST", path, form, NULL), 303);
    snprintf(path, sizeof path, "/products/%s", slug);
    assert_int_equal(client_get(c, stack_url(&S, path), &r), 0);
    assert_true(resp_contains(&r, "Admin Runner II"));
    assert_true(resp_contains(&r, "101,000"));
    resp_free(&r);
    snprintf(path, sizeof path, "/admin/products/%lld", id);
    snprintf(form, sizeof form,
             "name=Admin+Runner+II&brand=Stampede&description=Changed.&price=101000&image=img/"
             "favicon.svg");
    assert_int_equal(admin("POST", path, form, NULL), 303);
    snprintf(path, sizeof path, "/products/%s", slug);
    assert_int_equal(client_get(c, stack_url(&S, path), &r), 0);
    assert_int_equal(r.status, 404);
    resp_free(&r);
    client_free(c);
    char target[64];
    snprintf(target, sizeof target, "product:%lld", id);
    assert_int_equal(audit_rows("product_create", target), 1);
    assert_int_equal(audit_rows("product_save", target), 2);
    assert_int_equal(audit_rows("size_add", target), 1);
    audit_stock_clean();
}

/* page_has: GET path on web node `node` directly contains needle */
static bool page_has(int node, const char *path, const char *needle)
{
    struct client *c = client_new();
    struct resp r;
    assert_int_equal(client_get(c, node_url(&S, node, path), &r), 0);
    bool has = r.status == 200 && resp_contains(&r, needle);
    resp_free(&r);
    client_free(c);
    return has;
}

/* a size's label is edited in the admin: audited, and both nodes show it at once (the caches
 * forget the product's sizes as they do for a product edit); a size with orders keeps its
 * label, and one size cannot take another's */
static void test_size_edited_shows_at_once(void **state)
{
    (void)state;
    long long sku = sku_new(DB, "adm-size", 5, PRICE);
    long long id = db_scalar(DB, "SELECT product_id FROM skus WHERE id = %lld", sku);
    long long was = db_scalar(DB, "SELECT size_mm FROM skus WHERE id = %lld", sku);
    long long to = was == 275 ? 280 : 275;
    char slug[100], path[160], page[140], form[40], old_mm[60], new_mm[60], *body;
    snprintf(slug, sizeof slug, "%s",
             db_textf(DB, "SELECT slug FROM products WHERE id = %lld", id));
    snprintf(page, sizeof page, "/products/%s", slug);
    snprintf(old_mm, sizeof old_mm, "<span class=\"size__mm\">%lld</span>", was);
    snprintf(new_mm, sizeof new_mm, "<span class=\"size__mm\">%lld</span>", to);
    /* both nodes have the product in their caches (and near copies) */
    for (int node = 0; node < 2; node++)
        for (int k = 0; k < 2; k++)
            assert_true(page_has(node, page, old_mm));
    /* the admin's product page has a form per size */
    snprintf(path, sizeof path, "/admin/products/%lld", id);
    assert_int_equal(admin("GET", path, NULL, &body), 200);
    snprintf(form, sizeof form, "/sizes/%lld\"", sku);
    assert_non_null(strstr(body, form));
    free(body);
    snprintf(path, sizeof path, "/admin/products/%lld/sizes/%lld", id, sku);
    snprintf(form, sizeof form, "size_mm=%lld", to);
    assert_int_equal(admin("POST", path, form, NULL), 303);
    assert_int_equal(db_scalar(DB, "SELECT size_mm FROM skus WHERE id = %lld", sku), to);
    for (int node = 0; node < 2; node++) {
        assert_true(page_has(node, page, new_mm));
        assert_false(page_has(node, page, old_mm));
    }
    char target[64];
    snprintf(target, sizeof target, "sku:%lld", sku);
    assert_int_equal(audit_rows("size_edit", target), 1);
    /* out of range, or another size's: refused, nothing changed */
    assert_int_equal(admin("POST", path, "size_mm=100", NULL), 400);
    snprintf(path, sizeof path, "/admin/products/%lld/sizes", id);
    snprintf(form, sizeof form, "size_mm=%lld", was);
    assert_int_equal(admin("POST", path, form, NULL), 303); /* a second size, the old label */
    snprintf(path, sizeof path, "/admin/products/%lld/sizes/%lld", id, sku);
    assert_int_equal(admin("POST", path, form, &body), 400);
    assert_non_null(strstr(body, "has that size already"));
    free(body);
    /* a size of another product: not found */
    long long other = sku_new(DB, "adm-size-other", 1, PRICE);
    snprintf(path, sizeof path, "/admin/products/%lld/sizes/%lld", id, other);
    assert_int_equal(admin("POST", path, "size_mm=300", NULL), 404);
    /* once ordered, the label stays */
    long long total;
    assert_true(order_new(&S, &A, sku, 1, &total) > 0);
    snprintf(path, sizeof path, "/admin/products/%lld/sizes/%lld", id, sku);
    assert_int_equal(admin("POST", path, "size_mm=300", &body), 400);
    assert_non_null(strstr(body, "ordered"));
    free(body);
    assert_int_equal(db_scalar(DB, "SELECT size_mm FROM skus WHERE id = %lld", sku), to);
    assert_int_equal(audit_rows("size_edit", target), 1);
}

static void test_batch_runs_and_run_now(void **state)
{
    (void)state;
    char *body, path[128];
    assert_int_equal(admin("GET", "/admin/batch", NULL, &body), 200);
    assert_non_null(strstr(body, "reconcile-payments"));
    free(body);
    long long before = db_scalar(DB, "SELECT COALESCE(MAX(id), 0) FROM batch_job_execution WHERE "
                                     "job_name = 'audit-stock'");
    assert_int_equal(admin("POST", "/admin/batch/audit-stock/run", "", NULL), 303);
    assert_int_equal(admin("POST", "/admin/batch/no-such-job/run", "", NULL), 404);
    assert_int_equal(audit_rows("batch_run_now", "job:audit-stock") >= 1, 1);
    /* the scheduler takes the request and runs the job */
    long long done = 0;
    for (int t = 0; t < 100 && !done; t++) {
        done = db_scalar(DB, "SELECT COUNT(*) FROM batch_run_requests WHERE job_name = "
                             "'audit-stock' AND exit_code IS NOT NULL");
        if (!done)
            usleep(100 * 1000);
    }
    assert_true(done >= 1);
    long long run = db_scalar(DB, "SELECT MAX(id) FROM batch_job_execution WHERE job_name = "
                                  "'audit-stock'");
    assert_true(run > before);
    assert_string_equal(db_textf(DB, "SELECT status FROM batch_job_execution WHERE id = %lld", run),
                        "COMPLETED");
    snprintf(path, sizeof path, "/admin/batch/runs/%lld", run);
    assert_int_equal(admin("GET", path, NULL, &body), 200);
    assert_non_null(strstr(body, "COMPLETED"));
    assert_non_null(strstr(body, ">audit<"));
    free(body);
    assert_int_equal(admin("GET", "/admin/batch/runs/999999999", NULL, NULL), 404);
}

/* a failed run's page has Restart: the request is audited, the scheduler resumes that run (the
 * new execution's restart_of) and completes it; runs that are not restartable are refused */
static void test_failed_run_restarted_from_the_admin(void **state)
{
    (void)state;
    char *body, path[128], target[64];
    long long done = db_scalar(DB, "SELECT MAX(id) FROM batch_job_execution WHERE job_name = "
                                   "'audit-stock' AND status = 'COMPLETED'");
    assert_true(done > 0);
    /* audit-stock's latest run failed (as a run killed in its step would be) */
    assert_int_equal(db_execf(DB, "INSERT INTO batch_job_execution (job_name, params, status, "
                                  "host, pid, started_at, ended_at, exit_code, exit_message) "
                                  "VALUES ('audit-stock', '', 'FAILED', 'test', 1, NOW(6), "
                                  "NOW(6), 'FAILED', 'test: failed on purpose')"),
                     0);
    long long failed = db_scalar(DB, "SELECT LAST_INSERT_ID()");
    assert_int_equal(db_execf(DB,
                              "INSERT INTO batch_step_execution (job_execution_id, step_name, "
                              "status) VALUES (%lld, 'audit', 'FAILED')",
                              failed),
                     0);
    snprintf(path, sizeof path, "/admin/batch/runs/%lld", failed);
    assert_int_equal(admin("GET", path, NULL, &body), 200);
    char form[120];
    snprintf(form, sizeof form, "action=\"/admin/batch/runs/%lld/restart\"", failed);
    assert_non_null(strstr(body, form));
    free(body);
    /* a completed run has no Restart, and is refused; so is a run that does not exist */
    snprintf(path, sizeof path, "/admin/batch/runs/%lld", done);
    assert_int_equal(admin("GET", path, NULL, &body), 200);
    assert_null(strstr(body, "/restart\""));
    free(body);
    snprintf(path, sizeof path, "/admin/batch/runs/%lld/restart", done);
    assert_int_equal(admin("POST", path, "", &body), 409);
    assert_non_null(strstr(body, "not_restartable"));
    free(body);
    assert_int_equal(admin("POST", "/admin/batch/runs/999999999/restart", "", &body), 404);
    assert_non_null(strstr(body, "batch_run_not_found"));
    free(body);
    snprintf(target, sizeof target, "run:%lld", done);
    assert_int_equal(audit_rows("batch_restart", target), 0);

    /* Restart: audited, and the scheduler resumes the failed run and completes it */
    snprintf(path, sizeof path, "/admin/batch/runs/%lld/restart", failed);
    assert_int_equal(admin("POST", path, "", NULL), 303);
    snprintf(target, sizeof target, "run:%lld", failed);
    assert_int_equal(audit_rows("batch_restart", target), 1);
    long long resumed = 0;
    for (int t = 0; t < 150 && !resumed; t++) {
        resumed = db_scalar(DB,
                            "SELECT COUNT(*) FROM batch_job_execution WHERE restart_of = %lld "
                            "AND status = 'COMPLETED'",
                            failed);
        if (!resumed)
            usleep(100 * 1000);
    }
    assert_int_equal(resumed, 1);
    snprintf(path, sizeof path, "/admin/batch/runs/%lld?restart=1", failed);
    assert_int_equal(admin("GET", path, NULL, &body), 200);
    assert_non_null(strstr(body, "Restart requested"));
    free(body);
    /* resumed once: a second Restart is refused */
    snprintf(path, sizeof path, "/admin/batch/runs/%lld/restart", failed);
    assert_int_equal(admin("POST", path, "", NULL), 409);
    assert_int_equal(audit_rows("batch_restart", target), 1);
}

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t len = size * n;
    r->body = realloc(r->body, r->body_len + len + 1);
    memcpy(r->body + r->body_len, p, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return len;
}

/* put_picture: PUT the bytes as the admin, with the type and (unless NULL) the form token */
static long put_picture(long long product, const void *data, size_t n, const char *ctype,
                        const char *token, struct resp *r)
{
    memset(r, 0, sizeof *r);
    CURL *h = curl_easy_init();
    char url[256], cookie[200], ct[100], tok[200];
    snprintf(url, sizeof url, "%s/admin/products/%lld/picture", S.base_url, product);
    snprintf(cookie, sizeof cookie, "Cookie: stampede_sid=%s", admin_sid);
    snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
    snprintf(tok, sizeof tok, "X-CSRF-Token: %s", token ? token : "");
    struct curl_slist *l = curl_slist_append(NULL, cookie);
    l = curl_slist_append(l, ct);
    if (token)
        l = curl_slist_append(l, tok);
    l = curl_slist_append(l, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)n);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    long st = -1;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
    curl_slist_free_all(l);
    curl_easy_cleanup(h);
    return st;
}

static void test_picture_upload(void **state)
{
    (void)state;
    static const unsigned char png[] = {
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
        0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
        0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78,
        0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00,
        0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82};
    long long sku = sku_new(DB, "adm-picture", 1, PRICE);
    long long product = db_scalar(DB, "SELECT product_id FROM skus WHERE id = %lld", sku);
    struct resp r;
    /* no form token, a lie about the type, a text body, too big: refused, nothing changed */
    assert_int_equal(put_picture(product, png, sizeof png, "image/png", NULL, &r), 403);
    resp_free(&r);
    char token[128];
    if (!csrf[0]) {
        char *page;
        assert_int_equal(admin("GET", "/admin/stock", NULL, &page), 200);
        const char *at = strstr(page, "name=\"csrf\" value=\"") + 19;
        snprintf(csrf, sizeof csrf, "%.*s", (int)strcspn(at, "\""), at);
        free(page);
    }
    snprintf(token, sizeof token, "%s", csrf);
    assert_int_equal(put_picture(product, png, sizeof png, "image/jpeg", token, &r), 415);
    resp_free(&r);
    assert_int_equal(put_picture(product, "not a picture", 13, "image/png", token, &r), 415);
    resp_free(&r);
    static char big[2 << 20];
    memcpy(big, png, sizeof png);
    assert_int_equal(put_picture(product, big, sizeof big, "image/png", token, &r), 413);
    resp_free(&r);
    const char *before = db_textf(DB, "SELECT image FROM products WHERE id = %lld", product);
    assert_null(strstr(before, "uploads/"));
    /* a real one: stored by its hash, served as it was sent, shown on the product page */
    assert_int_equal(put_picture(product, png, sizeof png, "image/png", token, &r), 200);
    cJSON *j = resp_json(&r);
    char url[200];
    snprintf(url, sizeof url, "%s", cJSON_GetObjectItem(j, "url")->valuestring);
    cJSON_Delete(j);
    resp_free(&r);
    assert_non_null(strstr(url, "/uploads/p-"));
    struct client *c = client_new();
    assert_int_equal(client_get(c, stack_url(&S, url), &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, sizeof png);
    assert_memory_equal(r.body, png, sizeof png);
    char ctype[80];
    assert_true(resp_header(&r, "Content-Type", ctype, sizeof ctype));
    assert_non_null(strstr(ctype, "image/png"));
    resp_free(&r);
    const char *slug = db_textf(DB, "SELECT slug FROM products WHERE id = %lld", product);
    char path[160];
    snprintf(path, sizeof path, "/products/%s", slug);
    assert_int_equal(client_get(c, stack_url(&S, path), &r), 0);
    assert_true(resp_contains(&r, url));
    resp_free(&r);
    client_free(c);
    char target[64];
    snprintf(target, sizeof target, "product:%lld", product);
    assert_int_equal(audit_rows("picture_upload", target), 1);
}

/* ---- the dashboard */

struct plot_check {
    int lines;     /* polylines in the plot */
    int points;    /* points of its longest line */
    bool non_zero; /* some point above the axis (a value > 0) */
};

/* plot_at: the plot whose <svg starts at p (up to its </svg>) */
static struct plot_check plot_at(const char *p)
{
    struct plot_check c = {0};
    const char *end = strstr(p, "</svg>");
    for (const char *l = strstr(p, "<polyline points=\""); l && l < end;
         l = strstr(l + 1, "<polyline points=\"")) {
        c.lines++;
        const char *q = l + strlen("<polyline points=\"");
        int n = 0;
        while (*q && *q != '"') {
            const char *comma = strchr(q, ',');
            if (!comma)
                break;
            double y = strtod(comma + 1, NULL);
            c.non_zero |= y < 89.95; /* the axis is y = 90: a value of 0 */
            n++;
            q += strcspn(q, " \"");
            if (*q == ' ')
                q++;
        }
        if (n > c.points)
            c.points = n;
    }
    return c;
}

/* panel_plots: the last-hour and last-5-minutes plots of the panel titled title */
static bool panel_plots(const char *body, const char *title, struct plot_check *hour,
                        struct plot_check *minutes)
{
    char needle[120];
    snprintf(needle, sizeof needle, "<section class=\"dash__panel\" aria-label=\"%s\">", title);
    const char *p = strstr(body, needle);
    if (!p)
        return false;
    const char *h = strstr(p, "<svg"), *m = h ? strstr(h + 1, "<svg") : NULL;
    if (!m)
        return false;
    *hour = plot_at(h);
    *minutes = plot_at(m);
    return true;
}

/*
 * The dashboard plots live data from Prometheus (which scrapes every 5 s), on every panel.
 * Conditions: an order (placed once Prometheus has scraped the counter, so that it sees it
 * rise), a live queue drop (pairs left) with a shopper in its pre-queue, product pages read on
 * both nodes (memcached lookups); replication runs (replica lag 0). Each panel's last 5 minutes
 * have a line of at least two points, and the panels whose value is not 0 under these conditions
 * plot a point above the axis.
 */
static void test_dashboard_plots_live_data(void **state)
{
    (void)state;
    static const struct {
        const char *title;
        bool non_zero;
    } want[] = {
        {"Requests", true},
        {"Latency p99", true},
        {"Server errors (5xx)", false},
        {"Orders placed", true},
        {"Pairs left per live drop", true},
        {"Queue length per drop", true},
        {"memcached hit ratio", true},
        {"memcached servers up", true},
        {"Replica lag", false},
    };
    size_t nwant = sizeof want / sizeof want[0];
    /* the drop's product, and another for the order (a live drop's sizes need admission) */
    long long sku = sku_new(DB, "adm-dash", 6, PRICE), total;
    long long order_sku = sku_new(DB, "adm-dash-order", 6, PRICE);
    bool ordered = false;
    char slug[100], path[160];
    snprintf(slug, sizeof slug, "%s",
             db_textf(DB,
                      "SELECT p.slug FROM products p JOIN skus k ON k.product_id = p.id WHERE "
                      "k.id = %lld",
                      sku));
    assert_int_equal(stack_run(&S,
                               "./stampede drop create --product %s --kind queue --starts-in 600 "
                               "--closes-in 900 >/dev/null",
                               slug),
                     0);
    long long drop = db_scalar(
        DB,
        "SELECT MAX(d.id) FROM drops d JOIN products p ON p.id = d.product_id WHERE p.slug = '%s'",
        slug);
    assert_true(drop > 0);
    struct resp r;
    snprintf(path, sizeof path, "/api/v1/drops/%lld/queue", drop);
    assert_int_equal(shopper_request(&S, &A, "POST", path, NULL, &r), 200);
    resp_free(&r);

    char *body = NULL;
    size_t ok = 0;
    const char *missing = "";
    struct client *c = client_new();
    for (int t = 0; t < 90 && ok < nwant; t++) {
        /* memcached lookups past the near copies (a few seconds old) on both nodes */
        snprintf(path, sizeof path, "/products/%s", slug);
        for (int node = 0; node < 2; node++)
            if (client_get(c, node_url(&S, node, path), &r) == 0)
                resp_free(&r);
        free(body);
        assert_int_equal(admin("GET", "/admin/dashboard", NULL, &body), 200);
        assert_null(strstr(body, "does not answer"));
        ok = 0;
        missing = "";
        for (size_t i = 0; i < nwant; i++) {
            struct plot_check h, m;
            if (!panel_plots(body, want[i].title, &h, &m))
                fail_msg("/admin/dashboard has no panel %s", want[i].title);
            /* the order once Prometheus has the counter's series: an increase it saw */
            if (!ordered && !strcmp(want[i].title, "Orders placed") && m.points >= 2) {
                assert_true(order_new(&S, &A, order_sku, 1, &total) > 0);
                ordered = true;
            }
            bool good = h.lines > 0 && m.points >= 2 && (!want[i].non_zero || m.non_zero);
            if (!good && !*missing)
                missing = want[i].title;
            ok += good;
        }
        if (ok < nwant)
            sleep(1);
    }
    client_free(c);
    if (ok < nwant) {
        char needle[120];
        snprintf(needle, sizeof needle, "aria-label=\"%s\"", missing);
        const char *p = strstr(body, needle);
        fail_msg("after 90 s, %zu of %zu panels plot data; the first without: %s\n%.2000s", ok,
                 nwant, missing, p ? p : "");
    }
    free(body);
    /* the drop ends here, so it is no live drop for later tests and alerts */
    assert_int_equal(
        db_execf(DB, "UPDATE drops SET cancelled_at = UTC_TIMESTAMP(6) WHERE id = %lld", drop), 0);
}

/* /admin/autoscale: the autoscaler's live state (its /status, fetched by the web node) and its
 * decision log, where `up` started it (a "start" row at least) */
static void test_autoscale_state_and_decisions(void **state)
{
    (void)state;
    char *body = NULL;
    assert_int_equal(admin("GET", "/admin/autoscale", NULL, &body), 200);
    assert_non_null(strstr(body, "data-autoscale=\"state\""));
    assert_null(strstr(body, "does not answer"));
    assert_non_null(strstr(body, "data-server=\"web1\""));
    assert_non_null(strstr(body, "data-action=\"start\""));
    free(body);
    assert_int_equal(admin("GET", "/admin/autoscale?held=1&page=2", NULL, NULL), 200);
    assert_int_equal(admin("GET", "/admin/autoscale?page=0", NULL, NULL), 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stock_received_and_adjusted),
        cmocka_unit_test(test_orders_found_cancelled_and_refunded),
        cmocka_unit_test(test_product_created_edited_and_sold),
        cmocka_unit_test(test_size_edited_shows_at_once),
        cmocka_unit_test(test_batch_runs_and_run_now),
        cmocka_unit_test(test_failed_run_restarted_from_the_admin),
        cmocka_unit_test(test_picture_upload),
        cmocka_unit_test(test_dashboard_plots_live_data),
        cmocka_unit_test(test_autoscale_state_and_decisions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

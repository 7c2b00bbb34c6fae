/* Unit tests for app/admin/drops.c: scheduling drops at /admin/drops is invisible to everyone
 * but admins, its forms need a CSRF token, and its parameters are checked before any handler
 * (or the database) sees them. The fake site's database is unreachable, so a request that got
 * past these checks would answer 503, not the answers expected here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <stdio.h>
#include <string.h>

#define FORM "application/x-www-form-urlencoded"

/* a create form that passes every parameter check */
#define CREATE_OK                                                                       \
    "product=air-max-1&kind=queue&opens_at=2026-12-24T18:00&starts_at=2026-12-24T18:10" \
    "&closes_at=2026-12-24T19:00&admit_per_second=10&limit=1&window_minutes=10"
#define EDIT_OK "opens_at=2026-12-24T18:00&starts_at=2026-12-24T18:10&closes_at=2026-12-24T19:00"

/* want: the page answered `status` with the error `code` (HTML pages: the handler's code) */
static void want(const struct fake_resp *r, int status, const char *code)
{
    if (r->status != status || !r->code || strcmp(r->code, code) != 0)
        fail_msg("wanted %d %s, got %d %s", status, code, r->status, r->code ? r->code : "-");
}

static void test_admin_drops_are_404_for_anonymous_visitors(void **state)
{
    (void)state;
    const char *paths[] = {"/admin/drops", "/admin/drops?created=3", "/admin/drops?done=edited",
                           "/admin/drops?done=cancelled"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct fake_resp r = fake_request(fake, "GET", paths[i], NULL, NULL, NULL);
        want(&r, 404, "not_found");
    }
    /* a visitor whose form carries a CSRF token still is not an admin: the same 404, and the
     * token is checked first (a cross-site form gets 403 even at an admin's address) */
    struct fake_resp r = fake_request(fake, "GET", "/account/signin", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    const char *cookie = strstr(r.head, "stampede_csrf=");
    assert_non_null(cookie);
    char hdr[300], body[512], token[128];
    snprintf(hdr, sizeof hdr, "Cookie: %.*s", (int)strcspn(cookie, ";\r"), cookie);
    const char *at = strstr(r.body, "name=\"csrf\" value=\"");
    assert_non_null(at);
    at += strlen("name=\"csrf\" value=\"");
    snprintf(token, sizeof token, "%.*s", (int)strcspn(at, "\""), at);
    const char *h[] = {hdr, NULL};
    snprintf(body, sizeof body, "csrf=%s&" CREATE_OK, token);
    r = fake_request(fake, "POST", "/admin/drops", h, FORM, body);
    want(&r, 404, "not_found");
    snprintf(body, sizeof body, "csrf=%s", token);
    r = fake_request(fake, "POST", "/admin/drops/7/cancel", h, FORM, body);
    want(&r, 404, "not_found");
}

static void test_admin_drop_changes_need_csrf(void **state)
{
    (void)state;
    struct {
        const char *path, *body;
    } forms[] = {
        {"/admin/drops", CREATE_OK},
        {"/admin/drops/7/edit", EDIT_OK},
        {"/admin/drops/7/cancel", ""},
        {"/admin/drops/7/beacon", "beacon=00000000000000000000000000000000000000000001"},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        struct fake_resp r = fake_request(fake, "POST", forms[i].path, NULL, FORM, forms[i].body);
        want(&r, 403, "csrf");
    }
    /* a wrong token is no token */
    struct fake_resp r =
        fake_request(fake, "POST", "/admin/drops", NULL, FORM, "csrf=forged&" CREATE_OK);
    want(&r, 403, "csrf");
}

static void test_admin_drop_parameters_are_validated(void **state)
{
    (void)state;
    /* refused before the CSRF and role checks: nothing reaches the handler */
    struct {
        const char *method, *path, *body;
    } bad[] = {
        {"GET", "/admin/drops?created=abc", NULL},
        {"GET", "/admin/drops?created=3&created=4", NULL},
        {"GET", "/admin/drops?done=" /* 33 characters */ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL},
        /* create: the product is a slug, required, and so are the open and close times */
        {"POST", "/admin/drops", "kind=queue&opens_at=2026-12-24T18:00&closes_at=2026-12-24T19:00"},
        {"POST", "/admin/drops",
         "product=Air%20Max!&kind=queue&opens_at=2026-12-24T18:00&closes_at=2026-12-24T19:00"},
        {"POST", "/admin/drops", "product=air-max-1&kind=queue&closes_at=2026-12-24T19:00"},
        {"POST", "/admin/drops", "product=air-max-1&kind=queue&opens_at=2026-12-24T18:00"},
        {"POST", "/admin/drops", "product=air-max-1&opens_at=2026-12-24T18:00&closes_at=x"},
        /* create: the rate, the limit and the window have ranges */
        {"POST", "/admin/drops", CREATE_OK "&admit_per_second=5"}, /* given twice */
        {"POST", "/admin/drops",
         "product=air-max-1&kind=queue&opens_at=a&closes_at=b&admit_per_second=0"},
        {"POST", "/admin/drops",
         "product=air-max-1&kind=queue&opens_at=a&closes_at=b&admit_per_second=10001"},
        {"POST", "/admin/drops", "product=air-max-1&kind=queue&opens_at=a&closes_at=b&limit=0"},
        {"POST", "/admin/drops", "product=air-max-1&kind=queue&opens_at=a&closes_at=b&limit=11"},
        {"POST", "/admin/drops",
         "product=air-max-1&kind=queue&opens_at=a&closes_at=b&window_minutes=0"},
        {"POST", "/admin/drops",
         "product=air-max-1&kind=queue&opens_at=a&closes_at=b&window_minutes=1441"},
        {"POST", "/admin/drops", "product=air-max-1&kind=queue&opens_at=a&closes_at=b&limit=one"},
        {"POST", "/admin/drops",
         "product=air-max-1&kind=queue&opens_at=" /* 33 characters */
         "2026-12-24T18:00:00.0000000000000&closes_at=b"},
        /* the announce time (create and edit): optional, at most 32 characters, once */
        {"POST", "/admin/drops",
         CREATE_OK "&announce_at=" /* 33 characters */ "2026-12-24T18:00:00.0000000000000"},
        {"POST", "/admin/drops",
         CREATE_OK "&announce_at=2026-12-24T17:00&announce_at=2026-12-24T17:30"},
        {"POST", "/admin/drops/7/edit",
         EDIT_OK "&announce_at=" /* 33 characters */ "2026-12-24T18:00:00.0000000000000"},
        {"POST", "/admin/drops/7/edit", EDIT_OK "&announce_at=&announce_at=2026-12-24T17:30"},
        /* edit: a drop id, both times, the same ranges */
        {"POST", "/admin/drops/abc/edit", EDIT_OK},
        {"POST", "/admin/drops/7/edit", "opens_at=2026-12-24T18:00"},
        {"POST", "/admin/drops/7/edit", "closes_at=2026-12-24T19:00"},
        {"POST", "/admin/drops/7/edit", EDIT_OK "&limit=11"},
        {"POST", "/admin/drops/7/edit", EDIT_OK "&admit_per_second=0"},
        {"POST", "/admin/drops/7/edit", EDIT_OK "&window_minutes=1441"},
        /* cancel and beacon: a drop id; the beacon 1..200 characters */
        {"POST", "/admin/drops/x7/cancel", ""},
        {"POST", "/admin/drops/7/beacon", ""},
        {"POST", "/admin/drops/7/beacon", "beacon="},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fake_resp r = fake_request(fake, bad[i].method, bad[i].path, NULL,
                                          bad[i].body ? FORM : NULL, bad[i].body);
        if (r.status != 400)
            fail_msg("%s %s [%s]: %d, want 400", bad[i].method, bad[i].path,
                     bad[i].body ? bad[i].body : "", r.status);
    }
    char beacon[300];
    memset(beacon, 'a', sizeof beacon);
    memcpy(beacon, "beacon=", 7);
    beacon[7 + 201] = '\0';
    struct fake_resp r = fake_request(fake, "POST", "/admin/drops/7/beacon", NULL, FORM, beacon);
    assert_int_equal(r.status, 400);
    /* 200 characters pass the check and meet the CSRF check next */
    beacon[7 + 200] = '\0';
    r = fake_request(fake, "POST", "/admin/drops/7/beacon", NULL, FORM, beacon);
    want(&r, 403, "csrf");
}

/* the announce field may be left empty (announce now) or carry a time, in both forms: such a
 * form passes the parameter checks and meets the CSRF check next (403, not 400) */
static void test_admin_drop_announce_field_is_optional(void **state)
{
    (void)state;
    const char *ok[][2] = {
        {"/admin/drops", CREATE_OK},
        {"/admin/drops", CREATE_OK "&announce_at="},
        {"/admin/drops", CREATE_OK "&announce_at=2026-12-24T17:00"},
        {"/admin/drops/7/edit", EDIT_OK "&announce_at="},
        {"/admin/drops/7/edit", EDIT_OK "&announce_at=2026-12-24T17:00"},
        {"/admin/drops/7/edit", EDIT_OK "&announce_at=" /* 32 characters */
                                        "2026-12-24T18:00:00.000000000000"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct fake_resp r = fake_request(fake, "POST", ok[i][0], NULL, FORM, ok[i][1]);
        if (r.status != 403 || !r.code || strcmp(r.code, "csrf") != 0)
            fail_msg("%s [%s]: %d %s, want 403 csrf", ok[i][0], ok[i][1], r.status,
                     r.code ? r.code : "-");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admin_drops_are_404_for_anonymous_visitors),
        cmocka_unit_test(test_admin_drop_changes_need_csrf),
        cmocka_unit_test(test_admin_drop_parameters_are_validated),
        cmocka_unit_test(test_admin_drop_announce_field_is_optional),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

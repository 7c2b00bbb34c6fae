/* Unit tests for app/ops/routes: the operations routes as a table (health checks need no
 * session and log nothing; the two internal POSTs skip the CSRF check only because each
 * declares the header that carries its proof) and what the router does with those headers
 * before the handlers see them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include "cache/near.h"
#include "ops/ops.h"

#include <stdio.h>
#include <string.h>

static const struct http_route *route(const char *name)
{
    for (size_t i = 0; i < ops_module.nroutes; i++)
        if (strcmp(ops_module.routes[i].name, name) == 0)
            return &ops_module.routes[i];
    fail_msg("no ops route %s", name);
    return NULL;
}

/* declared: the route's parameter of that name, or NULL */
static const struct http_param *declared(const struct http_route *r, const char *name)
{
    for (const struct http_param *p = r->params; p && p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

static void test_health_checks_need_nothing_and_log_nothing(void **state)
{
    (void)state;
    const char *names[] = {"healthz", "readyz", "metrics"};
    for (size_t i = 0; i < 3; i++) {
        const struct http_route *r = route(names[i]);
        assert_int_equal(r->methods, HTTP_GET);
        assert_true(r->flags & HTTP_ROUTE_NO_LOG);
        assert_false(r->flags & (FRONT_AUTH | FRONT_ADMIN));
        assert_null(r->params); /* nothing a caller sends changes the answer */
    }
}

static void test_signed_routes_declare_their_proof(void **state)
{
    (void)state;
    static const struct {
        const char *route, *header, *code;
        enum http_kind kind;
    } signed_[] = {
        {"near_epoch", NEAR_SIG_HDR, "bad_signature", HTTP_K_TEXT},
        {"alerts_webhook", "Authorization", "bad_token", HTTP_K_SECRET}, /* never logged */
    };
    size_t no_csrf = 0;
    for (size_t i = 0; i < ops_module.nroutes; i++)
        no_csrf += (ops_module.routes[i].flags & FRONT_NO_CSRF) != 0;
    assert_int_equal(no_csrf, 2);
    for (size_t i = 0; i < 2; i++) {
        const struct http_route *r = route(signed_[i].route);
        assert_int_equal(r->methods, HTTP_POST);
        assert_true(r->flags & FRONT_NO_CSRF);
        const struct http_param *p = declared(r, signed_[i].header);
        if (!p)
            fail_msg("%s reads %s without declaring it", signed_[i].route, signed_[i].header);
        assert_int_equal(p->src, HTTP_SRC_HEADER);
        assert_int_equal(p->kind, signed_[i].kind);
        /* a missing proof is the handler's 403, not the router's 400 */
        assert_false(p->required);
        assert_string_equal(p->invalid_code, signed_[i].code);
    }
}

static void test_malformed_proofs_are_refused_by_the_router(void **state)
{
    (void)state;
    /* longer than any real one, or with a control character: 400 with the handler's code */
    char big[400];
    snprintf(big, sizeof big, "%s: t=1,v1=", NEAR_SIG_HDR);
    memset(big + strlen(big), 'a', 250);
    const char *const long_sig[] = {big, NULL};
    struct fake_resp r = fake_request(fake, "POST", NEAR_PATH, long_sig, NULL, NULL);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.code, "bad_signature");
    assert_non_null(strstr(r.body, NEAR_SIG_HDR));

    const char *const ctl[] = {"Authorization: Bearer \x01"
                               "abc",
                               NULL};
    r = fake_request(fake, "POST", "/__internal/alerts", ctl, "application/json",
                     "{\"alerts\":[]}");
    assert_int_equal(r.status, 400);
    assert_string_equal(r.code, "bad_token");
    char tok[300];
    memset(tok, 'a', sizeof tok);
    memcpy(tok, "Authorization: Bearer ", 22);
    tok[sizeof tok - 1] = '\0';
    const char *const long_tok[] = {tok, NULL};
    r = fake_request(fake, "POST", "/__internal/alerts", long_tok, "application/json",
                     "{\"alerts\":[]}");
    assert_int_equal(r.status, 400);
    assert_string_equal(r.code, "bad_token");
    /* a well-formed wrong one still reaches the handler, which refuses it */
    const char *const wrong[] = {"Authorization: Bearer 00", NULL};
    r = fake_request(fake, "POST", "/__internal/alerts", wrong, "application/json",
                     "{\"alerts\":[]}");
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "bad_token");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_checks_need_nothing_and_log_nothing),
        cmocka_unit_test(test_signed_routes_declare_their_proof),
        cmocka_unit_test(test_malformed_proofs_are_refused_by_the_router),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

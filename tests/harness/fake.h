/*
 * fake — the whole shop in-process, driven by fake requests (no socket, no nginx): the real
 * composition (site_load: every handler folder, the templates, the hooks) with a configuration
 * written to a temporary file, and requests that go through http_serve_one exactly as the
 * FastCGI loop sends them (h2o's and nginx-tests' in-process handler tests).
 *
 * By default the configuration points the database at a closed port and turns memcached off:
 * anything that needs the database answers 503, which is how a test proves a handler did (or
 * did not) touch it. fake_site_new takes extra "key = value" lines to change that.
 *
 * Test code: plain allocation is fine here.
 */
#ifndef STAMPEDE_TESTS_FAKE_H
#define STAMPEDE_TESTS_FAKE_H

#include "front/front.h"

struct fake_site {
    struct http_service *svc;
    struct http_app *app; /* one thread's state */
    struct arena *arena;
    struct buf head, body, out;
    char config[256];
    /* who the next requests come from (fake_sign_in); account 0: anonymous */
    int64_t account;
    char role[16];
    char session_token[48];
    struct http_hooks hooks; /* the site's, with a before hook that sets the session */
    struct http_service as;  /* the site's, with those hooks */
};

struct fake_resp {
    int status;
    const char *head; /* the serialized CGI head (Status, headers), NUL-terminated */
    const char *body; /* NUL-terminated */
    size_t body_len;
    const char *code; /* the error code the handler answered with, or NULL */
};

/* fake_site_new: loads the site with the default fake configuration plus extra lines. */
struct fake_site *fake_site_new(const char *extra_config);
void fake_site_free(struct fake_site *s);

/*
 * fake_request: one request. headers: NULL-terminated "Name: value" strings (may be NULL).
 * The response is valid until the next request.
 */
struct fake_resp fake_request(struct fake_site *s, const char *method, const char *uri,
                              const char *const *headers, const char *ctype, const char *body);

/*
 * fake_sign_in: the next requests of s come from a signed-in account with role ("shopper",
 * "admin"), as if front_before's session lookup had found it: the database is not asked, so
 * a handler behind FRONT_AUTH or FRONT_ADMIN runs on the fake site. Account 0: anonymous again.
 * Sessions of several accounts differ (their session tokens, so their CSRF tokens too).
 */
void fake_sign_in(struct fake_site *s, int64_t account, const char *role);
/* fake_csrf: the form token of the signed-in session (auth.c: HMAC of its session id), into
 * out ("" when anonymous). */
void fake_csrf(const struct fake_site *s, char *out, size_t n);

/* The site of a group of tests: fake_group_setup loads it (default configuration) into `fake`,
 * fake_group_teardown frees it; for cmocka_run_group_tests. */
extern struct fake_site *fake;
int fake_group_setup(void **state);
int fake_group_teardown(void **state);

/* fake_assert_error: the answer is `status` with the JSON error `code` (fails the test). */
void fake_assert_error(const struct fake_resp *r, int status, const char *code);

/* fake_assert_json_error: as fake_assert_error, and the answer is the API's error shape
 * exactly: Content-Type application/json, a body of {"error":{"code","message"}} and nothing
 * else, the message not empty. */
void fake_assert_json_error(const struct fake_resp *r, int status, const char *code);

/* fake_header: a response header's value (case-insensitive name) into out; false if absent. */
bool fake_header(const struct fake_resp *r, const char *name, char *out, size_t n);
/* fake_json_code: the "error.code" of a JSON error body into out; false if none. */
bool fake_json_code(const struct fake_resp *r, char *out, size_t n);

#endif

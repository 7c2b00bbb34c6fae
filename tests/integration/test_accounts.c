/*
 * Integration: accounts, sessions, CSRF, ownership and sign-in throttling, through HAProxy.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct stack S;
static MYSQL *DB;
static char tag[16];

static const char *const JSON_HDRS[] = {"X-Requested-With: stampede", NULL};

static int setup(void **state)
{
    (void)state;
    stack_load(&S);
    DB = stack_db(&S, 0);
    if (sodium_init() < 0)
        fail();
    snprintf(tag, sizeof tag, "%08x", (unsigned)randombytes_random());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    db_execf(DB, "DELETE FROM login_throttle");
    mysql_close(DB);
    return 0;
}

static long api(struct client *c, const char *method, const char *path, const char *json,
                struct resp *r)
{
    if (client_request(c, method, stack_url(&S, path), json ? "application/json" : NULL, json,
                       JSON_HDRS, r) != 0)
        fail_msg("%s %s: no response", method, path);
    return r->status;
}

static const char *email_of(const char *who)
{
    static char bufs[4][128];
    static int i;
    char *b = bufs[i++ % 4];
    snprintf(b, 128, "%s-%s@test.stampede", who, tag);
    return b;
}

/* signup: a new account through the API; the client keeps its session cookie */
static void signup(struct client *c, const char *who)
{
    char body[300];
    snprintf(body, sizeof body,
             "{\"email\":\"%s\",\"password\":\"correct horse battery\",\"name\":\"%s\"}",
             email_of(who), who);
    struct resp r;
    if (api(c, "POST", "/api/v1/accounts", body, &r) != 201)
        fail_msg("signup %s: %ld %s", who, r.status, r.body);
    resp_free(&r);
}

/* put_address: the signed-in client's shipping address (a checkout needs one) */
static void put_address(struct client *c)
{
    struct resp r;
    if (api(c, "PUT", "/api/v1/account/address", TEST_ADDRESS_JSON, &r) != 200)
        fail_msg("address: %ld %s", r.status, r.body);
    resp_free(&r);
}

static void sid_of(const struct resp *r, char *out, size_t len)
{
    if (!cookie_from(r->headers, "stampede_sid", out, len))
        fail_msg("no session cookie in: %s", r->headers);
}

static void test_signup_rules(void **state)
{
    (void)state;
    struct client *c = client_new();
    struct resp r;
    char body[300];
    /* too short, too common, the e-mail itself */
    const char *weak[] = {"short", "1234567890", "password123", "qwertyuiop"};
    for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
        snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\",\"name\":\"W\"}",
                 email_of("weak"), weak[i]);
        assert_int_equal(api(c, "POST", "/api/v1/accounts", body, &r), 422);
        assert_true(resp_contains(&r, "\"weak_password\""));
        resp_free(&r);
    }
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\",\"name\":\"W\"}",
             email_of("weak"), email_of("weak"));
    assert_int_equal(api(c, "POST", "/api/v1/accounts", body, &r), 422);
    resp_free(&r);
    /* a name of blanks only is no name */
    snprintf(body, sizeof body,
             "{\"email\":\"%s\",\"password\":\"a good long password\",\"name\":\"   \"}",
             email_of("weak"));
    assert_int_equal(api(c, "POST", "/api/v1/accounts", body, &r), 422);
    assert_true(resp_contains(&r, "\"invalid_name\""));
    resp_free(&r);
    assert_int_equal(
        db_scalar(DB, "SELECT COUNT(*) FROM accounts WHERE email = '%s'", email_of("weak")), 0);
    /* a good one works once; the stored hash is argon2id, never the password */
    signup(c, "alice");
    assert_int_equal(db_scalar(DB,
                               "SELECT password_hash LIKE '$argon2id$v=19$m=19456,t=2,p=1$%%' "
                               "FROM accounts WHERE email = '%s'",
                               email_of("alice")),
                     1);
    snprintf(body, sizeof body,
             "{\"email\":\"%s\",\"password\":\"another good password\",\"name\":\"A\"}",
             email_of("ALICE"));
    /* e-mails are case-insensitive */
    char upper[128];
    snprintf(upper, sizeof upper, "ALICE-%s@TEST.STAMPEDE", tag);
    snprintf(body, sizeof body,
             "{\"email\":\"%s\",\"password\":\"another good password\",\"name\":\"A\"}", upper);
    assert_int_equal(api(c, "POST", "/api/v1/accounts", body, &r), 409);
    assert_true(resp_contains(&r, "\"email_taken\""));
    resp_free(&r);
    /* malformed input is a clear 400 */
    assert_int_equal(api(c, "POST", "/api/v1/accounts", "{\"email\":\"nope\"}", &r), 400);
    resp_free(&r);
    client_free(c);
}

static void test_session_rotates_at_signin_and_dies_at_signout(void **state)
{
    (void)state;
    struct client *c = client_new();
    signup(c, "bob");
    struct resp r;
    assert_int_equal(api(c, "GET", "/api/v1/session", NULL, &r), 200);
    resp_free(&r);
    /* sign in again: a new id, and the old one is dead */
    char body[300], first[64], second[64];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"correct horse battery\"}",
             email_of("bob"));
    assert_int_equal(api(c, "POST", "/api/v1/session", body, &r), 200);
    sid_of(&r, first, sizeof first);
    resp_free(&r);
    assert_int_equal(api(c, "POST", "/api/v1/session", body, &r), 200);
    sid_of(&r, second, sizeof second);
    resp_free(&r);
    assert_string_not_equal(first, second);
    assert_true(strlen(second) >= 43); /* 32 random bytes, base64url */
    struct client *old = client_new();
    char cookie[128];
    snprintf(cookie, sizeof cookie, "Cookie: stampede_sid=%s", first);
    const char *hdrs[] = {cookie, NULL};
    assert_int_equal(
        client_request(old, "GET", stack_url(&S, "/api/v1/session"), NULL, NULL, hdrs, &r), 0);
    assert_int_equal(r.status, 401);
    resp_free(&r);
    /* sign out: 204, and the cookie no longer works anywhere (server-side) */
    assert_int_equal(api(c, "DELETE", "/api/v1/session", NULL, &r), 204);
    resp_free(&r);
    snprintf(cookie, sizeof cookie, "Cookie: stampede_sid=%s", second);
    assert_int_equal(
        client_request(old, "GET", stack_url(&S, "/api/v1/cart"), NULL, NULL, hdrs, &r), 0);
    assert_int_equal(r.status, 401);
    assert_true(resp_contains(&r, "\"unauthenticated\""));
    resp_free(&r);
    /* nothing of the session is left in the database (only hashes were ever stored) */
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM sessions s JOIN accounts a ON a.id = "
                               "s.account_id WHERE a.email = '%s'",
                               email_of("bob")),
                     0);
    client_free(old);
    client_free(c);
}

/* csrf_of: the csrf token of the first form on a page */
static void csrf_of(const struct resp *r, char *out, size_t len)
{
    const char *p = strstr(r->body, "name=\"csrf\" value=\"");
    if (!p)
        fail_msg("no csrf field on the page");
    p += strlen("name=\"csrf\" value=\"");
    size_t n = strcspn(p, "\"");
    snprintf(out, len, "%.*s", (int)n, p);
}

static void test_csrf_is_required(void **state)
{
    (void)state;
    struct client *c = client_new();
    signup(c, "carol");
    long long sku = db_scalar(DB, "SELECT s.sku_id FROM stock s WHERE s.available > 5 LIMIT 1");
    char json[100], form[300];
    snprintf(json, sizeof json, "{\"sku_id\":%lld,\"quantity\":1}", sku);
    struct resp r;
    /* JSON without the header */
    assert_int_equal(client_request(c, "POST", stack_url(&S, "/api/v1/cart/items"),
                                    "application/json", json, NULL, &r),
                     0);
    assert_int_equal(r.status, 403);
    assert_true(resp_contains(&r, "\"csrf\""));
    resp_free(&r);
    /* a form without, or with a wrong, token */
    snprintf(form, sizeof form, "sku_id=%lld&quantity=1", sku);
    assert_int_equal(client_request(c, "POST", stack_url(&S, "/cart/items"),
                                    "application/x-www-form-urlencoded", form, NULL, &r),
                     0);
    assert_int_equal(r.status, 403);
    resp_free(&r);
    snprintf(form, sizeof form,
             "csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&sku_id=%lld&quantity=1", sku);
    assert_int_equal(client_request(c, "POST", stack_url(&S, "/cart/items"),
                                    "application/x-www-form-urlencoded", form, NULL, &r),
                     0);
    assert_int_equal(r.status, 403);
    resp_free(&r);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM cart_items c JOIN accounts a ON a.id = "
                               "c.account_id WHERE a.email = '%s'",
                               email_of("carol")),
                     0);
    /* the token from our own page works */
    assert_int_equal(client_get(c, stack_url(&S, "/cart"), &r), 0);
    assert_int_equal(r.status, 200);
    char token[128];
    csrf_of(&r, token, sizeof token);
    resp_free(&r);
    snprintf(form, sizeof form, "csrf=%s&sku_id=%lld&quantity=1", token, sku);
    assert_int_equal(client_request(c, "POST", stack_url(&S, "/cart/items"),
                                    "application/x-www-form-urlencoded", form, NULL, &r),
                     0);
    assert_int_equal(r.status, 303);
    resp_free(&r);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM cart_items c JOIN accounts a ON a.id = "
                               "c.account_id WHERE a.email = '%s'",
                               email_of("carol")),
                     1);
    client_free(c);
}

static void test_other_shoppers_orders_are_404(void **state)
{
    (void)state;
    struct client *a = client_new(), *b = client_new();
    signup(a, "dave");
    signup(b, "erin");
    put_address(a);
    long long sku = db_scalar(DB, "SELECT s.sku_id FROM stock s JOIN skus k ON k.id = s.sku_id "
                                  "JOIN products p ON p.id = k.product_id WHERE s.available > 5 "
                                  "AND p.max_per_account IS NULL LIMIT 1");
    char json[100];
    snprintf(json, sizeof json, "{\"sku_id\":%lld,\"quantity\":1}", sku);
    struct resp r;
    assert_int_equal(api(a, "POST", "/api/v1/cart/items", json, &r), 200);
    resp_free(&r);
    const char *hdrs[] = {"X-Requested-With: stampede", "Idempotency-Key: dave-order-0001", NULL};
    assert_int_equal(
        client_request(a, "POST", stack_url(&S, "/api/v1/checkout"), NULL, NULL, hdrs, &r), 0);
    assert_int_equal(r.status, 201);
    cJSON *j = resp_json(&r);
    long long order = (long long)cJSON_GetObjectItem(j, "order_id")->valuedouble;
    cJSON_Delete(j);
    resp_free(&r);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/orders/%lld", order);
    assert_int_equal(api(a, "GET", path, NULL, &r), 200);
    resp_free(&r);
    assert_int_equal(api(b, "GET", path, NULL, &r), 404);
    assert_true(resp_contains(&r, "\"order_not_found\""));
    resp_free(&r);
    snprintf(path, sizeof path, "/orders/%lld", order);
    assert_int_equal(client_get(b, stack_url(&S, path), &r), 0);
    assert_int_equal(r.status, 404);
    resp_free(&r);
    /* and it is not in erin's list */
    assert_int_equal(api(b, "GET", "/api/v1/orders", NULL, &r), 200);
    assert_true(resp_contains(&r, "\"orders\":[]"));
    resp_free(&r);
    /* anonymous: 401 for the API, a redirect to sign-in for pages */
    struct client *anon = client_new();
    assert_int_equal(client_get(anon, stack_url(&S, "/orders"), &r), 0);
    assert_int_equal(r.status, 303);
    char loc[256];
    assert_true(resp_header(&r, "Location", loc, sizeof loc));
    assert_non_null(strstr(loc, "/account/signin?next=%2Forders"));
    resp_free(&r);
    assert_int_equal(client_get(anon, stack_url(&S, "/api/v1/orders"), &r), 0);
    assert_int_equal(r.status, 401);
    resp_free(&r);
    /* a shopper is not an admin */
    assert_int_equal(client_get(a, stack_url(&S, "/admin/stock"), &r), 0);
    assert_int_equal(r.status, 404);
    resp_free(&r);
    client_free(anon);
    client_free(a);
    client_free(b);
    assert_int_equal(stack_run(&S, "./stampede batch audit-stock >/dev/null"), 0);
}

static long signin(struct client *c, const char *email, const char *password, struct resp *r)
{
    char body[300];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
    return api(c, "POST", "/api/v1/session", body, r);
}

/* signin_from: a sign-in from a client; the status, and the Retry-After it gave (0: none) */
static long signin_wait(struct client *c, const char *email, const char *password, long *wait)
{
    struct resp r;
    long st = signin(c, email, password, &r);
    char v[32];
    *wait = resp_header(&r, "Retry-After", v, sizeof v) ? strtol(v, NULL, 10) : 0;
    resp_free(&r);
    return st;
}

/*
 * Review finding 4: 5 wrong passwords locked an account for a minute and 20 failures locked
 * every account of an address for 15 minutes, so an attacker could keep any shopper out, and
 * a carrier's NAT could lock out a crowd. Now only the failing (account, address) pair waits.
 */
static void test_lockout_is_not_a_weapon(void **state)
{
    (void)state;
    db_execf(DB, "DELETE FROM login_throttle");
    struct client *owner = client_new_from("127.0.0.3");
    signup(owner, "frank"); /* this browser now has a device cookie for frank */
    struct client *attacker = client_new_from("127.0.0.2");
    long wait, last_wait = 0;
    /* the attacker's first 5 failures are just failures ... */
    for (int i = 0; i < 5; i++)
        assert_int_equal(signin_wait(attacker, email_of("frank"), "wrong password!!", &wait), 401);
    /* ... then each failure makes the attacker's own pair wait 1, 2, 4 ... seconds */
    assert_int_equal(signin_wait(attacker, email_of("frank"), "wrong password!!", &wait), 401);
    assert_int_equal(wait, 1);
    assert_int_equal(signin_wait(attacker, email_of("frank"), "wrong password!!", &wait), 429);
    assert_true(wait >= 1 && wait <= 2);
    for (int round = 0; round < 3; round++) {
        sleep((unsigned)wait);
        long st = signin_wait(attacker, email_of("frank"), "wrong password!!", &wait);
        assert_int_equal(st, 401);
        assert_true(wait > last_wait); /* growing */
        last_wait = wait;
    }
    /* even the right password waits on the attacker's pair: guessing is slowed there */
    assert_int_equal(signin_wait(attacker, email_of("frank"), "correct horse battery", &wait), 429);
    /* frank's own browser signs in at once ... */
    assert_int_equal(signin_wait(owner, email_of("frank"), "correct horse battery", &wait), 200);
    /* ... and so does frank on a new phone, from another address, with no device cookie */
    struct client *phone = client_new_from("127.0.0.4");
    assert_int_equal(signin_wait(phone, email_of("frank"), "correct horse battery", &wait), 200);
    client_free(phone);
    /* the stored wait is the attacker's pair only, and never more than throttle.max_delay */
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM login_throttle WHERE locked_until > "
                                   "NOW(6)"),
                     1);
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM login_throttle WHERE locked_until > "
                                   "NOW(6) + INTERVAL 301 SECOND"),
                     0);
    db_execf(DB, "DELETE FROM login_throttle");
    client_free(attacker);
    client_free(owner);
}

/* A shop's NAT or a mobile carrier: one address, many shoppers, many typos; one of them
 * knowing the password still signs in at the first try. */
static void test_one_address_many_failures_locks_nobody_else(void **state)
{
    (void)state;
    db_execf(DB, "DELETE FROM login_throttle");
    struct client *crowd = client_new_from("127.0.0.5");
    struct client *gina = client_new_from("127.0.0.6");
    signup(gina, "nat-gina");
    client_free(gina);
    long wait;
    /* past throttle.ip_limit: 30 in the suite's stack (tests/integration/stack.sh), 100 by
     * default */
    for (int i = 0; i < 35; i++) {
        char who[32];
        snprintf(who, sizeof who, "crowd%d", i);
        long st = signin_wait(crowd, email_of(who), "wrong password!!", &wait);
        assert_true(st == 401);
    }
    /* gina, behind the same address, with no device cookie, types it right: in */
    struct client *gina2 = client_new_from("127.0.0.5");
    assert_int_equal(signin_wait(gina2, email_of("nat-gina"), "correct horse battery", &wait), 200);
    client_free(gina2);
    /* the address is marked as attacking: its pairs have one free failure, not five */
    assert_int_equal(signin_wait(crowd, email_of("nat-gina"), "wrong password!!", &wait), 401);
    assert_int_equal(wait, 0);
    assert_int_equal(signin_wait(crowd, email_of("nat-gina"), "wrong password!!", &wait), 401);
    assert_int_equal(wait, 1);
    db_execf(DB, "DELETE FROM login_throttle");
    client_free(crowd);
}

/* Review finding 1: an account with a non-ASCII e-mail could sign up but never sign in again
 * (500: "Illegal mix of collations" in the throttle lookup). */
static void test_non_ascii_email_signs_in(void **state)
{
    (void)state;
    struct client *c = client_new();
    char email[128], body[300];
    snprintf(email, sizeof email, "jürgen-%s@example.com", tag);
    snprintf(body, sizeof body,
             "{\"email\":\"%s\",\"password\":\"correct horse battery\",\"name\":\"Jürgen\"}",
             email);
    struct resp r;
    assert_int_equal(api(c, "POST", "/api/v1/accounts", body, &r), 201);
    resp_free(&r);
    long wait;
    assert_int_equal(signin_wait(c, email, "wrong password!!", &wait), 401);
    assert_int_equal(signin_wait(c, email, "correct horse battery", &wait), 200);
    struct client *other = client_new();
    assert_int_equal(signin_wait(other, email, "correct horse battery", &wait), 200);
    client_free(other);
    client_free(c);
}

/* Review finding 3: a 200-byte User-Agent ending in a multi-byte character made the session
 * insert fail after the account was created: the shopper saw a 500, a retry said email_taken. */
static void test_user_agent_cut_at_a_character_boundary(void **state)
{
    (void)state;
    const char *agents[] = {
        "", /* filled below: 199 ASCII bytes and a 2-byte character across the 200-byte cut */
        "Mozilla/5.0 \xff\xfe not UTF-8 \xc3",
    };
    char ua[300];
    memset(ua, 'x', 199);
    memcpy(ua + 199, "é", 2);
    ua[201] = '\0';
    agents[0] = ua;
    for (int i = 0; i < 2; i++) {
        struct client *c = client_new();
        char who[32], body[300], hdr[320];
        snprintf(who, sizeof who, "agent%d", i);
        snprintf(body, sizeof body,
                 "{\"email\":\"%s\",\"password\":\"correct horse battery\",\"name\":\"A\"}",
                 email_of(who));
        snprintf(hdr, sizeof hdr, "User-Agent: %s", agents[i]);
        const char *hdrs[] = {"X-Requested-With: stampede", hdr, NULL};
        struct resp r;
        assert_int_equal(client_request(c, "POST", stack_url(&S, "/api/v1/accounts"),
                                        "application/json", body, hdrs, &r),
                         0);
        if (r.status != 201)
            fail_msg("sign-up with agent %d: %ld %s", i, r.status, r.body);
        resp_free(&r);
        assert_int_equal(
            db_scalar(DB, "SELECT COUNT(*) FROM accounts WHERE email = '%s'", email_of(who)), 1);
        assert_int_equal(db_scalar(DB,
                                   "SELECT COUNT(*) FROM sessions s JOIN accounts a ON a.id = "
                                   "s.account_id WHERE a.email = '%s'",
                                   email_of(who)),
                         1);
        client_free(c);
    }
}

static void test_html_signup_signin_signout(void **state)
{
    (void)state;
    struct client *c = client_new();
    struct resp r;
    assert_int_equal(client_get(c, stack_url(&S, "/account/signup"), &r), 0);
    assert_int_equal(r.status, 200);
    char token[128], form[600];
    csrf_of(&r, token, sizeof token);
    resp_free(&r);
    snprintf(form, sizeof form, "csrf=%s&name=Gina&email=%s&password=short", token,
             email_of("gina"));
    assert_int_equal(client_request(c, "POST", stack_url(&S, "/account/signup"),
                                    "application/x-www-form-urlencoded", form, NULL, &r),
                     0);
    assert_int_equal(r.status, 422);
    assert_true(resp_contains(&r, "at least 10 characters"));
    assert_true(resp_contains(&r, "Gina")); /* the form keeps what was typed */
    resp_free(&r);
    snprintf(form, sizeof form, "csrf=%s&name=Gina&email=%s&password=gina+likes+drops", token,
             email_of("gina"));
    assert_int_equal(client_request(c, "POST", stack_url(&S, "/account/signup"),
                                    "application/x-www-form-urlencoded", form, NULL, &r),
                     0);
    assert_int_equal(r.status, 303);
    resp_free(&r);
    assert_int_equal(client_get(c, stack_url(&S, "/"), &r), 0);
    assert_true(resp_contains(&r, "Gina"));
    csrf_of(&r, token, sizeof token); /* the sign-out form */
    resp_free(&r);
    snprintf(form, sizeof form, "csrf=%s", token);
    assert_int_equal(client_request(c, "POST", stack_url(&S, "/account/signout"),
                                    "application/x-www-form-urlencoded", form, NULL, &r),
                     0);
    assert_int_equal(r.status, 303);
    resp_free(&r);
    assert_int_equal(client_get(c, stack_url(&S, "/orders"), &r), 0);
    assert_int_equal(r.status, 303); /* signed out: back to sign-in */
    resp_free(&r);
    client_free(c);
}

/* the address API: 404 before there is one, every wrong field named at once and nothing
 * saved, the normalised address back, signed-in shoppers only, CSRF header required */
static void test_address_api(void **state)
{
    (void)state;
    struct client *c = client_new(), *anon = client_new();
    signup(c, "hana");
    struct resp r;
    assert_int_equal(api(c, "GET", "/api/v1/account/address", NULL, &r), 404);
    assert_true(resp_contains(&r, "\"no_address\""));
    resp_free(&r);
    /* old 6-digit postcode, a foreign phone number, no recipient: all three named */
    assert_int_equal(api(c, "PUT", "/api/v1/account/address",
                         "{\"recipient\":\"  \",\"phone\":\"+1 555 123 4567\","
                         "\"postcode\":\"135-080\",\"address\":\"서울 강남구 테헤란로 1\"}",
                         &r),
                     400);
    cJSON *j = resp_json(&r);
    cJSON *e = cJSON_GetObjectItem(j, "error");
    assert_string_equal(cJSON_GetObjectItem(e, "code")->valuestring, "invalid_address");
    cJSON *f = cJSON_GetObjectItem(e, "fields");
    assert_non_null(cJSON_GetObjectItem(f, "recipient"));
    assert_non_null(cJSON_GetObjectItem(f, "phone"));
    assert_non_null(strstr(cJSON_GetObjectItem(f, "postcode")->valuestring, "5-digit"));
    assert_null(cJSON_GetObjectItem(f, "address"));
    assert_null(cJSON_GetObjectItem(f, "detail"));
    cJSON_Delete(j);
    resp_free(&r);
    /* a control character is refused before the domain, with the same code */
    assert_int_equal(api(c, "PUT", "/api/v1/account/address",
                         "{\"recipient\":\"A\\u0001B\",\"phone\":\"010-1234-5678\"}", &r),
                     400);
    assert_true(resp_contains(&r, "\"invalid_address\""));
    resp_free(&r);
    /* a line break reaches the domain, which names the field */
    assert_int_equal(api(c, "PUT", "/api/v1/account/address",
                         "{\"recipient\":\"A\\nB\",\"phone\":\"010-1234-5678\","
                         "\"postcode\":\"06236\",\"address\":\"서울\"}",
                         &r),
                     400);
    assert_true(resp_contains(&r, "\"recipient\""));
    resp_free(&r);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM account_addresses d JOIN accounts a ON "
                               "a.id = d.account_id WHERE a.email = '%s'",
                               email_of("hana")),
                     0);
    /* saved normalised: +82 for the 0, spaces and dots between digits, trimmed text */
    assert_int_equal(api(c, "PUT", "/api/v1/account/address",
                         "{\"recipient\":\" 홍길동 \",\"phone\":\"+82 10.1234.5678\","
                         "\"postcode\":\"06236\",\"address\":\"서울특별시 강남구 테헤란로 152\","
                         "\"detail\":\"\"}",
                         &r),
                     200);
    j = resp_json(&r);
    assert_string_equal(cJSON_GetObjectItem(j, "recipient")->valuestring, "홍길동");
    assert_string_equal(cJSON_GetObjectItem(j, "phone")->valuestring, "010-1234-5678");
    assert_string_equal(cJSON_GetObjectItem(j, "detail")->valuestring, "");
    assert_non_null(strchr(cJSON_GetObjectItem(j, "updated_at")->valuestring, 'Z'));
    cJSON_Delete(j);
    resp_free(&r);
    assert_int_equal(api(c, "GET", "/api/v1/account/address", NULL, &r), 200);
    assert_true(resp_contains(&r, "\"postcode\":\"06236\""));
    resp_free(&r);
    /* signed-in only; the CSRF header is required like on every state change */
    assert_int_equal(api(anon, "GET", "/api/v1/account/address", NULL, &r), 401);
    resp_free(&r);
    assert_int_equal(api(anon, "PUT", "/api/v1/account/address", TEST_ADDRESS_JSON, &r), 401);
    resp_free(&r);
    assert_int_equal(client_request(c, "PUT", stack_url(&S, "/api/v1/account/address"),
                                    "application/json", TEST_ADDRESS_JSON, NULL, &r),
                     0);
    assert_int_equal(r.status, 403);
    assert_true(resp_contains(&r, "\"csrf\""));
    resp_free(&r);
    client_free(c);
    client_free(anon);
}

/* the address form: errors beside their fields with the values kept, `next` only to a local
 * path, linked from the account page (My orders) */
static void test_html_address_form(void **state)
{
    (void)state;
    struct client *c = client_new();
    signup(c, "ivan");
    struct resp r;
    assert_int_equal(client_get(c, stack_url(&S, "/orders"), &r), 0);
    assert_true(resp_contains(&r, "href=\"/account/address\""));
    assert_true(resp_contains(&r, "No shipping address yet"));
    resp_free(&r);
    assert_int_equal(client_get(c, stack_url(&S, "/account/address?next=/cart&required=1"), &r), 0);
    assert_int_equal(r.status, 200);
    assert_true(resp_contains(&r, "name=\"next\" value=\"/cart\""));
    char token[128], form[800];
    csrf_of(&r, token, sizeof token);
    resp_free(&r);
    snprintf(form, sizeof form,
             "csrf=%s&next=%%2Fcart&recipient=Ivan&phone=12345&postcode=06236&address=%%EC%%84%%9C"
             "%%EC%%9A%%B8+%%EC%%A4%%91%%EA%%B5%%AC&detail=",
             token);
    assert_int_equal(client_request(c, "POST", stack_url(&S, "/account/address"),
                                    "application/x-www-form-urlencoded", form, NULL, &r),
                     0);
    assert_int_equal(r.status, 400);
    assert_true(resp_contains(&r, "id=\"address-phone-error\""));
    assert_false(resp_contains(&r, "id=\"address-postcode-error\""));
    assert_true(resp_contains(&r, "value=\"Ivan\"")); /* kept as typed */
    assert_true(resp_contains(&r, "value=\"12345\""));
    assert_true(resp_contains(&r, "name=\"next\" value=\"/cart\""));
    resp_free(&r);
    /* another site as next: saved, and the shopper stays here */
    snprintf(form, sizeof form,
             "csrf=%s&next=%%2F%%2Fevil.example%%2F&recipient=Ivan&phone=010-9876-5432&postcode="
             "06236&address=Seoul+Jung-gu+Sejong-daero+110&detail=3F",
             token);
    assert_int_equal(client_request(c, "POST", stack_url(&S, "/account/address"),
                                    "application/x-www-form-urlencoded", form, NULL, &r),
                     0);
    assert_int_equal(r.status, 303);
    char loc[300];
    assert_true(resp_header(&r, "Location", loc, sizeof loc));
    assert_null(strstr(loc, "evil"));
    assert_string_equal(loc, "/account/address?saved=1");
    resp_free(&r);
    /* a local next: back there */
    snprintf(form, sizeof form,
             "csrf=%s&next=%%2Fcart&recipient=Ivan&phone=010-9876-5432&postcode=06236&address="
             "Seoul+Jung-gu+Sejong-daero+110&detail=4F",
             token);
    assert_int_equal(client_request(c, "POST", stack_url(&S, "/account/address"),
                                    "application/x-www-form-urlencoded", form, NULL, &r),
                     0);
    assert_int_equal(r.status, 303);
    assert_true(resp_header(&r, "Location", loc, sizeof loc));
    assert_string_equal(loc, "/cart");
    resp_free(&r);
    assert_int_equal(client_get(c, stack_url(&S, "/orders"), &r), 0);
    assert_true(resp_contains(&r, "Seoul Jung-gu Sejong-daero 110"));
    assert_true(resp_contains(&r, "010-9876-5432"));
    resp_free(&r);
    /* without a form token: refused, nothing changes */
    assert_int_equal(client_request(c, "POST", stack_url(&S, "/account/address"),
                                    "application/x-www-form-urlencoded",
                                    "recipient=X&phone=010-1111-2222&postcode=06236&address=Y",
                                    NULL, &r),
                     0);
    assert_int_equal(r.status, 403);
    resp_free(&r);
    assert_int_equal(client_get(c, stack_url(&S, "/account/address"), &r), 0);
    assert_true(resp_contains(&r, "value=\"4F\""));
    resp_free(&r);
    client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signup_rules),
        cmocka_unit_test(test_session_rotates_at_signin_and_dies_at_signout),
        cmocka_unit_test(test_csrf_is_required),
        cmocka_unit_test(test_other_shoppers_orders_are_404),
        cmocka_unit_test(test_lockout_is_not_a_weapon),
        cmocka_unit_test(test_one_address_many_failures_locks_nobody_else),
        cmocka_unit_test(test_non_ascii_email_signs_in),
        cmocka_unit_test(test_user_agent_cut_at_a_character_boundary),
        cmocka_unit_test(test_html_signup_signin_signout),
        cmocka_unit_test(test_address_api),
        cmocka_unit_test(test_html_address_form),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

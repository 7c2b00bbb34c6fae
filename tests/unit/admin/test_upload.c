/* Unit tests for app/admin/upload: a product picture is accepted only from an admin with the
 * page's token in X-CSRF-Token, only where uploads are configured, and only when its bytes are
 * what its Content-Type says; then it needs the database (down on the fake site: 503). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/stampede-uploads-%d", (int)getpid());
    mkdir(dir, 0755);
    char line[100];
    snprintf(line, sizeof line, "uploads.dir = %s", dir);
    fake = fake_site_new(line);
    return 0;
}

static int teardown(void **state)
{
    fake_site_free(fake);
    fake = NULL;
    rmdir(dir); /* empty: every test checks that nothing was stored */
    (void)state;
    return 0;
}

static int teardown_each(void **state)
{
    (void)state;
    fake_sign_in(fake, 0, NULL);
    return 0;
}

/* the magic numbers and a little more (fake_request's body is a C string: no NUL bytes) */
static const char png[] = "\x89PNG\r\n\x1a\nIHDR";
static const char jpeg[] = "\xff\xd8\xff\xe0JFIF";

/* put: the picture as the admin page sends it (the token in X-CSRF-Token, or none) */
static struct fake_resp put(const char *path, const char *ctype, const char *body, bool token)
{
    char t[128], h[200];
    fake_csrf(fake, t, sizeof t);
    snprintf(h, sizeof h, "X-CSRF-Token: %s", t);
    const char *const hs[] = {h, NULL};
    return fake_request(fake, "PUT", path, token ? hs : NULL, ctype, body);
}

static size_t files_in(const char *d)
{
    DIR *p = opendir(d);
    assert_non_null(p);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(p));)
        n += e->d_name[0] != '.' || strlen(e->d_name) > 2;
    closedir(p);
    return n;
}

static void test_pictures_are_for_admins_only(void **state)
{
    (void)state;
    struct fake_resp r = put("/admin/products/7/picture", "image/png", png, false);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.code, "not_found");
    fake_sign_in(fake, 41, "shopper");
    r = put("/admin/products/7/picture", "image/png", png, true);
    assert_int_equal(r.status, 404);
    assert_int_equal(files_in(dir), 0);
}

static void test_the_token_comes_in_a_header(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    struct fake_resp r = put("/admin/products/7/picture", "image/png", png, false);
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "csrf");
    const char *const wrong[] = {"X-CSRF-Token: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL};
    r = fake_request(fake, "PUT", "/admin/products/7/picture", wrong, "image/png", png);
    assert_int_equal(r.status, 403);
    /* not a token at all: the declared header's validator refuses it first */
    const char *const junk[] = {"X-CSRF-Token: <script>", NULL};
    r = fake_request(fake, "PUT", "/admin/products/7/picture", junk, "image/png", png);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.code, "invalid_parameter");
    assert_int_equal(files_in(dir), 0);
}

static void test_the_bytes_must_be_what_they_claim(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    /* a PNG sent as a JPEG, a JPEG as a PNG, text as a picture: 415, nothing stored */
    struct fake_resp r = put("/admin/products/7/picture", "image/jpeg", png, true);
    assert_int_equal(r.status, 415);
    assert_string_equal(r.code, "invalid_picture");
    r = put("/admin/products/7/picture", "image/png", jpeg, true);
    assert_int_equal(r.status, 415);
    r = put("/admin/products/7/picture", "image/webp", "RIFF....WEBQ", true);
    assert_int_equal(r.status, 415);
    r = put("/admin/products/7/picture", "image/png", "<svg/onload=alert(1)>", true);
    assert_int_equal(r.status, 415);
    /* other types never reach the route */
    r = put("/admin/products/7/picture", "image/svg+xml", "<svg/>", true);
    assert_int_equal(r.status, 415);
    assert_string_equal(r.code, "unsupported_media_type");
    assert_int_equal(files_in(dir), 0);
}

static void test_a_real_picture_needs_the_product_first(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    /* the product is looked up before anything is written */
    struct fake_resp r = put("/admin/products/7/picture", "image/png", png, true);
    assert_int_equal(r.status, 503);
    r = put("/admin/products/7/picture", "image/jpeg", jpeg, true);
    assert_int_equal(r.status, 503);
    assert_int_equal(files_in(dir), 0);
}

static void test_without_an_uploads_directory_nothing_is_taken(void **state)
{
    (void)state;
    struct fake_site *saved = fake;
    fake = fake_site_new(NULL);
    fake_sign_in(fake, 1, "admin");
    struct fake_resp r = put("/admin/products/7/picture", "image/png", png, true);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.code, "uploads_off");
    fake_site_free(fake);
    fake = saved;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_pictures_are_for_admins_only, teardown_each),
        cmocka_unit_test_teardown(test_the_token_comes_in_a_header, teardown_each),
        cmocka_unit_test_teardown(test_the_bytes_must_be_what_they_claim, teardown_each),
        cmocka_unit_test_teardown(test_a_real_picture_needs_the_product_first, teardown_each),
        cmocka_unit_test_teardown(test_without_an_uploads_directory_nothing_is_taken,
                                  teardown_each),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Unit tests for app/admin/products: the product form for admins only, its fields checked
 * by the router and then by the domain (shop/catalog.h) before anything is saved; the fake
 * site's database is down, so 503 proves a request got as far as the database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <stdio.h>
#include <string.h>

#define FORM "application/x-www-form-urlencoded"
/* a product form the domain accepts (it fails only at the database) */
#define GOOD                                                                     \
    "name=Halo+1&brand=Stampede&colorway=White&description=A+shoe.&price=129000" \
    "&image=img%2Fproducts%2Fhalo-1.svg&release_date=2026-12-24&max_per_account=2&active=on"

static int teardown_each(void **state)
{
    (void)state;
    fake_sign_in(fake, 0, NULL);
    return 0;
}

static struct fake_resp post(const char *path, const char *fields)
{
    char token[128], body[2048];
    fake_csrf(fake, token, sizeof token);
    snprintf(body, sizeof body, "csrf=%s&%s", token, fields);
    return fake_request(fake, "POST", path, NULL, FORM, body);
}

static void test_product_pages_are_for_admins_only(void **state)
{
    (void)state;
    for (int shopper = 0; shopper < 2; shopper++) {
        fake_sign_in(fake, shopper ? 41 : 0, shopper ? "shopper" : NULL);
        const char *paths[] = {"/admin/products/new", "/admin/products/7",
                               "/admin/products/7?saved=1"};
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
            struct fake_resp r = fake_request(fake, "GET", paths[i], NULL, NULL, NULL);
            assert_int_equal(r.status, 404);
            assert_string_equal(r.code, "not_found");
        }
        struct fake_resp r = post("/admin/products", "slug=halo-1&" GOOD);
        assert_int_equal(r.status, shopper ? 404 : 403);
        r = post("/admin/products/7/sizes", "size_mm=270");
        assert_int_equal(r.status, shopper ? 404 : 403);
    }
}

static void test_the_new_product_form_needs_no_database(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    struct fake_resp r = fake_request(fake, "GET", "/admin/products/new", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "New product"));
    assert_non_null(strstr(r.body, "action=\"/admin/products\""));
    assert_non_null(strstr(r.body, "value=\"img/products/\"")); /* the picture's default */
    /* the form carries this session's token */
    char token[128], field[200];
    fake_csrf(fake, token, sizeof token);
    snprintf(field, sizeof field, "name=\"csrf\" value=\"%s\"", token);
    assert_non_null(strstr(r.body, field));
}

static void test_changes_need_the_form_token(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    struct fake_resp r =
        fake_request(fake, "POST", "/admin/products", NULL, FORM, "slug=halo-1&" GOOD);
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "csrf");
    r = fake_request(fake, "POST", "/admin/products/7/sizes", NULL, FORM,
                     "size_mm=270&csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "csrf");
}

static void test_the_router_checks_the_fields(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    const char *bad[] = {
        /* price required, 1..100,000,000 */
        "slug=halo-1&name=Halo&brand=S&description=D&image=img%2Fa.svg",
        "slug=halo-1&name=Halo&brand=S&description=D&image=img%2Fa.svg&price=0",
        "slug=halo-1&name=Halo&brand=S&description=D&image=img%2Fa.svg&price=100000001",
        /* at most 100 pairs per account */
        "slug=halo-1&name=Halo&brand=S&description=D&image=img%2Fa.svg&price=1&max_per_account=101",
        /* the description is required */
        "slug=halo-1&name=Halo&brand=S&image=img%2Fa.svg&price=1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fake_resp r = post("/admin/products", bad[i]);
        assert_int_equal(r.status, 400);
        assert_string_equal(r.code, "invalid_parameter");
    }
    /* a name of 201 characters */
    char form[600] = "slug=halo-1&brand=S&description=D&image=img%2Fa.svg&price=1&name=";
    memset(form + strlen(form), 'n', 201);
    struct fake_resp r = post("/admin/products", form);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.code, "invalid_parameter");
    r = post("/admin/products/7/sizes", "size_mm=1001");
    assert_int_equal(r.status, 400);
    r = post("/admin/products/0/sizes", "size_mm=270");
    assert_int_equal(r.status, 400);
}

static void test_the_domain_names_the_wrong_field_and_keeps_the_form(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    static const struct {
        const char *form, *why;
    } cases[] = {
        {"slug=Bad+Slug&" GOOD, "The address (slug)"},
        {"slug=halo-1&name=&brand=S&description=D&price=1&image=img%2Fa.svg", "The name"},
        {"slug=halo-1&name=N&brand=S&description=D&price=1&image=..%2Fetc%2Fpasswd", "The picture"},
        {"slug=halo-1&name=N&brand=S&description=D&price=1&image=img%2Fa.svg"
         "&release_date=24.12.2026",
         "The release date"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fake_resp r = post("/admin/products", cases[i].form);
        assert_int_equal(r.status, 400);
        assert_string_equal(r.code, "invalid_product");
        if (!strstr(r.body, cases[i].why))
            fail_msg("case %zu: no \"%s\" in the page", i, cases[i].why);
    }
    /* what the admin typed comes back, escaped */
    struct fake_resp r = post("/admin/products", "slug=Bad+Slug&name=%3Cb%3EHalo%3C%2Fb%3E&brand=S"
                                                 "&description=D&price=1&image=img%2Fa.svg");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "&lt;b&gt;Halo&lt;/b&gt;"));
    assert_null(strstr(r.body, "<b>Halo"));
}

static void test_valid_changes_reach_the_database(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    struct fake_resp r = post("/admin/products", "slug=halo-1&" GOOD);
    assert_int_equal(r.status, 503);
    r = post("/admin/products/7", GOOD);
    assert_int_equal(r.status, 503);
    r = post("/admin/products/7/sizes", "size_mm=270");
    assert_int_equal(r.status, 503);
    r = fake_request(fake, "GET", "/admin/products/7", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_product_pages_are_for_admins_only, teardown_each),
        cmocka_unit_test_teardown(test_the_new_product_form_needs_no_database, teardown_each),
        cmocka_unit_test_teardown(test_changes_need_the_form_token, teardown_each),
        cmocka_unit_test_teardown(test_the_router_checks_the_fields, teardown_each),
        cmocka_unit_test_teardown(test_the_domain_names_the_wrong_field_and_keeps_the_form,
                                  teardown_each),
        cmocka_unit_test_teardown(test_valid_changes_reach_the_database, teardown_each),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

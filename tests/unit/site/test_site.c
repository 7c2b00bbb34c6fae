/* Unit tests for app/site: the composition loads every handler folder into one service. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include "site/site.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_one_route_table_from_every_folder(void **state)
{
    (void)state;
    struct fake_site *s = fake_site_new(NULL);
    const struct front *f = site_front(s->svc);
    assert_int_equal(router_count(f->router), f->nroutes);
    bool home = false, admin = false, readyz = false;
    for (size_t i = 0; i < f->nroutes; i++) {
        home |= strcmp(f->routes[i].name, "home") == 0;
        admin |= strcmp(f->routes[i].name, "admin_stock") == 0;
        readyz |= strcmp(f->routes[i].name, "readyz") == 0;
        /* route names are the metrics' labels: unique */
        for (size_t j = 0; j < i; j++)
            if (strcmp(f->routes[i].name, f->routes[j].name) == 0)
                fail_msg("route name %s used twice", f->routes[i].name);
        /* every admin route is for admins only */
        if (strncmp(f->routes[i].pattern, "/admin", 6) == 0)
            assert_true(f->routes[i].flags & FRONT_ADMIN);
    }
    assert_true(home && admin && readyz);
    /* every page template a folder binds is compiled */
    const char *files[] = {"error.html", "home.html", "cart.html", "admin/stock.html",
                           "admin/payments.html"};
    for (size_t i = 0; i < 5; i++)
        assert_non_null(tpl_get(f->tpl, files[i]));
    fake_site_free(s);
}

static void test_a_bad_configuration_is_refused_with_its_reason(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/stampede-site-%d.conf", (int)getpid());
    FILE *f = fopen(path, "w");
    fprintf(f, "db.password = x\nsecurity.secret = 0123456789abcdef0123456789abcdef\n"
               "no.such.key = 1\n");
    fclose(f);
    struct buf err;
    buf_init(&err, 4096);
    assert_null(site_load(path, &err));
    assert_non_null(strstr(buf_cstr(&err), "no.such.key"));
    buf_free(&err);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_route_table_from_every_folder),
        cmocka_unit_test(test_a_bad_configuration_is_refused_with_its_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

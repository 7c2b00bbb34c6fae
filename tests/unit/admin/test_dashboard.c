/* Unit tests for app/admin/dashboard: admins only; without Prometheus the page says so (and
 * asks nothing); with one it draws each panel's series from its range queries. A small
 * Prometheus stand-in on a loopback port answers every query with the same two series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int teardown_each(void **state)
{
    (void)state;
    fake_sign_in(fake, 0, NULL);
    return 0;
}

/* ---------------------------------------------------------------- the Prometheus stand-in */

static const char matrix[] =
    "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
    "{\"metric\":{\"__name__\":\"x\",\"drop\":\"halo-1\"},"
    "\"values\":[[1700000000,\"2\"],[1700000030,\"4\"]]},"
    "{\"metric\":{\"drop\":\"halo-2\"},\"values\":[[1700000000,\"1\"],[1700000030,\"NaN\"]]}"
    "]}}";

struct fake_prometheus {
    int fd;
    int port;
    atomic_int queries;
    pthread_t tid;
};

static void *serve(void *arg)
{
    struct fake_prometheus *p = arg;
    for (;;) {
        int c = accept(p->fd, NULL, NULL);
        if (c < 0)
            return NULL; /* the listening socket was shut down */
        char req[8192];
        size_t got = 0;
        while (got < sizeof req - 1) {
            ssize_t n = read(c, req + got, sizeof req - 1 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
            req[got] = '\0';
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        if (strncmp(req, "GET /api/v1/query_range?query=", 30) == 0)
            atomic_fetch_add(&p->queries, 1);
        char head[200];
        int hn = snprintf(head, sizeof head,
                          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                          sizeof matrix - 1);
        if (write(c, head, (size_t)hn) != hn || write(c, matrix, sizeof matrix - 1) < 0)
            fprintf(stderr, "prometheus stand-in: write failed\n");
        close(c);
    }
}

static void fake_prometheus_start(struct fake_prometheus *p)
{
    p->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(p->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(p->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(p->fd, 16), 0);
    assert_int_equal(getsockname(p->fd, (struct sockaddr *)&a, &len), 0);
    p->port = ntohs(a.sin_port);
    atomic_init(&p->queries, 0);
    assert_int_equal(pthread_create(&p->tid, NULL, serve, p), 0);
}

static void fake_prometheus_stop(struct fake_prometheus *p)
{
    shutdown(p->fd, SHUT_RDWR);
    pthread_join(p->tid, NULL);
    close(p->fd);
}

/* ---------------------------------------------------------------- tests */

static void test_the_dashboard_is_for_admins_only(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "GET", "/admin/dashboard", NULL, NULL, NULL);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.code, "not_found");
    fake_sign_in(fake, 41, "shopper");
    r = fake_request(fake, "GET", "/admin/dashboard", NULL, NULL, NULL);
    assert_int_equal(r.status, 404);
    r = fake_request(fake, "POST", "/admin/dashboard", NULL, NULL, NULL);
    assert_int_equal(r.status, 405);
}

static void test_without_monitoring_the_page_says_so(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    struct fake_resp r = fake_request(fake, "GET", "/admin/dashboard", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "Monitoring is off"));
    assert_null(strstr(r.body, "Prometheus does not answer"));
    assert_null(strstr(r.body, "dash__panel"));
    char cc[64];
    assert_true(fake_header(&r, "Cache-Control", cc, sizeof cc));
    assert_string_equal(cc, "no-store");
}

static void test_an_unreachable_prometheus_is_reported_not_fatal(void **state)
{
    (void)state;
    struct fake_site *saved = fake;
    fake = fake_site_new("monitoring.prometheus_url = http://127.0.0.1:1");
    fake_sign_in(fake, 1, "admin");
    struct fake_resp r = fake_request(fake, "GET", "/admin/dashboard", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "Prometheus does not answer right now"));
    assert_null(strstr(r.body, "Monitoring is off"));
    assert_null(strstr(r.body, "dash__panel"));
    fake_site_free(fake);
    fake = saved;
}

static void test_each_panel_is_drawn_from_its_queries(void **state)
{
    (void)state;
    struct fake_prometheus p;
    fake_prometheus_start(&p);
    char line[100];
    snprintf(line, sizeof line, "monitoring.prometheus_url = http://127.0.0.1:%d", p.port);
    struct fake_site *saved = fake;
    fake = fake_site_new(line);
    fake_sign_in(fake, 1, "admin");
    struct fake_resp r = fake_request(fake, "GET", "/admin/dashboard", NULL, NULL, NULL);
    int queries = atomic_load(&p.queries);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "Prometheus does not answer"));
    assert_null(strstr(r.body, "Monitoring is off"));
    /* nine panels, each with the last hour and the last five minutes */
    assert_int_equal(queries, 18);
    size_t panels = 0, lines = 0;
    for (const char *s = r.body; (s = strstr(s, "class=\"dash__panel\"")); s++)
        panels++;
    for (const char *s = r.body; (s = strstr(s, "<polyline points=")); s++)
        lines++;
    assert_int_equal(panels, 9);
    assert_int_equal(lines, 36); /* two series in each of 18 plots */
    assert_non_null(strstr(r.body, "aria-label=\"Requests\""));
    assert_non_null(strstr(r.body, "aria-label=\"Replica lag\""));
    /* the largest value of a window is its scale; NaN points are left out */
    assert_non_null(strstr(r.body, "max 4"));
    assert_non_null(strstr(r.body, "drop=halo-1"));
    assert_null(strstr(r.body, "__name__"));
    fake_site_free(fake);
    fake = saved;
    fake_prometheus_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_the_dashboard_is_for_admins_only, teardown_each),
        cmocka_unit_test_teardown(test_without_monitoring_the_page_says_so, teardown_each),
        cmocka_unit_test_teardown(test_an_unreachable_prometheus_is_reported_not_fatal,
                                  teardown_each),
        cmocka_unit_test_teardown(test_each_panel_is_drawn_from_its_queries, teardown_each),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}

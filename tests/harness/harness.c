/* harness — integration test helpers; see harness.h. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <pthread.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void set_int(const char *v, int *out)
{
    *out = (int)strtol(v, NULL, 10);
}

void stack_load(struct stack *s)
{
    memset(s, 0, sizeof *s);
    const char *path = getenv("STAMPEDE_STACK_ENV");
    if (!path)
        fail_msg("STAMPEDE_STACK_ENV is not set: run through ctest (fixture 'stack')");
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s: the stack fixture did not start", path);
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *k = line, *v = eq + 1;
        if (!strcmp(k, "STAMPEDE_REPO"))
            snprintf(s->repo, sizeof s->repo, "%s", v);
        else if (!strcmp(k, "STAMPEDE_DATA"))
            snprintf(s->data, sizeof s->data, "%s", v);
        else if (!strcmp(k, "STAMPEDE_BUILD_DIR"))
            snprintf(s->build, sizeof s->build, "%s", v);
        else if (!strcmp(k, "STAMPEDE_PORT_BASE"))
            set_int(v, &s->port_base);
    }
    fclose(f);
    if (!s->port_base || !s->data[0] || !s->repo[0])
        fail_msg("%s is incomplete", path);
    s->http_port = s->port_base;
    s->nginx_port[0] = s->port_base + 1;
    s->nginx_port[1] = s->port_base + 2;
    s->db_port[0] = s->port_base + 10;
    s->db_port[1] = s->port_base + 11;
    s->mc_port[0] = s->port_base + 20;
    s->mc_port[1] = s->port_base + 21;
    s->dbproxy_port = s->port_base + 12;
    s->dbproxy_status_port = s->port_base + 13;
    snprintf(s->base_url, sizeof s->base_url, "http://127.0.0.1:%d", s->http_port);
    static bool curl_ready;
    if (!curl_ready) {
        curl_global_init(CURL_GLOBAL_ALL);
        curl_ready = true;
    }
}

int stack_run(const struct stack *s, const char *fmt, ...)
{
    char cmd[2048], full[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    /* the suite's settings (stack.sh wrote them into stack.env) first, so an `up` run by a
     * test writes the configuration the stack was started with */
    snprintf(full, sizeof full,
             "cd '%s' && set -a && . '%s' && set +a && STAMPEDE_DATA='%s' STAMPEDE_BUILD_DIR='%s' "
             "STAMPEDE_PORT_BASE=%d STAMPEDE_NO_INSTALL=1 STAMPEDE_NO_BUILD=1 %s",
             s->repo, getenv("STAMPEDE_STACK_ENV"), s->data, s->build, s->port_base, cmd);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *stack_served_by(const struct stack *s, struct client *c)
{
    static char node[32];
    struct resp r;
    node[0] = '\0';
    if (client_get(c, stack_url(s, "/healthz"), &r) == 0 && r.status == 200) {
        cJSON *j = resp_json(&r);
        cJSON *n = j ? cJSON_GetObjectItem(j, "node") : NULL;
        if (cJSON_IsString(n))
            snprintf(node, sizeof node, "%s", n->valuestring);
        cJSON_Delete(j);
    }
    resp_free(&r);
    return node;
}

int stack_pid(const struct stack *s, const char *relpath)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", s->data, relpath);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int pid = 0;
    if (fscanf(f, "%d", &pid) != 1)
        pid = 0;
    fclose(f);
    return pid;
}

struct client {
    CURL *c;
};

struct client *client_new(void)
{
    struct client *c = calloc(1, sizeof *c);
    c->c = curl_easy_init();
    curl_easy_setopt(c->c, CURLOPT_COOKIEFILE, ""); /* in-memory cookie jar */
    curl_easy_setopt(c->c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c->c, CURLOPT_NOSIGNAL, 1L);
    return c;
}

struct client *client_new_from(const char *local_addr)
{
    struct client *c = client_new();
    char iface[64];
    snprintf(iface, sizeof iface, "host!%s", local_addr);
    curl_easy_setopt(c->c, CURLOPT_INTERFACE, iface);
    return c;
}

void client_free(struct client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->c);
    free(c);
}

struct sink {
    char **p;
    size_t *len;
};

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;
    size_t add = size * n;
    *s->p = realloc(*s->p, *s->len + add + 1);
    memcpy(*s->p + *s->len, data, add);
    *s->len += add;
    (*s->p)[*s->len] = '\0';
    return add;
}

int client_request(struct client *c, const char *method, const char *url, const char *ctype,
                   const char *body, const char *const *headers, struct resp *r)
{
    memset(r, 0, sizeof *r);
    r->body = calloc(1, 1);
    r->headers = calloc(1, 1);
    struct sink bs = {&r->body, &r->body_len}, hs = {&r->headers, &r->headers_len};
    CURL *h = c->c;
    /* undo what the previous request set (curl_easy_reset would also drop the cookie
     * engine); the handle keeps its cookies and connections */
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, -1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L); /* last: setting POSTFIELDS selects POST */
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &bs);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &hs);
    if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    struct curl_slist *list = NULL;
    char ct[256];
    if (ctype) {
        snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
        list = curl_slist_append(list, ct);
    }
    for (const char *const *p = headers; p && *p; p++)
        list = curl_slist_append(list, *p);
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(list);
    if (rc != CURLE_OK)
        return -1;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    return 0;
}

int client_get(struct client *c, const char *url, struct resp *r)
{
    return client_request(c, "GET", url, NULL, NULL, NULL, r);
}

void resp_free(struct resp *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

bool resp_header(const struct resp *r, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    const char *p = r->headers;
    while (p && *p) {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            size_t vl = len - (size_t)(v - p);
            snprintf(out, outlen, "%.*s", (int)vl, v);
            return true;
        }
        p = eol ? eol + 2 : NULL;
    }
    return false;
}

cJSON *resp_json(const struct resp *r)
{
    return cJSON_ParseWithLength(r->body, r->body_len);
}

bool resp_contains(const struct resp *r, const char *needle)
{
    return r->body && strstr(r->body, needle) != NULL;
}

const char *stack_url(const struct stack *s, const char *path)
{
    static char bufs[8][1024];
    static int i;
    char *b = bufs[i++ % 8];
    snprintf(b, 1024, "%s%s", s->base_url, path);
    return b;
}

const char *node_url(const struct stack *s, int node, const char *path)
{
    static char bufs[8][1024];
    static int i;
    char *b = bufs[i++ % 8];
    snprintf(b, 1024, "http://127.0.0.1:%d%s", s->nginx_port[node], path);
    return b;
}

/*
 * Direct writes and the replica. The shop reads through the proxy, mostly from the replica, so
 * a row a test writes on the primary directly must have reached the replica before the test
 * asks the shop about it. db_execf on a primary connection therefore waits (up to 2 s, never
 * failing: the replica may be stopped on purpose) until the replica has applied the write's
 * GTID, like a session's causal read would. harness_auto_sync(false) turns it off.
 */
static char replica_sock[1024];
static bool auto_sync = true;

void harness_auto_sync(bool on)
{
    auto_sync = on;
}

static void sync_write(MYSQL *m)
{
    static _Thread_local MYSQL *replica;
    /* the session's last write (none on a replica connection: nothing to wait for) */
    if (!auto_sync || !replica_sock[0] || mysql_query(m, "SELECT @@last_gtid"))
        return;
    MYSQL_RES *res = mysql_store_result(m);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    char gtid[256] = "";
    if (row && row[0])
        snprintf(gtid, sizeof gtid, "%s", row[0]);
    if (res)
        mysql_free_result(res);
    if (!gtid[0] || strchr(gtid, '\''))
        return;
    if (!replica) {
        replica = mysql_init(NULL);
        if (!mysql_real_connect(replica, NULL, "root", NULL, NULL, 0, replica_sock, 0)) {
            mysql_close(replica);
            replica = NULL;
            return;
        }
    }
    char q[400];
    snprintf(q, sizeof q, "SELECT MASTER_GTID_WAIT('%s', 2)", gtid);
    if (mysql_query(replica, q)) {
        mysql_close(replica); /* the replica went away: try again next time */
        replica = NULL;
        return;
    }
    res = mysql_store_result(replica);
    if (res)
        mysql_free_result(res);
}

MYSQL *stack_db(const struct stack *s, int which)
{
    char sock[1024];
    snprintf(sock, sizeof sock, "%s/run/mariadb-%s.sock", s->data, which ? "replica" : "primary");
    snprintf(replica_sock, sizeof replica_sock, "%s/run/mariadb-replica.sock", s->data);
    MYSQL *m = mysql_init(NULL);
    if (!mysql_real_connect(m, NULL, "root", NULL, "stampede", 0, sock, 0))
        fail_msg("cannot connect to %s: %s", sock, mysql_error(m));
    return m;
}

/* first_cell: the first column of the first row of sql into out ("" for none or NULL). */
static void first_cell(MYSQL *m, const char *sql, char *out, size_t n)
{
    if (mysql_query(m, sql))
        fail_msg("query failed: %s: %s", sql, mysql_error(m));
    MYSQL_RES *res = mysql_store_result(m);
    if (!res)
        fail_msg("no result: %s", sql);
    MYSQL_ROW row = mysql_fetch_row(res);
    snprintf(out, n, "%s", row && row[0] ? row[0] : "");
    mysql_free_result(res);
}

long long db_scalar(MYSQL *m, const char *fmt, ...)
{
    char sql[4096], v[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    first_cell(m, sql, v, sizeof v);
    return strtoll(v, NULL, 10);
}

const char *db_textf(MYSQL *m, const char *fmt, ...)
{
    static char out[1024];
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    first_cell(m, sql, out, sizeof out);
    return out;
}

unsigned db_execf(MYSQL *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    char *sql = malloc((size_t)n + 1);
    assert_non_null(sql);
    va_start(ap, fmt);
    vsnprintf(sql, (size_t)n + 1, fmt, ap);
    va_end(ap);
    unsigned rc = 0;
    if (mysql_query(m, sql)) {
        rc = mysql_errno(m);
    } else {
        MYSQL_RES *res = mysql_store_result(m);
        if (res)
            mysql_free_result(res);
        if (!res && mysql_field_count(m) == 0)
            sync_write(m);
    }
    free(sql);
    return rc;
}

bool wait_until(bool (*cond)(void *), void *arg, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 100) {
        if (cond(arg))
            return true;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

void http_parallel(struct hreq *r, size_t n, size_t max_parallel)
{
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)max_parallel);
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)max_parallel);
    CURL **handles = calloc(n ? n : 1, sizeof *handles);
    struct curl_slist **lists = calloc(n ? n : 1, sizeof *lists);
    struct sink *bs = calloc(n ? n : 1, sizeof *bs), *hs = calloc(n ? n : 1, sizeof *hs);
    for (size_t i = 0; i < n; i++) {
        struct hreq *q = &r[i];
        q->status = -1;
        q->out = calloc(1, 1);
        q->out_headers = calloc(1, 1);
        q->out_len = q->out_headers_len = 0;
        bs[i] = (struct sink){&q->out, &q->out_len};
        hs[i] = (struct sink){&q->out_headers, &q->out_headers_len};
        CURL *h = curl_easy_init();
        handles[i] = h;
        curl_easy_setopt(h, CURLOPT_URL, q->url);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &bs[i]);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &hs[i]);
        curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)q);
        char iface[64];
        if (q->from[0]) {
            snprintf(iface, sizeof iface, "host!%s", q->from);
            curl_easy_setopt(h, CURLOPT_INTERFACE, iface);
        }
        if (q->body) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(q->body));
        }
        if (q->method && strcmp(q->method, q->body ? "POST" : "GET") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
        struct curl_slist *l = curl_slist_append(NULL, "Expect:");
        char ct[128];
        if (q->ctype) {
            snprintf(ct, sizeof ct, "Content-Type: %s", q->ctype);
            l = curl_slist_append(l, ct);
        }
        for (int k = 0; k < 6; k++)
            if (q->hdr[k][0])
                l = curl_slist_append(l, q->hdr[k]);
        lists[i] = l;
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
        curl_multi_add_handle(m, h);
    }
    int running = 1;
    while (running) {
        curl_multi_perform(m, &running);
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct hreq *q;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&q);
            if (msg->data.result == CURLE_OK)
                curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &q->status);
        }
    }
    for (size_t i = 0; i < n; i++) {
        curl_multi_remove_handle(m, handles[i]);
        curl_easy_cleanup(handles[i]);
        curl_slist_free_all(lists[i]);
    }
    curl_multi_cleanup(m);
    free(handles);
    free(lists);
    free(bs);
    free(hs);
}

/* busy: the shop's password bulkhead said "busy, retry" */
static bool busy(const struct hreq *q)
{
    return q->status == 503 && q->out && strstr(q->out, "\"auth_busy\"");
}

size_t http_parallel_until_served(struct hreq *r, size_t n, size_t max_parallel, int max_rounds)
{
    http_parallel(r, n, max_parallel);
    return http_retry_busy(r, n, max_parallel, max_rounds - 1);
}

size_t http_retry_busy(struct hreq *r, size_t n, size_t max_parallel, int max_rounds)
{
    size_t busy_answers = 0;
    struct hreq **again = calloc(n ? n : 1, sizeof *again);
    for (int round = 0; round < max_rounds; round++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (busy(&r[i]))
                again[k++] = &r[i];
        if (k == 0)
            break;
        busy_answers += k;
        sleep(1); /* the Retry-After the shop gives is about that */
        struct hreq *batch = calloc(k, sizeof *batch);
        for (size_t i = 0; i < k; i++) {
            hreq_free(again[i]);
            batch[i] = *again[i];
        }
        http_parallel(batch, k, max_parallel);
        for (size_t i = 0; i < k; i++)
            *again[i] = batch[i];
        free(batch);
    }
    free(again);
    return busy_answers;
}

void hreq_free(struct hreq *r)
{
    free(r->out);
    free(r->out_headers);
    r->out = r->out_headers = NULL;
}

bool cookie_from(const char *headers, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    for (const char *p = headers; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > 12 && strncasecmp(p, "set-cookie:", 11) == 0) {
            const char *v = p + 11;
            while (*v == ' ')
                v++;
            if (strncmp(v, name, n) == 0 && v[n] == '=') {
                const char *val = v + n + 1;
                size_t vl = strcspn(val, ";\r\n");
                snprintf(out, outlen, "%.*s", (int)vl, val);
                return true;
            }
        }
        p = eol ? eol + 2 : NULL;
    }
    return false;
}

bool stack_haproxy_stat(const struct stack *s, const char *server, const char *field, char *out,
                        size_t n)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(out, n, "?");
    int len = snprintf(sun.sun_path, sizeof sun.sun_path, "%.80s/run/haproxy.sock", s->data);
    if (len < 0 || (size_t)len >= sizeof sun.sun_path)
        fail_msg("data folder path too long for a unix socket: %s", s->data);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
        close(fd);
        return false;
    }
    const char *cmd = "show stat\n";
    if (write(fd, cmd, strlen(cmd)) < 0) {
        close(fd);
        return false;
    }
    char *buf = malloc(1 << 17);
    size_t got = 0;
    ssize_t r;
    while (got < (1u << 17) - 1 && (r = read(fd, buf + got, (1u << 17) - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fd);
    /* CSV; the first line names the fields: "# pxname,svname,..." */
    int col = -1;
    bool found = false;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *fields[128];
        int nf = 0;
        for (char *p = line; nf < 128;) {
            fields[nf++] = p;
            char *c = strchr(p, ',');
            if (!c)
                break;
            *c = '\0';
            p = c + 1;
        }
        if (line[0] == '#') {
            for (int i = 0; i < nf; i++)
                if (strcmp(fields[i] + (i == 0 ? 2 : 0), field) == 0)
                    col = i;
            continue;
        }
        if (col >= 0 && col < nf && nf > 1 && strcmp(fields[1], server) == 0) {
            snprintf(out, n, "%s", fields[col]);
            found = true;
            break;
        }
    }
    free(buf);
    return found;
}

void stack_test_account(const struct stack *s)
{
    MYSQL *m = stack_db(s, 0);
    db_execf(m, "CREATE DATABASE IF NOT EXISTS " TEST_DB_NAME);
    if (db_scalar(m, "SELECT COUNT(*) FROM mysql.user WHERE User='" TEST_DB_USER "'") == 0) {
        if (db_execf(m, "CREATE USER '" TEST_DB_USER
                        "'@'127.0.0.1' IDENTIFIED BY '" TEST_DB_PASSWORD "'") ||
            db_execf(m, "GRANT ALL ON " TEST_DB_NAME ".* TO '" TEST_DB_USER "'@'127.0.0.1'"))
            fail_msg("cannot create the test account: %s", mysql_error(m));
    }
    mysql_close(m);
    stack_replica_sync(s);
}

MYSQL *stack_proxy_db(const struct stack *s, const char *user, const char *password, const char *db)
{
    MYSQL *m = mysql_init(NULL);
    unsigned t = 10;
    mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &t);
    mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &t);
    unsigned long maxp = 64ul << 20;
    mysql_optionsv(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &maxp);
    if (!mysql_real_connect(m, "127.0.0.1", user, password, db, (unsigned)s->dbproxy_port, NULL,
                            CLIENT_MULTI_STATEMENTS))
        fail_msg("cannot connect through the proxy as %s: %u %s", user, mysql_errno(m),
                 mysql_error(m));
    return m;
}

void stack_replica_sync(const struct stack *s)
{
    MYSQL *p = stack_db(s, 0), *r = stack_db(s, 1);
    char pos[512];
    snprintf(pos, sizeof pos, "%s", db_textf(p, "SELECT @@gtid_binlog_pos"));
    long long w = db_scalar(r, "SELECT MASTER_GTID_WAIT('%s', 20)", pos);
    if (w != 0)
        fail_msg("the replica did not reach %s within 20 s", pos);
    mysql_close(p);
    mysql_close(r);
}

static size_t collect_status(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t len = size * n;
    r->body = realloc(r->body, r->body_len + len + 1);
    memcpy(r->body + r->body_len, p, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return len;
}

static bool status_get(const struct stack *s, const char *path, struct resp *r)
{
    memset(r, 0, sizeof *r);
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s->dbproxy_status_port, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_status);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(c);
    return rc == CURLE_OK && r->status == 200 && r->body;
}

double stack_proxy_metric(const struct stack *s, const char *series)
{
    struct resp r;
    double v = -1;
    if (status_get(s, "/metrics", &r)) {
        size_t n = strlen(series);
        for (char *line = r.body; line && *line;) {
            char *end = strchr(line, '\n');
            if (strncmp(line, series, n) == 0 && line[n] == ' ') {
                v = strtod(line + n + 1, NULL);
                break;
            }
            line = end ? end + 1 : NULL;
        }
    }
    free(r.body);
    return v;
}

cJSON *stack_proxy_status(const struct stack *s)
{
    struct resp r;
    cJSON *j = NULL;
    if (status_get(s, "/status", &r))
        j = cJSON_Parse(r.body);
    free(r.body);
    return j;
}

bool stack_proxy_server_state(const struct stack *s, const char *name, char *out, size_t n)
{
    cJSON *j = stack_proxy_status(s);
    bool found = false;
    cJSON *srv, *list = j ? cJSON_GetObjectItem(j, "servers") : NULL;
    cJSON_ArrayForEach(srv, list)
    {
        cJSON *nm = cJSON_GetObjectItem(srv, "name"), *st = cJSON_GetObjectItem(srv, "state");
        if (cJSON_IsString(nm) && cJSON_IsString(st) && strcmp(nm->valuestring, name) == 0) {
            snprintf(out, n, "%s", st->valuestring);
            found = true;
        }
    }
    cJSON_Delete(j);
    return found;
}

void crowd_sign_in(const struct stack *s, MYSQL *db, const char *prefix, const char *password,
                   int n, char (*sid)[64], long long *ids)
{
    if (sodium_init() < 0)
        fail_msg("libsodium");
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(hash, password, strlen(password), 2, 19u << 20,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        fail_msg("argon2id");
    size_t cap = (size_t)n * 260 + 256, o;
    char *sql = malloc(cap);
    assert_non_null(sql);
    o = (size_t)snprintf(sql, cap, "INSERT INTO accounts (email, name, password_hash) VALUES ");
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(sql + o, cap - o, "%s('%s-%03d@test.stampede', 'Shopper %d', '%s')",
                              i ? "," : "", prefix, i, i, hash);
    assert_int_equal(db_execf(db, "%s", sql), 0);
    free(sql);
    struct hreq *req = calloc((size_t)n, sizeof *req);
    assert_non_null(req);
    for (int i = 0; i < n; i++) {
        if (ids)
            ids[i] = db_scalar(db, "SELECT id FROM accounts WHERE email = '%s-%03d@test.stampede'",
                               prefix, i);
        req[i].method = "POST";
        snprintf(req[i].url, sizeof req[i].url, "%s/api/v1/session", s->base_url);
        req[i].ctype = "application/json";
        char body[300];
        snprintf(body, sizeof body, "{\"email\":\"%s-%03d@test.stampede\",\"password\":\"%s\"}",
                 prefix, i, password);
        req[i].body = strdup(body);
        snprintf(req[i].hdr[0], sizeof req[i].hdr[0], "X-Requested-With: stampede");
    }
    /* hundreds at once fill the password bulkhead: the busy ones sign in again a second later */
    http_parallel_until_served(req, (size_t)n, (size_t)n, 60);
    for (int i = 0; i < n; i++) {
        if (req[i].status != 200 || !cookie_from(req[i].out_headers, "stampede_sid", sid[i], 64))
            fail_msg("shopper %d could not sign in: %ld %s", i, req[i].status, req[i].out);
        free(req[i].body);
        hreq_free(&req[i]);
    }
    free(req);
}

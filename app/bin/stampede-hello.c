/*
 * stampede-hello — the benchmark baseline: a minimal libfcgi responder with the same
 * process/thread shape as stampede-web, answering every request with a fixed 2 KB HTML page.
 * `stampede bench pages` places it on the same HAProxy -> nginx chain as the shop, so the
 * ratio page/hello is the cost of our application code.
 *
 *   stampede-hello SOCKET PROCESSES THREADS
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char response[4096];
static int response_len;
static int listen_fd;

static void *serve(void *arg)
{
    (void)arg;
    FCGX_Request r;
    FCGX_InitRequest(&r, listen_fd, 0);
    while (FCGX_Accept_r(&r) >= 0) {
        FCGX_PutStr(response, response_len, r.out);
        FCGX_Finish_r(&r);
    }
    return NULL;
}

static long parse_count(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return (*end || v < 1 || v > 256) ? -1 : v;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fputs("usage: stampede-hello SOCKET PROCESSES THREADS\n", stderr);
        return 2;
    }
    long procs = parse_count(argv[2]), threads = parse_count(argv[3]);
    if (procs < 0 || threads < 0) {
        fputs("stampede-hello: PROCESSES and THREADS must be 1..256\n", stderr);
        return 2;
    }
    char body[2048];
    const char *line = "<p>lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n";
    size_t n = (size_t)snprintf(body, sizeof body, "<!doctype html><title>hello</title>\n");
    while (n + strlen(line) < sizeof body) {
        memcpy(body + n, line, strlen(line));
        n += strlen(line);
    }
    while (n < sizeof body)
        body[n++] = ' ';
    response_len = snprintf(response, sizeof response,
                            "Status: 200 OK\r\nContent-Type: text/html\r\n"
                            "Content-Length: %zu\r\n\r\n",
                            n);
    memcpy(response + response_len, body, n);
    response_len += (int)n;

    FCGX_Init();
    unlink(argv[1]);
    listen_fd = FCGX_OpenSocket(argv[1], 4096);
    if (listen_fd < 0) {
        perror("stampede-hello: listen");
        return 1;
    }
    chmod(argv[1], 0666);
    signal(SIGPIPE, SIG_IGN);
    for (long p = 0; p < procs; p++) {
        if (fork() == 0) {
            static pthread_t t[256];
            for (long i = 0; i < threads; i++)
                pthread_create(&t[i], NULL, serve, NULL);
            for (long i = 0; i < threads; i++)
                pthread_join(t[i], NULL);
            _exit(0);
        }
    }
    while (wait(NULL) > 0)
        ;
    return 0;
}

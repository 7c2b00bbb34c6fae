/* run — an add/remove command as a child process with a timeout; see run.h. */
#include "run.h"

#include "core/clock.h"
#include "core/err.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static volatile int *stop_flag;

void run_set_stop_flag(volatile int *flag)
{
    stop_flag = flag;
}

int run_split(const char *cmdline, char *buf, size_t bufsize, char **argv, int max)
{
    size_t len = strlen(cmdline);
    if (len >= bufsize)
        return -1;
    memcpy(buf, cmdline, len + 1);
    int n = 0;
    char *p = buf;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        if (n == max - 1)
            return -1;
        argv[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    argv[n] = NULL;
    return n;
}

static void keep_tail(struct run_result *r, const char *p, size_t n)
{
    if (n >= RUN_TAIL_MAX) {
        memcpy(r->tail, p + n - RUN_TAIL_MAX, RUN_TAIL_MAX);
        r->tail_len = RUN_TAIL_MAX;
    } else {
        size_t keep = r->tail_len + n > RUN_TAIL_MAX ? RUN_TAIL_MAX - n : r->tail_len;
        memmove(r->tail, r->tail + r->tail_len - keep, keep);
        memcpy(r->tail + keep, p, n);
        r->tail_len = keep + n;
    }
    r->tail[r->tail_len] = '\0';
}

static void last_line(struct run_result *r)
{
    size_t end = r->tail_len;
    while (end > 0 &&
           (r->tail[end - 1] == '\n' || r->tail[end - 1] == '\r' || r->tail[end - 1] == ' '))
        end--;
    size_t start = end;
    while (start > 0 && r->tail[start - 1] != '\n')
        start--;
    size_t n = end - start < sizeof r->last_line - 1 ? end - start : sizeof r->last_line - 1;
    memcpy(r->last_line, r->tail + start, n);
    r->last_line[n] = '\0';
}

/* reap: waits for pid up to ms; true when it was reaped (status in *st). */
static bool reap(pid_t pid, int64_t ms, int *st)
{
    int64_t end = clock_mono_ns() + ms * 1000000;
    for (;;) {
        pid_t w = waitpid(pid, st, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR))
            return w == pid;
        if (clock_mono_ns() >= end)
            return false;
        clock_sleep_ms(20);
    }
}

int run_command(const char *cmdline, const char *reason, int64_t timeout_ms, struct run_result *r)
{
    memset(r, 0, sizeof *r);
    r->exit_code = -1;
    char words[1024];
    char *argv[RUN_MAX_ARGS + 3];
    int n = run_split(cmdline, words, sizeof words, argv, RUN_MAX_ARGS);
    if (n <= 0)
        return ERR_INVAL;
    argv[n++] = "--reason";
    argv[n++] = (char *)reason;
    argv[n] = NULL;

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return ERR_IO;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setpgroup(&at, 0); /* its own group: a timeout stops its children too */
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
    pid_t pid;
    int64_t t0 = clock_mono_ns();
    int src = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(fds[1]);
    if (src != 0) {
        close(fds[0]);
        snprintf(r->tail, sizeof r->tail, "cannot start %s: %s", argv[0], strerror(src));
        r->tail_len = strlen(r->tail);
        return ERR_IO;
    }
    int64_t deadline = t0 + timeout_ms * 1000000;
    char chunk[4096];
    int st = 0;
    bool done = false;
    for (;;) {
        int64_t left = (deadline - clock_mono_ns()) / 1000000;
        if (left <= 0 || (stop_flag && *stop_flag)) {
            r->timed_out = true;
            break;
        }
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int pr = poll(&p, 1, left > 200 ? 200 : (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            /* quiet: it may have exited while a daemon it started still holds the pipe */
            if (waitpid(pid, &st, WNOHANG) == pid) {
                done = true;
                break;
            }
            continue;
        }
        ssize_t got = read(fds[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; /* EOF: the child (and anything it left running) closed its output */
        keep_tail(r, chunk, (size_t)got);
    }
    close(fds[0]);
    if (!done)
        done = reap(pid, r->timed_out ? 0 : (deadline - clock_mono_ns()) / 1000000 + 1, &st);
    if (!done) {
        r->timed_out = true;
        kill(-pid, SIGTERM);
        if (!reap(pid, 5000, &st)) {
            kill(-pid, SIGKILL);
            reap(pid, 5000, &st);
        }
    }
    r->duration_ms = (clock_mono_ns() - t0) / 1000000;
    if (WIFEXITED(st))
        r->exit_code = WEXITSTATUS(st);
    else if (WIFSIGNALED(st))
        r->signal = WTERMSIG(st);
    r->ok = !r->timed_out && WIFEXITED(st) && r->exit_code == 0;
    last_line(r);
    return 0;
}

/* log — logfmt lines with one write(2) each; see log.h. */
#include "log.h"

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char prog_name[64] = "stampede";
static char node_name[64] = "-";
static char *log_path;
static atomic_int log_fd = 2;
static enum log_level min_level = LOG_INFO;

static const char *level_name[] = {"debug", "info", "warn", "error"};

static int open_log(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    return fd < 0 ? ERR_IO : fd;
}

int log_init(const char *program, const char *node, const char *path, enum log_level min)
{
    snprintf(prog_name, sizeof prog_name, "%s", program ? program : "stampede");
    snprintf(node_name, sizeof node_name, "%s", node && *node ? node : "-");
    min_level = min;
    mem_free(log_path);
    log_path = NULL;
    if (path && strcmp(path, "-") != 0) {
        int fd = open_log(path);
        if (fd < 0)
            return fd;
        log_path = mem_strdup(path);
        int old = atomic_exchange(&log_fd, fd);
        if (old > 2)
            close(old);
    }
    return 0;
}

int log_reopen(void)
{
    if (!log_path)
        return 0;
    int fd = open_log(log_path);
    if (fd < 0)
        return fd;
    int old = atomic_exchange(&log_fd, fd);
    if (old > 2)
        close(old);
    return 0;
}

bool log_enabled(enum log_level level)
{
    return level >= min_level;
}

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_name[i]) == 0)
            return i;
    return -1;
}

static void write_all(const char *p, size_t n)
{
    int fd = atomic_load(&log_fd);
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/*
 * The pid, remembered: getpid is a system call (glibc no longer caches it) and every request
 * line carries it. A fork makes the child forget it.
 */
static atomic_int cached_pid;
static pthread_once_t pid_once = PTHREAD_ONCE_INIT;

static void forget_pid(void)
{
    atomic_store(&cached_pid, 0);
}

static void watch_forks(void)
{
    pthread_atfork(NULL, NULL, forget_pid);
}

static int my_pid(void)
{
    pthread_once(&pid_once, watch_forks);
    int pid = atomic_load_explicit(&cached_pid, memory_order_relaxed);
    if (!pid) {
        pid = (int)getpid();
        atomic_store(&cached_pid, pid);
    }
    return pid;
}

void log_prefix(struct buf *b, enum log_level level)
{
    char ts[40];
    clock_iso8601(clock_real_ms(), ts, sizeof ts);
    buf_printf(b, "ts=%s level=%s prog=%s node=%s pid=%d", ts, level_name[level], prog_name,
               node_name, my_pid());
}

static bool needs_quotes(struct str v)
{
    if (v.len == 0)
        return true;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f)
            return true;
    }
    return false;
}

void log_kv_str(struct buf *b, const char *key, struct str v)
{
    buf_printf(b, " %s=", key);
    if (!needs_quotes(v)) {
        buf_append_str(b, v);
        return;
    }
    buf_append_char(b, '"');
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c == '"' || c == '\\') {
            buf_append_char(b, '\\');
            buf_append_char(b, (char)c);
        } else if (c < ' ' || c == 0x7f) {
            buf_printf(b, "\\x%02x", c);
        } else {
            buf_append_char(b, (char)c); /* UTF-8 passes through */
        }
    }
    buf_append_char(b, '"');
}

void log_kv_i64(struct buf *b, const char *key, long long value)
{
    buf_printf(b, " %s=%lld", key, value);
}

void log_line(struct buf *b)
{
    char line[LOG_LINE_MAX];
    size_t n = b->len < sizeof line - 1 ? b->len : sizeof line - 1;
    if (n)
        memcpy(line, b->p, n);
    line[n++] = '\n';
    write_all(line, n);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char stack[LOG_LINE_MAX];
    char msg[LOG_LINE_MAX - 200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof msg)
        n = (int)sizeof msg - 1;
    /* a fixed stack buffer: logging must work when the heap is exhausted */
    struct buf b = {stack, 0, sizeof stack, sizeof stack - 2, false};
    log_prefix(&b, level);
    log_kv_str(&b, "msg", (struct str){msg, (size_t)n});
    b.overflow = false;
    if (b.len > sizeof stack - 1)
        b.len = sizeof stack - 1;
    stack[b.len++] = '\n';
    write_all(stack, b.len);
}

/* Unit tests for app/core/log: the remembered pid follows forks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/log.h"
#include "core/buf.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void pid_field(char *out, size_t n)
{
    char stack[512];
    struct buf b = {stack, 0, sizeof stack, sizeof stack - 1, false};
    log_prefix(&b, LOG_INFO);
    const char *p = strstr(buf_cstr(&b), " pid=");
    snprintf(out, n, "%s", p ? p + 5 : "");
}

static void test_prefix_carries_the_current_pid_after_fork(void **state)
{
    (void)state;
    char want[32], got[32];
    snprintf(want, sizeof want, "%d", (int)getpid());
    pid_field(got, sizeof got);
    assert_string_equal(got, want);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        char line[32];
        pid_field(line, sizeof line);
        _exit(write(fds[1], line, strlen(line) + 1) > 0 ? 0 : 1);
    }
    char child[32] = "";
    assert_true(read(fds[0], child, sizeof child) > 0);
    int st;
    waitpid(pid, &st, 0);
    snprintf(want, sizeof want, "%d", (int)pid);
    assert_string_equal(child, want);
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_carries_the_current_pid_after_fork),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

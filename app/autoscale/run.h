/*
 * run — runs one add/remove command of the autoscaler as a child process: argv split from the
 * configured command line on spaces (no shell, so nothing in it is interpreted), with
 * `--reason TEXT` appended, the environment inherited (the stack's STAMPEDE_* settings), stdin
 * from /dev/null, stdout and stderr captured together, in its own process group. Bounded: after
 * timeout_ms the group gets SIGTERM, 5 s later SIGKILL (daemons the command started with setsid
 * are in their own sessions and are not touched).
 *
 * Memory: the result is a fixed-size struct. Thread safety: reentrant (it waits for its own
 * child only). Errors: ERR_INVAL (empty or too many words), ERR_IO (cannot spawn); a command
 * that ran and failed is rc 0 with r->ok false.
 */
#ifndef STAMPEDE_AUTOSCALE_RUN_H
#define STAMPEDE_AUTOSCALE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUN_MAX_ARGS 32
#define RUN_TAIL_MAX 2000

struct run_result {
    bool ok;        /* exited with status 0 in time */
    int exit_code;  /* -1 when killed by a signal */
    int signal;     /* the signal that ended it, 0 if none */
    bool timed_out; /* stopped by us after timeout_ms */
    int64_t duration_ms;
    char tail[RUN_TAIL_MAX + 1]; /* the last bytes of its output, NUL-terminated */
    size_t tail_len;
    char last_line[128]; /* the last non-empty output line (the node's name), NUL-terminated */
};

/* run_set_stop_flag: when *flag becomes non-zero (a signal handler) a running command is
 * stopped like on a timeout, so the autoscaler's own stop is never held up by a command. */
void run_set_stop_flag(volatile int *flag);

/* run_command: see above. Fills *r whenever it returns 0. */
int run_command(const char *cmdline, const char *reason, int64_t timeout_ms, struct run_result *r);

/* run_split: cmdline's words into argv (at most max - 1, NULL-terminated), in buf (copied);
 * the number of words, or -1 when there are too many. */
int run_split(const char *cmdline, char *buf, size_t bufsize, char **argv, int max);

#endif

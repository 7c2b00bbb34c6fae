/* Unit tests for app/core/sec: the per-thread random block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sec.h"

#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_random_bytes_do_not_repeat(void **state)
{
    (void)state;
    assert_int_equal(sec_init(), 0);
    unsigned char seen[200][16];
    for (int i = 0; i < 200; i++) { /* several blocks' worth */
        sec_random(seen[i], sizeof seen[i]);
        for (int j = 0; j < i; j++)
            assert_memory_not_equal(seen[i], seen[j], sizeof seen[i]);
    }
    unsigned char big[4096], zero[4096] = {0};
    sec_random(big, sizeof big); /* larger than a block: straight from the kernel */
    assert_memory_not_equal(big, zero, sizeof big);
}

/* A forked child must not hand out the bytes its parent will hand out next. */
static void test_fork_does_not_share_the_block(void **state)
{
    (void)state;
    unsigned char warm[8], parent[16], child[16];
    sec_random(warm, sizeof warm); /* the parent holds a partly used block now */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        sec_random(child, sizeof child);
        _exit(write(fds[1], child, sizeof child) == (ssize_t)sizeof child ? 0 : 1);
    }
    sec_random(parent, sizeof parent);
    assert_int_equal(read(fds[0], child, sizeof child), (ssize_t)sizeof child);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_memory_not_equal(parent, child, sizeof parent);
    close(fds[0]);
    close(fds[1]);
}

static void *draw(void *arg)
{
    sec_random(arg, 16);
    return NULL;
}

static void test_threads_draw_different_bytes(void **state)
{
    (void)state;
    unsigned char a[16], b[16];
    pthread_t t1, t2;
    pthread_create(&t1, NULL, draw, a);
    pthread_create(&t2, NULL, draw, b);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_memory_not_equal(a, b, sizeof a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_bytes_do_not_repeat),
        cmocka_unit_test(test_fork_does_not_share_the_block),
        cmocka_unit_test(test_threads_draw_different_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

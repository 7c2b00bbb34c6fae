/* offload — low-priority worker threads for CPU-heavy jobs; see offload.h. */
#include "offload.h"

#include "log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_THREADS 64

struct job {
    void (*fn)(void *arg);
    void *arg;
    bool done;
    pthread_cond_t cv;
    struct job *next;
};

/* the process's pool: created on first use, never torn down (process lifetime) */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static struct job *head, *tail;
static int started = -1; /* -1: not yet; then the number of threads running */
static pid_t started_in;

static void *worker(void *unused)
{
    (void)unused;
    /* nice is per thread on Linux: only this thread is lowered */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), OFFLOAD_NICE) != 0)
        log_warn("offload: cannot lower this thread's priority");
    pthread_mutex_lock(&mu);
    for (;;) {
        while (!head)
            pthread_cond_wait(&work, &mu);
        struct job *j = head;
        head = j->next;
        if (!head)
            tail = NULL;
        pthread_mutex_unlock(&mu);
        j->fn(j->arg);
        pthread_mutex_lock(&mu);
        j->done = true;
        pthread_cond_signal(&j->cv);
    }
    return NULL;
}

/* start: the pool of this process (a fork inherits the parent's state but not its threads) */
static void start(int threads)
{
    if (started >= 0 && started_in == getpid())
        return;
    started = 0;
    started_in = getpid();
    head = tail = NULL;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < threads; i++) {
        pthread_t t;
        if (pthread_create(&t, &attr, worker, NULL) == 0)
            started++;
    }
    pthread_attr_destroy(&attr);
    if (started < threads)
        log_warn("offload: %d of %d threads started", started, threads);
}

void offload_run(int threads, void (*fn)(void *arg), void *arg)
{
    if (threads <= 0) {
        fn(arg);
        return;
    }
    pthread_mutex_lock(&mu);
    start(threads);
    if (started == 0) {
        pthread_mutex_unlock(&mu);
        fn(arg);
        return;
    }
    struct job j = {fn, arg, false, PTHREAD_COND_INITIALIZER, NULL};
    if (tail)
        tail->next = &j;
    else
        head = &j;
    tail = &j;
    pthread_cond_signal(&work);
    while (!j.done)
        pthread_cond_wait(&j.cv, &mu);
    pthread_mutex_unlock(&mu);
    pthread_cond_destroy(&j.cv);
}

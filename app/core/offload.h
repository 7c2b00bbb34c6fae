/*
 * offload — CPU-heavy work on a few low-priority threads of this process, so that it yields
 * the cores to request threads (the thread-pool form of a bulkhead).
 *
 * Password hashing (argon2id) is tens of milliseconds of pure CPU. Run on request threads at
 * the same priority as page rendering, a storm of sign-ins makes every page wait for a core.
 * offload_run hands the work to one of `threads` threads that run at nice +10 (Linux applies
 * nice per thread): when pages want the CPU, the scheduler gives it to them first, and the
 * hashes use what is left; when nothing else runs, hashes run at full speed. The caller waits
 * for its job (the request needs the result); how many may run or wait is the gate's business
 * (core/gate.h), not this module's.
 *
 * The threads start on first use in each process (after fork) and live as long as it.
 * Thread safety: offload_run from any thread.
 */
#ifndef STAMPEDE_CORE_OFFLOAD_H
#define STAMPEDE_CORE_OFFLOAD_H

#define OFFLOAD_NICE 10

/* offload_run: runs fn(arg) on a low-priority thread and returns when it is done. With
 * threads <= 0 (or when no thread can be started) fn runs on the calling thread. threads is
 * read on the first call of the process only. */
void offload_run(int threads, void (*fn)(void *arg), void *arg);

#endif

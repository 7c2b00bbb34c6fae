/*
 * clock — time sources.
 *
 * clock_mono_ns for durations and timeouts (never goes backwards); clock_real_ms and
 * clock_real_s for timestamps shown to people or stored. Thread-safe.
 */
#ifndef STAMPEDE_CORE_CLOCK_H
#define STAMPEDE_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t clock_mono_ns(void);
int64_t clock_real_ms(void);
int64_t clock_real_s(void);
int64_t clock_real_us(void);

/* clock_iso8601: writes "2026-11-24T17:14:00.123Z" for ms since the epoch; returns length. */
size_t clock_iso8601(int64_t real_ms, char *out, size_t outlen);

/* clock_sleep_ms: sleeps, resuming after signals, for ms milliseconds. */
void clock_sleep_ms(int64_t ms);

#endif

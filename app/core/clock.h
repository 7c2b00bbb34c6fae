/*
 * clock — time sources.
 *
 * clock_mono_ns for durations and timeouts (never goes backwards); clock_real_ms and
 * clock_real_s for timestamps shown to people or stored. Thread-safe.
 *
 * Two ways to write a time: ISO 8601 in UTC for machines (the JSON API, <time datetime>,
 * logs), and Korean Standard Time in words for people ("6 Dec 2026, 07:50 KST"). Korea keeps
 * UTC+9 all year (no daylight saving since 1988), so KST is a fixed offset and needs no time
 * zone database.
 */
#ifndef STAMPEDE_CORE_CLOCK_H
#define STAMPEDE_CORE_CLOCK_H

#include "core/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Korean Standard Time: UTC+9, all year. */
#define CLOCK_KST_OFFSET_S (9 * 3600)
/* room for any clock_kst text and its NUL ("31 Dec 275760, 23:59 KST" at most) */
#define CLOCK_KST_MAX 32

int64_t clock_mono_ns(void);
int64_t clock_real_ms(void);
int64_t clock_real_s(void);
int64_t clock_real_us(void);

/* clock_iso8601: writes "2026-11-24T17:14:00.123Z" for ms since the epoch; returns length. */
size_t clock_iso8601(int64_t real_ms, char *out, size_t outlen);

/*
 * clock_parse_iso8601: "2026-12-05T22:50:32Z", optionally with a fraction of a second
 * ("…:32.123456Z"), to seconds since the epoch (the fraction dropped). Years 1970..9999; the
 * date must exist (no 30 February). False, *unix_s untouched, for anything else: another
 * offset than Z, a missing part, trailing text.
 */
bool clock_parse_iso8601(struct str s, int64_t *unix_s);

/*
 * clock_kst: writes unix_s (seconds since the epoch) in Korean time for people:
 * "6 Dec 2026, 07:50 KST" (day without a leading zero, English month, 24-hour clock, seconds
 * dropped). Returns the length written (at most outlen - 1, NUL-terminated; outlen >=
 * CLOCK_KST_MAX always suffices), 0 when outlen is 0.
 */
size_t clock_kst(int64_t unix_s, char *out, size_t outlen);

/* clock_sleep_ms: sleeps, resuming after signals, for ms milliseconds. */
void clock_sleep_ms(int64_t ms);

#endif

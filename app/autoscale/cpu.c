/* cpu — host CPU busy ratio from /proc/stat; see cpu.h. */
#include "cpu.h"

#include <fcntl.h>
#include <unistd.h>

bool cpu_parse(struct str stat, int64_t *busy, int64_t *total)
{
    if (!str_starts_with(stat, STR("cpu ")))
        return false;
    size_t i = 4;
    int64_t v[10] = {0};
    int k = 0;
    while (k < 10 && i < stat.len && stat.p[i] != '\n') {
        while (i < stat.len && stat.p[i] == ' ')
            i++;
        size_t start = i;
        while (i < stat.len && stat.p[i] >= '0' && stat.p[i] <= '9')
            i++;
        if (i == start)
            break;
        if (!str_to_i64((struct str){stat.p + start, i - start}, &v[k]))
            return false;
        k++;
    }
    if (k < 4)
        return false;
    /* user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in
     * user and nice, so it is not added again */
    int64_t idle = v[3] + v[4];
    int64_t all = 0;
    for (int j = 0; j < k && j < 8; j++)
        all += v[j];
    *total = all;
    *busy = all - idle;
    return true;
}

double cpu_sample(struct cpu_meter *m, const char *path)
{
    char text[512];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof text);
    close(fd);
    int64_t busy, total;
    if (n <= 0 || !cpu_parse((struct str){text, (size_t)n}, &busy, &total))
        return -1;
    double r = -1;
    if (m->primed && total > m->total)
        r = (double)(busy - m->busy) / (double)(total - m->total);
    m->busy = busy;
    m->total = total;
    m->primed = true;
    return r < 0 ? -1 : r > 1 ? 1 : r;
}

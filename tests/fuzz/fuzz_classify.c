/* libFuzzer target: the SQL statement classifier of stampede-dbproxy (qc_classify). */
#include "dbproxy/classify.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int reason_index(const char *reason)
{
    for (int i = 0; qc_reasons[i]; i++)
        if (qc_reasons[i] == reason)
            return i;
    return -1;
}

static void check(const struct qc_info *o, size_t size)
{
    if ((unsigned)o->route > QC_PREVIOUS || (o->flags & ~QC_FLAG_MASK) ||
        reason_index(o->reason) < 0)
        __builtin_trap();
    /* the reason agrees with the route */
    bool read = strcmp(o->reason, "read") == 0, trx = strcmp(o->reason, "transaction") == 0;
    if ((o->route == QC_REPLICA) != (read || (trx && o->route == QC_REPLICA)))
        __builtin_trap();
    if (o->route == QC_REPLICA && trx && !(o->flags & QC_BEGIN_READONLY))
        __builtin_trap();
    if ((o->route == QC_ALL) != (strcmp(o->reason, "session_command") == 0) ||
        (o->route == QC_PREVIOUS) != (strcmp(o->reason, "previous") == 0))
        __builtin_trap();
    if ((o->flags & QC_MULTI) && o->route != QC_PRIMARY)
        __builtin_trap();
    /* the database name lies inside the input */
    if (o->db_len && (!(o->flags & QC_USE_DB) || o->db_off > size || o->db_len > size - o->db_off))
        __builtin_trap();
    if (o->cs_len &&
        (!(o->flags & QC_SET_CHARSET) || o->cs_off > size || o->cs_len > size - o->cs_off))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char padded[1 << 16];
    struct qc_info o, again;
    qc_classify((const char *)data, size, &o);
    check(&o, size);
    qc_classify((const char *)data, size, &again);
    if (memcmp(&o, &again, sizeof o) != 0)
        __builtin_trap();
    /* blanks around a text change nothing */
    if (size + 2 <= sizeof padded) {
        padded[0] = ' ';
        memcpy(padded + 1, data, size);
        padded[size + 1] = '\n';
        qc_classify(padded, size + 2, &again);
        check(&again, size + 2);
        if (again.route != o.route || again.flags != o.flags || again.reason != o.reason ||
            again.db_len != o.db_len || (o.db_len && again.db_off != o.db_off + 1) ||
            again.cs_len != o.cs_len || (o.cs_len && again.cs_off != o.cs_off + 1))
            __builtin_trap();
    }
    return 0;
}

/* route — the routing decision; see route.h. */
#include "route.h"

#include <stddef.h>

const char *const route_reasons[] = {
    "read",
    "write",
    "transaction",
    "read_only_transaction",
    "autocommit_off",
    "locked_tables",
    "temp_tables",
    "hint",
    "session_command",
    "previous",
    "no_replica",
    "causal_timeout",
    "replica_refused",
    "long_data",
    "charset",
    "other",
    NULL, /* and the classifier's reasons (qc_reasons) */
};

struct route_decision route_decide(const struct qc_info *qc, const struct route_state *st)
{
    struct route_decision d = {RT_PRIMARY, "write"};
    /* a session command is one wherever the session is; it never starts a transaction */
    if (qc->route == QC_ALL) {
        d.target = RT_ALL;
        d.reason = "session_command";
        return d;
    }
    if (st->ro_trx) {
        /* a read-only transaction stays where it began; its end goes there too */
        d.target = RT_PREVIOUS;
        d.reason = "read_only_transaction";
        return d;
    }
    if (st->in_trx) {
        d.reason = "transaction";
        return d;
    }
    if (!st->autocommit) {
        d.reason = "autocommit_off";
        return d;
    }
    if (st->locked_tables) {
        d.reason = "locked_tables";
        return d;
    }
    if (qc->flags & QC_HINT_PRIMARY) {
        d.reason = "hint";
        return d;
    }
    if (qc->flags & QC_HINT_LAST) {
        d.target = RT_PREVIOUS;
        d.reason = "hint";
        return d;
    }
    if (qc->route == QC_PREVIOUS) {
        d.target = RT_PREVIOUS;
        d.reason = "previous";
        return d;
    }
    if (qc->flags & QC_HINT_REPLICA) {
        /* MaxScale: a hint wins outside transactions; a write sent to a replica fails there
         * with the replica's read-only error, as it would with MaxScale */
        d.target = RT_REPLICA;
        d.reason = "hint";
        return d;
    }
    if (qc->route == QC_REPLICA) {
        if (st->temp_tables) {
            d.reason = "temp_tables";
            return d;
        }
        if (st->replica_refused) {
            d.reason = "replica_refused";
            return d;
        }
        if (st->unsafe_charset) {
            d.reason = "charset";
            return d;
        }
        d.target = RT_REPLICA;
        d.reason = (qc->flags & QC_BEGIN_READONLY) ? "read_only_transaction" : "read";
        return d;
    }
    d.reason = qc->reason ? qc->reason : "write";
    return d;
}

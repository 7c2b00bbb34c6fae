/*
 * select — which replica serves a read (MaxScale's slave_selection_criteria, default
 * least_current_operations): among the replicas the monitor calls readable, the one with the
 * fewest statements in flight from this proxy; ties go to the one further ahead (fewer
 * transactions behind), then to the first configured.
 *
 * The in-flight counts are shared by all workers (select_ops), incremented when a statement is
 * sent to a server and decremented when its response ends.
 *
 * Thread safety: any thread.
 */
#ifndef STAMPEDE_DBPROXY_SELECT_H
#define STAMPEDE_DBPROXY_SELECT_H

#include "dbproxy/monitor.h"

/* select_replica: a server index, or -1 when no replica is readable. except: an index to skip
 * (a replica that just failed this statement), or -1. */
int select_replica(const struct cluster_view *v, int except);

void select_op_begin(int srv);
void select_op_end(int srv);
long select_ops(int srv);

#endif

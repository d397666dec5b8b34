/* The cgroupfs backend as one include, for the programs that use most of
 * it (the module, memcgctl, the notifier).  Each job has its own file;
 * lib/ code includes only the headers it needs:
 *   cgfs.h     walking beneath a directory fd, small-file reads and writes
 *   memfiles.h which memory file holds what, for cgroup v1 and v2
 *   hier.h     finding and opening the memory hierarchy (and cpu, pids)
 *   proc.h     a process's cgroup and whether it is exiting, from /proc
 *   cgname.h   the names of user cgroups, per backend, and listing them
 *   cglimits.h making a user's cgroup with its limits (memory, cpu, pids),
 *              joining, removing
 *   cgstats.h  reading a cgroup's state */
#ifndef MEMCG_CGROUP_H
#define MEMCG_CGROUP_H

#include "cgfs.h"
#include "cglimits.h"
#include "cgname.h"
#include "cgstats.h"
#include "hier.h"
#include "memfiles.h"
#include "proc.h"

#endif

/* Reads the kernel's OOM-killer lines out of /dev/kmsg records: which cgroup
 * ran out, which process was killed, under whose limit.  Pure: the caller
 * reads the records and feeds them in order. */
#ifndef MEMCG_KMSG_H
#define MEMCG_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MC_KMSG_PATH 1024
#define MC_KMSG_COMM 64

enum mc_kmsg_kind {
	MC_KMSG_NONE,		/* nothing of interest */
	MC_KMSG_OOM,		/* an OOM in memcg `memcg` began ("Memory cgroup stats for") */
	MC_KMSG_KILL,		/* a process was killed */
	MC_KMSG_NO_VICTIM,	/* "Out of memory and no killable processes" */
};

struct mc_kmsg_event {
	enum mc_kmsg_kind kind;
	uint64_t seq;		/* the record's sequence number */
	uint64_t ts_usec;	/* the record's timestamp (CLOCK_MONOTONIC-like) */
	/* MC_KMSG_OOM: the memcg whose limit was reached.  MC_KMSG_KILL: the
	 * victim's memcg ("" when the log did not say). */
	char memcg[MC_KMSG_PATH];
	/* MC_KMSG_KILL: the memcg whose limit was reached ("" when global or
	 * not known), and whether the OOM was system-wide. */
	char oom_memcg[MC_KMSG_PATH];
	bool global;
	bool group;		/* killed with the whole group (memory.oom.group) */
	pid_t pid;
	uid_t uid;
	bool have_uid;
	char comm[MC_KMSG_COMM];/* raw bytes, NUL-terminated; sanitise before display */
};

/* The oom-kill summary line seen last, to pair with the "Killed process"
 * line that follows it, and the group being killed, if any. */
struct mc_kmsg_state {
	bool have_summary;
	pid_t pid;
	bool global;
	char constraint[32];
	char oom_memcg[MC_KMSG_PATH];
	char task_memcg[MC_KMSG_PATH];
	char group[MC_KMSG_PATH];	/* "Tasks in X are going to be killed" */
};

/* One summary line, "oom-kill:constraint=...,task=...,pid=...,uid=..." as
 * printed by mm/oom_kill.c since 4.19.  Returns 0 or -EINVAL. */
struct mc_kmsg_summary {
	char constraint[32];
	char oom_memcg[MC_KMSG_PATH];	/* "" with global_oom */
	bool global;
	char task_memcg[MC_KMSG_PATH];
	char task[MC_KMSG_COMM];
	pid_t pid;
	uid_t uid;
	bool have_uid;
};
int mc_kmsg_parse_summary(const char *text, struct mc_kmsg_summary *out);

/* "...: Killed process 123 (python3) total-vm:..." (and the older "Kill
 * process 123 (x) score N or sacrifice child" is not a kill yet).  prefix
 * receives what came before ": Killed process" ("Memory cgroup out of
 * memory", "Out of memory", ...).  Returns 0 or -EINVAL. */
int mc_kmsg_parse_killed(const char *text, pid_t *pid, char *comm, size_t commlen,
			 char *prefix, size_t prefixlen);

/* Splits one /dev/kmsg record ("PRIO,SEQ,TS,FLAGS;TEXT\n KEY=VAL\n...")
 * and un-escapes the \xNN sequences the kernel uses for unprintable bytes
 * into text (textlen bytes, NUL-terminated; a NUL byte stops it).
 * Returns 0 or -EINVAL. */
int mc_kmsg_split(const char *rec, size_t len, uint64_t *seq, uint64_t *ts_usec,
		  char *text, size_t textlen);

/* Feeds one record.  Fills ev and returns its kind (MC_KMSG_NONE for the
 * many records that matter to nobody). */
enum mc_kmsg_kind mc_kmsg_feed(struct mc_kmsg_state *st, const char *rec,
			       size_t len, struct mc_kmsg_event *ev);

/* True when path is base or lies below it ("/a/b" is within "/a", "/ab" is
 * not). */
bool mc_path_within(const char *path, const char *base);

#endif

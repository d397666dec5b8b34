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
#define MC_KMSG_TEXT 2048	/* one record's text, un-escaped */

enum mc_kmsg_kind {
	MC_KMSG_NONE,		/* nothing of interest */
	MC_KMSG_OOM,		/* an OOM in memcg `memcg` began ("Memory cgroup stats for") */
	MC_KMSG_KILL,		/* a process was killed */
	MC_KMSG_NO_VICTIM,	/* "Out of memory and no killable processes" */
	/* "cgroup: fork rejected by pids controller in PATH": the first new
	 * process refused in that cgroup (the kernel logs no later ones);
	 * PATH is in memcg. */
	MC_KMSG_FORK_REFUSED,
};

struct mc_kmsg_event {
	enum mc_kmsg_kind kind;
	uint64_t seq;		/* the record's sequence number */
	uint64_t ts_usec;	/* the record's timestamp (CLOCK_MONOTONIC-like) */
	/* MC_KMSG_OOM: the memcg whose limit was reached.  MC_KMSG_KILL: the
	 * victim's memcg ("" when the log did not say).  MC_KMSG_FORK_REFUSED:
	 * the cgroup (pids hierarchy) of the process whose fork failed. */
	char memcg[MC_KMSG_PATH];
	/* MC_KMSG_KILL: the memcg whose limit was reached ("" when global or
	 * not known), and whether the OOM was system-wide. */
	char oom_memcg[MC_KMSG_PATH];
	bool global;
	bool group;		/* killed with the whole group (memory.oom.group) */
	/* MC_KMSG_KILL: the summary line of this kill could be read more than
	 * one way (cgroup names and command names may hold ',' and '='), or
	 * disagrees with the kill line: memcg and oom_memcg are left "" and
	 * nobody should be named as the victim's owner. */
	bool ambiguous;
	pid_t pid;
	uid_t uid;		/* from the kill line's "UID:" */
	bool have_uid;
	char comm[MC_KMSG_COMM];/* raw bytes, NUL-terminated; sanitise before display */
};

/* The oom-kill summary line seen last, kept whole to be read once the
 * "Killed process" line that follows it gives the victim's exact command
 * name, and the group being killed, if any. */
struct mc_kmsg_state {
	bool have_summary;
	pid_t pid;
	char summary[MC_KMSG_TEXT];
	char group[MC_KMSG_PATH];	/* "Tasks in X are going to be killed" */
};

/* One summary line as printed by mm/oom_kill.c since 4.19:
 *   oom-kill:constraint=C,nodemask=N,cpuset=NAME,mems_allowed=M,
 *   oom_memcg=PATH,task_memcg=PATH,task=COMM,pid=P,uid=U
 * (",global_oom" in place of ",oom_memcg=PATH" for a system-wide OOM; no
 * ",uid=" before 5.0).  NAME, the PATHs and COMM may hold ',' and '=', so
 * pid and uid are read from the right end, the start of the paths is the
 * first '/' (no kernel text before it has one, a cgroup name cannot), and
 * the paths are split at a ",task_memcg=" after which the victim's memcg
 * lies within the OOM's.  comm, when not NULL, is the victim's command
 * name as the kill line gave it: the line must end in exactly
 * ",task=COMM,pid=P[,uid=U]".  Without it COMM is the text after any
 * ",task=" at most 15 bytes before ",pid=".  When more than one reading
 * fits, out->ambiguous is set and the paths and task are left "".
 * Returns 0 (pid, uid and constraint filled) or -EINVAL (out->pid is
 * still set when the line is a summary that ends in ",pid=P[,uid=U]"). */
struct mc_kmsg_summary {
	char constraint[32];
	char oom_memcg[MC_KMSG_PATH];	/* "" with global_oom */
	bool global;
	char task_memcg[MC_KMSG_PATH];
	char task[MC_KMSG_COMM];
	pid_t pid;
	uid_t uid;
	bool have_uid;
	bool ambiguous;
};
int mc_kmsg_parse_summary(const char *text, const char *comm,
			  struct mc_kmsg_summary *out);

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
 * many records that matter to nobody).  A kill whose pid the summary line
 * before it names takes its memcgs from that line only when the line reads
 * one way and gives the kill line's command name and uid; otherwise
 * ev->ambiguous is set. */
enum mc_kmsg_kind mc_kmsg_feed(struct mc_kmsg_state *st, const char *rec,
			       size_t len, struct mc_kmsg_event *ev);

/* True when path is base or lies below it ("/a/b" is within "/a", "/ab" is
 * not). */
bool mc_path_within(const char *path, const char *base);

#endif

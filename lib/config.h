/* The configuration: one file, read safely, parsed strictly with libconfuse
 * into plain structs that the module, the notifier and memcgctl share. */
#ifndef MEMCG_CONFIG_H
#define MEMCG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A ram_bytes of 0 below means mc_ram_bytes(). */
#include "machine.h"
#include "parse.h"

#define MC_DEFAULT_CONF "/etc/security/pam_memcg.conf"
/* Larger files are refused rather than read. */
#define MC_CONF_MAX_BYTES (1024 * 1024)

enum mc_cg_version { MC_CG_AUTO, MC_CG_V1, MC_CG_V2 };
/* Who makes the user's cgroup: pam_memcg in cgroupfs (<cgroup_parent>/
 * user-<uid>), or systemd (logind's user-<uid>.slice, limits set through
 * D-Bus); auto picks systemd where systemd and logind run on cgroup v2. */
enum mc_backend { MC_BACKEND_AUTO, MC_BACKEND_CGROUPFS, MC_BACKEND_SYSTEMD };
enum mc_on_error { MC_ON_ERROR_IGNORE, MC_ON_ERROR_FAIL };
/* How group rules find a user's groups: the group entries' member lists and
 * the primary group (as pam_succeed_if's ingroup), or initgroups. */
enum mc_group_lookup { MC_GROUPS_MEMBERS, MC_GROUPS_INITGROUPS };

/* Which keys a rule section gave explicitly (the rest come from default). */
enum {
	MC_SET_MEMORY_MAX = 1 << 0,
	MC_SET_MEMORY_HIGH = 1 << 1,
	MC_SET_SWAP_MAX = 1 << 2,
	MC_SET_OOM_GROUP = 1 << 3,
	MC_SET_TTY = 1 << 4,
	MC_SET_MAIL = 1 << 5,
	MC_SET_WARN_AT = 1 << 6,
	MC_SET_CPU_MAX = 1 << 7,
	MC_SET_CPU_WEIGHT = 1 << 8,
	MC_SET_TASKS_MAX = 1 << 9,
};
/* The keys that are left alone (no controller used) unless configured. */
#define MC_SET_CPU_KEYS (MC_SET_CPU_MAX | MC_SET_CPU_WEIGHT)
#define MC_SET_OPTIONAL_KEYS (MC_SET_CPU_KEYS | MC_SET_TASKS_MAX)

/* cpu_weight's range and the kernel's default. */
#define MC_CPU_WEIGHT_MIN 1
#define MC_CPU_WEIGHT_MAX 10000
#define MC_CPU_WEIGHT_DEFAULT 100
/* tasks_max's range: a login needs a few processes; PID_MAX_LIMIT. */
#define MC_TASKS_MIN 4
#define MC_TASKS_MAX_LIMIT 4194304

/* warn_at: a share of memory_max in basis points; 0 means off. */
struct mc_rule {
	char *name;		/* user or group name; NULL for default */
	int line;		/* line of the section's closing brace */
	unsigned set;		/* MC_SET_* */
	/* MC_SET_OPTIONAL_KEYS this rule takes from default (not its own). */
	unsigned inherited;
	struct mc_size memory_max, memory_high, swap_max;
	struct mc_cpu cpu_max;
	uint32_t cpu_weight;
	uint64_t tasks_max;	/* MC_UNLIMITED: "max" */
	bool oom_group;
	bool tty, mail;
	uint32_t warn_at;
};

struct mc_notify {
	bool tty, ignore_mesg, mail;
	char *sendmail;
	char *mail_from;
	unsigned rate_limit;	/* seconds */
	uint32_t warn_at;	/* basis points of memory_max; 0 = off */
	char *metrics_file;	/* "" = none */
};

struct mc_config {
	char *path;
	enum mc_cg_version cgroup_version;
	enum mc_backend cgroup_backend;
	char *cgroup_parent;	/* normalised: no leading, trailing or double '/' */
	uid_t min_uid;
	char **exempt_users;
	size_t n_exempt_users;
	char **exempt_groups;
	size_t n_exempt_groups;
	enum mc_on_error on_error;
	enum mc_group_lookup group_lookup;
	struct mc_rule def;
	struct mc_rule *groups;	/* file order */
	size_t n_groups;
	struct mc_rule *users;
	size_t n_users;
	struct mc_notify notify;
};

/* Receives every problem found, one call each.  line is 0 when the problem
 * concerns the file as a whole. */
struct mc_errsink {
	void (*fn)(void *ctx, const char *file, int line, const char *msg);
	void *ctx;
};

/* Opens path without following symlinks, checks that it is a regular file
 * owned by root and writable by nobody else, reads it (at most
 * MC_CONF_MAX_BYTES) and parses it.  ram_bytes resolves percentages for the
 * checks that compare sizes (0: this machine's RAM).
 * Returns 0 and a config the caller frees with mc_config_free(); -ENOENT
 * when the file does not exist (nothing reported); otherwise a negative
 * errno after reporting every problem to errs. */
int mc_config_load(const char *path, uint64_t ram_bytes,
		   const struct mc_errsink *errs, struct mc_config **out);

/* Parses len bytes of text as if read from a file called name.  Same
 * results as mc_config_load() minus the file checks. */
int mc_config_parse(const char *name, const char *text, size_t len,
		    uint64_t ram_bytes, const struct mc_errsink *errs,
		    struct mc_config **out);

void mc_config_free(struct mc_config *cfg);

#endif

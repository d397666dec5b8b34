/* The systemd backend and the backend choice; see systemd.h.  libsystemd
 * and the bus are opened per call and closed before returning: the module
 * runs inside login programs that fork, and must leave neither a
 * connection nor a library (with libgcrypt, liblzma, libzstd, liblz4 and
 * libcap behind it) in them; the notifier and memcgctl never need it on a
 * machine without systemd. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

/* Types and prototypes only: nothing links libsystemd. */
#include <systemd/sd-bus.h>

#include "cgfs.h"
#include "cgname.h"
#include "parse.h"
#include "proc.h"
#include "sanitize.h"
#include "systemd.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* A login waits for this at most per call (sd-bus's default is 25 s), and
 * as long again for the job that starts a scope. */
#define BUS_TIMEOUT_USEC (10ULL * 1000 * 1000)
/* Names tried for a new scope before giving up (see mc_sd_scope_name). */
#define SCOPE_TRIES 4

/* Every libsystemd function the backend calls, resolved at load time into
 * struct sd_api under its own name, with the type of its prototype. */
#define SD_FUNCS(X)                                                         \
	X(sd_bus_open_system) X(sd_bus_set_method_call_timeout)             \
	X(sd_bus_flush_close_unref) X(sd_bus_message_new_method_call)       \
	X(sd_bus_message_append) X(sd_bus_message_unref) X(sd_bus_call)     \
	X(sd_bus_get_property_string) X(sd_bus_path_encode)                 \
	X(sd_bus_error_is_set) X(sd_bus_error_has_name) X(sd_bus_error_free) \
	X(sd_bus_message_read) X(sd_bus_match_signal) X(sd_bus_slot_unref)  \
	X(sd_bus_process) X(sd_bus_wait) X(sd_bus_message_open_container)  \
	X(sd_bus_message_close_container)

struct sd_api {
	void *dl;
	/* NOLINTNEXTLINE(bugprone-macro-parentheses): f declares a member. */
#define SD_FIELD(f) __typeof__(f) *f;
	SD_FUNCS(SD_FIELD)
#undef SD_FIELD
};

/* Loads soname into api.  Returns 0, or -ELIBACC with dlerror()'s text
 * (which names the library, and the function when one is missing) in why;
 * api is then unloaded.  The caller unloads with sd_api_close(). */
static int
sd_api_open(struct sd_api *api, const char *soname, char *why, size_t whylen)
{
	const char *e;

	memset(api, 0, sizeof(*api));
	api->dl = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (api->dl == NULL)
		goto fail;
#define SD_RESOLVE(f)                                                       \
	if ((api->f = (__typeof__(f) *)dlsym(api->dl, #f)) == NULL)         \
		goto fail;
	SD_FUNCS(SD_RESOLVE)
#undef SD_RESOLVE
	return 0;
fail:
	e = dlerror();
	snprintf(why, whylen, "%s", e != NULL ? e : soname);
	if (api->dl != NULL)
		dlclose(api->dl);
	memset(api, 0, sizeof(*api));
	return -ELIBACC;
}

static void
sd_api_close(struct sd_api *api)
{
	if (api->dl != NULL)
		dlclose(api->dl);
	memset(api, 0, sizeof(*api));
}

int
mc_sd_lib_check(const char *soname, char *why, size_t whylen)
{
	struct sd_api api;
	int r;

	if ((r = sd_api_open(&api, soname, why, whylen)) == 0)
		sd_api_close(&api);
	return r;
}

/* Loads MC_SD_LIBRARY for a call that needs it; logs why not, naming the
 * library and what was being done. */
static int
sd_api_load(struct sd_api *api, const struct mc_log *log, const char *what)
{
	char why[512];
	int r;

	if ((r = sd_api_open(api, MC_SD_LIBRARY, why, sizeof(why))) < 0)
		mc_log(log, LOG_ERR, "cannot %s: the systemd backend needs %s, which does not load: %s",
		       what, MC_SD_LIBRARY, why);
	return r;
}

enum mc_backend
mc_backend_choose(enum mc_backend want, const struct mc_sd_facts *f)
{
	if (want != MC_BACKEND_AUTO)
		return want;
	return f->pid1_systemd && f->unified && f->logind && f->libsystemd
		       ? MC_BACKEND_SYSTEMD
		       : MC_BACKEND_CGROUPFS;
}

const char *
mc_backend_name(enum mc_backend b)
{
	switch (b) {
	case MC_BACKEND_CGROUPFS:
		return "cgroupfs";
	case MC_BACKEND_SYSTEMD:
		return "systemd";
	case MC_BACKEND_AUTO:
	default:
		return "auto";
	}
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
bus_open(const struct sd_api *sd, sd_bus **bus)
{
	int r;

	*bus = NULL;
	if ((r = sd->sd_bus_open_system(bus)) < 0)
		return r;
	(void)sd->sd_bus_set_method_call_timeout(*bus, BUS_TIMEOUT_USEC);
	return 0;
}

static void
bus_close(const struct sd_api *sd, sd_bus *bus)
{
	if (bus != NULL)
		sd->sd_bus_flush_close_unref(bus);
}

/* mc_sd_probe; the library is tried only when lib is true. */
static void
probe(struct mc_sd_facts *f, bool lib, char *why, size_t whylen)
{
	struct statfs sfs;

	memset(f, 0, sizeof(*f));
	if (whylen > 0)
		why[0] = '\0';
	/* sd_booted()'s test.  The facts are asked in order and the first
	 * that fails ends the probe (the rest stay false): every login runs
	 * this, and without systemd one lstat is enough. */
	if (!(f->pid1_systemd = is_dir("/run/systemd/system")))
		return;
	if (!(f->unified = statfs("/sys/fs/cgroup", &sfs) == 0 &&
			   sfs.f_type == CGROUP2_SUPER_MAGIC))
		return;
	/* systemd's own logind_running(): logind makes /run/systemd/seats
	 * unconditionally at start, before it connects to the bus, so asking
	 * the bus for org.freedesktop.login1 could not say yes where this
	 * says no. */
	if ((f->logind = is_dir("/run/systemd/seats")) && lib)
		f->libsystemd = mc_sd_lib_check(MC_SD_LIBRARY, why, whylen) == 0;
}

void
mc_sd_probe(struct mc_sd_facts *f, char *why, size_t whylen)
{
	probe(f, true, why, whylen);
}

int
mc_backend_resolve(enum mc_backend want, enum mc_backend *out,
		   const struct mc_log *log)
{
	struct mc_sd_facts f;
	char why[512];

	if (want == MC_BACKEND_CGROUPFS) {
		*out = want;
		return 0;
	}
	/* Loading the library costs more than the rest of a login that
	 * finds the slice's limits in place (2-3 ms, 30 ms under emulation):
	 * only auto needs to know here.  For an explicit systemd the call
	 * that needs the library loads it, and says when it does not. */
	probe(&f, want == MC_BACKEND_AUTO, why, sizeof(why));
	if (want == MC_BACKEND_SYSTEMD && !(f.pid1_systemd && f.unified && f.logind)) {
		mc_log(log, LOG_ERR, "cgroup_backend = systemd, but %s",
		       !f.pid1_systemd ? "systemd is not running as PID 1 (no /run/systemd/system)"
		       : !f.unified ? "/sys/fs/cgroup is not the unified (cgroup v2) hierarchy"
				    : "systemd-logind is not running (no /run/systemd/seats)");
		return -ENXIO;
	}
	if (want == MC_BACKEND_AUTO && f.pid1_systemd && f.unified && f.logind && !f.libsystemd) {
		mc_log(log, LOG_ERR, "cgroup_backend = auto, but the systemd backend needs %s, which does not load: %s; using cgroupfs",
		       MC_SD_LIBRARY, why);
	}
	*out = mc_backend_choose(want, &f);
	return 0;
}

int
mc_sd_slice_name(uid_t uid, char *buf, size_t len)
{
	return mc_user_cgroup_name(NULL, uid, ".slice", buf, len);
}

int
mc_sd_unit_in_slice(const char *cgpath, uid_t uid, char *unit, size_t len)
{
	char prefix[64];
	const char *rest, *end;
	size_t n, plen;

	if (mc_user_cgroup_name("/user.slice", uid, ".slice/", prefix, sizeof(prefix)) < 0)
		return -ENAMETOOLONG;
	plen = strlen(prefix);
	if (strncmp(cgpath, prefix, plen) != 0)
		return -ENOENT;
	rest = cgpath + plen;
	end = strchr(rest, '/');
	n = end != NULL ? (size_t)(end - rest) : strlen(rest);
	if (n == 0)
		return -ENOENT;
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(unit, rest, n);
	unit[n] = '\0';
	return 0;
}

/* The calling process's cgroup2 path ("0::PATH" in /proc/self/cgroup);
 * an empty PATH is refused. */
static int
own_cgroup(char *buf, size_t len)
{
	char text[4096];
	int r;

	if ((r = mc_read_small(AT_FDCWD, "/proc/self/cgroup", text, sizeof(text))) < 0)
		return r;
	if ((r = mc_proc_cgroup_parse(text, 2, buf, len)) < 0)
		return r;
	return buf[0] != '\0' ? 0 : -ENOENT;
}

bool
mc_sd_in_user_slice(uid_t uid)
{
	char cg[4096], unit[256];

	return own_cgroup(cg, sizeof(cg)) == 0 &&
	       mc_sd_unit_in_slice(cg, uid, unit, sizeof(unit)) == 0;
}

/* systemd takes UINT64_MAX as "infinity". */
static uint64_t
sd_value(uint64_t v)
{
	return v == MC_UNLIMITED ? UINT64_MAX : v;
}

size_t
mc_sd_slice_props(const struct mc_limits *lim, struct mc_sd_prop *out, size_t max)
{
	size_t n = 0;

#define PROP(name_, v)                                                      \
	do {                                                                \
		if (n < max)                                                \
			out[n] = (struct mc_sd_prop){ .name = (name_), .value = (v) }; \
		n++;                                                        \
	} while (0)
	PROP("MemoryMax", sd_value(lim->memory_max));
	PROP("MemoryHigh", sd_value(lim->memory_high));
	PROP("MemorySwapMax", sd_value(lim->swap_max));
	/* Per second, where the cgroup files take it per period. */
	if (lim->configured & MC_SET_CPU_MAX)
		PROP("CPUQuotaPerSecUSec", lim->cpu_quota_us == MC_UNLIMITED ? UINT64_MAX
					   : lim->cpu_quota_us * (1000000 / MC_CPU_PERIOD_US));
	if (lim->configured & MC_SET_CPU_WEIGHT)
		PROP("CPUWeight", (uint64_t)lim->cpu_weight);
	if (lim->configured & MC_SET_TASKS_MAX)
		PROP("TasksMax", sd_value(lim->tasks_max));
#undef PROP
	return n;
}

/* SetUnitProperties(slice, runtime = true, props). */
static int
set_slice(const struct sd_api *sd, sd_bus *bus, const char *slice,
	  const struct mc_sd_prop *props, size_t n, sd_bus_error *err)
{
	sd_bus_message *m = NULL;
	int r;

	r = sd->sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
					       "SetUnitProperties");
	if (r >= 0)
		r = sd->sd_bus_message_append(m, "sb", slice, 1);
	if (r >= 0)
		r = sd->sd_bus_message_open_container(m, 'a', "(sv)");
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = sd->sd_bus_message_append(m, "(sv)", props[i].name, "t", props[i].value);
	if (r >= 0)
		r = sd->sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd->sd_bus_call(bus, m, 0, err, NULL);
	sd->sd_bus_message_unref(m);
	return r;
}

/* "MemoryMax, MemoryHigh and TasksMax": the names of props, for messages. */
static const char *
prop_names(const struct mc_sd_prop *props, size_t n, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			 i == 0 ? "" : i + 1 == n ? " and " : ", ", props[i].name);
	return buf;
}

static const char *
bus_why(const struct sd_api *sd, const sd_bus_error *err, int r)
{
	return sd->sd_bus_error_is_set(err) && err->message != NULL ? err->message
								      : strerror(-r);
}

int
mc_sd_scope_name(uid_t uid, pid_t pid, unsigned n, char *buf, size_t len)
{
	int k = n == 0 ? snprintf(buf, len, "memcg-%u-%ld.scope", (unsigned)uid, (long)pid)
		       : snprintf(buf, len, "memcg-%u-%ld-%u.scope", (unsigned)uid, (long)pid, n);

	return k < 0 || (size_t)k >= len ? -ENAMETOOLONG : 0;
}

int
mc_sd_job_result(const char *result)
{
	/* The results systemd 252 knows (job_result_table in job.c). */
	static const struct {
		const char *name;
		int err;
	} t[] = {
		{ "done", 0 },
		{ "canceled", -ECANCELED },
		{ "timeout", -ETIMEDOUT },
		{ "failed", -EIO },
		{ "dependency", -ENOLINK },
		{ "skipped", -EALREADY },
		{ "invalid", -EINVAL },
		{ "assert", -EPROTO },
		{ "unsupported", -EOPNOTSUPP },
		{ "collected", -ENOMEDIUM },
		{ "once", -ESTALE },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(result, t[i].name) == 0)
			return t[i].err;
	return -EIO;
}

/* A job being waited for: its object path and, once JobRemoved has come
 * for it, its result. */
struct job_wait {
	const struct sd_api *sd;
	const char *path;
	char result[32];
};

static int
on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
	struct job_wait *w = userdata;
	const char *path = NULL, *unit = NULL, *result = NULL;
	uint32_t id;

	(void)err;
	if (w->sd->sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0 &&
	    strcmp(path, w->path) == 0)
		snprintf(w->result, sizeof(w->result), "%s", result[0] != '\0' ? result : "?");
	return 0;
}

static uint64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Dispatches the bus until w has its result or BUS_TIMEOUT_USEC passed.
 * Returns 0 or a negative errno (-ETIMEDOUT). */
static int
wait_job(const struct sd_api *sd, sd_bus *bus, struct job_wait *w)
{
	uint64_t deadline = now_usec() + BUS_TIMEOUT_USEC, now;
	int r;

	while (w->result[0] == '\0') {
		if ((r = sd->sd_bus_process(bus, NULL)) < 0)
			return r;
		if (r > 0)
			continue;
		if ((now = now_usec()) >= deadline)
			return -ETIMEDOUT;
		if ((r = sd->sd_bus_wait(bus, deadline - now)) < 0)
			return r;
	}
	return 0;
}

int
mc_sd_scope_props(uid_t uid, pid_t pid, unsigned n, struct mc_sd_scope *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (pid < 1)
		return -EINVAL;
	if ((r = mc_sd_scope_name(uid, pid, n, out->name, sizeof(out->name))) < 0 ||
	    (r = mc_sd_slice_name(uid, out->slice, sizeof(out->slice))) < 0)
		return r;
	snprintf(out->description, sizeof(out->description),
		 "Session of uid %u outside logind (pam_memcg)", (unsigned)uid);
	out->pid = (uint32_t)pid;
	/* One process killed at the user's limit must not stop the scope and
	 * so kill the rest of the session. */
	out->oom_policy = "continue";
	/* A scope that failed is unloaded too, and its name free again. */
	out->collect_mode = "inactive-or-failed";
	return 0;
}

/* StartTransientUnit(sc->name, "fail", {Slice, Description, PIDs,
 * OOMPolicy, CollectMode}, {}): the job's object path (owned by reply) in
 * *job. */
static int
start_scope(const struct sd_api *sd, sd_bus *bus, const struct mc_sd_scope *sc,
	    sd_bus_message **reply, const char **job, sd_bus_error *err)
{
	sd_bus_message *m = NULL;
	int r;

	*reply = NULL;
	r = sd->sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
					       "StartTransientUnit");
	if (r >= 0)
		r = sd->sd_bus_message_append(m, "ssa(sv)a(sa(sv))", sc->name, "fail", 5,
					      "Slice", "s", sc->slice,
					      "Description", "s", sc->description,
					      "PIDs", "au", 1, sc->pid,
					      "OOMPolicy", "s", sc->oom_policy,
					      "CollectMode", "s", sc->collect_mode,
					      0);
	if (r >= 0)
		r = sd->sd_bus_call(bus, m, 0, err, reply);
	if (r >= 0)
		r = sd->sd_bus_message_read(*reply, "o", job);
	sd->sd_bus_message_unref(m);
	return r;
}

/* Moves the calling process into a new scope in slice and waits until
 * systemd has started it; its name in out->unit.  Returns 0 or a negative
 * errno, logged. */
static int
join_new_scope(const struct sd_api *sd, sd_bus *bus, uid_t uid, const char *slice,
	       const char *from, const struct mc_log *log, struct mc_sd_session *out)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	sd_bus_slot *slot = NULL;
	struct job_wait w = { .sd = sd };
	struct mc_sd_scope sc;
	char cg[4096] = "", unit[256], shown[512];
	pid_t pid = getpid();
	int r;

	/* Before the job exists: its JobRemoved may follow the reply at once. */
	r = sd->sd_bus_match_signal(bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
				    on_job_removed, &w);
	if (r < 0) {
		mc_log(log, LOG_ERR, "cannot subscribe to systemd's JobRemoved signal: %s",
		       strerror(-r));
		goto out;
	}
	for (unsigned n = 0; n < SCOPE_TRIES; n++) {
		if ((r = mc_sd_scope_props(uid, pid, n, &sc)) < 0)
			break;
		snprintf(out->unit, sizeof(out->unit), "%s", sc.name);
		sd->sd_bus_error_free(&err);
		reply = sd->sd_bus_message_unref(reply);
		r = start_scope(sd, bus, &sc, &reply, &w.path, &err);
		if (r >= 0 || !sd->sd_bus_error_has_name(&err, "org.freedesktop.systemd1.UnitExists"))
			break;
	}
	if (r < 0) {
		mc_log(log, LOG_ERR, "cannot start scope %s in %s for pid %ld (in cgroup %s): %s",
		       out->unit, slice, (long)pid, from, bus_why(sd, &err, r));
		goto out;
	}
	if ((r = wait_job(sd, bus, &w)) < 0) {
		mc_log(log, LOG_ERR, "scope %s in %s for pid %ld: no end of job %s: %s", out->unit,
		       slice, (long)pid, w.path, strerror(-r));
		goto out;
	}
	if ((r = mc_sd_job_result(w.result)) < 0) {
		mc_log(log, LOG_ERR, "scope %s in %s for pid %ld: job %s ended with result \"%s\"",
		       out->unit, slice, (long)pid, w.path, w.result);
		goto out;
	}
	/* systemd says done: the process must now be where it asked to be. */
	if (own_cgroup(cg, sizeof(cg)) < 0 ||
	    mc_sd_unit_in_slice(cg, uid, unit, sizeof(unit)) < 0 || strcmp(unit, out->unit) != 0) {
		mc_sanitize_str(cg[0] != '\0' ? cg : "(unknown)", shown, sizeof(shown), 0);
		mc_log(log, LOG_ERR, "scope %s in %s started, but pid %ld is in cgroup %s",
		       out->unit, slice, (long)pid, shown);
		r = -ESRCH;
		goto out;
	}
	out->new_scope = true;
	r = 0;
out:
	sd->sd_bus_slot_unref(slot);
	sd->sd_bus_message_unref(reply);
	sd->sd_bus_error_free(&err);
	return r;
}

static void slice_have(const char *slice, const struct mc_sd_prop *want, size_t n,
		       struct mc_sd_have *have);

int
mc_sd_open_session(uid_t uid, const struct mc_limits *lim,
		   const struct mc_log *log, struct mc_sd_session *out)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	struct sd_api sd;
	sd_bus *bus = NULL;
	char cg[4096] = "", from[512], slice[64], what[128], *path = NULL, *policy = NULL;
	char names[160];
	struct mc_sd_prop props[MC_SD_PROPS_MAX], todo[MC_SD_PROPS_MAX];
	struct mc_sd_have have[MC_SD_PROPS_MAX];
	size_t nprops, ntodo;
	bool in_slice;
	int r;

	memset(out, 0, sizeof(*out));
	mc_sd_slice_name(uid, slice, sizeof(slice));
	in_slice = own_cgroup(cg, sizeof(cg)) == 0 &&
		   mc_sd_unit_in_slice(cg, uid, out->unit, sizeof(out->unit)) == 0;
	/* What the slice has is read before any scope is started: the
	 * drop-ins are systemd's record of the last SetUnitProperties, kept
	 * while the slice is stopped, and loaded with it when it starts. */
	nprops = mc_sd_slice_props(lim, props, sizeof(props) / sizeof(props[0]));
	slice_have(slice, props, nprops, have);
	ntodo = mc_sd_props_todo(props, have, nprops, todo);
	if (in_slice && ntodo == 0) {
		/* The common login: another session (or an earlier one since
		 * boot) set exactly these.  No library, no bus. */
		mc_log(log, LOG_DEBUG, "%s: %s already in place (runtime drop-ins): not set again",
		       slice, prop_names(props, nprops, names, sizeof(names)));
		return 0;
	}
	snprintf(what, sizeof(what), "set the limits on %s", slice);
	if ((r = sd_api_load(&sd, log, what)) < 0)
		return r;
	if ((r = bus_open(&sd, &bus)) < 0) {
		mc_log(log, LOG_ERR, "cannot connect to the system bus: %s", strerror(-r));
		goto out;
	}
	/* A cgroup's name may be anyone's text: logged only sanitised. */
	mc_sanitize_str(cg[0] != '\0' ? cg : "(unknown)", from, sizeof(from), 0);
	if (!in_slice && (r = join_new_scope(&sd, bus, uid, slice, from, log, out)) < 0)
		goto out;
	/* After the scope: where logind has not made the slice yet (the user
	 * has no login session), starting the scope has. */
	if (ntodo > 0) {
		r = set_slice(&sd, bus, slice, todo, ntodo, &err);
		if (r < 0) {
			mc_log(log, LOG_ERR, "cannot set %s on %s: %s",
			       prop_names(todo, ntodo, names, sizeof(names)), slice,
			       bus_why(&sd, &err, r));
			goto out;
		}
		out->nset = ntodo;
	}
	/* Only a question: the answer is logged by the caller, never fatal. */
	if (sd.sd_bus_path_encode(SD_PATH "/unit", out->unit, &path) >= 0 &&
	    sd.sd_bus_get_property_string(bus, SD_DEST, path, "org.freedesktop.systemd1.Scope",
					  "OOMPolicy", NULL, &policy) >= 0)
		snprintf(out->oom_policy, sizeof(out->oom_policy), "%s", policy);
	r = 0;
out:
	free(policy);
	free(path);
	sd.sd_bus_error_free(&err);
	bus_close(&sd, bus);
	sd_api_close(&sd);
	return r;
}

bool
mc_sd_dropin_sets(const char *text, const char *name, const char *off)
{
	char key[64];
	const char *p, *v = NULL;
	size_t klen, olen = strlen(off);
	int n = snprintf(key, sizeof(key), "%s=", name);

	if (n < 0 || (size_t)n >= sizeof(key))
		return false;
	klen = (size_t)n;
	/* The last line that sets it wins, as systemd reads it. */
	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0)
			v = p + klen;
	if (v == NULL)
		return false;
	return strncmp(v, off, olen) != 0 || (v[olen] != '\n' && v[olen] != '\0');
}

const char *
mc_sd_dropin_setting(const char *prop)
{
	return strcmp(prop, "CPUQuotaPerSecUSec") == 0 ? "CPUQuota" : prop;
}

/* "N%" or "N.D%" (up to 4 decimals) of one CPU as microseconds per
 * second (1% is 10,000 us); -EINVAL otherwise. */
static int
quota_pct_usec(const char *v, uint64_t *out)
{
	char num[32];
	const char *dot, *pct = strchr(v, '%');
	uint64_t whole, frac = 0, scale = 10000;
	size_t n = pct != NULL ? (size_t)(pct - v) : 0;

	if (pct == NULL || pct[1] != '\0' || n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, v, n);
	num[n] = '\0';
	if ((dot = strchr(num, '.')) != NULL) {
		const char *d = dot + 1;

		if (*d == '\0' || strlen(d) > 4)
			return -EINVAL;
		for (; *d != '\0'; d++) {
			if (*d < '0' || *d > '9')
				return -EINVAL;
			scale /= 10;
			frac += (uint64_t)(*d - '0') * scale;
		}
		num[dot - num] = '\0';
	}
	/* Up to a million CPUs: no overflow below. */
	if (mc_parse_u64(num, 0, 100000000, &whole) < 0)
		return -EINVAL;
	*out = whole * 10000 + frac;
	return 0;
}

int
mc_sd_dropin_value(const char *text, const char *prop, uint64_t *out)
{
	const char *setting = mc_sd_dropin_setting(prop), *p, *v = NULL, *end;
	char key[64], val[64];
	size_t klen, n;
	int k = snprintf(key, sizeof(key), "%s=", setting);

	if (k < 0 || (size_t)k >= sizeof(key))
		return -EINVAL;
	klen = (size_t)k;
	/* The last line that sets it wins, as systemd reads it. */
	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0)
			v = p + klen;
	if (v == NULL)
		return -ENOENT;
	end = strchr(v, '\n');
	n = end != NULL ? (size_t)(end - v) : strlen(v);
	if (n >= sizeof(val))
		return -EINVAL;
	memcpy(val, v, n);
	val[n] = '\0';
	if (strcmp(setting, "CPUQuota") == 0) {
		if (val[0] == '\0') {
			*out = UINT64_MAX;
			return 0;
		}
		return quota_pct_usec(val, out);
	}
	if (strcmp(setting, "CPUWeight") == 0 && val[0] == '\0') {
		*out = UINT64_MAX;
		return 0;
	}
	if (strcmp(setting, "CPUWeight") != 0 && strcmp(val, "infinity") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	return mc_parse_u64(val, 0, UINT64_MAX - 1, out) < 0 ? -EINVAL : 0;
}

size_t
mc_sd_props_todo(const struct mc_sd_prop *want, const struct mc_sd_have *have,
		 size_t n, struct mc_sd_prop *todo)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!have[i].known || have[i].value != want[i].value)
			todo[k++] = want[i];
	return k;
}

/* What the runtime drop-ins of slice say of each of the n properties want
 * into have.  A setting with a persistent drop-in of the same name in
 * /etc/systemd/system.control is unknown: that one wins when systemd
 * loads the unit again (a daemon-reload), whatever the runtime one says. */
static void
slice_have(const char *slice, const struct mc_sd_prop *want, size_t n,
	   struct mc_sd_have *have)
{
	char path[192], text[1024];
	struct stat st;

	for (size_t i = 0; i < n; i++) {
		const char *setting = mc_sd_dropin_setting(want[i].name);

		have[i] = (struct mc_sd_have){ .known = false };
		snprintf(path, sizeof(path), "/etc/systemd/system.control/%s.d/50-%s.conf",
			 slice, setting);
		if (lstat(path, &st) == 0 || errno != ENOENT)
			continue;
		snprintf(path, sizeof(path), "/run/systemd/system.control/%s.d/50-%s.conf",
			 slice, setting);
		if (mc_read_small(AT_FDCWD, path, text, sizeof(text)) == 0 &&
		    mc_sd_dropin_value(text, want[i].name, &have[i].value) == 0)
			have[i].known = true;
	}
}

/* mc_sd_dropin_sets for the runtime drop-in of setting name on slice,
 * where systemd keeps what SetUnitProperties set. */
static bool
has_setting(const char *slice, const char *name, const char *off)
{
	char dropin[160], text[1024];

	snprintf(dropin, sizeof(dropin), "/run/systemd/system.control/%s.d/50-%s.conf",
		 slice, name);
	if (mc_read_small(AT_FDCWD, dropin, text, sizeof(text)) < 0)
		return false;
	return mc_sd_dropin_sets(text, name, off);
}

int
mc_sd_clear_slice(uid_t uid, const struct mc_log *log)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	struct sd_api sd;
	sd_bus *bus = NULL;
	struct mc_sd_prop props[MC_SD_PROPS_MAX];
	char slice[64], what[128], names[160];
	size_t n = 0;
	int r;

	mc_sd_slice_name(uid, slice, sizeof(slice));
	/* Where SetUnitProperties(runtime = true) keeps them; nothing there is
	 * the common case, and costs a few stats.  Only what an earlier login
	 * set is lifted: TasksMax otherwise keeps logind's default. */
	if (has_setting(slice, "MemoryMax", "infinity")) {
		props[n++] = (struct mc_sd_prop){ "MemoryMax", UINT64_MAX };
		props[n++] = (struct mc_sd_prop){ "MemoryHigh", UINT64_MAX };
		props[n++] = (struct mc_sd_prop){ "MemorySwapMax", UINT64_MAX };
	}
	if (has_setting(slice, "CPUQuota", ""))
		props[n++] = (struct mc_sd_prop){ "CPUQuotaPerSecUSec", UINT64_MAX };
	if (has_setting(slice, "CPUWeight", ""))
		props[n++] = (struct mc_sd_prop){ "CPUWeight", UINT64_MAX };
	if (has_setting(slice, "TasksMax", "infinity"))
		props[n++] = (struct mc_sd_prop){ "TasksMax", UINT64_MAX };
	if (n == 0)
		return 0;
	snprintf(what, sizeof(what), "lift the limits an earlier login set on %s", slice);
	if ((r = sd_api_load(&sd, log, what)) < 0)
		return r;
	if ((r = bus_open(&sd, &bus)) < 0) {
		mc_log(log, LOG_ERR, "cannot connect to the system bus: %s", strerror(-r));
		goto out;
	}
	r = set_slice(&sd, bus, slice, props, n, &err);
	if (r < 0)
		mc_log(log, LOG_ERR, "cannot lift the limits an earlier login set on %s (%s): %s",
		       slice, prop_names(props, n, names, sizeof(names)), bus_why(&sd, &err, r));
	else
		mc_log(log, LOG_DEBUG, "%s: limits from an earlier login lifted (user is exempt now): %s",
		       slice, prop_names(props, n, names, sizeof(names)));
out:
	sd.sd_bus_error_free(&err);
	bus_close(&sd, bus);
	sd_api_close(&sd);
	return r < 0 ? r : 0;
}

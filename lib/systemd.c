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
	X(sd_bus_process) X(sd_bus_wait)

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

void
mc_sd_probe(struct mc_sd_facts *f, char *why, size_t whylen)
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
	if ((f->logind = is_dir("/run/systemd/seats")))
		f->libsystemd = mc_sd_lib_check(MC_SD_LIBRARY, why, whylen) == 0;
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
	mc_sd_probe(&f, why, sizeof(why));
	if (want == MC_BACKEND_SYSTEMD && !(f.pid1_systemd && f.unified && f.logind)) {
		mc_log(log, LOG_ERR, "cgroup_backend = systemd, but %s",
		       !f.pid1_systemd ? "systemd is not running as PID 1 (no /run/systemd/system)"
		       : !f.unified ? "/sys/fs/cgroup is not the unified (cgroup v2) hierarchy"
				    : "systemd-logind is not running (no /run/systemd/seats)");
		return -ENXIO;
	}
	if (f.pid1_systemd && f.unified && f.logind && !f.libsystemd) {
		mc_log(log, LOG_ERR, "cgroup_backend = %s, but the systemd backend needs %s, which does not load: %s%s",
		       mc_backend_name(want), MC_SD_LIBRARY, why,
		       want == MC_BACKEND_AUTO ? "; using cgroupfs" : "");
		if (want == MC_BACKEND_SYSTEMD)
			return -ENXIO;
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

/* SetUnitProperties(slice, runtime = true, memory properties). */
static int
set_slice(const struct sd_api *sd, sd_bus *bus, const char *slice, uint64_t max,
	  uint64_t high, uint64_t swap, sd_bus_error *err)
{
	sd_bus_message *m = NULL;
	int r;

	r = sd->sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
					       "SetUnitProperties");
	if (r >= 0)
		r = sd->sd_bus_message_append(m, "sb", slice, 1);
	if (r >= 0)
		r = sd->sd_bus_message_append(m, "a(sv)", 3,
					      "MemoryMax", "t", max,
					      "MemoryHigh", "t", high,
					      "MemorySwapMax", "t", swap);
	if (r >= 0)
		r = sd->sd_bus_call(bus, m, 0, err, NULL);
	sd->sd_bus_message_unref(m);
	return r;
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

int
mc_sd_open_session(uid_t uid, const struct mc_limits *lim,
		   const struct mc_log *log, struct mc_sd_session *out)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	struct sd_api sd;
	sd_bus *bus = NULL;
	char cg[4096] = "", from[512], slice[64], what[128], *path = NULL, *policy = NULL;
	bool in_slice;
	int r;

	memset(out, 0, sizeof(*out));
	mc_sd_slice_name(uid, slice, sizeof(slice));
	in_slice = own_cgroup(cg, sizeof(cg)) == 0 &&
		   mc_sd_unit_in_slice(cg, uid, out->unit, sizeof(out->unit)) == 0;
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
	r = set_slice(&sd, bus, slice, sd_value(lim->memory_max), sd_value(lim->memory_high),
		      sd_value(lim->swap_max), &err);
	if (r < 0) {
		mc_log(log, LOG_ERR, "cannot set MemoryMax, MemoryHigh and MemorySwapMax on %s: %s",
		       slice, bus_why(&sd, &err, r));
		goto out;
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

/* Whether a runtime drop-in of ours sets a MemoryMax other than infinity. */
static bool
has_limit(const char *dropin)
{
	char text[1024];

	if (mc_read_small(AT_FDCWD, dropin, text, sizeof(text)) < 0 || text[0] == '\0')
		return false;
	return strstr(text, "MemoryMax=") != NULL && strstr(text, "MemoryMax=infinity") == NULL;
}

int
mc_sd_clear_slice(uid_t uid, const struct mc_log *log)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	struct sd_api sd;
	sd_bus *bus = NULL;
	char slice[64], dropin[128], what[128];
	int r;

	mc_sd_slice_name(uid, slice, sizeof(slice));
	/* Where SetUnitProperties(runtime = true) keeps them; nothing there is
	 * the common case, and costs one stat. */
	snprintf(dropin, sizeof(dropin), "/run/systemd/system.control/%s.d/50-MemoryMax.conf",
		 slice);
	if (!has_limit(dropin))
		return 0;
	snprintf(what, sizeof(what), "lift the limits an earlier login set on %s", slice);
	if ((r = sd_api_load(&sd, log, what)) < 0)
		return r;
	if ((r = bus_open(&sd, &bus)) < 0) {
		mc_log(log, LOG_ERR, "cannot connect to the system bus: %s", strerror(-r));
		goto out;
	}
	r = set_slice(&sd, bus, slice, UINT64_MAX, UINT64_MAX, UINT64_MAX, &err);
	if (r < 0)
		mc_log(log, LOG_ERR, "cannot lift the limits an earlier login set on %s: %s",
		       slice, bus_why(&sd, &err, r));
	else
		mc_log(log, LOG_DEBUG, "%s: limits from an earlier login lifted (user is exempt now)",
		       slice);
out:
	sd.sd_bus_error_free(&err);
	bus_close(&sd, bus);
	sd_api_close(&sd);
	return r < 0 ? r : 0;
}

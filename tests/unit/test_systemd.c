/* Unit tests for the pure parts of the systemd backend (lib/systemd.c: the
 * auto choice, the slice, scope and unit names, job results), for how it
 * loads libsystemd, and
 * for the cgroup layouts of both backends (lib/cgroup.c), the systemd one
 * against a fake user.slice. */
#include "unit.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cgroup.h"
#include "systemd.h"

static void
test_backend_choose(void **state)
{
	static const struct {
		enum mc_backend want;
		bool pid1, unified, logind, lib;
		enum mc_backend got;
	} t[] = {
		{ MC_BACKEND_AUTO, true, true, true, true, MC_BACKEND_SYSTEMD },
		{ MC_BACKEND_AUTO, false, true, true, true, MC_BACKEND_CGROUPFS },
		{ MC_BACKEND_AUTO, true, false, true, true, MC_BACKEND_CGROUPFS },
		{ MC_BACKEND_AUTO, true, true, false, true, MC_BACKEND_CGROUPFS },
		/* systemd and logind run, but libsystemd.so.0 does not load. */
		{ MC_BACKEND_AUTO, true, true, true, false, MC_BACKEND_CGROUPFS },
		{ MC_BACKEND_AUTO, false, false, false, false, MC_BACKEND_CGROUPFS },
		/* An explicit choice is the answer, whatever the machine. */
		{ MC_BACKEND_CGROUPFS, true, true, true, true, MC_BACKEND_CGROUPFS },
		{ MC_BACKEND_SYSTEMD, false, false, false, false, MC_BACKEND_SYSTEMD },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_sd_facts f = { t[i].pid1, t[i].unified, t[i].logind, t[i].lib };
		enum mc_backend got = mc_backend_choose(t[i].want, &f);

		if (got != t[i].got)
			fail_msg("case %zu: %s, want %s", i, mc_backend_name(got),
				 mc_backend_name(t[i].got));
	}
	assert_string_equal(mc_backend_name(MC_BACKEND_AUTO), "auto");
	assert_string_equal(mc_backend_name(MC_BACKEND_CGROUPFS), "cgroupfs");
	assert_string_equal(mc_backend_name(MC_BACKEND_SYSTEMD), "systemd");
}

static void
test_explicit_cgroupfs_resolves_without_probing(void **state)
{
	struct logrec rec;
	struct mc_log log = logrec_sink(&rec);
	enum mc_backend b = MC_BACKEND_AUTO;

	(void)state;
	assert_int_equal(mc_backend_resolve(MC_BACKEND_CGROUPFS, &b, &log), 0);
	assert_int_equal(b, MC_BACKEND_CGROUPFS);
	assert_int_equal(rec.n, 0);
}

/* libsystemd is loaded only to be used, and a library that does not load
 * or lacks a function is refused with a reason that names it. */
static void
test_lib_check(void **state)
{
	static const struct {
		const char *soname;
		int r;
		const char *why;	/* a part of the reason */
	} t[] = {
		{ MC_SD_LIBRARY, 0, "" },
		{ "libmemcg-no-such-library.so.0", -ELIBACC, "libmemcg-no-such-library.so.0" },
		/* Loads, but has none of the sd_bus functions. */
		{ "libc.so.6", -ELIBACC, "sd_bus_" },
	};
	char why[512];

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		int r;

		why[0] = '\0';
		r = mc_sd_lib_check(t[i].soname, why, sizeof(why));
		if (r != t[i].r || strstr(why, t[i].why) == NULL)
			fail_msg("%s: %d \"%s\", want %d and \"%s\"", t[i].soname, r, why, t[i].r,
				 t[i].why);
	}
	/* Checked, and unloaded again: nothing here links it. */
	assert_null(dlopen(MC_SD_LIBRARY, RTLD_NOW | RTLD_NOLOAD));
	/* A reason that does not fit is cut, never overrun. */
	assert_int_equal(mc_sd_lib_check("libmemcg-no-such-library.so.0", why, 8), -ELIBACC);
	assert_int_equal(strlen(why), 7);
}

/* Where systemd is not PID 1, auto decides from the filesystem alone and
 * never loads libsystemd. */
static void
test_auto_without_systemd_loads_nothing(void **state)
{
	struct logrec rec;
	struct mc_log log = logrec_sink(&rec);
	enum mc_backend b = MC_BACKEND_SYSTEMD;
	struct stat st;

	(void)state;
	if (lstat("/run/systemd/system", &st) == 0)
		skip();
	assert_int_equal(mc_backend_resolve(MC_BACKEND_AUTO, &b, &log), 0);
	assert_int_equal(b, MC_BACKEND_CGROUPFS);
	assert_int_equal(rec.n, 0);
	assert_int_equal(mc_backend_resolve(MC_BACKEND_SYSTEMD, &b, &log), -ENXIO);
	assert_int_equal(rec.n, 1);
	assert_true(logrec_has(&rec, LOG_ERR, "no /run/systemd/system"));
	assert_null(dlopen(MC_SD_LIBRARY, RTLD_NOW | RTLD_NOLOAD));
}

static void
test_slice_name(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(mc_sd_slice_name(1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "user-1000.slice");
	assert_int_equal(mc_sd_slice_name(4294967294u, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "user-4294967294.slice");
	assert_int_equal(mc_sd_slice_name(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "user-0.slice");
	/* "user-1000.slice" and its NUL need 16 bytes. */
	assert_int_equal(mc_sd_slice_name(1000, buf, 16), 0);
	assert_int_equal(mc_sd_slice_name(1000, buf, 15), -ENAMETOOLONG);
}

/* The scope a session outside the user's slice gets. */
static void
test_scope_name(void **state)
{
	static const struct {
		uid_t uid;
		pid_t pid;
		unsigned n;
		const char *name;
	} t[] = {
		{ 1000, 42, 0, "memcg-1000-42.scope" },
		{ 1000, 42, 1, "memcg-1000-42-1.scope" },
		{ 1000, 42, 3, "memcg-1000-42-3.scope" },
		{ 0, 1, 0, "memcg-0-1.scope" },
		{ 4294967294u, 4194304, 0, "memcg-4294967294-4194304.scope" },
		{ 4294967294u, 2147483647, 4294967295u, "memcg-4294967294-2147483647-4294967295.scope" },
	};
	char buf[64], unit[64], path[128];

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		int r = mc_sd_scope_name(t[i].uid, t[i].pid, t[i].n, buf, sizeof(buf));

		if (r != 0 || strcmp(buf, t[i].name) != 0)
			fail_msg("uid %u pid %ld n %u: %d \"%s\", want \"%s\"", (unsigned)t[i].uid,
				 (long)t[i].pid, t[i].n, r, buf, t[i].name);
		/* The process is then found in it, as below a session scope. */
		snprintf(path, sizeof(path), "/user.slice/user-%u.slice/%s", (unsigned)t[i].uid, buf);
		assert_int_equal(mc_sd_unit_in_slice(path, t[i].uid, unit, sizeof(unit)), 0);
		assert_string_equal(unit, t[i].name);
	}
	/* "memcg-1000-42.scope" and its NUL need 20 bytes. */
	assert_int_equal(mc_sd_scope_name(1000, 42, 0, buf, 20), 0);
	assert_int_equal(mc_sd_scope_name(1000, 42, 0, buf, 19), -ENAMETOOLONG);
	assert_int_equal(mc_sd_scope_name(1000, 42, 1, buf, 22), 0);
	assert_int_equal(mc_sd_scope_name(1000, 42, 1, buf, 21), -ENAMETOOLONG);
	assert_int_equal(mc_sd_scope_name(1000, 42, 0, buf, 0), -ENAMETOOLONG);
}

/* What StartTransientUnit asks for: the scope in the user's slice, with the
 * calling process, surviving an OOM kill, unloaded even when it failed. */
static void
test_scope_props(void **state)
{
	static const struct {
		uid_t uid;
		pid_t pid;
		unsigned n;
		int r;
		const char *name, *slice, *desc;
	} t[] = {
		{ 1000, 42, 0, 0, "memcg-1000-42.scope", "user-1000.slice",
		  "Session of uid 1000 outside logind (pam_memcg)" },
		{ 1000, 42, 2, 0, "memcg-1000-42-2.scope", "user-1000.slice",
		  "Session of uid 1000 outside logind (pam_memcg)" },
		{ 4294967294u, 2147483647, 4294967295u, 0,
		  "memcg-4294967294-2147483647-4294967295.scope", "user-4294967294.slice",
		  "Session of uid 4294967294 outside logind (pam_memcg)" },
		/* No process to move. */
		{ 1000, 0, 0, -EINVAL, "", "", "" },
		{ 1000, -1, 0, -EINVAL, "", "", "" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_sd_scope sc;
		int r = mc_sd_scope_props(t[i].uid, t[i].pid, t[i].n, &sc);

		if (r != t[i].r)
			fail_msg("case %zu: %d, want %d", i, r, t[i].r);
		if (r < 0)
			continue;
		assert_string_equal(sc.name, t[i].name);
		assert_string_equal(sc.slice, t[i].slice);
		assert_string_equal(sc.description, t[i].desc);
		assert_int_equal(sc.pid, (uint32_t)t[i].pid);
		assert_string_equal(sc.oom_policy, "continue");
		assert_string_equal(sc.collect_mode, "inactive-or-failed");
	}
}

/* JobRemoved's result for the scope's start job: only "done" is success. */
static void
test_job_result(void **state)
{
	static const struct {
		const char *result;
		int r;
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
		/* Unknown or near misses are failures, never success. */
		{ "", -EIO },
		{ "Done", -EIO },
		{ "done ", -EIO },
		{ "don", -EIO },
		{ "?", -EIO },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		int r = mc_sd_job_result(t[i].result);

		if (r != t[i].r)
			fail_msg("\"%s\": %d, want %d", t[i].result, r, t[i].r);
	}
}

static void
test_unit_in_slice(void **state)
{
	static const struct {
		const char *path;
		uid_t uid;
		int r;
		const char *unit;
	} t[] = {
		{ "/user.slice/user-1000.slice/session-3.scope", 1000, 0, "session-3.scope" },
		{ "/user.slice/user-1000.slice/session-c12.scope", 1000, 0, "session-c12.scope" },
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/x.service", 1000, 0,
		  "user@1000.service" },
		/* Another user's slice, or a prefix of one. */
		{ "/user.slice/user-1000.slice/session-3.scope", 100, -ENOENT, NULL },
		{ "/user.slice/user-10000.slice/session-3.scope", 1000, -ENOENT, NULL },
		/* In the slice itself, not in a unit below it. */
		{ "/user.slice/user-1000.slice", 1000, -ENOENT, NULL },
		{ "/user.slice/user-1000.slice/", 1000, -ENOENT, NULL },
		/* Not below user.slice at all. */
		{ "/system.slice/ssh.service", 1000, -ENOENT, NULL },
		{ "/", 1000, -ENOENT, NULL },
		{ "", 1000, -ENOENT, NULL },
		{ "/pam_memcg/user-1000", 1000, -ENOENT, NULL },
		{ "user.slice/user-1000.slice/session-3.scope", 1000, -ENOENT, NULL },
	};
	char unit[64];

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		int r = mc_sd_unit_in_slice(t[i].path, t[i].uid, unit, sizeof(unit));

		if (r != t[i].r)
			fail_msg("\"%s\" uid %u: %d, want %d", t[i].path, (unsigned)t[i].uid, r,
				 t[i].r);
		if (r == 0 && strcmp(unit, t[i].unit) != 0)
			fail_msg("\"%s\": unit \"%s\", want \"%s\"", t[i].path, unit, t[i].unit);
	}
	/* "session-3.scope" needs 16 bytes. */
	assert_int_equal(mc_sd_unit_in_slice(t[0].path, 1000, unit, 16), 0);
	assert_int_equal(mc_sd_unit_in_slice(t[0].path, 1000, unit, 15), -ENAMETOOLONG);
}

static void
test_layouts(void **state)
{
	struct mc_config cfg = { .cgroup_parent = (char *)"a/b" };
	struct mc_layout l;
	char buf[64];

	(void)state;
	mc_layout_for(&cfg, MC_BACKEND_CGROUPFS, &l);
	assert_int_equal(mc_layout_user_cgroup(&l, 1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "a/b/user-1000");
	mc_layout_for(&cfg, MC_BACKEND_SYSTEMD, &l);
	assert_int_equal(mc_layout_user_cgroup(&l, 1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "user.slice/user-1000.slice");
	assert_int_equal(mc_layout_user_cgroup(&l, 1000, buf, 27), 0);
	assert_int_equal(mc_layout_user_cgroup(&l, 1000, buf, 26), -ENAMETOOLONG);
}

static void
test_layout_leaf(void **state)
{
	static const struct {
		const char *name;
		bool sd;		/* systemd layout */
		bool ok;
		uid_t uid;
	} t[] = {
		{ "user-1000", false, true, 1000 },
		{ "user-0", false, true, 0 },
		{ "user-4294967294", false, true, 4294967294u },
		{ "user-1000.slice", false, false, 0 },
		{ "user-1000.slice", true, true, 1000 },
		{ "user-0.slice", true, true, 0 },
		{ "user-4294967294.slice", true, true, 4294967294u },
		{ "user-1000", true, false, 0 },
		{ "user-4294967295.slice", true, false, 0 },
		{ "user-01000.slice", true, false, 0 },
		{ "user-.slice", true, false, 0 },
		{ "user-1000.slice.d", true, false, 0 },
		{ "user-1000.scope", true, false, 0 },
		{ "user-+5.slice", true, false, 0 },
		{ "user-1000x.slice", true, false, 0 },
		{ "user-99999999999999999999.slice", true, false, 0 },
		{ "user.slice", true, false, 0 },
		{ "session-3.scope", true, false, 0 },
		{ "user-runtime-dir@1000.service", true, false, 0 },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_layout l = { "p", t[i].sd ? ".slice" : "" };
		uid_t uid = 12345;
		bool ok = mc_layout_user_leaf(&l, t[i].name, &uid);

		if (ok != t[i].ok || (ok && uid != t[i].uid))
			fail_msg("\"%s\" (%s layout): %s uid %u, want %s %u", t[i].name,
				 t[i].sd ? "systemd" : "cgroupfs", ok ? "yes" : "no",
				 (unsigned)uid, t[i].ok ? "yes" : "no", (unsigned)t[i].uid);
	}
}

static int
collect(void *ctx, uid_t uid)
{
	uid_t *sum = ctx;

	*sum += uid;
	return 0;
}

/* memcgctl status and the notifier list user.slice as logind leaves it. */
static void
test_each_user_in_user_slice(void **state)
{
	static const char *const dirs[] = {
		"user.slice", "user.slice/user-1000.slice", "user.slice/user-1001.slice",
		"user.slice/user-0.slice", "user.slice/user-1000.slice/session-3.scope",
		"user.slice/user-1002.slice.d", "user.slice/session-4.scope",
		"user.slice/user-1003",
	};
	char tmpl[] = "/tmp/memcg-unit-sd.XXXXXX", path[256];
	struct mc_config cfg = { .cgroup_parent = (char *)"pam_memcg" };
	struct mc_layout l;
	struct mc_hier h;
	uid_t sum = 0;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	for (size_t i = 0; i < NELEM(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpl, dirs[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	assert_int_equal(mc_hier_open(tmpl, "/", 2, false, &h), 0);
	mc_layout_for(&cfg, MC_BACKEND_SYSTEMD, &l);
	assert_int_equal(mc_cg_each_user_in(&h, &l, collect, &sum), 0);
	assert_int_equal(sum, 0 + 1000 + 1001);
	/* The cgroupfs layout of the same config finds no parent there. */
	mc_layout_for(&cfg, MC_BACKEND_CGROUPFS, &l);
	assert_int_equal(mc_cg_each_user_in(&h, &l, collect, &sum), -ENOENT);
	mc_hier_close(&h);
	for (size_t i = NELEM(dirs); i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", tmpl, dirs[i]);
		rmdir(path);
	}
	rmdir(tmpl);
}

static void
test_dropin_sets(void **state)
{
	static const struct {
		const char *text, *name, *off;
		bool want;
	} t[] = {
		{ "# created via SetUnitProperties\n[Slice]\nTasksMax=48\n", "TasksMax", "infinity", true },
		{ "[Slice]\nTasksMax=infinity\n", "TasksMax", "infinity", false },
		{ "[Slice]\nTasksMax=48\nTasksMax=infinity\n", "TasksMax", "infinity", false },
		{ "[Slice]\nTasksMax=infinity\nTasksMax=48", "TasksMax", "infinity", true },
		{ "[Slice]\nMemoryMax=67108864\n", "MemoryMax", "infinity", true },
		{ "[Slice]\nMemoryMax=infinityx\n", "MemoryMax", "infinity", true },
		{ "[Slice]\nCPUQuota=50%\n", "CPUQuota", "", true },
		{ "[Slice]\nCPUQuota=\n", "CPUQuota", "", false },
		{ "[Slice]\nCPUQuota=", "CPUQuota", "", false },
		{ "[Slice]\nCPUWeight=200\n", "CPUWeight", "", true },
		{ "[Slice]\nCPUQuotaPeriodSec=10ms\n", "CPUQuota", "", false },
		{ "[Slice]\n# CPUWeight=200\n", "CPUWeight", "", false },
		{ "", "TasksMax", "infinity", false },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++)
		if (mc_sd_dropin_sets(t[i].text, t[i].name, t[i].off) != t[i].want)
			fail_msg("mc_sd_dropin_sets(\"%s\", %s, \"%s\") != %d", t[i].text,
				 t[i].name, t[i].off, t[i].want);
}

/* What a runtime drop-in says of a property, in the property's unit: the
 * texts systemd 252 writes for SetUnitProperties (seen in the systemd
 * lane), and what it does not write, which must stay unknown. */
static void
test_dropin_value(void **state)
{
	static const char hdr[] = "# This is a drop-in unit file extension, created via \"systemctl set-property\"\n"
				  "# or an equivalent operation. Do not edit.\n[Slice]\n";
	static const struct {
		const char *body, *prop;
		int r;
		uint64_t v;
	} t[] = {
		{ "MemoryMax=268435456\n", "MemoryMax", 0, 268435456 },
		{ "MemoryMax=infinity\n", "MemoryMax", 0, UINT64_MAX },
		{ "MemoryHigh=infinity\n", "MemoryHigh", 0, UINT64_MAX },
		{ "MemorySwapMax=0\n", "MemorySwapMax", 0, 0 },
		{ "MemorySwapMax=67108864", "MemorySwapMax", 0, 67108864 },
		{ "TasksMax=512\n", "TasksMax", 0, 512 },
		{ "TasksMax=infinity\n", "TasksMax", 0, UINT64_MAX },
		{ "CPUWeight=50\n", "CPUWeight", 0, 50 },
		{ "CPUWeight=\n", "CPUWeight", 0, UINT64_MAX },
		{ "CPUQuota=50%\n", "CPUQuotaPerSecUSec", 0, 500000 },
		{ "CPUQuota=200%\n", "CPUQuotaPerSecUSec", 0, 2000000 },
		{ "CPUQuota=12.5%\n", "CPUQuotaPerSecUSec", 0, 125000 },
		{ "CPUQuota=12.3456%\n", "CPUQuotaPerSecUSec", 0, 123456 },
		{ "CPUQuota=\n", "CPUQuotaPerSecUSec", 0, UINT64_MAX },
		/* The last line wins. */
		{ "MemoryMax=1\nMemoryMax=2\n", "MemoryMax", 0, 2 },
		{ "MemoryMax=infinity\nMemoryMax=2\n", "MemoryMax", 0, 2 },
		/* Not set: another setting, a comment, a longer name. */
		{ "", "MemoryMax", -ENOENT, 0 },
		{ "MemoryMaxX=1\n", "MemoryMax", -ENOENT, 0 },
		{ "# MemoryMax=1\n", "MemoryMax", -ENOENT, 0 },
		{ "CPUQuotaPeriodSec=10ms\n", "CPUQuotaPerSecUSec", -ENOENT, 0 },
		{ "MemorySwapMax=1\n", "MemoryMax", -ENOENT, 0 },
		/* Written some other way than SetUnitProperties writes bytes:
		 * nobody can tell without asking systemd. */
		{ "MemoryMax=50%\n", "MemoryMax", -EINVAL, 0 },
		{ "MemoryMax=1G\n", "MemoryMax", -EINVAL, 0 },
		{ "MemoryMax=\n", "MemoryMax", -EINVAL, 0 },
		{ "MemoryMax= 5\n", "MemoryMax", -EINVAL, 0 },
		{ "MemoryMax=18446744073709551616\n", "MemoryMax", -EINVAL, 0 },
		{ "TasksMax=33%\n", "TasksMax", -EINVAL, 0 },
		{ "CPUWeight=infinity\n", "CPUWeight", -EINVAL, 0 },
		{ "CPUQuota=50\n", "CPUQuotaPerSecUSec", -EINVAL, 0 },
		{ "CPUQuota=12.34567%\n", "CPUQuotaPerSecUSec", -EINVAL, 0 },
		{ "CPUQuota=12.%\n", "CPUQuotaPerSecUSec", -EINVAL, 0 },
		{ "CPUQuota=.5%\n", "CPUQuotaPerSecUSec", -EINVAL, 0 },
		{ "CPUQuota=%\n", "CPUQuotaPerSecUSec", -EINVAL, 0 },
		{ "CPUQuota=5%%\n", "CPUQuotaPerSecUSec", -EINVAL, 0 },
		{ "CPUQuota=1e3%\n", "CPUQuotaPerSecUSec", -EINVAL, 0 },
		{ "CPUQuota=100000001%\n", "CPUQuotaPerSecUSec", -EINVAL, 0 },
	};
	char text[512];

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		uint64_t v = 7;
		int r;

		snprintf(text, sizeof(text), "%s%s", hdr, t[i].body);
		r = mc_sd_dropin_value(text, t[i].prop, &v);
		if (r != t[i].r || (r == 0 && v != t[i].v))
			fail_msg("case %zu (%s for %s): %d, %llu; want %d, %llu", i, t[i].body,
				 t[i].prop, r, (unsigned long long)v, t[i].r,
				 (unsigned long long)t[i].v);
	}
	assert_string_equal(mc_sd_dropin_setting("CPUQuotaPerSecUSec"), "CPUQuota");
	assert_string_equal(mc_sd_dropin_setting("MemoryMax"), "MemoryMax");
}

/* SetUnitProperties only for what the slice does not already have: all
 * known and equal is no call; a changed, unknown or cleared value is set. */
static void
test_props_todo(void **state)
{
	const struct mc_sd_prop want[] = {
		{ "MemoryMax", 268435456 }, { "MemoryHigh", UINT64_MAX },
		{ "MemorySwapMax", 0 }, { "CPUQuotaPerSecUSec", 500000 },
		{ "CPUWeight", 50 }, { "TasksMax", 512 },
	};
	struct mc_sd_have have[NELEM(want)];
	struct mc_sd_prop todo[NELEM(want)];
	size_t n;

	(void)state;
	for (size_t i = 0; i < NELEM(want); i++)
		have[i] = (struct mc_sd_have){ true, want[i].value };
	assert_int_equal(mc_sd_props_todo(want, have, NELEM(want), todo), 0);
	/* Nothing wanted, nothing to do. */
	assert_int_equal(mc_sd_props_todo(want, have, 0, todo), 0);

	/* The config changed one limit: only it is set. */
	have[0].value = 134217728;
	n = mc_sd_props_todo(want, have, NELEM(want), todo);
	assert_int_equal(n, 1);
	assert_string_equal(todo[0].name, "MemoryMax");
	assert_int_equal(todo[0].value, 268435456);

	/* An exempt login lifted them (infinity, the default weight). */
	have[0].value = UINT64_MAX;
	have[4].value = UINT64_MAX;
	have[5].value = UINT64_MAX;
	n = mc_sd_props_todo(want, have, NELEM(want), todo);
	assert_int_equal(n, 3);
	assert_string_equal(todo[0].name, "MemoryMax");
	assert_string_equal(todo[1].name, "CPUWeight");
	assert_int_equal(todo[1].value, 50);
	assert_string_equal(todo[2].name, "TasksMax");

	/* Unknown (no drop-in, or one nobody can read) is set, even when the
	 * value there happens to be equal. */
	for (size_t i = 0; i < NELEM(want); i++)
		have[i] = (struct mc_sd_have){ false, want[i].value };
	have[2].known = true;
	n = mc_sd_props_todo(want, have, NELEM(want), todo);
	assert_int_equal(n, 5);
	assert_string_equal(todo[0].name, "MemoryMax");
	assert_string_equal(todo[1].name, "MemoryHigh");
	assert_string_equal(todo[2].name, "CPUQuotaPerSecUSec");
	assert_string_equal(todo[4].name, "TasksMax");

	/* A value one off either way is a change (boundaries). */
	for (size_t i = 0; i < NELEM(want); i++)
		have[i] = (struct mc_sd_have){ true, want[i].value };
	have[2].value = 1;
	have[3].value = 499999;
	have[1].value = UINT64_MAX - 1;
	n = mc_sd_props_todo(want, have, NELEM(want), todo);
	assert_int_equal(n, 3);
	assert_string_equal(todo[0].name, "MemoryHigh");
	assert_string_equal(todo[1].name, "MemorySwapMax");
	assert_string_equal(todo[2].name, "CPUQuotaPerSecUSec");
}

/* The properties the slice gets: memory always; CPUQuotaPerSecUSec (per
 * second: ten periods), CPUWeight and TasksMax only when configured, so
 * that logind's TasksMax default stays otherwise. */
static void
test_slice_props(void **state)
{
	struct mc_limits lim = { 64 * 1048576ULL, MC_UNLIMITED, 0, false, false, false, 0,
				 0, 50000, 200, 64 };
	struct mc_sd_prop p[MC_SD_PROPS_MAX];
	size_t n;

	(void)state;
	n = mc_sd_slice_props(&lim, p, NELEM(p));
	assert_int_equal(n, 3);
	assert_string_equal(p[0].name, "MemoryMax");
	assert_int_equal(p[0].value, 64 * 1048576ULL);
	assert_string_equal(p[1].name, "MemoryHigh");
	assert_int_equal(p[1].value, UINT64_MAX);
	assert_string_equal(p[2].name, "MemorySwapMax");
	assert_int_equal(p[2].value, 0);

	lim.configured = MC_SET_OPTIONAL_KEYS;
	n = mc_sd_slice_props(&lim, p, NELEM(p));
	assert_int_equal(n, 6);
	assert_string_equal(p[3].name, "CPUQuotaPerSecUSec");
	assert_int_equal(p[3].value, 500000);
	assert_string_equal(p[4].name, "CPUWeight");
	assert_int_equal(p[4].value, 200);
	assert_string_equal(p[5].name, "TasksMax");
	assert_int_equal(p[5].value, 64);

	lim.cpu_quota_us = MC_UNLIMITED;
	lim.tasks_max = MC_UNLIMITED;
	lim.configured = MC_SET_CPU_MAX | MC_SET_TASKS_MAX;
	n = mc_sd_slice_props(&lim, p, NELEM(p));
	assert_int_equal(n, 5);
	assert_string_equal(p[3].name, "CPUQuotaPerSecUSec");
	assert_int_equal(p[3].value, UINT64_MAX);
	assert_string_equal(p[4].name, "TasksMax");
	assert_int_equal(p[4].value, UINT64_MAX);

	/* A short array: only what fits is written, the count says all. */
	lim.configured = MC_SET_OPTIONAL_KEYS;
	assert_int_equal(mc_sd_slice_props(&lim, p, 2), 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_choose),
		cmocka_unit_test(test_explicit_cgroupfs_resolves_without_probing),
		cmocka_unit_test(test_lib_check),
		cmocka_unit_test(test_auto_without_systemd_loads_nothing),
		cmocka_unit_test(test_slice_name),
		cmocka_unit_test(test_scope_name),
		cmocka_unit_test(test_scope_props),
		cmocka_unit_test(test_job_result),
		cmocka_unit_test(test_unit_in_slice),
		cmocka_unit_test(test_slice_props),
		cmocka_unit_test(test_dropin_sets),
		cmocka_unit_test(test_dropin_value),
		cmocka_unit_test(test_props_todo),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_layout_leaf),
		cmocka_unit_test(test_each_user_in_user_slice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

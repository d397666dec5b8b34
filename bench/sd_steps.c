/* Where a systemd-backend login's time goes: the steps of
 * mc_sd_open_session (lib/systemd.c) made one by one and timed each, in
 * the order a login that sets the limits makes them: load libsystemd,
 * connect to the system bus, SetUnitProperties on the user's slice (the
 * first call also waits for the reply to the connection's Hello), the
 * Properties.Get of a unit's OOMPolicy, disconnect, unload; beside them
 * the reads that decide whether any of that is needed (the slice's
 * runtime drop-ins) and mc_backend_resolve as pam_memcg calls it.  A
 * model of the module's calls, not the module: keep it in step with
 * lib/systemd.c.  bench/systemd_cost.sh runs it in the systemd VM. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "bench.h"
#include "log.h"
#include "systemd.h"

enum step {
	S_RESOLVE_AUTO, S_RESOLVE_SD, S_DROPINS, S_DLOPEN, S_CONNECT, S_SET1, S_SET2, S_GET,
	S_CLOSE, S_DLCLOSE, NSTEPS
};

static const char *const step_name[NSTEPS] = {
	[S_RESOLVE_AUTO] = "which backend, cgroup_backend = auto (mc_backend_resolve: stats, then libsystemd loaded, checked, unloaded)",
	[S_RESOLVE_SD] = "which backend, cgroup_backend = systemd (mc_backend_resolve: stats only)",
	[S_DROPINS] = "read the slice's five runtime drop-ins (the decision; no bus)",
	[S_DLOPEN] = "load libsystemd.so.0 and resolve its functions (dlopen, dlsym)",
	[S_CONNECT] = "connect to the system bus (sd_bus_open_system: socket, auth, Hello sent)",
	[S_SET1] = "SetUnitProperties, the connection's first call (waits for Hello's reply too)",
	[S_SET2] = "SetUnitProperties again on the same connection (one round trip)",
	[S_GET] = "Properties.Get of a unit's OOMPolicy (one round trip)",
	[S_CLOSE] = "disconnect (sd_bus_flush_close_unref)",
	[S_DLCLOSE] = "unload libsystemd (dlclose)",
};

#define FUNCS(X)                                                              \
	X(sd_bus_open_system) X(sd_bus_flush_close_unref)                     \
	X(sd_bus_message_new_method_call) X(sd_bus_message_append)            \
	X(sd_bus_message_open_container) X(sd_bus_message_close_container)    \
	X(sd_bus_message_unref) X(sd_bus_call) X(sd_bus_get_property_string)  \
	X(sd_bus_error_free)

/* NOLINTNEXTLINE(bugprone-macro-parentheses): f declares a member. */
#define FIELD(f) __typeof__(f) *f;
static struct {
	FUNCS(FIELD)
} sd;
#undef FIELD

static void
quiet(void *ctx, int prio, const char *line)
{
	(void)ctx;
	fprintf(stderr, "sd_steps: <%d> %s\n", prio, line);
}

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "sd_steps: %s: %s\n", what, why);
	exit(2);
}

/* SetUnitProperties(slice, runtime, the five limits the bench configures). */
static int
set_props(sd_bus *bus, const char *slice)
{
	static const struct {
		const char *name;
		uint64_t v;
	} p[] = {
		{ "MemoryMax", 268435456 }, { "MemoryHigh", UINT64_MAX },
		{ "MemorySwapMax", 67108864 }, { "CPUQuotaPerSecUSec", 2000000 },
		{ "TasksMax", 512 },
	};
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	int r;

	r = sd.sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1",
					      "/org/freedesktop/systemd1",
					      "org.freedesktop.systemd1.Manager", "SetUnitProperties");
	if (r >= 0)
		r = sd.sd_bus_message_append(m, "sb", slice, 1);
	if (r >= 0)
		r = sd.sd_bus_message_open_container(m, 'a', "(sv)");
	for (size_t i = 0; r >= 0 && i < sizeof(p) / sizeof(p[0]); i++)
		r = sd.sd_bus_message_append(m, "(sv)", p[i].name, "t", p[i].v);
	if (r >= 0)
		r = sd.sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd.sd_bus_call(bus, m, 0, &err, NULL);
	sd.sd_bus_message_unref(m);
	sd.sd_bus_error_free(&err);
	return r;
}

int
main(int argc, char **argv)
{
	static const char *const names[] = { "MemoryMax", "MemoryHigh", "MemorySwapMax",
					     "CPUQuota", "TasksMax" };
	struct mc_log log = { .emit = quiet };
	static uint64_t samples[NSTEPS][1000];
	const char *slice;
	long n = 30;
	uint64_t t[NSTEPS + 1];
	enum mc_backend b;

	if (argc < 2 || argc > 3)
		die("usage", "sd_steps SLICE [N]");
	slice = argv[1];
	if (argc == 3 && bench_parse_long(argv[2], 1, 1000, &n) < 0)
		die("N", "not a number from 1 to 1000");
	for (long i = 0; i < n; i++) {
		char path[256], text[1024];
		sd_bus *bus = NULL;
		char *policy = NULL;
		void *dl;

		t[0] = bench_now_ns();
		if (mc_backend_resolve(MC_BACKEND_AUTO, &b, &log) < 0 || b != MC_BACKEND_SYSTEMD)
			die("mc_backend_resolve(auto)", "not the systemd backend");
		t[1] = bench_now_ns();
		if (mc_backend_resolve(MC_BACKEND_SYSTEMD, &b, &log) < 0)
			die("mc_backend_resolve(systemd)", "failed");
		t[2] = bench_now_ns();
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			snprintf(path, sizeof(path), "/etc/systemd/system.control/%s.d/50-%s.conf",
				 slice, names[k]);
			(void)access(path, F_OK);
			snprintf(path, sizeof(path), "/run/systemd/system.control/%s.d/50-%s.conf",
				 slice, names[k]);
			(void)bench_read_file(path, text, sizeof(text));
		}
		t[3] = bench_now_ns();
		if ((dl = dlopen(MC_SD_LIBRARY, RTLD_NOW | RTLD_LOCAL)) == NULL)
			die("dlopen", dlerror());
#define RESOLVE(f)                                                            \
	if ((sd.f = (__typeof__(f) *)dlsym(dl, #f)) == NULL)                  \
		die("dlsym", #f);
		FUNCS(RESOLVE)
#undef RESOLVE
		t[4] = bench_now_ns();
		if (sd.sd_bus_open_system(&bus) < 0)
			die("sd_bus_open_system", "failed");
		t[5] = bench_now_ns();
		if (set_props(bus, slice) < 0)
			die("SetUnitProperties", slice);
		t[6] = bench_now_ns();
		if (set_props(bus, slice) < 0)
			die("SetUnitProperties", slice);
		t[7] = bench_now_ns();
		if (sd.sd_bus_get_property_string(bus, "org.freedesktop.systemd1",
						  "/org/freedesktop/systemd1/unit/init_2escope",
						  "org.freedesktop.systemd1.Scope", "OOMPolicy", NULL,
						  &policy) < 0)
			die("Get OOMPolicy", "init.scope");
		free(policy);
		t[8] = bench_now_ns();
		sd.sd_bus_flush_close_unref(bus);
		t[9] = bench_now_ns();
		dlclose(dl);
		t[10] = bench_now_ns();
		for (int s = 0; s < NSTEPS; s++)
			samples[s][i] = t[s + 1] - t[s];
	}
	printf("| step | median | p90 |\n| --- | --- | --- |\n");
	for (int s = 0; s < NSTEPS; s++) {
		char a[32], c[32];
		uint64_t med = bench_percentile(samples[s], (size_t)n, 50);

		bench_fmt_ns((double)med, a, sizeof(a));
		bench_fmt_ns((double)bench_percentile(samples[s], (size_t)n, 90), c, sizeof(c));
		printf("| %s | %s | %s |\n", step_name[s], a, c);
	}
	return 0;
}

# pam_memcg: per-user memory cgroups at login, with OOM notices.
# `make` builds into build/; `make check` installs test dependencies (as
# root, with apt-get) and runs every test.

CC ?= cc
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wvla -Werror
CPPFLAGS += -D_GNU_SOURCE -Ilib
ALL_CFLAGS = $(WARN) $(CFLAGS) -fPIC -std=gnu11 -fstack-protector-strong \
             -D_FORTIFY_SOURCE=2
LDFLAGS ?=
B = build

LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(B)/obj/%.o)

PAM_OBJ = $(B)/obj/pam_memcg/pam_memcg.o
CTL_OBJ = $(patsubst %.c,$(B)/obj/%.o,$(wildcard memcgctl/*.c))
NOTIFIER_OBJ = $(patsubst %.c,$(B)/obj/%.o,$(wildcard notifier/*.c))
PROGS = $(B)/pam_memcg.so $(B)/memcgctl $(if $(NOTIFIER_OBJ),$(B)/memcg-notifier)

UNIT_TESTS = $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))
TEST_TOOLS = $(B)/tests/pamtest $(B)/tests/syslog_shim.so $(B)/tests/hog \
             $(B)/tests/grfail_shim.so $(B)/tests/leaderless $(B)/tests/slow_shim.so

# Installation.  PAMDIR defaults to where this system's libpam keeps its
# modules (pkg-config, then the directory of libpam.so.0).
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system
PAMCONFIGDIR ?= $(PREFIX)/share/pam-configs
PAMDIR ?= $(shell d=$$(pkg-config --variable=libdir pam 2>/dev/null); \
	[ -n "$$d" ] || d=$$(dirname "$$(ldconfig -p | awk '/libpam\.so\.0 / { print $$NF; exit }')"); \
	echo "$$d/security")
MAN_PAGES = man/pam_memcg.8 man/pam_memcg.conf.5 man/memcgctl.1 $(wildcard man/memcg-notifier.8)

.PHONY: all check deps unit integration clean install uninstall print-pamdir bench bench-protect \
        bench-systemd \
        check-v2 check-v1-vm check-systemd demo
all: $(PROGS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/liblib.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/pam_memcg.so: $(PAM_OBJ) $(B)/liblib.a pam_memcg/pam_memcg.map
	$(CC) -shared $(LDFLAGS) -Wl,--no-undefined -Wl,-z,relro,-z,now \
	  -Wl,--version-script=pam_memcg/pam_memcg.map -o $@ $(PAM_OBJ) \
	  $(B)/liblib.a -lconfuse -lpam

$(B)/memcgctl: $(CTL_OBJ) $(B)/liblib.a
	$(CC) $(LDFLAGS) -pie -Wl,-z,relro,-z,now -o $@ $(CTL_OBJ) $(B)/liblib.a -lconfuse

$(B)/memcg-notifier: $(NOTIFIER_OBJ) $(B)/liblib.a
	$(CC) $(LDFLAGS) -pie -Wl,-z,relro,-z,now -o $@ $(NOTIFIER_OBJ) $(B)/liblib.a -lconfuse

# Unit tests: one cmocka program per tests/unit/test_*.c, linked with lib/.
$(B)/tests/test_%: tests/unit/test_%.c $(wildcard tests/unit/*.h) $(B)/liblib.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< $(B)/liblib.a \
	  -lconfuse -lcmocka

# The notifier's own unit tests (tests/unit/test_nf_*.c) are linked with
# its objects too, all but main.o.
NF_TEST_OBJ = $(filter-out $(B)/obj/notifier/main.o,$(NOTIFIER_OBJ))
$(B)/tests/test_nf_%: tests/unit/test_nf_%.c $(wildcard tests/unit/*.h) $(NF_TEST_OBJ) $(B)/liblib.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Inotifier $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< \
	  $(NF_TEST_OBJ) $(B)/liblib.a -lconfuse -lcmocka -lpthread

$(B)/tests/pamtest: tests/pam/pamtest.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< -lpam

$(B)/tests/hog: tests/pam/hog.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $<

$(B)/tests/syslog_shim.so: tests/pam/syslog_shim.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -U_FORTIFY_SOURCE -shared -o $@ $<

$(B)/tests/grfail_shim.so: tests/pam/grfail_shim.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -U_FORTIFY_SOURCE -shared -o $@ $< -ldl

$(B)/tests/leaderless: tests/pam/leaderless.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -pthread -o $@ $<

$(B)/tests/slow_shim.so: tests/pam/slow_shim.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -U_FORTIFY_SOURCE -shared -o $@ $< -ldl

deps:
	tests/deps.sh

unit: $(UNIT_TESTS)
	tests/run-unit.sh $(UNIT_TESTS)

integration: all $(TEST_TOOLS)
	tests/integration/run.sh

# The main job end to end, narrated (installs what it needs; as root).
demo:
	tests/demo.sh

# The integration suite inside a VM: pure cgroup v2, and v1 on Debian's
# stable kernel (tests/vm/; installs qemu and the kernel package itself).
check-v2: all $(TEST_TOOLS)
	tests/vm/check.sh v2

check-v1-vm: all $(TEST_TOOLS)
	tests/vm/check.sh v1

# The systemd backend: the same VM with systemd as PID 1 (logind, dbus,
# cgroup v2), where tests/integration/t_systemd_*.sh log in with su -l and ssh.
check-systemd: all $(TEST_TOOLS)
	tests/vm/check.sh systemd

# Every suite runs even when an earlier one fails; the summary decides.
check: deps
	$(MAKE) all
	rm -rf $(B)/results
	-$(MAKE) unit
	-$(MAKE) integration
	-$(MAKE) check-v2
	-$(MAKE) check-v1-vm
	-$(MAKE) check-systemd
	-$(MAKE) lint
	-$(MAKE) fuzz-short
	-$(MAKE) asan
	-$(MAKE) valgrind
	tests/summary.sh $(B)/results

# Benchmarks: each bench/*.c becomes build/bench/*, linked with the harness
# they share (bench/harness/*.c, compiled once into libbench.a); bench/run.sh
# runs them side by side and writes bench/results/latest.md.
BENCH_HARNESS_OBJ = $(patsubst %.c,$(B)/obj/%.o,$(wildcard bench/harness/*.c))

$(B)/libbench.a: $(BENCH_HARNESS_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/bench/%: bench/%.c $(wildcard bench/harness/*.h) $(B)/libbench.a $(B)/liblib.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ibench/harness $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< \
	  $(B)/libbench.a $(B)/liblib.a -lconfuse -lpam -ldl

BENCH_PROGS = $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c))

bench: deps all $(TEST_TOOLS) $(BENCH_PROGS)
	bench/run.sh

# Neighbour protection (bench/protect/): a user's memory hog, CPU hog and
# process storm beside a neighbour's probe, under no protection, earlyoom,
# a systemd drop-in and pam_memcg, each in its own throwaway VM; writes
# bench/results/protect.md.  Not part of check (15 minutes on an idle
# host, 40 on a loaded one).
$(B)/bench/protect/probe: bench/protect/probe.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $<

bench-protect: deps all $(B)/bench/protect/probe
	bench/protect/run.sh

# The systemd backend's login cost, in the systemd VM (tests/vm; several
# minutes under emulation): its own section of bench/results/latest.md.
bench-systemd: all $(B)/bench/sd_logins $(B)/bench/sd_steps
	bench/systemd_cost.sh

clean:
	rm -rf $(B)

install: all
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/security \
	  $(DESTDIR)$(PAMCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(B)/pam_memcg.so $(DESTDIR)$(PAMDIR)/pam_memcg.so
	install -m 0755 $(B)/memcgctl $(DESTDIR)$(BINDIR)/memcgctl
	[ ! -e $(B)/memcg-notifier ] || install -m 0755 $(B)/memcg-notifier $(DESTDIR)$(SBINDIR)/memcg-notifier
	[ ! -e etc/memcg-notifier.service ] || { install -d $(DESTDIR)$(UNITDIR) && \
	  sed 's|@SBINDIR@|$(SBINDIR)|g' etc/memcg-notifier.service >$(DESTDIR)$(UNITDIR)/memcg-notifier.service; }
	# The admin's config is never overwritten.
	[ -e $(DESTDIR)$(SYSCONFDIR)/security/pam_memcg.conf ] || \
	  install -m 0644 etc/pam_memcg.conf $(DESTDIR)$(SYSCONFDIR)/security/pam_memcg.conf
	install -m 0644 etc/pam-configs-memcg $(DESTDIR)$(PAMCONFIGDIR)/memcg
	for m in $(MAN_PAGES); do \
	  install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$$(basename $$m); done

# Removes what install put there, never the admin's config.
uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_memcg.so $(DESTDIR)$(BINDIR)/memcgctl \
	  $(DESTDIR)$(SBINDIR)/memcg-notifier $(DESTDIR)$(UNITDIR)/memcg-notifier.service \
	  $(DESTDIR)$(PAMCONFIGDIR)/memcg
	for m in $(MAN_PAGES); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$(basename $$m); done

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

print-pamdir:
	@echo $(PAMDIR)

# --- Hardening tools (tests/hardening/, tests/fuzz/; docs/hardening.md) ----
.PHONY: asan asan-build valgrind lint fuzz fuzz-short fuzz-build

# ASan+UBSan builds of the three programs, pamtest and the unit tests in
# build/asan/ (same file names), then the unit tests and t_module_*,
# t_concurrency, t_notifier_*, t_nf_efd against them.  hog and the syslog shim stay
# unsanitized: they run inside (or are preloaded into) other programs.
ASAN_B = $(B)/asan
ASAN_CFLAGS = $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=all -fPIC -std=gnu11
asan-build: $(TEST_TOOLS)
	$(MAKE) B=$(ASAN_B) ALL_CFLAGS='$(ASAN_CFLAGS)' LDFLAGS=-fsanitize=address,undefined \
	  all $(ASAN_B)/tests/pamtest $(UNIT_TESTS:$(B)/%=$(ASAN_B)/%)
	cp $(B)/tests/hog $(B)/tests/leaderless $(B)/tests/grfail_shim.so $(B)/tests/slow_shim.so \
	  $(ASAN_B)/tests/
	$(CC) $(WARN) -O2 -fPIC -U_FORTIFY_SOURCE -shared -o $(ASAN_B)/tests/syslog_shim.so \
	  tests/pam/syslog_shim.c tests/hardening/nodlclose.c
asan: asan-build
	tests/hardening/asan.sh

# memcheck over a PAM open/close loop, pamtester and a short notifier run.
$(B)/tests/nodlclose.so: tests/hardening/nodlclose.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O2 -fPIC -shared -o $@ $<
valgrind: all $(TEST_TOOLS) $(B)/tests/nodlclose.so
	tests/hardening/valgrind.sh

# cppcheck and clang-tidy (.clang-tidy) over lib/, the three programs and
# the fuzz and hardening sources.
lint:
	tests/hardening/lint.sh

# libFuzzer targets, one per tests/fuzz/fuzz_*.c, with the library built by
# clang into build/fuzz/.  `make fuzz FUZZ_SECONDS=N` runs each for N seconds.
FUZZ_B = $(B)/fuzz
FUZZ_CC = clang
FUZZ_CFLAGS = $(WARN) -O1 -g -fno-omit-frame-pointer -std=gnu11 \
              -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = $(patsubst tests/fuzz/%.c,$(FUZZ_B)/%,$(wildcard tests/fuzz/fuzz_*.c))
$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(FUZZ_B)/liblib.a: $(LIB_SRC:%.c=$(FUZZ_B)/obj/%.o)
	rm -f $@
	ar rcs $@ $^
$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_B)/liblib.a
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_B)/liblib.a \
	  -lconfuse
fuzz-build: $(FUZZ_TARGETS)
fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_SECONDS)
fuzz-short: fuzz-build
	tests/fuzz/run.sh 30
-include $(wildcard $(FUZZ_B)/obj/lib/*.d)

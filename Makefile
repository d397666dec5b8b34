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
TEST_TOOLS = $(B)/tests/pamtest $(B)/tests/syslog_shim.so $(B)/tests/hog

.PHONY: all check deps unit integration clean
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

$(B)/tests/pamtest: tests/pam/pamtest.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< -lpam

$(B)/tests/hog: tests/pam/hog.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $<

$(B)/tests/syslog_shim.so: tests/pam/syslog_shim.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -U_FORTIFY_SOURCE -shared -o $@ $<

deps:
	tests/deps.sh

unit: $(UNIT_TESTS)
	tests/run-unit.sh $(UNIT_TESTS)

integration: all $(TEST_TOOLS)
	tests/integration/run.sh

# Every suite runs even when an earlier one fails; the summary decides.
check: deps
	$(MAKE) all
	rm -rf $(B)/results
	-$(MAKE) unit
	-$(MAKE) integration
	tests/summary.sh $(B)/results

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

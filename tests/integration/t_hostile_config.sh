#!/bin/bash
# Hostile config files through the real module: not regular files, symlinks,
# unsafe owners and modes, too large, binary, not UTF-8, include() and
# ${VAR}, empty, and changed while sessions are open.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/hostile_fixtures.sh
. "$(dirname "$0")/hostile_fixtures.sh"

# ============================================================================
# Config files
# ============================================================================

# refused PATH REASON WHAT: a session through conf=PATH opens at once, is not
# moved, and the log names the file and the reason.
refused() {
	local path=$1 why=$2 what=$3 svc=r$RANDOM rc t0
	pam_service "$svc" "conf=$path" debug
	: >"$MEMCG_TEST_SYSLOG"
	rm -f "$TMP/r.txt"
	t0=$SECONDS
	timeout 10 bash -c 'LD_PRELOAD=$1 "$2" -d "$3" "$4" "$5" "$6" "$7"' _ \
		"$SHIM" "$PAMTEST" "$TMP/pam.d" "$svc" "$U1" "$TMP/inspect.sh" "$TMP/r.txt" >"$TMP/r.out"
	rc=$?
	[ "$rc" -ne 124 ] || fail "$what: the session hung"
	[ $((SECONDS - t0)) -le 2 ] || fail "$what: the session took $((SECONDS - t0)) s"
	assert_contains "$TMP/r.out" '^open=0$' "$what: the session opens"
	assert_contains "$TMP/r.out" '^close=0$' "$what: the session closes"
	assert_eq "/$RUNNER_CG" "$(val "$TMP/r.txt" cg)" "$what: the session is not moved"
	assert_contains "$MEMCG_TEST_SYSLOG" "^<3> .*$(re "$path")$why" "$what: file and reason logged at LOG_ERR"
	assert_contains "$MEMCG_TEST_SYSLOG" "config $(re "$path") is unusable: session of $U1 not limited" \
		"$what: the consequence logged"
	assert_gone "$CG_MNT/$TEST_PARENT/user-$U1_UID" "$what: no cgroup made"
}

t_conf_not_a_file() {
	mkfifo -m 0644 "$TMP/fifo.conf"
	refused "$TMP/fifo.conf" ': is not a regular file' "fifo nobody writes to"
	# A fifo with a writer that never finishes its line.
	sleep 30 >"$TMP/fifo.conf" &
	local w=$!
	T_PIDS+=("$w")
	refused "$TMP/fifo.conf" ': is not a regular file' "fifo with a silent writer"
	kill "$w" 2>/dev/null
	mkdir -m 0755 "$TMP/dir.conf"
	refused "$TMP/dir.conf" ': is not a regular file' "directory"
	refused /dev/zero ': is not a regular file' "endless character device"
	base_conf
	ln -s "$CONF" "$TMP/link.conf"
	refused "$TMP/link.conf" ': is a symbolic link; refusing to follow it' "symlink to a good config"
	ln -s "$TMP/nowhere" "$TMP/dangling.conf"
	refused "$TMP/dangling.conf" ': is a symbolic link' "dangling symlink"
}

t_conf_unsafe_owner_mode() {
	local m
	for m in 0664 0646 0660 0606; do
		base_conf
		cp -p "$CONF" "$TMP/m$m.conf" && chmod "$m" "$TMP/m$m.conf"
		refused "$TMP/m$m.conf" ": is writable by group or others \\(mode $m\\)" "mode $m"
	done
	cp -p "$CONF" "$TMP/owned.conf" && chown "$U1" "$TMP/owned.conf"
	refused "$TMP/owned.conf" ": is owned by uid $U1_UID, not root" "owned by the user"
}

t_conf_huge_binary_not_utf8() {
	# One byte over the cap; and a sparse 8 GiB file (refused unread: fast).
	$PY -c 'import sys; sys.stdout.write("on_error = fail\n" + ("#" * 63 + "\n") * 16384)' |
		write_conf "$TMP/huge.conf"
	refused "$TMP/huge.conf" ': is larger than 1048576 bytes' "1 MiB + 16 bytes"
	truncate -s 8G "$TMP/sparse.conf" && chmod 0644 "$TMP/sparse.conf"
	refused "$TMP/sparse.conf" ': is larger than 1048576 bytes' "sparse 8 GiB"
	printf 'on_error = fail\nmin_uid = 1\0000\ndefault { memory_max = "64M" }\n' | write_conf "$TMP/nul.conf"
	refused "$TMP/nul.conf" ':2: contains a NUL byte \(binary file\?\)' "NUL byte"
	# A real binary: the file's first bad byte is reported, whatever it is.
	cp /bin/true "$TMP/elf.conf" && chmod 0644 "$TMP/elf.conf"
	refused "$TMP/elf.conf" ':1: (contains a NUL byte|is not valid UTF-8)' "ELF binary"
	printf 'on_error = fail\n# caf\xe9 (Latin-1)\ndefault { memory_max = "64M" }\n' | write_conf "$TMP/latin1.conf"
	refused "$TMP/latin1.conf" ':2: is not valid UTF-8' "Latin-1"
	printf 'on_error = fail\nuser "\xc0\xafetc" { memory_max = "64M" }\n' | write_conf "$TMP/overlong.conf"
	refused "$TMP/overlong.conf" ':2: is not valid UTF-8' "overlong UTF-8"
}

# include() would read another file (unchecked), ${VAR} would read the
# environment, which under su is the user's.
t_conf_include_and_env() {
	write_conf "$TMP/inc.conf" <<<'exempt_users = {"'"$U1"'"}'
	write_conf "$TMP/include.conf" <<EOF
on_error = fail
cgroup_parent = "$TEST_PARENT"
include("$TMP/inc.conf")
EOF
	refused "$TMP/include.conf" ":3: no such option 'include'" "include()"
	write_conf "$TMP/env.conf" <<EOF
on_error = fail
cgroup_parent = "\${MEMCG_EVIL}"
EOF
	export MEMCG_EVIL=$TEST_PARENT/evil
	refused "$TMP/env.conf" ':2: "\$\{" is not allowed \(no environment expansion\)' '${VAR}'
	unset MEMCG_EVIL
	assert_gone "$CG_MNT/$TEST_PARENT/evil" '${VAR}: nothing made where the environment pointed'
	# Hidden in a comment, and in single quotes: refused all the same.
	printf "on_error = fail\n# \${HOME}\n" | write_conf "$TMP/env2.conf"
	refused "$TMP/env2.conf" ':2: "\$\{" is not allowed' '${VAR} in a comment'
}

# An empty file is refused (a write caught half-way, not a wish for every
# default with a parent at the hierarchy's root): the session opens
# unmoved and the log says why.
t_conf_empty() {
	: | write_conf "$TMP/empty.conf"
	pam_service svcempty "conf=$TMP/empty.conf" debug
	session svcempty "$U1" "$TMP/inspect.sh" "$TMP/e.txt" >"$TMP/e.out"
	assert_contains "$TMP/e.out" '^open=0$' "empty config: session opens"
	assert_eq "/$RUNNER_CG" "$(val "$TMP/e.txt" cg)" "empty config: not moved"
	assert_contains "$MEMCG_TEST_SYSLOG" "^<3> pam_memcg.*$TMP/empty.conf: is empty" "empty config: refused with the reason"
	"$MEMCGCTL" check -c "$TMP/empty.conf" >"$TMP/e.check" 2>&1
	assert_eq 1 "$?" "memcgctl check refuses an empty config"
}

# Sessions open while the file changes: they keep their cgroup; the next
# open gets the new limits; a broken edit locks nobody out and leaves the
# limits in force alone; opens racing atomic replacements never fail.
t_conf_changed_while_open() {
	local dir=$CG_MNT/$TEST_PARENT/user-$U1_UID holder i flips
	base_conf fail
	session svc "$U1" sh -c "echo \$\$ >$TMP/holder.a; exec sleep 1000" >"$TMP/a.out" &
	T_PIDS+=($!)
	wait_for "[ -s $TMP/holder.a ] && [ -d $dir ]" 10 || fail "first session did not open"
	holder=$(cat "$TMP/holder.a")
	assert_eq 67108864 "$(cat "$dir/$F_MAX" 2>/dev/null)" "limit at first open"

	# An atomic replacement (as editors and config managers do).
	sed 's/64M/128M/' "$CONF" >"$CONF.new" && chmod 0644 "$CONF.new" && mv "$CONF.new" "$CONF"
	session svc "$U1" "$TMP/inspect.sh" "$TMP/b.txt" >"$TMP/b.out"
	assert_contains "$TMP/b.out" '^open=0$' "open after the change"
	assert_eq "/$TEST_PARENT/user-$U1_UID" "$(val "$TMP/b.txt" cg)" "same cgroup after the change"
	assert_eq 134217728 "$(val "$TMP/b.txt" max)" "next open gets the new limit"

	# A broken edit in place, half written.
	printf 'cgroup_parent = "%s"\non_error = fail\ndefault {\n  memory_max = "256M"\n' "$TEST_PARENT" >"$CONF"
	session svc "$U1" "$TMP/inspect.sh" "$TMP/c.txt" >"$TMP/c.out"
	assert_contains "$TMP/c.out" '^open=0$' "half-written config: session opens (on_error = fail not honoured from a broken file)"
	assert_eq "/$RUNNER_CG" "$(val "$TMP/c.txt" cg)" "half-written config: not moved"
	assert_contains "$MEMCG_TEST_SYSLOG" "$(re "$CONF"):[45]: ends inside a section" "half-written config: file and line"
	assert_eq 134217728 "$(cat "$dir/$F_MAX" 2>/dev/null)" "half-written config: limit in force untouched"
	kill -0 "$holder" 2>/dev/null || fail "first session's process died"
	assert_contains /proc/"$holder"/cgroup "/$TEST_PARENT/user-$U1_UID\$" "first session still in its cgroup"

	# Fixed again: the next open applies it; its close keeps the cgroup.
	base_conf fail
	session svc "$U1" true >"$TMP/d.out"
	assert_contains "$TMP/d.out" '^close=0$' "close of a later session"
	assert_eq 67108864 "$(cat "$dir/$F_MAX" 2>/dev/null)" "fixed config applied"
	assert_exists "$dir" "cgroup kept while the first session is open"

	# 200 opens while the file is replaced 100 times under them.
	: >"$MEMCG_TEST_SYSLOG"
	session -n 200 svc "$U1" true >/dev/null 2>"$TMP/storm.err" &
	local storm=$!
	flips=0
	while kill -0 "$storm" 2>/dev/null && [ "$flips" -lt 100 ]; do
		for i in 96M 64M; do
			sed "s/\"[0-9]*M\"/\"$i\"/" "$CONF" >"$CONF.new" && chmod 0644 "$CONF.new" && mv "$CONF.new" "$CONF"
		done
		flips=$((flips + 1))
	done
	wait "$storm"
	assert_eq 0 "$?" "200 opens during $flips replacements all succeeded"
	assert_not_contains "$MEMCG_TEST_SYSLOG" '^<3> pam_memcg' "no error during the replacements"

	kill "$holder"
	wait_for "grep -q '^close=0' $TMP/a.out" 10 || fail "first session did not close"
	assert_gone "$dir" "cgroup removed at the last close"
	base_conf
}

run conf_not_a_file t_conf_not_a_file
run conf_unsafe_owner_mode t_conf_unsafe_owner_mode
run conf_huge_binary_not_utf8 t_conf_huge_binary_not_utf8
run conf_include_and_env t_conf_include_and_env
run conf_empty t_conf_empty
run conf_changed_while_open t_conf_changed_while_open
t_done

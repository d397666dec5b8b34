#!/bin/bash
# Faults in the cgroup tree around the real module: a tree that is missing,
# read-only, a file, another filesystem, without the memory controller,
# made or removed by someone else (both on_error modes; root and exempt
# users always get in).  Mount tricks happen in private mount namespaces:
# nothing outside them sees a change.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

for f in /usr/bin/unshare "$PAMTEST" "$SHIM"; do
	[ -e "$f" ] || { echo "$T_NAME: $f is missing (run make and tests/deps.sh)" >&2; exit 1; }
done

U1=${T_ID}f UX=${T_ID}x
add_user "$U1" && add_user "$UX" || { echo "cannot add users" >&2; exit 1; }
U1_UID=$(uid_of "$U1")
CONF=$TMP/pam_memcg.conf
mkdir -p "$TEST_PARENT_DIR"

conf() { # conf PARENT ON_ERROR [CGROUP_VERSION]
	write_conf "$CONF" <<EOF
cgroup_version = ${3:-auto}
cgroup_parent  = "$1"
on_error       = $2
exempt_users   = {"root", "$UX"}
default {
  memory_max  = "64M"
  memory_high = "48M"
  swap_max    = "16M"
}
EOF
}
pam_service svc "conf=$CONF" debug

# Run inside a session: the cgroup of the shell, and its limits.
write_inspect "$TMP/inspect.sh"

# ns_session SETUP USER [CMD...]: a session in a private mount namespace
# after the shell commands SETUP ran there.
ns_session() {
	local setup=$1
	shift
	unshare -m --propagation private -- /bin/bash -c "$setup"' || exit 97
		exec env LD_PRELOAD="$1" MEMCG_TEST_SYSLOG="$2" "$3" -d "$4" svc "${@:5}"' \
		_ "$SHIM" "$MEMCG_TEST_SYSLOG" "$PAMTEST" "$TMP/pam.d" "$@"
}

# refused_in SETUP WHY WHAT [keep]: with on_error = fail the user is denied, with
# ignore let through unmoved; root and exempt users get in either way; the
# log says why (WHY, a regular expression) at LOG_ERR.  The config's
# parent comes from the caller (conf PARENT).  "keep": the user's cgroup
# existed before and stays.
refused_in() {
	local setup=$1 why=$2 what=$3 keep=${4:-} parent mode
	parent=$(sed -n 's/^cgroup_parent *= *"\(.*\)"/\1/p' "$CONF")
	for mode in fail ignore; do
		sed -i "s/^on_error .*/on_error       = $mode/" "$CONF"
		: >"$MEMCG_TEST_SYSLOG"
		rm -f "$TMP/in.txt"
		ns_session "$setup" "$U1" "$TMP/inspect.sh" "$TMP/in.txt" >"$TMP/in.out"
		if [ "$mode" = fail ]; then
			assert_contains "$TMP/in.out" '^open=14$' "$what: on_error = fail denies (PAM_SESSION_ERR)"
		else
			assert_contains "$TMP/in.out" '^open=0$' "$what: on_error = ignore lets the session through"
			assert_eq "/$RUNNER_CG" "$(val "$TMP/in.txt" cg)" "$what: not moved"
		fi
		assert_contains "$MEMCG_TEST_SYSLOG" "^<3> .*$why" "$what ($mode): reason logged"
		assert_contains "$MEMCG_TEST_SYSLOG" "^<3> .*user $U1 \\(uid $U1_UID\\): limits not applied" \
			"$what ($mode): consequence logged"
		ns_session "$setup" root true >"$TMP/root.out"
		assert_contains "$TMP/root.out" '^open=0$' "$what ($mode): root gets in"
		ns_session "$setup" "$UX" true >"$TMP/ux.out"
		assert_contains "$TMP/ux.out" '^open=0$' "$what ($mode): exempt user gets in"
	done
	[ -n "$keep" ] || assert_gone "$CG_MNT/$parent/user-$U1_UID" "$what: no user cgroup left"
}

# ============================================================================
# The cgroup tree
# ============================================================================

t_tree_parent_missing() {
	local p=$TEST_PARENT/a/b/c
	conf "$p" fail
	assert_gone "$CG_MNT/$TEST_PARENT/a" "parent absent before"
	session svc "$U1" "$TMP/inspect.sh" "$TMP/pm.txt" >"$TMP/pm.out"
	assert_contains "$TMP/pm.out" '^open=0$' "open with the parent missing"
	assert_eq "/$p/user-$U1_UID" "$(val "$TMP/pm.txt" cg)" "parent path made, session placed"
	assert_eq 67108864 "$(val "$TMP/pm.txt" "$F_MAX")" "limit written"
	assert_gone "$CG_MNT/$p/user-$U1_UID" "user cgroup removed at close"
}

# cgroupfs ignores modes for root: a read-only mount is what stops writes
# (containers mount /sys/fs/cgroup so).  The whole hierarchy is remounted
# read-only in the namespace; the parent missing, present, and the user's
# cgroup present.
t_tree_read_only() {
	local ro="mount -o remount,bind,ro '$CG_MNT'"
	conf "$TEST_PARENT/ro1" fail
	refused_in "$ro" "$(re "$CG_MNT/$TEST_PARENT/ro1").*Read-only file system" "read-only, parent missing"
	mkdir -p "$CG_MNT/$TEST_PARENT/ro2"
	conf "$TEST_PARENT/ro2" fail
	refused_in "$ro" "cannot create cgroup $(re "$CG_MNT/$TEST_PARENT/ro2/user-$U1_UID"): Read-only file system" \
		"read-only, parent present"
	mkcg "$CG_MNT/$TEST_PARENT/ro3/user-$U1_UID"
	echo 1073741824 >"$CG_MNT/$TEST_PARENT/ro3/user-$U1_UID/$F_MAX"
	conf "$TEST_PARENT/ro3" fail
	refused_in "$ro" "cannot write $(re "$CG_MNT/$TEST_PARENT/ro3/user-$U1_UID")/.*: Read-only file system" \
		"read-only, user cgroup present" keep
	assert_eq 1073741824 "$(cat "$CG_MNT/$TEST_PARENT/ro3/user-$U1_UID/$F_MAX")" "read-only: the old limit stands"
}

# A cgroup_parent that names a file (cgroupfs has them: the control files).
t_tree_parent_is_file() {
	conf "$TEST_PARENT/$F_MAX" fail
	refused_in "true" "$(re "$CG_MNT/$TEST_PARENT/$F_MAX").*Not a directory" "parent is a file"
}

# cgroupfs holds no symlinks, fifos or files of ours: nothing there can be
# "replaced by a symlink" except through a mount (the next test).  The walk
# itself (openat2 RESOLVE_NO_SYMLINKS, or O_NOFOLLOW per component) is
# checked against symlinks on a fake tree by tests/unit/test_cglimits.c
# and test_cgfs.c.
t_tree_no_symlinks_on_cgroupfs() {
	local d=$TEST_PARENT_DIR
	if ln -s / "$d/lnk" 2>/dev/null; then fail "a symlink could be made on cgroupfs"; fi
	if touch "$d/file" 2>/dev/null; then fail "a file could be made on cgroupfs"; fi
	if mkfifo "$d/fifo" 2>/dev/null; then fail "a fifo could be made on cgroupfs"; fi
	rm -f "$d/lnk" "$d/file" "$d/fifo" 2>/dev/null
}

# Another filesystem at the parent's path (a tmpfs holding a symlink and a
# fake user cgroup), a bind mount of another cgroup there, and a tmpfs over
# the hierarchy's root: refused, nothing written into them.
t_tree_not_cgroupfs() {
	local m=$TEST_PARENT_DIR/mnt
	mkdir -p "$m" "$TEST_PARENT_DIR/mnt2" "$TEST_PARENT_DIR/elsewhere"
	local tmpfs="mount -t tmpfs -o mode=0755 none '$m' && mkdir '$m/user-$U1_UID' && ln -s '$TEST_PARENT_DIR/elsewhere' '$m/sub'"
	conf "$TEST_PARENT/mnt" fail
	refused_in "$tmpfs" "$(re "$CG_MNT/$TEST_PARENT/mnt").*Invalid cross-device link" "tmpfs at the parent"
	conf "$TEST_PARENT/mnt/sub" fail
	refused_in "$tmpfs" "$(re "$CG_MNT/$TEST_PARENT/mnt/sub").*Invalid cross-device link" "symlink on a tmpfs at the parent"
	assert_gone "$TEST_PARENT_DIR/elsewhere/user-$U1_UID" "nothing made where the symlink points"
	# What the session left in the tmpfs, seen from inside the namespace.
	unshare -m --propagation private -- /bin/bash -c "$tmpfs"' && LD_PRELOAD="$1" MEMCG_TEST_SYSLOG=/dev/null "$2" -d "$3" svc "$4" true >/dev/null
		find "$5" -mindepth 1 | sort' _ "$SHIM" "$PAMTEST" "$TMP/pam.d" "$U1" "$m" >"$TMP/tmpfs.ls"
	assert_eq "$m/sub $m/user-$U1_UID" "$(tr '\n' ' ' <"$TMP/tmpfs.ls" | sed 's/ $//')" "nothing written into the tmpfs"
	conf "$TEST_PARENT/mnt2" fail
	refused_in "mount --bind '$TEST_PARENT_DIR/elsewhere' '$TEST_PARENT_DIR/mnt2'" \
		"$(re "$CG_MNT/$TEST_PARENT/mnt2").*Invalid cross-device link" "another cgroup bound at the parent"
	conf "$TEST_PARENT" fail
	refused_in "mount -t tmpfs none '$CG_MNT' && mkdir -p '$CG_MNT/$RUNNER_CG'" \
		"(no memory cgroup hierarchy found|cannot open the v[12] memory hierarchy at $(re "$CG_MNT"))" "tmpfs over the hierarchy"
}

# No memory controller at all (the hierarchy unmounted in the namespace),
# and the version this machine lacks forced in the config.
t_tree_no_memory_controller() {
	conf "$TEST_PARENT" fail
	refused_in "umount -l '$CG_MNT'" "no memory cgroup hierarchy found" "memory hierarchy unmounted"
	conf "$TEST_PARENT" fail "$(other_version)"
	refused_in "true" "cgroup_version = $(other_version), but" "cgroup_version = $(other_version) forced"
}

# Someone else made user-<uid> with other limits: ours are written, whether
# theirs were above or below (v1 orders the memsw and limit writes).
t_tree_precreated() {
	local d=$CG_MNT/$TEST_PARENT/user-$U1_UID size
	conf "$TEST_PARENT" fail
	for size in 1073741824 33554432; do
		mkcg "$d"
		# Their limits, from "max" down (limit before memsw on v1).
		echo "$size" >"$d/$F_MAX" && echo "$size" >"$d/$F_HIGH"
		[ ! -e "$d/memory.memsw.limit_in_bytes" ] || echo "$size" >"$d/memory.memsw.limit_in_bytes"
		[ ! -e "$d/memory.swap.max" ] || echo "$size" >"$d/memory.swap.max"
		session svc "$U1" "$TMP/inspect.sh" "$TMP/pc.txt" >"$TMP/pc.out"
		assert_contains "$TMP/pc.out" '^open=0$' "open into a user cgroup made by someone else ($size)"
		assert_eq "/$TEST_PARENT/user-$U1_UID" "$(val "$TMP/pc.txt" cg)" "placed ($size)"
		assert_eq 67108864 "$(val "$TMP/pc.txt" "$F_MAX")" "our memory_max over $size"
		assert_eq 50331648 "$(val "$TMP/pc.txt" "$F_HIGH")" "our memory_high over $size"
		if [ -n "$(val "$TMP/pc.txt" memory.memsw.limit_in_bytes)" ]; then
			assert_eq 83886080 "$(val "$TMP/pc.txt" memory.memsw.limit_in_bytes)" "our memsw over $size"
		fi
		assert_gone "$d" "removed at the last close ($size)"
	done
}

# The user's cgroup (and its parent) removed while a session is open: the
# next open makes them again; closes do not fail.  And the cgroup a session
# came from removed before its close: the process goes to the nearest
# ancestor, and the user's cgroup does not stay behind.
t_tree_removed_while_open() {
	local p=$TEST_PARENT/rm d holder pid _round
	d=$CG_MNT/$p/user-$U1_UID
	conf "$p" fail
	mkdir -p "$TEST_PARENT_DIR/aside"
	session svc "$U1" sh -c "echo \$\$ >$TMP/holder.rm; exec sleep 1000" >"$TMP/rm-a.out" &
	T_PIDS+=($!)
	wait_for "[ -s $TMP/holder.rm ] && [ -d $d ]" 10 || fail "session did not open"
	holder=$(cat "$TMP/holder.rm")
	# Someone moves the session's processes away and removes the cgroups.
	# (cgroup.procs is read whole first: moving while reading skips some.)
	for _round in 1 2 3; do
		for pid in $(cat "$d/cgroup.procs"); do echo "$pid" >"$TEST_PARENT_DIR/aside/cgroup.procs"; done
		[ -s "$d/cgroup.procs" ] || break
	done
	rmdir "$d" "$CG_MNT/$p" || fail "could not remove the user's cgroup and parent"
	session svc "$U1" "$TMP/inspect.sh" "$TMP/rm-b.txt" >"$TMP/rm-b.out"
	assert_contains "$TMP/rm-b.out" '^open=0$' "open after the removal"
	assert_eq "/$p/user-$U1_UID" "$(val "$TMP/rm-b.txt" cg)" "cgroup and parent made again"
	assert_eq 67108864 "$(val "$TMP/rm-b.txt" "$F_MAX")" "limit written again"
	assert_contains "$TMP/rm-b.out" '^close=0$' "close of the new session"
	kill "$holder"
	wait_for "grep -q '^close=' $TMP/rm-a.out" 10 || fail "first session did not close"
	assert_contains "$TMP/rm-a.out" '^close=0$' "close of the session whose cgroup was removed"
	assert_gone "$d" "nothing left"

	# The session's origin removed while it is open.
	mkdir -p "$TEST_PARENT_DIR/origin"
	: >"$MEMCG_TEST_SYSLOG"
	bash -c 'echo $$ >"$1/cgroup.procs" && exec env LD_PRELOAD="$2" "$3" -d "$4" svc "$5" sh -c "echo \$\$ >$6; exec sleep 1000"' \
		_ "$TEST_PARENT_DIR/origin" "$SHIM" "$PAMTEST" "$TMP/pam.d" "$U1" "$TMP/holder.or" >"$TMP/or.out" &
	T_PIDS+=($!)
	wait_for "[ -s $TMP/holder.or ] && [ -d $d ]" 10 || fail "session from origin did not open"
	rmdir "$TEST_PARENT_DIR/origin" || fail "could not remove the origin"
	kill "$(cat "$TMP/holder.or")"
	wait_for "grep -q '^close=' $TMP/or.out" 10 || fail "session from origin did not close"
	assert_contains "$TMP/or.out" '^close=0$' "close with the origin gone"
	wait_for "[ ! -d $d ]" 2 || fail "user cgroup left behind when the origin was gone: $(cat "$MEMCG_TEST_SYSLOG")"
	assert_contains "$MEMCG_TEST_SYSLOG" "$(re "$TEST_PARENT_DIR")/origin is gone: pid [0-9]+ moved to $(re "$CG_MNT")[^ ]* instead" \
		"the move to the ancestor logged"
}

# The sessions' holders and other processes of the cases, quietly.
cleanup_tree() {
	local f
	for f in "$TMP"/holder.*; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	end_pids
	t_cleanup
}
trap cleanup_tree EXIT

run tree_parent_missing t_tree_parent_missing
run tree_read_only t_tree_read_only
run tree_parent_is_file t_tree_parent_is_file
run tree_no_symlinks_on_cgroupfs t_tree_no_symlinks_on_cgroupfs
run tree_not_cgroupfs t_tree_not_cgroupfs
run tree_no_memory_controller t_tree_no_memory_controller
run tree_precreated t_tree_precreated
run tree_removed_while_open t_tree_removed_while_open
t_done

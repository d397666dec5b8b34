# Fixtures of the module tests (t_module_*.sh; sourced after lib.sh): three
# users and two groups, the base config (base_conf puts it back after a case
# changed it), a PAM service through the built module, and inspect.sh.
# shellcheck shell=bash

U1=${T_ID}a U2=${T_ID}b U3=${T_ID}c G1=${T_ID}g GX=${T_ID}x
add_group "$G1"
add_group "$GX"
add_user "$U1"
add_user "$U2" "$G1"
add_user "$U3" "$GX"
CONF=$TMP/pam_memcg.conf

base_conf() {
	write_conf "$CONF" <<EOF
cgroup_version = auto
cgroup_parent  = "$TEST_PARENT"
min_uid        = 1000
exempt_users   = {"root"}
exempt_groups  = {"$GX"}
on_error       = ignore
default {
  memory_max  = "64M"
  memory_high = "48M"
  swap_max    = "16M"
}
group "$G1" { memory_max = "96M" }
user "$U2"  { memory_max = "128M" }
EOF
}
base_conf
pam_service svc "conf=$CONF" debug

# $TMP/inspect.sh OUT: prints, from inside the session, the cgroup of the
# shell and its limits to OUT.
cat >"$TMP/inspect.sh" <<'EOF'
#!/bin/sh
out=$1
if [ -n "$MC_V2" ]; then
	cg=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
else
	cg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
fi
d=$CG_MNT$cg
{
	echo "cg=$cg"
	for f in memory.max memory.high memory.swap.max memory.oom.group \
		memory.limit_in_bytes memory.soft_limit_in_bytes memory.memsw.limit_in_bytes; do
		[ -e "$d/$f" ] && echo "$f=$(cat "$d/$f")"
	done
	echo "procs=$(wc -l <"$d/cgroup.procs")"
} >"$out"
EOF
chmod 755 "$TMP/inspect.sh"
MC_V2=""
[ "$MC_VERSION" = 2 ] && MC_V2=1
export CG_MNT MC_V2

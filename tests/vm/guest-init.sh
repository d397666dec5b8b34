#!/bin/sh
# PID 1 of the VM test lane (busybox sh, packed as /init by prepare.sh): builds
# a writable root from the host's, mounts the cgroup layout of the chosen
# mode, runs the job run.sh left in the output share, records its status.
#
# No `set -e`: if PID 1 exits the kernel panics and the reason is lost, so
# every failure goes through fail(), which says why and powers off.
set -u
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

NEW=/newroot
SHARE=/mnt/vmout
CTL=$NEW$SHARE/.vm

fail() {
	# Leading newline: firmware leaves the console mid-line.
	printf '\nmemcg-vm: init: %s\n' "$*" >/dev/console
	if [ -d "$CTL" ]; then
		echo "$*" >"$CTL/init-error"
	fi
	poweroff -f
	sleep 60
}

say() {
	if [ "${VM_VERBOSE:-0}" = 1 ]; then
		echo "memcg-vm: init: $*"
	fi
}

must() {
	"$@" || fail "failed: $*"
}

# systemd mode: /lib/systemd/systemd becomes PID 1 of the new root.  Units a
# test does not need are masked in the overlay (the host's /etc is never
# touched); a oneshot unit wanted by multi-user.target runs the job with its
# output on the serial console, records the status like the chroot path and
# powers off.
boot_systemd() {
	local u sd=$NEW/etc/systemd/system
	for u in ssh.service sshd.service postgresql.service exim4.service \
		e2scrub_reap.service e2scrub_all.timer apt-daily.timer \
		apt-daily-upgrade.timer dpkg-db-backup.timer exim4-base.timer \
		fstrim.timer man-db.timer systemd-timesyncd.service \
		getty@tty1.service serial-getty@ttyS0.service console-getty.service \
		systemd-pstore.service; do
		rm -f "$sd/$u"
		ln -s /dev/null "$sd/$u"
	done
	must mkdir -p "$NEW/etc/memcg-vm" "$sd/multi-user.target.wants"
	{
		echo '#!/bin/bash'
		echo '# Written by guest-init.sh: runs the job as the test unit of the systemd mode.'
		printf 'CTL=%s\nTOKEN=%s\n' "$SHARE/.vm" "$VM_TOKEN"
		cat <<'EOS'
stty -onlcr 2>/dev/null
# SIGRTMIN+21: PID 1 stops writing unit status lines to the console the
# output comes on (systemd.show_status on the command line leaves some).
kill -s RTMIN+21 1
: >"$CTL/started"
echo "$TOKEN:start"
/bin/bash "$CTL/job" </dev/null
rc=$?
echo "$TOKEN:end"
dmesg >"$CTL/dmesg.txt" 2>/dev/null
journalctl -b --no-pager -o short-monotonic >"$CTL/journal.txt" 2>/dev/null
echo "$rc" >"$CTL/exit-code.partial" && mv "$CTL/exit-code.partial" "$CTL/exit-code"
sync
systemctl --no-block poweroff
EOS
	} >"$NEW/etc/memcg-vm/job-unit.sh"
	chmod 0755 "$NEW/etc/memcg-vm/job-unit.sh"
	cat >"$sd/memcg-vm-job.service" <<'EOS'
[Unit]
Description=memcg VM lane: the job
After=multi-user.target systemd-logind.service dbus.service systemd-user-sessions.service
Requires=dbus.service

[Service]
Type=oneshot
ExecStart=/etc/memcg-vm/job-unit.sh
StandardInput=null
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/ttyS0
TTYReset=no
TTYVHangup=no
TimeoutStartSec=infinity
EOS
	# After= multi-user.target and wanted by it: the job starts once the
	# rest of the boot transaction has.
	ln -sf ../memcg-vm-job.service "$sd/multi-user.target.wants/memcg-vm-job.service"
	say "switching to systemd"
	exec switch_root "$NEW" /lib/systemd/systemd
}

/bin/busybox --install -s || fail "busybox --install failed"

must mount -t proc proc /proc
must mount -t sysfs sysfs /sys
must mount -t devtmpfs devtmpfs /dev

while read -r mod; do
	must insmod "/lib/modules/$mod"
done </lib/modules/load-order

# Host root, read-only; the host's own /proc, /sys and /dev show through
# it and are covered below by fresh mounts. cache=loose makes program start
# about three times faster (python3: 0.3 s instead of 0.75 s); the cost is
# that host edits made while a VM runs may go unseen, which a test run does
# not do.
must mkdir -p /lower /rw "$NEW"
must mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose host /lower
must mount -t tmpfs -o mode=0755 rw /rw
must mkdir -p /rw/upper /rw/work
must mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay "$NEW"

must mount -t proc proc "$NEW/proc"
must mount -t sysfs sysfs "$NEW/sys"
must mount -t devtmpfs devtmpfs "$NEW/dev"
must mkdir -p "$NEW/dev/pts" "$NEW/dev/shm"
# gid 5 is Debian's tty group; ptmxmode=0666 lets any user open new ptys.
must mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$NEW/dev/pts"
ln -sf pts/ptmx "$NEW/dev/ptmx"
must mount -t tmpfs -o mode=1777,nosuid,nodev shm "$NEW/dev/shm"
ln -sf /proc/self/fd "$NEW/dev/fd"
ln -sf /proc/self/fd/0 "$NEW/dev/stdin"
ln -sf /proc/self/fd/1 "$NEW/dev/stdout"
ln -sf /proc/self/fd/2 "$NEW/dev/stderr"
must mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$NEW/tmp"
must mount -t tmpfs -o mode=0755,nosuid,nodev run "$NEW/run"
must mkdir -p "$NEW/run/lock"
chmod 1777 "$NEW/run/lock"
# A booted Debian has utmp (systemd-update-utmp makes it); who/write need it.
: >"$NEW/run/utmp"
utmp_gid=$(awk -F: '$1 == "utmp" { print $3 }' "$NEW/etc/group")
chown "0:${utmp_gid:-0}" "$NEW/run/utmp"
chmod 0664 "$NEW/run/utmp"

must mkdir -p "$NEW$SHARE"
must mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 vmout "$NEW$SHARE"
[ -r "$CTL/config" ] || fail "no $SHARE/.vm/config in the output share"
. "$CTL/config"

case ${VM_MODE:-} in
v2)
	must mount -t cgroup2 cgroup2 "$NEW/sys/fs/cgroup"
	;;
v1)
	must mount -t tmpfs -o mode=0755 cgroup "$NEW/sys/fs/cgroup"
	# Bind every v1 controller, each on its own hierarchy as on the host, so
	# that the cgroup2 at unified/ has no controllers, also as on the host.
	for c in $(awk '!/^#/ && $4 == 1 { print $1 }' /proc/cgroups); do
		must mkdir "$NEW/sys/fs/cgroup/$c"
		must mount -t cgroup -o "$c" cgroup "$NEW/sys/fs/cgroup/$c"
	done
	must mkdir "$NEW/sys/fs/cgroup/systemd" "$NEW/sys/fs/cgroup/unified"
	must mount -t cgroup -o none,name=systemd cgroup "$NEW/sys/fs/cgroup/systemd"
	must mount -t cgroup2 cgroup2 "$NEW/sys/fs/cgroup/unified"
	;;
systemd)
	# systemd mounts cgroup2 itself (unified, from the kernel command line).
	;;
*)
	fail "unknown VM_MODE '${VM_MODE:-}'"
	;;
esac

must hostname "$VM_HOSTNAME"
echo "$VM_HOSTNAME" >"$NEW/etc/hostname"
echo "127.0.1.1 $VM_HOSTNAME" >>"$NEW/etc/hosts"
must ip link set lo up

if [ "$VM_VERBOSE" != 1 ]; then
	# Keep kernel chatter (OOM reports, module notes) off the command's
	# output; panics are KERN_EMERG and still reach the console.
	echo 1 >/proc/sys/kernel/printk
fi
# Without this every line the command prints arrives on the host as CRLF.
stty -onlcr 2>/dev/null

if [ "$VM_MODE" = systemd ]; then
	boot_systemd
	fail "switch_root to systemd failed"
fi

say "running job"
: >"$CTL/started"
echo "$VM_TOKEN:start"
chroot "$NEW" /bin/bash "$SHARE/.vm/job" </dev/null
rc=$?
echo "$VM_TOKEN:end"

dmesg >"$CTL/dmesg.txt" 2>/dev/null
# Rename so the host never reads a half-written status.
echo "$rc" >"$CTL/exit-code.partial" && mv "$CTL/exit-code.partial" "$CTL/exit-code"
sync
umount "$NEW$SHARE" 2>/dev/null
poweroff -f
sleep 60

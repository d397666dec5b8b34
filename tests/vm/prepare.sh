#!/usr/bin/env bash
# Builds what the VM test lane boots (Debian 12's stock kernel and a busybox
# initramfs) into build/vm/. Idempotent: a second run does no network work
# and no rebuild unless the kernel version, busybox or guest-init.sh changed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=$repo/build/vm

# Modules the guest needs before it can reach its root: the virtio PCI
# transport, 9p over virtio for the host's filesystem, overlay for a writable
# root, virtio_rng so the guest's entropy does not rest on the emulated
# CPU's RDRAND alone (sshd and python call getrandom() early).
# Their dependencies are taken from modules.dep, not hard-coded.
wanted_modules=(virtio_pci virtio_rng 9pnet_virtio 9p overlay)

log() { printf 'vm-prepare: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages with apt-get)"

mkdir -p "$cache"
# Two test runs starting together must not build the same files at once.
exec 9>"$cache/.lock"
flock 9

apt_updated=0
apt_update_once() {
	if [ "$apt_updated" = 0 ]; then
		log "apt-get update"
		apt-get update -qq >&2
		apt_updated=1
	fi
}

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

# xz-utils and zstd are only for modules shipped compressed; gzip for the
# initramfs. All are cheap, and a later kernel may start compressing.
packages=(qemu-system-x86 busybox-static kmod cpio xz-utils zstd gzip util-linux)
missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	log "installing ${missing[*]}"
	# A fresh machine has no package lists, and stale lists name files the
	# archive no longer has: in both cases the first try fails, so update then.
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
		apt_update_once
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	fi
fi

kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }'
}

pkg=$(kernel_pkg || true)
if [ -z "$pkg" ]; then
	apt_update_once
	pkg=$(kernel_pkg || true)
fi
if [ -z "$pkg" ]; then
	# Without package lists, the newest kernel already unpacked still works.
	kver=
	for d in "$cache"/kernel-*/; do
		d=${d%/}
		d=${d##*/kernel-}
		case $d in *.partial | '*') continue ;; esac
		kver=$(printf '%s\n%s\n' "$kver" "$d" | sort -V | tail -n 1)
	done
	[ -n "$kver" ] || die "cannot tell which kernel linux-image-amd64 depends on (apt-cache depends found nothing)"
	log "warning: apt-cache does not know linux-image-amd64; using cached kernel $kver"
else
	kver=${pkg#linux-image-}
fi
kroot=$cache/kernel-$kver
vmlinuz=$kroot/boot/vmlinuz-$kver
moddir=$kroot/lib/modules/$kver

if [ ! -f "$vmlinuz" ] || [ ! -f "$moddir/modules.dep" ]; then
	dl=$(mktemp -d "$cache/.download.XXXXXX")
	trap 'rm -rf "$dl"' EXIT
	log "downloading $pkg"
	# apt's download sandbox user cannot write to a root-owned temp dir.
	if ! (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
		apt_update_once
		(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2)
	fi
	deb=$(ls "$dl"/*.deb)
	# Unpack beside the final place and rename, so an interrupted run never
	# leaves a half-extracted tree that looks complete.
	rm -rf "$kroot.partial"
	dpkg -x "$deb" "$kroot.partial"
	depmod -b "$kroot.partial" "$kver"
	rm -rf "$kroot"
	mv "$kroot.partial" "$kroot"
	rm -rf "$dl"
	trap - EXIT
fi
[ -f "$vmlinuz" ] || die "kernel image missing after unpack: $vmlinuz"

initrd=$cache/initramfs-$kver.cpio.gz
stampfile=$cache/initramfs-$kver.stamp
stamp=$(
	{
		echo "$kver"
		sha256sum "$here/guest-init.sh" "$here/prepare.sh" /bin/busybox | cut -d' ' -f1
	} | sha256sum | cut -d' ' -f1
)

# Prints the module files to load, dependencies first, each once.
module_load_order() {
	local dep=$moddir/modules.dep
	declare -A seen=()
	local name pat line path deps d i
	for name in "$@"; do
		# File names use - or _ freely (virtio-rng.ko); module names are _.
		pat=${name//[-_]/[-_]}
		line=$(grep -E "/${pat}\.ko(\.xz|\.zst|\.gz)?:" "$dep" | head -n 1 || true)
		[ -n "$line" ] || die "module $name not found in $dep"
		path=${line%%:*}
		read -r -a deps <<<"${line#*:}"
		# modules.dep lists the full closure with the deepest dependency last.
		for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
			d=${deps[i]}
			[ -n "${seen[$d]:-}" ] || { seen[$d]=1; echo "$d"; }
		done
		[ -n "${seen[$path]:-}" ] || { seen[$path]=1; echo "$path"; }
	done
}

if [ ! -f "$initrd" ] || [ "$(cat "$stampfile" 2>/dev/null || true)" != "$stamp" ]; then
	log "building initramfs for $kver"
	stage=$(mktemp -d "$cache/.initramfs.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,lib/modules,etc}
	cp /bin/busybox "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh"
	cp "$here/guest-init.sh" "$stage/init"
	chmod 0755 "$stage/init"
	# The kernel opens /dev/console for init before anything can mount devtmpfs.
	mknod -m 0600 "$stage/dev/console" c 5 1
	# Not fed by process substitution: a failure there would not stop us.
	modules=$(module_load_order "${wanted_modules[@]}")
	: >"$stage/lib/modules/load-order"
	while read -r rel; do
		base=$(basename "$rel")
		# Busybox insmod reads plain ELF only; decompress here once instead.
		case $base in
		*.ko.xz) xz -dc "$moddir/$rel" >"$stage/lib/modules/${base%.xz}" ;;
		*.ko.zst) zstd -qdc "$moddir/$rel" >"$stage/lib/modules/${base%.zst}" ;;
		*.ko.gz) gzip -dc "$moddir/$rel" >"$stage/lib/modules/${base%.gz}" ;;
		*.ko) cp "$moddir/$rel" "$stage/lib/modules/$base" ;;
		*) die "unexpected module file $rel" ;;
		esac
		base=${base%.xz}
		base=${base%.zst}
		base=${base%.gz}
		echo "$base" >>"$stage/lib/modules/load-order"
	done <<<"$modules"
	echo "$kver" >"$stage/etc/kernel-version"
	(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner=0:0 --quiet) | gzip -6 >"$initrd.partial"
	mv "$initrd.partial" "$initrd"
	echo "$stamp" >"$stampfile"
	rm -rf "$stage"
	trap - EXIT
fi

# Each kernel tree is 400 MB: drop those a newer Debian kernel replaced.
for old in "$cache"/kernel-* "$cache"/initramfs-*; do
	case $old in
	"$kroot" | "$initrd" | "$stampfile") ;;
	*) [ -e "$old" ] && rm -rf "$old" ;;
	esac
done

# run.sh reads this to find what to boot.
cat >"$cache/current.env.partial" <<EOF
VM_KVER=$kver
VM_KERNEL=$vmlinuz
VM_INITRD=$initrd
EOF
mv "$cache/current.env.partial" "$cache/current.env"

#!/bin/bash
# make install / uninstall into a DESTDIR, the man pages rendering cleanly,
# and the pam-auth-update profile wiring the module into common-session
# (the system's PAM files are restored byte for byte afterwards).
. "$(dirname "$0")/lib.sh"

DEST=$TMP/dest

t_install_uninstall() {
	local pamdir
	pamdir=$(make -s -C "$TOP" --no-print-directory print-pamdir)
	[ -e "$pamdir/pam_unix.so" ] || fail "detected PAMDIR $pamdir has no pam_unix.so"
	make -s -C "$TOP" install DESTDIR="$DEST" >"$TMP/install.out" 2>&1 || fail "make install failed"
	local f
	for f in "$pamdir/pam_memcg.so" /usr/bin/memcgctl /etc/security/pam_memcg.conf \
		/usr/share/pam-configs/memcg /usr/share/man/man8/pam_memcg.8 \
		/usr/share/man/man5/pam_memcg.conf.5 /usr/share/man/man1/memcgctl.1 \
		/usr/sbin/memcg-notifier /lib/systemd/system/memcg-notifier.service \
		/usr/share/man/man8/memcg-notifier.8; do
		assert_exists "$DEST$f" "installed"
	done
	assert_contains "$DEST/lib/systemd/system/memcg-notifier.service" \
		'^ExecStart=/usr/sbin/memcg-notifier$' "the unit names the installed daemon"
	"$DEST/usr/bin/memcgctl" check -c "$DEST/etc/security/pam_memcg.conf" >/dev/null 2>&1 ||
		fail "the installed example config does not pass memcgctl check"
	# An admin's config survives a reinstall and an uninstall.
	echo "# admin's own" >"$DEST/etc/security/pam_memcg.conf"
	make -s -C "$TOP" install DESTDIR="$DEST" >/dev/null 2>&1 || fail "second make install failed"
	assert_eq "# admin's own" "$(cat "$DEST/etc/security/pam_memcg.conf")" "config not overwritten"
	make -s -C "$TOP" uninstall DESTDIR="$DEST" >/dev/null 2>&1 || fail "make uninstall failed"
	assert_eq "$DEST/etc/security/pam_memcg.conf" "$(find "$DEST" -type f)" "only the admin's config is left"
}

t_man_pages() {
	local m
	for m in "$TOP"/man/*.[1-8]; do
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" >"$TMP/man.out" 2>"$TMP/man.err" ||
			fail "man -l $m failed"
		[ -s "$TMP/man.err" ] && fail "man -l $(basename "$m") warns: $(head -3 "$TMP/man.err")"
		[ -s "$TMP/man.out" ] || fail "man -l $(basename "$m") rendered nothing"
	done
}

# pam-auth-update --enable memcg puts the module into common-session after
# pam_unix (and after pam_systemd where that profile is on).
t_pam_auth_update() {
	command -v pam-auth-update >/dev/null || { fail "no pam-auth-update"; return; }
	local saved=$TMP/pam-saved f
	mkdir -p "$saved"
	cp -a /etc/pam.d/. "$saved/pam.d"
	[ -d /var/lib/pam ] && cp -a /var/lib/pam/. "$saved/varlib"
	[ -e /usr/share/pam-configs/memcg ] && { fail "a memcg profile is installed already"; return; }
	cp "$TOP/etc/pam-configs-memcg" /usr/share/pam-configs/memcg
	DEBIAN_FRONTEND=noninteractive pam-auth-update --enable memcg >/dev/null 2>&1 ||
		fail "pam-auth-update --enable memcg failed"
	grep -n 'pam_memcg.so' /etc/pam.d/common-session >"$TMP/line" || fail "not in common-session"
	local ours unix sysd
	ours=$(grep -n 'pam_memcg.so' /etc/pam.d/common-session | cut -d: -f1 | head -1)
	unix=$(grep -n 'pam_unix.so' /etc/pam.d/common-session | cut -d: -f1 | head -1)
	sysd=$(grep -n 'pam_systemd.so' /etc/pam.d/common-session | cut -d: -f1 | head -1)
	[ -n "$ours" ] && [ -n "$unix" ] && [ "$ours" -gt "$unix" ] || fail "pam_memcg ($ours) not after pam_unix ($unix)"
	[ -z "$sysd" ] || [ "$ours" -gt "$sysd" ] || fail "pam_memcg ($ours) not after pam_systemd ($sysd)"
	DEBIAN_FRONTEND=noninteractive pam-auth-update --disable memcg >/dev/null 2>&1
	rm -f /usr/share/pam-configs/memcg
	# Put everything back exactly as it was.
	cp -a "$saved/pam.d/." /etc/pam.d/
	for f in /etc/pam.d/*; do
		[ -e "$saved/pam.d/$(basename "$f")" ] || rm -f "$f"
	done
	[ -d "$saved/varlib" ] && { rm -rf /var/lib/pam; mkdir -p /var/lib/pam; cp -a "$saved/varlib/." /var/lib/pam/; }
	diff -r "$saved/pam.d" /etc/pam.d >/dev/null || fail "/etc/pam.d not restored"
}

run_test install_uninstall t_install_uninstall
run_test man_pages t_man_pages
run_test pam_auth_update t_pam_auth_update
t_done

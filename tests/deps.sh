#!/bin/bash
# Installs what building and testing need, when it is missing (Debian 12,
# as root).  Safe to run again: installed packages are not touched.
set -euo pipefail

pkgs=(build-essential libpam0g-dev libconfuse-dev libsystemd-dev libcmocka-dev pamtester
      libpam-wrapper libnss-wrapper passwd util-linux procps psmisc python3 tmux man-db
      pkg-config libpam-runtime
      exim4-daemon-light valgrind openssh-server openssh-client
      # make fuzz / asan / lint: libFuzzer and the sanitizer runtimes,
      # llvm-symbolizer for readable reports, the two linters
      clang libclang-rt-14-dev llvm clang-tidy cppcheck)
pkgs+=("$@")

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Test machines need the packages, not their services (an MTA on port 25,
# a system sshd): keep maintainer scripts from starting any.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

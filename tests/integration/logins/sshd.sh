# A private sshd for the login tests (sourced by t_logins_ssh.sh and
# systemd_fixtures.sh, after lib.sh).  sshd takes its PAM service name from
# the name it was started under, so it runs as a symlink named after its
# own /etc/pam.d service.  Key authentication only: sshd does it itself;
# PAM auth would deny.
# Uses: SSHD_DIR, SSHD_NAME, SHIM, session_lines (the PAM session stack);
# sets: SSHD_PID, SSHD_PORT, RUN_SSHD_MADE (1 when it made /run/sshd).
# SSHD_START_TIMEOUT: seconds to wait for it to listen (default 10);
# SSH_CONNECT_TIMEOUT: the client's ConnectTimeout (default 10).
# shellcheck shell=bash

start_sshd() { # start_sshd USER...: only these users may log in
	local sshd port try deadline
	sshd=$(command -v sshd)
	mkdir -m 0700 "$SSHD_DIR" || return 1
	ssh-keygen -q -t ed25519 -N '' -C "$SSHD_NAME host" -f "$SSHD_DIR/host_key" || return 1
	ssh-keygen -q -t ed25519 -N '' -C "$SSHD_NAME client" -f "$SSHD_DIR/client_key" || return 1
	ln -s "$sshd" "$SSHD_DIR/$SSHD_NAME" || return 1
	system_pam_service "$SSHD_NAME" "auth required pam_deny.so
account required pam_unix.so
password required pam_deny.so
$session_lines"
	if [ ! -d /run/sshd ]; then
		mkdir -m 0755 /run/sshd && RUN_SSHD_MADE=1
	fi
	for try in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		cat >"$SSHD_DIR/sshd_config" <<EOF
ListenAddress 127.0.0.1:$port
HostKey $SSHD_DIR/host_key
PidFile $SSHD_DIR/sshd.pid
UsePAM yes
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
PermitRootLogin no
PermitEmptyPasswords no
AllowUsers $*
AuthorizedKeysFile .ssh/authorized_keys
StrictModes yes
PermitUserEnvironment no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
X11Forwarding no
PermitTunnel no
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
EOF
		echo "== try $try, port $port" >>"$SSHD_DIR/log"
		LD_PRELOAD=$SHIM "$SSHD_DIR/$SSHD_NAME" -D -e -f "$SSHD_DIR/sshd_config" >>"$SSHD_DIR/log" 2>&1 &
		SSHD_PID=$!
		deadline=$((SECONDS + ${SSHD_START_TIMEOUT:-10}))
		until grep -q "Server listening on 127.0.0.1 port $port" "$SSHD_DIR/log"; do
			if ! kill -0 "$SSHD_PID" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
				break
			fi
			sleep 0.05
		done
		if grep -q "Server listening on 127.0.0.1 port $port" "$SSHD_DIR/log"; then
			SSHD_PORT=$port
			return 0
		fi
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=""
	done
	return 1
}

# authorize_key USER: the test client key in USER's ~/.ssh/authorized_keys.
authorize_key() {
	local home
	home=$(getent passwd "$1" | cut -d: -f6)
	install -d -o "$1" -g "$(id -g "$1")" -m 0700 "$home/.ssh" &&
		install -o "$1" -g "$(id -g "$1")" -m 0600 "$SSHD_DIR/client_key.pub" "$home/.ssh/authorized_keys"
}

# ssh_open NAME USER: a real ssh client with a pty, logged in as USER.
ssh_open() {
	term_open "$1" ssh -tt -F /dev/null -i "$SSHD_DIR/client_key" -o IdentitiesOnly=yes \
		-o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -o ConnectTimeout="${SSH_CONNECT_TIMEOUT:-10}" -p "$SSHD_PORT" "$2@127.0.0.1"
}


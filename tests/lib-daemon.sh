# tests/lib-daemon.sh - private libvirt daemons for the tests (sourced after lib.sh).
#
# daemon_start NAME: a libvirtd of its own, in a mount namespace of its own:
# private /etc/libvirt, /run/libvirt and an overlay over /var (so its
# /var/lib/libvirt, storage pools and logs are its own), the runner's build
# directory hidden under an empty directory (what the daemon boots must come
# through libvirt, not from our disk), listening on its /run/libvirt/libvirt-sock,
# which is $T/NAME/run/libvirt-sock here (the same directory, bind-mounted), with
# a host UUID of its own (two daemons here can migrate a guest between them).
# Sets DAEMON_URI_NAME. daemon_kill NAME kills it (-9), daemon_stop_all
# (called by the EXIT trap) kills every daemon, its QEMUs and its holder.
# Facts: ../../shared/notes/environment.md, "A real libvirt daemon".

_daemons=""

daemon_qemu_conf() {
	cat <<'CONF'
stdio_handler = "file"
user = "root"
group = "root"
security_driver = "none"
remember_owner = 0
namespaces = [ ]
CONF
}

# daemon_start NAME: 0 once its socket answers (30 s at most), else 1
daemon_start() {
	d=$T/$1
	mkdir -p "$d/etc/qemu" "$d/run" "$d/var-up" "$d/var-work" "$d/empty" "$d/log"
	daemon_qemu_conf >"$d/etc/qemu.conf"
	# a host UUID of its own: libvirt refuses a migration between hosts of one UUID (vm-migrate.t)
	cat >"$d/libvirtd.conf" <<CONF
host_uuid = "$(cat /proc/sys/kernel/random/uuid)"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:$d/log/libvirtd.log"
CONF
	# the holder: a mount namespace that lives as long as it sleeps
	unshare -m --propagation private sh -c '
		d=$1; top=$2
		mount --bind "$d/etc" /etc/libvirt &&
		mkdir -p /run/libvirt && mount --bind "$d/run" /run/libvirt &&
		mount -t overlay overlay -o "lowerdir=/var,upperdir=$d/var-up,workdir=$d/var-work" /var &&
		mount --bind "$d/empty" "$top/build" &&
		touch "$d/ready" && exec sleep 100000' sh "$d" "$TOP" >"$d/holder.log" 2>&1 &
	echo $! >"$d/holder.pid"
	_daemons="$_daemons $1"
	for _ in $(seq 100); do [ -f "$d/ready" ] && break; sleep 0.1; done
	[ -f "$d/ready" ] || { cat "$d/holder.log" >&2; return 1; }
	nsenter -t "$(cat "$d/holder.pid")" -m /usr/sbin/libvirtd -f "$d/libvirtd.conf" \
		-p "$d/libvirtd.pid" >"$d/log/stdout" 2>&1 &
	echo $! >"$d/daemon.pid"
	eval "DAEMON_URI_$1='qemu+unix:///system?socket=$d/run/libvirt-sock'"
	for _ in $(seq 300); do
		[ -S "$d/run/libvirt-sock" ] &&
			virsh -q -c "qemu+unix:///system?socket=$d/run/libvirt-sock" version >/dev/null 2>&1 &&
			return 0
		kill -0 "$(cat "$d/daemon.pid")" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 5 "$d/log/libvirtd.log" "$d/log/stdout" >&2
	return 1
}

# daemon_qemus NAME: pids of the QEMUs in that daemon's namespace
daemon_qemus() {
	h=$(cat "$T/$1/holder.pid" 2>/dev/null) || return 0
	ns=$(readlink "/proc/$h/ns/mnt" 2>/dev/null) || return 0
	for p in $(pgrep qemu-system 2>/dev/null); do
		[ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$ns" ] && echo "$p"
	done
}

# daemon_kill NAME: the daemon dies (-9); its QEMUs and namespace stay
daemon_kill() {
	p=$(cat "$T/$1/daemon.pid" 2>/dev/null) || return 0
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

# daemon_cgroups_rm NAME: the cgroups of every domain that daemon ran
# (machine/qemu-ID-DOMAIN.libvirt-qemu), its QEMUs gone: a killed daemon
# removes none, and a daemon killed with its QEMUs still running neither.
# Its domains are those it kept a log of, in its own /var.
# The cgroup's name is libvirt's machine name (virDomainMachineNameAppendValid):
# the domain's name with what is not [A-Za-z0-9.-] dropped and runs of - or .
# made one; matched whole, after exactly qemu-ID- (extglob).
daemon_cgroups_rm() {
	local f n globs=()
	for f in "$T/$1"/var-up/log/libvirt/qemu/*.log; do
		[ -f "$f" ] || continue
		n=$(basename "$f" .log | tr -cd 'A-Za-z0-9.-' | tr -s '.-')
		[ -n "$n" ] && globs+=("qemu-+([0-9])-$n.libvirt-qemu")
		# and libvirt's lock file of the domain's agent channel, left when it was
		# killed: its channel directory is domain-ID-NAME, the name cut to 20
		f=$(basename "$f" .log)
		rm -f /var/lock/LCK.._var_lib_libvirt_qemu_channel_target_domain-[0-9]*-"${f:0:20}"_org.balloonbench.agent.* 2>/dev/null
	done
	[ ${#globs[@]} -eq 0 ] || cgroups_rm "${globs[@]}" || true
}

daemon_stop_all() {
	for n in $_daemons; do
		p=$(cat "$T/$n/ssh/pid" 2>/dev/null) && { kill "$p"; wait "$p"; } 2>/dev/null
		q=$(daemon_qemus "$n")
		daemon_kill "$n"
		[ -n "$q" ] && kill -9 $q 2>/dev/null
		h=$(cat "$T/$n/holder.pid" 2>/dev/null) && { kill -9 "$h"; wait "$h"; } 2>/dev/null
		daemon_cgroups_rm "$n"
	done
	_daemons=""
}

# sshd_start NAME: an sshd on 127.0.0.1 inside daemon NAME's namespace (so its
# virt-ssh-helper finds that daemon at /run/libvirt/libvirt-sock), on a free
# port, with a host key and a client key of its own. Sets SSH_URI_NAME:
# qemu+ssh://root@127.0.0.1:PORT/system?keyfile=...&no_verify=1, through a
# wrapper that keeps the host key out of ~/.ssh/known_hosts.
sshd_start() {
	d=$T/$1/ssh
	mkdir -p "$d" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" && ssh-keygen -q -t ed25519 -N '' -f "$d/id" || return 1
	cp "$d/id.pub" "$d/authorized_keys"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$d/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $d/host_key
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
StrictModes no
UsePAM no
PidFile $d/sshd.pid
CONF
	nsenter -t "$(cat "$T/$1/holder.pid")" -m /usr/sbin/sshd -D -e -f "$d/sshd_config" \
		>"$d/sshd.log" 2>&1 &
	echo $! >"$d/pid"
	printf '#!/bin/sh\nexec ssh -o UserKnownHostsFile=%s/known_hosts -o LogLevel=ERROR "$@"\n' "$d" >"$d/ssh"
	chmod +x "$d/ssh"
	eval "SSH_URI_$1='qemu+ssh://root@127.0.0.1:$port/system?keyfile=$d/id&no_verify=1&command=$d/ssh'"
	for _ in $(seq 100); do
		virsh -q -c "qemu+ssh://root@127.0.0.1:$port/system?keyfile=$d/id&no_verify=1&command=$d/ssh" \
			version >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	cat "$d/sshd.log" >&2
	return 1
}

#!/bin/bash
# fleet-overhead.sh - what a daemon connection costs against the embedded driver,
# on this host: bench/quick.ini (accel=tcg) alternated N times (default 3) through
# qemu:///embed, a private libvirtd over its unix socket, and the same daemon over
# qemu+ssh (tests/lib-daemon.sh). Per run: the runner's CPU time (user+sys, from
# /proc at its end via wait4; with the embedded driver that includes libvirt's QEMU
# driver, which a daemon runs in its own process: its CPU is shown apart), the
# median control latency and set-call time, and the achieved guest sampling rate
# (transitions.csv). Run as root from the source tree: scripts/fleet-overhead.sh [N]
set -u
cd "$(dirname "$0")/.." || exit 2
N=${1:-3}
# shellcheck source=../tests/lib.sh
. tests/lib.sh >/dev/null
. tests/lib-daemon.sh
trap 'daemon_stop_all; cleanup' EXIT
daemon_start o || { echo "fleet-overhead: cannot start a daemon" >&2; exit 1; }
sshd_start o || { echo "fleet-overhead: cannot start sshd" >&2; exit 1; }
dpid=$(cat "$T/o/daemon.pid")
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
med() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2); else print "nan" }'; }
hz=$(getconf CLK_TCK)
printf '%-6s %3s %10s %10s %10s %10s %10s %10s\n' via run runner_cpu_s daemon_cpu_s ctl_ms_p50 setcall_ms guest_hz guests
for i in $(seq "$N"); do
	for via in embed unix ssh; do
		case $via in
		embed) c=() ;;
		unix) c=(--connect "$DAEMON_URI_o") ;;
		ssh) c=(--connect "$SSH_URI_o") ;;
		esac
		d0=$(ticks "$dpid")
		out=$RESULTS/$via-$i
		/usr/bin/time -f '%U %S' -o "$T/time" "$BB" run -q -s "$STATE" -o "$out" "${c[@]}" \
			--set accel=tcg bench/quick.ini >/dev/null 2>"$T/err" || { cat "$T/err"; continue; }
		d1=$(ticks "$dpid")
		dir=$(ls -d "$out"/2*)
		cpu=$(awk '{ print $1 + $2 }' "$T/time")
		dcpu=$(awk -v a="$d0" -v b="$d1" -v h="$hz" 'BEGIN { printf "%.2f", (b - a) / h }')
		[ "$via" = embed ] && dcpu=-
		ctl=$(csv_col "$dir/transitions.csv" control_latency_ms | med)
		set=$(csv_col "$dir/transitions.csv" set_call_ms | med)
		shz=$(csv_col "$dir/transitions.csv" guest_sample_hz | med)
		printf '%-6s %3d %10.2f %10s %10.2f %10.2f %10.0f %10d\n' "$via" "$i" "$cpu" "$dcpu" "$ctl" "$set" "$shz" 1
	done
done

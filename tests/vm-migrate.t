#!/bin/bash
# vm-migrate: migration (live; offline under TCG, see below) between two real libvirt daemons (each in its own mount namespace, with its own host UUID): one 384 MiB guest with the integrity workload inflates, migrates to b, deflates there, migrates back to a, and to b again while its balloon inflates (migrate@during:3); lifecycle.csv's figures (total, downtime, bytes) and the checks after each; the runner SIGKILLed with its guest on b, and during a migration: nothing stays in either daemon (libvirt's incoming domain goes with the runner's connection, a running guest powers itself off: agent-watchdog).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-daemon.sh"
require vm daemons root	# the daemons live in mount namespaces of their own: root
trap '[ -n "${hpid:-}" ] && kill $hpid 2>/dev/null; daemon_stop_all; cleanup' EXIT
if ! unshare -m true 2>/dev/null; then
	echo "1..0 # SKIP no mount namespaces here (unshare -m)"
	exit 0
fi
# Under TCG (QEMU 7.2 on this machine's kind) a live migration loses dirty
# pages now and then: with one vCPU a guest died or spun on arrival in 1 of
# 5 runs with free page hinting and 1 of 11 without, and this test failed 2
# of its last 5 runs that way; with two vCPUs 2 of 2 died
# (docs/measurements/lifecycle.md, Migration). A check that fails by the
# emulator's chance is a flaky check: under TCG this test migrates offline
# (migrate:offline: libvirt suspends the source first, so no page is dirtied
# while it is sent), which goes through everything else of the event (two
# daemons, the image, the follow, the checks, the kills). Where KVM boots
# guests (doctor's kvm probe), or under TCG when asked (BB_MIGRATE_TCG=1:
# what the figures in the docs were taken with), it migrates live.
ACCEL=tcg MODE=live
if [ -e /dev/kvm ] && "$BB" doctor 2>/dev/null | grep '^kvm probe' | grep -qv 'failed\|not probed'; then
	ACCEL=kvm
elif [ "${BB_MIGRATE_TCG:-0}" != 1 ]; then
	MODE=offline
	diag "under TCG: migrate:offline (live migration under QEMU 7.2's TCG loses dirty pages now and then: BB_MIGRATE_TCG=1 migrates live all the same)"
fi
plan 26

daemon_start a && daemon_start b
check "two private libvirtd daemons answer on their own sockets" test -n "$DAEMON_URI_a" -a -n "$DAEMON_URI_b"
check "each daemon has a host UUID of its own" test "$(grep -h host_uuid "$T/a/libvirtd.conf" "$T/b/libvirtd.conf" | sort -u | wc -l)" -eq 2

# One vCPU: with two (QEMU 7.2's multi-threaded TCG, this machine) the guest's
# kernel died of corrupted memory (hrtimer and wait-queue entries on its
# stacks) within a second of arriving, 2 runs of 2; with one it held 10 of 11
# (the 11th spun on arrival: QEMU's TCG migration loses dirty pages here now
# and then, docs/measurements/lifecycle.md, Migration; this test then fails).
# 384 MiB, 32 MiB verified over and over. Transition 1 inflates to 128 MiB,
# then the guest goes to b with its balloon inflated; transition 2 deflates
# it there; then it comes back to a with its balloon deflated; transition 3
# inflates it again and the guest goes to b while the balloon moves.
scenario mig <<INI
[mig]
accel = $ACCEL
vcpus = 1
memory = 384M
settle = 500ms
workload = integrity:size=32M
warmup = 3s
targets = 128M, 384M, 128M
events = migrate:$MODE@after:1, migrate:$MODE@after:2, migrate:$MODE@during:3
migrate-to = $DAEMON_URI_b
INI
"$BB" run -s "$STATE" -o "$RESULTS/mig" --connect "$DAEMON_URI_a" "$T/mig.ini" >"$T/out" 2>"$T/err"
rc=$?
check "the run exits 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || show "$T/err"
dir=$(ls -d "$RESULTS"/mig/2* | head -n 1)
lc=$dir/lifecycle.csv
sed 's/^/# /' "$lc"
col() { csv_where "$lc" spec "$1" "$2"; }	# col SPEC COLUMN
check "three rows, every one ok" csv_awk '{ n++; if ($c["result"] != "ok") bad = 1 } END { exit bad || n != 3 }' "$lc"
M1=migrate:$MODE@after:1 M2=migrate:$MODE@after:2
for s in $M1 $M2; do
	diag "$s: $(col $s reason)"
	diag "$s: total $(col $s mig_total_ms) ms, downtime $(col $s mig_downtime_ms) ms, $(col $s mig_bytes) bytes, $(col $s mig_zero_pages) zero pages, $(col $s mig_iterations) passes; balloon before $(col $s actual_before_mib) after $(col $s actual_after_mib) MiB; clock step $(col $s clock_step_ms) ms"
	check "$s: downtime above 0 and below the total, bytes above 0" \
		awk -v d="$(col $s mig_downtime_ms)" -v t="$(col $s mig_total_ms)" -v b="$(col $s mig_bytes)" \
		'BEGIN { exit !(d > 0 && d < t && b > 0) }'
	check "$s: the agent answered after it, the balloon at its target, accounting ok" \
		awk -v a="$(col $s agent_ms)" -v t="$(col $s target_mib)" -v f="$(col $s actual_after_mib)" \
		-v ok="$(col $s accounting_ok)" 'BEGIN { d = f - t; if (d < 0) d = -d; exit !(a != "" && d <= 1 && ok == 1) }'
	check "$s: one full pass of integrity verified over it, no mismatch" \
		awk -v v="$(col $s wl_verified_mib)" -v m="$(col $s wl_mismatches)" 'BEGIN { exit !(v >= 32 && m == "0") }'
done
check "there and back: a -> b, then b -> a" \
	test "$(col $M1 host)|$(col $M1 migrate_to)|$(col $M2 host)|$(col $M2 migrate_to)" = \
	"h0|$DAEMON_URI_b|migrate-to|$DAEMON_URI_a"
check "the balloon inflated for the first, deflated for the second" \
	awk -v a="$(col $M1 actual_before_mib)" -v b="$(col $M2 actual_before_mib)" \
	'BEGIN { exit !(a <= 130 && b >= 380) }'
check "the deflate ran on b (transitions.csv's host)" test "$(csv_where "$dir/transitions.csv" index 1 host)" = migrate-to
s=migrate:$MODE@during:3
diag "$s: $(col $s reason); balloon $(col $s actual_before_mib) MiB at its start, $(col $s actual_after_mib) at the transition's end (QEMU: $(col $s host_actual_after_mib)); t100 $(col $s transition_t100_ms) ms (transitions.csv: $(csv_where "$dir/transitions.csv" index 2 t100_ms))"
check "$s: from a to b while the balloon moved (it had left 384 MiB, not reached 128)" \
	awk -v h="$(col $s host)" -v t="$(col $s migrate_to)" -v w="$(col $s when)" -v b="$(col $s actual_before_mib)" \
	-v u="$DAEMON_URI_b" 'BEGIN { exit !(h == "h0" && t == u && w == "during" && b < 384 && b > 128.5) }'
check "$s: the transition reached its target on b, its t100 recorded, the agent answered" \
	awk -v f="$(col $s actual_after_mib)" -v q="$(col $s host_actual_after_mib)" -v t="$(col $s transition_t100_ms)" \
	-v a="$(col $s agent_ms)" 'BEGIN { d = f - 128; if (d < 0) d = -d; e = q - 128; if (e < 0) e = -e; exit !(d <= 1 && e <= 1 && t > 0 && a != "") }'
check "events.csv has the three migrations" test "$(grep -c ',migrated,"from ' "$dir/events.csv")" -eq 3
check "nothing left in either daemon" \
	test -z "$(virsh -q -c "$DAEMON_URI_a" list --all --name)$(virsh -q -c "$DAEMON_URI_b" list --all --name)$(daemon_qemus a)$(daemon_qemus b)"

# SIGKILL of the runner once its guest is on b: a domain that migrates has no
# AUTODESTROY (libvirt refuses to migrate one), so nothing destroys it but the
# agent's watchdog: the guest powers itself off after agent-watchdog of silence
# (12 s: the migration's deadline is agent-watchdog less 4 s, 8 s, above a
# migration's time here under load, during which the runner is silent).
# (Free page hinting is left out here: with it on, 1 guest of 5 died on arrival
# of corrupted memory, as the 2-vCPU guests did: docs/measurements/lifecycle.md.)
# The transitions after the migration keep the run going while the kill comes.
scenario kill <<INI
[kill]
accel = $ACCEL
vcpus = 1
memory = 384M
warmup = 1s
agent-watchdog = 12s
settle = 2s
targets = 128M, 384M, 128M, 384M, 128M, 384M
events = migrate:$MODE@after:1
migrate-to = $DAEMON_URI_b
INI
"$BB" run -s "$STATE" -o "$RESULTS/kill" --connect "$DAEMON_URI_a" "$T/kill.ini" >"$T/out2" 2>"$T/err2" &
pid=$!
kdir=$(run_dir "$RESULTS/kill")
wait_for "$kdir/events.csv" ",lifecycle,\"$M1" 120
on_b=$(virsh -q -c "$DAEMON_URI_b" list --name | head -n 1)
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
diag "kill: $(grep ',lifecycle,' "$kdir/events.csv" | cut -c1-400)"
check "kill: the runner was killed with its guest on b ($on_b)" test -n "$on_b"
t_kill=$(date +%s.%N)
for _ in $(seq 400); do	# 40 s: agent-watchdog is 12 s
	[ -z "$(virsh -q -c "$DAEMON_URI_b" list --all --name)$(daemon_qemus b)" ] && break
	sleep 0.1
done
diag "kill: b was empty $(awk -v a="$t_kill" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the kill"
check "kill: the guest powered itself off: nothing left on b" \
	test -z "$(virsh -q -c "$DAEMON_URI_b" list --all --name)$(daemon_qemus b)"
check "kill: nothing left on a" test -z "$(virsh -q -c "$DAEMON_URI_a" list --all --name)$(daemon_qemus a)"

# SIGKILL of the runner during a migration: once the incoming domain is on b.
# libvirt ties that domain to the runner's connection until the migration
# ends (it goes with the connection); the source on a goes on, then powers
# itself off after agent-watchdog of silence.
scenario during <<INI
[during]
accel = $ACCEL
vcpus = 1
memory = 256M
warmup = 1s
agent-watchdog = 10s
targets = 128M, 256M
events = migrate:$MODE@after:1
migrate-to = $DAEMON_URI_b
INI
"$BB" run -s "$STATE" -o "$RESULTS/during" --connect "$DAEMON_URI_a" "$T/during.ini" >"$T/out3" 2>"$T/err3" &
pid=$!
wait_for "$T/err3" "event $M1" 120
ddir=$(run_dir "$RESULTS/during")
inc=
for _ in $(seq 300); do	# 30 s: the image to b's pool, then Prepare defines the incoming domain
	inc=$(virsh -q -c "$DAEMON_URI_b" list --all --name | head -n 1)
	[ -n "$inc" ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.05
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
t_kill=$(date +%s.%N)
check "during: killed while migrating (the incoming domain on b, no 'migrated' yet)" \
	test -n "$inc" -a "$(grep -c ',migrated,' "$ddir/events.csv")" -eq 0
for _ in $(seq 400); do
	[ -z "$(virsh -q -c "$DAEMON_URI_b" list --all --name)$(daemon_qemus b)" ] && break
	sleep 0.1
done
tb=$(awk -v a="$t_kill" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
for _ in $(seq 400); do	# 40 s: agent-watchdog is 10 s
	[ -z "$(virsh -q -c "$DAEMON_URI_a" list --all --name)$(daemon_qemus a)" ] && break
	sleep 0.1
done
diag "during: b empty $tb s after the kill, a $(awk -v a="$t_kill" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after it"
check "during: nothing left on b (the incoming domain went with the runner's connection)" \
	test -z "$(virsh -q -c "$DAEMON_URI_b" list --all --name)$(daemon_qemus b)"
check "during: nothing left on a (the source powered itself off)" \
	test -z "$(virsh -q -c "$DAEMON_URI_a" list --all --name)$(daemon_qemus a)"
# migrate-to a daemon that accepts and never answers: virConnectOpen would
# wait for ever; it runs off the guest's thread, so SIGINT still ends the run
# at once (the guest destroyed, nothing left on a)
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8); held = []
while True:
    held.append(s.accept()[0]); open(sys.argv[2], "a").write("accepted\n")
' "$T/hung.sock" "$T/hung.log" &
hpid=$!
scenario hung <<INI
[hung]
accel = $ACCEL
vcpus = 1
memory = 256M
warmup = 1s
targets = 128M
events = migrate@after:1
migrate-to = qemu+unix:///system?socket=$T/hung.sock
INI
"$BB" run -s "$STATE" -o "$RESULTS/hung" --connect "$DAEMON_URI_a" "$T/hung.ini" >"$T/out4" 2>"$T/err4" &
pid=$!
wait_for "$T/hung.log" accepted 120	# the runner's connection to it is open, and unanswered
t0=$(date +%s.%N)
kill -INT $pid
wait_exit $pid 30
t1=$(date +%s.%N)
wait $pid
kill $hpid 2>/dev/null
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
diag "hung: the runner ended $took s after SIGINT; $(grep -c accepted "$T/hung.log" 2>/dev/null) connection(s) to the silent daemon"
check "hung: the runner, in virConnectOpen of a silent migrate-to, ended within 5 s of SIGINT ($took s)" \
	awk -v t="$took" -v n="$(grep -c accepted "$T/hung.log" 2>/dev/null)" 'BEGIN { exit !(n >= 1 && t < 5) }'
check "hung: the migrate row says the guest is gone, interrupted" \
	csv_awk '$c["spec"] == "migrate:live@after:1" && $c["result"] == "failed" && $c["reason"] ~ /interrupted/ { f = 1 } END { exit !f }' \
	"$(run_dir "$RESULTS/hung")/lifecycle.csv"
check "hung: nothing left on a" test -z "$(virsh -q -c "$DAEMON_URI_a" list --all --name)$(daemon_qemus a)"
finish

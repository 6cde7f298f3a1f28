#!/bin/bash
# vm-engine: the engine's owners under stress: two guests under ThreadSanitizer, QEMU killed mid-run, a full disk.
. "$(dirname "$0")/lib.sh"
require vm
plan 23

TSAN_BB=${TSAN_BB:-$TOP/build/tsan/balloonbench}

# 1. Two guests at once, each with a workload, under ThreadSanitizer: the
# event thread, two controllers, the recorder and the progress board share
# nothing but their queues. libvirt's and GLib's own insides are not
# instrumented and are left out (tests/tsan.supp says why).
scenario two <<'INI'
[two]
accel = tcg
memory = 512M
vms = 2
vcpus = 1
targets = 256M, 512M
settle = 200ms
workload = touch:size=64M
warmup = 300ms
INI
if [ -x "$TSAN_BB" ]; then
	TSAN_OPTIONS="halt_on_error=0 exitcode=66 suppressions=$TOP/tests/tsan.supp" \
		"$TSAN_BB" run -s "$STATE" -o "$RESULTS/tsan" "$T/two.ini" >"$T/out" 2>"$T/err"
	rc=$?
	check "TSan: two guests with workloads ran (exit $rc)" test $rc -eq 0
	n=$(grep -c "WARNING: ThreadSanitizer" "$T/err")
	check "TSan: no data race, no lock-order inversion ($n reports)" test "$n" -eq 0
	[ "$n" -eq 0 ] && [ $rc -eq 0 ] || show "$T/err"
	dir=$(run_dir "$RESULTS/tsan")
	rows=$(csv_col "$dir/transitions.csv" end_reason | grep -c reached)
	check "TSan: both guests' transitions recorded ($rows of 4)" test "$rows" -eq 4
else
	skip "no TSan build ($TSAN_BB)"; skip "no TSan build"; skip "no TSan build"
fi
check "TSan: no VM left running" test "$(qemus)" -eq 0

# 2. QEMU killed while the balloon moves: that guest fails with the reason
# (its domain, not "the agent stopped sending"), run.json names it per
# guest, the run exits 1 with what it recorded, and nothing is left.
scenario long <<'INI'
[long]
accel = tcg
targets = 256M, 1G
cycles = 100
settle = 100ms
INI
"$BB" run -s "$STATE" -o "$RESULTS/kill" "$T/long.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/kill")
wait_for "$dir/transitions.csv" ",reached,[0-9]" 120
pkill -KILL -f "qemu-system.*$STATE"
wait_exit $pid 20; ok $? "QEMU killed: the runner ends within 20 s"
wait $pid
rc=$?
check "QEMU killed: exit 1 (got $rc)" test $rc -eq 1
grep -E '"status"|"failure"|incomplete_reason' "$dir/run.json" | sed "s/^/# /"
check "QEMU killed: run.json says incomplete" grep -q '"status": "incomplete"' "$dir/run.json"
check "QEMU killed: the guest's failure names its domain" grep -q '"failure": ".*the domain' "$dir/run.json"
csv_awk '$c["event"] == "failed" || $c["event"] == "destroyed" { print $c["event"] }' "$dir/events.csv" | tr '\n' ' ' >"$T/ev"
check "QEMU killed: events.csv has failed, then destroyed ($(cat "$T/ev"))" grep -q "failed destroyed" "$T/ev"
# every guest sample of the transitions recorded is in samples.csv (the
# count a transition took is transitions.csv's guest_samples; kprobe samples
# come at most probe-sample-rate a second, 100 under TCG, so a fixed count
# would measure the sampling rate, not what was kept)
rows=$(grep -c ',guest,' "$dir/samples.csv")
took=$(csv_awk '{ n += $c["guest_samples"] } END { print n + 0 }' "$dir/transitions.csv")
check "QEMU killed: samples kept ($rows guest rows, the transitions recorded took $took)" \
	test "$took" -gt 10 -a "$rows" -ge "$took"
check "QEMU killed: no VM left running" test "$(qemus)" -eq 0

# 4. QEMU stopped (SIGSTOP) in the middle of an inflate: it answers nothing,
# and libvirt would wait for it for ever. give-up (3 s here) holds: the guest
# fails within it with the reason, the run ends, nothing is left, and no
# transition is recorded as reached after the stop. Then Ctrl-C while QEMU is
# stopped acts within 2 s.
scenario stop <<'INI'
[stop]
accel = tcg
targets = 256M, 1G
cycles = 100
settle = 100ms
give-up = 3s
INI
"$BB" run -s "$STATE" -o "$RESULTS/stop" "$T/stop.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/stop")
wait_for "$dir/transitions.csv" ",reached,[0-9]" 120
wait_for "$dir/events.csv" "256 MiB -> 1024 MiB" 60
qpid=$(pgrep -f "qemu-system.*$STATE" | head -n 1)
t0=$(date +%s.%N)
kill -STOP "$qpid"
wait_exit $pid 30
t1=$(date +%s.%N)
kill -CONT "$qpid" 2>/dev/null
wait $pid
rc=$?
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
check "QEMU stopped: the run ends within give-up and a few seconds (took $took s), exit 1 (got $rc)" \
	awk -v t="$took" -v r=$rc 'BEGIN { exit !(r == 1 && t <= 10) }'
check "QEMU stopped: the reason says QEMU did not answer" grep -q '"failure": ".*did not answer' "$dir/run.json"
last=$(csv_col "$dir/transitions.csv" end_reason | tail -n 1)
check "QEMU stopped: the transition it stopped is not recorded as reached ($last)" test "$last" != reached
check "QEMU stopped: no VM left running" test "$(qemus)" -eq 0

"$BB" run -s "$STATE" -o "$RESULTS/stopint" "$T/stop.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/stopint")
wait_for "$dir/transitions.csv" ",reached,[0-9]" 120
qpid=$(pgrep -f "qemu-system.*$STATE" | head -n 1)
kill -STOP "$qpid"
sleep 0.5	# the runner is now waiting on the stopped QEMU
t0=$(date +%s.%N)
kill -INT $pid
# followed every 50 ms, as vm-faults follows a signal: QEMU no longer running
# (a zombie is not matched: the runner killed it), the runner gone
gone=
for _ in $(seq 200); do
	[ -z "$gone" ] && [ "$(qemus)" -eq 0 ] && gone=$(date +%s.%N)
	kill -0 $pid 2>/dev/null || break
	sleep 0.05
done
t1=$(date +%s.%N)
gone=${gone:-$t1}
kill -CONT "$qpid" 2>/dev/null
wait $pid
rc=$?
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
killed=$(awk -v a="$t0" -v b="$gone" 'BEGIN { printf "%.2f", b - a }')
# The runner's reaction: it kills the stopped QEMU (its watchdog, at once on a
# signal), then records the guest's end once libvirt's call returns. From the
# signal (events.csv "signal", stamped by the handler) to the guest's end
# recorded ("failed": interrupted), less the time QEMU took to die: the
# runner's own part. What follows is libvirt's teardown of the killed QEMU,
# which polls until the process is reaped (by this sandbox's init, slowly:
# 0-1.6 s here), and the run's end.
acted=$(csv_awk '$c["event"] == "signal" { s = $c["t_s"] } $c["event"] == "failed" { f = $c["t_s"] } END { printf "%.2f", f - s }' "$dir/events.csv")
own=$(awk -v a="$acted" -v k="$killed" 'BEGIN { o = a - k; printf "%.2f", o < 0 ? 0 : o }')
diag "Ctrl-C with QEMU stopped: QEMU gone $killed s after the signal, the guest's end recorded after $acted s; exit after $took s"
check "QEMU stopped, Ctrl-C: exit 130 (got $rc), within 10 s ($took s)" \
	awk -v r=$rc -v t="$took" 'BEGIN { exit !(r == 130 && t <= 10) }'
check "QEMU stopped, Ctrl-C: the runner killed QEMU within 2 s ($killed s) and recorded the guest's end within 2 s of that ($own s)" \
	awk -v k="$killed" -v t="$acted" -v o="$own" 'BEGIN { exit !(t >= 0 && k <= 2 && o <= 2) }'
check "QEMU stopped, Ctrl-C: no VM left running" test "$(qemus)" -eq 0

# 3. A full disk: the first failed write stops the run within seconds with
# one clear error naming the file, exit 1, and no guest left. (A 256 KiB
# tmpfs: the 1 kHz samples fill it within seconds of the first transition.)
mkdir -p "$T/full"
if mount -t tmpfs -o size=256k bbtest "$T/full" 2>/dev/null; then
	start=$(date +%s)
	"$BB" run -s "$STATE" -o "$T/full" "$T/long.ini" >"$T/out" 2>"$T/err" &
	pid=$!
	wait_exit $pid 120; ok $? "disk full: the runner ends (within 120 s)"
	wait $pid
	rc=$?
	took=$(( $(date +%s) - start ))
	check "disk full: exit 1 (got $rc, after $took s)" test $rc -eq 1
	grep -q "writing .*/2.*/[a-z_]*\.csv: No space left on device" "$T/err"
	ok $? "disk full: the error names the file and the cause"
	show "$T/err"
	grep -q "^report:" "$T/out"; ok $((! $?)) "disk full: no report is announced"
	check "disk full: no VM left running" test "$(qemus)" -eq 0
	umount "$T/full"
else
	for i in 1 2 3 4 5; do skip "cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN)"; done
fi
finish

#!/bin/bash
# vm-interrupt: Ctrl-C leaves no VM and keeps the samples; a killed run's VM is reaped by the next run.
. "$(dirname "$0")/lib.sh"
need_vm
plan 20

scenario long <<'INI'
[long]
accel = tcg
targets = 256M, 1G
cycles = 100
INI

"$BB" run -s "$STATE" -o "$RESULTS/a" "$T/long.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/a")
check "first transition recorded" wait_for "$dir/transitions.csv" ",reached,[0-9]" 120
check "its guest is running (QEMU seen)" test "$(qemus)" -ge 1
kill -INT $pid
wait $pid
rc=$?
check "SIGINT: exit 130 (got $rc)" test $rc -eq 130
check "SIGINT: no VM left running" test "$(qemus)" -eq 0
grep -q "\"incomplete_reason\": \"interrupted" "$dir/run.json" || grep -E "status|reason" "$dir/run.json" | sed "s/^/# /"
check "SIGINT: run.json says incomplete, interrupted" \
	grep -q '"incomplete_reason": "interrupted' "$dir/run.json"
rows=$(grep -c ',guest,' "$dir/samples.csv")
check "SIGINT: samples kept ($rows guest samples)" test "$rows" -gt 100
grep -q INCOMPLETE "$T/err"; ok $? "SIGINT: says the run is incomplete"
# events.csv in time order: the signal's row (stamped by the handler) was
# once written at the end, after the rows of the guest's end it caused
csv_col "$dir/events.csv" t_s >"$T/ts"
check "SIGINT: events.csv is in time order ($(wc -l <"$T/ts") rows)" sort -g -c "$T/ts"
first=$(csv_col "$dir/events.csv" event | grep -x -m 1 -e signal -e failed)
check "SIGINT: the signal's row comes before the guest's end it caused (first: $first)" \
	test "$first" = signal

# SIGINT while the guest boots (before any transition): incomplete too, never "complete"
"$BB" run -s "$STATE" -o "$RESULTS/boot" "$T/long.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/boot")
# the boot event is written before the domain starts; its hello comes seconds later
wait_for "$dir/events.csv" ",boot," 60
kill -INT $pid
wait $pid
rc=$?
check "SIGINT while booting: exit 130 (got $rc)" test $rc -eq 130
check "SIGINT while booting: no VM left running" test "$(qemus)" -eq 0
grep -E '"status"|incomplete_reason' "$dir/run.json" | sed "s/^/# /"
check "SIGINT while booting: run.json says incomplete, interrupted" \
	sh -c "grep -q '\"status\": \"incomplete\"' '$dir/run.json' && grep -q '\"incomplete_reason\": \"interrupted' '$dir/run.json'"

# SIGKILL: nothing runs in the process any more; the next run must reap the VM.
"$BB" run -s "$STATE" -o "$RESULTS/b" "$T/long.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/b")
wait_for "$dir/events.csv" "hello" 120
kill -KILL $pid
wait $pid 2>/dev/null
for _ in $(seq 50); do [ "$(qemus)" -eq 0 ] && break; sleep 0.1; done
check "SIGKILL: the runner's guardian ended its QEMU within 5 s" test "$(qemus)" -eq 0

# A killed run's run.json said "running" for ever: the next look at it says killed.
"$BB" report "$dir" >/dev/null 2>"$T/rep"
check "SIGKILL: report finds the run killed; run.json says incomplete (killed)" \
	sh -c "grep -q '\"status\": \"incomplete\"' '$dir/run.json' && grep -q 'killed: its runner' '$dir/run.json'"

scenario short <<'INI'
[short]
accel = tcg
targets = 768M
settle = 100ms
INI
"$BB" run -s "$STATE" -o "$RESULTS/c" "$T/short.ini" >"$T/out" 2>"$T/err"
grep -q "reaped domain" "$T/err"; ok $? "next run reaps the leftover domain"; show "$T/err"
check "no VM left running after the next run" test "$(qemus)" -eq 0

# SIGKILL of the runner while its guest boots: libvirt starts QEMU paused and
# would never let it go on; the guardian (a process the runner forks, which
# sees the runner's end) kills it. Then SIGKILL of the runner AND its guardian
# while the balloon moves: the agent's own watchdog, armed from the kernel
# command line at boot, powers the guest off and QEMU ends, within the
# watchdog (4 s here) and 5 s.
scenario dog <<'INI'
[dog]
accel = tcg
agent-watchdog = 4s
targets = 256M, 1G
cycles = 100
INI
"$BB" run -s "$STATE" -o "$RESULTS/d" "$T/dog.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/d")
wait_for "$dir/events.csv" ",boot," 60
for _ in $(seq 100); do [ "$(qemus)" -ge 1 ] && break; sleep 0.1; done	# QEMU is starting
kill -KILL $pid
wait $pid 2>/dev/null
for _ in $(seq 50); do [ "$(qemus)" -eq 0 ] && break; sleep 0.1; done
check "SIGKILL while booting: the guardian ended the starting QEMU within 5 s" test "$(qemus)" -eq 0

"$BB" run -s "$STATE" -o "$RESULTS/e" "$T/dog.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/e")
wait_for "$dir/transitions.csv" ",reached,[0-9]" 120
guardian=$(pgrep -P $pid -x bb-guardian)
t0=$(date +%s)
kill -KILL $pid $guardian
wait $pid 2>/dev/null
for _ in $(seq 90); do [ "$(qemus)" -eq 0 ] && break; sleep 0.1; done
took=$(( $(date +%s) - t0 ))
check "SIGKILL of runner and guardian (${guardian:-none found}) while moving: the agent's watchdog ended QEMU within 4 + 5 s (took $took s)" \
	test -n "$guardian" -a "$(qemus)" -eq 0
"$BB" run -s "$STATE" -o "$RESULTS/f" "$T/short.ini" >"$T/out" 2>"$T/err"
check "the next run after those starts cleanly (exit $?)" test $? -eq 0
check "no VM left running at the end" test "$(qemus)" -eq 0
finish

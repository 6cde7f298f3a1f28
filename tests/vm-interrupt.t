#!/bin/bash
# vm-interrupt: Ctrl-C leaves no VM and keeps the samples; a killed run's VM is reaped by the next run.
. "$(dirname "$0")/lib.sh"
need_vm
plan 13

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
check "SIGKILL: the guest outlived its runner (as libvirt embed does)" test "$(qemus)" -ge 1

scenario short <<'INI'
[short]
accel = tcg
targets = 768M
settle = 100ms
INI
"$BB" run -s "$STATE" -o "$RESULTS/c" "$T/short.ini" >"$T/out" 2>"$T/err"
grep -q "reaped domain" "$T/err"; ok $? "next run reaps the leftover domain"; show "$T/err"
check "no VM left running after the next run" test "$(qemus)" -eq 0
finish

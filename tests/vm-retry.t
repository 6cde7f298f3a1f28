#!/bin/bash
# vm-retry: an agent that goes silent after CONF (bb.mute=1, as a stalled
# channel would look) is noticed within 15 s; the first such boot is given up
# and the guest booted once more, with the reason kept; a second silence
# fails the guest. The agent's stall watch says on the console what it saw.
. "$(dirname "$0")/lib.sh"
require vm
plan 30

scenario mute <<'INI'
[global]
accel = tcg
memory = 1G
settle = 300ms

[touch]
workload = touch:size=16M,passes=1
warmup = 1s
targets = 768M
INI

# 1. The first boot silent: given up, the second measures (the ASan+UBSan runner).
t0=$(date +%s)
BALLOONBENCH_FAULT=mute-first-boot asan_run run -s "$STATE" -o "$RESULTS/once" "$T/mute.ini" \
	>"$T/out" 2>"$T/err"
rc=$?
took=$(( $(date +%s) - t0 ))
ok $rc "first boot silent: the run completes on a second boot (exit 0, $took s)"
[ $rc -eq 0 ] || show "$T/err"
san_check "$T/err"
dir=$(ls -d "$RESULTS"/once/2* | head -n 1)
check "first boot silent: run.json says complete" grep -q '"status": "complete"' "$dir/run.json"
check "first boot silent: events.csv has boot-retry with the reason" \
	grep -q ',boot-retry,".*the agent has sent nothing for 1[5-9] s' "$dir/events.csv"
check "first boot silent: run.json's guest says boot_retry" grep -q '"boot_retry": ".*sent nothing' "$dir/run.json"
n=$(grep -c ',boot,' "$dir/events.csv")
check "first boot silent: booted twice ($n boot events)" test "$n" -eq 2
check "first boot silent: the transition was measured ($(csv_col "$dir/transitions.csv" end_reason | tr '\n' ' '))" \
	test "$(csv_col "$dir/transitions.csv" end_reason)" = reached
c1=$(ls "$dir"/console-*.boot1.log 2>/dev/null | head -n 1)
check "first boot silent: its console is kept ($(basename "${c1:-none}"))" test -s "$c1"
check "first boot silent: the stall watch saw the queued bytes not move" \
	grep -q 'stall watch: [0-9]* bytes for the host have not moved' "$c1"
retry_t=$(csv_awk '$c["event"] == "boot-retry" { print $c["t_s"] }' "$dir/events.csv")
n=$(csv_awk -v t="${retry_t:-0}" '$c["event"] == "sysrq" && $c["t_s"] < t && /asked the guest.s kernel \(Alt-SysRq (lw|lt)\)/' "$dir/events.csv" | wc -l)
check "first boot silent: the guest's kernel was asked, at 4 s (SysRq l w) and at 15 s (l t) ($n)" test "$n" -eq 2
check "first boot silent: it answered on the console: each CPU's backtrace, the agent among every task" \
	sh -c "grep -q 'NMI backtrace for cpu' '$c1' && grep -q 'sysrq: Show State' '$c1' && grep -q 'task:init ' '$c1'"
early=$(csv_awk -v t="${retry_t:-0}" '$c["source"] == "guest" && $c["t_s"] < t' "$dir/samples.csv" | wc -l)
check "first boot silent: no guest sample before the retry ($early)" test "$early" -eq 0

# 2. A channel that carries nothing after CONF until the host reopens it
# (bb.mute=2; what it held is dropped, as QEMU drops a stalled port's queue):
# reopened after 4 s, the run goes on and completes on the same boot; the
# workload's start and end, lost with the queue, are said again; the lost
# samples are counted.
BALLOONBENCH_FAULT=stall asan_run run -s "$STATE" -o "$RESULTS/stall" "$T/mute.ini" >"$T/out" 2>"$T/err"
rc=$?
ok $rc "stalled channel: the run completes (exit 0; the ASan+UBSan runner)"
[ $rc -eq 0 ] || show "$T/err"
san_check "$T/err"
dir=$(ls -d "$RESULTS"/stall/2* | head -n 1)
check "stalled channel: events.csv has channel-reopen after 4 s of silence, then channel-recovered" \
	csv_awk '$c["event"] == "channel-reopen" && $c["detail"] ~ /said nothing for 4\.[0-9] s/ { r = 1 } r && $c["event"] == "channel-recovered" { ok = 1 } END { exit !ok }' "$dir/events.csv"
n=$(grep -c ',boot,' "$dir/events.csv")
check "stalled channel: one boot ($n)" test "$n" -eq 1
check "stalled channel: the workload's start and end were heard (said again)" \
	sh -c "grep -q ',workload-start,' '$dir/events.csv' && grep -q ',workload-exit,\"touch code=0' '$dir/events.csv'"
gaps=$(sed -n 's/.*"sample_gaps": \([0-9]*\).*/\1/p' "$dir/run.json" | head -n 1)
check "stalled channel: the samples lost with the queue are counted (sample_gaps $gaps > 0)" test "${gaps:-0}" -gt 0
check "stalled channel: the transition was measured" test "$(csv_col "$dir/transitions.csv" end_reason)" = reached

# 2b. A guest starved of CPU (bb.mute=3: nothing leaves for 9 s after CONF,
# then all of it does): the first change's clock pings go unanswered for 9
# s; the runner waits as its silence rule says (15 s), not 5 s, and the run
# completes on the one boot. (A CI run saw a guest crowded by 16 others say
# nothing for 6 s after CONF, and the 5 s wait fail it.)
scenario late <<'INI'
[global]
accel = tcg
memory = 1G
settle = 300ms

[late]
targets = 768M
INI
BALLOONBENCH_FAULT=late "$BB" run -s "$STATE" -o "$RESULTS/late" "$T/late.ini" >"$T/out" 2>"$T/err"
rc=$?
ok $rc "starved guest (silent 9 s after CONF): the run completes (exit 0)"
[ $rc -eq 0 ] || show "$T/err"
dir=$(ls -d "$RESULTS"/late/2* | head -n 1)
check "starved guest: channel-reopen at 4 s, then channel-recovered" \
	csv_awk '$c["event"] == "channel-reopen" { r = 1 } r && $c["event"] == "channel-recovered" { ok = 1 } END { exit !ok }' "$dir/events.csv"
n=$(grep -c ',boot,' "$dir/events.csv")
check "starved guest: one boot, no retry ($n)" test "$n" -eq 1
check "starved guest: the transition was measured" test "$(csv_col "$dir/transitions.csv" end_reason)" = reached

# 3. Every boot silent: the guest fails after the second, with the reason;
# nothing is left. The TSan runner: two reopened channels, a retried boot.
TSAN_BB=${TSAN_BB:-$TOP/build/tsan/balloonbench}
t0=$(date +%s)
if [ -x "$TSAN_BB" ]; then
	BALLOONBENCH_FAULT=mute TSAN_OPTIONS="halt_on_error=0 exitcode=66 suppressions=$TOP/tests/tsan.supp" \
		"$TSAN_BB" run -s "$STATE" -o "$RESULTS/always" "$T/mute.ini" >"$T/out" 2>"$T/err"
else
	BALLOONBENCH_FAULT=mute "$BB" run -s "$STATE" -o "$RESULTS/always" "$T/mute.ini" >"$T/out" 2>"$T/err"
fi
rc=$?
took=$(( $(date +%s) - t0 ))
if [ -x "$TSAN_BB" ]; then
	n=$(grep -c "WARNING: ThreadSanitizer" "$T/err")
	check "every boot silent, TSan: no data race, no lock-order inversion ($n reports)" test "$n" -eq 0
	[ "$n" -eq 0 ] || show "$T/err"
else
	skip "no TSan build ($TSAN_BB)"
fi
dir=$(ls -d "$RESULTS"/always/2* | head -n 1)
n=$(grep -c ',channel-reopen,' "$dir/events.csv")
check "every boot silent: its channel was reopened once a boot ($n)" test "$n" -eq 2
# The runner's part of the time, the boots left out (their hello's boot_s):
# a TCG boot takes 10-40 s, so two on a loaded host and the two 15 s
# silences came within a few seconds of the old bound of 120 s in all. A
# boot-timeout (120 s) waited anywhere after a hello still fails this.
boots=$(csv_awk '$c["event"] == "hello" && match($0, /boot_s=[0-9.]+/) { s += substr($0, RSTART + 7, RLENGTH - 7) }
	END { printf "%.0f", s }' "$dir/events.csv")
check "every boot silent: exit 1 (got $rc) after two boots ($took s, $boots s of it booting; the rest under 120)" \
	test $rc -eq 1 -a $((took - ${boots:-0})) -lt 120
check "every boot silent: run.json says incomplete" grep -q '"status": "incomplete"' "$dir/run.json"
check "every boot silent: the failure says the agent sent nothing" \
	grep -q '"failure": ".*the agent has sent nothing' "$dir/run.json"
n=$(grep -c ',boot,' "$dir/events.csv")
check "every boot silent: two boots, not more ($n)" test "$n" -eq 2
check "no VM left running" test "$(qemus)" -eq 0
finish

#!/bin/bash
# vm-swapleft: a host-swap file the runner cannot swap off after a signal is
# handed to its guardian (issue 24's swap-left), which tries again with a
# backoff and removes it once it can; a run started meanwhile in the same
# state dir waits for that guardian, then goes on with nothing of it to
# remove; a guardian that cannot, by its bound, leaves a record (stderr,
# the kernel log, a note) and the next run removes the file, saying so.
# It takes turns with vm-overcommit.t (the lock below): a swap area is the
# whole host's.
#
# What makes swapoff fail is real, not a hook: a process of this test in a
# memory cgroup of 48 MiB with its OOM killer off, whose pages went to the
# run's swap file (the host's highest-priority area while it is on); swapoff
# cannot charge them back to that cgroup (ENOMEM, at once), until the
# process is killed. Every stage is read from what the runs and the
# guardian say (events.csv, stderr), each with a deadline.
. "$(dirname "$0")/lib.sh"
require vm cmd:python3
host_swap_turn	# with the other host-swap test, in turn (lib.sh)
plan 24

H=$(printf %s "$STATE/embed" | sha256sum | cut -c1-8)
MEM=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
if [ -z "$MEM" ] || [ ! -f "$MEM/memory.oom_control" ] || [ ! -r /proc/swaps ]; then
	skip_rest "no cgroup v1 memory controller or no swap here (a budget is refused up front)"
	finish
fi
# a swap area of the host's own: swapoff of the run's file could page the
# test's process out to it, and nothing would be left to hand over
if [ "$(awk 'NR > 1' /proc/swaps | wc -l)" -gt 0 ]; then
	skip_rest "the host has swap of its own ($(awk 'NR == 2 { print $1 }' /proc/swaps)): swapoff of the run's file would page this test's process out to it"
	finish
fi
# an earlier run of this test's processes' cgroups, where it was killed (one at a time: host_swap_turn)
for d in "$MEM"/bbtest-swapleft-*; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
budget_dirs() {
	local m
	for m in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts); do
		ls -d "$m"/machine/bb-"$H"-*.partition 2>/dev/null
	done | wc -l
}
# on FILE: /proc/swaps lists FILE (also as "FILE (deleted)"); its Used KiB on stdout
on() { awk -v f="$1" 'NR > 1 && ($1 == f || $1 == f "\\040(deleted)") { print $3; found = 1 } END { exit !found }' /proc/swaps; }
HOGS=()
# hog NAME: a process in a memory cgroup of its own (48 MiB, OOM killer off) that
# touches 112 MiB and sleeps (300 s at most): its pages beyond 48 MiB are swapped
hog() {
	local cg=$MEM/bbtest-swapleft-$$-$1
	mkdir -p "$cg" || return 1
	if ! { echo 48M >"$cg/memory.limit_in_bytes" && echo 1 >"$cg/memory.oom_control"; }; then
		rmdir "$cg"
		return 1
	fi
	(echo "$BASHPID" >"$cg/cgroup.procs" && exec python3 -c '
import time
b = bytearray(112 << 20)
for i in range(0, len(b), 4096):
	b[i] = 1
print("ready", flush=True)
time.sleep(300)') 7>&- >"$T/hog-$1" 2>&1 &
	hogpid=$!
	HOGS+=("$hogpid:$cg")
}
hog_end() { # hog_end PID: killed (SIGKILL ends one waiting under its cgroup's OOM too), reaped, its cgroup removed
	local h
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for h in "${HOGS[@]}"; do
		[ "${h%%:*}" = "$1" ] && for _ in $(seq 50); do rmdir "${h#*:}" 2>/dev/null && break; sleep 0.1; done
	done
}
# own DIR TOOK: of TOOK s from a signal to the runner's end, what came after its
# guest's destruction (events.csv: destroyed, after libvirt reaped QEMU, which
# takes up to 2 s on these machines: usage.md); the signal's promise (as
# vm-faults.t's): QEMU stopped within 2 s, the runner out within 2 s of that
own() {
	csv_awk -v took="${2:-99}" '$c["event"] == "signal" { s = $c["t_s"] } $c["event"] == "destroyed" { d = $c["t_s"] }
		END { if (s == "" || d == "") print 99; else printf "%.2f", took - (d - s) }' "$1/events.csv"
}
# gone_in PID SECONDS: 0 once PID ended (the seconds it took on stdout, from now), 1 if not by then
gone_in() {
	local t0=$EPOCHREALTIME
	for _ in $(seq "$(($2 * 50))"); do
		kill -0 "$1" 2>/dev/null || { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; return 0; }
		sleep 0.02
	done
	return 1
}
# never leave a hog, its cgroup or a swap area of ours behind: the hogs killed,
# the guardians done (the state dir's lock, 12 s at most), then each area of
# ours still on swapped off (12 s); one that will not go off keeps $T (a swap
# file removed while on stays on until a reboot), said. Within the 30 s
# prove's timeout gives a test after its TERM.
swap_cleanup() {
	local h f left=""
	for h in "${HOGS[@]}"; do kill -9 "${h%%:*}" 2>/dev/null; wait "${h%%:*}" 2>/dev/null; rmdir "${h#*:}" 2>/dev/null; done
	[ -d "$STATE" ] && flock -w 12 "$STATE/lock" true 7>&- 2>/dev/null
	for f in $(awk -v s="$STATE/" 'NR > 1 && index($1, s) == 1 { sub(/\\040\(deleted\)$/, "", $1); print $1 }' /proc/swaps); do
		timeout 12 swapoff "$f" 7>&- 2>/dev/null || left="$left $f"
	done
	if [ -n "$left" ]; then
		KEEP_T=1
		echo "# $(basename "$0"): could not swap off$left: $T is kept; run: swapoff$left && rm -rf $T" >&2
	fi
}
trap 'swap_cleanup; cleanup' EXIT

# one guest whose wave has a swap file; 120 s of policy: the run is signalled long before
scenario sl <<'INI'
[sl]
accel = tcg
memory = 256M
vcpus = 1
host-budget = 384M
host-swap = 192M
policy = none
policy-duration = 120s
INI

# a run with no budget and no swap, for the last start's sweep
scenario plain <<'INI'
[plain]
accel = tcg
memory = 256M
vcpus = 1
targets = 128M, 256M
INI

# swapping NAME: run NAME's ($runpid, in the background) swap file on ($file,
# from events.csv's swap event), its guest up (hello: a signal then ends it
# without the boot's wait for libvirt), and a hog's pages in the file ($hogpid)
swapping() {
	dir=$(run_dir "$RESULTS/$1") || return 1
	wait_for "$dir/events.csv" ',swap,' 300 || return 1
	file=$(csv_where "$dir/events.csv" event swap detail | sed -n 's/.* file=\([^" ]*\).*/\1/p' | head -n 1)
	wait_for "$dir/events.csv" ',hello,' 300 && hog "$1" && wait_for "$T/hog-$1" ready 60
}
# stop_swapping NAME SIG PID: NAME's file on with the hog's pages; SIG to PID: it
# ends within 2 s, and its events.csv says swap-left, naming the file and the guardian
stop_swapping() {
	local used took rc ts o
	used=$(on "$file")
	check "$1: the run's swap file is on and holds the test's process's pages ($file, ${used:-0} KiB)" \
		test -n "$file" -a "${used:-0}" -gt $((32 * 1024))
	kill -"$2" "$3"
	took=$(gone_in "$3" 10) || kill -9 "$3" 2>/dev/null
	wait "$3"
	rc=$?
	# (what the runner spent after the signal to the handover: events.csv's own times)
	ts=$(csv_awk '$c["event"] == "signal" { s = $c["t_s"] } $c["event"] == "swap-left" { l = $c["t_s"] } END { printf "%.2f", l - s }' "$dir/events.csv")
	o=$(own "$dir" "$took")
	check "$1: SIG$2: the run ends ${took:-over 10} s after it, $o s after its guest's destruction (within 2 s; exit $rc); events.csv says swap-left $ts s after the signal, naming the file and the guardian" \
		eval 'test $rc -eq 130 && awk -v t="$o" "BEGIN { exit !(t <= 2) }" &&
			grep -qF ",swap-left,\"file=$file (the guardian, after the run, removes it): " "$dir/events.csv"'
}

"$BB" run -s "$STATE" -o "$RESULTS/a" "$T/sl.ini" >"$T/out-a" 2>"$T/err-a" &
runpid=$!
swapping a
rc=$?
if [ $rc -ne 0 ] && grep -q "host-swap: another run's swap file .* is on" "$T/err-a"; then
	skip_rest "another run's host-swap file is on (a swap area is the whole host's): $(grep -m1 -o "another run's swap file [^ ]*" "$T/err-a")"
	finish
fi
# host-swap refused up front on this host (not root, a file system swapon
# refuses such as tmpfs or btrfs for the state dir, no swap in the kernel):
# the runner says why, before anything boots
if [ $rc -ne 0 ] && grep -q "sl.ini:[0-9]*: \[sl\] host-swap: \(this host cannot swap on a file in the state dir\|.* has free (\)" "$T/err-a"; then
	skip_rest "host-swap is refused here: $(grep -m1 -o "host-swap: .*" "$T/err-a" | cut -c1-120)"
	finish
fi
stop_swapping a INT $runpid
check "a: after the runner: the file still on (the guardian's to remove); no QEMU ($(qemus)), no domain cgroup ($(cgroups)), no budget cgroup ($(budget_dirs))" \
	eval 'on "$file" >/dev/null && test "$(qemus)" -eq 0 -a "$(cgroups)" -eq 0 -a "$(budget_dirs)" -eq 0'
# the guardian's first swapoff fails as the runner's did, and it says it tries again
wait_for "$T/err-a" "guardian of run .*: swapoff .*trying again" 10
ok $? "a: the guardian says its swapoff failed and that it tries again$(grep -m1 'trying again' "$T/err-a" | cut -c1-150 | sed 's/^/ # /')"

# b: a run started now in the same state dir waits for that guardian (b and d: the
# ASan+UBSan runner, where built: the start's sweep, the handover, the guardian's tries and record)
"${ASAN_RUN[@]}" run -s "$STATE" -o "$RESULTS/b" "$T/sl.ini" >"$T/out-b" 2>"$T/err-b" &
runb=$!
wait_for "$T/err-b" "waiting for the guardian of an earlier run" 10
ok $? "b: the next run waits for the earlier run's guardian$(grep -m1 'waiting for the guardian' "$T/err-b" | cut -c1-120 | sed 's/^/ # /')"
hog_end "$hogpid"
t0=$EPOCHREALTIME
# the guardian tries again within 4 s (its backoff's cap) of the process's end
wait_for "$T/err-a" "guardian of run .*: its swap file swapped off and removed at try" 15
rc=$?
tg=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
check "a: the guardian removed the file once it could ($tg s after the process ended)$(grep -m1 'removed at try' "$T/err-a" | sed 's/.*removed/ # removed/')" \
	eval 'test $rc -eq 0 && ! on "$file" && test ! -e "$file"'
wait_for "$T/err-b" "the earlier run's guardian is done" 10
ok $? "b: the next run goes on once the guardian is done$(grep -m1 'guardian is done' "$T/err-b" | sed 's/.*done/ # done/')"
wait_for "$T/err-b" "^run .*job(s) from" 60
rc=$?
check "b: the next run started and found nothing of it to remove, nothing it could not (the guardian had: nothing double-removed)" \
	eval 'test $rc -eq 0 && ! grep -q "host swap file" "$T/err-b"'

# c: the next run swaps too, is signalled; its guardian cannot swap off, by its bound
swapping b
fileb=$file
stop_swapping c TERM $runb
t0=$EPOCHREALTIME
# its guardian gives up 25 s after the runner's end (HR_GUARDIAN_WORK_S): 40 s at most here
wait_for "$T/err-b" "guardian of run .*: gave up on " 40
rc=$?
tg=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
gave=$(grep -m1 'gave up on' "$T/err-b")
check "c: the guardian gave up by its bound ($tg s after the run ended), saying so on the run's stderr, naming the file$(echo "$gave" | sed 's/.*gave up/ # gave up/' | cut -c1-150)" \
	eval 'test $rc -eq 0 && echo "$gave" | grep -qF "gave up on $fileb after" && awk -v t="$tg" "BEGIN { exit !(t >= 20 && t <= 32) }"'
tries=$(echo "$gave" | sed -n 's/.* after \([0-9]*\) tr.*/\1/p')
# the guardian said it last, then ends: its lock (5 s at most) before the checks of what it left
flock -w 5 "$STATE/lock" true
check "c: it tried again with a backoff (${tries:-?} tries: 0.25 s doubling to 4 s within 25 s, the last 1 s before it, is 10 or 11)" \
	test "${tries:-0}" -ge 5 -a "${tries:-0}" -le 12
check "c: the file is still on (nothing else removed it), and the guardian's note is beside it" \
	eval 'on "$fileb" >/dev/null && grep -q "the guardian of run .* gave up on it at .* (swapoff: Cannot allocate memory)" "$fileb.left"'
if dmesg >/dev/null 2>&1; then
	check "c: the kernel log says it (dmesg: $(dmesg | grep -F "cannot swap off $fileb" | tail -n 1 | cut -c1-120))" \
		eval 'dmesg | grep -qF "guardian of run" && dmesg | grep -qF "cannot swap off $fileb (Cannot allocate memory)"'
else
	skip "dmesg cannot read the kernel log here"
fi
check "c: the guardian let the state dir's lock go" flock -n "$STATE/lock" true
check "c: no QEMU ($(qemus)), no domain cgroup ($(cgroups)), no budget cgroup ($(budget_dirs)) left" \
	test "$(qemus)" -eq 0 -a "$(cgroups)" -eq 0 -a "$(budget_dirs)" -eq 0

# d: the process gone, the next run's start removes the file and says what it removed, and why it was left
hog_end "$hogpid"
"${ASAN_RUN[@]}" run -s "$STATE" -o "$RESULTS/d" "$T/plain.ini" >"$T/out-d" 2>"$T/err-d" &
rund=$!
wait_for "$T/err-d" "^run .*job(s) from" 120
ok $? "d: the next run starts"
rm_line=$(grep -m1 "removed host swap file" "$T/err-d")
check "d: its start removed the file, naming it and the guardian's record$(echo "$rm_line" | cut -c1-160 | sed 's/^/ # /')" \
	eval 'echo "$rm_line" | grep -qF "removed host swap file $fileb, which an earlier run left (swapped off) (the guardian of run " && echo "$rm_line" | grep -q "gave up on it at .* after [0-9]* tries"'
check "d: the file is off ($(on "$fileb" || echo not listed)) and gone, its note too" \
	eval '! on "$fileb" && test ! -e "$fileb" -a ! -e "$fileb.left"'
dir=$(run_dir "$RESULTS/d")
wait_for "$dir/events.csv" ',hello,' 300
kill -INT $rund
took=$(gone_in $rund 10) || kill -9 $rund 2>/dev/null
wait $rund
rc=$?
o=$(own "$dir" "$took")
check "d: SIGINT: it ends ${took:-over 10} s after it, $o s after its guest's destruction (within 2 s; exit $rc)" \
	eval 'test $rc -eq 130 && awk -v t="$o" "BEGIN { exit !(t <= 2) }"'
for _ in $(seq 300); do flock -n "$STATE/lock" true && [ -z "$(ls "$STATE"/*.swap 2>/dev/null)" ] && break; sleep 0.1; done
check "after it: no swap file ($(ls "$STATE"/*.swap* 2>/dev/null | wc -l)), none of ours on ($(grep -c "^$STATE/" /proc/swaps))" \
	test -z "$(ls "$STATE"/*.swap* 2>/dev/null)" -a "$(grep -c "^$STATE/" /proc/swaps)" -eq 0
check "after it: no QEMU ($(qemus)), no domain cgroup ($(cgroups)), no budget cgroup ($(budget_dirs))" \
	test "$(qemus)" -eq 0 -a "$(cgroups)" -eq 0 -a "$(budget_dirs)" -eq 0
check "after it: the guardians are gone (the state dir's lock is free)" flock -n "$STATE/lock" true
# the runs in the background cannot be run again as asan_run does where LeakSanitizer's tracer fails as a tool
if [ ! -x "$ASAN_BB" ]; then
	skip "no ASan build ($ASAN_BB)"
else
	cat "$T/err-b" "$T/err-d" >"$T/err-san"
	case $(san_classify "$T/err-san") in
	clean) ok 0 "b, d: the ASan+UBSan runner and its guardian reported no error, leak or undefined behaviour" ;;
	finding) ok 1 "b, d: the ASan+UBSan runner and its guardian reported no error, leak or undefined behaviour" ;;
	*) skip "b, d: the sanitizer failed as a tool (LeakSanitizer's tracer: environment.md), not a finding" ;;
	esac
fi
finish

#!/bin/bash
# vm-interrupt: Ctrl-C leaves no VM and keeps the samples, and acts at once during a boot; a killed run's VM and cgroups are reaped.
. "$(dirname "$0")/lib.sh"
require vm
plan 46

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
# every guest sample of the transitions recorded is in samples.csv (their
# count is transitions.csv's guest_samples; not a fixed number: kprobe
# samples come at most probe-sample-rate a second, 100 under TCG)
rows=$(grep -c ',guest,' "$dir/samples.csv")
took=$(csv_awk '{ n += $c["guest_samples"] } END { print n + 0 }' "$dir/transitions.csv")
check "SIGINT: samples kept ($rows guest rows, the transitions recorded took $took)" \
	test "$took" -gt 10 -a "$rows" -ge "$took"
grep -q INCOMPLETE "$T/err"; ok $? "SIGINT: says the run is incomplete"
# events.csv in time order: the signal's row (stamped by the handler) was
# once written at the end, after the rows of the guest's end it caused
csv_col "$dir/events.csv" t_s >"$T/ts"
check "SIGINT: events.csv is in time order ($(wc -l <"$T/ts") rows)" sort -g -c "$T/ts"
first=$(csv_col "$dir/events.csv" event | grep -x -m 1 -e signal -e failed)
check "SIGINT: the signal's row comes before the guest's end it caused (first: $first)" \
	test "$first" = signal

# A signal during a boot acts within 2 s, in every wait of it: the hello's
# (a boot takes 10-40 s under TCG, and a hung one as long as boot-timeout),
# and a QEMU start that does not finish (one stopped as it appears: a KVM
# probe that hangs). The run ends incomplete, with the signal as its reason.
#
# qemu_pids: this test's QEMUs, running or not yet reaped: the embedded
# driver's pid files (kept until libvirt has torn the QEMU down) and pgrep.
qemu_pids() {
	local f
	for f in "$STATE"/embed/run/qemu/bb-*.pid; do [ -f "$f" ] && head -c 16 "$f" && echo; done
	pgrep -f "qemu-system.*$STATE"
}
since() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "") print 99; else printf "%.2f", b - a }'; }
# signal_timed SIG PID: send SIG to the runner and follow, every 50 ms (30 s
# at most): acted = seconds until no QEMU of this test runs (a killed one is
# a zombie, which pgrep does not match), reaped = until each is gone from the
# process table too (libvirt waits for that; this sandbox's init reaps orphans
# only every second or two, a host's at once), exited = until the runner
# exited. The runner's own part: acted <= 2 s and exited - reaped <= 2 s.
# (The runner reaping its QEMUs itself, as their subreaper, cut the exit to
# 0.3 s but made libvirt's teardown of a dead QEMU fast enough to deadlock
# with the channel's abort: see guestboot.c hr_guest_close_stream.)
signal_timed() {
	local t0 seen alive q i
	seen=$(qemu_pids)
	t0=$(date +%s.%N)
	kill -"$1" "$2"
	acted= reaped= exited=
	for i in $(seq 600); do
		seen="$seen $(qemu_pids)"
		[ -z "$acted" ] && ! pgrep -f "qemu-system.*$STATE" >/dev/null && acted=$(date +%s.%N)
		if [ -n "$acted" ] && [ -z "$reaped" ]; then
			alive=
			for q in $seen; do kill -0 "$q" 2>/dev/null && alive=1; done
			[ -z "$alive" ] && reaped=$(date +%s.%N)
		fi
		[ -z "$exited" ] && ! kill -0 "$2" 2>/dev/null && exited=$(date +%s.%N)
		[ -n "$exited" ] && [ -n "$reaped" ] && break
		sleep 0.05
	done
	pids=$(echo $seen | tr ' ' '\n' | sort -u | tr '\n' ' ')
	own=$(since "$reaped" "$exited")
	acted=$(since "$t0" "$acted") reaped=$(since "$t0" "$reaped") exited=$(since "$t0" "$exited")
}
# boot_case NAME SIG: checks of a run that SIG stopped while booting
boot_case() {
	local rc
	wait "$pid"
	rc=$?
	diag "$1: QEMUs (${pids:-none}) ended $acted s after the $2, reaped after $reaped s; the runner exited after $exited s ($own s after the reaping)"
	check "$1: exit 130 (got $rc)" test $rc -eq 130
	check "$1: no QEMU of it runs $acted s after the signal (within 2 s)" \
		awk -v t="$acted" 'BEGIN { exit !(t <= 2) }'
	check "$1: the runner exited $own s after its QEMUs were reaped (within 2 s; $exited s after the signal)" \
		awk -v t="$own" 'BEGIN { exit !(t <= 2) }'
	check "$1: no VM left running" test "$(qemus)" -eq 0
	grep -E '"status"|incomplete_reason' "$dir/run.json" | sed "s/^/# /"
	check "$1: run.json incomplete, interrupted by a signal; events.csv: the $2 and the guest's failure" \
		sh -c "grep -q '\"status\": \"incomplete\"' '$dir/run.json' &&
			grep -q '\"incomplete_reason\": \"interrupted by a signal' '$dir/run.json' &&
			grep -q ',signal,\"$2 received' '$dir/events.csv' &&
			grep -q ',failed,\".*interrupted while booting' '$dir/events.csv'"
	check "$1: no cgroup of its domain left ($(cgroups))" test "$(cgroups)" -eq 0
}

# In a boot: its QEMU has run 0.3 s of CPU (the guest's kernel booting; its
# hello needs 2 s and more of it under TCG), the hello awaited. (A fixed 2 s
# after the boot event was once inside the boot; a faster boot said hello
# before it.)
for sig in SIGINT SIGTERM; do
	"$BB" run -s "$STATE" -o "$RESULTS/boot-$sig" "$T/long.ini" >"$T/out" 2>"$T/err" &
	pid=$!
	dir=$(run_dir "$RESULTS/boot-$sig")
	wait_for "$dir/events.csv" ",boot," 60
	for _ in $(seq 3000); do
		q=$(qemu_pids | head -n 1)
		[ -n "$q" ] && [ "$(awk '{ print $14 + $15 }' "/proc/$q/stat" 2>/dev/null || echo 0)" -ge 30 ] && break
		sleep 0.02
	done
	signal_timed "${sig#SIG}" $pid
	boot_case "$sig in a boot" $sig
done

# A start that never finishes: QEMU stopped as it appears (libvirt would wait
# for its monitor for 30 s), as a hung KVM probe's; SIGINT 2 s later.
"$BB" run -s "$STATE" -o "$RESULTS/hung" "$T/long.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/hung")
wait_for "$dir/events.csv" ",boot," 60
for _ in $(seq 1000); do q=$(pgrep -f "qemu-system.*$STATE" | head -n 1); [ -n "$q" ] && break; sleep 0.01; done
kill -STOP "$q"
sleep 2
signal_timed INT $pid
kill -CONT "$q" 2>/dev/null
boot_case "SIGINT 2 s into a QEMU start that hangs (${q:-no QEMU} stopped)" SIGINT

# accel=auto tries KVM first (--reprobe-kvm: whatever an earlier probe
# found); a SIGINT as the boot starts lands in that probe (here KVM's QEMU
# aborts at once, and libvirt takes a second or two to see it gone; on a
# host where KVM boots, the probe is that boot). The probe is given up: no
# TCG boot after it, no verdict on KVM cached.
scenario probe <<'INI'
[probe]
accel = auto
targets = 256M, 1G
cycles = 100
INI
"$BB" run --reprobe-kvm -s "$STATE" -o "$RESULTS/probe" "$T/probe.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/probe")
# the probe lasts a second or two here: look for its start every 10 ms
for _ in $(seq 6000); do grep -q ",boot," "$dir/events.csv" 2>/dev/null && break; sleep 0.01; done
signal_timed INT $pid
boot_case "SIGINT in the accel=auto KVM probe" SIGINT
show "$T/err"
if grep -q "no KVM on this host" "$T/err"; then
	skip "no KVM on this host: accel=auto makes no probe"
elif grep -qs '^broken' "$STATE/kvm-probe"; then
	# the verdict is cached only once the probe has ended without a signal
	# (guestboot.c boot): the SIGINT came after it, not in it
	skip "SIGINT in the KVM probe: the probe had ended before the signal (its verdict cached)"
else
	check "SIGINT in the KVM probe: the probe given up: no TCG boot after it" \
		sh -c "! grep -q 'under TCG' '$T/err'"
fi

# SIGKILL: nothing runs in the process any more; the next run must reap the VM.
"$BB" run -s "$STATE" -o "$RESULTS/b" "$T/long.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/b")
wait_for "$dir/events.csv" "hello" 120
# libvirt's lock files of the agent's channel (/var/lock/LCK..PATH, / made _)
# that this runner holds: it opened the channel; none where libvirt keeps none
lcks() { grep -lx " *$pid" /var/lock/LCK.."$(printf %s "$STATE" | tr / _)"_* 2>/dev/null | wc -l; }
held=$(lcks)
kill -KILL $pid
wait $pid 2>/dev/null
for _ in $(seq 50); do [ "$(qemus)" -eq 0 ] && break; sleep 0.1; done
check "SIGKILL: the runner's guardian ended its QEMU within 5 s" test "$(qemus)" -eq 0
# libvirt made cgroups for the domain (machine/ of each hierarchy) and, dead
# with the runner, removes none of them: the guardian does, within its 5 s
for _ in $(seq 60); do [ "$(cgroups)" -eq 0 ] && break; sleep 0.1; done
check "SIGKILL: the guardian removed the domain's cgroups too, from every hierarchy ($(cgroups) left)" \
	test "$(cgroups)" -eq 0
# and libvirt's lock file of the agent's channel, holding the dead runner's pid
if [ "$held" -gt 0 ]; then
	for _ in $(seq 60); do [ "$(lcks)" -eq 0 ] && break; sleep 0.1; done
	check "SIGKILL: the guardian removed libvirt's lock file of the agent's channel ($held held, $(lcks) left)" \
		test "$(lcks)" -eq 0
else
	skip "libvirt kept no lock file of the agent's channel here (/var/lock/LCK..)"
fi

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
# named whether the runner destroyed it or libvirt's reconnect stopped it
# first (its status file read before connecting: conn.c embed_leftovers)
killed=$(basename "$dir")
grep -q "reaped domain bb-${killed##*-}-long left running by killed run $killed" "$T/err"
ok $? "next run reaps the leftover domain, and names it and its run ($killed)"; show "$T/err"
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
for _ in $(seq 60); do [ "$(cgroups)" -eq 0 ] && break; sleep 0.1; done
check "SIGKILL while booting: the guardian removed its cgroups ($(cgroups) left)" test "$(cgroups)" -eq 0

"$BB" run -s "$STATE" -o "$RESULTS/e" "$T/dog.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/e")
wait_for "$dir/transitions.csv" ",reached,[0-9]" 120
guardian=$(pgrep -P $pid -x bb-guardian)
running=$(cgroups)	# the domain's, while it runs: 0 where libvirt makes none
t0=$(date +%s)
kill -KILL $pid $guardian
wait $pid 2>/dev/null
for _ in $(seq 90); do [ "$(qemus)" -eq 0 ] && break; sleep 0.1; done
took=$(( $(date +%s) - t0 ))
check "SIGKILL of runner and guardian (${guardian:-none found}) while moving: the agent's watchdog ended QEMU within 4 + 5 s (took $took s)" \
	test -n "$guardian" -a "$(qemus)" -eq 0
# Nobody removed that domain's cgroups (the guardian was killed too): the
# next run's start does, and says so.
# One directory a hierarchy: several under cgroup v1, one under v2 alone,
# where the runner says "1 cgroup directory"; none where libvirt makes no
# cgroup for a domain (unprivileged, or no writable hierarchy): then nothing
# was left to remove, and the check is skipped, saying so.
left=$(cgroups)
"$BB" run -s "$STATE" -o "$RESULTS/f" "$T/short.ini" >"$T/out" 2>"$T/err"
check "the next run after those starts cleanly (exit $?)" test $? -eq 0
grep "cgroup" "$T/err" | sed 's/^/# /'
if [ "${running:-0}" -eq 0 ]; then
	skip "libvirt made no cgroup for the running domain on this host: none to leave or remove"
else
	check "the next run removed the $left cgroup director(ies) the killed run left, and said so ($(cgroups) left)" \
		sh -c "test '$left' -gt 0 && grep -Eq 'removed $left cgroup director(y|ies) libvirt left' '$T/err' && test $(cgroups) -eq 0"
fi
check "no VM left running at the end" test "$(qemus)" -eq 0
finish

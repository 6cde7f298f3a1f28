#!/bin/bash
# vm-demand: the demand workload's working set follows its trace in a real
# guest (the guest's used memory rises by the trace's step and falls back:
# memory above the set is given back to the guest kernel), each guest on its
# own timeline (stagger=: the runner sends each guest its index), and its
# accesses are recorded like every workload's (latency per phase, 10 ms bins).
. "$(dirname "$0")/lib.sh"
require vm
plan 13

# Two guests; the trace, from the job's start line: 32 MiB for 8 s, 192 MiB
# until 20 s, then 32 MiB. stagger=6s: guest 1 runs 6 s behind guest 0 (192
# MiB from 14 s to 26 s). The schedule (a small change every 11 s, the last
# at 33 s) keeps both running past the end of guest 1's high, and gives the
# job inflating and deflating phases.
scenario demand <<'INI'
[global]
accel = tcg
memory = 512M
vcpus = 1
vms = 2
settle = 300ms

[demand]
workload = demand:shape=points,size=192M,points=0s:32M/8s:32M/8s:192M/20s:192M/20s:32M,stagger=6s,rate=2000,slow=1ms
warmup = 1s
targets = 480M, 512M, 480M, 512M
period = 11s
INI

"$BB" run -s "$STATE" -o "$RESULTS" "$T/demand.ini" >"$T/out" 2>"$T/err"
rc=$?
ok $rc "a job of two demand guests exits 0"
[ $rc -eq 0 ] || show "$T/err"
dir=$(ls -d "$RESULTS"/2* | head -n 1)
check "run.json says complete" grep -q '"status": "complete"' "$dir/run.json"

# The guest's used memory (MemTotal - MemFree, MiB) in its samples, in
# seconds after the job's start line (that guest's workload-go in events.csv,
# less the since_ms it carried).
# Before 8 s the trace is 32 MiB for both guests: their low level is the
# highest sample there. Then each guest's rise and fall, from its samples
# (no fixed window: first touches under TCG on a loaded host take as long as
# they take): the rise is seen between its last sample still low (at most
# low + 25 MiB) and its first sample high (at least low + 130 MiB, of the
# step's 160); the fall between its last sample high after that and its first
# low one again. Printed: LOW RISE_LOW RISE_HIGH FALL_HIGH FALL_LOW (-1: not seen).
levels() { # levels VM
	local t0
	# the start line: GO's time less the job's clock it carried (since_ms)
	t0=$(csv_awk -v v="$1" '$c["vm"] == v && $c["event"] == "workload-go" {
		s = 0; if (match($c["detail"], /since_ms=[0-9.]+/)) s = substr($c["detail"], RSTART + 9, RLENGTH - 9)
		print $c["t_s"] - s / 1000; exit }' "$dir/events.csv")
	csv_awk -v v="$1" -v t0="$t0" '
		$c["vm"] == v && $c["source"] == "guest" && $c["t_s"] >= t0 {
			print $c["t_s"] - t0, ($c["mem_total_kib"] - $c["mem_free_kib"]) / 1024
		}' "$dir/samples.csv" | sort -g | awk '
		{ t[n] = $1; u[n] = $2; n++ }
		END {
			lo = -1
			for (i = 0; i < n && t[i] < 8; i++) if (u[i] > lo) lo = u[i]
			rl = rh = fh = fl = -1
			if (lo >= 0) for (i = 0; i < n; i++) {
				if (rh < 0) { if (u[i] <= lo + 25) rl = t[i]; else if (u[i] >= lo + 130 && rl >= 0) rh = t[i] }
				else if (fl < 0) { if (u[i] >= lo + 130) fh = t[i]; else if (u[i] <= lo + 25) fl = t[i] }
			}
			printf "%d %.3f %.3f %.3f %.3f\n", lo, rl, rh, fh, fl
		}'
}
vms=$(csv_awk '$c["event"] == "workload-go" { print $c["vm"] }' "$dir/events.csv" | sort -u)
v0=$(echo "$vms" | sed -n 1p)
v1=$(echo "$vms" | sed -n 2p)
read -r lo0 rl0 rh0 fh0 fl0 <<<"$(levels "$v0")"
read -r lo1 rl1 rh1 fh1 fl1 <<<"$(levels "$v1")"
diag "guest 0 ($v0): low $lo0 MiB, rose between $rl0 and $rh0 s, fell between $fh0 and $fl0 s"
diag "guest 1 ($v1): low $lo1 MiB, rose between $rl1 and $rh1 s, fell between $fh1 and $fl1 s"
# The trace's steps: guest 0 up at 8 s and down at 20 s, guest 1 at 14 and 26.
# No guest is high before its step nor low again before its fall (its set is
# what the trace says at most): the first high sample is at or after the
# step, the first low one after the fall.
check "guest 0: the set rose by the trace's step (low $lo0 MiB, +130 MiB at $rh0 s, not before 8 s)" \
	awk -v l="$lo0" -v a="$rl0" -v b="$rh0" 'BEGIN { exit !(l >= 0 && a >= 0 && b >= 8) }'
check "guest 0: the memory above the set was given back (low again at $fl0 s, after 20 s)" \
	awk -v a="$fh0" -v b="$fl0" 'BEGIN { exit !(a >= 0 && b >= 20) }'
check "guest 1: high in its own window, not before its step at 14 s (+130 MiB at $rh1 s)" \
	awk -v l="$lo1" -v a="$rl1" -v b="$rh1" 'BEGIN { exit !(l >= 0 && a >= 0 && b >= 14) }'
# Guest 1 is 6 s behind guest 0 (stagger=6s). A guest's step is somewhere
# between its last low sample (less the time it takes to touch 25 MiB, which
# is less than the whole rise) and its first high one, so the difference of
# the two guests' first high samples is the stagger give or take the sum of
# the two rises' spans (last low to first high); the falls likewise.
check "guest 1 rose 6 s after guest 0 (give or take the spans of the two rises)" \
	awk -v a0="$rl0" -v b0="$rh0" -v a1="$rl1" -v b1="$rh1" 'BEGIN {
		tol = (b0 - a0) + (b1 - a1); d = b1 - b0 - 6
		printf "# first high samples %.3f s apart; tolerance %.3f s\n", b1 - b0, tol
		exit !(a0 >= 0 && a1 >= 0 && b1 > b0 && d <= tol && -d <= tol) }'
check "guest 1 fell 6 s after guest 0 (give or take the spans of the two falls)" \
	awk -v a0="$fh0" -v b0="$fl0" -v a1="$fh1" -v b1="$fl1" 'BEGIN {
		tol = (b0 - a0) + (b1 - a1); d = b1 - b0 - 6
		printf "# first low samples %.3f s apart; tolerance %.3f s\n", b1 - b0, tol
		exit !(a0 >= 0 && a1 >= 0 && b0 >= 0 && b1 > b0 && d <= tol && -d <= tol) }'

# At its end each guest's set is the trace's last size: 32 MiB.
bytes=$(grep ',workload-exit,' "$dir/events.csv" | sed -n 's/.*demand code=0 .*bytes=\([0-9]*\).*/\1/p' | sort -u)
check "both guests ended with the trace's last size, 32 MiB (bytes=$(echo $bytes))" test "$bytes" = 33554432
for ph in steady inflating deflating; do
	cnt=$(csv_awk -v p=$ph '$c["workload"] == "demand" && $c["phase"] == p && $c["kind"] == "access" { n += $c["n"] } END { print n + 0 }' "$dir/latency_stats.csv")
	check "demand: the $ph phase has an access-latency histogram ($cnt accesses)" test "$cnt" -gt 0
done
bins=$(csv_awk '$c["workload"] == "demand" { n += $c["accesses"] } END { print n + 0 }' "$dir/faults.csv")
check "demand: its accesses are in faults.csv's 10 ms bins ($bins)" test "$bins" -gt 10000
check "no VM left running" test "$(qemus)" -eq 0
finish

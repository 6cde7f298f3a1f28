#!/bin/bash
# vm-demand: the demand workload's working set follows its trace in a real
# guest (the guest's used memory rises by the trace's step and falls back:
# memory above the set is given back to the guest kernel), each guest on its
# own timeline (stagger=: the runner sends each guest its index), and its
# accesses are recorded like every workload's (latency per phase, 10 ms bins).
. "$(dirname "$0")/lib.sh"
require vm
plan 15

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
# less the since_ms it carried). Before 8 s the trace is 32 MiB for both
# guests: their low level is the median sample there (a brief spike, the
# first balloon move, does not move it). Then each guest's rise and fall from
# its samples, no fixed window (first touches, and giving 160 MiB back, take
# as long as they take under TCG on a loaded host): the rise from its last
# sample at or below low + 25 MiB (LAST_LOW) to its first at or above
# low + 130 MiB of the step's 160 (HIGH), its first sample above low + 25
# (RISE) showing it begun; the fall from its last sample at or above
# low + 130 after HIGH (LAST_HIGH) to its first at or below low + 25
# (LOW_AGAIN), its first sample below low + 130 (FALL) showing it begun.
# Printed: LOW LAST_LOW RISE HIGH LAST_HIGH FALL LOW_AGAIN (-1: not seen).
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
			for (i = 0; i < n && t[i] < 8; i++) low[m++] = u[i]
			for (i = 1; i < m; i++) for (j = i; j > 0 && low[j - 1] > low[j]; j--) { x = low[j]; low[j] = low[j - 1]; low[j - 1] = x }
			lo = m ? low[int((m - 1) / 2)] : -1
			ll = r = h = lh = f = la = -1
			if (lo >= 0) for (i = 0; i < n; i++) {
				if (h < 0) {
					if (u[i] <= lo + 25) { ll = t[i]; r = -1 }
					else if (ll >= 0) {
						if (r < 0) r = t[i]
						if (u[i] >= lo + 130) h = t[i]
					}
				} else if (la < 0) {
					if (u[i] >= lo + 130) { lh = t[i]; f = -1 }
					else {
						if (f < 0) f = t[i]
						if (u[i] <= lo + 25) la = t[i]
					}
				}
			}
			printf "%d %.3f %.3f %.3f %.3f %.3f %.3f\n", lo, ll, r, h, lh, f, la
		}'
}
vms=$(csv_awk '$c["event"] == "workload-go" { print $c["vm"] }' "$dir/events.csv" | sort -u)
v0=$(echo "$vms" | sed -n 1p)
v1=$(echo "$vms" | sed -n 2p)
read -r lo0 ll0 r0 h0 lh0 f0 la0 <<<"$(levels "$v0")"
read -r lo1 ll1 r1 h1 lh1 f1 la1 <<<"$(levels "$v1")"
diag "guest 0 ($v0): low $lo0 MiB; rose: low at $ll0 s, rising at $r0, high at $h0; fell: high at $lh0, falling at $f0, low at $la0"
diag "guest 1 ($v1): low $lo1 MiB; rose: low at $ll1 s, rising at $r1, high at $h1; fell: high at $lh1, falling at $f1, low at $la1"
# The trace's steps: guest k up at 8 + 6k s and down at 20 + 6k s. No guest's
# set grows before its step, nor shrinks before its fall (the set is what the
# trace says at most): the samples that show a change are after its step, give
# or take the error of the guest's clock on the run's (samples are placed by
# it, a GO by the host's clock): less than the interval between that sample
# and the one before, the slack allowed.
check "guest 0: the set rose by the trace's step (low $lo0 MiB; rising at $r0 s, not before 8 s; +130 MiB at $h0)" \
	awk -v l="$lo0" -v ll="$ll0" -v r="$r0" -v h="$h0" 'BEGIN { exit !(l >= 0 && ll >= 0 && 2 * r - ll >= 8 && h >= r) }'
check "guest 0: the memory above the set was given back (falling at $f0 s, not before 20 s; low again at $la0)" \
	awk -v lh="$lh0" -v f="$f0" -v la="$la0" 'BEGIN { exit !(lh >= 0 && 2 * f - lh >= 20 && la >= f) }'
check "guest 1: the set rose in its own window (rising at $r1 s, not before 14 s; +130 MiB at $h1)" \
	awk -v l="$lo1" -v ll="$ll1" -v r="$r1" -v h="$h1" 'BEGIN { exit !(l >= 0 && ll >= 0 && 2 * r - ll >= 14 && h >= r) }'
check "guest 1: given back in its own window (falling at $f1 s, not before 26 s; low again at $la1)" \
	awk -v lh="$lh1" -v f="$f1" -v la="$la1" 'BEGIN { exit !(lh >= 0 && 2 * f - lh >= 26 && la >= f) }'
# Each guest on its own timeline: its set was high for the trace's 12 s,
# from the start of its rise to the start of its fall. The GO's delay shifts
# both alike; what is left is when the samples fell and how long 25 MiB of
# first touches and the first of the giving back took: less than the whole
# rise (last low to high sample) plus the whole fall (last high to low
# sample), the tolerance; at least a quarter of the 12 s, as the stagger's
# check below allows half the stagger: a guest whose workload did not run for
# a second before its rise (its one vCPU not run by a host under a load of
# 8-17: seen once, 1 s late, its rise itself quick) still passes, and a
# window 3 s longer or shorter than the trace's does not. (A guest on
# another guest's timeline keeps its 12 s: the checks above, each end after
# its own step, and the stagger's below catch that.)
for k in 0 1; do
	eval "ll=\$ll$k r=\$r$k h=\$h$k lh=\$lh$k f=\$f$k la=\$la$k"
	check "guest $k: high for the trace's 12 s (rising to falling), give or take its rise and fall" \
		awk -v ll="$ll" -v r="$r" -v h="$h" -v lh="$lh" -v f="$f" -v la="$la" 'BEGIN {
			tol = (h - ll) + (la - lh); if (tol < 3) tol = 3; d = f - r - 12
			printf "# high for %.3f s; tolerance %.3f s\n", f - r, tol
			exit !(ll >= 0 && r >= 0 && lh >= 0 && f >= 0 && la >= 0 && d <= tol && -d <= tol) }'
done
# Guest 1 behind guest 0 by stagger=6s: nearer to 6 s behind than to in step
# or to 12 s behind (half the stagger either way), up and down.
check "guest 1 rose and fell about 6 s after guest 0 (within half the stagger)" \
	awk -v r0="$r0" -v r1="$r1" -v f0="$f0" -v f1="$f1" 'BEGIN {
		printf "# rising %.3f s apart, falling %.3f s apart\n", r1 - r0, f1 - f0
		exit !(r0 >= 0 && r1 >= 0 && f0 >= 0 && f1 >= 0 && r1 - r0 > 3 && r1 - r0 < 9 &&
		       f1 - f0 > 3 && f1 - f0 < 9) }'

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

#!/bin/bash
# vm-demand: the demand workload's working set follows its trace in a real
# guest (the guest's used memory rises by the trace's step and falls back:
# memory above the set is given back to the guest kernel), each guest on its
# own timeline (stagger=: the runner sends each guest its index), and its
# accesses are recorded like every workload's (latency per phase, 10 ms bins).
. "$(dirname "$0")/lib.sh"
require vm
plan 12

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

# The guest's used memory (MemTotal - MemFree, MiB) over windows of the trace,
# in seconds after the job's start line (that guest's workload-go in events.csv): the lowest
# or highest sample in the window. The windows leave 2 to 6 s around each
# step of the trace for the guest to get there (first touches under TCG).
used() { # used VM FROM TO min|max
	local t0
	t0=$(csv_awk -v v="$1" '$c["vm"] == v && $c["event"] == "workload-go" { print $c["t_s"]; exit }' \
		"$dir/events.csv")
	csv_awk -v v="$1" -v a="$(awk -v t="$t0" -v d="$2" 'BEGIN { print t + d }')" \
		-v b="$(awk -v t="$t0" -v d="$3" 'BEGIN { print t + d }')" -v how="$4" '
		$c["vm"] == v && $c["source"] == "guest" && $c["t_s"] >= a && $c["t_s"] <= b {
			u = ($c["mem_total_kib"] - $c["mem_free_kib"]) / 1024
			if (!n++ || (how == "min" && u < m) || (how == "max" && u > m)) m = u
		}
		END { printf "%d\n", n ? m : -1 }' "$dir/samples.csv"
}
vms=$(csv_awk '$c["event"] == "workload-go" { print $c["vm"] }' "$dir/events.csv" | sort -u)
v0=$(echo "$vms" | sed -n 1p)
v1=$(echo "$vms" | sed -n 2p)
# guest 0: low 2-7 s, high 14-19 s, low again 25-31 s
lo0=$(used "$v0" 2 7 max)
hi0=$(used "$v0" 14 19 min)
back0=$(used "$v0" 25 31 max)
# guest 1 (6 s behind): still low while guest 0 is high (9-13 s), high 20-25 s
mid1=$(used "$v1" 9 13 max)
lo1=$(used "$v1" 2 7 max)
hi1=$(used "$v1" 20 25 min)
diag "guest 0 ($v0) used MiB: low $lo0, high $hi0, low again $back0; guest 1 ($v1): low $lo1, still low $mid1, high $hi1"
check "guest 0: the set rose by the trace's step (high $hi0 >= low $lo0 + 130 MiB of 160)" \
	test "$lo0" -ge 0 -a "$hi0" -ge $((lo0 + 130))
check "guest 0: the memory above the set was given back (again $back0 <= low $lo0 + 25 MiB)" \
	test "$back0" -ge 0 -a "$back0" -le $((lo0 + 25))
check "guest 1: 6 s behind, still low while guest 0 is high ($mid1 <= $lo1 + 25 MiB)" \
	test "$mid1" -ge 0 -a "$mid1" -le $((lo1 + 25))
check "guest 1: high in its own window ($hi1 >= $lo1 + 130 MiB)" test "$lo1" -ge 0 -a "$hi1" -ge $((lo1 + 130))

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

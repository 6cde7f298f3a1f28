#!/bin/bash
# vm-scenarios: square wave, pace=period, per-node breakdown, two guests at once, deflate-on-oom vs not, skipped layouts.
. "$(dirname "$0")/lib.sh"
require vm
plan 15

scenario sc <<'INI'
[global]
accel = tcg
memory = 1G
settle = 200ms

; 3 cycles of a square wave, each change waiting for the last: 6 transitions
[square]
schedule = square
low = 512M
high = 1G
cycles = 3

; changes every 20 ms: too fast for any balloon (768 MiB in 20 ms is 37 GiB/s,
; 20x a fast KVM host's), so the first three are superseded, and say so
[period]
schedule = square
low = 256M
high = 1G
period = 20ms
cycles = 2
pace = period

; two guest cells: the per-node change must add up to what the balloon moved
[numa]
guest-numa = 2
targets = 384M, 1G

; two guests moving at once
[two]
vms = 2
vcpus = 1
targets = 512M, 1G

; the same grow with deflate-on-oom off and on (a matrix: jobs oom-1, oom-2)
[oom]
deflate-on-oom = 0, 1
workload = grow:size=600M,rate=60
warmup = 300ms
targets = 256M
settle = 14s

; a host layout this host may not have
[far]
host-numa-mode = strict
host-numa-nodes = 7
targets = 768M
INI

"$BB" run -s "$STATE" -o "$RESULTS" "$T/sc.ini" >"$T/out" 2>"$T/err"
rc=$?
ok $rc "run exits 0"
[ $rc -eq 0 ] || show "$T/err"
dir=$(ls -d "$RESULTS"/2* | head -n 1)
tr="$dir/transitions.csv"

# square
n=$(csv_where "$tr" job square end_reason | grep -c reached)
check "square: 3 cycles, all 6 transitions recorded and reached ($n)" test "$n" -eq 6
cyc=$(csv_where "$tr" job square cycle | sort -u | tr '\n' ' ')
check "square: cycles 0 1 2 ($cyc)" test "$cyc" = "0 1 2 "

# pace=period
rs=$(csv_where "$tr" job period end_reason | sort | uniq -c | tr -s ' ' | tr '\n' ';')
diag "pace=period: $rs"
check "pace=period: 4 changes recorded" test "$(csv_where "$tr" job period end_reason | wc -l)" -eq 4
check "pace=period: the three changes overtaken by the next are recorded as superseded" \
	test "$(csv_where "$tr" job period end_reason | head -n 3 | grep -c superseded)" -eq 3

# numa: node deltas add up to the balloon's movement
bad=0
while IFS= read -r line; do
	moved=${line%%|*}; nodes=${line#*|}
	sum=$(echo "$nodes" | tr ';' '\n' | awk -F: '{ s += $2 } END { print s + 0 }')
	[ -n "$nodes" ] || bad=1	# every transition has its breakdown
	within "$sum" "$(awk -v m="$moved" 'BEGIN { print -m }')" 2 || bad=1
	diag "numa: moved $moved MiB, per node $nodes (sum $sum)"
done < <(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "job") j = i; if ($i == "moved_mib") m = i; if ($i == "node_total_delta_mib") d = i } next }
	$j == "numa" { print $m "|" $d }' "$tr")
check "numa: every transition has per-node MemTotal changes, adding up to the movement (within 2 MiB)" test $bad -eq 0
nn=$(csv_where "$tr" job numa node_total_delta_mib | head -n 1 | tr ';' '\n' | wc -l)
check "numa: both guest nodes reported ($nn)" test "$nn" -eq 2

# two guests at once
vms=$(csv_where "$tr" job two vm | sort -u | wc -l)
check "two: two guests recorded ($vms)" test "$vms" -eq 2
# the two guests' schedules start together: their first changes planned for
# the same instant, and the two schedules (first target set to last end) ran
# at the same time. How late each change came is the host's (late_ms, seen
# 725 ms on a loaded host, where the first inflations no longer overlapped).
together=$(csv_awk '$c["job"] == "two" {
		v = $c["vm"]; if ($c["index"] == 0) p[v] = $c["planned_s"]
		if (!(v in s) || $c["t_set_s"] < s[v]) s[v] = $c["t_set_s"]
		e2 = $c["t_set_s"] + $c["t100_ms"] / 1000; if (e2 > e[v]) e[v] = e2 }
	END { n = 0; for (v in p) { n++; pl[n] = p[v]; st[n] = s[v]; en[n] = e[v] }
		d = pl[1] - pl[2]; if (d < 0) d = -d
		print (n == 2 && d < 0.001 && st[1] < en[2] && st[2] < en[1]) ? 1 : 0 }' "$tr")
check "two: their first changes planned for the same instant, their schedules run at once" test "$together" = 1
check "summary.csv has per-guest rows (v0, v1) for the two-guest job" \
	sh -c "grep -q ',two,\"\",v0,inflate,mean_rate_mib_s,' '$dir/summary.csv' && grep -q ',two,\"\",v1,' '$dir/summary.csv'"

# deflate-on-oom off vs on
# (the label column is quoted in the CSV: match the guest by its row, then its events by name)
off_vm=$(csv_awk '$0 ~ /deflate-on-oom=0/ { print $c["vm"]; exit }' "$tr")
on_vm=$(csv_awk '$0 ~ /deflate-on-oom=1/ { print $c["vm"]; exit }' "$tr")
off=$(csv_awk -v v="${off_vm:-none}" '$c["vm"] == v && $c["event"] == "oom-kill"' "$dir/events.csv" | wc -l)
on=$(csv_awk -v v="${on_vm:-none}" '$c["vm"] == v && $c["event"] == "oom-kill"' "$dir/events.csv" | wc -l)
diag "grow: OOM kills with deflate-on-oom off ($off_vm): $off, on ($on_vm): $on"
check "deflate-on-oom off: grow is OOM-killed" test -n "$off_vm" -a "$off" -ge 1
check "deflate-on-oom on: fewer OOM kills ($on < $off)" test "$on" -lt "$off"
defl=$(csv_awk -v v="$on_vm" '$c["vm"] == v && $c["source"] == "guest" { b = $c["balloon_mib"] } END { print b }' "$dir/samples.csv")
diag "deflate-on-oom on: balloon at the end $defl MiB (was 768)"
check "deflate-on-oom on: the guest took memory back from the balloon" awk -v b="$defl" 'BEGIN { exit !(b < 700) }'

# skipped layout
nodes=$(lstopo-no-graphics --only numanode 2>/dev/null | wc -l)
if [ "${nodes:-1}" -lt 8 ]; then
	grep -q "job far skipped: host-numa-nodes=7 needs host NUMA node 7" "$T/err" &&
		grep -q '"skipped": "host-numa-nodes=7 needs host NUMA node 7' "$dir/run.json" &&
		! grep -q ',far,' "$tr"
	ok $? "far: skipped, with the reason in the output and in run.json, and no transition"
else
	skip "this host has 8 or more NUMA nodes"
fi
check "no VM left running" test "$(qemus)" -eq 0
finish

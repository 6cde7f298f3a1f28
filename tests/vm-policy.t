#!/bin/bash
# vm-policy: the squeeze of issue 24's done-when. Three guests under one host
# budget that holds two of them filled but not three: under `none` the
# budget's OOM killer ends a QEMU; under `mom`, in the loop from the budget's
# creation (the bring-up phase, one guest's fill at a time: policyloop.h),
# every workload lives. The kills are counted from the kernel's own log
# (dmesg, read by this test) and the cgroup's own files (read by this test
# while the run goes), and the runner's figures (budget.csv, scores.csv) must
# say the same.
. "$(dirname "$0")/lib.sh"
require vm
plan 18

H=$(printf %s "$STATE/embed" | sha256sum | cut -c1-8)
MEM=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
if [ -z "$MEM" ] || [ ! -f "$MEM/memory.limit_in_bytes" ]; then
	skip_rest "no cgroup v1 memory controller here (a budget is refused up front)"
	finish
fi
if ! dmesg >/dev/null 2>&1; then
	skip_rest "the kernel log cannot be read here (dmesg): the kills could not be checked independently"
	finish
fi

# Sizes for TCG: a QEMU of this image holds about 230 MiB beyond what its
# guest touched; each guest touches 32 MiB (hold) and 128 MiB (prefill,
# freed: the host keeps it backed). Two such (about 2 x 390) and a third
# booted (230) fit 960 MiB; the third's fill (160 MiB more) does not,
# unless a policy takes the freed pages back first.
scenario sq <<'INI'
[global]
accel = tcg
memory = 512M
vms = 3
vcpus = 1
low = 160M
warmup-runs = 0
prefill = 128M
workload = hold:size=32M,rate=10000,slow=100us
host-budget = 960M
policy-period-scale = 0.2
policy-duration = 15s
on-guest-failure = continue

[none]
policy = none

[mom]
policy = mom
INI
"$BB" run -s "$STATE" -o "$RESULTS/a" "$T/sq.ini" >"$T/out" 2>"$T/err" &
pid=$!
# the cgroups' own record, read while the run goes (each budget's last values, by name)
mkdir -p "$T/cg"
while kill -0 $pid 2>/dev/null; do
	for d in "$MEM"/machine/bb-"$H"-*.partition; do
		[ -d "$d" ] || continue
		n=$(basename "$d")
		for f in memory.max_usage_in_bytes memory.limit_in_bytes memory.memsw.limit_in_bytes memory.failcnt; do
			v=$(cat "$d/$f" 2>/dev/null) && [ -n "$v" ] && echo "$v" >"$T/cg/$n.$f"
		done
	done
	sleep 0.5
done
wait $pid
rc=$?
dir=$(run_dir "$RESULTS/a")
E=$dir/events.csv D=$dir/decisions.csv B=$dir/budget.csv S=$dir/scores.csv
# (a guest lost to the budget fails the run's completeness: exit 1, every score kept)
check "the run went to its end (exit $rc: 0, or 1 for a failed guest)" test "$rc" -eq 0 -o "$rc" -eq 1
part() { csv_where "$E" event budget detail | grep "job=$1 " | sed -n 's/.*cgroup=machine\/\([^ ]*\.partition\).*/\1/p'; }
pn=$(part none) pm=$(part mom)
check "each job had its own budget cgroup ($pn, $pm)" test -n "$pn" -a -n "$pm" -a "$pn" != "$pm"
lim=$(cat "$T/cg/$pn.memory.limit_in_bytes" 2>/dev/null)
msw=$(cat "$T/cg/$pn.memory.memsw.limit_in_bytes" 2>/dev/null)
check "the cgroup's limit is the budget, 960 MiB ($lim), memory and swap 1 MiB above it ($msw) so that memory's failcnt counts" \
	test "$lim" = $((960 * 1048576)) -a \( -z "$msw" -o "$msw" = $((961 * 1048576)) \)

# the kernel's own record: its summary line of each kill of a budget's OOM killer
kn=$(dmesg | grep -c "oom-kill:constraint=CONSTRAINT_MEMCG,.*,oom_memcg=/machine/$pn,")
km=$(dmesg | grep -c "oom-kill:constraint=CONSTRAINT_MEMCG,.*,oom_memcg=/machine/$pm,")
# (a host with swap: the budget's memory and swap together hold the limit; none may swap instead of losing a QEMU)
swn=$(csv_awk '$c["kind"] == "budget" && $c["job"] == "none" && $c["swap_mib"] > m { m = $c["swap_mib"] } END { print m + 0 }' "$B")
check "none: the kernel log says its budget's OOM killer killed ($kn), or its QEMUs swapped ($swn MiB)" \
	eval 'test "$kn" -ge 1 || awk -v s="$swn" "BEGIN { exit !(s > 0) }"'
kpid=$(dmesg | grep "oom_memcg=/machine/$pn," | sed -n 's/.*,task=\([^,]*\),pid=\([0-9]*\),.*/\1 \2/p' | head -1)
if [ "$kn" -ge 1 ]; then
	check "none: the victim was a QEMU of the job ($kpid), its Killed process line there too" \
		eval 'case "$kpid" in qemu*) dmesg | grep -q "Killed process ${kpid#* } (qemu" ;; *) false ;; esac'
else
	skip "none swapped, no kill (host swap)"
fi
fn=$(cat "$T/cg/$pn.memory.failcnt" 2>/dev/null) mx=$(cat "$T/cg/$pn.memory.max_usage_in_bytes" 2>/dev/null)
check "none: the cgroup's own failcnt counted the limit's hits ($fn), its max usage at the limit ($((mx / 1048576)) MiB)" \
	test "${fn:-0}" -gt 0 -a "${mx:-0}" -le "$lim" -a "${mx:-0}" -ge $((lim - 8 * 1048576))
bk() { csv_awk -v j="$1" '$c["kind"] == "budget" && $c["job"] == j && $c["kmsg_oom_kills"] > m { m = $c["kmsg_oom_kills"] } END { print m + 0 }' "$B"; }
check "none: budget.csv's kmsg_oom_kills is the kernel log's count ($(bk none) = $kn)" test "$(bk none)" -eq "$kn"
nh=$(csv_where "$E" event host-oom-kill detail | grep -c "job=none ")
check "none: each kill is a host-oom-kill event ($nh)" test "$nh" -eq "$kn"
sc() { csv_awk -v j="$1" -v col="$2" '$c["job"] == j && $c["vm"] == "all" { print $c[col] }' "$S"; }
check "none: scores say the kills ($(sc none host_oom_kills)) and the guests lost ($(sc none guests_failed), at least one a kill)" \
	test "$(sc none host_oom_kills)" = "$kn" -a "$(sc none guests_failed)" -ge $((kn > 0 ? 1 : 0))

# mom: in the loop from the budget's creation, it made room before the third fill
check "mom: no kill of its budget in the kernel log ($km), nor in budget.csv ($(bk mom))" test "$km" -eq 0 -a "$(bk mom)" -eq 0
check "mom: every guest lived (scores: guests_failed $(sc mom guests_failed), host_oom_kills $(sc mom host_oom_kills))" \
	test "$(sc mom guests_failed)" = 0 -a "$(sc mom host_oom_kills)" = 0
nx=$(csv_awk '$c["vm"] ~ /-mom-v/ && $0 ~ /,workload-exit,"hold code=0 signal=0 oom=0 / { n++ } END { print n + 0 }' "$E")
check "mom: every workload ran to its end, none killed in its guest ($nx of 3)" test "$nx" -eq 3
nb=$(csv_awk '$c["job"] == "mom" && $c["phase"] == "bring-up" && $c["set"] == 1 { n++ } END { print n + 0 }' "$D")
check "mom: it proposed targets in the bring-up phase, before the start line ($nb)" test "$nb" -gt 0
room=$(csv_where "$E" event bringup-turn detail | grep "job=mom " | grep -c "no room made")
nt=$(csv_where "$E" event bringup-turn detail | grep -c "job=mom ")
# (mom makes room while the third boots, or while it waits: either way before its fill)
check "mom: each of its 3 fills began with room in the budget for it ($nt turns, $room without room)" \
	test "$nt" -eq 3 -a "$room" -eq 0
mm=$(cat "$T/cg/$pm.memory.max_usage_in_bytes" 2>/dev/null)
check "mom: the budget held, its max usage $((mm / 1048576)) MiB of 960 (the cgroup's own)" test -n "$mm" -a "${mm:-0}" -le "$lim"
# the scores' window is the run phase: the first and last run-phase decision (decisions.csv)
win=$(csv_awk '$c["job"] == "mom" && $c["phase"] == "run" { t = $c["t_s"] + 0; if (!n++ || t < a) a = t; if (t > b) b = t } END { print b - a }' "$D")
# (each guest's host samples in it: its span at most the window, at least the window less two samples at rest, 1 s each)
check "mom: the scores' span is three guests over the run phase's window ($(sc mom span_s) s, 3 x $win s)" \
	awk -v s="$(sc mom span_s)" -v w="$win" 'BEGIN { exit !(w > 5 && s <= 3 * w + 0.01 && s >= 3 * (w - 2)) }'
check "report.html embeds the budget's samples and the decisions for its policies section" \
	eval 'grep -q "\"budget\":{\"columns\":\[\"t_s\",\"job\"" "$dir/report.html" && grep -q "\"decisions\":{\"columns\"" "$dir/report.html"'
check "after the run: no budget cgroup, domain cgroup or QEMU left" \
	test -z "$(ls -d "$MEM"/machine/bb-"$H"-*.partition 2>/dev/null)" -a "$(cgroups)" -eq 0 -a "$(qemus)" -eq 0
finish

#!/bin/bash
# vm-policy: the squeeze of issue 24's done-when. Four guests under one host
# budget that holds three of them filled but not four: under `none` the
# budget's OOM killer ends a QEMU; under `mom`, in the loop from the budget's
# creation (the bring-up phase, one guest's fill at a time: policyloop.h),
# every workload lives. The kills are counted from the kernel's own log
# (dmesg, read by this test) and the cgroup's own files (read by this test
# while the run goes), and the runner's figures (budget.csv, scores.csv) must
# say the same.
. "$(dirname "$0")/lib.sh"
require vm
plan 20

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

# Sizes, derived here: what a QEMU of this image holds beyond what its guest
# touched depends on the QEMU (version, TCG's translation cache, how long it
# ran), so a first run of the same N guests without a budget measures
# it: Q, the most anonymous memory each guest's QEMU held (its host samples'
# qemu_anon_kib: what the budget's cgroup is charged for a QEMU; its RSS also
# counts the binary's and libraries' file pages, shared and charged once, if
# at all), the N added. Each guest touches 16 MiB (hold) and P = 80 MiB
# (prefill, freed: the host keeps it backed). The budget is B = Q - 64 MiB:
# under `none` the last fill must meet the limit (by 64 MiB, whatever Q
# is). A policy that takes back the freed pages (NP) has B - (Q - NP) =
# NP - 64 = 256 MiB of room at most, more than the last fill needs (need =
# 16 + P + 32 = 128 MiB, policyloop.c fill_mib) and than MOM's line below. MOM shrinks only while the budget
# is less than 20 % free, so the room wait can be met only where the need is
# below 20 % of B: with a margin, need <= 17 % of B, else mom's outcome
# checks are skipped (a QEMU too lean for this squeeze). Why four guests:
# need/B is about (16 + P + 32) / (N x F), F a filled guest's QEMU; a TCG
# QEMU booted through PVH holds F = 262 MiB here, and three of them (B = 723
# MiB) put the need at 17.7 % of B, four (B = 984 MiB) at 13 %.
P=80 N=4
# the guests of both runs: the probe's and the squeeze's
GUESTS="accel = tcg
memory = 512M
vms = $N
vcpus = 1
low = 96M
warmup-runs = 0
prefill = ${P}M
workload = hold:size=16M,rate=10000,slow=100us
policy-period-scale = 0.2
policy-duration = 15s"
scenario probe <<INI
[global]
$GUESTS

[probe]
policy = none
INI
"$BB" run -s "$STATE" -o "$RESULTS/p" "$T/probe.ini" >"$T/pout" 2>"$T/perr"
prc=$?
pdir=$(run_dir "$RESULTS/p")
Q=$(csv_awk '$c["source"] == "host" && $c["qemu_anon_kib"] > m[$c["vm"]] { m[$c["vm"]] = $c["qemu_anon_kib"] }
	END { for (v in m) { s += m[v]; n++ } if (n == '$N') print int(s / 1024 + 0.999) }' "$pdir/samples.csv" 2>/dev/null)
if [ "$prc" -ne 0 ] || [ "${Q:-0}" -lt $((N * (16 + P))) ]; then
	check "probe: $N filled guests' QEMUs measured (exit $prc, Q ${Q:-?} MiB)" false
	skip_rest "no measure of $N filled guests' QEMUs"
	finish
fi
check "probe: $N filled guests' QEMUs held at most $Q MiB of anonymous memory" true
BUD=$((Q - 64)) NEED=$((16 + P + 32)) F=$((Q / N)) MIN=$((N * (96 + 128)))
# (the runner refuses a budget below the floors and 128 MiB a QEMU: N x (96 + 128) MiB)
if [ "$BUD" -lt $MIN ]; then
	skip_rest "this host's QEMUs are too lean for the squeeze (Q $Q MiB: a budget of $BUD MiB is below the runner's minimum, $MIN)"
	finish
fi
roomok=$(awk -v n=$NEED -v b=$BUD 'BEGIN { print (n <= 0.17 * b) ? 1 : 0 }')
cat >"$T/sq.ini" <<INI
[global]
$GUESTS
host-budget = ${BUD}M
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
check "the cgroup's limit is the budget, $BUD MiB ($lim), memory and swap 1 MiB above it ($msw) so that memory's failcnt counts" \
	test "$lim" = $((BUD * 1048576)) -a \( -z "$msw" -o "$msw" = $(((BUD + 1) * 1048576)) \)

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
if [ "$roomok" = 1 ]; then
check "sizes: the fill's need ($NEED MiB) is well below MOM's 20 % line of the budget ($BUD MiB: at most 17 %)" \
	test $((NEED * 100)) -le $((17 * BUD))
check "mom: no kill of its budget in the kernel log ($km), nor in budget.csv ($(bk mom))" test "$km" -eq 0 -a "$(bk mom)" -eq 0
check "mom: every guest lived (scores: guests_failed $(sc mom guests_failed), host_oom_kills $(sc mom host_oom_kills))" \
	test "$(sc mom guests_failed)" = 0 -a "$(sc mom host_oom_kills)" = 0
nx=$(csv_awk '$c["vm"] ~ /-mom-v/ && $0 ~ /,workload-exit,"hold code=0 signal=0 oom=0 / { n++ } END { print n + 0 }' "$E")
check "mom: every workload ran to its end, none killed in its guest ($nx of $N)" test "$nx" -eq $N
nb=$(csv_awk '$c["job"] == "mom" && $c["phase"] == "bring-up" && $c["set"] == 1 { n++ } END { print n + 0 }' "$D")
check "mom: it proposed targets in the bring-up phase, before the start line ($nb)" test "$nb" -gt 0
room=$(csv_where "$E" event bringup-turn detail | grep "job=mom " | grep -c "no room made")
nt=$(csv_where "$E" event bringup-turn detail | grep -c "job=mom ")
# (mom makes room while the third boots, or while it waits: either way before its fill)
check "mom: each of its $N fills began with room in the budget for it ($nt turns, $room without room)" \
	test "$nt" -eq $N -a "$room" -eq 0
else
	skip_n 6 "this host's QEMU is lean (F $F MiB): the fill's need ($NEED MiB) is not well below MOM's 20 % line of $BUD MiB, MOM stops making room before it"
fi
mm=$(cat "$T/cg/$pm.memory.max_usage_in_bytes" 2>/dev/null)
# (the kernel keeps max usage at most the limit: what can fail is the runner's own record of it)
bm=$(csv_awk '$c["kind"] == "budget" && $c["job"] == "mom" && $c["max_usage_mib"] > m { m = $c["max_usage_mib"] } END { print m + 0 }' "$B")
bl=$(csv_awk '$c["kind"] == "budget" && $c["job"] == "mom" && ($c["usage_mib"] > $c["max_usage_mib"] + 0.001 || $c["limit_mib"] != '"$BUD"' || ($c["memsw_usage_mib"] != "" && $c["memsw_usage_mib"] > '"$BUD"' + 1.001)) { n++ } END { print n + 0 }' "$B")
check "mom: budget.csv's max usage ($bm MiB) is the cgroup's own ($((mm / 1048576)) MiB, read by this test), each row's usage within it, its limit $BUD, memory and swap within $BUD + 1 MiB ($bl rows otherwise)" \
	awk -v b="$bm" -v m="${mm:-0}" -v n="$bl" 'BEGIN { m /= 1048576; exit !(m > 0 && b <= m + 0.001 && b >= m - 2 && n == 0) }'
# the scores' window is the run phase: the first and last run-phase decision (decisions.csv)
win=$(csv_awk '$c["job"] == "mom" && $c["phase"] == "run" { t = $c["t_s"] + 0; if (!n++ || t < a) a = t; if (t > b) b = t } END { print a, b }' "$D")
# (each guest's host samples in it, as scores.c counts them: the time from a sample with an actual to the next)
exp=$(csv_awk -v a="${win% *}" -v b="${win#* }" '$c["vm"] ~ /-mom-v/ && $c["source"] == "host" && $c["t_s"] >= a && $c["t_s"] <= b {
	v = $c["vm"]; t = $c["t_s"] + 0
	if (v in lt) { if (t > lt[v]) { if (lv[v] != "") s += t - lt[v]; lt[v] = t; lv[v] = $c["actual_mib"] } }
	else { lt[v] = t; lv[v] = $c["actual_mib"] } } END { printf "%.3f", s }' "$dir/samples.csv")
check "mom: the scores' span is its guests' host samples over the run phase's window ($(sc mom span_s) s; samples.csv: $exp s over $win)" \
	awk -v s="$(sc mom span_s)" -v e="$exp" 'BEGIN { exit !(e > 5 && s - e < 0.01 && e - s < 0.01) }'
check "report.html embeds the budget's samples and the decisions for its policies section" \
	eval 'grep -q "\"budget\":{\"columns\":\[\"t_s\",\"job\"" "$dir/report.html" && grep -q "\"decisions\":{\"columns\"" "$dir/report.html"'
check "after the run: no budget cgroup, domain cgroup or QEMU left" \
	test -z "$(ls -d "$MEM"/machine/bb-"$H"-*.partition 2>/dev/null)" -a "$(cgroups)" -eq 0 -a "$(qemus)" -eq 0
finish

#!/bin/bash
# vm-overcommit: three guests under a host budget below their nominal total,
# MOM's rules in the loop (issue 24). The budget's cgroup, read from
# /sys/fs/cgroup by this test, holds every QEMU of the job under the limit;
# every decision is recorded, within [floor, nominal], and every target the
# guests went to was one of them; the budget's samples are there; nothing of
# the budget is left after the run, after a killed runner (the guardian), or
# of an earlier run (the next run's start). host-swap: a guest under a tight
# budget swaps to the run's own swap file (swapped on above the host's, the
# budget's memory and swap limit raised by its size) instead of meeting the
# OOM killer; the file is swapped off and removed after the run, after a
# killed runner (the guardian), and an earlier run's by the next run's start.
. "$(dirname "$0")/lib.sh"
require vm
host_swap_turn	# with the other host-swap test, in turn (lib.sh)
plan 51

H=$(printf %s "$STATE/embed" | sha256sum | cut -c1-8)
MEM=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
# budget_dirs: this test's budget cgroups (machine/bb-HASH-*.partition), every hierarchy
budget_dirs() {
	local m
	for m in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts); do
		ls -d "$m"/machine/bb-"$H"-*.partition 2>/dev/null
	done | wc -l
}
# budget_qemu: the memory cgroup of the budget once a QEMU of this test is in it (a domain's cgroup inside)
budget_qemu() {
	local d p
	for d in "$MEM"/machine/bb-"$H"-*.partition; do
		for p in $(cat "$d"/qemu-embed-"$H"-*/cgroup.procs 2>/dev/null); do
			pgrep -f "qemu-system.*$STATE" | grep -qx "$p" && { echo "$d"; return 0; }
		done
	done
	return 1
}
if [ -z "$MEM" ] || [ ! -f "$MEM/memory.limit_in_bytes" ]; then
	skip_rest "no cgroup v1 memory controller here (a budget is refused up front)"
	finish
fi
# swaps_name: @1 as /proc/swaps writes a file name (a blank \040, a tab \011, a newline \012, a backslash \134)
swaps_name() { printf %s "$1" | sed 's/\\/\\134/g; s/ /\\040/g; s/\t/\\011/g' | sed ':a;N;$!ba;s/\n/\\012/g'; }
SWP=$(swaps_name "$(realpath -m "$STATE")/")
export SWP
# our_swaps: this test's swap areas that are on (/proc/swaps, what swapon --show reads)
our_swaps() { awk 'NR > 1 && index($1, ENVIRON["SWP"]) == 1' /proc/swaps | wc -l; }
# never leave a swap area of ours on (rm -rf of an active swap file would orphan it); ours are in $STATE
trap 'for f in "$STATE"/*.swap; do [ -f "$f" ] && swapoff "$f" 2>/dev/null; done; cleanup' EXIT

# An earlier run's budget left behind (a runner killed with its guardian): the next run removes it.
mkdir -p "$STATE" "$MEM/machine/bb-$H-dead-w9.partition"
# ... and its swap file, on (its guardian killed too)
stale=$STATE/bb-$H-dead-w9.swap
if command -v mkswap >/dev/null && command -v swapon >/dev/null && fallocate -l 4M "$stale" &&
	chmod 600 "$stale" && mkswap "$stale" >/dev/null 2>&1 && swapon "$stale" 2>/dev/null; then
	stale_on=1
else
	stale_on=0
	rm -f "$stale"
fi
# ... and a symlink named like a swap file of an earlier run, to a file that is not ours to touch
echo "not a swap area" >"$T/victim"
ln -s "$T/victim" "$STATE/bb-$H-link-w9.swap"

scenario oc <<'INI'
[oc]
accel = tcg
memory = 320M
vms = 3
vcpus = 1
low = 96M
host-budget = 80%
policy = mom
policy-period-scale = 0.2
policy-duration = 20s
workload = touch:size=64M
INI
"$BB" run --dry-run -s "$STATE" -o "$RESULTS/dry" "$T/oc.ini" >"$T/dry" 2>&1
grep -q "job oc: host budget 768 MiB over its 3 guest(s) of 320 MiB" "$T/dry"
ok $? "dry run: says the budget (768 MiB, 80 % of 3 x 320 MiB)$(grep -m1 budget "$T/dry" | cut -c1-100 | sed 's/^/ # /')"

"$BB" run -s "$STATE" -o "$RESULTS/a" "$T/oc.ini" >"$T/out" 2>"$T/err" &
pid=$!
cg=
for _ in $(seq 1800); do cg=$(budget_qemu) && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
check "the budget's cgroup holds a QEMU of this run ($cg)" test -n "$cg"
check "the earlier run's budget cgroup was removed at the start" test ! -d "$MEM/machine/bb-$H-dead-w9.partition"
if [ "$stale_on" -eq 1 ]; then
	check "the earlier run's swap file was swapped off ($(our_swaps) of ours on) and removed at the start" \
		test "$(our_swaps)" -eq 0 -a ! -e "$stale"
else
	skip "cannot make a swap file here to leave behind (mkswap, swapon)"
fi
check "a symlink named like an earlier run's swap file was left alone at the start, its target too" \
	test -L "$STATE/bb-$H-link-w9.swap" -a -s "$T/victim"
rm -f "$STATE/bb-$H-link-w9.swap"
lim=$(cat "$cg/memory.limit_in_bytes" 2>/dev/null)
check "memory.limit_in_bytes is the budget, 768 MiB ($lim)" test "$lim" = $((768 * 1048576))
if [ -f "$cg/memory.memsw.limit_in_bytes" ]; then
	sw=$(cat "$cg/memory.memsw.limit_in_bytes")
	check "memory.memsw.limit_in_bytes: memory and swap together under it and 1 MiB (memory's failcnt counts: policy.md) ($sw)" \
		test "$sw" = $((lim + 1048576))
else
	skip "swap is not accounted here (no memory.memsw.*)"
fi
# (the guests boot one at a time: on a crowded host the third starts minutes after the first)
for _ in $(seq 3000); do
	nq=0	# (a cgroup file's size is 0: read it)
	for d in "$cg"/qemu-embed-"$H"-*; do [ -n "$(cat "$d/cgroup.procs" 2>/dev/null)" ] && nq=$((nq + 1)); done
	[ "$nq" -ge 3 ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
check "all three domains' cgroups are inside the budget ($nq)" test "$nq" -eq 3
# the budget's own record, read while the guests run, and again as late as the cgroup lives
maxu=0
while [ -f "$cg/memory.max_usage_in_bytes" ]; do
	m=$(cat "$cg/memory.max_usage_in_bytes" 2>/dev/null) && [ -n "$m" ] && maxu=$m
	kill -0 $pid 2>/dev/null || break
	sleep 0.5
done
wait $pid
rc=$?
check "the run completes (exit $rc)" test $rc -eq 0
dir=$(run_dir "$RESULTS/a")
# the kernel holds usage under the limit; what can fail: the guests filled the
# budget (a run earlier: 767.7 of 768 MiB), and this test read its max usage at all
check "the guests filled the budget: its max usage $((maxu / 1048576)) MiB within 8 MiB under its limit" \
	test "$maxu" -gt 0 -a "$maxu" -le "$lim" -a "$maxu" -ge $((lim - 8 * 1048576))

D=$dir/decisions.csv B=$dir/budget.csv
nd=$(csv_awk 'END { print NR - 1 }' "$D")
check "decisions.csv has rows ($nd)" test "$nd" -gt 0
bad=$(csv_awk '$c["target_mib"] + 0 < $c["floor_mib"] || $c["target_mib"] + 0 > $c["nominal_mib"] || $c["policy"] != "mom" || $c["reason"] == "" { n++ } END { print n + 0 }' "$D")
check "every decision: policy mom, a reason, a target within [floor, nominal] ($bad not)" test "$bad" -eq 0
ng=$(csv_col "$D" vm | sort -u | wc -l)
check "every guest has decisions ($ng)" test "$ng" -eq 3
# MOM's rule: a budget less than 20 % free shrinks every guest above its floor
tight=$(csv_awk '$c["budget_usage_mib"] > 0.8 * $c["budget_limit_mib"] && $c["prev_target_mib"] > $c["floor_mib"] { n++ } END { print n + 0 }' "$D")
set=$(csv_awk '$c["set"] == 1 { n++ } END { print n + 0 }' "$D")
if [ "$tight" -gt 0 ]; then
	check "the budget was under 20 % free at $tight decisions: targets were proposed ($set)" test "$set" -gt 0
else
	skip "the budget never came under 20 % free (no shrink due)"
fi
# every target a guest went to was a decision of the policy for it
csv_awk '$c["set"] == 1 { printf "%s %.0f\n", $c["vm"], $c["target_mib"] }' "$D" | sort -u >"$T/proposed"
csv_awk '{ printf "%s %.0f\n", $c["vm"], $c["to_mib"] }' "$dir/transitions.csv" | sort -u >"$T/applied"
na=$(wc -l <"$T/applied")
# (a target proposed, none applied would be the policy's proposals lost)
check "every target applied ($na) was proposed by the policy ($set set), at least one applied if any was set" \
	test -z "$(comm -13 "$T/proposed" "$T/applied")" -a \( "$set" -eq 0 -o "$na" -gt 0 \)
head -n 1 "$B" | tr , '\n' >"$T/bcols"
nc=$(grep -cx -e usage_mib -e limit_mib -e max_usage_mib -e failcnt -e memsw_usage_mib -e swap_mib -e rss_mib -e vmswap_mib "$T/bcols")
check "budget.csv has the budget's usage, limit, max usage, failcnt, swap and QEMU's RSS and VmSwap columns ($nc of 8)" test "$nc" -eq 8
nb=$(csv_awk '$c["kind"] == "budget" && $c["limit_mib"] == "768.000" && $c["failcnt"] != "" { n++ } END { print n + 0 }' "$B")
check "budget rows with the limit and a failcnt ($nb)" test "$nb" -gt 5
rmax=$(csv_awk '$c["kind"] == "budget" && $c["max_usage_mib"] > m { m = $c["max_usage_mib"] } END { printf "%.0f", m * 1048576 }' "$B")
check "the runner's max usage ($((rmax / 1048576)) MiB) is the cgroup's as this test read it" within "$rmax" "$maxu" 1048576
nr=$(csv_awk '$c["kind"] == "qemu" && $c["rss_mib"] > 0 { v[$c["vm"]] = 1 } END { print length(v) }' "$B")
check "each guest's QEMU has VmRSS rows ($nr)" test "$nr" -eq 3
# the scores (scores.csv), each against what this test derives from the other files itself
S=$dir/scores.csv
sc() { csv_awk -v col="$1" '$c["job"] == "oc" && $c["vm"] == "all" { print $c[col] }' "$S"; }
nom=$(python3 -c 'import json,sys; print(sum(v["memory_mib"] for v in json.load(open(sys.argv[1]))["vms"] if v["job"] == "oc"))' "$dir/run.json")
check "scores: overcommit ratio = nominal ($nom MiB, run.json) / the budget's limit (768 MiB) exactly ($(sc overcommit_ratio))" \
	test "$(sc overcommit_ratio)" = "$(awk -v n="$nom" 'BEGIN { printf "%.4f", n / 768 }')"
churn=$(csv_awk '$c["job"] == "oc" { m = $c["moved_mib"]; s += m < 0 ? -m : m; n++ } END { printf "%.3f %d", s, n }' "$dir/transitions.csv")
check "scores: churn and changes are the transitions' sum of |moved_mib| and their count ($churn: $(sc churn_mib) $(sc changes))" \
	test "$churn" = "$(sc churn_mib) $(sc changes)"
nset=$(csv_awk '$c["job"] == "oc" && $c["set"] == 1 { n++ } END { print n + 0 }' "$D")
# (a target set and a saving are due only where the budget came under 20 % free: $tight, above)
check "scores: decisions_set is decisions.csv's set = 1 rows ($nset), with a decide-to-target time where one was set ($(sc decide_to_target_ms) ms)" \
	test "$(sc decisions_set)" = "$nset" -a \( "$tight" -eq 0 -o \( "$nset" -gt 0 -a -n "$(sc decide_to_target_ms)" \) \)
# memory saved: the host samples' (nominal - actual) held to the next sample, added over the
# guests, in the policy's window (its first run-phase decision to its last)
win=$(csv_awk '$c["job"] == "oc" && $c["phase"] == "run" { t = $c["t_s"] + 0; if (!n++ || t < a) a = t; if (t > b) b = t } END { print a, b }' "$D")
saved=$(csv_awk -v w="$win" 'BEGIN { split(w, W, " ") } $c["source"] == "host" && $c["actual_mib"] != "" && $c["t_s"] >= W[1] && $c["t_s"] <= W[2] {
	v = $c["vm"]; t = $c["t_s"]; if (v in lt && t > lt[v]) s += (320 - la[v]) * (t - lt[v]); lt[v] = t; la[v] = $c["actual_mib"] }
	END { printf "%.3f", s / 1024 }' "$dir/samples.csv")
positive() { awk -v a="$1" 'BEGIN { exit !(a > 0) }'; }
check "scores: memory saved, $(sc saved_gib_s) GiB*s, is samples.csv's own integral ($saved), above 0 where mom had to shrink" \
	eval 'within "$(sc saved_gib_s)" "$saved" 0.002 && { [ "$tight" -eq 0 ] || positive "$saved"; }'
hoom=$(csv_awk '$c["kind"] == "budget" && $c["kmsg_oom_kills"] > m { m = $c["kmsg_oom_kills"] } END { print m + 0 }' "$B")
goom=$(csv_awk '$c["source"] == "guest" && $c["oom_kills"] != "" { if (!($c["vm"] in f)) f[$c["vm"]] = $c["oom_kills"]; l[$c["vm"]] = $c["oom_kills"] }
	END { for (v in f) s += l[v] - f[v]; print s + 0 }' "$dir/samples.csv")
check "scores: OOM kills, host $(sc host_oom_kills) (budget.csv kmsg_oom_kills: $hoom) and guests $(sc guest_oom_kills) (samples.csv: $goom)" \
	test "$(sc host_oom_kills)" = "$hoom" -a "$(sc guest_oom_kills)" = "$goom"
slo=$(csv_awk -v w="$win" 'BEGIN { split(w, W, " ") } $c["accesses"] > 0 && $c["vm"] ~ /-oc-/ && $c["t_s"] >= W[1] && $c["t_s"] <= W[2] { s[$c["vm"] " " int($c["t_s"])] = 1 } END { print length(s) }' "$dir/faults.csv")
check "scores: the SLO's seconds are faults.csv's whole seconds with accesses in the window, per guest ($slo: $(sc slo_windows_s)), $(sc slo_violation_s) over it" \
	test "$(sc slo_windows_s)" = "$slo" -a "$(sc slo_violation_s)" -le "$slo"
nsum=$(csv_awk '$c["job"] == "oc" && $c["direction"] == "job" && $c["vm"] == "all" { n++ } END { print n + 0 }' "$dir/summary.csv")
check "summary.csv: the job's scores as direction job ($nsum metrics)" test "$nsum" -ge 8
check "after the run: no budget cgroup left in any hierarchy ($(budget_dirs))" test "$(budget_dirs)" -eq 0
check "after the run: no domain cgroup left ($(cgroups)), no QEMU ($(qemus))" test "$(cgroups)" -eq 0 -a "$(qemus)" -eq 0

# host-swap: one guest whose QEMU needs more than its budget (a 320 MiB guest
# touching 192 MiB again and again: QEMU backs up to all of its memory, and
# TCG's own) swaps to the run's swap file instead of being killed; memory and
# swap together are limited to the budget and the swap (256 + 256 MiB, more
# than the guest's memory and QEMU's overhead).
scenario sw <<'INI'
[sw]
accel = tcg
memory = 320M
vcpus = 1
host-budget = 256M
host-swap = 256M
policy = none
policy-period-scale = 0.2
policy-duration = 10s
workload = touch:size=192M
INI
"$BB" run --dry-run -s "$STATE" -o "$RESULTS/dry" "$T/sw.ini" >"$T/swdry" 2>&1
grep -q "job sw: host swap 256 MiB: a swap file in the state dir" "$T/swdry"
ok $? "swap: the dry run says the swap file$(grep -m1 'host swap' "$T/swdry" | cut -c1-90 | sed 's/^/ # /')"
vm0=$(awk '$1 == "pswpout" { print $2 }' /proc/vmstat)
"$BB" run -s "$STATE" -o "$RESULTS/s" "$T/sw.ini" >"$T/swout" 2>"$T/swerr" &
pid=$!
cg=
for _ in $(seq 1800); do cg=$(budget_qemu) && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if [ -f "$cg/memory.memsw.limit_in_bytes" ]; then
	swl=$(cat "$cg/memory.memsw.limit_in_bytes" 2>/dev/null)
	check "swap: the budget's memory and swap limit is the budget and the swap, 512 MiB ($swl)" test "$swl" = $((512 * 1048576))
else
	skip "swap is not accounted here (no memory.memsw.*)"
fi
# the run's swap area, and the host's others' highest priority
sline=$(awk 'NR > 1 && index($1, ENVIRON["SWP"]) == 1' /proc/swaps)
oprio=$(awk 'NR > 1 && index($1, ENVIRON["SWP"]) != 1 { if (m == "" || $5 > m) m = $5 } END { print m }' /proc/swaps)
sprio=$(echo "$sline" | awk '{ print $5 }')
check "swap: the run's file is on ($(echo "$sline" | awk '{ print $1, $3 " KiB, priority " $5 }')), above the host's others (${oprio:-none})" \
	test -n "$sline" -a \( -z "$oprio" -o "${sprio:-0}" -gt "${oprio:-0}" \)
# another state dir's host-swap run beside a live one: refused up front (its file is host-wide)
"$BB" run --dry-run -s "$T/other-state" -o "$RESULTS/dry2" "$T/sw.ini" >"$T/swdry2" 2>&1
rc=$?
if [ -n "$sline" ]; then
	check "swap: a host-swap run of another state dir is refused while this one's file is on (exit $rc)$(grep -m1 'host-swap' "$T/swdry2" | cut -c1-100 | sed 's/^/ # /')" \
		eval 'test $rc -eq 2 && grep -q "sw.ini:[0-9]*: \[sw\] host-swap: another run.s swap file .* is on" "$T/swdry2" && test ! -e "$T/other-state"'
else
	skip "the run's swap file was not seen on"
fi
wait $pid
rc=$?
vm1=$(awk '$1 == "pswpout" { print $2 }' /proc/vmstat)
check "swap: the run completes (exit $rc)" test $rc -eq 0
dir=$(run_dir "$RESULTS/s")
B=$dir/budget.csv E=$dir/events.csv
mx() { csv_awk -v col="$1" '$c["kind"] == "budget" && $c[col] != "" && $c[col] + 0 > m { m = $c[col] + 0 } END { print m + 0 }' "$B"; }
positive() { awk -v a="$1" 'BEGIN { exit !(a > 0) }'; }
check "swap: budget.csv: the guest swapped (swap_mib up to $(mx swap_mib), the file up to $(mx swapfile_used_mib), swap_out_mib $(mx swap_out_mib) MiB)" \
	eval 'positive "$(mx swap_mib)" && positive "$(mx swapfile_used_mib)" && positive "$(mx swap_out_mib)"'
nk=$(grep -c host-oom-kill "$E")
nf=$(csv_awk '$c["job"] == "sw" && $c["vm"] == "all" { print $c["guests_failed"] }' "$dir/scores.csv")
check "swap: no kill (kmsg_oom_kills $(mx kmsg_oom_kills), $nk host-oom-kill events, failed guests $nf)" \
	test "$(mx kmsg_oom_kills)" -eq 0 -a "$nk" -eq 0 -a "$nf" = 0
# /proc/vmstat's pswpout over the run, read by this test: what the budget's rows say over its life
# (other processes may swap out a little meanwhile: the host's counter; 4 MiB and 2 % of slack)
vmd=$(awk -v a="$vm0" -v b="$vm1" -v p="$(getconf PAGESIZE)" 'BEGIN { printf "%.3f", (b - a) * p / 1048576 }')
so=$(mx swap_out_mib)
check "swap: swap_out_mib over the budget's life ($so MiB) is /proc/vmstat's pswpout over the run ($vmd MiB)" \
	within "$so" "$vmd" "$(awk -v v="$vmd" 'BEGIN { print 4 + 0.02 * v }')"
ssc() { csv_awk -v col="$1" '$c["job"] == "sw" && $c["vm"] == "all" { print $c[col] }' "$dir/scores.csv"; }
check "swap: scores: host_swap_out_mib and host_swap_in_mib are budget.csv's last ($(ssc host_swap_out_mib) = $so, $(ssc host_swap_in_mib) = $(mx swap_in_mib))" \
	test "$(awk -v a="$(ssc host_swap_out_mib)" -v b="$(ssc host_swap_in_mib)" 'BEGIN { print a + 0, b + 0 }')" = "$(awk -v a="$so" -v b="$(mx swap_in_mib)" 'BEGIN { print a + 0, b + 0 }')"
check "swap: events.csv says the swap file and its removal" \
	eval 'csv_where "$E" event swap detail | grep -q "size_mib=256 .*memsw_limit_mib=512" && csv_where "$E" event swap-removed detail | grep -q "\.swap"'
check "swap: after the run no swap area of ours is on ($(our_swaps)), no swap file is left ($(ls "$STATE"/*.swap 2>/dev/null | wc -l))" \
	test "$(our_swaps)" -eq 0 -a "$(ls "$STATE"/*.swap 2>/dev/null | wc -l)" -eq 0

# external:CMD: the example policy answers every period (accepted); a program
# that names an unknown guest and then says nothing is refused, given up after
# 3 periods (the fallback: none), its process group ended; no target of it obeyed.
scenario ext <<INI
[global]
accel = tcg
memory = 256M
vcpus = 1
low = 64M
host-budget = 320M
policy-period-scale = 0.2
policy-duration = 8s
workload = touch:size=32M

[good]
policy = external:python3 $TOP/bench/policy-example.py

[bad]
# periods 1 (refused), 2 and 3 (2 s each to time out, the decide period) fit in it
policy-duration = 16s
policy = external:echo '{"v":1,"period":1,"targets":[{"name":"nobody","target_mib":1}]}'; exec sleep 321.$$
INI
"$BB" run -s "$STATE" -o "$RESULTS/c" "$T/ext.ini" >"$T/out3" 2>"$T/err3"
rc=$?
check "external: the run completes (exit $rc)" test $rc -eq 0
dir=$(run_dir "$RESULTS/c")
E=$dir/events.csv D=$dir/decisions.csv
end=$(csv_where "$E" event policy-end detail | grep -m1 'job=good')
asked=$(echo "$end" | sed -n 's/.*asked=\([0-9]*\).*/\1/p') acc=$(echo "$end" | sed -n 's/.*accepted=\([0-9]*\).*/\1/p')
check "external: the example program answered every period it was asked ($acc of $asked)" test -n "$asked" -a "$asked" -gt 0 -a "$asked" = "$acc"
ng=$(csv_awk '$c["job"] == "good" && $c["policy"] == "external" && $0 ~ /"external: (the program.s target|no target given)"/ { n++ } END { print n + 0 }' "$D")
check "external: its decisions are recorded as the program's ($ng of $asked)" test "$ng" -eq "$asked"
csv_where "$E" event policy-refused detail | grep -q 'job=bad period=1 range: targets\[0\]: unknown guest'
ok $? "external: an unknown guest is refused (range), with the program's words"
check "external: the program that stops answering is given up (the fallback: none)" \
	grep -q 'policy-fallback,"job=bad none from now on: 3 periods refused in a row' "$E"
nt=$(csv_awk '$c["job"] == "bad" { n++ } END { print n + 0 }' "$dir/transitions.csv")
nf=$(csv_awk '$c["job"] == "bad" && $c["reason"] ~ /fallback none/ { n++ } END { print n + 0 }' "$D")
check "external: none of its targets obeyed ($nt changes), its later decisions say the fallback ($nf)" test "$nt" -eq 0 -a "$nf" -gt 0
check "external: its process group is gone after the run" test -z "$(pgrep -f "sleep 321.$$")"

# A runner killed with SIGKILL: its guardian ends QEMU, removes the budget,
# and ends its external program (one that ignores its stdin's end).
scenario one <<INI
[one]
accel = tcg
memory = 256M
vcpus = 1
host-budget = 400M
host-swap = 64M
policy = external:exec sleep 322.$$
policy-duration = 120s
INI
"$BB" run -s "$STATE" -o "$RESULTS/b" "$T/one.ini" >"$T/out2" 2>"$T/err2" &
pid=$!
cg=
for _ in $(seq 1800); do cg=$(budget_qemu) && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
check "killed run: its budget holds its QEMU ($cg)" test -n "$cg"
check "killed run: its swap file is on ($(our_swaps))" test "$(our_swaps)" -eq 1
kill -KILL $pid
wait $pid 2>/dev/null
for _ in $(seq 80); do [ "$(budget_dirs)" -eq 0 ] && [ "$(qemus)" -eq 0 ] && break; sleep 0.1; done
check "SIGKILL: the guardian ended QEMU ($(qemus)) and removed the budget from every hierarchy ($(budget_dirs)) within 8 s" \
	test "$(budget_dirs)" -eq 0 -a "$(qemus)" -eq 0
check "SIGKILL: the guardian ended its external program's process group" test -z "$(pgrep -f "sleep 322.$$")"
# the guardian swaps it off after the budget's removal (up to 5 s) with a deadline of 10 s
for _ in $(seq 300); do [ "$(our_swaps)" -eq 0 ] && [ -z "$(ls "$STATE"/*.swap 2>/dev/null)" ] && break; sleep 0.1; done
check "SIGKILL: the guardian swapped its swap file off ($(our_swaps) on) and removed it ($(ls "$STATE"/*.swap 2>/dev/null | wc -l) left) within 30 s" \
	test "$(our_swaps)" -eq 0 -a -z "$(ls "$STATE"/*.swap 2>/dev/null)"
finish

#!/bin/bash
# vm-host: the host's side: QEMU's RSS drop as balloonbench reports it against /proc read here; free page reporting on and off; guest memory on huge pages.
. "$(dirname "$0")/lib.sh"
require vm
plan 14

# qemu_held: QEMU's VmRSS + HugetlbPages in KiB, read here from its /proc
qemu_held() {
	pid=$(pgrep -f "qemu-system.*$STATE" | head -n 1)
	[ -n "$pid" ] || { echo -1; return; }
	awk '/^VmRSS:|^HugetlbPages:/ { s += $2 } END { print s + 0 }' "/proc/$pid/status"
}

# 1. The guest touches 512 MiB and frees it; the balloon then inflates by
# 512 MiB. The RSS drop balloonbench reports agrees within 5 % with what this
# test reads from QEMU's /proc before (in the rest after the free) and after
# (in the settle after the change).
scenario drop <<'INI'
[drop]
accel = tcg
memory = 1G
prefill = 512M
warmup = 4s
targets = 512M
settle = 4s
INI
"$BB" run -s "$STATE" -o "$RESULTS/drop" "$T/drop.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/drop")
# the rest after the free lasts 4 s, the settle after the change too: read in each
wait_for "$dir/events.csv" ",fill-end," 180
before=$(qemu_held)
wait_for "$dir/events.csv" ",transition-end," 120
after=$(qemu_held)
wait $pid
rc=$?
check "drop: run exits 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || show "$T/err"
ret=$(csv_col "$dir/transitions.csv" host_returned_mib | head -n 1)
mine=$(awk -v b="$before" -v a="$after" 'BEGIN { printf "%.1f", (b - a) / 1024 }')
diag "QEMU gave back: balloonbench says $ret MiB, /proc here says $mine MiB ($before -> $after KiB)"
check "drop: the host got back at least 400 MiB of the 512 ($mine MiB)" awk -v m="$mine" 'BEGIN { exit !(m >= 400) }'
check "drop: the reported RSS drop agrees with /proc within 5 % ($ret vs $mine MiB)" \
	awk -v r="$ret" -v m="$mine" 'BEGIN { d = r - m; if (d < 0) d = -d; exit !(r != "" && d <= 0.05 * m) }'
set=$(csv_col "$dir/transitions.csv" host_rss_settle_ms | head -n 1)
cpu=$(csv_col "$dir/transitions.csv" qemu_vcpu_ms_per_gib | head -n 1)
diag "drop: RSS settled $set ms after the target was set; QEMU vCPU time $cpu ms per GiB moved"
check "drop: settle time and QEMU CPU per GiB recorded ($set ms, $cpu ms/GiB)" \
	awk -v s="$set" -v c="$cpu" 'BEGIN { exit !(s != "" && s >= 0 && c != "" && c > 0) }'
n=$(csv_awk '$c["source"] == "host" && $c["qemu_rss_kib"] != "" { n++ } END { print n + 0 }' "$dir/samples.csv")
check "drop: host samples carry QEMU's RSS ($n)" test "$n" -gt 10
check "drop: no VM left running" test "$(qemus)" -eq 0

# 2. Free page reporting: the same free with it off and on; with it on QEMU's
# RSS falls without any balloon move, with it off it does not.
scenario fpr <<'INI'
[global]
accel = tcg
memory = 1G
prefill = 512M
warmup = 6s
targets = 896M
settle = 200ms
[fpr]
free-page-reporting = 0, 1
INI
"$BB" run -s "$STATE" -o "$RESULTS/fpr" "$T/fpr.ini" >"$T/out" 2>"$T/err"
rc=$?
check "fpr: run exits 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || show "$T/err"
dir=$(run_dir "$RESULTS/fpr")
drops=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
d = {v["label"]: v.get("prefill", {}).get("rss_drop_after_free_mib") for v in r["vms"]}
print("%s %s" % (d.get("free-page-reporting=0"), d.get("free-page-reporting=1")))' "$dir/run.json" 2>/dev/null)
diag "fpr: QEMU's RSS fell after the free: off ${drops% *} MiB, on ${drops#* } MiB"
check "fpr: with it on, the host got at least 64 MiB more back than with it off" \
	awk -v off="${drops% *}" -v on="${drops#* }" 'BEGIN { exit !(off != "None" && on != "None" && on - off >= 64) }'
grep -q "free-page-reporting=on" "$T/out"; ok $? "fpr: run prints what the RSS did after the free"

# 3. Guest memory on 2 MiB huge pages: the test reserves them (and a hugetlbfs
# mount if the host has none), runs, and gives them back. What the balloon
# returns to the host is recorded, whatever it is.
need=300
old=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
mounted=""
if ! grep -q hugetlbfs /proc/mounts; then
	mkdir -p "$T/huge" && mount -t hugetlbfs none "$T/huge" 2>/dev/null && mounted="$T/huge"
fi
echo $((old + need)) > /proc/sys/vm/nr_hugepages 2>/dev/null
free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
if grep -q hugetlbfs /proc/mounts && [ "$free" -ge 256 ]; then
	scenario huge <<'INI'
[huge]
accel = tcg
memory = 512M
hugepages = 1
prefill = 256M
warmup = 2s
targets = 256M, 512M
settle = 2s
INI
	"$BB" run -s "$STATE" -o "$RESULTS/huge" "$T/huge.ini" >"$T/out" 2>"$T/err"
	rc=$?
	check "huge pages: the run executes (exit $rc)" test $rc -eq 0
	[ $rc -eq 0 ] || show "$T/err"
	dir=$(run_dir "$RESULTS/huge")
	hp=$(csv_awk '$c["source"] == "host" && $c["qemu_hugetlb_kib"] > m { m = $c["qemu_hugetlb_kib"] } END { print m + 0 }' "$dir/samples.csv")
	check "huge pages: QEMU's memory sat on huge pages ($hp KiB)" test "$hp" -ge 262144
	ret=$(csv_col "$dir/transitions.csv" host_returned_mib | head -n 1)
	moved=$(csv_col "$dir/transitions.csv" moved_mib | head -n 1)
	diag "huge pages: the balloon moved $moved MiB in the guest; the host got back $ret MiB"
	check "huge pages: the host's side of the inflate is recorded ($ret MiB)" test -n "$ret"
else
	skip "cannot reserve 256 huge pages or mount a hugetlbfs here"
	skip "no huge pages"; skip "no huge pages"
fi
echo "$old" > /proc/sys/vm/nr_hugepages 2>/dev/null
[ -n "$mounted" ] && umount "$mounted"
check "huge pages: the reserved pages are given back" test "$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)" -eq "$old"
check "no VM left running" test "$(qemus)" -eq 0
finish

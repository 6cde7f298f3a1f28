#!/bin/bash
# vm-psi: the agent reports its guest's memory pressure (/proc/pressure/memory)
# and swap and fault counts (PSI, once a second): samples.csv has them, the
# psi policy runs on them under a host budget (its decisions.csv rows show
# the PSI inputs), and the external policy's stats line carries them (and,
# under a budget, the host's swap-in/out; host-swap's file null without one). One
# small guest a job, two jobs.
. "$(dirname "$0")/lib.sh"
require vm
plan 13

# The agent reads /proc/pressure/memory: a guest kernel built without PSI has
# none to report (one built with it off by default boots with psi=1). The
# image's kernel.config says.
cfg=$BB_IMAGE_DIR/kernel.config
if ! grep -q '^CONFIG_PSI=y' "$cfg" 2>/dev/null; then
	skip_rest "the guest kernel has no PSI ($cfg: $(grep -h '^# CONFIG_PSI is not set\|^CONFIG_PSI=' "$cfg" 2>/dev/null || echo 'unreadable, or CONFIG_PSI not in it'))"
	finish
fi

MEM=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
[ -n "$MEM" ] && [ -f "$MEM/memory.limit_in_bytes" ] && budget="host-budget = 1G" ||
	budget="; no cgroup v1 memory controller here: no budget"

# The external program: every stats line kept, an answer that changes nothing.
cat >"$T/ext.py" <<PY
import json, sys
with open("$T/stats.jsonl", "a") as log:
    for line in sys.stdin:
        log.write(line)
        log.flush()
        period = json.loads(line)["period"]
        print(json.dumps({"v": 1, "period": period, "targets": []}), flush=True)
PY
scenario psi <<INI
[global]
accel = tcg
memory = 384M
vcpus = 1
low = 192M
policy-duration = 12s
workload = demand:shape=hog,low=16M,size=160M,period=6s,duty=50,rate=2000

[psi]
policy = psi
$budget

[ext]
policy = external:python3 $T/ext.py
policy-period-scale = 0.2
$budget
INI

"$BB" run -s "$STATE" -o "$RESULTS" "$T/psi.ini" >"$T/out" 2>"$T/err"
rc=$?
ok $rc "a psi job and an external job exit 0"
[ $rc -eq 0 ] || show "$T/err"
dir=$(ls -d "$RESULTS"/2* | head -n 1)
[ -z "$MEM" ] && diag "no budget here: the psi job ran without one"

# samples.csv: a guest row about once a second carries the agent's PSI report
psi_vm=$(csv_awk '$c["job"] == "psi" { print $c["vm"]; exit }' "$dir/decisions.csv")
n=$(csv_awk -v v="$psi_vm" '$c["vm"] == v && $c["source"] == "guest" && $c["psi_some_total_us"] != "" { n++ } END { print n + 0 }' "$dir/samples.csv")
span=$(csv_awk -v v="$psi_vm" '$c["vm"] == v && $c["source"] == "guest" { if (!a) a = $c["t_s"]; b = $c["t_s"] } END { printf "%d", b - a }' "$dir/samples.csv")
diag "psi guest $psi_vm: $n guest samples with a PSI report over $span s of samples"
check "samples.csv: PSI reports about once a second ($n over $span s)" \
	test "$n" -ge $((span / 2)) -a "$n" -le $((span + 2)) -a "$span" -ge 10
check "samples.csv: some and full totals never go back, averages within 0..100 %" csv_awk -v v="$psi_vm" '
	$c["vm"] == v && $c["psi_some_total_us"] != "" {
		s = $c["psi_some_total_us"] + 0; f = $c["psi_full_total_us"] + 0; a = $c["psi_some_avg10"] + 0
		if (s < ps || f < pf || a < 0 || a > 100 || $c["psi_full_avg10"] == "") bad = 1
		ps = s; pf = f
	}
	END { exit bad }' "$dir/samples.csv"
check "samples.csv: the guest's pswpin, pswpout and pgmajfault with each report" csv_awk -v v="$psi_vm" '
	$c["vm"] == v && $c["psi_some_total_us"] != "" { n++; if ($c["pswpin"] == "" || $c["pswpout"] == "" || $c["pgmajfault"] == "") bad = 1 }
	END { exit bad || !n }' "$dir/samples.csv"

# decisions.csv: psi's decisions, on PSI inputs
nd=$(csv_awk '$c["policy"] == "psi" { n++ } END { print n + 0 }' "$dir/decisions.csv")
ni=$(csv_awk '$c["policy"] == "psi" && $c["psi_some_total_us"] != "" && $c["psi_some_avg10"] != "" { n++ } END { print n + 0 }' "$dir/decisions.csv")
diag "psi: $nd decisions, $ni with PSI inputs; the last: $(csv_awk '$c["policy"] == "psi" { r = $c["reason"] } END { print r }' "$dir/decisions.csv")"
check "psi: a decision about every second of 12 ($nd)" test "$nd" -ge 8
check "psi: every decision but the first had the guest's PSI as inputs ($ni of $nd)" test "$ni" -ge $((nd - 1))
check "psi: no decision lacked the pressure figures" \
	sh -c "! grep -q 'no memory pressure figures' '$dir/decisions.csv'"
check "psi: its reasons are the controller's (stall totals)" grep -q 'psi: .*us stalled' "$dir/decisions.csv"
if [ -n "$MEM" ]; then
	check "psi: it ran under the host budget (budget_limit_mib 1024 in its decisions)" \
		csv_awk '$c["policy"] == "psi" { n++; if ($c["budget_limit_mib"] + 0 != 1024) bad = 1 } END { exit bad || !n }' "$dir/decisions.csv"
else
	skip "no cgroup v1 memory controller here (a budget is refused up front)"
fi

# the external program saw the PSI and vmstat figures, not null
check "external: it got stats lines" test -s "$T/stats.jsonl"
check "external: each line after the first carries psi and vmstat figures" python3 - "$T/stats.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ok = len(lines) >= 2
for s in lines[1:]:
    for g in s["guests"]:
        p, v = g.get("psi") or {}, g.get("vmstat") or {}
        ok &= all(isinstance(p.get(k), (int, float)) for k in ("some_avg10", "full_avg10", "some_total_us", "full_total_us"))
        ok &= all(isinstance(v.get(k), (int, float)) for k in ("pswpin", "pswpout", "pgmajfault", "oom_kill"))
sys.exit(0 if ok else 1)
PY
# the host object: the budget's swap figures (the host's swap-in/out since its
# creation, numbers where it has one) and host-swap's file (none here: null)
check "external: host.swap_in_mib, swap_out_mib numbers with a budget, swapfile_mib, swapfile_used_mib null" \
	python3 - "$T/stats.jsonl" "$(case $budget in host-budget*) echo budget ;; esac)" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ok = len(lines) >= 2
num = (int, float) if sys.argv[2] else type(None)
for s in lines[1:]:
    h = s["host"]
    ok &= all(k in h for k in ("swap_in_mib", "swap_out_mib", "swapfile_mib", "swapfile_used_mib"))
    ok &= isinstance(h.get("swap_in_mib"), num) and isinstance(h.get("swap_out_mib"), num)
    ok &= h.get("swapfile_mib") is None and h.get("swapfile_used_mib") is None
if not ok:
    print(lines[-1]["host"] if lines else "no lines", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
check "no VM left running" test "$(qemus)" -eq 0
finish

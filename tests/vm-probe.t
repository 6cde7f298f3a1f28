#!/bin/bash
# vm-probe: the guest agent follows the moving balloon completely (kprobe: one event per batch, none lost, every MiB QEMU moved covered; poll: its rate), drops nothing, and agrees with QEMU.
. "$(dirname "$0")/lib.sh"
require vm
plan 23

HZ=${BB_PROBE_HZ:-1000}	# the default sample-rate
scenario probe <<INI
[probe]
sample-rate = $HZ
memory = 1G
vcpus = 2
accel = tcg
targets = 256M, 1G
settle = 200ms
INI

jnum() { sed -n "s/.*\"$1\": \([-0-9.e+]*\).*/\1/p" "$dir/run.json" | head -n 1; }
# per transition of vms[0].probe: FIELD FIELD ... as one line each
probe_rows() {
	python3 -c 'import json, sys
for p in json.load(open(sys.argv[1]))["vms"][0]["probe"]:
	print(" ".join(str(p.get(k)) for k in sys.argv[2:]))' "$dir/run.json" "$@"
}

# What every run must show, whatever the method: complete, inflate then
# deflate, nothing dropped, counters and times that never go back, and the
# end where QEMU's actual is.
common_checks() {	# LABEL
	dir=$(ls -d "$RESULTS/$1"/2* 2>/dev/null | head -n 1)
	check "$1: run.json says complete" grep -q '"status": "complete"' "$dir/run.json"
	dirs=$(csv_col "$dir/transitions.csv" direction | tr '\n' ' ')
	check "$1: two transitions, inflate then deflate ($dirs)" test "$dirs" = "inflate deflate "
	dropped=$(jnum dropped) gaps=$(jnum sample_gaps) bad=$(jnum malformed_messages)
	check "$1: no sample dropped: agent ${dropped:-none}, seq gaps ${gaps:-none}, malformed ${bad:-none}" \
		test "${dropped:-x}" = 0 -a "${gaps:-x}" = 0 -a "${bad:-x}" = 0
	check "$1: guest counters never go back, t never goes back, seq has no gap" \
		csv_awk '$c["source"] == "guest" { if (n && ($c["inflated_pages"] < i || $c["deflated_pages"] < d || $c["t_guest_ns"] < t || $c["seq"] != s + 1)) exit 1
			i = $c["inflated_pages"]; d = $c["deflated_pages"]; t = $c["t_guest_ns"]; s = $c["seq"]; n++ } END { exit !(n > 100) }' "$dir/samples.csv"
	glast=$(csv_awk '$c["source"] == "guest" { b = $c["balloon_mib"] } END { print b }' "$dir/samples.csv")
	hlast=$(csv_awk '$c["source"] == "host" { b = $c["balloon_mib"] } END { print b }' "$dir/samples.csv")
	mov=$(csv_col "$dir/transitions.csv" moved_mib | head -n 1)
	check "$1: inflate moved $mov MiB (768 asked); final balloon: guest $glast MiB, QEMU $hlast MiB" \
		sh -c "awk -v m='$mov' 'BEGIN { exit !(m >= 767 && m <= 769) }' &&
			awk -v a='$glast' -v b='$hlast' 'BEGIN { d = a - b; exit !(d <= 1 && d >= -1) }'"
	diag "$1: agent $(jnum us_per_sample) us a sample, $(jnum cpu_percent_of_one_vcpu) % of one vCPU over the run;" \
		"during the transitions: $(csv_col "$dir/transitions.csv" agent_cpu_pct | tr '\n' ' ')%;" \
		"samples a second while moving: $(csv_col "$dir/transitions.csv" guest_sample_hz | tr '\n' ' ')"
}

# 1. The default, probe=auto: batch events where the guest kernel has them.
mkdir -p "$RESULTS/auto"
"$BB" run -s "$STATE" -o "$RESULTS/auto" "$T/probe.ini" >"$T/out" 2>"$T/err"
rc=$?
ok $rc "probe=auto: run exits 0"
[ $rc -eq 0 ] || show "$T/err"
check "probe=auto: the summary line says 0 dropped" grep -q 'samples (0 dropped)' "$T/out"
common_checks auto
kp=$(sed -n 's/.*"kprobe_events": "\([^"]*\)".*/\1/p' "$dir/run.json" | head -n 1)
rows=$(probe_rows method events lost mismatch coverage | tr '\n' ';')
diag "auto: kprobe events: ${kp:-?}; per transition (method events lost mismatch coverage): $rows"
if [ "$kp" = "none" ] || [ -z "$kp" ]; then
	for i in 1 2 3 4; do skip "the guest kernel offers no kprobe events (run.json kprobe_events: ${kp:-absent})"; done
else
	check "auto: every transition followed by kprobe events" \
		sh -c "[ -n '$rows' ] && ! echo '$rows' | tr ';' '\n' | grep -v '^$' | grep -qv '^kprobe '"
	# every record the kernel wrote arrived, and the count agreed with totalram
	check "auto: no kprobe record lost, no count mismatch ($rows)" \
		sh -c "echo '$rows' | tr ';' '\n' | awk 'NF { if (\$3 != 0 || \$4 != 0) bad = 1 } END { exit bad }'"
	# one event per 1 MiB batch for every MiB QEMU's actual moved (its own view)
	check "auto: coverage: one batch event per MiB QEMU moved, in every transition" \
		sh -c "echo '$rows' | tr ';' '\n' | awk 'NF { n++; if (\$5 == \"None\" || \$5 < 1 - 0.5 / 768 || \$5 > 1 + 0.5 / 768) bad = 1 } END { exit bad || n != 2 }'"
	# probe-sample-rate caps what becomes a sample (auto: 100 Hz under TCG,
	# sample-rate under KVM); besides the cap come the first batch after a
	# pause, the last of each read (10 Hz) and the 10 Hz polled samples
	cap=$(sed -n 's/.*kprobe samples at most \([0-9]*\) a second.*/\1/p' "$dir/events.csv" | head -n 1)
	hzs=$(csv_col "$dir/transitions.csv" guest_sample_hz | tr '\n' ' ')
	check "auto: samples while moving ($hzs) within probe-rate's cap (${cap:-none} Hz) + 3 x the idle rate" \
		awk -v l="$hzs" -v c="$cap" 'BEGIN { n = split(l, h, " "); if (n != 2 || c == "") exit 1
			for (i = 1; i <= n; i++) if (h[i] == "" || h[i] > c + 30) exit 1 }'
fi
# The probe's own cost: the agent times a hit of each hook kind at start-up
# (run.json vms[].hook_cost), counts the hits (vms[].probe[].hits_*), and each
# transition carries hits and hits x cost / t100 (transitions.csv).
hook=$(python3 -c 'import json, sys
h = json.load(open(sys.argv[1]))["vms"][0].get("hook_cost")
print("" if h is None else "%s %s %s %s" % (h["entry_us"], h["return_us"], h["placed"], h["function"]))' "$dir/run.json")
diag "auto: a hook hit costs (entry us, return us, placed, on): ${hook:-not measured}"
if [ "$kp" = "none" ] || [ -z "$kp" ]; then
	for i in 1 2 3; do skip "the guest kernel offers no kprobe events"; done
else
	check "auto: the agent measured a hit of its hooks: entry 0-10000 us, return 0-10000 us ($hook)" \
		awk -v h="$hook" 'BEGIN { split(h, x, " "); exit !(x[1] != "" && x[1] >= 0 && x[1] < 10000 && x[2] != "None" && x[2] >= 0 && x[2] < 10000) }'
	# per transition: the hits the agent counted (inflate: one return hit a
	# batch; deflate: a return hit and leak_balloon's entry hit) are the CSV's
	# probe_hits, and probe_perturbation_pct is hits x cost over t100
	prow=$(probe_rows hits_entry hits_return events | tr '\n' ';')
	crow=$(csv_awk '{ printf "%s %s %s;", $c["probe_hits"], $c["probe_perturbation_pct"], $c["t100_ms"] }' "$dir/transitions.csv")
	diag "auto: hits (entry return events): $prow csv (hits pct t100_ms): $crow"
	check "auto: hook hits: one return hit a batch, one entry hit more a deflate batch; probe_hits their sum" \
		awk -v p="$prow" -v c="$crow" 'BEGIN { n = split(p, a, ";"); split(c, b, ";"); if (n != 3) exit 1
			for (i = 1; i <= 2; i++) { split(a[i], x, " "); split(b[i], y, " ")
				if (x[2] != x[3] || x[1] != (i == 2 ? x[3] : 0) || y[1] != x[1] + x[2]) exit 1 } }'
	check "auto: probe_perturbation_pct in 0-100 and hits x cost / t100 (to 0.5 %)" \
		awk -v p="$prow" -v c="$crow" -v h="$hook" 'BEGIN { n = split(p, a, ";"); split(c, b, ";"); split(h, k, " ")
			for (i = 1; i <= 2; i++) { split(a[i], x, " "); split(b[i], y, " ")
				want = (x[1] * k[1] + x[2] * k[2]) / (y[3] * 1000) * 100
				if (y[2] == "" || y[2] < 0 || y[2] > 100 || (y[2] - want) > 0.005 * want + 0.001 || (want - y[2]) > 0.005 * want + 0.001) exit 1 }
			exit n != 3 }'
fi

# 2. probe=poll: the agent polls at sample-rate while the balloon moves.
# This run is the runner's ASan+UBSan build: the sanitizers on a real run.
mkdir -p "$RESULTS/poll"
asan_run run -s "$STATE" -o "$RESULTS/poll" --set probe=poll "$T/probe.ini" >"$T/out" 2>"$T/err"
rc=$?
ok $rc "probe=poll (ASan+UBSan runner): run exits 0"
[ $rc -eq 0 ] || show "$T/err"
san_check "$T/err"
common_checks poll
hzs=$(csv_col "$dir/transitions.csv" guest_sample_hz | tr '\n' ' ')
methods=$(probe_rows method | tr '\n' ' ')
# The achieved rate while the balloon moved (the runner counts the guest's
# samples from the target change to the last page moved), per transition.
# Under TCG the polling agent's vCPU wakes 2-8 ms late while QEMU is busy
# with the balloon, and 1 kHz is out of reach (700-850 Hz measured here;
# docs/probe.md): there the check runs and reports, as a TODO, and
# fails nothing. Under KVM it is a real check.
rate_ok() {
	[ "$methods" = "poll poll " ] || return 1
	awk -v l="$hzs" -v c="$HZ" 'BEGIN { n = split(l, h, " "); if (n < 2) exit 1
		for (i = 1; i <= n; i++) if (h[i] == "" || h[i] < 0.9 * c) exit 1 }'
}
if grep -q '"accel": "kvm"' "$dir/run.json"; then
	check "poll: every transition polled at >= 90 % of $HZ Hz ($methods: $hzs)" rate_ok
else
	_tap_n=$((_tap_n + 1))
	if rate_ok; then r=ok; else r="not ok"; fi
	echo "$r $_tap_n - poll: every transition polled at >= 90 % of $HZ Hz ($methods: $hzs) # TODO TCG: the vCPU's wake-ups come late"
fi
check "no VM left running" test "$(qemus)" -eq 0
finish

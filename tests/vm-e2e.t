#!/bin/bash
# vm-e2e: a real guest under TCG through embedded libvirt; inflate, deflate, check the counters.
. "$(dirname "$0")/lib.sh"
require vm
plan 20

scenario e2e <<'INI'
[e2e]
memory = 1G
vcpus = 2
accel = tcg
targets = 256M, 1G
settle = 300ms
INI

"$BB" run -s "$STATE" -o "$RESULTS" "$T/e2e.ini" >"$T/out" 2>"$T/err"
rc=$?
ok $rc "run exits 0"
[ $rc -eq 0 ] || { show "$T/err"; }
dir=$(ls -d "$RESULTS"/2* 2>/dev/null | head -n 1)
check "results directory written" test -n "$dir" -a -f "$dir/run.json" -a -f "$dir/samples.csv" -a -f "$dir/transitions.csv"
check "run.json says complete, under tcg" grep -q '"status": "complete"' "$dir/run.json"
grep -q '"accel": "tcg"' "$dir/run.json"; ok $? "run.json records accel tcg"
check "two transitions recorded" test "$(csv_col "$dir/transitions.csv" direction | tr '\n' ' ')" = "inflate deflate "

# Pages moved match the request within the driver's granularity (256 pages = 1 MiB).
req=$(csv_col "$dir/transitions.csv" requested_mib | head -n 1)
mov=$(csv_col "$dir/transitions.csv" moved_mib | head -n 1)
check "inflate moved $mov MiB of $req requested (within 1 MiB)" within "$req" "$mov" 1
req=$(csv_col "$dir/transitions.csv" requested_mib | tail -n 1)
mov=$(csv_col "$dir/transitions.csv" moved_mib | tail -n 1)
check "deflate moved $mov MiB of $req requested (within 1 MiB)" within "$req" "$mov" 1

# QEMU's actual agrees with the guest's counters, per transition and at the end.
g=$(csv_col "$dir/transitions.csv" moved_mib | head -n 1)
h=$(csv_col "$dir/transitions.csv" host_moved_mib | head -n 1)
check "host view (QEMU actual) moved $h MiB, guest $g MiB" within "$g" "$h" 1
glast=$(csv_awk '$c["source"] == "guest" { b = $c["balloon_mib"] } END { print b }' "$dir/samples.csv")
hlast=$(csv_awk '$c["source"] == "host" { b = $c["balloon_mib"] } END { print b }' "$dir/samples.csv")
check "final balloon: guest $glast MiB, QEMU $hlast MiB" within "$glast" "$hlast" 1
# Each host row is stamped at the middle of its query to QEMU (host_query_ms,
# its round trip) and says how long the reads after it took (host_read_ms):
# both known, in range, and the stamps in order.
hq=$(csv_awk '$c["source"] == "host" { n++; q = $c["host_query_ms"]; r = $c["host_read_ms"]
		if (q == "" || r == "" || q < 0 || r < 0 || q > 10000 || r > 10000 || $c["t_s"] <= t) bad++
		t = $c["t_s"]; if (q > mq) mq = q; if (r > mr) mr = r }
	END { printf "%d %d %.3f %.3f", n, bad, mq, mr }' "$dir/samples.csv")
check "host rows: host_query_ms and host_read_ms known and in range, t_s increasing (rows, bad, max query ms, max read ms: $hq)" \
	awk -v h="$hq" 'BEGIN { split(h, a, " "); exit !(a[1] > 10 && a[2] == 0) }'

# host_t100_est_ms: the end between two host samples (20 ms apart), never after the
# stepped host_t100_ms, and what an independent reading of samples.csv's host rows gives.
awk -F, '
	FNR == 1 { for (i = 1; i <= NF; i++) c[FILENAME, $i] = i; next }
	FILENAME ~ /samples.csv$/ {
		if ($c[FILENAME, "source"] == "host" && $c[FILENAME, "actual_mib"] != "") {
			ht[++nh] = $c[FILENAME, "t_s"]; ha[nh] = $c[FILENAME, "actual_mib"]
		}
		next
	}
	$c[FILENAME, "end_reason"] == "reached" {
		ts = $c[FILENAME, "t_set_s"]; to = $c[FILENAME, "to_mib"]; s = $c[FILENAME, "host_t100_ms"]
		# the host row that reached it: t_set_s, host_t100_ms and t_s are
		# each rounded to 1 us, so the row can read up to 1.5 us early
		# (1 us of slack missed it in 2.5% of transitions); rows are 20 ms apart
		for (k = 1; k <= nh && ht[k] < ts + s / 1000 - 2e-6; k++) ;
		x = s; b = 0.01
		if (k <= nh && k > 2 && ht[k - 2] >= ts && ht[k - 1] > ht[k - 2]) {
			da = ha[k - 1] - ha[k - 2]; dt = ht[k - 1] - ht[k - 2]
			r = da / dt
			if (r * (to - ha[k - 1]) > 0) {
				e = ht[k - 1] + (to - ha[k - 1]) / r
				x = (e < ht[k] ? e - ts : ht[k] - ts) * 1000
				# the files round times to 1 us and sizes to 0.001 MiB;
				# carried through the extrapolation (far, after a late
				# host sample), that bounds how far this reading can be
				# from the runner own figure (ms)
				q = to - ha[k - 1]; if (q < 0) q = -q; if (da < 0) da = -da
				b = 0.01 + 1000 * (q / da * 1e-6 + q * dt / (da * da) * 0.001 + 0.0005 / (da / dt) + 0.5e-6)
			}
		}
		print $c[FILENAME, "direction"], s, $c[FILENAME, "host_t100_est_ms"], x, b
	}' "$dir/samples.csv" "$dir/transitions.csv" >"$T/est"
diag "host t100 stepped / est / recomputed: $(tr '\n' ';' <"$T/est")"
check "host_t100_est_ms recorded for both transitions, never after host_t100_ms" \
	awk '$3 == "" || $3 > $2 + 1e-6 { bad = 1 } END { exit bad || NR != 2 }' "$T/est"
check "host_t100_est_ms agrees with samples.csv's host rows read independently (within the files' rounding, carried through: $(awk '{ printf "%.3f ", $5 }' "$T/est")ms)" \
	awk '{ d = $3 - $4; if (d < 0) d = -d; if (d > $5) bad = 1 } END { exit bad || NR != 2 }' "$T/est"

# The numbers are plausible: it moved, with a positive rate and a control latency.
rate=$(csv_col "$dir/transitions.csv" mean_rate_mib_s | head -n 1)
ctl=$(csv_col "$dir/transitions.csv" control_latency_ms | head -n 1)
check "inflate rate $rate MiB/s > 0 and control latency $ctl ms measured" \
	awk -v r="$rate" -v c="$ctl" 'BEGIN { exit !(r > 0 && c != "" && c >= 0) }'
hz=$(csv_col "$dir/transitions.csv" guest_sample_hz | head -n 1)
t100=$(csv_col "$dir/transitions.csv" t100_ms | head -n 1)
mov=$(csv_col "$dir/transitions.csv" moved_mib | head -n 1)
diag "guest sampled at $hz Hz while the balloon moved"
# kprobe samples come at most probe-sample-rate a second (events.csv's
# probe-rate says what this run used: auto is 100 under TCG), one a 1 MiB
# batch below it: on a host where the balloon itself moves slower, that is
# its rate, not a lag. Polling: sample-rate (1 kHz). The rate is over
# guest_sample_hz's own window, target set to t100, which holds the control
# latency (no batch moves in it); an agent left at its idle rate (10 Hz)
# would be far under the bound whatever the host's speed.
cap=$(sed -n 's/.*kprobe samples at most \([0-9]*\) a second.*/\1/p' "$dir/events.csv" | head -n 1)
check "guest samples fast while moving ($hz Hz >= 0.4 x min(${cap:-1000} Hz, a MiB moved: $mov MiB in $t100 ms))" \
	awk -v h="$hz" -v m="$mov" -v t="$t100" -v c="${cap:-1000}" 'BEGIN { if (m < 0) m = -m
		r = t > 0 ? m / (t / 1000) : 0; if (r > c) r = c
		exit !(t > 0 && h >= 0.4 * r) }'
# The agent's own cost and the cost of timestamps, as run.json records them.
jnum() { sed -n "s/.*\"$1\": \([-0-9.e+]*\).*/\1/p" "$dir/run.json" | head -n 1; }
cpu=$(jnum cpu_percent_of_one_vcpu) rss=$(jnum rss_kib)
diag "agent: $cpu % of one vCPU, RSS $rss KiB, $(jnum us_per_sample) us a sample"
check "agent cost recorded: 0 < CPU ${cpu:-none} % < 100, 0 < RSS ${rss:-none} KiB < 65536" \
	awk -v c="$cpu" -v r="$rss" 'BEGIN { exit !(c != "" && c > 0 && c < 100 && r > 0 && r < 65536) }'
ratio=$(jnum timing_overhead_ratio)
diag "timestamps: rdtsc $(jnum rdtsc_ns) ns, clock_gettime $(jnum clock_gettime_ns) ns, first touch" \
	"$(jnum first_touch_plain_ns) ns plain, $(jnum first_touch_timed_ns) ns timed"
check "timed first touch costs more than plain (ratio ${ratio:-none} > 1)" \
	awk -v r="$ratio" 'BEGIN { exit !(r != "" && r > 1) }'
# doctor: what the host and the guest kernel support, from the real QEMU and image
"$BB" doctor >"$T/doc" 2>&1
rc=$?
sed -n '/^balloon/p;/^hugepages/p' "$T/doc" | sed 's/^/# /'
check "doctor: exit $rc, ready" sh -c "[ $rc -eq 0 ] && tail -n 1 '$T/doc' | grep -qx ready"
check "doctor: balloon options of QEMU, libvirt and the guest kernel" \
	sh -c "grep -q '^balloon/qemu .*deflate-on-oom yes, free-page-reporting yes' '$T/doc' &&
		grep -q '^balloon/libvirt .*autodeflate) yes' '$T/doc' &&
		grep -Eq '^balloon/guest .*VIRTIO_BALLOON [ym],' '$T/doc' && grep -q '^hugepages ' '$T/doc'"

# A runner that only waits (settle here) keeps the agent's watchdog fed: a settle
# three times the watchdog must not power the guest off.
scenario quiet <<'INI'
[quiet]
memory = 1G
accel = tcg
targets = 768M, 1G
agent-watchdog = 2s
settle = 6s
INI
# ... with the image named relative to the working directory: QEMU, which
# does not run there, must still find it
(cd "$BB_IMAGE_DIR/.." && BB_IMAGE_DIR=./$(basename "$BB_IMAGE_DIR") \
	"$BB" run -q -s "$STATE" -o "$RESULTS/quiet" "$T/quiet.ini" >"$T/qout" 2>&1)
rc=$?
qdir=$(ls -d "$RESULTS"/quiet/2* 2>/dev/null | head -n 1)
ends=$(csv_col "$qdir/transitions.csv" end_reason | tr '\n' ' ')
[ $rc -eq 0 ] || show "$T/qout"
check "settle 6 s with agent-watchdog 2 s, a relative BB_IMAGE_DIR: the guest boots and stays up (exit $rc, transitions: $ends)" \
	test $rc -eq 0 -a "$ends" = "reached reached "
check "no VM left running" test "$(qemus)" -eq 0
finish

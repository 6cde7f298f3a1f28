#!/bin/bash
# vm-virtio-mem: mechanism=virtio-mem in a real guest: unplug and plug, their rates, guest MemTotal and QEMU agreeing with the requested size, both moves timed by the agent's kprobe events on the driver's requests (every MiB covered, t100 where QEMU's view puts it, the hooks' cost estimated; with them closed, probe=auto polls saying why and probe=kprobe fails); refused before boot where the image lacks virtio_mem.
. "$(dirname "$0")/lib.sh"
require vm
plan 23

scenario vmem <<'INI'
[vmem]
mechanism = virtio-mem
accel = tcg
memory = 1G
vmem-base = 256M
targets = 512M,1G
settle = 200ms
warmup = 0
INI
start=$(date +%s)
# the runner's ASan+UBSan build: the sanitizers on a real virtio-mem run
asan_run --timeout 300 run -s "$STATE" -o "$RESULTS" "$T/vmem.ini" >"$T/out" 2>"$T/err"
rc=$?
san_check "$T/err"
diag "virtio-mem run: $(( $(date +%s) - start )) s"
check "virtio-mem run: exit 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || show "$T/err"
d=$(ls -d "$RESULTS"/2* | head -n 1)
tr=$d/transitions.csv
check "two transitions, both reached" test "$(csv_col "$tr" reached | tr -d '\n')" = 11
check "mechanism column says virtio-mem" test "$(csv_col "$tr" mechanism | sort -u)" = virtio-mem
check "unplug first, then plug" test "$(csv_col "$tr" direction | tr '\n' ' ')" = "inflate deflate "
check "512 MiB unplugged in 256 blocks of 2 MiB" \
	test "$(csv_col "$tr" blocks_unplugged | head -n 1)" = 256.000
check "512 MiB plugged back in 256 blocks" test "$(csv_col "$tr" blocks_plugged | tail -n 1)" = 256.000
check "no unplug failures" test "$(csv_col "$tr" unplug_failed_blocks | head -n 1)" = 0.000
rates=$(csv_col "$tr" mean_rate_mib_s | tr '\n' ' ')
t100=$(csv_col "$tr" t100_ms | tr '\n' ' ')
diag "t100 ms: $t100; mean MiB/s: $rates"
check "both moves have a rate and a t100 (rates: $rates)" \
	awk -v r="$rates" -v t="$t100" 'BEGIN { n = split(r, a, " "); m = split(t, b, " ");
		exit !(n == 2 && m == 2 && a[1] > 0 && a[2] > 0 && b[1] > 0 && b[2] > 0) }'
# The guest's own MemTotal (samples.csv, as the agent read it) moved by the
# requested 512 MiB: its highest and lowest values differ by 512 MiB.
tot=$(csv_awk '$c["source"] == "guest" && $c["mem_total_kib"] != "" { print $c["mem_total_kib"] }' "$d/samples.csv" | sort -n)
lo=$(echo "$tot" | head -n 1) hi=$(echo "$tot" | tail -n 1)
diag "guest MemTotal from $hi KiB down to $lo KiB"
check "guest MemTotal fell by the requested 512 MiB (by $(( (hi - lo) / 1024 )) MiB)" within $((hi - lo)) 524288 1024
last=$(echo "$(csv_awk '$c["source"] == "guest" && $c["mem_total_kib"] != "" { print $c["mem_total_kib"] }' "$d/samples.csv" | tail -n 1)")
check "guest MemTotal back at its highest after the plug" test "$last" = "$hi"
act=$(csv_awk '$c["source"] == "host" { print $c["actual_mib"] }' "$d/samples.csv" | sort -n | uniq | sed -n '1p;$p' | tr '\n' ' ')
check "QEMU's plugged size went 1024 -> 512 MiB (host view: $act)" test "$act" = "512.000 1024.000 "
# The guest's memory blocks online (the agent's "memory blocks online: N of M,
# B MiB each" lines in events.csv): 512 MiB worth went offline and came back.
blk=$(sed -n 's/.*memory blocks online: \([0-9]*\) of [0-9]*, \([0-9]*\) MiB each.*/\1 \2/p' "$d/events.csv")
diag "memory blocks online over the run: $(echo "$blk" | cut -d' ' -f1 | tr '\n' ' ')"
check "memory blocks online fell by 512 MiB worth and came back ($(echo "$blk" | wc -l) lines)" \
	sh -c "echo '$blk' | awk 'NR == 1 { first = \$1; lo = \$1; b = \$2 } \$1 < lo { lo = \$1 } { last = \$1 }
		END { exit !(NR >= 3 && b > 0 && (first - lo) * b == 512 && last == first) }'"
# probe=auto: the agent follows virtio-mem by kprobe events on the driver's
# plug and unplug requests (each with its size and the kernel's time of the
# device's answer), where the guest offers them (run.json
# guest.vmem_kprobe_events).
vk=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["vms"][0]["guest"].get("vmem_kprobe_events", ""))' "$d/run.json")
rows=$(python3 -c 'import json, sys
for p in json.load(open(sys.argv[1]))["vms"][0]["probe"]:
	print(" ".join(str(p.get(k)) for k in ("method", "events", "event_mib", "coverage", "lost", "mismatch", "hits_entry", "hits_return")))' "$d/run.json" | tr '\n' ';')
diag "virtio-mem kprobe events: ${vk:-?}; per transition (method events MiB coverage lost mismatch hits): $rows"
if [ -z "$vk" ] || [ "$vk" = none ]; then
	skip_n 4 "the guest offers no virtio-mem kprobe events (run.json: ${vk:-absent})"
else
	# every acknowledged request counted, with its size: the MiB they moved
	# are the MiB QEMU's plugged size moved (its own view), in both moves
	check "both moves followed by request events: none lost or unpaired, MemTotal agreed, 512 MiB of requests for QEMU's 512 (coverage 1)" \
		awk -v r="$rows" 'BEGIN { n = split(r, a, ";"); if (n != 3) exit 1
			for (i = 1; i <= 2; i++) { split(a[i], x, " ")
				if (x[1] != "kprobe" || x[2] < 1 || x[3] != 512 || x[4] < 1 - 0.5 / 512 || x[4] > 1 + 0.5 / 512 || x[5] != 0 || x[6] != 0) exit 1 } }'
	# two hooks a request (entry: its size; return: the answer), and the
	# estimate of what they cost: hits x the cost a hit the agent measured
	hook=$(python3 -c 'import json, sys
h = json.load(open(sys.argv[1]))["vms"][0].get("hook_cost")
print("" if h is None else "%s %s" % (h["entry_us"], h["return_us"]))' "$d/run.json")
	crow=$(csv_awk '{ printf "%s %s %s;", $c["probe_hits"], $c["probe_perturbation_pct"], $c["t100_ms"] }' "$tr")
	diag "hook hit (entry us, return us): ${hook:-not measured}; csv (hits pct t100_ms): $crow"
	check "two hook hits a request; probe_perturbation_pct = hits x cost / t100 (to 0.5 %)" \
		awk -v p="$rows" -v c="$crow" -v h="$hook" 'BEGIN { n = split(p, a, ";"); split(c, b, ";"); if (split(h, k, " ") != 2) exit 1
			for (i = 1; i <= 2; i++) { split(a[i], x, " "); split(b[i], y, " ")
				if (x[7] != x[2] || x[8] != x[2] || y[1] != x[7] + x[8]) exit 1
				want = (x[7] * k[1] + x[8] * k[2]) / (y[3] * 1000) * 100
				if (y[2] == "" || y[2] < 0 || y[2] > 100 || (y[2] - want) > 0.005 * want + 0.001 || (want - y[2]) > 0.005 * want + 0.001) exit 1 }
			exit n != 3 }'
	# t100 from the events (the kernel's time of the last answer, on the
	# host's clock) against QEMU's view (host_t100: the first host sample at
	# the target): QEMU's size moves before the guest hears the answer, and
	# the runner samples QEMU every so often, so they may differ by the
	# host samples' spacing at that end, plus the clock offset's error bound,
	# plus half of each of those two samples' queries: a host sample is
	# stamped at the middle of its query to QEMU (guestqemu.c), and QEMU
	# read its size somewhere within it (host_query_ms)
	err=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["vms"][0]["clock"]["error_bound_ns"] / 1e6)' "$d/run.json")
	ends=$(csv_awk '{ printf "%s %s %s;", $c["t_set_s"], $c["t100_ms"], $c["host_t100_ms"] }' "$tr")
	hts=$(csv_awk '$c["source"] == "host" { printf "%s:%s ", $c["t_s"], $c["host_query_ms"] }' "$d/samples.csv")
	cmp=$(awk -v e="$ends" -v h="$hts" -v err="$err" 'BEGIN { n = split(e, a, ";"); m = split(h, t, " ")
		for (j = 1; j <= m; j++) { split(t[j], y, ":"); ts[j] = y[1]; q[j] = y[2] }
		for (i = 1; i < n; i++) { split(a[i], x, " "); th = x[1] + x[3] / 1000; gap = ""; half = ""
			for (j = 2; j <= m; j++) if (ts[j] >= th - 1e-6) { gap = (ts[j] - ts[j - 1]) * 1000
				if (q[j] != "" && q[j - 1] != "") half = (q[j] + q[j - 1]) / 2; break }
			printf "%s %s %s %s;", x[2], x[3], gap, half == "" ? "" : err + half } }')
	diag "t100 guest (events) / host / host sample gap / clock error + the queries' halves, ms: $cmp"
	check "t100 from the events within the host samples' gap (+ clock error, + the queries' halves) of QEMU's view, both moves" \
		awk -v c="$cmp" 'BEGIN { n = split(c, a, ";"); if (n != 3) exit 1
			for (i = 1; i <= 2; i++) { split(a[i], x, " "); d = x[1] - x[2]; if (d < 0) d = -d
				if (x[1] == "" || x[2] == "" || x[3] == "" || x[4] == "" || d > x[3] + x[4]) exit 1 } }'
	check "the agent's own samples carry the events' view: MemTotal reached 512 MiB below its start exactly" \
		test $((hi - lo)) -eq 524288
fi
# Where the events cannot be opened (test fault vmem-kprobe-off keeps them
# closed) probe=auto polls, and says why: one unplug is enough.
mkdir -p "$RESULTS/off"
BALLOONBENCH_FAULT=vmem-kprobe-off timeout 300 "$BB" run -s "$STATE" -o "$RESULTS/off" --set targets=512M "$T/vmem.ini" >"$T/out" 2>"$T/err"
rc=$?
od=$(ls -d "$RESULTS/off"/2* 2>/dev/null | head -n 1)
om=$(python3 -c 'import json, sys; print(" ".join(p["method"] for p in json.load(open(sys.argv[1]))["vms"][0]["probe"]))' "$od/run.json" 2>/dev/null)
why=$(grep -o 'virtio-mem: kprobe events do not follow this change: [^"]*' "$od/events.csv" 2>/dev/null | head -n 1)
diag "events closed: exit $rc, methods: ${om:-none}; $why"
oreached=$(csv_col "$od/transitions.csv" reached 2>/dev/null | tr -d '\n')
check "events closed: the run polls (exit $rc, methods: ${om:-none}), reached 512 MiB" \
	test "$rc $om $oreached" = "0 poll 1"
[ $rc -eq 0 ] || show "$T/err"
check "events closed: events.csv says why the change was polled" \
	sh -c "echo '$why' | grep -q 'bb.vmem_kprobe=0' && grep -q 'unavailable for virtio-mem (polling)' '$od/events.csv'"
# probe=kprobe asks for them: without them the guest fails before its first change, saying why
BALLOONBENCH_FAULT=vmem-kprobe-off timeout 300 "$BB" run -s "$STATE" -o "$RESULTS/off" --set targets=512M --set probe=kprobe "$T/vmem.ini" >"$T/out" 2>"$T/err"
rc=$?
check "events closed, probe=kprobe: the run fails (exit $rc) naming virtio-mem's request events" \
	sh -c "[ $rc -ne 0 ] && grep -q \"probe=kprobe, but the guest agent could not open virtio-mem's request events\" '$T/err'"
[ $rc -ne 0 ] || show "$T/err"
check "no VM left running" test "$(qemus)" -eq 0

# An image without virtio_mem: refused before any guest boots, with the reason.
img=$T/img
mkdir -p "$img"
ln -s "$BB_IMAGE_DIR/vmlinuz" "$img/vmlinuz"
ln -s "$BB_IMAGE_DIR/initrd.img" "$img/initrd.img"
grep -v '^virtio_mem.ko$' "$BB_IMAGE_DIR/modules" > "$img/modules" 2>/dev/null
echo "# CONFIG_VIRTIO_MEM is not set" > "$img/kernel.config"
BB_IMAGE_DIR=$img timeout 120 "$BB" run -s "$STATE" -o "$RESULTS/noimg" "$T/vmem.ini" >"$T/out" 2>"$T/err"
rc=$?
grep -q "mechanism=virtio-mem is not possible here: the guest image in .* has no virtio_mem" "$T/err"
ok $? "an image without virtio_mem: refused with the reason (exit $rc)"
show "$T/err"
check "refused with exit 2 before any guest booted" \
	bash -c "[ $rc -eq 2 ] && ! grep -q booting '$T/err'"
finish

#!/bin/bash
# vm-virtio-mem: mechanism=virtio-mem in a real guest: unplug and plug, their rates, guest MemTotal and QEMU agreeing with the requested size; refused before boot where the image lacks virtio_mem.
. "$(dirname "$0")/lib.sh"
require vm
plan 16

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

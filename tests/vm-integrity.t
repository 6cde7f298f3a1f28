#!/bin/bash
# vm-integrity: the integrity workload under inflate and deflate finds nothing wrong and says what it verified; with a byte flipped (BALLOONBENCH_FAULT=integrity-flip) it finds it, at its page, and the run fails.
. "$(dirname "$0")/lib.sh"
require vm
plan 14

# 32 MiB verified over and over (8192 pages a pass) while the balloon takes
# 512 MiB and gives it back; small enough that a loaded host (45 MiB/s
# verified under TCG at load 18) ends its first pass early in the warm-up.
scenario integ <<'INI'
[global]
accel = tcg
memory = 1G
settle = 1s

[integ]
workload = integrity:size=32M
warmup = 3s
targets = 512M, 1G
INI

"$BB" run -s "$STATE" -o "$RESULTS/clean" "$T/integ.ini" >"$T/out" 2>"$T/err"
rc=$?
ok $rc "clean: the run exits 0"
[ $rc -eq 0 ] || show "$T/err"
dir=$(ls -d "$RESULTS"/clean/2* | head -n 1)
check "clean: run.json says complete" grep -q '"status": "complete"' "$dir/run.json"
total=$(grep ',integrity,' "$dir/events.csv" | head -n 1)
diag "clean: $total"
gib=$(echo "$total" | sed -n 's/.*verified_gib=\([0-9.]*\).*/\1/p')
pages=$(echo "$total" | sed -n 's/.*pages=\([0-9]*\).*/\1/p')
check "clean: the integrity event says 0 mismatches" grep -q ',integrity,"integrity verified_gib=[0-9.]* pages=[0-9]* mismatches=0"' "$dir/events.csv"
check "clean: it verified more than one pass of 32 MiB (${pages:-?} pages, ${gib:-?} GiB)" test "${pages:-0}" -gt 8192
check "clean: no integrity-mismatch event" sh -c "! grep -q ',integrity-mismatch,' '$dir/events.csv'"
mib=$(csv_col "$dir/transitions.csv" wl_verified_mib | tr '\n' ' ')
bad=$(csv_col "$dir/transitions.csv" wl_mismatches | tr '\n' ' ')
diag "clean: MiB verified per transition: $mib; mismatches: $bad"
check "clean: both transitions verified memory (wl_verified_mib > 0: $mib)" \
	csv_awk '{ n++; if (!($c["wl_verified_mib"] > 0)) exit 1 } END { exit n != 2 }' "$dir/transitions.csv"
check "clean: both transitions found 0 mismatches ($bad)" test "$bad" = "0 0 "
# TCG's speed at it: GiB verified over the workload's life (its start to its exit)
secs=$(csv_awk '$c["event"] == "workload-start" { a = $c["t_s"] } $c["event"] == "workload-exit" { b = $c["t_s"] } END { print b - a }' "$dir/events.csv")
diag "clean: ${gib:-?} GiB verified in ${secs:-?} s of the workload's life under TCG ($(awk -v g="${gib:-0}" -v s="${secs:-1}" 'BEGIN { printf "%.3f", g / s }') GiB/s, filling and warm-up included)"

BALLOONBENCH_FAULT=integrity-flip "$BB" run -s "$STATE" -o "$RESULTS/flip" "$T/integ.ini" >"$T/out2" 2>"$T/err2"
rc=$?
check "flip: the run exits 1 (got $rc)" test $rc -eq 1
dir=$(ls -d "$RESULTS"/flip/2* | head -n 1)
ev=$(grep ',integrity-mismatch,' "$dir/events.csv" | head -n 1)
diag "flip: $ev"
# the flip: byte 1234 of thread 0's middle page, page 4096 of 8192
check "flip: one integrity-mismatch event, at page 4096 byte 1234, corrupt" \
	sh -c "test \$(grep -c ',integrity-mismatch,' '$dir/events.csv') -eq 1 && grep -q ',integrity-mismatch,\"integrity page=4096 offset=1234 addr=0x[0-9a-f]* kind=corrupt guest_t_s=[0-9.]* ' '$dir/events.csv'"
check "flip: the integrity event counts 1 mismatch" grep -q ',integrity,"integrity verified_gib=[0-9.]* pages=[0-9]* mismatches=1"' "$dir/events.csv"
check "flip: the guest failed with the mismatch's page" \
	grep -q 'memory integrity: 1 mismatches in [0-9.]* GiB verified, first at page 4096 (byte 1234, corrupt) at t=' "$dir/run.json"
check "flip: said on stderr" grep -q 'memory integrity: 1 mismatches' "$T/err2"
check "flip: run.json says incomplete" grep -q '"status": "incomplete"' "$dir/run.json"
check "no VM left running" test "$(qemus)" -eq 0
finish

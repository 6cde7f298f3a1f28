#!/bin/bash
# failed-guest: compare and trend leave a failed guest's transitions out (run.json failed_guests, as summary.csv does) and count an empty cell (a host figure that does not exist there) as missing, not 0; synthetic runs, no VM.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/tap.sh"
BB=${BB:-$TOP/build/balloonbench}
T=$(mktemp -d /tmp/bbfailed.XXXXXX)
trap 'rm -rf "$T"' EXIT
require bb
plan 7

# cell FILE METRIC COLUMN: COLUMN of FILE's row for inflate METRIC, columns by name
cell() {
	awk -F, -v m="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) k[$i] = i; next }
		$k["direction"] == "inflate" && $k["metric"] == m { print $k[c] }' "$1"
}

# mkrun DIR K FAILED: run K of a side: guest g0 with 10 inflates at about 500 MiB/s,
# host_lag_ms in every other row only (the others empty: the RSS did not move);
# with FAILED=1 also guest g1, 50 MiB/s and lags of -700 ms, which failed
mkrun() {
	local d=$1 k=$2 f=$3 vms='{ "name": "g0", "job": "square", "vm_index": 0, "rep": 0, "warmup": false, "memory_mib": 1024, "accel": "tcg" }'
	mkdir -p "$d"
	[ "$f" = 1 ] && vms="$vms, { \"name\": \"g1\", \"job\": \"square\", \"vm_index\": 1, \"rep\": 0, \"warmup\": false, \"memory_mib\": 1024, \"accel\": \"tcg\", \"failure\": \"g1: the domain failed\" }"
	cat > "$d/run.json" <<JSON
{ "run_id": "run-$k", "status": "incomplete", "started_at": "2026-12-02T0$k:00:00Z",
  "scenario": { "file": "bench/ci.ini", "text": "[square]", "overrides": "", "jobs": [ { "name": "square", "label": "", "vms": "2" } ] },
  "vms": [ $vms ], "completed_guests": [ "g0" ], "failed_guests": [ $([ "$f" = 1 ] && echo '"g1"') ] }
JSON
	awk -v k="$k" -v f="$f" 'BEGIN {
		print "vm,job,direction,mean_rate_mib_s,t100_ms,host_lag_ms,warmup,label"
		for (i = 0; i < 10; i++) {
			r = 500 + ((i * 7 + k * 3) % 11) - 5
			printf "g0,square,inflate,%d,%.3f,%s,0,\"\"\n", r, 768000 / r, i % 2 ? "" : 100 + i
			if (f)
				printf "g1,square,inflate,50,15360,-700,0,\"\"\n"
		}
	}' > "$d/transitions.csv"
}
for k in 1 2 3; do
	mkrun "$T/base/r$k" "$k" 0
	mkrun "$T/cand/r$k" "$((k + 3))" 1
done

mkdir -p "$T/o"
"$BB" compare -q -o "$T/o" "$T/base" "$T/cand" >"$T/out" 2>&1
rc=$?
check "compare: exit 0, no regression from a failed guest's slow transitions (got $rc)" test $rc -eq 0
check "compare: the failed guest's 30 transitions left out (n_cand $(cell "$T/o/compare.csv" mean_rate_mib_s n_cand))" \
	test "$(cell "$T/o/compare.csv" mean_rate_mib_s n_cand)" = 30
check "compare: the rate is no-change ($(cell "$T/o/compare.csv" mean_rate_mib_s verdict))" \
	test "$(cell "$T/o/compare.csv" mean_rate_mib_s verdict)" = no-change
# host_lag_ms in 5 rows of 10 a run: n 15 a side, median 104 (100..108), not 0 or 50
check "compare: empty host_lag_ms cells are missing, not 0 (n $(cell "$T/o/compare.csv" host_lag_ms n_base), median $(cell "$T/o/compare.csv" host_lag_ms median_base))" \
	sh -c "[ '$(cell "$T/o/compare.csv" host_lag_ms n_base)' = 15 ] && [ '$(cell "$T/o/compare.csv" host_lag_ms n_cand)' = 15 ] &&
		[ '$(cell "$T/o/compare.csv" host_lag_ms median_base)' = 104 ] && [ '$(cell "$T/o/compare.csv" host_lag_ms median_cand)' = 104 ]"

mkdir -p "$T/hist"
for r in r1 r2; do cp -r "$T/base/$r" "$T/hist/base-$r"; cp -r "$T/cand/$r" "$T/hist/cand-$r"; done
"$BB" trend -m mean_rate_mib_s -m host_lag_ms -o "$T/hist" "$T/hist" >"$T/tout" 2>&1
ok $? "trend: exit 0"
ns=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) k[$i] = i; next } $k["metric"] == "mean_rate_mib_s" { printf "%s ", $k["n"] }' "$T/hist/trend.csv")
check "trend: a failed guest's transitions left out of its run's median (n per run: $ns)" test "$ns" = "10 10 10 10 "
ns=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) k[$i] = i; next } $k["metric"] == "host_lag_ms" { printf "%s ", $k["n"] }' "$T/hist/trend.csv")
check "trend: empty host_lag_ms cells are missing (n per run: $ns)" test "$ns" = "5 5 5 5 "
finish

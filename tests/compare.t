#!/bin/bash
# compare: balloonbench compare on synthetic results directories with known
# answers (no VM: this checks the command, its verdicts, outputs and errors;
# vm-compare.t compares real runs). Values are seeded draws, so the outcome is fixed.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/tap.sh"
BB=${BB:-$TOP/build/balloonbench}
T=$(mktemp -d /tmp/bbcompare.XXXXXX)
trap 'rm -rf "$T"' EXIT
require bb
plan 30

# mkrun DIR SEED RATE NOISE [ACCEL] [MEMORY] [TEXT]: a results directory whose 10
# inflations have mean rates RATE * (1 + NOISE * N(0,1)) and t100 = 768 MiB / rate
# PM_RAND: Park and Miller's minimal standard generator, awk code to paste in a
# program: pm_seed(S) then pm_rand() in (0, 1); every product is below 2^46, so
# exact in any awk's doubles, and the sequence is the same under mawk and gawk
PM_RAND='function pm_seed(s) { pm_x = (s % 2147483646) + 1; pm_rand(); pm_rand() }
	function pm_rand() { pm_x = (pm_x * 16807) % 2147483647; return pm_x / 2147483647 }'
mkrun() {
	local d=$1 seed=$2 rate=$3 noise=$4 accel=${5:-tcg} mem=${6:-1024} text=${7:-"[square]"} file=${8:-ci.ini}
	mkdir -p "$d"
	cat > "$d/run.json" <<JSON
{ "run_id": "$(basename "$d")", "status": "complete",
  "scenario": { "file": "bench/$file", "text": "$text", "overrides": "", "jobs": [ { "name": "square", "label": "", "vms": "1" } ] },
  "vms": [ { "name": "vm-$(basename "$d")", "job": "square", "vm_index": 0, "rep": 0, "warmup": false,
             "memory_mib": $mem, "accel": "$accel" } ] }
JSON
	awk -v s="$seed" -v r="$rate" -v z="$noise" -v vm="vm-$(basename "$d")" "$PM_RAND"'
	BEGIN {
		pm_seed(s); print "vm,job,direction,mean_rate_mib_s,t100_ms,warmup,label"
		for (i = 0; i < 10; i++) {
			# Box-Muller normal
			u = pm_rand(); v = pm_rand(); g = sqrt(-2 * log(u + 1e-12)) * cos(6.283185307 * v)
			x = r * (1 + z * g); if (x < 1) x = 1
			printf "%s,square,inflate,%.3f,%.3f,0,\"\"\n", vm, x, 768 / x * 1000
		}
	}' > "$d/transitions.csv"
}

for i in 1 2 3; do
	mkrun "$T/base/r$i" "$i" 500 0.05
	mkrun "$T/same/r$i" "$((i + 10))" 500 0.05
	mkrun "$T/slow/r$i" "$((i + 20))" 400 0.05	# 20 % slower
	mkrun "$T/noisy/r$i" "$((i + 30))" 500 0.6
done
mkrun "$T/few/r1" 41 500 0.05
sed -i '5,$d' "$T/few/r1/transitions.csv"		# 3 values
mkrun "$T/kvm/r1" 51 500 0.05 kvm
mkrun "$T/big/r1" 52 500 0.05 tcg 2048
mkrun "$T/other/r1" 53 500 0.05 tcg 1024 "[other]"

mkdir -p "$T/o1"
"$BB" compare -o "$T/o1" "$T/base" "$T/same" >"$T/out1" 2>&1
rc=$?
check "same distribution: exit 0 (got $rc)" test $rc -eq 0
check "same distribution: the rate is no-change" grep -Eq '^ci.ini:square +inflate +mean_rate_mib_s +30/30 .*no-change \*$' "$T/out1"
check "compare.csv, compare.tap and compare.html written" test -s "$T/o1/compare.csv" -a -s "$T/o1/compare.tap" -a -s "$T/o1/compare.html"
check "compare.csv: documented header" grep -q '^schema,scenario,job,label,direction,metric,unit,better,gated,n_base,n_cand,median_base,median_cand,rel_change,ci_lo,ci_hi,' "$T/o1/compare.csv"

# -o DIR: made with its parents when it is not there (as run -o does); one line if it cannot be
"$BB" compare -q -o "$T/new/o1" "$T/base" "$T/same" >"$T/out1" 2>&1
rc=$?
check "-o a directory that is not there: made, the files in it (exit $rc)" \
	test $rc -eq 0 -a -s "$T/new/o1/compare.csv" -a -s "$T/new/o1/compare.html"
: >"$T/afile"
"$BB" compare -q -o "$T/afile/o1" "$T/base" "$T/same" >"$T/out1" 2>&1
rc=$?
check "-o under a file: exit 2, one line saying so ($rc: $(head -c 120 "$T/out1"))" \
	sh -c "[ $rc -eq 2 ] && [ \$(wc -l <'$T/out1') -eq 1 ] && grep -q 'cannot make the directory: Not a directory' '$T/out1'"

mkdir -p "$T/o2"
"$BB" compare -o "$T/o2" "$T/base" "$T/slow" >"$T/out2" 2>&1
rc=$?
check "20 % slower: exit 1 (got $rc)" test $rc -eq 1
check "20 % slower: the rate is a regression" grep -Eq '^ci.ini:square +inflate +mean_rate_mib_s .*regression \*$' "$T/out2"
check "... and t100 too (lower is better there)" grep -Eq '^ci.ini:square +inflate +t100_ms .*regression \*$' "$T/out2"
check "reversed: an improvement, exit 0" sh -c "'$BB' compare -q -o '$T/o2' '$T/slow' '$T/base'; [ \$? -eq 0 ] && grep -q ',mean_rate_mib_s,.*,improvement,' '$T/o2/compare.csv'"

mkdir -p "$T/o3"
"$BB" compare -o "$T/o3" "$T/base" "$T/noisy" >"$T/out3" 2>&1
rc=$?
check "60 % noise, 3 runs a side: inconclusive, exit 2 (got $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q ',mean_rate_mib_s,.*,inconclusive,\"p=.* reaches' '$T/o3/compare.csv'"
# single runs: a real 20 % slowdown, but one run a side is too few repetitions
"$BB" compare -o "$T/o3" "$T/base/r1" "$T/slow/r1" >"$T/out4" 2>&1
rc=$?
check "one run a side: inconclusive (min-runs), exit 2, even for a real change (got $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q ',mean_rate_mib_s,.*,inconclusive,\"1 vs 1 run(s): fewer than min-runs 3 (alone: regression' '$T/o3/compare.csv'"
printf '[default]\nmin-runs = 1\n' > "$T/one.ini"
"$BB" compare -t "$T/one.ini" -o "$T/o3" "$T/base/r1" "$T/few/r1" >"$T/out4" 2>&1
rc=$?
check "3 values (min-runs 1): inconclusive (min-n), exit 2 (got $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q ',mean_rate_mib_s,.*,inconclusive,\"n=10 vs 3' '$T/o3/compare.csv'"

# TAP: prove reads it; the slow comparison's gated lines fail
"$BB" compare --tap -o "$T/o2" "$T/base" "$T/slow" >"$T/tap" 2>/dev/null
check "--tap: one line per metric, the gated regressions 'not ok'" \
	sh -c "grep -q '^1\.\.' '$T/tap' && grep -Eq '^not ok [0-9]+ - ci.ini square inflate mean_rate_mib_s: regression' '$T/tap'"

# not comparable
for what in kvm big other; do
	"$BB" compare -q -o "$T/o3" "$T/base/r1" "$T/$what/r1" >"$T/out5" 2>&1
	rc=$?
	check "not comparable ($what): exit 2, one line saying why ($(head -c 90 "$T/out5"))" \
		sh -c "[ $rc -eq 2 ] && [ \$(wc -l < '$T/out5') -eq 1 ] && grep -q 'not comparable' '$T/out5'"
done
mkdir -p "$T/o6"
"$BB" compare --allow-mismatch -t "$T/one.ini" -o "$T/o6" "$T/base/r1" "$T/kvm/r1" >"$T/out9" 2>&1
rc=$?
check "--allow-mismatch: compared anyway, warned, the verdicts decide (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && grep -q 'not comparable (--allow-mismatch): accel' '$T/out9' && grep -q ',mean_rate_mib_s,' '$T/o6/compare.csv'"

# a set of two scenarios: matched per scenario, not mixed
for i in 1 2 3; do
	mkrun "$T/two-a/r$i" "$((i + 60))" 500 0.05
	mkrun "$T/two-a/s$i" "$((i + 70))" 100 0.05 tcg 1024 "[other]" other.ini
	mkrun "$T/two-b/r$i" "$((i + 80))" 500 0.05
	mkrun "$T/two-b/s$i" "$((i + 90))" 100 0.05 tcg 1024 "[other]" other.ini
done
mkdir -p "$T/o4"
"$BB" compare -q -o "$T/o4" "$T/two-a" "$T/two-b" >"$T/out7" 2>&1
rc=$?
rows=$(grep -c ',mean_rate_mib_s,' "$T/o4/compare.csv")
check "two scenarios a side: exit 0 ($rc), a rate row for each scenario ($rows)" \
	sh -c "[ $rc -eq 0 ] && [ $rows -eq 2 ] && grep -q '^1,other.ini,square,' '$T/o4/compare.csv'"
mkrun "$T/clash/r1" 101 500 0.05
mkrun "$T/clash/r2" 102 500 0.05 tcg 1024 "[square] changed"
"$BB" compare -q -o "$T/o4" "$T/base" "$T/clash" >"$T/out8" 2>&1
rc=$?
check "one scenario file run with two texts in a side: not comparable ($rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q 'different texts of one scenario file' '$T/out8'"

# figures whose baseline is noise around 0 (found on real A/B data): host_returned_mib of
# untouched memory printed +156.8 % [-100.1 %, +inf %], host_lag_ms -77 against -10 ms a
# relative change; both are changes in their unit now, and no output says inf %
mkhost() { # mkhost DIR SEED LAG: 6 transitions, host_returned_mib ~ 0.3 +- 1, host_lag_ms ~ LAG +- 3
	mkdir -p "$1"
	sed 's/"vm-[^"]*"/"vm-h"/' "$T/base/r1/run.json" >"$1/run.json"
	awk -v s="$2" -v lag="$3" "$PM_RAND"'
	BEGIN { pm_seed(s); print "vm,job,direction,host_returned_mib,host_lag_ms,stalls,warmup,label"
		for (i = 0; i < 6; i++)
			printf "vm-h,square,inflate,%.3f,%.1f,%d,0,\"\"\n", 0.3 + 2 * (pm_rand() - 0.5), lag + 6 * (pm_rand() - 0.5), i < 3 ? 0 : 1 }' >"$1/transitions.csv"
}
for i in 1 2 3; do
	mkhost "$T/hb/r$i" "$((i + 110))" -77
	mkhost "$T/hc/r$i" "$((i + 120))" -10
done
"$BB" compare -o "$T/o7" "$T/hb" "$T/hc" >"$T/out10" 2>&1
check "noise around 0: host_returned_mib's change in MiB, not in %" \
	grep -Eq '^ci.ini:square +inflate +host_returned_mib .* [+-][0-9.]+ MiB +\[[+-][0-9.]+ MiB, [+-][0-9.]+ MiB\]' "$T/out10"
check "  host_lag_ms (a difference of either sign): +67 ms or so, a regression" \
	grep -Eq '^ci.ini:square +inflate +host_lag_ms .* \+6[0-9.]+ ms .*regression$' "$T/out10"
check "  stalls (a count of median 0.5: resamples of median 0): in counts" \
	grep -Eq '^ci.ini:square +inflate +stalls .* count +\[' "$T/out10"
check "  no inf % anywhere (table, compare.csv, .md, .html, .junit.xml)" \
	sh -c "! grep -Eiq 'inf ?%|%[^,]*inf' '$T/out10' '$T/o7/compare.md' '$T/o7/compare.html' '$T/o7/compare.junit.xml' '$T/o7/compare.csv'"

# compare.html in a browser: a CDF chart per compared metric, drawn, no errors
. "$TOP/tests/browser.sh"
. "$TOP/tests/csv.sh"
mkdir -p "$T/o5"
"$BB" compare -q -o "$T/o5" "$T/base" "$T/slow" >/dev/null 2>&1
if [ -z "$CHROMIUM" ]; then
	skip_n 4 "$(missing chromium)"
else
	body=$(selftest "$T/o5/compare.html")
	want=$(csv_awk '$c["n_base"] > 0 && $c["n_cand"] > 0' "$T/o5/compare.csv" | wc -l)
	got=$(sed -n 's/.*data-charts="\([0-9]*\)".*/\1/p' <<<"$body")
	[ "$want" -gt 0 ] && [ "${got:-0}" -eq "$want" ] && grep -q 'data-blank=""' <<<"$body"
	ok $? "compare.html draws a chart per compared metric ($want), none blank: got ${got:-none}"
	cons=$(grep -c CONSOLE "$T/console")
	[ "$cons" -eq 0 ] && grep -q 'data-errors=""' <<<"$body"
	ok $? "no console message ($cons) and no page error"
	# at 1280 px the verdicts' table fits its box: the why column was cut off at the right edge
	body=$(browse "$T/dom" "$T/console" --window-size=1280,900 --dump-dom "file://$T/o7/compare.html#selftest" &&
		grep -o '<body[^>]*data-selftest[^>]*>' "$T/dom" | head -n 1)
	wide=$(sed -n 's/.*data-wide="\([^"]*\)".*/\1/p' <<<"$body")
	grep -q 'data-wide=""' <<<"$body"
	ok $? "at 1280 px the verdicts' table fits its container, why column and all (${wide:-fits})"
	mkdir -p "$TOP/build/artefacts"
	shot="$TOP/build/artefacts/compare.png"
	rm -f "$shot"
	browse "$T/sout" "$T/serr" --hide-scrollbars --window-size=1280,1800 --screenshot="$shot" \
		"file://$T/o5/compare.html"
	check "a screenshot kept as a test artefact ($shot)" test -s "$shot"
fi

# the same scenario with a comment edited and blank space changed: still comparable
for i in 1 2 3; do
	mkrun "$T/recomment/r$i" "$((i + 110))" 500 0.05 tcg 1024 '; the CI set, commented anew\n\n[square]   ; a job\n'
done
"$BB" compare -q -o "$T/o4" "$T/base" "$T/recomment" >"$T/out10" 2>&1
rc=$?
check "a comment edited in the scenario: still comparable (exit $rc)" test $rc -eq 0

# a bad thresholds file names file:line
printf '[default]\nmin-change = lots\n' > "$T/th.ini"
"$BB" compare -t "$T/th.ini" "$T/base" "$T/same" >"$T/out6" 2>&1
rc=$?
check "bad thresholds: exit 2 and file:line ($(cat "$T/out6"))" sh -c "[ $rc -eq 2 ] && grep -q 'th.ini:2: min-change' '$T/out6'"
finish

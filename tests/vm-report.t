#!/bin/bash
# vm-report: a real run's summary.csv (warm-up left out) and report.html, opened
# in headless Chromium as a person would: no console errors, every chart drawn,
# a screenshot kept in build/artefacts/.
. "$(dirname "$0")/lib.sh"
require vm
plan 18

scenario rep <<'INI'
[global]
accel = tcg
memory = 1G

; two guest nodes and a workload: every per-guest chart has data
[hold]
guest-numa = 2
workload = hold:size=128M,rate=20000
warmup = 500ms
targets = 512M, 1G
settle = 300ms
repeat = 2
warmup-runs = 1
INI

"$BB" run -s "$STATE" -o "$RESULTS" "$T/rep.ini" >"$T/out" 2>"$T/err"
rc=$?
ok $rc "run exits 0"
[ $rc -eq 0 ] || show "$T/err"
dir=$(ls -d "$RESULTS"/2* | head -n 1)
html="$dir/report.html"
check "run prints where report.html is" grep -q "^report: *$html\$" "$T/out"
check "report.html written" test -s "$html"

# summary.csv: the warm-up run is recorded but left out
tr="$dir/transitions.csv"
nw=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "warmup") w = i; if ($i == "direction") d = i } next }
	$d == "inflate" { n[$w]++ } END { printf "%d %d", n[0], n[1] }' "$tr")
diag "inflations measured, warm-up: $nw"
check "transitions.csv: 2 measured inflations and 1 warm-up" test "$nw" = "2 1"
n=$(csv_awk '$c["direction"] == "inflate" && $c["metric"] == "mean_rate_mib_s" && $c["vm"] == "all" { print $c["n"] }' "$dir/summary.csv")
check "summary.csv: inflate mean rate over n=2 (warm-up excluded, got '$n')" test "$n" = 2
check "summary.csv: schema 1 and documented header" \
	grep -q '^schema,scenario,job,label,vm,direction,metric,unit,better,n,median,mean,stddev,min,max,ci_lo,ci_hi,ci_coverage$' "$dir/summary.csv"

# self-contained: nothing to fetch
check "report.html loads no script, style or image from elsewhere" \
	sh -c "! grep -Eiq '<(script|img|iframe)[^>]+src=|<link[^>]+href=|@import|fetch\\(|XMLHttpRequest' '$html'"
size=$(stat -c %s "$html")
diag "report.html: $size bytes"

# report again, from the files alone: same summary
cp "$dir/summary.csv" "$T/summary.before"
"$BB" report "$dir" >"$T/rout" 2>&1
ok $? "balloonbench report DIR exits 0"
check "... and writes the same summary.csv" cmp -s "$dir/summary.csv" "$T/summary.before"
"$BB" report "$T/nowhere" >"$T/rbad" 2>&1
rc=$?
check "report of a missing directory: exit 2, one line ($rc: $(head -c 100 "$T/rbad"))" \
	sh -c "[ $rc -eq 2 ] && [ \$(wc -l < '$T/rbad') -eq 1 ] && grep -q 'nowhere: not a results directory' '$T/rbad'"

# the page in a browser
. "$TOP/tests/browser.sh"
if [ -z "$CHROMIUM" ]; then
	for i in 1 2 3 4 5 6 7; do skip "no chromium (make check installs it: scripts/install-deps.sh --test)"; done
else
	body=$(selftest "$html")
	ok $? "chromium opened the page"
	diag "$body"
	check "the page drew itself and checked its charts" grep -q 'data-selftest="done"' <<<"$body"
	charts=$(sed -n 's/.*data-charts="\([0-9]*\)".*/\1/p' <<<"$body")
	# rates (2) + per guest: memory, faults, nodes, latency percentiles, latency CDF
	check "17 charts (2 for rates, 5 per guest x 3 guests): got ${charts:-none}" test "${charts:-0}" -eq 17
	check "every chart has its series drawn (no blank canvas)" grep -q 'data-blank=""' <<<"$body"
	grep -q 'data-checks=""' <<<"$body" && ! grep -q 'id="comparison"' "$T/dom"
	ok $? "the page's own checks pass (one job: no comparison block, its key figures lead)"
	cons=$(grep -c 'CONSOLE' "$T/console")
	[ "$cons" -eq 0 ] || grep 'CONSOLE' "$T/console" | head -n 5 | sed 's/^/#   /'
	grep -q 'data-errors=""' <<<"$body"
	errs=$?
	check "no console message ($cons) and no page error" test "$cons" -eq 0 -a "$errs" -eq 0
	mkdir -p "$TOP/build/artefacts"
	shot="$TOP/build/artefacts/vm-report.png"
	rm -f "$shot"
	browse "$T/sout" "$T/serr" --hide-scrollbars --window-size=1280,4000 --screenshot="$shot" "file://$html"
	check "a screenshot kept as a test artefact ($shot)" test -s "$shot"
fi
check "no VM left running" test "$(qemus)" -eq 0
finish

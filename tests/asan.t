#!/bin/bash
# asan: the ASan+UBSan build of the runner (build/asan/balloonbench) on what
# needs no VM: compare and dry-run (their whole tests), report of a results
# directory, bad scenarios and thresholds. Any sanitizer report fails the test (the runtime
# aborts and the exit status is not the expected one).
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/tap.sh"
ASAN=$TOP/build/asan/balloonbench
T=$(mktemp -d /tmp/bbasan.XXXXXX)
trap 'rm -rf "$T"' EXIT
ASAN_BB=$ASAN require asan
plan 9
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

BB=$ASAN "$TOP/tests/compare.t" >"$T/compare.tap" 2>"$T/compare.err"
rc=$?
ok $rc "tests/compare.t under ASan+UBSan ($(grep -c '^ok' "$T/compare.tap") ok)"
[ $rc -eq 0 ] && ! grep -q 'Sanitizer' "$T/compare.err" ||
	{ grep -A3 '^not ok' "$T/compare.tap"; cat "$T/compare.err"; } | sed 's/^/#   /' | head -30

BB=$ASAN "$TOP/tests/dry-run.t" >"$T/dry.tap" 2>"$T/dry.err"
rc=$?
ok $rc "tests/dry-run.t under ASan+UBSan ($(grep -c '^ok' "$T/dry.tap") ok)"
[ $rc -eq 0 ] && ! grep -q 'Sanitizer' "$T/dry.err" ||
	{ grep -A3 '^not ok' "$T/dry.tap"; cat "$T/dry.err"; } | sed 's/^/#   /' | head -30

# a real run's results: every file the recorder writes, in its format (two guests,
# a workload, a transition that gave up): the normal path, no sanitizer report
cp -r "$TOP/tests/data/results-real" "$T/real"
"$ASAN" report "$T/real" >"$T/out" 2>&1
rc=$?
[ $rc -eq 0 ] && ! grep -q Sanitizer "$T/out"
ok $? "report of a real run's results (tests/data/results-real): exit 0, no sanitizer report ($rc)"
[ $rc -eq 0 ] || sed 's/^/#   /' "$T/out" | head -20
mkdir -p "$T/cmp"
"$ASAN" compare -o "$T/cmp" "$T/real" "$TOP/tests/data/results-real" >"$T/out" 2>&1
rc=$?
[ $rc -eq 2 ] && ! grep -q Sanitizer "$T/out" && test -s "$T/cmp/compare.html"
ok $? "compare of a real run with itself: inconclusive (one run a side), exit 2, no sanitizer report ($rc)"
[ $rc -eq 2 ] || sed 's/^/#   /' "$T/out" | head -20

cp -r "$TOP/tests/data/results-mini" "$T/mini"
"$ASAN" report "$T/mini" >"$T/out" 2>&1
ok $? "report of a results directory"
grep -q Sanitizer "$T/out" && sed 's/^/#   /' "$T/out"
test -s "$T/mini/report.html" -a -s "$T/mini/summary.csv"
ok $? "... wrote report.html and summary.csv"

# broken CSV: reported with file:line, still a page, exit 2 (bad input), no sanitizer report
printf 'vm,job,direction\nx,two\n' > "$T/mini/transitions.csv"
"$ASAN" report "$T/mini" >"$T/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'transitions.csv:2:' "$T/out" && ! grep -q Sanitizer "$T/out"
ok $? "a truncated transitions.csv: exit 2 with file:line ($rc)"

bad=0
for f in "$TOP"/tests/data/err-*.ini; do
	"$ASAN" run -s "$T/state" -o "$T/res" "$f" >"$T/out" 2>&1
	rc=$?
	if [ $rc -ne 2 ] || grep -q Sanitizer "$T/out"; then
		bad=$((bad + 1))
		echo "#   $f: exit $rc: $(head -c 200 "$T/out")"
	fi
done
ok $bad "every bad scenario in tests/data: exit 2, no sanitizer report"
"$ASAN" run --set nope=1 -s "$T/state" "$TOP/bench/quick.ini" >"$T/out" 2>&1
[ $? -eq 2 ] && ! grep -q Sanitizer "$T/out"
ok $? "a bad --set: exit 2"
finish

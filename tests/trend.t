#!/bin/bash
# trend: `balloonbench trend` over a history of 8 runs made from one real run
# (tests/fabricate.sh: copies of tests/data/results-quick with their rates
# and times perturbed deterministically, 30 % slower from run 4 on): the
# change point found where it was put, trend.csv, trend.html drawn in
# headless Chromium with no console error, labels, and bad input (exit 2).
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/tap.sh"
BB=${BB:-$TOP/build/balloonbench}
T=$(mktemp -d /tmp/bbtrend.XXXXXX)
trap 'rm -rf "$T"' EXIT
require bb
. "$TOP/tests/fabricate.sh"
. "$TOP/tests/csv.sh"
plan 16

# made in reverse order: trend orders by started_at, not by name
for k in 7 6 5 4 3 2 1 0; do
	f=1; [ $k -ge 4 ] && f=0.7
	fabricate "$TOP/tests/data/results-quick" "$T/hist/run-$((9 - k))" "$k" "$f"
	echo "fab-0$k commit-$k" >> "$T/labels"
done
"$BB" trend -l "$T/labels" "$T/hist" >"$T/out" 2>"$T/err"
ok $? "trend over 8 runs: exit 0$(head -c 200 "$T/err" | sed 's/^/ # /')"
check "  the change point at run 4 (commit-4), about -30 % in the inflate rate" \
	grep -Eq '^quick +inflate +mean_rate_mib_s +8 .* fab-04 commit-4: -(2[89]|3[01])\.[0-9]%$' "$T/out"
check "  and in t100, +43 % (lower is better there), in both directions" sh -c "
	[ \$(grep -Ec ' t100_ms .*fab-04 commit-4: \+4[0-9]\.[0-9]%\$' '$T/out') -eq 2 ]"
check "  no other change point" test "$(grep -o 'fab-0[0-9]' "$T/out" | sort -u)" = "fab-04"
order=$(csv_awk '$c["metric"] == "mean_rate_mib_s" && $c["direction"] == "inflate" { printf "%s ", $c["run_id"] }' "$T/hist/trend.csv")
check "trend.csv: a row per series and run, in time order ($order), labelled" sh -c "
	head -n 1 '$T/hist/trend.csv' | grep -q '^schema,scenario,job,label,direction,metric,unit,better,run_id,started_at,run_label,n,median,ci_lo,ci_hi,change_point,step\$' &&
	[ '$order' = 'fab-00 fab-01 fab-02 fab-03 fab-04 fab-05 fab-06 fab-07 ' ] &&
	grep -q ',fab-04,.*,\"commit-4\",2,.*,1,-0\.' '$T/hist/trend.csv'"

. "$TOP/tests/browser.sh"
if [ -z "$CHROMIUM" ]; then
	skip "$(missing chromium)"
else
	body=$(selftest "$T/hist/trend.html")
	check "trend.html in headless Chromium: every chart drawn, no error, no console message ($body)" sh -c "
		echo '$body' | grep -q 'data-charts=\"6\"' && echo '$body' | grep -q 'data-blank=\"\"' &&
		echo '$body' | grep -q 'data-errors=\"\"' && ! grep -q CONSOLE '$T/console'"
fi

# ---- bad input: one line, exit 2 ----
bad() { # bad DESCRIPTION PATTERN COMMAND...
	local d=$1 pat=$2
	shift 2
	"$@" >/dev/null 2>"$T/bad.err"
	local rc=$?
	check "$d: exit 2, one line (got $rc: $(head -c 240 "$T/bad.err"))" sh -c "
		[ $rc -eq 2 ] && [ \$(wc -l < '$T/bad.err') -eq 1 ] && grep -q -- \"$pat\" '$T/bad.err'"
}
cp -r "$T/hist/run-2" "$T/hist/run-other"
sed -i 's/targets = 256M, 1G/targets = 512M, 1G/' "$T/hist/run-other/run.json"
bad "a run of another scenario text among them" "runs of different scenarios: .*two texts of one file" \
	"$BB" trend -o "$T" "$T/hist"
"$BB" trend -q --allow-mismatch -o "$T" "$T/hist" 2>"$T/warn"
check "  --allow-mismatch: drawn anyway, warned" sh -c "[ $? -eq 0 ] && grep -q 'allow-mismatch' '$T/warn'"
rm -rf "$T/hist/run-other"
bad "an unknown metric" "not a metric" "$BB" trend -m rate "$T/hist"
: >"$T/afile"
bad "an output path that is a file" "not a writable directory" "$BB" trend -o "$T/afile" "$T/hist"
bad "an output directory under a file" "afile/x: cannot make the directory: Not a directory" \
	"$BB" trend -o "$T/afile/x" "$T/hist"
bad "a bad metric with a new output directory" "not a metric" "$BB" trend -m rate -o "$T/new0" "$T/hist"
check "  ... the directory not made" test ! -e "$T/new0"
"$BB" trend -q -o "$T/new1/deeper" "$T/hist"
check "an output directory that is not there: made, as compare makes its own (exit $?)" \
	test -s "$T/new1/deeper/trend.csv" -a -s "$T/new1/deeper/trend.html"
mkdir -p "$T/norun"
bad "a directory without runs" "no results directory in it" "$BB" trend -o "$T" "$T/norun"
bad "--window 1" "from 2 to 32" "$BB" trend -w 1 "$T/hist"
finish

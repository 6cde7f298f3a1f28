#!/bin/bash
# compare-fpr: how often does `balloonbench compare` call a regression between
# runs of the SAME build? (the false positive rate of the CI job)
#
# Method: N runs of one scenario with one build (default 6 runs of bench/ci.ini;
# or give a directory holding such runs). Every pair of single runs is compared
# (N(N-1)/2 comparisons, baseline the earlier run), and every split of the first
# 6 runs into two sets of 3 (10 comparisons, as ci/perf-regression --runs 3
# would). Counted per comparison, with ci/thresholds.ini: the gated verdicts,
# and whether the comparison as a whole would have failed the CI job (exit 1 =
# regression, exit 2 = inconclusive). Single runs are compared with min-runs 1
# (what they alone would say; the shipped min-runs 3 calls them inconclusive).
# The 10 splits reuse the same 6 runs: they are not 10 independent trials.
#
# usage: bench/compare-fpr.sh [RUNS_DIR [THRESHOLDS]]
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BB=${BB:-$TOP/build/balloonbench}
TH=${2:-$TOP/ci/thresholds.ini}
T=$(mktemp -d /tmp/bb-fpr.XXXXXX)
trap 'rm -rf "$T"' EXIT
if [ $# -ge 1 ]; then
	D=$1
else
	D=$T/runs
	for i in 1 2 3 4 5 6; do "$BB" run -q -o "$D" "$TOP/bench/ci.ini" || exit 1; done
fi
mapfile -t R < <(find "$D" -mindepth 1 -maxdepth 1 -type d -name '2*' | sort)
N=${#R[@]}
[ "$N" -ge 2 ] || { echo "compare-fpr: need at least 2 runs in $D" >&2; exit 2; }

tally() {	# tally LABEL: reads exit codes and gated verdict counts from $T/res
	awk -v l="$1" '{ c[$1]++; reg += $2; inc += $3; tot += $4 }
		END { printf "%s: %d comparisons: exit 0 %d, exit 1 (regression) %d, exit 2 (inconclusive) %d; gated verdicts: %d, of which regression %d (%.1f %%), inconclusive %d (%.1f %%)\n",
			l, NR, c[0], c[1], c[2], tot, reg, tot ? 100 * reg / tot : 0, inc, tot ? 100 * inc / tot : 0 }' "$T/res"
}
one() {	# one BASE CAND [THRESHOLDS]: append "exit regressions inconclusive gated" to $T/res
	mkdir -p "$T/o"
	rm -f "$T/o/compare.csv"
	"$BB" compare -q -t "${3:-$TH}" -o "$T/o" "$1" "$2" >/dev/null 2>&1
	local rc=$?
	awk -F, -v rc=$rc 'NR > 1 && $9 == 1 { g++; if ($23 == "regression") r++; if ($23 == "inconclusive") i++ }
		END { print rc, r + 0, i + 0, g + 0 }' "$T/o/compare.csv" >> "$T/res" 2>/dev/null ||
		echo "$rc 0 0 0" >> "$T/res"
}

: > "$T/res"
{ cat "$TH"; printf '\n[default]\nmin-runs = 1\n'; } > "$T/th1.ini"
for ((i = 0; i < N; i++)); do for ((j = i + 1; j < N; j++)); do one "${R[i]}" "${R[j]}" "$T/th1.ini"; done; done
tally "1 run vs 1 run (min-runs 1)"
if [ "$N" -ge 6 ]; then
	: > "$T/res"
	for a in 0,1,2 0,1,3 0,1,4 0,1,5 0,2,3 0,2,4 0,2,5 0,3,4 0,3,5 0,4,5; do
		rm -rf "$T/A" "$T/B"; mkdir -p "$T/A" "$T/B"
		for k in 0 1 2 3 4 5; do
			case ",$a," in *",$k,"*) cp -r "${R[k]}" "$T/A/" ;; *) cp -r "${R[k]}" "$T/B/" ;; esac
		done
		one "$T/A" "$T/B"
	done
	tally "3 runs vs 3 runs"
fi

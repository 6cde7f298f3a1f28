#!/bin/bash
# seeds.sh TARGET DIR: the fuzz target's starting corpus, from what the project
# ships and checks in (bench/, tests/data, tests/corpus, results directories).
TOP=$(cd "$(dirname "$0")/../.." && pwd)
t=$1 out=$2
mkdir -p "$out"
# a seed per call; mktemp names it, as put often runs in a pipeline's subshell
put() { cat > "$(mktemp "$out/seed-XXXXXX")"; }
results() { # a results directory as "==> NAME <==" sections, PREFIX/ before each name
	for f in "$1"/run.json "$1"/*.csv; do
		[ -f "$f" ] || continue
		echo "==> $2$(basename "$f") <=="
		head -c 20000 "$f"
	done
}
case $t in
scenario)
	for f in "$TOP"/bench/*.ini "$TOP"/tests/data/*.ini "$TOP"/tests/corpus/*.ini; do
		[ -f "$f" ] && put < "$f"
	done
	for f in "$TOP"/tests/corpus/*.args; do	# --set cases: the scenario, then the options
		[ -f "$f" ] || continue
		ini=$(sed -n 's/^scenario=//p' "$f")
		[ -f "$TOP/$ini" ] || continue
		{ cat "$TOP/$ini"; echo "--set"; grep -o -- '--set [^ ]*' "$f" | cut -c7-; } | put
	done ;;
trace)
	for f in "$TOP"/tests/data/trace*.csv "$TOP"/tests/corpus/*.csv; do [ -f "$f" ] && put < "$f"; done ;;
proto)
	while IFS= read -r l; do printf '%s\n' "$l" | put; done < "$TOP/tests/fuzz/proto-seeds.txt"
	put < "$TOP/tests/fuzz/proto-seeds.txt" ;;
csv)
	for f in "$TOP"/tests/data/results-*/*.csv "$TOP"/tests/data/trace*.csv; do
		if [ -f "$f" ]; then head -c 20000 "$f" | put; fi
	done ;;
report)
	for d in "$TOP"/tests/data/results-* "$TOP"/tests/corpus/results-*; do
		if [ -d "$d" ]; then results "$d" "" | put; fi
	done ;;
compare)
	for d in "$TOP"/tests/data/results-*; do
		for e in "$TOP"/tests/data/results-*; do
			{ results "$d" a/; results "$e" b/; } | put
		done
	done
	{ results "$TOP/tests/data/results-real" a/; results "$TOP/tests/data/results-real" b/
	  echo "==> thresholds.ini <=="; cat "$TOP/ci/thresholds.ini"; } | put ;;
*) echo "seeds.sh: unknown target $t" >&2; exit 2 ;;
esac

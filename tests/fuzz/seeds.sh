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
# Regressions: numbers beyond any integer where the readers once converted
# them (UBSan float-cast-overflow). regress_run PREFIX: run.json and a
# transitions.csv of 1e300 and 2^64 cells (the JSON output, the summary, compare);
# regress_series: a time of 1e9 s among more than 3000 samples 1e-13 s apart
# (the downsampler's bucket), latency counts and buckets of 1e300 and 2^64.
RVM=v
regress_run() {
	echo "==> $1run.json <=="
	echo "{\"run_id\": \"x\", \"vms\": [{\"name\": \"$RVM\", \"job\": \"j\", \"memory_mib\": 1024}]}"
	echo "==> $1transitions.csv <=="
	echo 'vm,job,direction,t100_ms,mean_rate_mib_s,stalls,warmup,rep'
	echo "$RVM,j,inflate,1e300,99999999999999999999,18446744073709551616,0,0"
	echo "$RVM,j,inflate,-1e300,1e300,1e300,0,1e300"
}
# regress_demand: the demand trace, computed from the spec: a vm_index of 2^32 - 1
# (guest * stagger overflowed int64_t) and a since_ms of 1e300 and of 1e12 (the
# trace's time past any integer), over the widest times a row may have.
regress_demand() {
	local spec='demand:shape=diurnal,low=16M,size=160M,period=60s,stagger=86400s'
	echo '==> run.json <=='
	echo "{\"run_id\": \"x\", \"vms\": [{\"name\": \"a\", \"job\": \"j\", \"vm_index\": 4294967295, \"workload\": {\"spec\": \"$spec\"}}, {\"name\": \"b\", \"job\": \"j\", \"vm_index\": 255, \"workload\": {\"spec\": \"$spec\"}}, {\"name\": \"c\", \"job\": \"j\", \"vm_index\": 1, \"workload\": {\"spec\": \"$spec\"}}]}"
	echo '==> events.csv <=='
	echo 't_s,vm,event,detail'
	echo '0,a,workload-go,"demand since_ms=0"'
	echo '3600,a,destroyed,"done"'
	echo '-1000000000,b,workload-start,"demand pid=1"'
	echo '1000000000,b,workload-go,"demand since_ms=1000000000000"'
	echo '0,c,workload-go,"demand since_ms=1e300"'
	echo '1000000000,c,destroyed,"done"'
}
regress_series() {
	echo '==> samples.csv <=='
	echo 't_s,vm,source,balloon_mib'
	awk -v vm=$RVM 'BEGIN { for (i = 0; i < 3100; i++)
		printf "%s,%s,guest,0\n", i == 1500 ? "1e9" : sprintf("%.0e", i * 1e-13), vm }'
	echo '==> latency.csv <=='
	echo 'vm,workload,epoch,phase,transition,kind,bucket_lo_ns,bucket_hi_ns,count'
	echo "$RVM,hold,1,steady,,access,256,260,1e300"
	echo "$RVM,hold,1,steady,,access,1e300,inf,5"
	echo "$RVM,hold,1,steady,,access,512,520,18446744073709551615"
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
policyproto)	# the answers of tests/policyproto.c's corpus, one a seed, and all of them at once
	grep -v '^#' "$TOP/tests/data/policyproto-answers.txt" | cut -f2- | while IFS= read -r l; do
		printf '%s\n' "$l" | put
	done
	grep -v '^#' "$TOP/tests/data/policyproto-answers.txt" | cut -f2- | put ;;
csv)
	for f in "$TOP"/tests/data/results-*/*.csv "$TOP"/tests/data/trace*.csv; do
		if [ -f "$f" ]; then head -c 20000 "$f" | put; fi
	done ;;
report)
	for d in "$TOP"/tests/data/results-* "$TOP"/tests/corpus/results-*; do
		if [ -d "$d" ]; then results "$d" "" | put; fi
	done
	{ regress_run ""; regress_series; } | put
	regress_demand | put ;;
compare)
	for d in "$TOP"/tests/data/results-*; do
		for e in "$TOP"/tests/data/results-*; do
			{ results "$d" a/; results "$e" b/; } | put
		done
	done
	{ results "$TOP/tests/data/results-real" a/; results "$TOP/tests/data/results-real" b/
	  echo "==> thresholds.ini <=="; cat "$TOP/ci/thresholds.ini"; } | put
	{ regress_run a/; regress_run b/; } | put ;;
*) echo "seeds.sh: unknown target $t" >&2; exit 2 ;;
esac

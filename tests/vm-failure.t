#!/bin/bash
# vm-failure: one QEMU of three killed: with on-guest-failure=continue the other guests and the next repetition run their schedules, run.json names who completed and who failed, and the statistics leave the dead guest out; with the default (stop) the run ends after that repetition, as before.
. "$(dirname "$0")/lib.sh"
require vm
plan 16

# Three small guests, two repetitions of four changes each; VM 1 of the first
# repetition is killed once it has recorded a transition.
# (a short job name: QEMU's channel socket path under this test's state dir
# has room for few characters more)
scenario three <<'INI'
[f]
accel = tcg
memory = 384M
vms = 3
vcpus = 1
targets = 256M, 384M
cycles = 2
settle = 100ms
repeat = 2
warmup-runs = 0
INI

# run_kill NAME [SET...]: run three.ini, kill r0-v1's QEMU after its first
# transition; leaves $dir, $rc, $dead (the killed guest's name)
run_kill() {
	local name=$1
	shift
	"$BB" run -s "$STATE" -o "$RESULTS/$name" "$@" "$T/three.ini" >"$T/out-$name" 2>"$T/err-$name" &
	pid=$!
	dir=$(run_dir "$RESULTS/$name")
	for _ in $(seq 2400); do	# 240 s, or until the runner ends (a failed boot)
		grep -q -- "-f-r0-v1,.*,reached," "$dir/transitions.csv" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	dead=$(csv_col "$dir/transitions.csv" vm | grep -m 1 -- '-r0-v1$')
	pkill -KILL -f "qemu-system.*guest=$dead,.*$STATE"
	wait_exit $pid 300
	wait $pid
	rc=$?
}

# reached VM: that guest's reached transitions
reached() {
	paste -d' ' <(csv_col "$dir/transitions.csv" vm) <(csv_col "$dir/transitions.csv" end_reason) |
		awk -v v="$1" '$1 == v && $2 == "reached"' | wc -l
}

# names KEY: run.json's top-level list KEY, sorted, on one line; guests: every guest's name
names() {
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print("\n".join(v["name"] for v in r["vms"]) if sys.argv[2] == "guests" else "\n".join(r.get(sys.argv[2], [])))' \
		"$dir/run.json" "$1" | sort | tr '\n' ' '
}

# 1. continue
run_kill cont --set on-guest-failure=continue
check "continue: exit 1, the run incomplete (got $rc)" \
	sh -c "[ $rc -eq 1 ] && grep -q '\"status\": \"incomplete\"' '$dir/run.json'"
check "continue: run.json failed_guests is the killed guest ($(names failed_guests))" \
	test "$(names failed_guests)" = "$dead "
others=$(names guests | tr ' ' '\n' | grep -vx -- "$dead" | grep . | tr '\n' ' ')
check "continue: completed_guests are the five others, both repetitions ($(names completed_guests))" \
	sh -c "[ '$(names completed_guests)' = '$others' ] && [ $(wc -w <<<"$others") -eq 5 ]"
short=""
for g in $others; do [ "$(reached "$g")" -eq 4 ] || short="$short $g:$(reached "$g")"; done
check "continue: every other guest reached its four targets (short:${short:- none})" \
	sh -c "[ -n '$others' ] && [ -z '$short' ]"
killed=$(reached "$dead")
check "continue: the killed guest had recorded a reached transition ($killed)" test "$killed" -ge 1
# summary.csv: "all" inflate rows over the five others' reached inflates only
want=$(paste -d' ' <(csv_col "$dir/transitions.csv" vm) <(csv_col "$dir/transitions.csv" direction) \
	<(csv_col "$dir/transitions.csv" end_reason) | awk -v d="$dead" '$1 != d && $2 == "inflate" && $3 == "reached"' | wc -l)
got=$(paste -d' ' <(csv_col "$dir/summary.csv" vm) <(csv_col "$dir/summary.csv" direction) \
	<(csv_col "$dir/summary.csv" metric) <(csv_col "$dir/summary.csv" n) |
	awk '$1 == "all" && $2 == "inflate" && $3 == "mean_rate_mib_s" { print $4 }')
check "continue: summary.csv leaves the killed guest's transitions out (n $got, want $want)" test "$got" = "$want"
v1=$(paste -d' ' <(csv_col "$dir/summary.csv" vm) <(csv_col "$dir/summary.csv" direction) \
	<(csv_col "$dir/summary.csv" metric) <(csv_col "$dir/summary.csv" n) |
	awk '$1 == "v1" && $2 == "inflate" && $3 == "mean_rate_mib_s" { print $4 }')
check "continue: its v1 row holds the second repetition's only (n $v1)" test "$v1" = 2
check "continue: report.html written" test -s "$dir/report.html"
check "continue: no VM left running" test "$(qemus)" -eq 0

# 2. the default, stop: as before, the first repetition's other guests finish
# their schedules and the run ends there
run_kill stop
check "stop (default): exit 1, the run incomplete (got $rc)" \
	sh -c "[ $rc -eq 1 ] && grep -q '\"status\": \"incomplete\"' '$dir/run.json'"
check "stop: failed_guests is the killed guest ($(names failed_guests))" test "$(names failed_guests)" = "$dead "
others=$(names guests | tr ' ' '\n' | grep -vx -- "$dead" | grep . | tr '\n' ' ')
check "stop: no second repetition ($(names guests))" sh -c "! echo '$(names guests)' | grep -q -- '-r1-'"
check "stop: completed_guests are the first repetition's two others ($(names completed_guests))" \
	sh -c "[ '$(names completed_guests)' = '$others' ] && [ $(wc -w <<<"$others") -eq 2 ]"
short=""
for g in $others; do [ "$(reached "$g")" -eq 4 ] || short="$short $g:$(reached "$g")"; done
check "stop: those two reached their four targets (short:${short:- none})" \
	sh -c "[ -n '$others' ] && [ -z '$short' ]"
check "stop: incomplete_reason names the killed guest" grep -q "\"incomplete_reason\": \"$dead: the domain" "$dir/run.json"
check "stop: no VM left running" test "$(qemus)" -eq 0
finish

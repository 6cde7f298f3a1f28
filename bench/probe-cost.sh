#!/bin/bash
# probe-cost: does the guest agent's sampling move what it measures?
#
# Method: N rounds; each round runs SCENARIO (default bench/quick.ini, 2
# inflates and 2 deflates) once per arm: `default` (probe=auto: kprobe batch
# events where the guest offers them, else polling at 1 kHz), `10hz`
# (--set probe=poll --set sample-rate=10, the reference: the agent nearly
# asleep, no kprobe), `poll` (--set probe=poll: polling at the default
# 1 kHz) and `2khz` (--set probe=poll --set sample-rate=2000); by --arms
# also `kp1k` (--set probe-sample-rate=1000: the kprobe default before it
# was capped at 100 Hz under TCG, a sample a batch up to 1 kHz), `kp10` (probe=kprobe sample-rate=10: the hooks and reads without the
# volume of samples), `p100` (--set probe=poll --set sample-rate=100: polling
# at 100 Hz, 10 ms resolution), `kopen` (10hz with the batch hooks kept open
# and hit, their records never read: what the hooks cost the kernel alone),
# `kidle` (10hz with the same events open on getppid, not hit while the
# balloon moves: what open events cost without a hit; kopen's rings are never
# read: past about 10,000 records a CPU, more than quick.ini makes, later hits
# take perf's cheaper path of a lost record) and `entry` (batches timed at tell_host's entry, one
# hook a batch instead of a return probe's two: --set cmdline=bb.kprobe=entry); the order
# rotates every round (A B C D, B C D A, ...) so no arm always follows another. Each run has its own results directory;
# all use one state dir of their own (-s), never the default one.
# What it reads: host_t100_ms (QEMU's `actual` as the runner polls it: a view
# the agent cannot bias by its own clock) per direction from transitions.csv,
# and guest_sample_hz (the achieved rate while the balloon moved),
# agent_cpu_pct, and per run from run.json the agent's us_per_sample, dropped
# samples and seq gaps, and per transition (vms[].probe) the method, the
# kprobe events lost, count mismatches and the lowest coverage.
# Statistics: per direction, the ratio of the median host_t100 of an arm over
# that of 10 Hz, with a 95 % percentile bootstrap CI that resamples whole runs
# (a run's transitions share a guest and a minute of the host), 2000 draws,
# seeded (--seed). A ratio of 1.02 means the probe lengthens the host's view
# of a transition by 2 %.
# --base TREE adds two arms, base-default and base-10hz, run with another
# build's runner and guest image (TREE/build/balloonbench, TREE/build/guest),
# interleaved with the others: did a change of the agent lower its cost?
# (Without base-10hz among the arms, base-default is set against 10hz.)
#
# usage: bench/probe-cost.sh [-n N] [-s STATE_DIR] [-o OUT_DIR] [--seed S]
#                            [--base TREE] [--arms "default 10hz ..."] [--ref ARM] [SCENARIO]
#        bench/probe-cost.sh --report OUT_DIR [--pool OUT_DIR]... [--ref ARM]
#                            (the figures again, no runs; --pool adds another
#                            sitting's runs: sittings pooled, also with -n)
#        --ref: the arm the others are set against (default 10hz; e.g. poll:
#        the kprobe default against polling at the same rate)
# exit status: 0 every run completed, 1 a run failed (the others still ran and
#              are reported), 2 bad usage
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BB=${BB:-$TOP/build/balloonbench}
N=10
STATE=/tmp/bb-probe-cost-state
OUT=""
SEED=1
REPORT_ONLY=0
SC=$TOP/bench/quick.ini
BASE=""
ARMS_OPT=""
REF=10hz
POOL=""
usage() { sed -n '/^# usage:/,/^# exit/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift 2 ;;
	-s) STATE=$2; shift 2 ;;
	-o) OUT=$2; shift 2 ;;
	--seed) SEED=$2; shift 2 ;;
	--base) BASE=$(cd "$2" && pwd) || exit 2; shift 2 ;;
	--arms) ARMS_OPT=$2; shift 2 ;;
	--ref) REF=$2; shift 2 ;;
	--pool) POOL="$POOL $(cd "$2" && pwd)" || exit 2; shift 2 ;;
	--report) REPORT_ONLY=1; OUT=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) SC=$1; shift ;;
	esac
done
case $N in ''|*[!0-9]*) usage ;; esac
[ -n "$OUT" ] || OUT=$TOP/build/probe-cost/$(date -u +%Y%m%d-%H%M%S)
ARMS="default 10hz poll 2khz"
[ -n "$BASE" ] && ARMS="$ARMS base-default base-10hz"
[ -n "$ARMS_OPT" ] && ARMS=$ARMS_OPT
[ $REPORT_ONLY -eq 1 ] && ARMS="default 10hz poll p100 2khz kp1k kp10 kopen kidle entry base-default base-10hz"
arm_set() {	# the --set for an arm (the default rate: none)
	case $1 in
	*default) ;;
	base-10hz) echo "--set sample-rate=10" ;;	# a runner from before probe=
	10hz) echo "--set probe=poll --set sample-rate=10" ;;
	poll) echo "--set probe=poll" ;;
	2khz) echo "--set probe=poll --set sample-rate=2000" ;;
	p100) echo "--set probe=poll --set sample-rate=100" ;;	# polling at 100 Hz: 10 ms resolution
	kopen) echo "--set probe=poll --set sample-rate=10 --set cmdline=bb.kprobe=open" ;;	# 10hz, the batch hooks open and hit, never read
	kidle) echo "--set probe=poll --set sample-rate=10 --set cmdline=bb.kprobe=idle" ;;	# 10hz, the hooks open on getppid: never hit
	kp1k) echo "--set probe-sample-rate=1000" ;;	# the kprobe default before its TCG cap: a sample a batch up to 1 kHz
	kp10) echo "--set probe=kprobe --set sample-rate=10" ;;	# the events at 10 Hz: the hooks and reads without the volume
	entry) echo "--set cmdline=bb.kprobe=entry" ;;	# batches timed at tell_host's entry (one hook a batch, not a return probe's two)
	esac
}
arm_bb() {	# the runner of an arm
	case $1 in base-*) echo "$BASE/build/balloonbench" ;; *) echo "$BB" ;; esac
}
arm_img() {	# its guest image, when not the runner's own
	case $1 in base-*) echo "-i $BASE/build/guest" ;; esac
}

failed=0
if [ $REPORT_ONLY -eq 0 ]; then
	[ -x "$BB" ] || { echo "probe-cost: $BB not built (make all image)" >&2; exit 2; }
	if [ -n "$BASE" ] && [ ! -x "$BASE/build/balloonbench" ] || [ -n "$BASE" ] && [ ! -f "$BASE/build/guest/initrd.img" ]; then
		echo "probe-cost: $BASE has no build/balloonbench or build/guest (make all image there)" >&2
		exit 2
	fi
	mkdir -p "$OUT"
	echo "probe-cost: $N rounds of $ARMS on $(basename "$SC"), results in $OUT"
	for r in $(seq 1 "$N"); do
		set -- $ARMS
		k=$(( (r - 1) % $# ))
		while [ $k -gt 0 ]; do a=$1; shift; set -- "$@" "$a"; k=$((k - 1)); done
		for arm in "$@"; do
			d=$OUT/$arm/$(printf %03d "$r")
			mkdir -p "$d"
			t0=$(date +%s)
			# shellcheck disable=SC2046
			$(arm_bb "$arm") run -q -s "$STATE" -o "$d" $(arm_img "$arm") $(arm_set "$arm") "$SC" >"$d/out" 2>&1
			rc=$?
			if [ $rc -ne 0 ]; then
				echo "probe-cost: round $r $arm FAILED (exit $rc): $d/out" >&2
				sed 's/^/  /' "$d/out" | tail -n 5 >&2
				failed=$((failed + 1))
				continue
			fi
			echo "round $r/$N $arm: $(( $(date +%s) - t0 )) s"
		done
	done
fi

# One line per transition: arm run direction host_t100_ms guest_sample_hz agent_cpu_pct
rows=$(mktemp /tmp/bb-probe-cost.XXXXXX)
runs=$(mktemp /tmp/bb-probe-cost.XXXXXX)
trap 'rm -f "$rows" "$runs"' EXIT
for arm in $ARMS; do
	for t in "$OUT"/$arm/*/2*/transitions.csv $(for p in $POOL; do echo "$p"/$arm/*/2*/transitions.csv; done); do
		[ -f "$t" ] || continue
		# complete runs only (a failed one was reported; one in progress has no run.json yet)
		grep -q '"status": "complete"' "$(dirname "$t")/run.json" 2>/dev/null || continue
		run=$(basename "$(dirname "$t")")	# the run id: unique also across pooled sittings
		# host_t100_ms steps with the runner's host sampler (host-sample-rate,
		# 50 Hz: 20 ms, 8 % of a 250 ms deflate); the last column places the
		# end between the last two samples of QEMU's actual, at the rate of
		# the two before (samples.csv's host rows; no step of its own)
		awk -F, -v arm="$arm" -v run="$run" '
			FNR == 1 { for (i = 1; i <= NF; i++) c[FILENAME, $i] = i; next }
			FILENAME ~ /samples.csv$/ {
				if ($c[FILENAME, "source"] == "host" && $c[FILENAME, "actual_mib"] != "") {
					ht[++nh] = $1; ha[nh] = $c[FILENAME, "actual_mib"]
				}
				next
			}
			$c[FILENAME, "end_reason"] == "reached" && $c[FILENAME, "host_t100_ms"] != "" {
				ts = $c[FILENAME, "t_set_s"]; to = $c[FILENAME, "to_mib"]
				end = ts + $c[FILENAME, "host_t100_ms"] / 1000
				for (k = 1; k <= nh && ht[k] < end - 1e-6; k++) ;
				x = $c[FILENAME, "host_t100_ms"]
				if (k <= nh && k > 2 && ht[k - 2] >= ts) {
					r = (ha[k - 1] - ha[k - 2]) / (ht[k - 1] - ht[k - 2])
					if (r != 0 && (to - ha[k - 1]) / r > 0) {
						e = ht[k - 1] + (to - ha[k - 1]) / r
						if (e > ht[k]) e = ht[k]
						x = (e - ts) * 1000
					}
				}
				pp = (FILENAME, "probe_perturbation_pct") in c ? $c[FILENAME, "probe_perturbation_pct"] : ""
				print arm, run, $c[FILENAME, "direction"], $c[FILENAME, "host_t100_ms"],
				      $c[FILENAME, "guest_sample_hz"], $c[FILENAME, "agent_cpu_pct"], x,
				      $c[FILENAME, "cycle"] + 1, pp == "" ? "nan" : pp
			}' "$(dirname "$t")/samples.csv" "$t" >>"$rows"
		j=$(dirname "$t")/run.json
		us=$(sed -n 's/.*"us_per_sample": \([-0-9.e+]*\).*/\1/p' "$j" | head -n 1)
		dr=$(sed -n 's/.*"dropped": \([0-9]*\).*/\1/p' "$j" | head -n 1)
		gp=$(sed -n 's/.*"sample_gaps": \([0-9]*\).*/\1/p' "$j" | head -n 1)
		cpu=$(sed -n 's/.*"cpu_percent_of_one_vcpu": \([-0-9.e+]*\).*/\1/p' "$j" | head -n 1)
		# per transition: kprobe transitions, records lost, mismatches, lowest coverage
		kp=$(python3 -c 'import json, sys
p = [t for v in json.load(open(sys.argv[1]))["vms"] for t in v.get("probe", [])]
c = [t["coverage"] for t in p if t.get("coverage") is not None]
print(sum(t.get("method") == "kprobe" for t in p), sum(t.get("lost", 0) for t in p),
      sum(t.get("mismatch", 0) for t in p), min(c) if c else "nan")' "$j" 2>/dev/null)
		echo "$arm $run ${us:-nan} ${dr:-nan} ${gp:-nan} ${cpu:-nan} ${kp:-nan nan nan nan}" >>"$runs"
	done
done
[ -s "$rows" ] || { echo "probe-cost: no transitions under $OUT" >&2; exit 1; }

stats() {	# COLUMN of rows (4: host_t100_ms, 7: interpolated) TITLE [cycle: per direction and cycle]
awk -v seed="$SEED" -v B=2000 -v refarm="$REF" -v col="$1" -v title="$2" -v bycycle="${3:-}" '
function median(a, n,   i, j, t) {	# sorts a[1..n] in place (insertion: n is small)
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	if (n == 0) return "nan"
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# the median host_t100 of arm/dir over the runs listed in pick[1..nr]
function med_of(arm, dir, nr,   i, k, n, v) {
	n = 0
	for (i = 1; i <= nr; i++)
		for (k = 1; k <= cnt[arm, dir, pick[i]]; k++)
			v[++n] = val[arm, dir, pick[i], k]
	return median(v, n)
}
FILENAME == ARGV[1] {
	arm = $1; run = $2; dir = bycycle ? $3 "-" $8 : $3
	if ($9 != "nan") est[arm, dir, ++nest[arm, dir]] = $9
	if (!((arm, run) in seen)) { seen[arm, run] = 1; nrun[arm]++; runid[arm, nrun[arm]] = run; ridx[arm, run] = nrun[arm] }
	r = ridx[arm, run]
	val[arm, dir, r, ++cnt[arm, dir, r]] = $col
	hz[arm, dir, ++nhz[arm, dir]] = $5; cpu[arm, dir, ++ncpu[arm, dir]] = $6
	dirs[dir] = 1
	next
}
{	# runs file: arm run us dropped gaps cpu kprobe_transitions lost mismatch min_coverage
	us[$1, ++nus[$1]] = $3; drop[$1] += $4; gaps[$1] += $5; rcpu[$1, ++nrc[$1]] = $6
	kpt[$1] += $7; lost[$1] += $8; mism[$1] += $9
	if ($10 != "nan" && (!($1 in mincov) || $10 + 0 < mincov[$1])) mincov[$1] = $10 + 0
}
END {
	srand(seed)
	print title
	printf "%-9s %-12s %4s %12s %22s %10s %8s %7s %9s %7s\n", "dir", "arm", "runs", "host_t100", "ratio to " refarm " [95% CI]",
	       "sample_hz", "min_hz", "cpu_%", "us/sample", "est_%"
	nd = split(bycycle ? "inflate-1 inflate-2 deflate-1 deflate-2" : "inflate deflate", D, " ")
	na = split("default kp1k entry poll p100 2khz kp10 kopen kidle 10hz base-default base-10hz", A, " ")
	for (di = 1; di <= nd; di++) {
		dir = D[di]
		if (!(dir in dirs)) continue
		for (ai = 1; ai <= na; ai++) {
			arm = A[ai]
			if (!nrun[arm]) continue
			for (i = 1; i <= nrun[arm]; i++) pick[i] = i
			m = med_of(arm, dir, nrun[arm])
			n = nhz[arm, dir]; delete h; mn = 1e18
			for (i = 1; i <= n; i++) { h[i] = hz[arm, dir, i]; if (h[i] + 0 < mn) mn = h[i] + 0 }
			mh = median(h, n)
			delete c; for (i = 1; i <= ncpu[arm, dir]; i++) c[i] = cpu[arm, dir, i]
			mc = median(c, ncpu[arm, dir])
			delete u; for (i = 1; i <= nus[arm]; i++) u[i] = us[arm, i]
			mu = median(u, nus[arm])
			delete e; for (i = 1; i <= nest[arm, dir]; i++) { e[i] = est[arm, dir, i]; emax[arm, dir] = i == 1 || e[i] + 0 > emax[arm, dir] ? e[i] + 0 : emax[arm, dir] }
			me = nest[arm, dir] ? sprintf("%.3f", median(e, nest[arm, dir])) : "-"
			ci = "(reference)"
			R = arm ~ /^base-/ && nrun["base-10hz"] && refarm == "10hz" ? "base-10hz" : refarm
			if (arm != R && nrun[R]) {
				for (i = 1; i <= nrun[R]; i++) pick[i] = i
				ref = med_of(R, dir, nrun[R])
				ratio = m / ref
				for (b = 1; b <= B; b++) {
					for (i = 1; i <= nrun[arm]; i++) pick[i] = 1 + int(rand() * nrun[arm])
					x = med_of(arm, dir, nrun[arm])
					for (i = 1; i <= nrun[R]; i++) pick[i] = 1 + int(rand() * nrun[R])
					y = med_of(R, dir, nrun[R])
					bs[b] = x / y
				}
				median(bs, B)
				ci = sprintf("%.3f [%.3f, %.3f]", ratio, bs[int(0.025 * B) + 1], bs[int(0.975 * B)])
			}
			printf "%-9s %-12s %4d %9.1f ms %22s %10.1f %8.1f %7.1f %9.1f %7s\n", dir, arm, nrun[arm], m, ci, mh, mn, mc, mu, me
		}
	}
	if (col == 4 || bycycle) exit
	for (ai = 1; ai <= na; ai++) {
		arm = A[ai]
		if (nrun[arm])
			printf "%s: %d runs, samples dropped %d, seq gaps %d (run.json agent_cost.dropped, sample_gaps); %d transitions by kprobe events, %d records lost, %d count mismatches, lowest coverage %s\n",
			       arm, nrun[arm], drop[arm], gaps[arm], kpt[arm], lost[arm], mism[arm],
			       (arm in mincov) ? sprintf("%.3f", mincov[arm]) : "-"
	}
	print "host_t100: median over the transitions that reached their target; sample_hz, min_hz: the guest_sample_hz column (achieved rate while moving); cpu_%: agent_cpu_pct (agent CPU during the transition, % of one vCPU); us/sample: agent_cost.us_per_sample (run.json: the time taken per sample, a kprobe batch event or a poll), the median over runs; est_%: probe_perturbation_pct (the hooks hits x the cost of a hit the agent measured, over t100), the median over transitions (-: polled, or a runner from before it)"
}' "$rows" "$runs"
}
stats 7 "host_t100 at the crossing (between the runner's 20 ms host samples, at the rate of the two before):"
echo
stats 4 "host_t100 as transitions.csv has it (the first host sample at the target: steps of 1/host-sample-rate, 20 ms):"
echo
stats 7 "host_t100 at the crossing, per direction and cycle of the schedule:" cycle
[ $failed -eq 0 ] || { echo "probe-cost: $failed run(s) failed" >&2; exit 1; }
exit 0

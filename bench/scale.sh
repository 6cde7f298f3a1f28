#!/bin/bash
# scale: what does each guest cost the runner, from one guest to a hundred?
#
# Method: one run per count N (default 1 8 32 64, and 128 where the host's
# memory holds it), one after another in one sitting, each with its own
# results directory and one state dir of its own (-s). Every guest is
# quick-sized: 256 MiB, 1 vCPU, TCG, one square wave 256 -> 128 -> 256 MiB
# (two transitions), resting `warmup` (10 s) before it and `settle` (10 s)
# after each change, no workload: the last guest's warm-up gives the run
# seconds in which no guest boots, moves or stops (the `rest` phase; before
# the warm-up rested without a workload too, at 64 guests with spread
# changes some guest moved in every second and the rest phase was empty; a
# light workload instead, hold at 1 page a second, cost each resting TCG
# guest about a tenth of a core and slowed 64 boots to 30 s each), the agent at idle-sample-rate=IDLE_HZ (default 1 Hz,
# the lowest: at rest a guest sends one sample and its cost a second) and
# sample-rate 1000 Hz while its balloon moves. boot-concurrency is the
# runner's default (auto) unless --boot-concurrency says otherwise.
# On a 2-core TCG host, 64 guests whose square waves all start together
# starve their agents (load 55): add --set vm-offset=1s to spread them
# (docs/measurements/scale.md).
# What it reads, per run, from run.json's `runner` block (docs/results.md):
# the runner's CPU in percent of one core per guest at rest and while
# moving (phases.rest / phases.moving: cpu_s over live guests x seconds),
# its RSS per guest, the most threads and descriptors, libvirt's event
# thread's busiest second, an item's queue wait (p99, max); and the agent's
# dropped samples and seq gaps (vms[].probe[].dropped, vms[].sample_gaps).
# Then a least-squares line through the counts for the rest CPU and the
# peak RSS: what one more guest costs, and each count's step from the one
# before ("slope").
#
# usage: bench/scale.sh [-s STATE_DIR] [-o OUT_DIR] [--boot-concurrency N]
#                       [--idle-hz HZ] [--set KEY=VALUE]... [COUNT...]
#        bench/scale.sh --report OUT_DIR      (the table again, no runs)
# exit status: 0 every run completed, 1 a run failed or was refused (the
#              others still ran and are in the table), 2 bad usage
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BB=${BB:-$TOP/build/balloonbench}
STATE=/tmp/bb-scale-state
OUT=""
BC=""
IDLE_HZ=1
REPORT_ONLY=0
COUNTS=()
EXTRA=()
usage() { sed -n '/^# usage:/,/^# exit/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	-s) STATE=$2; shift 2 ;;
	-o) OUT=$2; shift 2 ;;
	--boot-concurrency) BC=$2; shift 2 ;;
	--idle-hz) IDLE_HZ=$2; shift 2 ;;
	--set) EXTRA+=(--set "$2"); shift 2 ;;	# passed to every run (host-idle-sample-rate=50: the rest as before)
	--report) REPORT_ONLY=1; OUT=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) case $1 in ''|*[!0-9]*) usage ;; esac; COUNTS+=("$1"); shift ;;
	esac
done
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(1 8 32 64 128)
[ -n "$OUT" ] || OUT=$TOP/build/scale/$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$OUT" || exit 2

fail=0
if [ $REPORT_ONLY -eq 0 ]; then
	cat >"$OUT/scale.ini" <<EOF
# scale: N quick-sized guests at once, one square wave each (bench/scale.sh)
[scale]
memory = 256M
vcpus = 1
accel = tcg
schedule = square
low = 128M
high = 256M
cycles = 1
warmup = 10s
settle = 10s
idle-sample-rate = $IDLE_HZ
EOF
	{
		echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "host: $(uname -n), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
		echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "runner: $BB"
		echo "set: ${EXTRA[*]}"
	} >"$OUT/machine.txt"
	memtotal=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
	for n in "${COUNTS[@]}"; do
		if [ $(( n * 256 )) -gt "$memtotal" ]; then	# the runner would refuse it (exit 2)
			echo "== $n guest(s): skipped, $(( n * 256 )) MiB of guests over this host's $memtotal MiB" >&2
			continue
		fi
		sets=(--set "vms=$n")
		[ -n "$BC" ] && sets+=(--set "boot-concurrency=$BC")
		sets+=("${EXTRA[@]}")
		echo "== $n guest(s) ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))" >&2
		start=$(date +%s)
		"$BB" run -q -s "$STATE" -o "$OUT/runs-$n" "${sets[@]}" "$OUT/scale.ini" \
			>"$OUT/run-$n.out" 2>&1
		rc=$?
		echo "$n $rc $(( $(date +%s) - start )) $(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/runs.txt"
		if [ $rc -ne 0 ]; then
			echo "   $n guest(s): exit $rc: $(head -n 1 "$OUT/run-$n.out")" >&2
			fail=1
			[ $rc -eq 130 ] && break
		fi
	done
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
fi

# The table: one row per count, from each run's run.json.
python3 - "$OUT" <<'PY'
import glob, json, os, sys

out = sys.argv[1]
rows = []
for line in open(os.path.join(out, "runs.txt")):
    n, rc, wall, load = line.split()
    runs = sorted(glob.glob(os.path.join(out, "runs-%s" % n, "2*", "run.json")))
    if not runs:
        rows.append({"n": int(n), "rc": int(rc), "wall": int(wall), "load": load})
        continue
    r = json.load(open(runs[-1]))
    c = r.get("runner", {})
    ph = c.get("phases", {})
    vms = r.get("vms", [])
    dropped = sum(p.get("dropped", 0) for v in vms for p in v.get("probe", []))
    gaps = sum(v.get("sample_gaps", 0) for v in vms)
    boots = [v.get("boot_s", 0) for v in vms]
    rows.append({
        "n": int(n), "rc": int(rc), "wall": int(wall), "load": load,
        "status": r.get("status"), "done": len(r.get("completed_guests", [])),
        "rest": (ph.get("rest") or {}).get("cpu_pct_per_guest"),
        "moving": (ph.get("moving") or {}).get("cpu_pct_per_guest"),
        "booting": (ph.get("booting") or {}).get("cpu_pct_per_guest"),
        "cpu_guest": c.get("cpu_s_per_guest"),
        "rss": c.get("max_rss_mib"), "rss_guest": c.get("rss_mib_per_guest"),
        "threads": c.get("threads_max"), "fds": c.get("fds_max"),
        "ev": c.get("event_thread_busiest_pct"),
        "qp99": c.get("queue_wait_p99_ms"), "qmax": c.get("queue_wait_max_ms"),
        "dropped": dropped, "gaps": gaps,
        "boot_med": sorted(boots)[len(boots) // 2] if boots else None,
    })

def f(x, fmt="%.2f"):
    return "-" if x is None else fmt % x

def fit(pts):
    """Least squares y = a + b n over (n, y); None with fewer than two distinct n."""
    pts = [(n, y) for n, y in pts if y is not None]
    if len(set(n for n, _ in pts)) < 2:
        return None
    mn = sum(n for n, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    b = sum((n - mn) * (y - my) for n, y in pts) / sum((n - mn) ** 2 for n, _ in pts)
    return my - b * mn, b

hdr = ("| guests | status | wall s | boot s (median) | runner CPU %/guest: rest | moving | booting "
       "| CPU s/guest | RSS MiB | RSS MiB/guest | threads | fds | event thread busiest % "
       "| queue wait p99 / max ms | dropped / gaps | rest CPU slope %/guest | load |")
print(hdr)
print("|" + "---|" * (hdr.count("|") - 1))
prev = None
for r in rows:
    if "status" not in r:
        print("| %d | no run (exit %d) | %d |%s" % (r["n"], r["rc"], r["wall"], " - |" * 13 + " %s |" % r["load"]))
        continue
    # each count's step from the one before: the rest CPU of the runner (percent of a core, all guests)
    slope = None
    if prev and r["rest"] is not None and prev["rest"] is not None and r["n"] != prev["n"]:
        slope = (r["rest"] * r["n"] - prev["rest"] * prev["n"]) / (r["n"] - prev["n"])
    print("| %d | %s (%d done) | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %d / %d | %s | %s |" % (
        r["n"], r["status"], r["done"], r["wall"], f(r["boot_med"], "%.1f"), f(r["rest"]),
        f(r["moving"]), f(r["booting"]), f(r["cpu_guest"]), f(r["rss"], "%.1f"),
        f(r["rss_guest"]), f(r["threads"], "%d"), f(r["fds"], "%d"), f(r["ev"], "%.1f"),
        f(r["qp99"], "%.1f"), f(r["qmax"], "%.1f"), r["dropped"], r["gaps"], f(slope, "%.3f"),
        r["load"]))
    prev = r
ok = [r for r in rows if "status" in r]
for name, key, unit in (("runner CPU at rest, % of a core (all guests)", "rest", "%"),
                        ("runner CPU while moving, % of a core (all guests)", "moving", "%"),
                        ("runner peak RSS", "rss", "MiB")):
    pts = [(r["n"], None if r[key] is None else (r[key] * r["n"] if key != "rss" else r[key]))
           for r in ok]
    line = fit(pts)
    if line:
        print("\nfit: %s = %.3f + %.4f x guests" % (name, line[0], line[1]), end="")
print()
PY
[ $fail -eq 0 ]

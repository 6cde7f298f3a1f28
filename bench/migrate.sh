#!/bin/bash
# migrate: time, downtime and bytes of a migration against the balloon's
# state (empty, moving, inflated, deflated) and free page hinting (off, on).
#
# Method: two private libvirt daemons on this machine, started as the tests
# start them (tests/lib-daemon.sh: a mount namespace and a host UUID each, so
# that libvirt allows a migration between them), the guest on daemon a
# (--connect), migrate-to daemon b, the stream over tcp://127.0.0.1.
# The scenario (below): one 512 MiB guest, 1 vCPU, integrity verifying 32 MiB,
# 256 MiB written and freed first; four migrations a job (empty, while
# inflating to 128 MiB, inflated, deflated); jobs [hint-off] and [hint-on]
# one after the other in one run, --runs N runs with the jobs' order
# alternated (hint-off first in odd runs, hint-on first in even ones), so
# that a slower minute of a shared machine falls on both. The figures are
# lifecycle.csv's: virDomainGetJobStats of the completed job, read on the
# destination. The table gives, per hinting and balloon state, the median of
# the runs' total ms, downtime ms, MiB sent, zero pages and passes, and how
# many of its migrations were ok (a failed one, e.g. a guest that arrived
# with stale memory, counts as failed and is left out of the medians).
#
# --mode offline migrates with the vCPUs stopped (libvirt suspends the source
# first): under QEMU 7.2's TCG, live migration now and then delivers a guest
# with stale memory (docs/measurements/lifecycle.md); offline it does not,
# but then every page goes once and the downtime is the transfer.
#
# usage: bench/migrate.sh [-o OUT_DIR] [--runs N] [--mode live|offline] [--set KEY=VALUE]...
#        bench/migrate.sh --report OUT_DIR      (the table again, no runs)
# As root (the daemons live in mount namespaces of their own). Exit status:
# 0 every migration ok, 1 a run or a migration failed (the table still has
# the rest), 2 bad usage or no daemons.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BB=${BB:-$TOP/build/balloonbench}
OUT="" RUNS=1 MODE=live REPORT_ONLY=0
SETS=()

usage() {
	sed -n '/^# usage:/,/^# As root/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
	--runs) [ $# -ge 2 ] || usage; RUNS=$2; shift 2 ;;
	--mode) [ $# -ge 2 ] || usage; MODE=$2; shift 2 ;;
	--set) [ $# -ge 2 ] || usage; SETS+=(--set "$2"); shift 2 ;;
	--report) [ $# -ge 2 ] || usage; REPORT_ONLY=1; OUT=$2; shift 2 ;;
	*) usage ;;
	esac
done
case $RUNS in '' | *[!0-9]* | 0) echo "bench/migrate.sh: --runs $RUNS: expected a count from 1" >&2; exit 2 ;; esac
case $MODE in live | offline) ;; *) echo "bench/migrate.sh: --mode $MODE: expected live or offline" >&2; exit 2 ;; esac
[ -n "$OUT" ] || OUT=$TOP/build/bench-migrate/$(date -u +%Y%m%dT%H%M%SZ)

# The table from every lifecycle.csv under OUT.
report() {
	python3 - "$OUT" <<'PY'
import csv, glob, statistics, sys
rows = {}
state = {"after:0": "empty", "after:1": "inflated", "after:2": "deflated"}
for f in sorted(glob.glob(sys.argv[1] + "/run-*/2*/lifecycle.csv")):
    for r in csv.DictReader(open(f)):
        if r["event"] != "migrate":
            continue
        when = r["spec"].split("@", 1)[1]
        key = (r["job"], state.get(when, "moving" if when.startswith("during") else when))
        rows.setdefault(key, []).append(r)
if not rows:
    print("bench/migrate.sh: no migration in %s" % sys.argv[1], file=sys.stderr)
    sys.exit(1)
def med(rs, col, scale=1.0):
    v = [float(r[col]) / scale for r in rs if r[col] not in ("", None)]
    return "%.1f" % statistics.median(v) if v else "-"
print("%-9s %-9s %9s %12s %9s %11s %7s %6s" % ("job", "balloon", "total ms", "downtime ms", "MiB sent",
      "zero pages", "passes", "ok"))
order = {"empty": 0, "moving": 1, "inflated": 2, "deflated": 3}
bad = 0
for (job, st) in sorted(rows, key=lambda k: (k[0], order.get(k[1], 9))):
    rs = rows[(job, st)]
    ok = [r for r in rs if r["result"] == "ok"]
    bad += len(rs) - len(ok)
    print("%-9s %-9s %9s %12s %9s %11s %7s %3d/%-2d" % (job, st, med(ok, "mig_total_ms"),
          med(ok, "mig_downtime_ms"), med(ok, "mig_bytes", 1048576.0), med(ok, "mig_zero_pages"),
          med(ok, "mig_iterations"), len(ok), len(rs)))
sys.exit(1 if bad else 0)
PY
}

if [ $REPORT_ONLY = 1 ]; then
	report
	exit $?
fi
[ "$(id -u)" = 0 ] || { echo "bench/migrate.sh: needs root (two libvirt daemons in mount namespaces)" >&2; exit 2; }
[ -x "$BB" ] || { echo "bench/migrate.sh: $BB: not built (make)" >&2; exit 2; }
mkdir -p "$OUT" || exit 2
T=$(mktemp -d /tmp/bb-migrate.XXXXXX) || exit 2
# shellcheck source=tests/lib-daemon.sh
. "$TOP/tests/lib-daemon.sh"
trap 'daemon_stop_all; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
if ! daemon_start a || ! daemon_start b; then
	echo "bench/migrate.sh: the two libvirt daemons did not start (logs above)" >&2
	exit 2
fi
events="migrate:$MODE@after:0, migrate:$MODE@during:1, migrate:$MODE@after:1, migrate:$MODE@after:2"
# The scenario: one 512 MiB guest, 1 vCPU (two vCPUs under QEMU 7.2's TCG
# lost memory in live migration: docs/measurements/lifecycle.md), the
# integrity workload verifying 32 MiB throughout, 256 MiB written and freed
# before the first change (prefill: free pages that still hold data, which
# hinting skips). Each job migrates four times: a -> b with the balloon
# empty (after:0), b -> a while it inflates to 128 MiB (during:1: the
# transition goes on, on the destination), a -> b inflated (after:1),
# b -> a deflated again (after:2). [hint-off] and [hint-on] differ only in virtio-balloon's
# free-page-hint. (Not in bench/*.ini: without migrate-to, the second
# daemon's URI, it is refused, and bench/*.ini all dry-run.) The even runs
# get it with the two jobs the other way round.
scenario() {	# scenario FIRST SECOND
	cat <<INI
[global]
migrate-to = $DAEMON_URI_b
memory = 512M
vcpus = 1
accel = auto
settle = 500ms
warmup = 3s
prefill = 256M
workload = integrity:size=32M
targets = 128M, 512M
events = $events
on-guest-failure = continue

[$1]
free-page-hint = $([ "$1" = hint-on ] && echo 1 || echo 0)

[$2]
free-page-hint = $([ "$2" = hint-on ] && echo 1 || echo 0)
INI
}
scenario hint-off hint-on >"$T/migrate.ini"
scenario hint-on hint-off >"$T/migrate-on-first.ini"
cp "$T/migrate.ini" "$OUT/scenario.ini"
rc=0
for k in $(seq "$RUNS"); do
	ini=$T/migrate.ini
	[ $((k % 2)) = 0 ] && ini=$T/migrate-on-first.ini
	echo "bench/migrate.sh: run $k of $RUNS ($MODE, $([ $((k % 2)) = 0 ] && echo hint-on || echo hint-off) first)" >&2
	"$BB" run -s "$T/state" -o "$OUT/run-$k" --connect "$DAEMON_URI_a" \
		"${SETS[@]}" \
		"$ini" >"$OUT/run-$k.out" 2>"$OUT/run-$k.err" || rc=1
done
report || rc=1
echo "bench/migrate.sh: results in $OUT" >&2
exit $rc

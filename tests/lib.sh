# tests/lib.sh - what the real-VM tests share (sourced, not run): every test
# gets its own state dir (embedded libvirt root) and results dir, and checks
# that it leaves no QEMU of its own behind; a failed test keeps its files and
# prints what its unfinished runs last recorded. The TAP helpers and the
# declared needs (require vm, ...) are tests/tap.sh's.

TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/tap.sh"
# The runner's ASan+UBSan build, for the real runs that test the sanitizers
# (asan_run run ...; san_check FILE after it). Leaks inside libvirt
# itself are suppressed by tests/lsan.supp, ours are not.
ASAN_RUN=(env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=66:fast_unwind_on_malloc=0
	LSAN_OPTIONS=suppressions=$TOP/tests/lsan.supp:print_suppressions=0
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$ASAN_BB")
[ -x "$ASAN_BB" ] || ASAN_RUN=("$BB")
T=$(mktemp -d /tmp/bbtest.XXXXXX)
KEEP_T=	# set by a test that must keep $T (cleanup), never by the environment
STATE=$T/state
RESULTS=$T/results
# libvirt's answer to "what can this QEMU do", probed once for all the tests:
# the embedded driver probes QEMU in each new root (seconds of CPU, 12 s of
# wall time with the machine busy) and keeps the answer in its
# cache/qemu/capabilities, which it checks against QEMU's binary, itself and
# the host before using it (and probes again where it no longer holds). The
# first test to finish with one leaves a copy for the tests after it.
# (seeded where a test boots guests: `require vm`, after tap.sh's own checks)
CAPS_SHARED=$TOP/build/caps-cache
declare -F tap_require >/dev/null || eval "tap_$(declare -f require)"
require() {
	tap_require "$@"
	case " $* " in
	*" vm "*)
		[ -d "$CAPS_SHARED" ] && [ ! -e "$STATE/embed" ] || return 0
		mkdir -p "$STATE/embed/cache/qemu" && cp -r "$CAPS_SHARED" "$STATE/embed/cache/qemu/capabilities" ;;
	esac
}
caps_share() {
	local c=$STATE/embed/cache/qemu/capabilities tmp f
	[ -n "$(ls "$c"/*.xml 2>/dev/null)" ] || return 0
	if [ ! -d "$CAPS_SHARED" ]; then
		tmp=$(mktemp -d "$TOP/build/caps-cache.XXXXXX") && cp "$c"/*.xml "$tmp"/ &&
			mv -T "$tmp" "$CAPS_SHARED" 2>/dev/null || rm -rf "$tmp"
		return 0
	fi
	# libvirt probed again (QEMU or libvirt changed): its new answer replaces
	# the shared one, a file at a time (each renamed whole into place)
	for f in "$c"/*.xml; do
		cmp -s "$f" "$CAPS_SHARED/${f##*/}" && continue
		tmp=$(mktemp "$CAPS_SHARED/.new.XXXXXX") && cp "$f" "$tmp" &&
			mv -f "$tmp" "$CAPS_SHARED/${f##*/}" || rm -f "$tmp"
	done
}

cleanup() {
	# Never leave a guest behind, whatever happened in the test.
	for pid in $(pgrep -f "qemu-system.*$STATE" 2>/dev/null); do
		kill -9 "$pid" 2>/dev/null
	done
	# and no cgroup of this test's libvirt root: its domains' (where a check
	# failed, or a domain the test made itself) and its runs' host budgets'
	# (machine/bb-HASH-*.partition, the domains' inside): a host that runs
	# `make check` every day must not fill up with them
	local h
	h=$(printf %s "$STATE/embed" | sha256sum | cut -c1-8)
	cgroups_rm "qemu-embed-$h-*" "bb-$h-*.partition" || true
	# libvirt's lock files of the guests' agent channels (LCK.. and the path,
	# / made _), which it leaves where the runner was killed holding one
	rm -f /var/lock/LCK.."$(printf %s "$STATE" | tr / _)"_* 2>/dev/null
	caps_share
	# A failed test keeps what it saw for whoever reads the CI log: its files
	# (results, output) and QEMU's logs, not the guests' disks.
	if [ "$failed" -gt 0 ] && [ -d "$T" ]; then
		keep=$TOP/build/artefacts/failed/$(basename "$0" .t)-$(date -u +%Y%m%dT%H%M%SZ)-$$
		mkdir -p "$keep" &&
			(cd "$T" && find . -path ./state -prune -o -type f -size -64M -print0 |
				xargs -0 -r cp --parents -t "$keep") &&
			(cd "$T" && find ./state -type f -name '*.log' -print0 2>/dev/null |
				xargs -0 -r cp --parents -t "$keep")
		echo "$(basename "$0"): $failed failed; its files are kept in $keep" >&2
		# CI shows the log, not those files, and often only its end: of each
		# unfinished run, its guests' consoles (a digest: the agent's last
		# lines and the kernel's answer to the runner's SysRq), then what it
		# last recorded, then why it stopped, last.
		grep -l '"status": *"\(incomplete\|running\)"' $(find "$T" -path "$T/state" -prune -o \
			-name run.json -print 2>/dev/null) /dev/null 2>/dev/null | head -n 3 | while read -r rj; do
			d=$(dirname "$rj")
			for c in "$d"/console-*.log; do
				[ -f "$c" ] || continue
				echo "# $(basename "$c"), a digest" >&2
				awk -f "$TOP/tests/console-digest.awk" "$c" | head -n 120 | cut -c1-160 |
					sed 's/^/#   /' >&2
			done
			echo "# unfinished run $d: events.csv ends" >&2
			tail -n 12 "$d/events.csv" 2>/dev/null | cut -c1-600 | sed 's/^/#   /' >&2
			grep -h 'INCOMPLETE\|^balloonbench: error' "$T"/*err* 2>/dev/null | tail -n 3 | cut -c1-600 |
				sed 's/^/# runner: /' >&2
		done
	fi
	# (a test that could not swap off a swap area of its own in $T sets
	# KEEP_T and says so: a deleted swap file stays on until a reboot)
	[ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# san_classify STDERR-FILE: what a sanitizer said there, one word:
#   finding       an error, a leak or undefined behaviour (ours or a library's)
#   tool-failure  the sanitizer itself failed (LeakSanitizer's tracer crashed):
#                 neither a pass nor a finding
#   clean         nothing
san_classify() {
	if grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error\|WARNING: ThreadSanitizer\|SUMMARY: [A-Za-z]*Sanitizer' "$1"; then
		echo finding
	elif grep -q 'Tracer caught signal\|Sanitizer has encountered a fatal error\|Sanitizer: CHECK failed' "$1"; then
		echo tool-failure
	else
		echo clean
	fi
}
# asan_run [--timeout S] ARGS...: the ASan+UBSan runner ("${ASAN_RUN[@]}" ARGS),
# its stdout and stderr as it wrote them, its exit status returned. A run whose
# sanitizer failed as a tool (san_classify) is run once more, its -o directory
# emptied first, and that is noted for san_check; a second tool failure stays.
asan_run() {
	local to=() out="" err=$T/.asan-run.err a prev="" rc try
	[ "$1" = --timeout ] && { to=(timeout "$2"); shift 2; }
	for a in "$@"; do [ "$prev" = -o ] && out=$a; prev=$a; done
	for try in 1 2; do
		"${to[@]}" "${ASAN_RUN[@]}" "$@" 2>"$err"
		rc=$?
		[ "$(san_classify "$err")" = tool-failure ] && [ "$try" -eq 1 ] || break
		echo "$(basename "$0"): the sanitizer failed as a tool ($(grep -m1 -o 'Tracer caught signal[^,]*\|[A-Za-z]*Sanitizer has encountered a fatal error' "$err")); running again once" \
			>>"$T/san-tool-failures"
		[ -n "$out" ] && rm -rf "$out"
	done
	cat "$err" >&2
	return $rc
}
san_check() { # san_check STDERR-FILE: the ASan+UBSan runner reported nothing
	if [ ! -x "$ASAN_BB" ]; then skip "no ASan build ($ASAN_BB)"; return; fi
	[ -s "$T/san-tool-failures" ] && { diag "$(tail -n 1 "$T/san-tool-failures")"; rm -f "$T/san-tool-failures"; }
	case $(san_classify "$1") in
	clean) ok 0 "the ASan+UBSan runner reported no error, leak or undefined behaviour" ;;
	finding) ok 1 "the ASan+UBSan runner reported no error, leak or undefined behaviour" ;;
	*) ok 1 "the ASan+UBSan runner's leak check did not run: the sanitizer failed as a tool, twice (not a finding)" ;;
	esac
}

# Can this machine boot a guest at all? Say why not, as TAP wants (tap.sh).
need_vm() { require vm; }

# qemu processes of this test's state dir
qemus() { pgrep -f "qemu-system.*$STATE" | wc -l; }

# cgroup directories of this test's domains, in every mounted hierarchy (v1
# and v2): the embedded driver names them machine/qemu-embed-HASH-ID-NAME.libvirt-qemu,
# HASH the first 8 hex digits of the SHA-256 of its root, $STATE/embed
cgroups() {
	local h m
	h=$(printf %s "$STATE/embed" | sha256sum | cut -c1-8)
	for m in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts); do
		ls -d "$m"/machine/qemu-embed-"$h"-* 2>/dev/null
	done | wc -l
}

# cgroups_rm GLOB...: remove the cgroup directories machine/GLOB of every
# mounted hierarchy (v1 and v2), the directories inside them first; one that
# still holds tasks (QEMU's last threads leaving) is tried again for 10 s. For
# what libvirt leaves where the runner is not the one to remove it: a domain
# the test made with virsh, a killed daemon's domains (its QEMU gone, no
# libvirt left to remove them). 0, or 1 if one is still there.
cgroups_rm() {
	local m g d end=$((SECONDS + 10)) left=0
	shopt -s extglob
	for m in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts); do
		for g in "$@"; do
			for d in "$m"/machine/$g; do
				[ -d "$d" ] || continue
				while ! find "$d" -depth -type d -exec rmdir {} + 2>/dev/null && [ -d "$d" ]; do
					[ $SECONDS -ge $end ] && { left=1; break; }
					sleep 0.1
				done
			done
		done
	done
	return $left
}

# host_swap_turn: the tests that swap on a host-swap file take turns (flock):
# two at a time in `make check` they would meet, a swap area being the whole
# host's and a runner refusing a host-swap job while another run's file is
# on. Called after `require`, before `plan`. The lock's fd (7) is inherited
# by what the test starts (libvirt closes it for QEMU; a test closes it for
# a process of its own that may outlive it): a guardian still cleaning after
# its runner holds it until it ends, 27 s at most (its bound and its last
# swapoff's reaping). In /run (root's), not the world-writable /var/lock.
host_swap_turn() {
	local l=/run/balloonbench-host-swap-tests.lock
	if ! exec 7>>"$l"; then echo "Bail out! cannot open $l"; exit 1; fi
	flock -w 600 7 || { echo "Bail out! another host-swap test held $l for 10 minutes"; exit 1; }
}

# scenario NAME <<EOF ... writes $T/NAME.ini
scenario() { cat > "$T/$1.ini"; }

# csv_col, csv_where, csv_awk: results columns by name (tests/csv.sh)
. "$(dirname "${BASH_SOURCE[0]}")/csv.sh"

# within A B TOL: |A - B| <= TOL (floats)
within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

# run_dir PARENT: a run's results directory under PARENT, once the runner has
# made it (30 s at most); PARENT/none if it never came
run_dir() {
	for _ in $(seq 300); do
		d=$(ls -d "$1"/2* 2>/dev/null | head -n 1)
		[ -n "$d" ] && [ -f "$d/events.csv" ] && { echo "$d"; return 0; }
		sleep 0.1
	done
	echo "$1/none"
	return 1
}

# wait_for FILE PATTERN SECONDS: 0 once FILE holds PATTERN (grep), 1 after SECONDS
wait_for() {
	for _ in $(seq "$(( $3 * 10 ))"); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_exit PID SECONDS: 0 once PID has exited, 1 if it still runs after SECONDS
wait_exit() {
	for _ in $(seq "$(( $2 * 10 ))"); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}


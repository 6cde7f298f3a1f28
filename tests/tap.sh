# tests/tap.sh - the TAP helpers every shell test uses (sourced, not run), and
# what a test may need of the machine, declared in one place: `require` at the
# top of a test skips it whole with the reason when something is missing,
# `missing` gives the reason for one check's SKIP. tests/lib.sh (the real-VM
# tests' state dirs and cleanup) sources this.
#
#   plan N; ok STATUS DESC; check DESC CMD...; skip REASON; skip_n N REASON;
#   skip_rest REASON (up to the plan); diag TEXT; show FILE; finish
#   require NEED...; missing NEED...   (NEEDs below)

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BB=${BB:-$TOP/build/balloonbench}
ASAN_BB=${ASAN_BB:-$TOP/build/asan/balloonbench}
export BB_IMAGE_DIR=${BB_IMAGE_DIR:-$TOP/build/guest}
_tap_n=0
_tap_plan=0
failed=0

plan() { _tap_plan=$1; echo "1..$1"; }
ok() { # ok COND-EXIT-STATUS DESCRIPTION
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_tap_n - $2"; else echo "not ok $_tap_n - $2"; failed=$((failed + 1)); fi
}
check() { # check DESCRIPTION COMMAND...
	local desc=$1
	shift
	if "$@"; then ok 0 "$desc"; else ok 1 "$desc"; fi
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $1"; }
skip_n() { local i; for i in $(seq "$1"); do skip "$2"; done; }
skip_rest() { while [ "$_tap_n" -lt "$_tap_plan" ]; do skip "$1"; done; }
diag() { echo "# $*"; }
# show FILE: as TAP comments; once a test has failed, on stderr too, where
# prove shows it without -v (a CI log then says why)
show() {
	[ -f "$1" ] || return 0
	sed 's/^/#   /' "$1" | if [ "$failed" -gt 0 ]; then tee /dev/stderr; else cat; fi
}
finish() { [ "$failed" -eq 0 ]; exit $?; }

# need_why NEED: empty if this machine has NEED, else why not (one line).
need_why() {
	case $1 in
	bb) [ -x "$BB" ] || echo "$BB not built (make all)" ;;
	asan) [ -x "$ASAN_BB" ] || echo "no ASan build ($ASAN_BB; make check builds it)" ;;
	image) [ -f "$BB_IMAGE_DIR/vmlinuz" ] || echo "no guest image in $BB_IMAGE_DIR (make image)" ;;
	qemu) command -v qemu-system-x86_64 >/dev/null || echo "no qemu-system-x86_64 (make deps)" ;;
	# without pgrep every "no VM left running" check would pass blindly
	pgrep) command -v pgrep >/dev/null || echo "no pgrep (procps; make check installs it)" ;;
	vm) need_why bb; need_why image; need_why qemu; need_why pgrep ;;
	root) [ "$(id -u)" -eq 0 ] || echo "needs root" ;;
	chromium) command -v chromium >/dev/null || echo "no chromium (scripts/install-deps.sh --test)" ;;
	man) command -v man >/dev/null || echo "no man (scripts/install-deps.sh --test)" ;;
	daemons) local t
		for t in libvirtd sshd ssh-keygen unshare virsh; do
			command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "no $t (make deps installs it)"; break; }
		done ;;
	cmd:*) command -v "${1#cmd:}" >/dev/null || echo "no ${1#cmd:}" ;;
	*) echo "tap.sh: unknown need '$1'" ;;
	esac
}
# missing NEED...: the first reason one of them is missing; status 0 if one is
missing() {
	local n why
	for n in "$@"; do
		why=$(need_why "$n" | head -n 1)
		[ -n "$why" ] && { echo "$why"; return 0; }
	done
	return 1
}
# require NEED...: the whole test is skipped, saying why, unless all are here
require() {
	local why
	if why=$(missing "$@"); then
		echo "1..0 # SKIP $why"
		exit 0
	fi
}

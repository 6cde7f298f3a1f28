#!/bin/bash
# deb: the Debian package (debian/). `dpkg-buildpackage -b -us -uc` builds it
# in a copy of the tree's files (git ls-files; the tree's build/ is never
# touched), with the guest image of build/guest when there is one
# (BB_GUEST_DIR; else the rules make it, downloading the kernel package);
# dpkg -i installs it, the installed runner works from /, its man page is
# found, and dpkg --purge leaves nothing of it. The maintainer scripts'
# libvirt-qemu user is tried in a mount namespace of its own (a copy of /etc).
# Root only. It installs the package on this machine and purges it on every
# exit, and does not run where a balloonbench package or a /usr one is there.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/tap.sh"
skip_all_deb() { echo "1..0 # SKIP $*"; exit 0; }

[ "$(id -u)" -eq 0 ] || skip_all_deb "not root (dpkg -i)"
command -v dpkg-buildpackage >/dev/null || skip_all_deb "no dpkg-buildpackage (dpkg-dev: scripts/install-deps.sh --test)"
command -v dh >/dev/null || skip_all_deb "no debhelper (scripts/install-deps.sh --test)"
[ -f "$TOP/debian/rules" ] || skip_all_deb "no debian/rules"
# one at a time on a machine (two would install over each other)
exec 9>/run/lock/balloonbench-deb-t.lock && flock -w 600 9 || skip_all_deb "another tests/deb.t holds /run/lock/balloonbench-deb-t.lock"
st=$(dpkg-query -W -f='${db:Status-Abbrev}' balloonbench 2>/dev/null)
case $st in
"" | "un "*) ;;
*) skip_all_deb "a balloonbench package is on this machine already (dpkg: '$st'): the test would replace and purge it" ;;
esac
for p in /usr/bin/balloonbench /usr/lib/balloonbench /usr/share/balloonbench; do
	[ ! -e "$p" ] || skip_all_deb "$p is there already (a make install PREFIX=/usr?): the package would overwrite it"
done

T=$(mktemp -d /tmp/bbdeb.XXXXXX)
installed=0
cleanup() {
	# never leave the package on the machine, whatever failed
	if [ $installed -eq 1 ]; then
		dpkg --purge balloonbench >"$T/purge-at-exit" 2>&1 || { echo "# dpkg --purge balloonbench failed:"; sed 's/^/#   /' "$T/purge-at-exit"; }
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

plan 17
VERSION=$(sed -n 's/^#define BB_VERSION "\(.*\)"$/\1/p' "$TOP/host-runner/core/version.h")
NBENCH=$(ls "$TOP"/bench/*.ini | wc -l)

# --- build ------------------------------------------------------------------
SRC=$T/balloonbench-$VERSION
mkdir -p "$SRC"
if git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# tracked files as they are in the tree (one deleted there is left out)
	(cd "$TOP" && git ls-files -z | cpio -0pdm --quiet "$SRC" 2>/dev/null)
else
	tar -C "$TOP" --exclude=./build --exclude=./results -cf - . | tar -C "$SRC" -xf -
fi
(cd "$SRC" && find . | LC_ALL=C sort) >"$T/files.before"
unset BB_GUEST_DIR BB_IMAGE_DIR
how="the guest image made at package time"
if [ -f "$TOP/build/guest/vmlinuz" ] && [ -f "$TOP/build/guest/initrd.img" ]; then
	export BB_GUEST_DIR=$TOP/build/guest
	how="BB_GUEST_DIR=build/guest"
fi
start=$(date +%s)
(cd "$SRC" && dpkg-buildpackage -b -us -uc) >"$T/build.log" 2>&1
rc=$?
ok $rc "dpkg-buildpackage -b -us -uc in a copy of the tree ($how): exit $rc, $(($(date +%s) - start)) s"
if [ $rc -ne 0 ]; then
	# shown where prove shows it (stderr), and kept: the test's own directory goes
	keep=$TOP/build/artefacts/failed/deb-$(date -u +%Y%m%dT%H%M%SZ)-$$.log
	mkdir -p "$(dirname "$keep")" && cp "$T/build.log" "$keep" && echo "# the build's log is kept in $keep" >&2
	grep -n 'not ok\|rror\|Failed' "$T/build.log" | head -n 20 | sed 's/^/#   /' >&2
	tail -n 20 "$T/build.log" | sed 's/^/#   /' >&2
fi
DEB=$T/balloonbench_${VERSION}_amd64.deb
check "  everything built under debian/build: no build/ in the tree" test ! -e "$SRC/build" -a -d "$SRC/debian/build"
(cd "$SRC" && debian/rules clean >/dev/null 2>&1 && find . | LC_ALL=C sort) >"$T/files.after"
left=$(comm -13 "$T/files.before" "$T/files.after" | head -n 3 | tr '\n' ' ')
check "  debian/rules clean leaves the tree as it was${left:+ (left: $left)}" \
	cmp -s "$T/files.before" "$T/files.after"

if [ ! -f "$DEB" ]; then
	skip_rest "no $(basename "$DEB")"
	exit 1
fi
f() { dpkg-deb -f "$DEB" "$1"; }
check "version $(f Version) (host-runner/core/version.h: $VERSION), architecture $(f Architecture)" \
	test "$(f Version)" = "$VERSION" -a "$(f Architecture)" = amd64
check "Depends: QEMU, libvirt's QEMU driver, adduser, libvirt0 and the other libraries (shlibs): $(f Depends)" sh -c '
	for d in qemu-system-x86 libvirt-daemon-driver-qemu adduser libvirt0 libjansson4 liburing2 libinih1; do
		printf "%s\n" "$1" | tr "," "\n" | grep -q "^ *$d\( (.*)\)\?$" || exit 1
	done' _ "$(f Depends)"
check "Built-Using: the guest kernel's source and the agent's static libraries ($(f Built-Using))" \
	sh -c 'printf "%s" "$1" | grep -q "linux (= " && printf "%s" "$1" | grep -q "glibc (= "' _ "$(f Built-Using)"
dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's,^\./,/,' >"$T/contents"
check "contents: runner, agent, guest image, $NBENCH scenarios, man pages, completion, copyright" sh -c '
	for p in /usr/bin/balloonbench /usr/lib/balloonbench/bb-agent /usr/lib/balloonbench/guest/vmlinuz \
		/usr/lib/balloonbench/guest/initrd.img /usr/lib/balloonbench/guest/kernel.release \
		/usr/lib/balloonbench/guest/modules /usr/share/man/man1/balloonbench.1.gz \
		/usr/share/man/man5/balloonbench-scenario.5.gz /usr/share/bash-completion/completions/balloonbench \
		/usr/share/doc/balloonbench/copyright; do
		grep -qx "$p" "$1" || { echo "# missing: $p"; exit 1; }
	done
	[ "$(grep -c "^/usr/share/balloonbench/bench/.*\.ini$" "$1")" -eq "$2" ]' _ "$T/contents" "$NBENCH"

# --- install ----------------------------------------------------------------
# Only with every dependency already here: nothing is downloaded.
apt-get install -s --no-install-recommends "$DEB" >"$T/sim" 2>&1
missing=$(awk '$1 == "Inst" && $2 != "balloonbench" { print $2 }' "$T/sim" | tr '\n' ' ')
if [ -n "$missing" ] || ! grep -q '^Inst balloonbench ' "$T/sim"; then
	skip_rest "dependencies not installed (${missing:-apt-get -s failed}): scripts/install-deps.sh"
	exit $((failed > 0))
fi
user_before=$(getent passwd libvirt-qemu)
installed=1
dpkg -i "$DEB" >"$T/install.log" 2>&1
rc=$?
check "dpkg -i: exit $rc, installed" \
	test $rc -eq 0 -a "$(dpkg-query -W -f='${db:Status-Abbrev}' balloonbench 2>/dev/null)" = "ii "
[ $rc -eq 0 ] || tail -n 10 "$T/install.log" | sed 's/^/#   /'
check "the libvirt-qemu user is there ($([ -n "$user_before" ] && echo "it was before" || echo "the postinst made it"))" \
	sh -c 'getent passwd libvirt-qemu >/dev/null'

cd / || exit 1
balloonbench list scenarios >"$T/list" 2>"$T/list.err"
rc=$?
check "from /: balloonbench list scenarios: exit $rc, the $NBENCH shipped ones, from /usr/share/balloonbench/bench" \
	sh -c "[ $rc -eq 0 ] && [ \$(wc -l <'$T/list') -eq $NBENCH ] && grep -q '^quick ' '$T/list' && grep -q /usr/share/balloonbench/bench '$T/list.err'"
ls -d /results >/dev/null 2>&1 && had_results=1 || had_results=0
balloonbench run --dry-run quick >"$T/dry" 2>&1
rc=$?
check "from /: balloonbench run --dry-run quick: exit $rc, valid, nothing written in /" \
	sh -c "[ $rc -eq 0 ] && grep -q '^the scenario is valid' '$T/dry' && { [ $had_results -eq 1 ] || [ ! -e /results ]; }"
balloonbench doctor >"$T/doctor" 2>&1
check "balloonbench doctor finds the installed guest image" grep -q '^guest image .*/usr/lib/balloonbench/guest' "$T/doctor"
check "man -w balloonbench: $(man -w balloonbench 2>&1); man -w 5 balloonbench-scenario" \
	sh -c '[ "$(man -w balloonbench)" = /usr/share/man/man1/balloonbench.1.gz ] &&
		[ "$(man -w 5 balloonbench-scenario)" = /usr/share/man/man5/balloonbench-scenario.5.gz ]'
check "bash completion: 'balloonbench tr' -> trend" test "$(bash -c '. /usr/share/bash-completion/completions/balloonbench
	COMP_WORDS=(balloonbench tr); COMP_CWORD=1; _balloonbench; echo "${COMPREPLY[*]}"' 2>/dev/null)" = trend
cd "$T" || exit 1

# --- purge ------------------------------------------------------------------
dpkg --purge balloonbench >"$T/purge.log" 2>&1
rc=$?
[ $rc -eq 0 ] && installed=0
left=$(for p in $(grep -v '/$' "$T/contents") /usr/lib/balloonbench /usr/share/balloonbench /usr/share/doc/balloonbench; do
	[ ! -e "$p" ] || echo "$p"; done | head -n 5 | tr '\n' ' ')
check "dpkg --purge: exit $rc, not known to dpkg, nothing of it left${left:+ (left: $left)}" \
	sh -c "[ $rc -eq 0 ] && [ -z '$left' ] && ! dpkg-query -W balloonbench >/dev/null 2>&1 && [ ! -e /usr/bin/balloonbench ]"
if [ -n "$user_before" ]; then
	check "  the libvirt-qemu user that was there before stays as it was" test "$(getent passwd libvirt-qemu)" = "$user_before"
else
	check "  the libvirt-qemu user the postinst made is gone" sh -c '! getent passwd libvirt-qemu'
fi

# --- the maintainer scripts' user, on a copy of /etc ---------------------------
# In a mount namespace of this test's own, /etc is a copy without libvirt-qemu:
# the postinst makes the user (and group), the purge removes them; with the
# group there before, the user goes in it and the group stays; a user there
# before stays as it was.
mkdir -p "$T/ctl" && dpkg-deb -e "$DEB" "$T/ctl"
if dpkg-query -W -f='${db:Status-Abbrev}' libvirt-daemon-system 2>/dev/null | grep -q '^ii'; then
	skip "libvirt-daemon-system is installed: the purge would keep libvirt-qemu for it"
elif ! unshare -m true 2>/dev/null; then
	skip "no unshare -m here"
else
	unshare -m --propagation private bash -c '
		T=$1 CTL=$2
		cp -a /etc "$T/etc" && mount --bind "$T/etc" /etc || exit 99
		for f in passwd shadow group gshadow; do sed -i "/^libvirt-qemu:/d" /etc/$f; done
		gecos() { getent passwd libvirt-qemu | cut -d: -f5 | cut -d, -f1; }
		# neither there: both made, both purged
		"$CTL/postinst" configure >/dev/null 2>&1 || exit 1
		[ "$(gecos)" = "balloonbench made it for libvirt (and its group)" ] || exit 2
		[ "$(id -gn libvirt-qemu)" = libvirt-qemu ] || exit 3
		"$CTL/postrm" purge >/dev/null 2>&1 || exit 4
		! getent passwd libvirt-qemu >/dev/null && ! getent group libvirt-qemu >/dev/null || exit 5
		# the group there before: the user made in it, the group kept
		groupadd -r libvirt-qemu || exit 99
		"$CTL/postinst" configure >/dev/null 2>&1 || exit 6
		[ "$(gecos)" = "balloonbench made it for libvirt" ] && [ "$(id -gn libvirt-qemu)" = libvirt-qemu ] || exit 7
		"$CTL/postrm" purge >/dev/null 2>&1 || exit 8
		! getent passwd libvirt-qemu >/dev/null && getent group libvirt-qemu >/dev/null || exit 9
		# the user there before: left as it was
		useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu || exit 99
		before=$(getent passwd libvirt-qemu)
		"$CTL/postinst" configure >/dev/null 2>&1 && "$CTL/postrm" purge >/dev/null 2>&1 || exit 10
		[ "$(getent passwd libvirt-qemu)" = "$before" ] || exit 11
		exit 0' _ "$T" "$T/ctl"
	rc=$?
	check "postinst/postrm on a copy of /etc: libvirt-qemu made (with its group, or in the group there), removed by purge; one there before left$([ $rc -eq 0 ] || echo " (failed at step $rc)")" \
		test $rc -eq 0
fi
finish

#!/bin/bash
# install: `make install` into a temporary DESTDIR, then the installed binary
# run from another directory finds its scenarios and guest image; its man
# pages and bash completion work; `make uninstall` removes what it installed.
# Uses the build as it is (the guest image of build/guest if there is one,
# else a stand-in: the image is never rebuilt here).
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/tap.sh"
T=$(mktemp -d /tmp/bbinstall.XXXXXX)
trap 'rm -rf "$T"' EXIT
BB=$TOP/build/balloonbench require bb
plan 20

GUEST=$TOP/build/guest
if [ ! -f "$GUEST/vmlinuz" ]; then
	GUEST=$T/stand-in-guest
	mkdir -p "$GUEST" && echo stand-in > "$GUEST/vmlinuz" && echo stand-in > "$GUEST/initrd.img" &&
		echo 0.0.0-stand-in > "$GUEST/kernel.release"
	echo "# no build/guest: a stand-in guest image"
fi
ROOT=$T/root
make -s -C "$TOP" install DESTDIR="$ROOT" PREFIX=/usr GUEST_DIR="$GUEST" >"$T/make.out" 2>&1
ok $? "make install DESTDIR=... PREFIX=/usr$(tail -n 3 "$T/make.out" | sed 's/^/ # /' | tr '\n' ' ')"
BB=$ROOT/usr/bin/balloonbench
check "binary, agent, guest image, scenarios, man pages, completion where PREFIX says" test -x "$BB" \
	-a -x "$ROOT/usr/lib/balloonbench/bb-agent" -a -f "$ROOT/usr/lib/balloonbench/guest/vmlinuz" \
	-a -f "$ROOT/usr/share/balloonbench/bench/quick.ini" -a -f "$ROOT/usr/share/man/man1/balloonbench.1" \
	-a -f "$ROOT/usr/share/man/man5/balloonbench-scenario.5" \
	-a -f "$ROOT/usr/share/man/man5/balloonbench-results.5" \
	-a -f "$ROOT/usr/share/bash-completion/completions/balloonbench"

mkdir -p "$T/elsewhere" && cd "$T/elsewhere" || exit 1
"$BB" list scenarios >"$T/list" 2>"$T/list.err"
rc=$?
check "list scenarios from another directory: exit 0, every shipped scenario ($(wc -l <"$T/list") lines)" \
	test $rc -eq 0 -a "$(wc -l <"$T/list")" -eq "$(ls "$TOP"/bench/*.ini | wc -l)"
check "  by name, from PREFIX/share/balloonbench/bench" sh -c "grep -q '^quick ' '$T/list' && grep -q '$ROOT/usr/share/balloonbench/bench' '$T/list.err'"
# BB_IMAGE_DIR= (tap.sh exports build/guest's): the installed image, as for
# doctor below; with build/guest's these passed only after `make image`
BB_IMAGE_DIR= "$BB" run --dry-run -s "$T/state" -o "$T/results" "$ROOT/usr/share/balloonbench/bench/quick.ini" >"$T/dry" 2>&1
check "a dry run of an installed scenario by path: exit 0, valid" grep -q '^the scenario is valid' "$T/dry"
BB_IMAGE_DIR= "$BB" run --dry-run -s "$T/state" -o "$T/results" oscillate >"$T/dry2" 2>&1
check "  and by its name alone (run oscillate)" grep -q '^the scenario is valid' "$T/dry2"
"$BB" list options >"$T/opts" 2>&1
check "list options: exit 0, the table" grep -q '^memory ' "$T/opts"
BB_IMAGE_DIR= "$BB" doctor >"$T/doctor" 2>&1
check "doctor runs (it may find libvirt pieces missing) and finds the installed image" \
	grep -q "^guest image .*$ROOT/usr/lib/balloonbench/guest" "$T/doctor"
mkdir -p "$T/empty"
"$BB" list scenarios "$T/empty" >/dev/null 2>"$T/empty.err"
rc=$?
check "an empty scenario list is an error, exit 2, said (got $rc: $(cat "$T/empty.err"))" \
	sh -c "[ $rc -eq 2 ] && grep -q 'no scenario' '$T/empty.err'"

if command -v man >/dev/null; then
	for p in man1/balloonbench.1 man5/balloonbench-scenario.5 man5/balloonbench-results.5; do
		LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings -l "$ROOT/usr/share/man/$p" >"$T/man.txt" 2>"$T/man.err"
		check "man -l $p: renders, no warning" sh -c "[ -s '$T/man.txt' ] && [ ! -s '$T/man.err' ]"
	done
	check "balloonbench(1) has every command and option of 'run --help'" sh -c "
		for o in \$('$BB' run --help | grep -oE -- '--[a-z][a-z-]*' | sort -u) trend compare doctor; do
			LC_ALL=C.UTF-8 MANWIDTH=200 man -l '$ROOT/usr/share/man/man1/balloonbench.1' | grep -q -- \"\$o\" || exit 1
		done"
	check "balloonbench-scenario(5) has every option of 'list options'" sh -c "
		for o in \$(awk 'NR > 1 { print \$1 }' '$T/opts'); do
			LC_ALL=C.UTF-8 MANWIDTH=200 man -l '$ROOT/usr/share/man/man5/balloonbench-scenario.5' | grep -q -- \"^ *\$o = \" || exit 1
		done"
else
	skip_n 5 "$(missing man)"
fi

# completion: the installed script, asked as bash would
comp() { bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _balloonbench; echo "${COMPREPLY[*]}"' _ \
	"$ROOT/usr/share/bash-completion/completions/balloonbench" "$BB" "$@" 2>/dev/null; }
check "completion: commands ('tr' -> trend)" test "$(comp tr)" = "trend"
check "completion: options ('run --output-f' -> --output-file --output-format)" \
	test "$(comp run --output-f)" = "--output-file --output-format"
check "completion: shipped scenarios ('run osc' -> oscillate) and --set keys" \
	sh -c "[ '$(comp run osc)' = oscillate ] && [ '$(comp run --set memo)' = 'memory=' ]"
check "completion: a choice's values after --set KEY= ('on-guest-failure = c' -> continue, as bash splits it)" \
	sh -c "[ '$(comp run --set on-guest-failure = c)' = continue ] && [ '$(comp run --set accel =)' = 'auto kvm tcg' ]"
check "completion: every metric of 'list metrics' after compare -m ('compare -m host_r' -> host_returned_mib host_rss_settle_ms)" \
	sh -c "[ '$(comp compare -m host_r)' = 'host_returned_mib host_rss_settle_ms' ] &&
		[ \"\$(echo \$('$BB' list metrics | awk 'NR > 1 { print \$1 }'))\" = '$(comp compare -m '')' ]"

make -s -C "$TOP" uninstall DESTDIR="$ROOT" PREFIX=/usr >/dev/null 2>&1
check "make uninstall leaves no file behind" test -z "$(find "$ROOT" -type f)"
finish

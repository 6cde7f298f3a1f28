#!/bin/bash
# corpus: the bad-input corpus (tests/corpus/NAME.expect) under the ASan+UBSan
# build: every case exits as expected with its message, within a time limit,
# and without a sanitizer report. A case is
#   NAME.ini    a scenario: `run --dry-run` of it (no guest boots)
#   NAME.args   a command line instead; @C is tests/corpus, @D tests/data, @T
#               the case's scratch directory, @R a copy of tests/data/results-real
#   NAME.setup  shell run first with $T, $R, $C set (makes FIFOs, damages @R ...)
#   NAME.expect "exit N" and "stderr REGEX" (grep -E; ^$ = nothing on stderr):
#               the first line on stderr must match it; "lines N": stderr
#               holds N lines (one bad input, one line)
TOP=$(cd "$(dirname "$0")/.." && pwd)
BB=${BB:-$TOP/build/asan/balloonbench}
. "$TOP/tests/tap.sh"
C=$TOP/tests/corpus
D=$TOP/tests/data
TMP=$(mktemp -d /tmp/bbcorpus.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
require bb
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# a dry run checks the guest image a run would boot: a stand-in (nothing boots here)
mkdir -p "$TMP/image" && : >"$TMP/image/vmlinuz" && : >"$TMP/image/initrd.img"
export BB_IMAGE_DIR=$TMP/image
cases=("$C"/*.expect)
plan ${#cases[@]}
for e in "${cases[@]}"; do
	name=$(basename "$e" .expect)
	T=$TMP/$name R=$TMP/$name/r
	mkdir -p "$T/out"
	want_rc=$(sed -n 's/^exit //p' "$e")
	want_re=$(sed -n 's/^stderr //p' "$e")
	want_lines=$(sed -n 's/^lines //p' "$e")
	if [ -f "$C/$name.args" ]; then
		line=$(sed -e "s|@C|$C|g" -e "s|@D|$D|g" -e "s|@T|$T|g" -e "s|@R|$R|g" "$C/$name.args")
		grep -q '@R' "$C/$name.args" && cp -r "$D/results-real" "$R"
		read -r -a argv <<<"$line"
	else
		argv=(run --dry-run -s "$T/state" -o "$T/res" "$C/$name.ini")
	fi
	[ -f "$C/$name.setup" ] && (export T R C; cd "$T" && bash "$C/$name.setup") >/dev/null 2>&1
	timeout -k 5 30 "$BB" "${argv[@]}" >"$T/stdout" 2>"$T/err" </dev/null
	rc=$?
	first=$(head -n 1 "$T/err")
	why=""
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then why="timed out (30 s)"
	elif grep -q 'Sanitizer\|runtime error' "$T/err"; then why="sanitizer report"
	elif [ "$rc" != "$want_rc" ]; then why="exit $rc, expected $want_rc"
	elif [ "$want_re" = '^$' ]; then
		[ -s "$T/err" ] && why="expected nothing on stderr, got: $first"
	elif ! printf '%s\n' "$first" | grep -Eq -- "$want_re"; then why="message '$first' does not match /$want_re/"
	elif [ -n "$want_lines" ] && [ "$(wc -l <"$T/err")" != "$want_lines" ]; then
		why="$(wc -l <"$T/err") lines on stderr, expected $want_lines"
	fi
	if [ -z "$why" ]; then ok 0 "$name"; else
		ok 1 "$name: $why"
		sed 's/^/#   /' "$T/err" | head -n 12
	fi
	rm -rf "$T"
done
finish

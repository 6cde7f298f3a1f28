#!/bin/bash
# lsan: LeakSanitizer's tracer crash at exit (gcc 12's runtime misreading a
# dlopen()ed module's dynamic TLS; host-runner/engine/sanopts.c says why) made
# on purpose, and what the suite does about it: the runner's ASan defaults
# avoid it, a planted leak is still found with them, and the harness's
# san_classify tells a tool failure from a finding and from a clean exit.
. "$(dirname "$0")/lib.sh"
plan 5
CC=${CC:-gcc}
src=$TOP/tests/lsan-dtls
build() { # build OUT [CFLAGS...]
	local out=$1; shift
	"$CC" -fsanitize=address -g "$@" -o "$out" "$src/main.c" "$TOP/host-runner/engine/sanopts.c" -ldl 2>"$T/cc.err"
}
if ! "$CC" -shared -fPIC -o "$T/mod.so" "$src/mod.c" 2>"$T/cc.err" || ! build "$T/dtls" || ! build "$T/leak" -DLEAK; then
	for i in 1 2 3 4 5; do skip "cannot build an ASan program here ($(head -c 200 "$T/cc.err"))"; done
	finish
fi
export ASAN_OPTIONS=detect_leaks=1

# 1. The crash, with the interceptor on (the runtime's own default).
ASAN_OPTIONS=$ASAN_OPTIONS:intercept_tls_get_addr=1 "$T/dtls" "$T/mod.so" >"$T/out" 2>"$T/err"
rc=$?
what=$(san_classify "$T/err")
if [ "$what" = clean ] && [ $rc -eq 0 ]; then
	skip "this toolchain's LeakSanitizer reads the TLS block right (no crash to make): $("$CC" --version | head -n 1)"
else
	check "the tracer crash is classified as a tool failure, not a finding nor a pass (exit $rc, $what)" \
		test "$what" = tool-failure -a $rc -ne 0
	[ "$what" = tool-failure ] || show "$T/err"
fi

# 2. The same program with the runner's defaults: no crash, no report.
"$T/dtls" "$T/mod.so" >"$T/out" 2>"$T/err"
rc=$?
check "with the runner's ASan defaults (intercept_tls_get_addr=0): exit 0, clean ($rc, $(san_classify "$T/err"))" \
	test $rc -eq 0 -a "$(san_classify "$T/err")" = clean
[ $rc -eq 0 ] || show "$T/err"

# 3. A leak is still found with those defaults, and classified as a finding.
"$T/leak" "$T/mod.so" >"$T/out" 2>"$T/err"
rc=$?
check "a planted leak is still found with them (exit $rc, $(san_classify "$T/err"))" \
	sh -c "[ $rc -ne 0 ] && [ \"\$(grep -c 'Direct leak of 100 byte' '$T/err')\" -eq 1 ]"
check "... and classified as a finding" test "$(san_classify "$T/err")" = finding

# 4. The runner itself carries the default (its ASan build, if made).
if [ -x "$ASAN_BB" ]; then
	ASAN_OPTIONS=help=1 "$ASAN_BB" --version >"$T/out" 2>"$T/err"
	check "the ASan runner's intercept_tls_get_addr defaults to false (sanopts.c)" \
		sh -c "grep -A1 'intercept_tls_get_addr\$' '$T/err' | grep -q 'Current Value: false'"
else
	skip "no ASan build ($ASAN_BB)"
fi
finish

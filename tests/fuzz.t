#!/bin/bash
# fuzz: every libFuzzer target (tests/fuzz/NAME.c) over its seeds and a short
# fixed number of mutated inputs (-runs): the harnesses build, the readers
# survive their seeds and a first round of mutations under ASan+UBSan.
# `make fuzz` runs each for FUZZ_SECONDS instead. SKIPs without clang or libFuzzer.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/tap.sh"
CC=${FUZZ_CC:-clang}
RUNS=${FUZZ_RUNS:-2000}
T=$(mktemp -d /tmp/bbfuzz-t.XXXXXX)
trap 'rm -rf "$T"' EXIT
require "cmd:$CC"
echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }' > "$T/probe.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined -o "$T/probe" "$T/probe.c" 2>"$T/probe.err"; then
	echo "1..0 # SKIP $CC cannot link -fsanitize=fuzzer (libFuzzer's runtime: libclang-rt-14-dev): $(head -n 1 "$T/probe.err")"
	exit 0
fi
targets=$(sed -n 's/^FUZZ_TARGETS *:= *//p' "$TOP/Makefile")
plan $(( $(echo $targets | wc -w) + 1 ))
if make -C "$TOP" -s --no-print-directory -j2 fuzz-build >"$T/build.log" 2>&1; then
	ok 0 "the fuzz targets build ($targets)"
else
	ok 1 "the fuzz targets build"; sed 's/^/#   /' "$T/build.log" | tail -20; exit 1
fi
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for t in $targets; do
	"$TOP/tests/fuzz/seeds.sh" "$t" "$T/seeds-$t"
	mkdir -p "$T/crash-$t"
	timeout -k 10 300 "$TOP/build/fuzz/$t" -runs="$RUNS" -seed=1 -max_len=65536 -timeout=10 \
		-artifact_prefix="$T/crash-$t/" "$T/seeds-$t" >"$T/$t.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		ok 0 "$t: $(ls "$T/seeds-$t" | wc -l) seeds and $RUNS runs ($(grep -o 'Done [0-9]* runs' "$T/$t.log"))"
	else
		ok 1 "$t: exit $rc"
		grep -E 'ERROR|runtime error|SUMMARY|#[0-9]+ 0x' "$T/$t.log" | head -15 | sed 's/^/#   /'
	fi
done
finish

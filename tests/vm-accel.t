#!/bin/bash
# vm-accel: accel=kvm fails clearly within its watchdog where KVM cannot boot a guest; auto falls back to TCG and says so.
. "$(dirname "$0")/lib.sh"
require vm
plan 17

scenario kvm <<'INI'
[kvm]
accel = kvm
kvm-boot-timeout = 15s
targets = 768M
settle = 100ms
INI
start=$(date +%s)
timeout 300 "$BB" run -q -s "$STATE" -o "$RESULTS" "$T/kvm.ini" >"$T/out" 2>"$T/err"
rc=$?
took=$(( $(date +%s) - start ))
if [ $rc -eq 0 ]; then
	diag "KVM boots guests on this host: accel=kvm ran ($took s)"
	ok 0 "accel=kvm runs where KVM works"
	skip "KVM works here: no failure to report"
	skip "KVM works here: no watchdog to check"
elif [ ! -w /dev/kvm ]; then
	# no KVM to boot (no /dev/kvm, or not ours): the runner says so before
	# any boot; "did not boot under KVM" is for a KVM that fails a boot
	grep -q "accel=kvm: this host offers no KVM" "$T/err"; ok $? "accel=kvm fails with a clear error (no /dev/kvm to use here)"
	show "$T/err"
	check "accel=kvm: exit 1 (got $rc)" test $rc -eq 1
	skip "no usable /dev/kvm here: no KVM boot for the watchdog to end"
else
	grep -q "accel=kvm: the guest did not boot under KVM" "$T/err"; ok $? "accel=kvm fails with a clear error"
	show "$T/err"
	check "accel=kvm: exit 1 (got $rc)" test $rc -eq 1
	check "accel=kvm: gave up within the watchdog (took $took s, limit 15 s + start-up)" test $took -le 60
fi
check "accel=kvm: no VM left running" test "$(qemus)" -eq 0

scenario auto <<'INI'
[auto]
accel = auto
kvm-boot-timeout = 15s
targets = 768M
settle = 100ms
INI
# A fresh state dir: no cached KVM probe, so auto really tries KVM first.
"$BB" run -s "$STATE.auto" -o "$RESULTS/auto" "$T/auto.ini" >"$T/out" 2>"$T/err"
rc=$?
check "accel=auto: exit 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || show "$T/err"
if grep -q '"accel": "kvm"' "$RESULTS"/auto/2*/run.json; then
	diag "KVM works here: auto chose it"
	ok 0 "accel=auto chose KVM where it works"
	skip "KVM works here: no fallback"
	skip "KVM works here: no cached probe"
else
	grep -q '"accel": "tcg"' "$RESULTS"/auto/2*/run.json; ok $? "accel=auto ended on TCG (run.json)"
	grep -q "retrying under TCG\|running under TCG" "$T/err"; ok $? "accel=auto says loudly that it fell back to TCG"
	if grep -q "no KVM on this host" "$T/err"; then
		# no KVM offered: no probe was made, so nothing is cached to reuse
		skip "no KVM on this host: auto made no probe to cache"
	else
		"$BB" run -s "$STATE.auto" -o "$RESULTS/auto2" "$T/auto.ini" >"$T/out" 2>"$T/err"
		grep -q "cached in" "$T/err"; ok $? "a second auto run reuses the probe result and says where it is cached"
	fi
fi
check "accel=auto: no VM left running" test "$(pgrep -f "qemu-system.*$STATE" | wc -l)" -eq 0
rm -rf "$STATE.auto"

# The fallback itself, on any host: a KVM watchdog of 1 ms is shorter than any
# boot, so auto must fall back to TCG whether this host's KVM works or not.
scenario fb <<'INI'
[fb]
accel = auto
kvm-boot-timeout = 1ms
targets = 768M
settle = 100ms
INI
"$BB" run --reprobe-kvm -s "$STATE.fb" -o "$RESULTS/fb" "$T/fb.ini" >"$T/out" 2>"$T/err"
rc=$?
check "fallback: exit 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || show "$T/err"
grep -q '"accel": "tcg"' "$RESULTS"/fb/2*/run.json && grep -q "retrying under TCG\|no KVM on this host" "$T/err"
ok $? "fallback: ran under TCG and said why"
check "fallback: no VM left running" test "$(pgrep -f "qemu-system.*$STATE" | wc -l)" -eq 0
rm -rf "$STATE.fb"

# A guest whose kernel panics at boot: the error quotes the panic line, not
# whatever the console said last.
scenario panic <<'INI'
[panic]
accel = tcg
cmdline = rdinit=/nonexistent init=/nonexistent
INI
"$BB" run -q -s "$STATE" -o "$RESULTS/panic" "$T/panic.ini" >"$T/out" 2>"$T/err"
rc=$?
check "boot panic: exit 1 (got $rc)" test $rc -eq 1
grep -q "panic console line: 'Kernel panic - not syncing" "$T/err"; ok $? "boot panic: the error quotes the kernel's panic line"
show "$T/err"

# The boot watchdog itself: a guest whose kernel finds no init and, told
# panic=0, hangs there: its hello never comes on any host, however fast, so
# the watchdog ends the boot with the reason, and nothing stays behind.
scenario dog <<'INI'
[dog]
accel = tcg
boot-timeout = 1s
cmdline = panic=0 rdinit=/nonexistent init=/nonexistent
INI
start=$(date +%s)
"$BB" run -q -s "$STATE" -o "$RESULTS/dog" "$T/dog.ini" >"$T/out" 2>"$T/err"
rc=$?
took=$(( $(date +%s) - start ))
check "boot watchdog: exit 1 (got $rc)" test $rc -eq 1
grep -q "hello did not arrive within 1 s" "$T/err"; ok $? "boot watchdog: says the hello did not arrive (took $took s)"
show "$T/err"
check "boot watchdog: no VM left running" test "$(qemus)" -eq 0
finish

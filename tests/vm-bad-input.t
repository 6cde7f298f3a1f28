#!/bin/bash
# vm-bad-input: each bad input gets one clear line (file:line where there is one), a non-zero exit, no VM.
. "$(dirname "$0")/lib.sh"
require vm
plan 34

# expect NAME WANT-EXIT PATTERN -- ARGS...: one stderr line matching PATTERN, exit WANT-EXIT
expect() {
	name=$1 want=$2 pat=$3; shift 4
	timeout 120 "$BB" run -s "$STATE" -o "$RESULTS" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	lines=$(wc -l < "$T/err")
	check "$name: exit $rc (want $want)" test "$rc" -eq "$want"
	if [ "$lines" -eq 1 ] && grep -q -- "$pat" "$T/err"; then
		ok 0 "$name: one line: $(cat "$T/err")"
	else
		ok 1 "$name: expected one line matching '$pat'"; show "$T/err"
	fi
	check "$name: no VM left running" test "$(qemus)" -eq 0
}

expect "missing scenario" 2 "$T/nope.ini: cannot open scenario: No such file" -- "$T/nope.ini"

scenario malformed <<'INI'
[job]
memory = 1G
this line has no equals sign
INI
expect "malformed line" 2 "malformed.ini:3: expected" -- "$T/malformed.ini"

scenario unknown <<'INI'
[job]
memory = 1G

ballon-size = 3
INI
expect "unknown key" 2 "unknown.ini:4: unknown option 'ballon-size'" -- "$T/unknown.ini"

scenario above <<'INI'
[global]
memory = 1G
[job]
targets = 256M, 2G
INI
expect "target above maximum" 2 "above.ini:4: \[job\] targets: 2G is above memory=1G" -- "$T/above.ini"

scenario badaccel <<'INI'
[job]
accel = xen
INI
expect "bad choice" 2 "badaccel.ini:2: accel: 'xen' is not one of auto, kvm, tcg" -- "$T/badaccel.ini"

scenario kernel <<'INI'
[job]
accel = tcg
kernel = /nonexistent/vmlinuz
INI
expect "missing kernel (scenario)" 2 "kernel.ini:3: \[job\] kernel: /nonexistent/vmlinuz: No such file" -- "$T/kernel.ini"

scenario ok <<'INI'
[job]
accel = tcg
targets = 512M
INI
expect "missing image dir" 2 "guest kernel /nonexistent/vmlinuz not found: run 'make image'" -- \
	-i /nonexistent "$T/ok.ini"

BALLOONBENCH_FAULT=nope expect "unknown test fault" 2 \
	"BALLOONBENCH_FAULT=nope: no such test fault (expected one of mute, mute-first-boot, stall, late, integrity-flip, integrity-zero, vmem-kprobe-off)" -- "$T/ok.ini"

# reboot:acpi on an image without the ACPI button driver (one built before it): refused before any boot
mkdir -p "$T/oldimg"
ln -s "$BB_IMAGE_DIR/vmlinuz" "$BB_IMAGE_DIR/initrd.img" "$T/oldimg/"
grep -v -e '^button\.ko$' -e '^evdev\.ko$' "$BB_IMAGE_DIR/modules" >"$T/oldimg/modules"
printf 'CONFIG_ACPI_BUTTON=m\nCONFIG_INPUT_EVDEV=m\n' >"$T/oldimg/kernel.config"
scenario acpi <<'INI'
[job]
accel = tcg
targets = 256M
events = reboot:acpi@after:1
INI
expect "reboot:acpi without the button driver" 2 \
	"acpi.ini:4: \[job\] events: reboot:acpi needs the ACPI power button in the guest: the image in $T/oldimg has no button.ko (rebuild it with 'make image')" -- \
	-i "$T/oldimg" "$T/acpi.ini"

expect "unreachable URI" 1 "cannot connect to 'qemu+tcp://127.0.0.1:1/system'" -- \
	--connect qemu+tcp://127.0.0.1:1/system "$T/ok.ini"

# A file that is not a kernel: QEMU really starts and fails; nothing may stay.
scenario notkernel <<'INI'
[job]
accel = tcg
boot-timeout = 20s
kernel = /etc/hostname
INI
expect "not a kernel" 1 "INCOMPLETE: .*did not boot under TCG: .*kernel" -- -q "$T/notkernel.ini"
check "not a kernel: results kept and marked incomplete" \
	grep -q '"status": "incomplete"' "$RESULTS"/2*/run.json
finish

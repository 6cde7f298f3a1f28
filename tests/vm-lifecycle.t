#!/bin/bash
# vm-lifecycle: one guest with the integrity workload through lifecycle events (pause during a move, pause, storm:100, save/restore, reset, reboot:agent, reboot:acpi, floor, shutdown; reboot:sysrq in the flip run), each row of lifecycle.csv checked; a planted mismatch (integrity-flip) fails its row; a runner killed in a save leaves no QEMU and no image; a stale image is removed by the next run's start.
. "$(dirname "$0")/lib.sh"
require vm
plan 40

# 384 MiB, 32 MiB verified over and over (its first pass ends in the warm-up).
# Transition 1 inflates 384 -> 128 MiB (about a second under TCG): the pause
# during it lands in flight. floor goes last of the checked ones: it may
# OOM-kill the workload (recorded, the negative test's).
scenario life <<'INI'
[global]
accel = tcg
memory = 384M
settle = 500ms

[life]
workload = integrity:size=32M
warmup = 3s
targets = 128M, 384M
# the storm's random walk goes no lower than transition 1 (its default, 25 %
# or 96 MiB, OOM-killed the workload when the guest kept up on a loaded host)
low = 128M
events = pause:1s@during:1, pause:2s@after:1, storm:100@after:1, save@after:1, reset@after:1, reboot:agent@after:1, reboot:acpi@after:1, floor:16M@after:2, shutdown@after:2
INI

"$BB" run -s "$STATE" -o "$RESULTS/clean" "$T/life.ini" >"$T/out" 2>"$T/err"
rc=$?
ok $rc "the run exits 0"
[ $rc -eq 0 ] || show "$T/err"
dir=$(ls -d "$RESULTS"/clean/2* | head -n 1)
lc=$dir/lifecycle.csv
sed 's/^/# /' "$lc"
col() { csv_where "$lc" spec "$1" "$2"; }	# col SPEC COLUMN
check "nine rows, every one ok" csv_awk '{ n++; if ($c["result"] != "ok") bad = 1 } END { exit bad || n != 9 }' "$lc"
check "events.csv has a lifecycle line per event" test "$(grep -c ',lifecycle,' "$dir/events.csv")" -eq 9
check "run prints the table of events" grep -q '^lifecycle events (lifecycle.csv)' "$T/out"

# pause during transition 1: nothing moved while paused; its t100 includes the pause
d=pause:1s@during:1
moved=$(col $d paused_moved_mib) t100=$(col $d transition_t100_ms) dur=$(col $d duration_ms)
tr100=$(csv_where "$dir/transitions.csv" index 0 t100_ms)
diag "during: paused ${dur} ms, QEMU's actual moved ${moved} MiB meanwhile, t100 ${t100} ms (transitions.csv ${tr100})"
check "during: when=during, transition=1" test "$(col $d when),$(col $d transition)" = "during,1"
check "during: QEMU's actual moved less than 4 MiB while paused ($moved)" within "${moved:-99}" 0 4
check "during: the transition's t100 includes the pause ($t100 >= $dur ms)" \
	awk -v a="${t100:-0}" -v b="${dur:-1}" 'BEGIN { exit !(a >= b && b >= 1000) }'
check "during: the same t100 as transitions.csv" within "${t100:-0}" "${tr100:-1}" 0.01

# pause after: 2 s, the guest's clock stood still, resynced, samples left out and counted
p=pause:2s@after:1
step=$(col $p clock_step_ms)
diag "pause: $(col $p duration_ms) ms, clock step $step ms, $(col $p gap_samples) samples left out, agent $(col $p agent_ms) ms"
check "pause: 2 s suspended" awk -v a="$(col $p duration_ms)" 'BEGIN { exit !(a >= 2000 && a < 5000) }'
check "pause: the guest's clock stood still (step $step ms, about -2000)" awk -v a="${step:-0}" 'BEGIN { exit !(a < -1500) }'
check "pause: the agent answered, the balloon stayed at its target, accounting ok" \
	test -n "$(col $p agent_ms)" -a "$(col $p target_reset)$(col $p accounting_ok)" = "01"
check "pause: one full pass of integrity verified, no mismatch" \
	awk -v v="$(col $p wl_verified_mib)" -v m="$(col $p wl_mismatches)" 'BEGIN { exit !(v >= 32 && m == "0") }'

# storm: 100 targets, seeded, the final one reached
s=storm:100@after:1
diag "storm: $(col $s reason); seed $(col $s storm_seed)"
check "storm: seed recorded, the final target is the target, reached" \
	awk -v f="$(col $s storm_final_mib)" -v t="$(col $s target_mib)" -v a="$(col $s actual_after_mib)" \
	-v sd="$(col $s storm_seed)" 'BEGIN { d = a - t; if (d < 0) d = -d; exit !(sd != "" && f == t && d <= 1) }'
check "storm: events.csv has its seed and targets" grep -q ',storm,"seed=[0-9]* n=100 range=' "$dir/events.csv"

# save: image, times; restored; nothing left in the state directory
v=save@after:1
diag "save: $(col $v reason); clock step $(col $v clock_step_ms) ms"
check "save: image size, save and restore times recorded" \
	awk -v b="$(col $v save_image_bytes)" -v s="$(col $v save_ms)" -v r="$(col $v restore_ms)" \
	'BEGIN { exit !(b > 1048576 && s > 0 && r > 0) }'
check "save: the guest went on (agent, target, integrity after restore)" \
	awk -v a="$(col $v agent_ms)" -v v="$(col $v wl_verified_mib)" -v m="$(col $v wl_mismatches)" \
	'BEGIN { exit !(a != "" && v >= 32 && m == "0") }'
check "save: no image left in the state directory" sh -c "! ls '$STATE' | grep -q '^save-'"

# reset: the runner reconnects to the new agent and goes on; the balloon back at its target
x=reset@after:1
diag "reset: $(col $x reason); target_reset $(col $x target_reset), recover $(col $x recover_ms) ms"
check "reset: a reconnect after the new HELLO (events.csv)" grep -q ',reconnect,"after reset: HELLO in' "$dir/events.csv"
check "reset: the agent answers, the balloon at its target, integrity verified again" \
	awk -v a="$(col $x agent_ms)" -v t="$(col $x target_mib)" -v f="$(col $x actual_after_mib)" \
	-v v="$(col $x wl_verified_mib)" -v m="$(col $x wl_mismatches)" \
	'BEGIN { d = f - t; if (d < 0) d = -d; exit !(a != "" && d <= 1 && v >= 32 && m == "0") }'

# reboot:agent (the agent's REBOOT) and reboot:acpi (virDomainReboot: the power button, libvirt's
# fake reboot): the old agent's BYE, the new HELLO, the checks of every event
for x in reboot:agent@after:1 reboot:acpi@after:1; do
	diag "$x: $(col $x reason); bye $(col $x bye_ms) ms, hello $(col $x hello_ms) ms, recover $(col $x recover_ms) ms"
	check "$x: BYE then HELLO recorded, the agent answers, the balloon at its target, integrity verified again" \
		awk -v b="$(col $x bye_ms)" -v h="$(col $x hello_ms)" -v a="$(col $x agent_ms)" \
		-v t="$(col $x target_mib)" -v f="$(col $x actual_after_mib)" -v v="$(col $x wl_verified_mib)" \
		-v m="$(col $x wl_mismatches)" \
		'BEGIN { d = f - t; if (d < 0) d = -d; exit !(b != "" && h > b && a != "" && d <= 1 && v >= 32 && m == "0") }'
done
check "reboot:acpi: the agent powered off on the ACPI power button" grep -q ',agent-log,"the ACPI power button: powering off"' "$dir/events.csv"

# floor: the guest alive, a shortfall, the target before set again and reached
f=floor:16M@after:2
diag "floor: $(col $f reason)"
check "floor: a shortfall above 0 ($(col $f shortfall_mib) MiB)" awk -v s="$(col $f shortfall_mib)" 'BEGIN { exit !(s > 0) }'
check "floor: target set again, back at it, the agent answers" \
	awk -v r="$(col $f target_reset)" -v t="$(col $f target_mib)" -v a="$(col $f actual_after_mib)" \
	-v g="$(col $f agent_ms)" 'BEGIN { d = a - t; if (d < 0) d = -d; exit !(r == 1 && d <= 1 && g != "") }'
check "shutdown: the guest powered off ($(col shutdown@after:2 duration_ms) ms, the agent's BYE after $(col shutdown@after:2 bye_ms) ms)" \
	awk -v s="$(col shutdown@after:2 duration_ms)" -v r="$(col shutdown@after:2 result)" \
	-v b="$(col shutdown@after:2 bye_ms)" 'BEGIN { exit !(s > 0 && s < 60000 && r == "ok" && b != "" && b <= s) }'
check "every row with accounting says ok" csv_awk '$c["accounting_ok"] != "" && $c["accounting_ok"] != 1 { exit 1 }' "$lc"

# a planted mismatch: the integrity-flip fault's byte fails the rows after it, and the run;
# under the ASan+UBSan runner (a pause, a save and its restore, a reset, the kernel's emergency restart)
scenario flip <<'INI'
[flip]
accel = tcg
memory = 384M
workload = integrity:size=32M
warmup = 3s
targets = 128M
events = pause:500ms@after:1, save@after:1, reset@after:1, reboot:sysrq@after:1
INI
BALLOONBENCH_FAULT=integrity-flip asan_run run -s "$STATE" -o "$RESULTS/flip" "$T/flip.ini" >"$T/out2" 2>"$T/err2"
rc=$?
san_check "$T/err2"
check "flip: the run exits 1 (got $rc)" test $rc -eq 1
dir=$(ls -d "$RESULTS"/flip/2* | head -n 1)
diag "flip: $(csv_col "$dir/lifecycle.csv" reason)"
check "flip: the pause's row failed on the mismatch, and the three after it" \
	csv_awk '$c["result"] == "failed" && $c["reason"] ~ /integrity: [0-9]+ mismatch/ { f++ } END { exit f != 4 }' "$dir/lifecycle.csv"
check "flip: the reboot (Alt-SysRq-b) reconnected too" grep -q ',reconnect,"after reboot:sysrq: HELLO in' "$dir/events.csv"
# the fault is on every boot's command line: the workload started again after the reset flips its byte too
check "flip: the reset's row found the new workload's mismatch within its window" \
	csv_awk '$c["event"] == "reset" && $c["wl_mismatches"] >= 1 { f = 1 } END { exit !f }' "$dir/lifecycle.csv"
check "flip: said on stderr" grep -q 'mismatch' "$T/err2"

# QEMU killed while its guest is paused: the event's row says the guest is gone, and the run fails
scenario gone <<'INI'
[gone]
accel = tcg
memory = 256M
targets = 128M
events = pause:30s@after:1
INI
# a save image a killed run left (its guardian dead too): the next run's start removes it
: >"$STATE/save-bb-x.img.part"
"$BB" run -s "$STATE" -o "$RESULTS/gone" "$T/gone.ini" >"$T/out4" 2>"$T/err4" &
pid=$!
if wait_for "$T/err4" 'event pause:30s@after:1' 120; then
	sleep 1	# inside the pause's 30 s
	qp=$(pgrep -n -f "qemu-system.*$STATE")	# this test's QEMU (its own state dir), by its pid
	[ -n "$qp" ] && kill -KILL "$qp"
fi
wait_exit $pid 60
wait $pid
rc=$?
dir=$(ls -d "$RESULTS"/gone/2* | head -n 1)
diag "gone: $(csv_col "$dir/lifecycle.csv" reason)"
check "gone: the stale save image planted before the run was removed at its start" test ! -e "$STATE/save-bb-x.img.part"
check "gone: the run exits 1 (got $rc)" test $rc -eq 1
check "gone: the pause's row failed: the guest is gone" \
	csv_awk '$c["spec"] == "pause:30s@after:1" && $c["result"] == "failed" && $c["reason"] ~ /the guest is gone/ { f = 1 } END { exit !f }' "$dir/lifecycle.csv"

# SIGKILL of the runner while it saves: the guardian leaves no QEMU and no image
scenario kill <<'INI'
[kill]
accel = tcg
memory = 512M
targets = 512M
events = save@after:0, save@after:1, save@after:1, save@after:1
INI
"$BB" run -s "$STATE" -o "$RESULTS/kill" "$T/kill.ini" >"$T/out3" 2>"$T/err3" &
pid=$!
saw=
for _ in $(seq 900); do	# 90 s: a boot, then the first save's image appears
	ls "$STATE" 2>/dev/null | grep -q '^save-.*\.img\.part$' && { saw=1; break; }
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
check "kill: the runner was killed while a save image was being written" test -n "$saw"
for _ in $(seq 100); do [ "$(qemus)" -eq 0 ] && ! ls "$STATE" | grep -q '^save-' && break; sleep 0.1; done
check "kill: no QEMU left" test "$(qemus)" -eq 0
check "kill: no save image left (whole or not)" sh -c "! ls '$STATE' | grep -q '^save-'"

# unplug is refused at load with libvirt's answer (core/lifecycle.c): that answer, asked of a
# running guest's balloon here, through the runner's embedded root (no runner runs now)
if command -v virsh >/dev/null; then
	cat >"$T/unplug.xml" <<XML
<domain type='qemu'><name>bb-unplug</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type><kernel>$BB_IMAGE_DIR/vmlinuz</kernel><initrd>$BB_IMAGE_DIR/initrd.img</initrd>
<cmdline>console=ttyS0 quiet</cmdline></os><on_poweroff>destroy</on_poweroff>
<devices><memballoon model='virtio'/></devices></domain>
XML
	v="virsh -q -c qemu:///embed?root=$STATE/embed"
	$v create "$T/unplug.xml" >/dev/null 2>&1
	$v dumpxml bb-unplug --xpath //memballoon >"$T/mb.xml" 2>/dev/null
	$v detach-device bb-unplug "$T/mb.xml" --live >"$T/unplug.out" 2>&1
	diag "unplug: $(grep -i 'error:' "$T/unplug.out" | tail -n 1)"
	check "unplug: libvirt refuses a live detach of the memballoon with the reason unplug's refusal quotes" \
		grep -qF "Operation not supported: live detach of device 'memballoon' is not supported" "$T/unplug.out"
	check "unplug: the balloon is still there and answers (QEMU's query-balloon)" \
		sh -c "$v qemu-monitor-command bb-unplug '{\"execute\":\"query-balloon\"}' | grep -q '\"actual\"'"
	$v destroy bb-unplug >/dev/null 2>&1
else
	skip_n 2 "$(missing cmd:virsh)"
fi
finish

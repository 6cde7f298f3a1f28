#!/bin/bash
# bench/tcg-perf-livelock.sh - does a per-task perf counter on a just-forked
# child livelock this host's TCG guests? Why the agent no longer opens one
# (guest-agent/wlmgr.c). Boots the image's kernel with a tiny /init
# (tcg-perf-livelock.c) that forks, opens two perf counters on the child and
# reaps it, in a loop, for SECONDS (30); BOOTS (3) boots with the counters and
# as many without, two at a time, 2 vCPUs each, under TCG. Per boot: the
# rounds done and whether the kernel reported a soft lockup or an RCU stall.
# A boot that ends neither "done" nor in such a report is "cut" (the timeout).
# Needs: make image (build/guest/vmlinuz), gcc, cpio, qemu-system-x86_64.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
kernel=$top/build/guest/vmlinuz
secs=${SECONDS_EACH:-30}
boots=${BOOTS:-3}
[ -f "$kernel" ] || { echo "tcg-perf-livelock: $kernel missing: make image first" >&2; exit 2; }
w=$(mktemp -d /tmp/bb-livelock.XXXXXX)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/root"
gcc -O2 -static -o "$w/root/init" "$top/bench/tcg-perf-livelock.c" ||
	{ echo "tcg-perf-livelock: cannot build the /init" >&2; exit 2; }
(cd "$w/root" && echo init | cpio -H newc -o 2>/dev/null) > "$w/initrd" ||
	{ echo "tcg-perf-livelock: cannot pack the initrd" >&2; exit 2; }

boot() { # boot NAME PERF
	timeout $((secs + 40)) qemu-system-x86_64 -accel tcg -m 512M -smp 2 -kernel "$kernel" \
		-initrd "$w/initrd" -append "console=ttyS0 quiet panic=-1 PERF=$2 SECONDS=$secs" \
		-serial "file:$w/$1.log" -display none -nodefaults -no-reboot >/dev/null 2>&1
	local done rounds hang
	done=$(grep -c '^done:' "$w/$1.log")
	rounds=$(grep -o '^done: [0-9]*\|^round [0-9]*' "$w/$1.log" | tail -n 1 | grep -o '[0-9]*$')
	hang=$(grep -o -m 1 'soft lockup\|self-detected stall\|rcu_preempt detected stalls' "$w/$1.log")
	printf '%-8s perf=%s  rounds %6s  %s\n' "$1" "$2" "${rounds:-0}" \
		"$([ "$done" -gt 0 ] && echo done || echo "${hang:-cut}")"
}

echo "# $boots boots with per-task perf counters and $boots without, $secs s each, 2 at a time"
for i in $(seq 1 "$boots"); do
	boot "perf-$i" 1 & boot "none-$i" 0 & wait
done | sort | tee "$w/result"
hung=$(grep -c 'perf=1.*\(lockup\|stall\|cut\)' "$w/result")
clean=$(grep -c 'perf=0.*done' "$w/result")
echo "# with perf counters: $hung of $boots boots livelocked; without: $clean of $boots finished"

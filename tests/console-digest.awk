# console-digest.awk - a failed run's guest console, short enough for a CI
# log: the agent's last lines, then what the kernel answered to the runner's
# Alt-SysRq (l: each CPU's backtrace; w, t: tasks), frames marked "?" (stale
# stack words) left out:
#  - each CPU: the task on it, where it was (RIP), its first 5 frames (not
#    those of the interrupt that asked);
#  - each task not a kernel thread (ppid 2), and any in D state: the first 6.
# A console without an answer: its last 20 lines.
# awk -f console-digest.awk console-VM.log
function flush_agent() { for (i = na - 8; i < na; i++) if (i >= 0) print agent[i] }
function strip(s) { sub(/^\[ *[0-9.]+\] ?/, "", s); return s }
{ line = strip($0) }
/^bb-agent:/ { agent[na++] = $0; next }
line ~ /^sysrq: Show/ { sysrq = 1; out[no++] = line; want = 0; next }
!sysrq { tail[nt++ % 20] = $0; next }
line ~ /^NMI backtrace for cpu/ || line ~ /skipped: idling at/ { out[no++] = line; want = 0; next }
line ~ /^CPU: [0-9]+ PID: / { cpu = line; sub(/ Not tainted.*| Tainted.*/, "", cpu); out[no++] = "  " cpu; want = 5; next }
line ~ /^RIP: 00/ { if (want || intask) out[no++] = "    " line; next }
line ~ /^task:/ {
	want = 0; intask = 0
	if ((line !~ /ppid:2 / && line !~ / pid:2 /) || line ~ /state:D/) { out[no++] = "  " line; want = 6; intask = 1 }
	next
}
line ~ /^ *<IRQ>/ { inirq = 1; next }
line ~ /^ *<\/IRQ>/ { inirq = 0; next }
want > 0 && !inirq && line ~ /^ [a-z_].*\+0x/ { out[no++] = "    " line; want--; next }
END {
	flush_agent()
	if (!sysrq) {
		for (i = nt - 20; i < nt; i++) if (i >= 0 && tail[i % 20] !~ /^bb-agent:/) print tail[i % 20]
		exit
	}
	for (i = 0; i < no; i++) print out[i]
}

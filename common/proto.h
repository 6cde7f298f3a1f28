/* SPDX-License-Identifier: MIT */
/*
 * proto.h - the agent protocol between the host runner and the guest agent.
 *
 * This comment is the protocol's one specification.
 *
 * Transport: one virtio-serial port named "org.balloonbench.agent.0", reached
 * by the host through virDomainOpenChannel() and by the agent as /dev/vportNpM.
 *
 * Framing: ASCII text, one message per line, '\n' terminated, at most
 * BBP_MAX_LINE bytes including the newline. A line is
 *
 *	TYPE key=value key=value ...
 *
 * TYPE is an upper-case word, keys are [a-z0-9_]+, values are unsigned decimal
 * integers, decimal numbers (printf %.17g, for means and variances) or strings. Strings are percent-escaped: bytes outside
 * [!-~], '%' and '=' are written as %XX. Receivers ignore unknown keys (newer
 * peers may add keys) and reject a message whose required keys are missing or
 * malformed: it is logged and dropped, never fatal. An over-long line is
 * dropped up to the next newline. Unknown types are reported and dropped.
 *
 * Version: BBP_VERSION, sent in HELLO as proto=. A host refuses an agent whose
 * major version differs. Additions that old peers can ignore (new keys, new
 * message types a peer may drop) do not bump the version.
 *
 * Time: every t= is the guest's CLOCK_MONOTONIC in nanoseconds.
 *
 * guest -> host
 *	HELLO proto agent kernel mem_kib page_size cpus nodes features clocksource
 *	      fast_hz slow_hz t [kprobe vmem_kprobe]
 *		once, when the port opens; features is the balloon device's
 *		negotiated virtio feature string (bit 0 first, as in sysfs).
 *		kprobe: the event source (guest-agent/kprobe.h) could be
 *		opened: 0 no (a LOG says why), 1 on tell_host's entry, 2 on its
 *		return. vmem_kprobe: virtio-mem's request events (the entry and
 *		return of virtio_mem_send_plug_request and
 *		virtio_mem_send_unplug_request) could be opened: 0 no (or no
 *		virtio-mem device; a LOG says why), 1 yes.
 *	S seq t inf def oom total_kib free_kib src
 *		one sample. total_kib/free_kib: sysinfo() totalram/freeram
 *		(MemTotal/MemFree, KiB) at t, always. inf/def: the balloon's
 *		/proc/vmstat balloon_inflate/balloon_deflate (pages, cumulative
 *		since boot), oom: vmstat oom_kill; how they were obtained says src:
 *		src=0: all three read from /proc/vmstat at t (exact).
 *		src=1: the balloon taken from totalram (the driver takes each
 *		  inflated page out of totalram and gives it back on deflate, when
 *		  deflate-on-oom is off): inf - def = K - totalram, exact in pages,
 *		  where K = totalram + inf - def is the guest's constant, measured
 *		  at a /proc/vmstat read while nothing moved. inf and def are the
 *		  last src=0 values plus the net growth (to inf) or shrinkage (to
 *		  def) of the balloon since, so both stay monotonic and inf - def
 *		  is exact; oom is the last value read from /proc/vmstat. Both
 *		  views agree whenever the balloon rests; while it deflates,
 *		  vmstat counts a batch (<= 256 pages) when the driver takes it
 *		  out, totalram when the host has acknowledged it (as QEMU's
 *		  `actual` does).
 *		The agent reads /proc/vmstat (src=0) at the first sample after
 *		FAST, then every 1/slow_hz while sampling fast and once a second
 *		at rest, and at every sample when deflate-on-oom was
 *		negotiated (totalram does not move then) or when totalram
 *		stopped following the vmstat counters (it says so in a LOG).
 *		src=2 (only after CONF probe=2 or 3): one batch the balloon
 *		driver handed to the host, seen by a perf kprobe event on
 *		tell_host (its return; its entry with bb.kprobe=entry), at
 *		the kernel's own t; inf (inflate) or def (a leak_balloon() came
 *		first: deflate) moves by one batch, 1 MiB of pages, from the
 *		src=0 sample the agent takes when FAST arrives; at most one such
 *		sample a 1/fast_hz (the last batch in it, every batch counted;
 *		also the first after a pause and the last of a read). total_kib is
 *		K - (inf - def) in KiB, free_kib the latest sysinfo() read.
 *		Between batches, every 1/slow_hz, a src=2 sample carries the
 *		same counters with total_kib/free_kib read at t. At every read
 *		of the rings (1/slow_hz; BBP_FLUSH_MS after a busy one) the
 *		agent checks the count against totalram
 *		(0..1 batch behind while a batch is in flight, equal at rest);
 *		where they disagree it says so in a LOG, counts it (COST
 *		mismatch), and polls from then on.
 *		seq counts samples taken; a gap in seq means samples were dropped
 *		because the port was full.
 *	SB seq t inf def oom total_kib free_kib src d n
 *		a batch of n consecutive samples (1 <= n <= BBP_BATCH_MAX) in one
 *		line: the first sample's fields as in S, then in d one record
 *		per further sample, comma-separated (d is empty when n = 1).
 *		A record is the differences to the previous sample, in the
 *		order t:inf:def:total_kib:free_kib:oom:src, each a decimal
 *		integer, negative with a leading '-' (t never: it does not go
 *		back); an empty or omitted trailing field is 0; seq goes up by 1
 *		per sample. Example: two samples 1 ms apart while inflating,
 *		"SB seq=7 t=5000000 inf=300 def=0 oom=0 total_kib=1000000
 *		free_kib=900000 src=1 d=1000000:256::-1024:-1030 n=2".
 *		Every value must stay within 0..2^64-1 and src within 0..2, the
 *		record count must be n - 1, the line at most BBP_MAX_LINE bytes:
 *		otherwise the whole line is refused. bbp_reader_feed() expands
 *		a valid batch into n S lines for its callback, so a receiver
 *		sees S messages only; it hands a malformed one over as it is,
 *		and bbp_decode() refuses it with the reason.
 *		The agent sends its samples as SB lines, written every
 *		BBP_FLUSH_MS while sampling fast (one virtio-serial kick per
 *		write), at once while sampling slowly and when fast sampling
 *		ends.
 *	PONG id t
 *		answer to PING id, t taken when the PING was read.
 *	COST t utime_us stime_us rss_kib samples dropped max_gap_us hz sample_us vmstat
 *	     vmstat_us writes [probe events lost mismatch hits_entry hits_return
 *	     event_kib]
 *		the agent's own cost, once a second and at once on FAST (so a
 *		change's cost is the difference of the COSTs that answer its
 *		FAST and its FAST 0): cumulative CPU time,
 *		resident set, samples taken and dropped since boot, the largest
 *		gap between two samples since the last COST, the sampling rate in
 *		force, the cumulative wall time spent taking and encoding samples
 *		(sample_us / samples is the cost of one sample), how many samples
 *		read /proc/vmstat and the time those reads took (so a sample
 *		from totalram costs (sample_us - vmstat_us) / (samples - vmstat)),
 *		and how many write()s went to the port
 *		(each one virtio-serial kick, a VM exit); probe: the method of
 *		the latest change (0 polling, 1 kprobe events), events: src=2
 *		batch samples, lost: kprobe records the kernel lost or that came
 *		out of order, mismatch: batch counts totalram disagreed with,
 *		hits_entry/hits_return: the balloon hooks' hits (every kprobe
 *		record read, of entry probes and of return probes: each the
 *		kind HOOK prices). With virtio-mem, events are the plug and
 *		unplug requests the device acknowledged and mismatch the
 *		counts MemTotal disagreed with; event_kib: the KiB those
 *		events moved, both directions added (a balloon batch 1024).
 *		All cumulative since boot except max_gap_us, hz and probe.
 *		PONG is written at once.
 *	LOG level msg
 *		a diagnostic (level 0 error, 1 warning, 2 info).
 *	HOOK calls plain_ns entry_ns return_ns [ftrace] func
 *		what one hit of the agent's balloon hooks costs, measured once
 *		at CONF where the kprobe events are open: a syscall whose
 *		kernel function is func (e.g. __x64_sys_getppid), called calls
 *		times a round on one CPU, per call in ns, the fastest of the
 *		rounds: plain_ns unprobed, entry_ns with a kprobe on func's
 *		entry, return_ns with a kretprobe on it (0: not measured),
 *		each opened exactly as the balloon's hooks are (one perf
 *		event a CPU, same sample type and ring). A hit of an entry
 *		probe costs entry_ns - plain_ns, of a return probe return_ns
 *		- plain_ns. ftrace: how the kernel placed the probes
 *		(debugfs kprobes/list): 0 unknown, 1 some by int3, 2 all
 *		through ftrace.
 *
 *	CAL rdtsc_ns clock_ns ns_per_tick plain_ns instr_ns
 *		what timestamps cost in this guest, measured once at CONF: one
 *		rdtsc, one clock_gettime(CLOCK_MONOTONIC), the rdtsc period, and
 *		the first touch of a page without and with per-page timing, each
 *		the fastest of 7 alternating rounds (the instrumentation overhead
 *		is instr_ns / plain_ns; both 0 if it could not be measured).
 *	NODE t node total_kib free_kib
 *		one guest NUMA node's MemTotal/MemFree, every 100 ms while a
 *		workload runs or the balloon moves, every second otherwise, and
 *		at once when fast sampling starts or stops.
 *	WSTART w pid t name
 *		workload w (the host's id) started as process pid.
 *	WEXIT w t code sig oom ops bytes
 *		it ended: exit code, or the signal that killed it; oom=1 when the
 *		kernel confirms an OOM kill of pid (a "Killed process" line in
 *		/dev/kmsg, or /proc/vmstat oom_kill moving).
 *	HS w e k n mean m2 min max
 *	HB w e k b
 *		latency statistics of workload w in epoch e for kind k (0 access,
 *		1 request): Welford n/mean/M2 and min/max in ns, and histogram
 *		buckets as "index:count,..." (several HB lines per histogram).
 *		A flush sends what was recorded since the last one: the host
 *		adds them up (workloads/stats.h: histograms merge by addition).
 *	EEND e	every workload's statistics of epoch e have been sent.
 *	F w t n slow sum_ns max_ns minflt majflt
 *		fault time series: one 10 ms bin starting at t: accesses timed,
 *		how many were slow (>= the workload's slow threshold), their
 *		latency sum and max; minflt/majflt are the workload's cumulative
 *		perf_event_open page-fault counters when the bin was sent.
 *	SLOW w t lat_ns	one of the slowest accesses, sent when w ends.
 *	OOM t pid comm anon_kib
 *		the kernel's OOM killer killed pid; t is when the agent read
 *		the "Killed process" line from /dev/kmsg (polled every 1-100 ms;
 *		the line's own stamp is on another clock, local_clock).
 *	IV w e pages bad
 *		integrity (workloads/integrity.c): the pages workload w verified
 *		in epoch e (each WL_PAGE bytes) and the mismatches it found
 *		there, sent with the epoch's HS lines (and at its end) when it
 *		verified any; the host adds them up, bad <= pages.
 *	BAD w t page off addr kind
 *		one of the first mismatches (at most WL_BAD_KEPT a run), sent
 *		within 10 ms of being found: the page's index in the
 *		workload's size, its first differing byte (< WL_PAGE), its
 *		guest virtual address, what it held (enum wl_bad_kind: 1
 *		zero, 2 stale, 3 corrupt).
 *	PSI t psi some_avg10 some_avg60 some_total full_avg10 full_avg60 full_total
 *	    pswpin pswpout pgmajfault oom_kill [vm_missing]
 *		the guest's memory pressure, once a second after COST:
 *		/proc/pressure/memory's "some" and "full" lines (avg10 and
 *		avg60 in %, total in us, cumulative since boot) and
 *		/proc/vmstat's pswpin, pswpout (pages), pgmajfault and
 *		oom_kill (cumulative). psi=0: the kernel has no PSI (not
 *		built, or booted with psi=0: a LOG said why, once) and
 *		the six pressure fields are 0. vm_missing: a bit
 *		(BBP_PSI_MISS_*) for each of the four vmstat figures the
 *		agent could not read (no such line, or no /proc/vmstat):
 *		that figure is 0 and not a count (the host publishes it as
 *		unknown, never 0).
 *	BYE		the agent's last line: its loop has ended (QUIT, REBOOT,
 *			the ACPI power button), the workloads stop, a power off
 *			or a restart follows. Nothing of this agent comes after.
 *
 * host -> guest
 *	PING id		answered by PONG; used to estimate the clock offset.
 *	FAST ms		sample at fast_hz for the next ms milliseconds (sent
 *			just before a target change, so its start is caught).
 *	CONF fast_hz slow_hz idle_ms watchdog_s [probe [kp_hz]]
 *			probe (BBP_PROBE_*): 1 poll at fast_hz while the
 *			balloon moves, 2 kprobe events (polling where they
 *			cannot be opened or totalram is no balloon counter:
 *			COST probe says which), 3 auto (the same as 2), 0 or
 *			missing: poll, and no src=2.
 *			kp_hz (1..100000; 0 or missing: fast_hz): with kprobe
 *			events, at most this many batches a second become
 *			samples while the balloon moves (every batch is still
 *			counted; the first and last of a change and of each
 *			read are samples at their own kernel times).
 *			sampling rates; after idle_ms without balloon movement
 *			the agent falls back to slow_hz; with watchdog_s > 0 the
 *			agent powers the guest off when the host has been
 *			silent that long (so no VM outlives a killed runner).
 *	QUIT		power the guest off.
 *	REBOOT		restart the guest cleanly: the workloads stopped, sync,
 *			reboot(RB_AUTOBOOT); a new agent says HELLO.
 *	RUN w spec [guest]
 *			start workload w: spec is "NAME:key=value,..."
 *			(workloads/workload.h); answered by WSTART or WEXIT.
 *			guest: the guest's index in its job (0 .. vms-1; the
 *			workload sees it in wl_shm.guest: demand's stagger=);
 *			one of BBP_RUN_GUEST_MAX or more is refused (WEXIT
 *			code EINVAL).
 *	STOPW w		stop workload w (stop flag, SIGTERM, SIGKILL after 2 s).
 *	GO w [since_ns]	the job's start line passed (every guest of the job up:
 *			where its schedule or policy begins), or workload w
 *			was started again after it: w's clock runs from the
 *			start line, since_ns ns before this message was sent
 *			(the host's run clock: 0 at the line itself; a guest
 *			that sees the line late, or a workload started again
 *			after a reset, follows the job's clock, not its own).
 *			The agent takes it as w's origin = now - since_ns
 *			(wl_shm.go_ns, go_since_ns: demand's trace), and
 *			refuses (as 0, logged) a since_ns over BBP_GO_SINCE_MAX.
 *	PHASE e p	a new epoch e begins, in phase p (0 steady, 1 inflating,
 *			2 deflating): the agent flushes the previous epoch's
 *			statistics (HS/HB for every workload, then EEND).
 */
#ifndef BB_PROTO_H
#define BB_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define BBP_VERSION	2	/* 2: S src=, SB batches, COST vmstat= vmstat_us= writes= */
/*
 * Optional keys (a receiver takes 0 when they are missing, so older peers
 * still talk): HELLO kprobe vmem_kprobe, COST probe events lost mismatch hits_entry
 * hits_return event_kib, CONF probe, HOOK ftrace, RUN guest, PSI vm_missing (an older agent's
 * PSI has none: its four figures taken as read), GO since_ns (an older host's GO
 * has none: the agent's clock for w starts at the GO, as before). HOOK is new: an
 * older host drops it.
 * src=2 is only sent to a host that sent CONF probe= (1..3).
 */
#define BBP_MAX_LINE	512
#define BBP_BATCH_MAX	64	/* samples in one SB line, at most */
#define BBP_FLUSH_MS	20	/* the agent writes samples this often while sampling fast */

/* struct bbp_sample.src: where inf/def/oom came from (see S above) */
#define BBP_SRC_VMSTAT		0
#define BBP_SRC_TOTALRAM	1
#define BBP_SRC_KPROBE		2

/* CONF probe=: how the agent follows the balloon while it moves (0: the host did not say) */
#define BBP_PROBE_UNSAID	0	/* an older host: polling, and no src=2 */
#define BBP_PROBE_POLL		1
#define BBP_PROBE_KPROBE	2
#define BBP_PROBE_AUTO		3
#define BBP_PORT_NAME	"org.balloonbench.agent.0"

enum bbp_type {
	BBP_HELLO,
	BBP_SAMPLE,
	BBP_PONG,
	BBP_COST,
	BBP_LOG,
	BBP_PING,
	BBP_FAST,
	BBP_CONF,
	BBP_QUIT,
	BBP_CAL,
	BBP_NODE,
	BBP_WSTART,
	BBP_WEXIT,
	BBP_HS,
	BBP_HB,
	BBP_EEND,
	BBP_F,
	BBP_SLOW,
	BBP_OOM,
	BBP_RUN,
	BBP_STOPW,
	BBP_PHASE,
	BBP_IV,
	BBP_BAD,
	BBP_HOOK,
	BBP_PSI,
	BBP_GO,
	BBP_REBOOT,
	BBP_BYE,
	BBP_NTYPES
};

struct bbp_hello {
	uint64_t proto;
	char agent[32];
	char kernel[65];
	uint64_t mem_kib;
	uint64_t page_size;
	uint64_t cpus;
	char nodes[32];
	char features[72];
	char clocksource[32];
	uint64_t fast_hz;
	uint64_t slow_hz;
	uint64_t t_ns;
	uint64_t kprobe;	/* 0 no kprobe source, 1 tell_host entry, 2 its return */
	uint64_t vmem_kprobe;	/* 1: virtio-mem's request events are open */
};

struct bbp_sample {
	uint64_t seq;
	uint64_t t_ns;
	uint64_t inflate;	/* pages */
	uint64_t deflate;	/* pages */
	uint64_t oom_kill;
	uint64_t total_kib;
	uint64_t free_kib;
	uint64_t src;		/* BBP_SRC_* */
};

struct bbp_pong {
	uint64_t id;
	uint64_t t_ns;
};

struct bbp_cost {
	uint64_t t_ns;
	uint64_t utime_us;
	uint64_t stime_us;
	uint64_t rss_kib;
	uint64_t samples;
	uint64_t dropped;
	uint64_t max_gap_us;
	uint64_t hz;
	uint64_t sample_us;	/* cumulative time spent taking samples */
	uint64_t vmstat;	/* samples that read /proc/vmstat */
	uint64_t vmstat_us;	/* cumulative time of those reads */
	uint64_t writes;	/* write()s to the port */
	uint64_t probe;		/* the latest change's method: 0 polling, 1 kprobe events */
	uint64_t events;	/* kprobe batch events turned into samples */
	uint64_t lost;		/* kprobe records lost or out of order */
	uint64_t mismatch;	/* batch counts that disagreed with totalram */
	uint64_t hits_entry;	/* kprobe records of entry probes read (hook hits) */
	uint64_t hits_return;	/* kprobe records of return probes read */
	uint64_t event_kib;	/* KiB the events moved, both directions added */
};

/* HOOK ftrace=: where the kernel put the probes */
#define BBP_HOOK_UNKNOWN	0
#define BBP_HOOK_INT3		1
#define BBP_HOOK_FTRACE		2

struct bbp_hook {
	uint64_t calls;		/* calls a round */
	uint64_t plain_ns;	/* one call, unprobed */
	uint64_t entry_ns;	/* one call with an entry kprobe (0: not measured) */
	uint64_t return_ns;	/* one call with a kretprobe (0: not measured) */
	uint64_t ftrace;	/* BBP_HOOK_* */
	char func[48];		/* the function probed */
};

struct bbp_log {
	uint64_t level;
	char msg[256];
};

struct bbp_ping {
	uint64_t id;
};

struct bbp_fast {
	uint64_t ms;
};

struct bbp_conf {
	uint64_t fast_hz;
	uint64_t slow_hz;
	uint64_t idle_ms;
	uint64_t watchdog_s;
	uint64_t probe;		/* BBP_PROBE_* */
	uint64_t kp_hz;		/* kprobe: samples a second while moving (0: fast_hz) */
};

struct bbp_cal {
	uint64_t rdtsc_ns, clock_ns;
	double ns_per_tick;
	uint64_t plain_ns, instr_ns;
};

struct bbp_node {
	uint64_t t_ns, node, total_kib, free_kib;
};

struct bbp_wstart {
	uint64_t w, pid, t_ns;
	char name[32];
};

struct bbp_wexit {
	uint64_t w, t_ns, code, sig, oom, ops, bytes;
};

struct bbp_hs {
	uint64_t w, e, k, n;
	double mean, m2;
	uint64_t min, max;
};

struct bbp_hb {
	uint64_t w, e, k;
	char b[420];
};

struct bbp_eend {
	uint64_t e;
};

struct bbp_f {
	uint64_t w, t_ns, n, slow, sum_ns, max_ns, minflt, majflt;
};

struct bbp_slow {
	uint64_t w, t_ns, lat_ns;
};

struct bbp_oom {
	uint64_t t_ns, pid;
	char comm[32];
	uint64_t anon_kib;
};

struct bbp_run {
	uint64_t w;
	char spec[400];
	uint64_t guest;		/* the guest's index in its job (optional: 0) */
};

struct bbp_stopw {
	uint64_t w;
};

struct bbp_phase {
	uint64_t e, p;
};

struct bbp_iv {
	uint64_t w, e, pages, bad;
};

struct bbp_bad {
	uint64_t w, t_ns, page, off, addr, kind;
};

struct bbp_go {
	uint64_t w;
	uint64_t since_ns;	/* the job's clock at the send: ns since its start line */
};

/* RUN guest: below this (the runner's HR_MAX_VMS: guests in one run) */
#define BBP_RUN_GUEST_MAX	256

/* GO since_ns above this (a week) is refused by the agent: a job's clock is not that old */
#define BBP_GO_SINCE_MAX	(7ull * 24 * 3600 * 1000000000ull)

/* PSI: the guest's memory pressure and its swap and fault counts (see PSI above) */
struct bbp_psi {
	uint64_t t_ns;
	uint64_t psi;		/* 1: /proc/pressure/memory was read; 0: not (its fields are 0) */
	double some_avg10, some_avg60;	/* % */
	uint64_t some_total;	/* us, cumulative */
	double full_avg10, full_avg60;
	uint64_t full_total;
	uint64_t pswpin, pswpout, pgmajfault, oom_kill;	/* /proc/vmstat, cumulative */
	uint64_t vm_missing;	/* BBP_PSI_MISS_*: the vmstat figures not read (each then 0) */
};

/* struct bbp_psi.vm_missing: a bit a vmstat figure the agent could not read */
#define BBP_PSI_MISS_PSWPIN	1u
#define BBP_PSI_MISS_PSWPOUT	2u
#define BBP_PSI_MISS_PGMAJFAULT	4u
#define BBP_PSI_MISS_OOM_KILL	8u
#define BBP_PSI_MISS_ALL	15u

struct bbp_msg {
	enum bbp_type type;
	union {
		struct bbp_hello hello;
		struct bbp_sample sample;
		struct bbp_pong pong;
		struct bbp_cost cost;
		struct bbp_log log;
		struct bbp_ping ping;
		struct bbp_fast fast;
		struct bbp_conf conf;
		struct bbp_cal cal;
		struct bbp_node node;
		struct bbp_wstart wstart;
		struct bbp_wexit wexit;
		struct bbp_hs hs;
		struct bbp_hb hb;
		struct bbp_eend eend;
		struct bbp_f f;
		struct bbp_slow slow;
		struct bbp_oom oom;
		struct bbp_run run;
		struct bbp_stopw stopw;
		struct bbp_phase phase;
		struct bbp_iv iv;
		struct bbp_bad bad;
		struct bbp_hook hook;
		struct bbp_psi psi;
		struct bbp_go go;
	} u;
};

/* The message's type name ("HELLO", "S", ...), or "?" for an invalid type. */
const char *bbp_type_name(enum bbp_type type);

/*
 * Decode one line (without or with its trailing newline) into @m.
 * Returns 0, or -EINVAL with a one-line reason in @err (if non-NULL).
 */
int bbp_decode(const char *line, size_t len, struct bbp_msg *m, char *err, size_t errlen);

/*
 * Encode @m as one line, newline included, NUL-terminated in @buf.
 * Returns the line's length (without the NUL), or -ENOSPC if it does not fit
 * in @size or in BBP_MAX_LINE, or -EINVAL for an invalid type.
 */
int bbp_encode(char *buf, size_t size, const struct bbp_msg *m);

/*
 * Encode as many of the @n samples @s as fit in one SB line (newline included,
 * NUL-terminated in @buf), at most BBP_BATCH_MAX, stopping early where seq is
 * not consecutive or t goes back. *@used is how many went in. Returns the
 * line's length, -ENOSPC if not even one sample fits, -EINVAL if @n is 0.
 */
int bbp_encode_batch(char *buf, size_t size, const struct bbp_sample *s, size_t n, size_t *used);

/*
 * Decode one SB line into @out (room for @max samples); *@n is the count.
 * Returns 0, or -EINVAL with a one-line reason in @err (if non-NULL): every
 * field is range-checked, a malformed line yields no sample at all.
 */
int bbp_decode_batch(const char *line, size_t len, struct bbp_sample *out, size_t max, size_t *n,
		     char *err, size_t errlen);

/*
 * Line assembly for a byte stream: feed whatever arrived, get one callback per
 * complete line. Over-long lines are dropped up to the next newline and
 * counted in overflows. A valid SB line is expanded: one callback per sample,
 * with its S line (as bbp_encode writes it, without the newline); a malformed
 * SB line is passed on as it is (bbp_decode then says what is wrong).
 */
struct bbp_reader {
	char buf[BBP_MAX_LINE];
	size_t len;
	int discarding;
	uint64_t overflows;
};

typedef void (*bbp_line_fn)(const char *line, size_t len, void *opaque);

void bbp_reader_init(struct bbp_reader *r);
void bbp_reader_feed(struct bbp_reader *r, const char *data, size_t n, bbp_line_fn on_line,
		     void *opaque);

#endif /* BB_PROTO_H */

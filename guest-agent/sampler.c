// SPDX-License-Identifier: MIT
/*
 * sampler.c - the balloon's samples (sampler.h).
 *
 * A fast sample costs one sysinfo() and one clock read: the balloon's size is
 * taken from totalram, which the driver moves page by page (without
 * deflate-on-oom), and /proc/vmstat (about 100 us under TCG, it sums every
 * CPU's counters) is read every 1/slow_hz while sampling fast and once a
 * second at rest, to keep the counters exact (see S in proto.h). Where the
 * host asked for them and the guest offers them, the driver's batch events
 * (kprobe.c) follow a change instead: the kp_* glue below turns them into
 * samples and checks their count against totalram.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "../common/balloons.h"
#include "../common/smallfile.h"
#include "agent.h"
#include "link.h"
#include "sampler.h"

void ga_balloon_mode(struct agent *a, const char *features)
{
	/* bit 2, deflate-on-oom: the driver leaves totalram alone, only vmstat counts */
	a->smp.bal_mode = strlen(features) > 2 && strspn(features, "01") == strlen(features) &&
		      features[2] == '0' ? 1 : 0;
	if (!strcmp(features, "none"))
		a->smp.bal_mode = 3;
}

/* Scan /proc/vmstat for the three counters we stream. Returns 0 or -1. */
static int read_vmstat(struct agent *a, uint64_t *inf, uint64_t *def, uint64_t *oom)
{
	static char buf[16384];
	ssize_t n = pread(a->fix.vmstat, buf, sizeof(buf) - 1, 0);
	int found = 0;

	a->smp.vmstat_reads++;
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	*oom = 0;
	for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, "oom_kill ", 9)) {
			*oom = strtoull(p + 9, NULL, 10);
			found |= 1;
		} else if (!strncmp(p, "balloon_inflate ", 16)) {
			*inf = strtoull(p + 16, NULL, 10);
			found |= 2;
		} else if (!strncmp(p, "balloon_deflate ", 16)) {
			*def = strtoull(p + 16, NULL, 10);
			found |= 4;
		}
	}
	return (found & 6) == 6 ? 0 : -1;
}

/* Pages of totalram (sysinfo), and free KiB. */
static int read_sysinfo(const struct agent *a, uint64_t *tot_pages, uint64_t *total_kib,
			uint64_t *free_kib)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return -1;
	*total_kib = (uint64_t)si.totalram * si.mem_unit / 1024;
	*free_kib = (uint64_t)si.freeram * si.mem_unit / 1024;
	*tot_pages = (uint64_t)si.totalram * si.mem_unit / a->fix.page_size;
	return 0;
}

/* Report the balloon as totalram has it now: inf_r/def_r move by the net change. */
static void from_totalram(struct agent *a, uint64_t tot, struct bbp_sample *s)
{
	int64_t bal = a->smp.K - (int64_t)tot, cur = (int64_t)a->smp.inf_r - (int64_t)a->smp.def_r;

	if (a->smp.bal_mode == 3)	/* no balloon: totalram moves by itself (virtio-mem) */
		bal = cur;
	if (bal > cur)
		a->smp.inf_r += (uint64_t)(bal - cur);
	else
		a->smp.def_r += (uint64_t)(cur - bal);
	s->inflate = a->smp.inf_r;
	s->deflate = a->smp.def_r;
	s->oom_kill = a->smp.oom_r;
	s->src = BBP_SRC_TOTALRAM;
}

/*
 * A /proc/vmstat read, between two totalram reads @tot1 and @tot2: the exact
 * counters (src=0) when both views agree, which also re-anchors inf_r/def_r;
 * otherwise (a deflate batch in flight) the totalram view, so the stream
 * stays on one basis. Finds K and checks it.
 */
static void with_vmstat(struct agent *a, uint64_t tot1, uint64_t tot2, uint64_t inf, uint64_t def,
			uint64_t oom, struct bbp_sample *s)
{
	int64_t bal_v = (int64_t)inf - (int64_t)def;
	int still = a->smp.prev_v.valid && tot1 == tot2 && tot2 == a->smp.prev_v.tot &&
		    inf == a->smp.prev_v.inf && def == a->smp.prev_v.def;
	int64_t slack = BAL_SLACK_KIB * 1024 / (int64_t)a->fix.page_size;

	a->smp.prev_v.inf = inf;
	a->smp.prev_v.def = def;
	a->smp.prev_v.tot = tot2;
	a->smp.prev_v.valid = tot1 == tot2;
	a->smp.still_n = still ? a->smp.still_n + 1 : 0;
	if (a->smp.oom_r < oom)
		a->smp.oom_r = oom;
	if (a->smp.bal_mode == 2) {
		/* vmstat was read between tot1 and tot2: its balloon lies between theirs */
		int64_t b1 = a->smp.K - (int64_t)tot1, b2 = a->smp.K - (int64_t)tot2;
		int64_t lo = b1 < b2 ? b1 : b2, hi = b1 < b2 ? b2 : b1;
		int64_t d = bal_v < lo ? lo - bal_v : bal_v > hi ? hi - bal_v : b2 - bal_v;

		if (bal_v < lo - slack || bal_v > hi + slack) {
			ga_send_log(a, 1, "totalram does not follow the balloon (%lld pages apart): "
				 "reading /proc/vmstat at every sample from now on", (long long)d);
			a->smp.bal_mode = 0;
		} else if (d && a->smp.still_n >= 5) {
			/*
			 * Nothing moved for half a second or more (a deflate batch in
			 * flight takes about 1 ms), yet they differ: totalram changed
			 * otherwise (memory hotplug). Measure K again.
			 */
			ga_send_log(a, 2, "totalram moved by %lld pages without the balloon: "
				 "recalibrated", (long long)-d);
			a->smp.K -= d;
			d = 0;
		}
		if (a->smp.bal_mode == 2 && (d || tot1 != tot2)) {
			from_totalram(a, tot2, s);
			return;
		}
	} else if (a->smp.bal_mode == 1 && still) {
		a->smp.K = (int64_t)tot2 + bal_v;
		a->smp.bal_mode = 2;
	}
	a->smp.inf_r = inf;
	a->smp.def_r = def;
	s->inflate = inf;
	s->deflate = def;
	s->oom_kill = oom;
	s->src = BBP_SRC_VMSTAT;
}

/*
 * What each source of a sample costs in this guest, measured once at CONF
 * (per call, the fastest of 5 rounds of 20) and said in a LOG line, which
 * the runner keeps in events.csv.
 */
void ga_probe_costs(struct agent *a)
{
	static const char *const what[] = { "sysinfo", "/proc/vmstat", "null syscall",
					     "clock_gettime", "rdtsc", "/proc/PID/stat" };
	double best[6] = { 1e18, 1e18, 1e18, 1e18, 1e18, 1e18 };
	uint64_t reads = a->smp.vmstat_reads;
	volatile uint64_t x = 0;	/* the clock reads must happen */
	int statfd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);	/* a workload's fault counts */
	char line[256], buf[1024];
	size_t o = 0;

	for (int r = 0; r < 5; r++) {
		for (int k = 0; k < 6; k++) {
			uint64_t t0 = mono_ns(), tp, tk, fk, inf, def, oom;

			for (int i = 0; i < 20; i++) {
				switch (k) {
				case 0: (void)read_sysinfo(a, &tp, &tk, &fk); break;
				case 1: (void)read_vmstat(a, &inf, &def, &oom); break;
				case 2: (void)syscall(SYS_getppid); break;
				case 3: x += mono_ns(); break;
				case 4: x += ticks(); break;
				default: x += (uint64_t)pread(statfd, buf, sizeof(buf), 0); break;
				}
			}
			if ((double)(mono_ns() - t0) / 20 < best[k])
				best[k] = (double)(mono_ns() - t0) / 20;
		}
	}
	a->smp.vmstat_reads = reads;
	if (statfd >= 0)
		close(statfd);
	for (int k = 0; k < 6; k++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s %.2f us", k ? ", " : "",
				      what[k], best[k] / 1000);
	ga_send_log(a, 2, "probe sources: %s (per call, fastest of 5 rounds of 20)", line);
}

/*
 * What one hit of each balloon hook costs (kprobe.c, kp_hook_cost), measured
 * once at CONF where the events are open and may follow a change: a HOOK
 * message, and a LOG line with where the kernel put the probes.
 */
void ga_hook_cost(struct agent *a)
{
	struct bbp_msg m = { .type = BBP_HOOK };
	char say[240];

	int vm = a->smp.bal_mode == 3;	/* virtio-mem: its hooks, not the balloon's */

	if (!(vm ? a->kp.ev.vm_ok : a->kp.ev.ok) ||
	    (a->conf.probe != BBP_PROBE_KPROBE && a->conf.probe != BBP_PROBE_AUTO))
		return;
	if ((vm ? kp_vm_hook_cost : kp_hook_cost)(&a->kp.ev, &m.u.hook, say, sizeof(say))) {
		ga_send_log(a, 1, "hook cost not measured: %s", say[0] ? say : "no kprobe PMU");
		return;
	}
	ga_send_log(a, 2, "hook cost: %s %" PRIu64 " ns a call, entry probe +%.2f us, return probe "
		    "+%.2f us (fastest of 40 rounds of %" PRIu64 ")", m.u.hook.func, m.u.hook.plain_ns,
		    ((double)m.u.hook.entry_ns - (double)m.u.hook.plain_ns) / 1e3,
		    m.u.hook.return_ns ? ((double)m.u.hook.return_ns - (double)m.u.hook.plain_ns) / 1e3 : 0.0,
		    m.u.hook.calls);
	ga_send_log(a, 2, "hooks placed: %s", say[0] ? say : "unknown");
	(void)ga_send_msg(a, &m);
}

/* Which balloon driver this guest has (common/balloons.c), said once in a LOG line. */
void ga_say_balloon_driver(struct agent *a)
{
	const struct bb_balloon_driver *d = bb_balloon_detect("");
	struct bb_balloon_state st;

	if (!d)
		ga_send_log(a, 2, "balloon driver: none (no virtio, Xen, VMware or Hyper-V balloon)");
	else if (d->read("", &st))
		ga_send_log(a, 1, "balloon driver: %s, but its counters cannot be read", d->name);
	else
		ga_send_log(a, 2, "balloon driver: %s, holding %llu KiB%s", d->name,
			 (unsigned long long)st.size_kib,
			 d->tested_on_hardware ? "" : " (reader untested on real hardware)");
}

/* Queue sample @s taken at @when: the gap since the last one, the last movement. */
static void push_sample(struct agent *a, const struct bbp_sample *in, uint64_t when)
{
	struct bbp_sample x = *in, *s = &x;

	/*
	 * Times never go back. A batch event is stamped by the kernel before
	 * its record is written; a vCPU the host deschedules in between writes
	 * it after a later sample went out (seen: 265 us). It is then stamped
	 * at that sample's time: the balloon had moved by then.
	 */
	if (s->t_ns < a->smp.last_t_out)
		s->t_ns = a->smp.last_t_out;
	a->smp.last_t_out = s->t_ns;
	if (s->inflate != a->smp.prev_inf || s->deflate != a->smp.prev_def ||
	    (a->smp.prev_total && s->total_kib != a->smp.prev_total))	/* the first sample moves nothing */
		a->smp.last_move = when > a->smp.last_move ? when : a->smp.last_move;
	a->smp.prev_total = s->total_kib;
	a->smp.prev_inf = s->inflate;
	a->smp.prev_def = s->deflate;
	if (a->smp.last_sample_t && when > a->smp.last_sample_t && when - a->smp.last_sample_t > a->smp.max_gap_ns)
		a->smp.max_gap_ns = when - a->smp.last_sample_t;
	if (when > a->smp.last_sample_t)
		a->smp.last_sample_t = when;
	if (a->q.npend == BBP_BATCH_MAX)
		ga_encode_pending(a);
	a->q.pend[a->q.npend++] = *s;
}

/*
 * virtio-mem (no balloon device): the guest's memory blocks online, read at
 * /proc/vmstat's cadence and said in a LOG line (events.csv) whenever the
 * count moves: what the guest onlined or offlined, beside MemTotal.
 */
static void mem_blocks(struct agent *a)
{
	DIR *d = opendir("/sys/devices/system/memory");
	unsigned on = 0, all = 0;
	struct dirent *e;
	char p[320], v[16], bs[32];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "memory", 6) || e->d_name[6] < '0' || e->d_name[6] > '9')
			continue;
		snprintf(p, sizeof(p), "/sys/devices/system/memory/%.200s/online", e->d_name);
		if (ga_read_small(p, v, sizeof(v)))
			continue;
		all++;
		on += v[0] == '1';
	}
	closedir(d);
	if (on == a->smp.blocks_on && all == a->smp.blocks_all)
		return;
	a->smp.blocks_on = on;
	a->smp.blocks_all = all;
	if (ga_read_small("/sys/devices/system/memory/block_size_bytes", bs, sizeof(bs)))
		bs[0] = '\0';
	ga_send_log(a, 2, "memory blocks online: %u of %u, %llu MiB each", on, all,
		 strtoull(bs, NULL, 16) >> 20);
}

static void take_sample(struct agent *a, uint64_t now)
{
	struct bbp_sample s = { 0 };
	uint64_t tot1, tot2;
	/* /proc/vmstat: every 1/slow_hz while fast, once a second at rest */
	uint64_t every = current_hz(a, now) == a->conf.fast_hz ? NSEC / a->conf.slow_hz : NSEC;
	int vm = (a->smp.bal_mode != 2 && a->smp.bal_mode != 3) || a->smp.vmstat_now ||
		 now - a->smp.last_vmstat >= every;

	if (read_sysinfo(a, &tot1, &s.total_kib, &s.free_kib))
		return;
	if (vm) {
		uint64_t inf = 0, def = 0, oom = 0, v0 = now_ns();
		int r = read_vmstat(a, &inf, &def, &oom);

		a->smp.vmstat_ns += now_ns() - v0;
		if (r)
			return;
		if (read_sysinfo(a, &tot2, &s.total_kib, &s.free_kib))
			return;
		a->smp.last_vmstat = now;
		a->smp.vmstat_now = 0;
		with_vmstat(a, tot1, tot2, inf, def, oom, &s);
		if (a->smp.bal_mode == 3)
			mem_blocks(a);
	} else {
		from_totalram(a, tot1, &s);
	}
	s.t_ns = now_ns();
	s.seq = a->smp.seq++;
	push_sample(a, &s, now);
	a->smp.sample_ns += s.t_ns - now;
}

/* Pages in one batch of the driver: 256 PFNs of 4 KiB, 1 MiB. */
static uint64_t batch_pages(const struct agent *a)
{
	return (1024 * 1024) / a->fix.page_size;
}

static struct kp_ev kp_evbuf[KP_MAX_RECS];

/* The event count disagreed with totalram: counted, the events closed for good, a polled sample at once. */
static void ev_stop(struct agent *a, uint64_t now)
{
	a->kp.mismatch++;
	a->kp.failed = 1;
	a->kp.on = 0;
	a->smp.next_sample = now;
}

/* The batch count disagreed with totalram by @d pages: say so, count it, poll from now on. */
static void kp_give_up(struct agent *a, uint64_t now, const char *why, int64_t d)
{
	ev_stop(a, now);
	ga_send_log(a, 1, "kprobe: the batch count %s totalram by %lld pages (%" PRIu64
		 " events, %" PRIu64 " records lost): polling from now on", why, (long long)d,
		 a->kp.events, a->kp.ev.lost + a->kp.ev.late);
}

/*
 * One batch event: the balloon one batch further, at the kernel's time; with
 * @emit also as a sample (src=2). Every batch moves the count.
 */
static void kp_push(struct agent *a, const struct kp_ev *e, int emit)
{
	struct bbp_sample s = { 0 };

	if (e->deflate)
		a->smp.def_r += batch_pages(a);
	else
		a->smp.inf_r += batch_pages(a);
	a->kp.events++;
	a->kp.event_kib += batch_pages(a) * a->fix.page_size / 1024;
	a->kp.prev_t = e->t_ns;
	if (!emit)
		return;
	s.t_ns = e->t_ns;
	s.seq = a->smp.seq++;
	s.inflate = a->smp.inf_r;
	s.deflate = a->smp.def_r;
	s.oom_kill = a->smp.oom_r;
	s.total_kib = (uint64_t)(a->smp.K - ((int64_t)a->smp.inf_r - (int64_t)a->smp.def_r)) * a->fix.page_size / 1024;
	s.free_kib = a->kp.free_kib;
	s.src = BBP_SRC_KPROBE;
	push_sample(a, &s, e->t_ns);
}

/*
 * Which batches become samples: at most one per period of kp_hz (CONF
 * kp_hz, the runner's probe-sample-rate; fast_hz where it did not say) (the
 * last batch in it, with the count of every batch before), and also the
 * first batch after a pause, the last one drained and each change of
 * direction, so a change's start and end keep the kernel's exact times. A
 * deflating balloon makes 2,000-3,000 batches a second here; every sample
 * costs the agent and the runner time on the vCPUs and host cores the
 * balloon needs, and those between two samples of the asked rate add no
 * resolution that was asked for.
 */
static int kp_emit(const struct agent *a, const struct kp_ev *e, const struct kp_ev *next)
{
	uint64_t per = NSEC / (a->conf.kp_hz ? a->conf.kp_hz : a->conf.fast_hz);

	return !next || next->deflate != e->deflate || next->t_ns / per != e->t_ns / per ||
	       e->t_ns - a->kp.prev_t >= per;
}

/* A tick's two reads of totalram around its time @t (never back from one handed out): 0, or -1. */
static int tick_read(struct agent *a, struct bbp_sample *s, uint64_t *tot1, uint64_t *t, uint64_t *tot2)
{
	if (read_sysinfo(a, tot1, &s->total_kib, &s->free_kib))
		return -1;
	*t = mono_ns();
	if (*t < ga_clk.last)	/* times handed out never go back */
		*t = ga_clk.last;
	ga_clk.last = *t;
	if (read_sysinfo(a, tot2, &s->total_kib, &s->free_kib))
		return -1;
	a->kp.free_kib = s->free_kib;
	return 0;
}

/*
 * A tick's end: /proc/vmstat (oom_kill) when due, as take_sample reads it,
 * and virtio-mem's memory blocks with it; the sample @s at @t where polled;
 * the tick's cost since @t0.
 */
static void tick_end(struct agent *a, struct bbp_sample *s, uint64_t now, uint64_t t, uint64_t t0, int poll)
{
	uint64_t every = moving(a, now) ? NSEC / a->conf.slow_hz : NSEC;

	if (a->smp.vmstat_now || now - a->smp.last_vmstat >= every) {
		uint64_t inf, def, oom, v0 = now_ns();

		if (!read_vmstat(a, &inf, &def, &oom) && oom > a->smp.oom_r)
			a->smp.oom_r = oom;
		a->smp.vmstat_ns += now_ns() - v0;
		a->smp.last_vmstat = now;
		a->smp.vmstat_now = 0;
		if (a->kp.vmem)
			mem_blocks(a);
	}
	if (poll) {
		s->t_ns = t;
		s->seq = a->smp.seq++;
		s->inflate = a->smp.inf_r;
		s->deflate = a->smp.def_r;
		s->oom_kill = a->smp.oom_r;
		s->src = BBP_SRC_KPROBE;
		push_sample(a, s, t);
	}
	a->smp.sample_ns += now_ns() - t0;
}

/*
 * One wake-up of the event source: the batches timed up to t turned into
 * samples, their count checked against totalram read just before and just
 * after t (a batch in flight leaves the count 0..1 batch behind; at rest,
 * after the change and two checks without a move, they must be equal); with @poll
 * also a src=2 sample at t with what sysinfo() read. Every sample it makes
 * is on the kernel's clock (CLOCK_MONOTONIC itself, not the rdtsc model).
 * /proc/vmstat (oom_kill) as take_sample reads it. Returns the batches read.
 */
static size_t kp_tick(struct agent *a, uint64_t now, int poll)
{
	struct bbp_sample s = { 0 };
	uint64_t t0 = now_ns(), t, tot1, tot2;
	int64_t p, b1, b2, lo, hi;
	size_t n;

	if (tick_read(a, &s, &tot1, &t, &tot2))
		return 0;
	n = kp_drain(&a->kp.ev, t, kp_evbuf, sizeof(kp_evbuf) / sizeof(kp_evbuf[0]));
	for (size_t i = 0; i < n; i++)
		kp_push(a, &kp_evbuf[i], kp_emit(a, &kp_evbuf[i], i + 1 < n ? &kp_evbuf[i + 1] : NULL));
	p = (int64_t)a->smp.inf_r - (int64_t)a->smp.def_r;
	b1 = a->smp.K - (int64_t)tot1;
	b2 = a->smp.K - (int64_t)tot2;
	lo = b1 < b2 ? b1 : b2;
	hi = b1 < b2 ? b2 : b1;
	a->kp.still = !n && tot1 == tot2 && tot2 == a->kp.last_tot ? a->kp.still + 1 : 0;
	a->kp.last_tot = tot2;
	if (hi < p || lo > p + (int64_t)batch_pages(a)) {
		kp_give_up(a, now, hi < p ? "is ahead of" : "is behind", (hi < p ? hi : lo) - p);
		return n;
	}
	/*
	 * Exact only at rest: the host said the change is over and nothing moved
	 * for idle_ns. Within a change a batch may stall half-released for
	 * 100 ms and more (a vCPU the busy host does not run).
	 */
	if (!moving(a, now) && a->kp.still >= 2 && (lo != p || hi != p)) {
		kp_give_up(a, now, "at rest differs from", lo - p);
		return n;
	}
	tick_end(a, &s, now, t, t0, poll);
	return n;
}

/* ---- virtio-mem: its plug and unplug requests (kprobe.c kp_vm_*) ---- */

static struct kp_vm_ev vm_evbuf[KP_MAX_RECS];

/* The request count disagreed with totalram by @d pages: say so, count it, poll from now on. */
static void vm_give_up(struct agent *a, uint64_t now, const char *why, int64_t d)
{
	ev_stop(a, now);
	ga_send_log(a, 1, "kprobe: the virtio-mem request count %s MemTotal by %lld pages (%" PRIu64
		 " requests, %" PRIu64 " records lost or unpaired, %" PRIu64 " refused): polling from now on",
		 why, (long long)d, a->kp.events, a->kp.ev.lost + a->kp.ev.late, a->kp.ev.vm_refused);
}

/* One acknowledged request: the plugged memory so much further, at the kernel's time; with @emit a sample. */
static void vm_push(struct agent *a, const struct kp_vm_ev *e, int emit)
{
	struct bbp_sample s = { 0 };
	int64_t pages = e->bytes / (int64_t)a->fix.page_size;
	uint64_t abs_pages = (uint64_t)(pages < 0 ? -pages : pages);

	a->kp.vm_pages += pages;
	a->kp.events++;
	a->kp.event_kib += abs_pages * a->fix.page_size / 1024;
	if (abs_pages > a->kp.vm_slack)
		a->kp.vm_slack = abs_pages;
	a->kp.prev_t = e->t_ns;
	if (!emit)
		return;
	s.t_ns = e->t_ns;
	s.seq = a->smp.seq++;
	s.inflate = a->smp.inf_r;
	s.deflate = a->smp.def_r;
	s.oom_kill = a->smp.oom_r;
	s.total_kib = (uint64_t)(a->kp.vm_pages > 0 ? a->kp.vm_pages : 0) * a->fix.page_size / 1024;
	s.free_kib = a->kp.free_kib;
	s.src = BBP_SRC_KPROBE;
	push_sample(a, &s, e->t_ns);
}

/* kp_emit for requests: at most one a period of kp_hz, and the first after a pause, the last, each turn. */
static int vm_emit(const struct agent *a, const struct kp_vm_ev *e, const struct kp_vm_ev *next)
{
	uint64_t per = NSEC / (a->conf.kp_hz ? a->conf.kp_hz : a->conf.fast_hz);

	return !next || (next->bytes < 0) != (e->bytes < 0) || next->t_ns / per != e->t_ns / per ||
	       e->t_ns - a->kp.prev_t >= per;
}

/*
 * kp_tick for virtio-mem: the requests answered up to t turned into
 * samples (MemTotal as they have it), their count checked against totalram
 * read just before and just after t. totalram leads an unplug (the driver
 * takes the pages out of it before it asks the device) and trails a plug
 * (the memory goes online after the device said yes), by the request in
 * flight: within a change they may differ by the largest request or memory
 * block, at rest (nothing moved for two checks) not at all.
 */
static size_t vm_tick(struct agent *a, uint64_t now, int poll)
{
	struct bbp_sample s = { 0 };
	uint64_t t0 = now_ns(), t, tot1, tot2;
	int64_t p, lo, hi, slack = (int64_t)a->kp.vm_slack;
	size_t n, m = 0;

	if (tick_read(a, &s, &tot1, &t, &tot2))
		return 0;
	n = kp_vm_drain(&a->kp.ev, t, vm_evbuf, sizeof(vm_evbuf) / sizeof(vm_evbuf[0]));
	for (size_t i = 0; i < n; i++)	/* a request the device refused moved nothing */
		if (vm_evbuf[i].bytes)
			vm_evbuf[m++] = vm_evbuf[i];
	for (size_t i = 0; i < m; i++)
		vm_push(a, &vm_evbuf[i], vm_emit(a, &vm_evbuf[i], i + 1 < m ? &vm_evbuf[i + 1] : NULL));
	p = a->kp.vm_pages;
	lo = (int64_t)(tot1 < tot2 ? tot1 : tot2);
	hi = (int64_t)(tot1 < tot2 ? tot2 : tot1);
	a->kp.still = !n && tot1 == tot2 && tot2 == a->kp.last_tot ? a->kp.still + 1 : 0;
	a->kp.last_tot = tot2;
	if (hi < p - slack || lo > p + slack) {
		vm_give_up(a, now, lo > p ? "is below" : "is above", (lo > p ? lo : hi) - p);
		return n;
	}
	if (!moving(a, now) && a->kp.still >= 2 && (lo != p || hi != p)) {
		vm_give_up(a, now, "at rest differs from", lo - p);
		return n;
	}
	s.total_kib = (uint64_t)(p > 0 ? p : 0) * a->fix.page_size / 1024;	/* the requests' count */
	tick_end(a, &s, now, t, t0, poll);
	return n;
}

/* The event source's tick: the balloon's batches or virtio-mem's requests. */
static size_t ev_tick(struct agent *a, uint64_t now, int poll)
{
	return a->kp.vmem ? vm_tick(a, now, poll) : kp_tick(a, now, poll);
}

/*
 * virtio-mem: follow its requests from now on, where asked, open and nothing
 * moves: the count starts at totalram now (every plugged block online).
 */
static void vm_maybe_start(struct agent *a, uint64_t now)
{
	uint64_t tot, tk, fk;
	char bs[32];

	if (a->kp.on || !a->kp.ev.vm_ok || a->kp.failed || moving(a, now) ||
	    (a->conf.probe != BBP_PROBE_KPROBE && a->conf.probe != BBP_PROBE_AUTO) ||
	    read_sysinfo(a, &tot, &tk, &fk))
		return;
	(void)kp_vm_drain(&a->kp.ev, UINT64_MAX, vm_evbuf, sizeof(vm_evbuf) / sizeof(vm_evbuf[0]));
	a->kp.ev.vm_pend = 0;
	a->kp.ev.lost = a->kp.ev.late = 0;
	a->kp.ev.last_t = ga_clk.last;
	a->kp.vm_pages = (int64_t)tot;
	/* a memory block: the most a request of the block mode moves at once */
	a->kp.vm_slack = ga_read_small("/sys/devices/system/memory/block_size_bytes", bs, sizeof(bs)) ?
			 0 : strtoull(bs, NULL, 16) / a->fix.page_size;
	a->kp.free_kib = fk;
	a->kp.prev_t = 0;
	a->kp.still = 0;
	a->kp.last_tot = 0;
	a->kp.vmem = 1;
	a->kp.on = 1;
}

/*
 * Follow the balloon by batch events from now on, where the host asked for
 * them, they are open, totalram is the balloon's exact counter (bal_mode 2:
 * the counters were just set from /proc/vmstat and totalram together) and
 * nothing moves: every batch counts from here. Earlier records are dropped.
 */
static void kp_maybe_start(struct agent *a, uint64_t now)
{
	if (a->smp.bal_mode == 3) {	/* no balloon: virtio-mem's requests, where it has them */
		vm_maybe_start(a, now);
		return;
	}
	if (a->kp.on || !a->kp.ev.ok || a->kp.failed || a->smp.bal_mode != 2 || moving(a, now) ||
	    (a->conf.probe != BBP_PROBE_KPROBE && a->conf.probe != BBP_PROBE_AUTO))
		return;
	(void)kp_drain(&a->kp.ev, UINT64_MAX, kp_evbuf, sizeof(kp_evbuf) / sizeof(kp_evbuf[0]));
	a->kp.ev.leak_pending = 0;
	a->kp.ev.lost = a->kp.ev.late = 0;
	a->kp.ev.last_t = ga_clk.last;
	a->kp.prev_t = 0;
	a->kp.still = 0;
	a->kp.last_tot = 0;
	a->kp.on = 1;
}

void ga_send_cost(struct agent *a, uint64_t now)
{
	struct bbp_msg m = { .type = BBP_COST };
	struct rusage ru;
	char statm[128];
	unsigned long size = 0, res = 0;

	getrusage(RUSAGE_SELF, &ru);
	if (!ga_read_small("/proc/self/statm", statm, sizeof(statm)))
		(void)sscanf(statm, "%lu %lu", &size, &res);
	m.u.cost.t_ns = now;
	m.u.cost.utime_us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec;
	m.u.cost.stime_us = (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
	m.u.cost.rss_kib = (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
	m.u.cost.samples = a->smp.seq;
	m.u.cost.dropped = a->link.dropped;
	m.u.cost.max_gap_us = a->smp.max_gap_ns / 1000;
	m.u.cost.hz = current_hz(a, now);
	m.u.cost.sample_us = a->smp.sample_ns / 1000;
	m.u.cost.vmstat = a->smp.vmstat_reads;
	m.u.cost.vmstat_us = a->smp.vmstat_ns / 1000;
	m.u.cost.writes = a->link.writes;
	m.u.cost.probe = (uint64_t)a->kp.method;
	m.u.cost.events = a->kp.events;
	m.u.cost.lost = a->kp.ev.lost + a->kp.ev.late;
	m.u.cost.mismatch = a->kp.mismatch;
	m.u.cost.hits_entry = a->kp.ev.hits_entry;
	m.u.cost.hits_return = a->kp.ev.hits_return;
	m.u.cost.event_kib = a->kp.event_kib;
	a->smp.max_gap_ns = 0;
	(void)ga_send_msg(a, &m);
}

void ga_send_psi(struct agent *a, uint64_t now)
{
	struct bbp_msg m = { .type = BBP_PSI };
	struct bb_psi p;
	char buf[16384];
	int e;

	m.u.psi.t_ns = now;
	errno = 0;
	if (bb_read_small("/proc/pressure/memory", buf, sizeof(buf)) >= 0 && !bb_parse_psi(buf, &p)) {
		m.u.psi.psi = 1;
		m.u.psi.some_avg10 = p.some_avg10;
		m.u.psi.some_avg60 = p.some_avg60;
		m.u.psi.some_total = p.some_total_us;
		m.u.psi.full_avg10 = p.full_avg10;
		m.u.psi.full_avg60 = p.full_avg60;
		m.u.psi.full_total = p.full_total_us;
	} else if (!a->smp.psi_said) {
		e = errno;
		a->smp.psi_said = 1;
		ga_send_log(a, 1, "no memory pressure figures: /proc/pressure/memory: %s (a kernel "
			    "without CONFIG_PSI, or booted with psi=0); PSI psi=0 from now on",
			    e == EOPNOTSUPP || e == ENOENT ? strerror(e) : "not as expected");
	}
	/* a figure not read is said missing (the host publishes it as unknown), never a 0 count */
	m.u.psi.vm_missing = BBP_PSI_MISS_ALL;
	if (bb_read_small("/proc/vmstat", buf, sizeof(buf)) >= 0) {
		static const struct { const char *key; size_t off; unsigned bit; } vm[] = {
			{ "pswpin", offsetof(struct bbp_psi, pswpin), BBP_PSI_MISS_PSWPIN },
			{ "pswpout", offsetof(struct bbp_psi, pswpout), BBP_PSI_MISS_PSWPOUT },
			{ "pgmajfault", offsetof(struct bbp_psi, pgmajfault), BBP_PSI_MISS_PGMAJFAULT },
			{ "oom_kill", offsetof(struct bbp_psi, oom_kill), BBP_PSI_MISS_OOM_KILL },
		};

		for (size_t i = 0; i < sizeof(vm) / sizeof(vm[0]); i++) {
			uint64_t *v = (uint64_t *)((char *)&m.u.psi + vm[i].off);

			if (!bb_parse_vmstat(buf, vm[i].key, v))
				m.u.psi.vm_missing &= ~vm[i].bit;
			else
				*v = 0;
		}
	}
	(void)ga_send_msg(a, &m);
}

/* Where batch events were asked for and are open but do not follow a change: why (once). */
static void kp_say_unused(struct agent *a)
{
	if (a->kp.on || a->kp.said ||
	    (a->conf.probe != BBP_PROBE_KPROBE && a->conf.probe != BBP_PROBE_AUTO))
		return;
	if (a->smp.bal_mode == 3) {	/* virtio-mem */
		a->kp.said = 1;
		ga_send_log(a, a->conf.probe == BBP_PROBE_KPROBE ? 1 : 2,
			    "virtio-mem: kprobe events do not follow this change: %s; polling",
			    !a->kp.ev.vm_ok ? a->kp.ev.vm_why :
			    a->kp.failed ? "a request count disagreed with MemTotal earlier" :
			    "the memory was moving when they could have started");
		return;
	}
	if (!a->kp.ev.ok)
		return;
	a->kp.said = 1;
	ga_send_log(a, a->conf.probe == BBP_PROBE_KPROBE ? 1 : 2,
		 "kprobe events do not follow this change: %s; polling",
		 a->kp.failed ? "a batch count disagreed with totalram earlier" :
		 a->smp.bal_mode != 2 ?
		 "totalram is not the balloon's counter (deflate-on-oom, or not calibrated yet)" :
		 "the balloon was moving when they could have started");
}

/* CONF probe=: keep the events open only where they may be used. */
uint64_t ga_conf_probe(struct agent *a, uint64_t probe)
{
	if (probe > BBP_PROBE_AUTO) {
		ga_send_log(a, 1, "CONF: probe=%" PRIu64 " unknown: polling", probe);
		probe = BBP_PROBE_POLL;
	}
	if (a->kp.ev.keep_open && (a->kp.ev.ok || a->kp.ev.vm_ok) &&
	    (probe == BBP_PROBE_KPROBE || probe == BBP_PROBE_AUTO)) {	/* idle: not the balloon's events */
		ga_send_log(a, 1, "bb.kprobe=open/idle keeps the events open unread, for probe=poll: polling");
		probe = BBP_PROBE_POLL;
	}
	if (probe == BBP_PROBE_KPROBE && a->smp.bal_mode == 3 && !a->kp.ev.vm_ok)
		ga_send_log(a, 0, "probe=kprobe asked, but virtio-mem's request events could not be "
			    "opened (%s): polling", a->kp.ev.vm_why);
	else if (probe == BBP_PROBE_KPROBE && a->smp.bal_mode != 3 && !a->kp.ev.ok)
		ga_send_log(a, 0, "probe=kprobe asked, but the events could not be opened (%s): polling",
			    a->kp.ev.why);
	if ((probe == BBP_PROBE_POLL || probe == BBP_PROBE_UNSAID) && (a->kp.ev.ok || a->kp.ev.vm_ok)) {
		if (!a->kp.ev.keep_open)
			kp_close_async(&a->kp.ev);
		else if (a->kp.ev.ok)
			ga_send_log(a, 2, "bb.kprobe=open/idle: the balloon's kprobe events stay open, never read");
	}
	return probe;
}

/*
 * What is due now: with batch events, a drain every 1/slow_hz while the
 * balloon moves (FLUSH_NS after a busy one) and a polled sample every
 * 1/slow_hz; without, a polled sample on the grid of the rate in force.
 */
void ga_sample_due(struct agent *a, uint64_t now)
{
	if (!a->link.configured)
		return;
	if (a->kp.on && (now >= a->smp.next_sample || (moving(a, now) && now >= a->kp.next_drain))) {
		int poll = now >= a->smp.next_sample;

		size_t n = ev_tick(a, now, poll);

		/*
		 * Read the rings as seldom as the idle rate (10 Hz) while they
		 * fill slowly: each wake-up and write is work for the vCPUs and
		 * for QEMU's main loop, which the moving balloon needs too. A
		 * busy read (a fast balloon: KVM) brings the next one forward
		 * to FLUSH_NS, long before a CPU's ring (about 10,000 records)
		 * could fill.
		 */
		a->kp.next_drain = now + (n > KP_BUSY_READ ? FLUSH_NS : NSEC / a->conf.slow_hz);
		if (poll && a->kp.on)
			a->smp.next_sample += ((now - a->smp.next_sample) / (NSEC / a->conf.slow_hz) + 1) *
					  (NSEC / a->conf.slow_hz);
		if (a->q.npend)
			a->link.urgent = 1;	/* one write per wake-up */
	} else if (now >= a->smp.next_sample) {
		uint64_t p = NSEC / current_hz(a, now);	/* kp_on is 0 here */

		take_sample(a, now);
		kp_maybe_start(a, now);
		/*
		 * Keep the grid: a wake-up late by less than a period costs
		 * nothing (the next sample comes sooner); later than that, the
		 * ticks missed are skipped, never taken in a burst.
		 */
		a->smp.next_sample += p;
		if (a->smp.next_sample <= now)
			a->smp.next_sample += ((now - a->smp.next_sample) / p + 1) * p;
	}
}

void ga_sampler_fast(struct agent *a, uint64_t ms, uint64_t now)
{
	a->smp.fast_until = now + ms * 1000000ull;
	if (ms)
		a->smp.vmstat_now = 1;	/* an exact start for the change */
	if (a->smp.next_sample > now)
		a->smp.next_sample = now;
	if (ms) {
		a->kp.method = a->kp.on;
		a->kp.next_drain = now;
		kp_say_unused(a);
	}
	/* the probe's cost at each end of a change, not only once a second */
	if (a->kp.on)
		(void)ev_tick(a, now, 0);	/* every batch so far in the COST's count */
	if (a->link.configured) {
		ga_send_cost(a, now_ns());
		a->link.urgent = 1;
	}
}

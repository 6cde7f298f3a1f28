// SPDX-License-Identifier: MIT
/*
 * guest.c - a guest's controller: its thread alone owns struct hr_guest and
 * walks it through booting -> ready -> (inflating | deflating -> rest)* ->
 * stopping -> done, or failed from anywhere. Everything the agent says
 * arrives through the channel's queue and is applied here (hr_guest_pump);
 * every wait is a pump with a deadline that also ends on a signal, a dead
 * domain, a closed channel or a failed write, and keeps the agent's
 * watchdog fed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/input-event-codes.h>

#include "core/agentcheck.h"
#include "core/log.h"
#include "core/virtio.h"
#include "core/schedule.h"
#include "core/vmem.h"
#include "guest.h"
#include "fleet.h"
#include "layout.h"
#include "mech.h"
#include "run.h"

#define CLOCK_PINGS	32
/*
 * A configured agent sends samples at idle-sample-rate (10 Hz or more) and
 * its cost every second: this long without a word from it, the guest or its
 * channel is stuck (seen in CI: a guest whose agent went quiet right after
 * CONF). Long enough for an OOM storm under TCG on a loaded host.
 */
#define SILENCE_NS	15000000000ull
/*
 * After this long without a word the agent's channel is reopened, once a
 * boot: a virtio-serial port whose guest-to-host queue QEMU stopped
 * draining starts again (QEMU drops what it held); a frozen guest does not,
 * and the silence runs on to SILENCE_NS. CI saw both shapes' first half.
 */
#define NUDGE_NS	4000000000ull
#define PUBLISH_NS	100000000ull	/* progress snapshots at most every 100 ms */

static double kib_to_mib(uint64_t kib)
{
	return (double)kib / 1024.0;
}

/* ---- the start line of a job's guests ---- */

struct hr_gate *hr_gate_new(int need)
{
	struct hr_gate *gt = calloc(1, sizeof(*gt));

	if (!gt)
		return NULL;
	pthread_mutex_init(&gt->lock, NULL);
	gt->need = need;
	return gt;
}

void hr_gate_free(struct hr_gate *gt)
{
	if (!gt)
		return;
	pthread_mutex_destroy(&gt->lock);
	free(gt);
}

void hr_gate_leave(struct hr_gate *gt, int64_t now)
{
	pthread_mutex_lock(&gt->lock);
	gt->need--;
	if (gt->arrived >= gt->need && !gt->open) {
		gt->open = 1;
		gt->t0 = now;
	}
	pthread_mutex_unlock(&gt->lock);
}

/*
 * Arrive at the start line and wait for the others (ready or failed),
 * keeping our own agent fed meanwhile. Returns the common start time.
 */
static int64_t gate_pass(struct hr_guest *g)
{
	struct hr_gate *gt = g->gate;
	int64_t t0 = 0;
	int open = 0;

	if (!gt)
		return hr_run_time(g->run);
	pthread_mutex_lock(&gt->lock);
	if (++gt->arrived >= gt->need && !gt->open) {
		gt->open = 1;
		gt->t0 = hr_run_time(g->run);
	}
	pthread_mutex_unlock(&gt->lock);
	for (;;) {
		pthread_mutex_lock(&gt->lock);
		open = gt->open;
		t0 = gt->t0;
		pthread_mutex_unlock(&gt->lock);
		if (open)
			return t0;
		if (hr_stop || g->boot.dead || g->boot.hangup)
			return hr_run_time(g->run);
		hr_guest_pump(g, hr_now_ns() + 20000000ull);
	}
}

void hr_guest_set_gate(struct hr_guest *g, struct hr_gate *gate)
{
	g->gate = gate;
}

/* ---- progress ---- */

static void publish(struct hr_guest *g)
{
	g->snap.actual_mib = NAN;
	g->snap.rate_mib_s = 0;
	if (g->boot.ngs) {
		const struct hr_gsample *a = &g->boot.gs[g->boot.ngs - 1], *b = a;

		for (size_t i = g->boot.ngs; i-- > 0 && a->t_ns - g->boot.gs[i].t_ns < 250000000;)
			b = &g->boot.gs[i];
		g->snap.actual_mib = kib_to_mib(g->job->memory_kib) -
				     g->mech->removed(g, a) * HR_PAGE_KIB / 1024;
		if (a->t_ns > b->t_ns)
			g->snap.rate_mib_s = fabs(g->mech->removed(g, a) - g->mech->removed(g, b)) *
					     HR_PAGE_KIB / 1024 / ((double)(a->t_ns - b->t_ns) / 1e9);
	}
	g->snap.state = g->state;
	hr_board_publish(g->run->board, g->slot, &g->snap);
	g->last_publish = hr_now_ns();
}

void hr_guest_set_state(struct hr_guest *g, enum hr_gstate s, double target_mib)
{
	g->state = s;
	g->snap.t_state = hr_run_time(g->run);
	g->snap.target_mib = target_mib;
	publish(g);
}

/* ---- what the agent says ---- */

int hr_guest_time(const struct hr_guest *g, uint64_t guest_ns, int64_t *t)
{
	return hr_clock_to_run(guest_ns, g->boot.best.offset_ns, g->run->t0_mono_ns, t);
}

/* Something the agent sent was refused: count it, say so the first five times. */
static void bad_msg(struct hr_guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bad_msg(struct hr_guest *g, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (g->boot.bad_msgs++ >= 5)
		return;
	va_start(ap, fmt);
	hr_vfmt(what, sizeof(what), fmt, ap);
	va_end(ap);
	hr_warn("%s: %s", g->name, what);
}

static void append_gsample(struct hr_guest *g, const struct bbp_sample *s, uint64_t t_recv)
{
	struct hr_gsample x;
	char bal[32];
	double removed;

	if (g->boot.ngs == g->boot.gcap) {
		size_t cap = g->boot.gcap ? g->boot.gcap * 2 : 4096;
		struct hr_gsample *n = realloc(g->boot.gs, cap * sizeof(*n));

		if (!n) {
			bad_msg(g, "out of memory: a sample dropped");
			return;
		}
		g->boot.gs = n;
		g->boot.gcap = cap;
	}
	if (s->src > BBP_SRC_KPROBE) {
		bad_msg(g, "sample dropped: src=%" PRIu64 " (0, 1 or 2 expected)", s->src);
		return;
	}
	if (g->boot.ngs && s->seq <= g->boot.gs[g->boot.ngs - 1].seq) {
		bad_msg(g, "sample dropped: its sequence number went backwards");
		return;
	}
	if (g->boot.have_offset) {
		if (hr_guest_time(g, s->t_ns, &x.t_ns)) {
			bad_msg(g, "sample dropped: its time is out of range");
			return;
		}
	} else {
		x.t_ns = (int64_t)(t_recv - g->run->t0_mono_ns);
	}
	if (g->boot.ngs && s->seq > g->boot.gs[g->boot.ngs - 1].seq + 1)
		g->boot.seq_gaps += s->seq - g->boot.gs[g->boot.ngs - 1].seq - 1;
	else if (!g->boot.ngs && s->seq > 0)	/* the agent's first sample is 0: those before were lost */
		g->boot.seq_gaps += s->seq;
	x.guest_ns = s->t_ns;
	x.seq = s->seq;
	x.inflate = s->inflate;
	x.deflate = s->deflate;
	x.oom_kill = s->oom_kill;
	x.total_kib = s->total_kib;
	x.free_kib = s->free_kib;
	g->boot.gs[g->boot.ngs++] = x;
	/* the mechanism's size (balloon_mib): empty until it can be known (virtio-mem: calibrated) */
	removed = g->mech->removed(g, &x);
	if (isnan(removed))
		bal[0] = '\0';
	else
		snprintf(bal, sizeof(bal), "%.3f", removed * HR_PAGE_KIB / 1024.0);
	hr_rec_row(g->run->rec, HR_F_SAMPLES,
		   "%.6f,%s,guest,%" PRIu64 ",%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64
		   ",%" PRIu64 ",%" PRIu64 ",,,,,,,,,,\n", x.t_ns / 1e9, g->name, x.seq, x.guest_ns,
		   bal, x.inflate, x.deflate, x.oom_kill, x.total_kib, x.free_kib);
}

/* A COST that breaks the rules of core/agentcheck.h is dropped and counted. */
static int cost_ok(struct hr_guest *g, const struct bbp_cost *c, uint64_t t_recv)
{
	uint64_t t0 = g->boot.ncost ? g->boot.cost_recv : g->run->t0_mono_ns;
	char why[200];

	if (hr_cost_check(g->boot.ncost ? &g->boot.cost_last : NULL, c, t_recv > t0 ? t_recv - t0 : 0,
			  g->job->memory_kib / 1024, why, sizeof(why))) {
		bad_msg(g, "COST dropped: %s", why);
		return 0;
	}
	return 1;
}

static void on_pong(struct hr_guest *g, const struct bbp_pong *p, uint64_t t_recv)
{
	struct hr_clock_est e;

	if (p->id != g->boot.ping_id || !g->boot.ping_sent)
		return;		/* a keepalive's, or a late one */
	if (hr_clock_pair(g->boot.ping_sent, t_recv, p->t_ns, g->run->t0_mono_ns, &e)) {
		bad_msg(g, "PONG with a time out of range dropped");
		return;
	}
	g->boot.est[g->boot.nest++ % 64] = e;
	g->boot.ping_sent = 0;
}

static void apply(struct hr_guest *g, const struct hr_in *in)
{
	const struct bbp_msg *m = &in->u.m;

	switch (in->kind) {
	case HR_IN_BAD:
		bad_msg(g, "malformed message from agent dropped: %s", in->u.text);
		return;
	case HR_IN_HANGUP:
		g->boot.hangup = 1;
		return;
	case HR_IN_DEAD:
		if (!g->boot.dead)	/* the watchdog may have said why already */
			snprintf(g->boot.dead_reason, sizeof(g->boot.dead_reason), "%s", in->u.text);
		g->boot.dead = 1;
		return;
	case HR_IN_MEMDEV:
		hr_mech_on_event(g, in);
		return;
	case HR_IN_MSG:
		g->boot.nmsgs++;
		g->boot.last_msg_ns = in->t_recv;
		break;
	}
	switch (m->type) {
	case BBP_HELLO:
		g->boot.hello = m->u.hello;
		g->boot.have_hello = 1;
		break;
	case BBP_SAMPLE:
		append_gsample(g, &m->u.sample, in->t_recv);
		break;
	case BBP_PONG:
		on_pong(g, &m->u.pong, in->t_recv);
		break;
	case BBP_COST:
		if (!cost_ok(g, &m->u.cost, in->t_recv))
			break;
		g->boot.cost_recv = in->t_recv;
		if (!g->boot.ncost++)
			g->boot.cost_first = m->u.cost;
		g->boot.cost_last = m->u.cost;
		break;
	case BBP_LOG:
		hr_log(m->u.log.level <= 1 ? HR_WARN : HR_DEBUG, "%s: agent: %s", g->name,
		       m->u.log.msg);
		hr_rec_event(g->run->rec, g->name, "agent-log", "%s", m->u.log.msg);
		break;
	default:
		if (hr_wl_msg(g, m))
			bad_msg(g, "unexpected or bad %s from agent dropped", bbp_type_name(m->type));
	}
}

/*
 * The agent powers its guest off after `agent-watchdog` of host silence (so
 * a guest never outlives a killed runner); every wait keeps it fed with a
 * PING every sixth of that, which nobody waits for (id 0: its PONG is ignored).
 */
static void keepalive(struct hr_guest *g)
{
	static _Thread_local int sending;
	struct bbp_msg m = { .type = BBP_PING };
	int had = hr_error_pending();

	if (sending || !g->boot.st || !g->boot.last_send ||
	    hr_now_ns() - g->boot.last_send <= g->job->agent_watchdog_us * 1000 / 6)
		return;
	sending = 1;
	if (hr_guest_send(g, &m) && !had) {	/* best effort: the wait that follows says why */
		char junk[16];

		hr_error_take(junk, sizeof(junk));
	}
	sending = 0;
}

/* How long the configured agent has said nothing (ns); call only once CONF went. */
static uint64_t quiet_ns(const struct hr_guest *g)
{
	return hr_now_ns() - (g->boot.last_msg_ns > g->boot.conf_sent ? g->boot.last_msg_ns : g->boot.conf_sent);
}

static int64_t vcpu_ms_now(struct hr_guest *g)
{
	struct hr_hostfig f;

	if (!g->boot.dom)
		return -1;
	hr_hostprobe_read(&g->boot.hp, g->host->conn, g->boot.dom, &f);
	return f.vcpu_ms;
}

/* What QEMU's vCPUs did since the reopen: a spinning guest, or one that waits. */
static const char *vcpu_note(struct hr_guest *g)
{
	static _Thread_local char note[128];
	int64_t now = vcpu_ms_now(g);
	double s = (double)(hr_now_ns() - g->boot.reopen_ns) / 1e9;

	if (g->boot.reopen_vcpu_ms < 0 || now < 0 || s <= 0)
		snprintf(note, sizeof(note), "QEMU's vCPU time unknown");
	else
		snprintf(note, sizeof(note), "QEMU's vCPUs used %.0f %% of a core since the reopen",
			 (double)(now - g->boot.reopen_vcpu_ms) / 10.0 / s);
	return note;
}

/*
 * Ask the guest's kernel, through its keyboard, what it is doing: Alt-SysRq
 * with each key of @keys (l: a backtrace of every CPU, by NMI; w: the tasks
 * blocked in D state; t: every task). The answer goes to the console, at
 * loglevel 7 for the while (7 first, 4 after: the `quiet` the domain boots
 * with). The guest boots with sysrq_always_enabled. A kernel whose CPUs all
 * spin with interrupts off does not answer: the console says nothing then,
 * which tells that too. With @wait, waits (up to 5 s) for the answer to
 * be printed: the guest is destroyed next. Said in events.csv; never fails
 * the guest.
 */
static void ask_kernel(struct hr_guest *g, const char *keys, const char *why, int wait)
{
	static const struct { char c; unsigned code; } map[] = {
		{ '4', KEY_4 }, { '7', KEY_7 }, { 'l', KEY_L }, { 't', KEY_T }, { 'w', KEY_W },
	};
	char seq[16];
	int sent = 0, slot;

	if (!g->boot.dom || g->boot.dead)
		return;
	snprintf(seq, sizeof(seq), "7%s4", keys);
	/* QEMU answers each key at once; one that does not within 10 s is hung */
	slot = hr_wd_arm(g->run->wd, g->boot.dom, g->boot.hp.pid, 10000, "Alt-SysRq");
	for (const char *k = seq; *k; k++) {
		unsigned int codes[3] = { KEY_LEFTALT, KEY_SYSRQ, 0 };

		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (map[i].c == *k)
				codes[2] = map[i].code;
		if (!codes[2] || virDomainSendKey(g->boot.dom, VIR_KEYCODE_SET_LINUX, 50, codes, 3, 0) < 0)
			break;
		sent++;
	}
	if (hr_wd_disarm(g->run->wd, slot) && !hr_stop && !g->boot.dead) {
		g->boot.dead = 1;
		snprintf(g->boot.dead_reason, sizeof(g->boot.dead_reason),
			 "was destroyed: QEMU did not answer Alt-SysRq within 10 s (stopped or hung)");
		return;
	}
	/*
	 * The answer is printed while the guest runs on: up to 5 s for the
	 * console to stop growing (1 s where it is not a file here: a remote host's).
	 */
	for (int still = 0, waited = 0; wait && sent && still < 3 && waited < 25 && !hr_stop; waited++) {
		struct stat st;
		off_t was = stat(g->console_path, &st) ? -1 : st.st_size;

		(void)nanosleep(&(struct timespec){ .tv_sec = was < 0, .tv_nsec = 200000000 }, NULL);
		if (was < 0)
			break;
		still = !stat(g->console_path, &st) && st.st_size == was ? still + 1 : 0;
	}
	if (sent == (int)strlen(seq))
		hr_rec_event(g->run->rec, g->name, "sysrq", "%s: asked the guest's kernel (Alt-SysRq %s) "
			     "what it runs; the answer is on its console", why, keys);
	else
		hr_rec_event(g->run->rec, g->name, "sysrq", "%s: cannot send Alt-SysRq %c: %s", why,
			     seq[sent], hr_lv_err());
}

static void close_stream(struct hr_guest *g);

/*
 * The agent has said nothing for @quiet ns: reopen its channel (once a
 * boot). The old stream is closed as drop_domain closes it; its channel
 * object stays as chan_events (the lifecycle and memory-device callbacks
 * hold it) and is drained with the new one. Said in events.csv either way.
 */
static void reopen_channel(struct hr_guest *g, uint64_t quiet)
{
	struct hr_chan *c = hr_chan_new(g->name);
	virStreamPtr st;
	char why[512] = "";
	int had = hr_error_pending();

	g->boot.reopened = 1;
	g->boot.reopen_ns = hr_now_ns();
	g->boot.reopen_seq = g->boot.ngs ? g->boot.gs[g->boot.ngs - 1].seq : UINT64_MAX;
	g->boot.reopen_vcpu_ms = vcpu_ms_now(g);
	if (!c)
		return;
	close_stream(g);
	st = virStreamNew(g->host->conn, VIR_STREAM_NONBLOCK);
	if (!st || hr_chan_open_stream(g->boot.dom, st, c)) {
		if (st)
			hr_error_take(why, sizeof(why));
		else
			snprintf(why, sizeof(why), "cannot create a stream: %s", hr_lv_err());
		if (st)
			virStreamFree(st);
		hr_chan_unref(c);
		hr_warn("%s: the agent said nothing for %.1f s; reopening its channel failed: %s",
			g->name, (double)quiet / 1e9, why);
		hr_rec_event(g->run->rec, g->name, "channel-reopen", "failed after %.1f s of silence: %s",
			     (double)quiet / 1e9, why);
		g->boot.hangup = 1;	/* no stream left: the guest cannot go on */
		return;
	}
	if (g->boot.chan_events)
		hr_chan_unref(g->boot.chan);	/* cannot happen: once a boot */
	else
		g->boot.chan_events = g->boot.chan;
	g->boot.chan = c;
	g->boot.st = st;
	/*
	 * CONF again tells the agent that the channel was reopened (it may not
	 * see the port close and open): it says again what the host must not
	 * miss. A failed send leaves the silence to run on.
	 */
	if (hr_guest_send(g, &g->boot.conf) && !had)
		hr_error_take(why, sizeof(why));
	hr_warn("%s: the agent said nothing for %.1f s: its channel reopened (%s)", g->name,
		(double)quiet / 1e9, hr_conn_event_thread_note());
	hr_rec_event(g->run->rec, g->name, "channel-reopen",
		     "the agent said nothing for %.1f s; %s; QEMU's vCPU time %" PRId64 " ms",
		     (double)quiet / 1e9, hr_conn_event_thread_note(), g->boot.reopen_vcpu_ms);
}

void hr_guest_pump(struct hr_guest *g, uint64_t deadline)
{
	struct hr_in *in;

	if (!g->boot.chan)
		return;
	keepalive(g);
	in = (struct hr_in *)hr_queue_pop_or_stop(&g->boot.chan->q, deadline, &hr_stop);
	while (in) {
		apply(g, in);
		free(in);
		in = (struct hr_in *)hr_queue_pop(&g->boot.chan->q, 0);
	}
	while (g->boot.chan_events && (in = (struct hr_in *)hr_queue_pop(&g->boot.chan_events->q, 0))) {
		apply(g, in);
		free(in);
	}
	/* after the queues are drained: last_msg_ns is what the event thread last heard */
	if (g->boot.conf_sent && !g->boot.silent) {
		uint64_t quiet = quiet_ns(g);

		if (quiet > SILENCE_NS) {
			g->boot.silent = 1;
			ask_kernel(g, "lt", "the agent silent for 15 s", 1);
		} else if (quiet > NUDGE_NS && !g->boot.reopened && g->boot.dom && !g->boot.dead && !g->boot.hangup) {
			ask_kernel(g, "lw", "the agent silent for 4 s", 0);
			reopen_channel(g, quiet);
		}
	}
	if (g->boot.reopened == 1 && g->boot.last_msg_ns > g->boot.reopen_ns) {
		char last[48] = "the start: the first is seq 0";

		if (g->boot.reopen_seq != UINT64_MAX)
			snprintf(last, sizeof(last), "seq %" PRIu64, g->boot.reopen_seq);
		g->boot.reopened = 2;
		hr_warn("%s: the agent speaks again, %.0f ms after its channel was reopened", g->name,
			(double)(g->boot.last_msg_ns - g->boot.reopen_ns) / 1e6);
		hr_rec_event(g->run->rec, g->name, "channel-recovered",
			     "the agent spoke again %.0f ms after the reopen; what its port held then is "
			     "lost: the samples show it as a gap in seq (after %s), counted in run.json's "
			     "sample_gaps; %s", (double)(g->boot.last_msg_ns - g->boot.reopen_ns) / 1e6, last, vcpu_note(g));
	}
	if (hr_now_ns() - g->last_publish > PUBLISH_NS)
		publish(g);
}

/*
 * The agent's channel closed. QEMU's death closes it first and libvirt's
 * lifecycle event comes later (when libvirt has noticed the monitor's end):
 * ask libvirt, for up to 3 s, whether the domain still runs, so that a dead
 * QEMU is not reported as an agent that hung up.
 */
void hr_guest_domain_gone(struct hr_guest *g)
{
	static const char *const shutoff[] = {
		[VIR_DOMAIN_SHUTOFF_SHUTDOWN] = "shut down", [VIR_DOMAIN_SHUTOFF_DESTROYED] = "destroyed",
		[VIR_DOMAIN_SHUTOFF_CRASHED] = "crashed", [VIR_DOMAIN_SHUTOFF_FAILED] = "failed (QEMU ended)",
		[VIR_DOMAIN_SHUTOFF_DAEMON] = "stopped by libvirt",
	};
	uint64_t deadline = hr_now_ns() + 3000000000ull;

	while (!g->boot.dead && g->boot.dom && hr_now_ns() < deadline && !hr_stop) {
		int state = 0, reason = 0;

		if (virDomainGetState(g->boot.dom, &state, &reason, 0) == 0 && state != VIR_DOMAIN_RUNNING &&
		    state != VIR_DOMAIN_PAUSED && state != VIR_DOMAIN_BLOCKED) {
			g->boot.dead = 1;
			snprintf(g->boot.dead_reason, sizeof(g->boot.dead_reason), "%s",
				 state == VIR_DOMAIN_CRASHED ? "crashed" :
				 reason > 0 && reason < (int)(sizeof(shutoff) / sizeof(shutoff[0])) &&
				 shutoff[reason] ? shutoff[reason] : "stopped");
			return;
		}
		hr_guest_pump(g, hr_now_ns() + 100000000ull);
	}
}

int hr_guest_check(struct hr_guest *g)
{
	char why[PATH_MAX + 160];

	if (hr_stop)
		return hr_error("interrupted by a signal");
	if (hr_rec_failed(g->run->rec, why, sizeof(why)))
		return hr_error("%s", why);
	if (g->boot.silent && !g->boot.dead && !g->boot.hangup)
		return hr_error("%s: the agent has sent nothing for %.0f s (once configured it sends samples "
				"at least 10 times a second)%s%s; %s; the guest's console has the agent's own "
				"view", g->name, (double)quiet_ns(g) / 1e9, g->boot.reopened ? ", also after its channel was reopened; " : "",
				g->boot.reopened ? vcpu_note(g) : "", hr_conn_event_thread_note());
	if (g->boot.dead || g->boot.hangup) {
		char panic[300];

		if (!g->boot.dead)
			hr_guest_domain_gone(g);
		hr_console_panic(g->console_path, panic, sizeof(panic));
		return hr_error("%s: %s%s%s%s", g->name, g->boot.dead ? "the domain " : "",
				g->boot.dead ? g->boot.dead_reason : "the guest closed the agent channel",
				panic[0] ? "; guest console: " : "", panic);
	}
	return 0;
}

int hr_guest_send(struct hr_guest *g, const struct bbp_msg *m)
{
	char buf[BBP_MAX_LINE + 1];
	int n = bbp_encode(buf, sizeof(buf), m), off = 0;
	uint64_t deadline = hr_now_ns() + 1000000000ull;

	if (n < 0)
		return hr_error("%s: cannot encode %s for the agent (too long?)", g->name,
				bbp_type_name(m->type));
	if (!g->boot.st)
		return hr_error("%s: no agent channel", g->name);
	if ((g->boot.dead || g->boot.hangup) && hr_guest_check(g))
		return -1;	/* why the guest is gone, not the stream's "broken pipe" */
	while (off < n) {
		int r = virStreamSend(g->boot.st, buf + off, (size_t)(n - off));

		if (r > 0) {
			off += r;
		} else if (r == -2 && hr_now_ns() < deadline && !hr_stop) {
			hr_guest_pump(g, hr_now_ns() + 1000000ull);	/* full: let the agent read */
		} else {
			return hr_error("%s: cannot send %s to the agent: %s", g->name,
					bbp_type_name(m->type), r == -2 ? "channel full for 1 s" :
					hr_lv_err());
		}
	}
	g->boot.last_send = hr_now_ns();
	return 0;
}

/*
 * A call that waits for QEMU's answer, under the run's watchdog: QEMU that
 * does not answer within give-up (at most 10 s) is taken for hung and its
 * domain destroyed; the guest then fails with that reason. Returns 0 or -1.
 */
int hr_guest_qemu_call(struct hr_guest *g, enum hr_qemu_call call, uint64_t *kib)
{
	static const char *const what[2][2] = {
		{ "query-balloon", "the balloon target" },
		{ "query-memory-devices", "the virtio-mem requested size" },
	};
	uint64_t ms = g->job->give_up_us / 1000;
	int slot, r;

	if (ms > 10000)
		ms = 10000;
	slot = hr_wd_arm(g->run->wd, g->boot.dom, g->boot.hp.pid, ms < 1000 ? 1000 : ms,
			 what[g->job->mechanism == HR_MECH_VMEM][call]);
	if (call == QEMU_ACTUAL)
		r = g->mech->host_actual(g, kib);
	else
		r = g->mech->set_target(g->boot.dom, g->job, *kib);
	if (hr_wd_disarm(g->run->wd, slot) && !hr_stop && !g->boot.dead) {
		g->boot.dead = 1;
		snprintf(g->boot.dead_reason, sizeof(g->boot.dead_reason),
			 "was destroyed: QEMU did not answer %s within %.0f s (stopped or hung)",
			 what[g->job->mechanism == HR_MECH_VMEM][call], (double)(ms < 1000 ? 1000 : ms) / 1e3);
	}
	return r;
}

/* ",v" or "," for unknown (-1) */
static const char *opt_kib(char *buf, size_t size, int64_t v)
{
	if (v < 0)
		snprintf(buf, size, ",");
	else
		snprintf(buf, size, ",%" PRId64, v);
	return buf;
}

void hr_guest_poll_host(struct hr_guest *g)
{
	char f[9][24], nodes[HR_HOST_NODES * 24] = "";
	struct hr_hsample h;
	size_t o = 0;

	if (!g->boot.dom || hr_guest_qemu_call(g, QEMU_ACTUAL, &h.actual_kib))
		return;
	hr_hostprobe_read(&g->boot.hp, g->host->conn, g->boot.dom, &h.fig);
	h.t_ns = hr_run_time(g->run);
	if (g->boot.nhs == g->boot.hcap) {
		size_t cap = g->boot.hcap ? g->boot.hcap * 2 : 1024;
		struct hr_hsample *n = realloc(g->boot.hs, cap * sizeof(*n));

		if (!n)
			return;
		g->boot.hs = n;
		g->boot.hcap = cap;
	}
	g->boot.hs[g->boot.nhs++] = h;
	for (int i = 0; i < HR_HOST_NODES && h.fig.node_free_kib[i] >= 0; i++)
		o += (size_t)snprintf(nodes + o, sizeof(nodes) - o, "%s%d:%" PRId64, i ? ";" : "", i,
				      h.fig.node_free_kib[i]);
	hr_rec_row(g->run->rec, HR_F_SAMPLES, "%.6f,%s,host,,,%.3f,,,,,,%.3f%s%s%s%s%s%s,%s%s%s\n",
		   h.t_ns / 1e9, g->name, ((double)g->job->memory_kib - (double)h.actual_kib) / 1024.0,
		   h.actual_kib / 1024.0, opt_kib(f[0], 24, h.fig.rss_kib),
		   opt_kib(f[1], 24, h.fig.anon_kib), opt_kib(f[2], 24, h.fig.file_kib),
		   opt_kib(f[3], 24, h.fig.shmem_kib), opt_kib(f[4], 24, h.fig.huge_kib),
		   opt_kib(f[5], 24, h.fig.avail_kib), nodes, opt_kib(f[6], 24, h.fig.vcpu_ms),
		   opt_kib(f[7], 24, h.fig.other_ms));
}

int hr_guest_record_until(struct hr_guest *g, int64_t until)
{
	uint64_t period = 1000000000ull / (uint64_t)g->job->host_hz;

	while (hr_run_time(g->run) < until) {
		uint64_t next = hr_now_ns() + period, end = g->run->t0_mono_ns + (uint64_t)until;

		if (hr_guest_check(g))
			return -1;
		hr_guest_poll_host(g);
		while (hr_now_ns() < next && hr_now_ns() < end && !hr_stop)
			hr_guest_pump(g, next < end ? next : end);
	}
	return hr_guest_check(g);
}

double hr_guest_balloon_pages(const struct hr_guest *g)
{
	if (!g->boot.ngs)
		return -1;
	return g->mech->removed(g, &g->boot.gs[g->boot.ngs - 1]);
}

/* One PING and its PONG within @wait_ns: 1 answered, 0 not in time, -1 the guest is gone. */
static int ping_once(struct hr_guest *g, uint64_t wait_ns)
{
	struct bbp_msg m = { .type = BBP_PING };
	uint64_t deadline;
	int nest = g->boot.nest, sent_at = -1;	/* sent_at: g->boot.reopened when the ping went */

	if (hr_guest_check(g))
		return -1;
	deadline = hr_now_ns() + wait_ns;
	for (;;) {
		if (sent_at < 0 || (g->boot.reopened == 1 && sent_at != 1)) {
			/* first, and again after a reopened channel: the answer may be lost with the port's queue */
			m.u.ping.id = ++g->boot.ping_id;
			g->boot.ping_sent = hr_now_ns();
			if (hr_guest_send(g, &m))
				return -1;
			sent_at = g->boot.reopened;
		}
		if (g->boot.nest != nest || g->boot.dead || g->boot.hangup || hr_stop || hr_now_ns() >= deadline)
			break;
		hr_guest_pump(g, deadline);
	}
	if (g->boot.nest == nest)
		return 0;
	const struct hr_clock_est *e = &g->boot.est[(g->boot.nest - 1) % 64];

	if (!g->boot.have_offset || e->rtt_ns < g->boot.best.rtt_ns)
		g->boot.best = *e;
	g->boot.have_offset = 1;
	return 1;
}

/*
 * @pings round trips for the clock. A round trip that takes long only
 * widens its own error bound (the best one is kept), so a short wait each;
 * where none came back (a busy guest: the agent calibrates for 0.3 s and
 * more after CONF, a loaded host slows that), one last ping waits
 * PING_LAST_NS before the guest is called unresponsive.
 */
#define PING_LAST_NS	5000000000ull
int hr_guest_clock_sync(struct hr_guest *g, int pings)
{
	/* a daemon's answer passes through its process (and ssh): more room */
	uint64_t wait = g->host->embedded ? 500000000ull : 2000000000ull;
	int got = 0, r;

	for (int i = 0; i < pings; i++) {
		if ((r = ping_once(g, wait)) < 0)
			return -1;
		got += r;
	}
	if (!got && (r = ping_once(g, PING_LAST_NS)) < 0)
		return -1;
	if (!got && !r)
		return hr_error("%s: the agent answered none of %d pings (the last waited %llu s)",
				g->name, pings + 1, PING_LAST_NS / 1000000000ull);
	return 0;
}

/* ---- the domain: start, channel, stop ---- */

/*
 * The channel's stream and the domain go in the order that keeps libvirt's two
 * locks (the stream's, and the character devices' of the domain object) apart.
 * A live QEMU: the stream first, while no libvirt thread tears the domain
 * down; killing QEMU first queues libvirt's end-of-file handling, whose last
 * reference frees the character devices (virChrdevFree) in another thread at
 * the moment we abort the stream: a deadlock inside libvirt, seen. A QEMU that
 * died: the domain first; aborting the stream while libvirt's own thread is
 * tearing that QEMU down took the locks the other way round (also seen).
 */
static void close_stream(struct hr_guest *g)
{
	if (!g->boot.st)
		return;
	(void)virStreamEventRemoveCallback(g->boot.st);
	hr_chan_stream_removed(g->boot.chan);
	(void)virStreamAbort(g->boot.st);
	virStreamFree(g->boot.st);
	g->boot.st = NULL;
}

static void drop_domain(struct hr_guest *g)
{
	if (g->boot.dom && !g->boot.dead && virDomainIsActive(g->boot.dom) == 1)
		close_stream(g);
	if (g->boot.dom) {
		/*
		 * After a signal or a failure QEMU may be stopped or hung: libvirt's
		 * destroy would send it SIGTERM and wait. Kill it at once when it
		 * runs here; libvirt then only cleans up.
		 */
		if ((hr_stop || g->failed || g->boot.dead) && g->boot.hp.pid > 0 && !g->boot.hp.gone &&
		    hr_pid_is_qemu(g->boot.hp.pid))
			(void)kill(g->boot.hp.pid, SIGKILL);
		if (virDomainDestroy(g->boot.dom) < 0 && virDomainIsActive(g->boot.dom) == 1)
			hr_err("%s: could not destroy the domain: %s", g->name, hr_lv_err());
		g->boot.hp.gone = 1;		/* its pid is not to be killed again (a retried boot's is another) */
	}
	close_stream(g);
	hr_mech_detach(g);
	if (g->boot.lifecycle_id >= 0) {
		(void)virConnectDomainEventDeregisterAny(g->host->conn, g->boot.lifecycle_id);
		g->boot.lifecycle_id = -1;
	}
	if (g->boot.dom) {
		virDomainFree(g->boot.dom);
		g->boot.dom = NULL;
	}
	hr_chan_unref(g->boot.chan);
	g->boot.chan = NULL;
	hr_chan_unref(g->boot.chan_events);
	g->boot.chan_events = NULL;
}

void hr_guest_destroy_domain(struct hr_guest *g)
{
	if (g && g->boot.dom) {
		drop_domain(g);
		hr_rec_event(g->run->rec, g->name, "destroyed", "%s",
			     g->failed ? "after an error" : "done");
	}
}

/*
 * BALLOONBENCH_FAULT (the test suite's): mute-first-boot gives the first boot
 * of every guest bb.mute=1 on its kernel command line, so its agent says
 * nothing after CONF, as a stalled channel would, and the boot retry is
 * exercised on a real guest; mute gives it to every boot; stall gives every
 * boot bb.mute=2: silent after CONF until the channel is reopened. Takes
 * @xml; NULL when out of memory.
 */
static char *fault_boot(char *xml, int first)
{
	const char *f = getenv("BALLOONBENCH_FAULT");
	char *at = strstr(xml, "<cmdline>"), *n;
	int level = !f ? 0 : !strcmp(f, "stall") ? 2 : !strcmp(f, "mute") ? 1 :
		    !strcmp(f, "mute-first-boot") && first ? 1 : 0;

	if (!level || !at)
		return xml;
	at += strlen("<cmdline>");
	if (asprintf(&n, "%.*sbb.mute=%d %s", (int)(at - xml), xml, level, at) < 0)
		n = NULL;
	free(xml);
	return n;
}

/* QEMU's pid, from the embedded driver's pid file (no call to QEMU); 0 if unknown. */
static pid_t qemu_pid(const struct hr_guest *g)
{
	char path[PATH_MAX + 300];

	return hr_embed_pidfile(g->host->uri, g->name, path, sizeof(path)) ? 0 : hr_pidfile_qemu(path);
}

/*
 * Start the domain under @accel and wait up to @timeout_us for the agent's
 * hello; a signal ends the start (its QEMU killed: hr_wd_arm_start) and the
 * wait. Returns 0, or -1 with the reason in @why (the domain is gone then).
 */
static int boot_once(struct hr_guest *g, int accel, uint64_t timeout_us, char *why, size_t wlen)
{
	char *xml;
	uint64_t t0 = hr_now_ns(), deadline = t0 + timeout_us * 1000;
	char console[256], panic[256];
	int slot;

	if (hr_stop) {
		snprintf(why, wlen, "interrupted while booting");
		return -1;
	}
	xml = hr_domain_xml(g->run, g->host, g->job, g->name, accel,
			    g->host->local ? g->console_path : "", g->disk_path);
	if (!xml) {
		snprintf(why, wlen, "cannot build domain XML");
		return -1;
	}
	if ((xml = fault_boot(xml, !g->retry_reason[0])) == NULL) {
		snprintf(why, wlen, "out of memory");
		return -1;
	}
	g->boot.dead = g->boot.hangup = g->boot.have_hello = 0;
	g->boot.chan = hr_chan_new(g->name);
	(void)unlink(g->console_path);
	hr_debug("%s: domain XML:\n%s", g->name, xml);
	slot = hr_wd_arm_start(g->run->wd, g->host->uri, g->name);
	g->boot.dom = g->boot.chan ? virDomainCreateXML(g->host->conn, xml,
		g->host->embedded ? 0 : VIR_DOMAIN_START_AUTODESTROY) : NULL;
	free(xml);
	if (hr_wd_disarm(g->run->wd, slot)) {
		g->boot.dead = 1;	/* killed as it started: torn down as a dead domain is */
		snprintf(g->boot.dead_reason, sizeof(g->boot.dead_reason), "was killed as it started (a signal came)");
	}
	if (!g->boot.dom) {
		if (hr_stop)
			snprintf(why, wlen, "interrupted while booting");
		else
			snprintf(why, wlen, "libvirt could not start it: %s", hr_lv_err());
		drop_domain(g);
		return -1;
	}
	/* for a kill that need not wait for QEMU (drop_domain); hr_hostprobe_init asks QEMU later */
	g->boot.hp.pid = qemu_pid(g);
	g->boot.hp.gone = 0;
	g->boot.st = virStreamNew(g->host->conn, VIR_STREAM_NONBLOCK);
	if (!g->boot.st || hr_chan_attach(g->run, g->boot.dom, g->boot.st, g->boot.chan, &g->boot.lifecycle_id)) {
		if (!g->boot.st)
			snprintf(why, wlen, "cannot create a stream: %s", hr_lv_err());
		else
			hr_error_take(why, wlen);
		drop_domain(g);
		return -1;
	}
	while (!g->boot.have_hello && !g->boot.dead && !g->boot.hangup && !hr_stop && hr_now_ns() < deadline)
		hr_guest_pump(g, deadline);
	if (g->boot.have_hello) {
		g->boot.boot_ns = (int64_t)(hr_now_ns() - t0);
		return 0;
	}
	/* the console's panic line if the kernel panicked, else its last line */
	hr_console_panic(g->console_path, panic, sizeof(panic));
	if (panic[0])
		snprintf(console, sizeof(console), "'%.200s'", panic);
	else
		hr_last_line(g->console_path, console, sizeof(console));
	if (hr_stop)
		snprintf(why, wlen, "interrupted while booting");
	else if (g->boot.dead)
		snprintf(why, wlen, "the domain %s during boot (%s console line: %s)",
			 g->boot.dead_reason, panic[0] ? "panic" : "last", console);
	else if (g->boot.hangup)
		snprintf(why, wlen, "the agent channel closed during boot (%s console line: %s)",
			 panic[0] ? "panic" : "last", console);
	else
		snprintf(why, wlen, "the agent's hello did not arrive within %.0f s (%s console line: %s)",
			 timeout_us / 1e6, panic[0] ? "panic" : "last", console);
	drop_domain(g);
	return -1;
}

/* Under accel=auto: may KVM be tried? 1 if so; 0 with the reason in accel_note if not. */
static int kvm_worth_trying(struct hr_guest *g, int kvm_ok, const char *key)
{
	char why[1024];

	if (!kvm_ok) {
		snprintf(g->boot.accel_note, sizeof(g->boot.accel_note),
			 "accel=auto: no KVM on this host; running under TCG");
		return 0;
	}
	if (!g->run->reprobe_kvm && hr_kvm_known_broken(g->run, key, why, sizeof(why))) {
		snprintf(g->boot.accel_note, sizeof(g->boot.accel_note),
			 "accel=auto: KVM is present but could not boot a guest when probed (%.400s); running under TCG (cached in the state dir's kvm-probe; --reprobe-kvm tries again)",
			 why);
		return 0;
	}
	return 1;
}

/* Boot with the job's accel policy. Returns 0, or -1 (hr_error). */
static int boot(struct hr_guest *g)
{
	const struct hr_job *j = g->job;
	char why[1024], key[256], *caps;
	unsigned long hv = 0;
	struct utsname u;
	int kvm_ok;

	caps = virConnectGetDomainCapabilities(g->host->conn, NULL, "x86_64", NULL, "kvm", 0);
	kvm_ok = caps != NULL;
	free(caps);
	(void)virConnectGetVersion(g->host->conn, &hv);
	uname(&u);
	snprintf(key, sizeof(key), "%.200s qemu-%lu", u.release, hv);
	if (!g->host->local)	/* another host's KVM: its own entry in the probe cache */
		snprintf(key, sizeof(key), "host %.40s qemu-%lu", json_string_value(
			 json_object_get(g->host->facts, "hostname")) ?: g->host->name, hv);

	if (j->accel == HR_ACCEL_KVM) {
		if (!kvm_ok)
			return hr_error("%s: accel=kvm: this host offers no KVM (libvirt: %s)", g->name,
					hr_lv_err());
		if (boot_once(g, HR_ACCEL_KVM, j->kvm_boot_timeout_us, why, sizeof(why)))
			return hr_error("%s: accel=kvm: the guest did not boot under KVM: %s; use accel=tcg or accel=auto",
					g->name, why);
		g->boot.accel = HR_ACCEL_KVM;
		return 0;
	}
	if (j->accel == HR_ACCEL_AUTO) {
		if (!kvm_worth_trying(g, kvm_ok, key)) {
			/* said below */
		} else if (boot_once(g, HR_ACCEL_KVM, j->kvm_boot_timeout_us, why, sizeof(why))) {
			if (hr_stop)
				return hr_error("%s: interrupted while booting", g->name);
			hr_kvm_mark_broken(g->run, key, why);
			snprintf(g->boot.accel_note, sizeof(g->boot.accel_note),
				 "accel=auto: KVM is present but the guest did not boot under it (%.400s); retrying under TCG",
				 why);
		} else {
			g->boot.accel = HR_ACCEL_KVM;
			snprintf(g->boot.accel_note, sizeof(g->boot.accel_note), "accel=auto: KVM works");
			return 0;
		}
		/* once a run: every guest's own note is in run.json (vms[].accel_note) */
		if (!atomic_exchange(&g->run->tcg_warned, 1)) {
			hr_warn("%s: %s", g->name, g->boot.accel_note);
			hr_warn("TCG is software emulation: expect figures 10-100x below a KVM host's "
				"(said once a run; each guest's reason is in run.json)");
		}
	}
	if (boot_once(g, HR_ACCEL_TCG, j->boot_timeout_us, why, sizeof(why)))
		return hr_error("%s: the guest did not boot under TCG: %s", g->name, why);
	g->boot.accel = HR_ACCEL_TCG;
	return 0;
}

/* ---- the workload ---- */

int hr_guest_send_phase(struct hr_guest *g, uint64_t e, int phase)
{
	struct bbp_msg m = { .type = BBP_PHASE };

	m.u.phase.e = e;
	m.u.phase.p = (uint64_t)phase;
	return hr_guest_send(g, &m);
}

int hr_guest_send_fast(struct hr_guest *g, uint64_t ms)
{
	struct bbp_msg m = { .type = BBP_FAST };

	m.u.fast.ms = ms;
	return hr_guest_send(g, &m);
}

/*
 * The workload did not start within @waited ns: say what the agent did
 * meanwhile (since @ngs0 samples, @nmsgs0 messages) and whether it answers
 * a ping now: a live agent, one that went silent (when), or a channel that
 * carries nothing. Its console has the stall watch's view. Returns -1.
 */
static int not_started(struct hr_guest *g, uint64_t waited, size_t ngs0, uint64_t nmsgs0)
{
	char latest[64] = "";
	int pong;

	if (g->boot.last_msg_ns)
		snprintf(latest, sizeof(latest), ", the latest %.1f s ago",
			 (double)(hr_now_ns() - g->boot.last_msg_ns) / 1e9);
	pong = ping_once(g, 3000000000ull);
	if (pong < 0)
		return -1;
	if (!pong)
		ask_kernel(g, "lt", "the workload did not start", 1);
	if (!pong && g->boot.nmsgs == nmsgs0)
		g->boot.silent = 1;	/* not a word since RUN: bring_up may boot once more */
	return hr_error("%s: workload '%s' did not start within %.1f s; meanwhile the agent sent %zu samples"
			" and %" PRIu64 " messages in all%s, and a ping then %s; %s (see events.csv and "
			"console-%s.log)", g->name, g->job->workload_spec, (double)waited / 1e9,
			g->boot.ngs - ngs0, g->boot.nmsgs - nmsgs0, latest,
			pong ? "was answered" : "was not answered within 3 s", hr_conn_event_thread_note(),
			g->name);
}

/* Start the job's workload (host id 1) and let it run `warmup` at rest. */
static int start_workload(struct hr_guest *g)
{
	const struct hr_job *j = g->job;
	struct bbp_msg m = { .type = BBP_RUN };
	uint64_t t0, deadline, nmsgs0 = g->boot.nmsgs;
	size_t ngs0 = g->boot.ngs;

	m.u.run.w = 1;
	if ((size_t)snprintf(m.u.run.spec, sizeof(m.u.run.spec), "%s", j->workload_spec) >=
	    sizeof(m.u.run.spec))
		return hr_error("%s: workload '%s' is too long to send to the agent (at most %zu characters)",
				g->name, j->workload_spec, sizeof(m.u.run.spec) - 1);
	if (hr_guest_send(g, &m))
		return -1;
	/* 10 s, and twice what this guest took to boot: a loaded host is slow at both */
	t0 = hr_now_ns();
	deadline = t0 + 10000000000ull + 2 * (uint64_t)g->boot.boot_ns;
	while (!g->boot.wl_started && !g->boot.wl_exited && hr_now_ns() < deadline) {
		if (hr_guest_check(g))
			return -1;
		hr_guest_pump(g, hr_now_ns() + 50000000ull);
	}
	if (!g->boot.wl_started && g->boot.wl_exited)
		return hr_error("%s: workload '%s' could not start: the agent says %s (code %" PRIu64
				"; its message is in events.csv)", g->name, j->workload_spec,
				g->boot.wexit.code < 200 ? strerror((int)g->boot.wexit.code) : "an unknown error",
				g->boot.wexit.code);
	if (!g->boot.wl_started)
		return not_started(g, hr_now_ns() - t0, ngs0, nmsgs0);
	hr_info("%s: workload %s running; warm-up %.1f s", g->name, j->workload_name,
		j->warmup_us / 1e6);
	return hr_guest_record_until(g, hr_run_time(g->run) + (int64_t)j->warmup_us * 1000);
}

/* End the last epoch, stop the workload, wait (5 s at most) for its last statistics. */
static void stop_workload(struct hr_guest *g, uint64_t last_epoch)
{
	struct bbp_msg m = { .type = BBP_STOPW };
	uint64_t deadline = hr_now_ns() + 5000000000ull;

	m.u.stopw.w = 1;
	if (hr_guest_send_phase(g, last_epoch, WL_STEADY) || hr_guest_send(g, &m))
		return;
	while (!g->boot.wl_exited && hr_now_ns() < deadline && !hr_guest_check(g))
		hr_guest_pump(g, hr_now_ns() + 50000000ull);
	hr_wl_write_rest(g);
}

/* ---- fills: touched memory, freed (prefill), and touched again (refill) ---- */

const struct hr_hsample *hr_guest_host_at(const struct hr_guest *g, int64_t t,
					  int64_t (*what)(const struct hr_hsample *))
{
	const struct hr_hsample *best = NULL;

	for (size_t i = 0; i < g->boot.nhs; i++) {
		if (what(&g->boot.hs[i]) < 0)
			continue;
		if (g->boot.hs[i].t_ns <= t || !best)
			best = &g->boot.hs[i];
		if (g->boot.hs[i].t_ns > t)
			break;
	}
	return best;
}

int64_t hr_hsample_held(const struct hr_hsample *h)
{
	return hr_hostfig_held(&h->fig);
}

/* What QEMU held at the latest host sample at or before @t (KiB), or -1. */
static int64_t rss_near(const struct hr_guest *g, int64_t t)
{
	const struct hr_hsample *h = hr_guest_host_at(g, t, hr_hsample_held);

	return h && h->t_ns <= t ? hr_hsample_held(h) : -1;
}

/* After the free: QEMU's RSS drop and when it reached within 1 MiB or 2 % of its lowest. */
static void fill_drop(const struct hr_guest *g, struct hr_fill *f)
{
	int64_t low = -1, t_low = 0;

	f->drop_mib = f->drop_delay_ms = NAN;
	for (size_t i = 0; i < g->boot.nhs; i++)
		if (g->boot.hs[i].t_ns >= f->t_free && hr_hsample_held(&g->boot.hs[i]) >= 0 &&
		    (low < 0 || hr_hsample_held(&g->boot.hs[i]) < low))
			low = hr_hsample_held(&g->boot.hs[i]);
	if (low < 0 || f->rss_at_free < 0)
		return;
	f->drop_mib = (double)(f->rss_at_free - low) / 1024;
	for (size_t i = 0; i < g->boot.nhs; i++) {
		const struct hr_hsample *h = &g->boot.hs[i];

		if (h->t_ns >= f->t_free && hr_hsample_held(h) >= 0 &&
		    (double)(hr_hsample_held(h) - low) <= fmax(1024, 0.02 * (double)(f->rss_at_free - low))) {
			t_low = h->t_ns;
			break;
		}
	}
	f->drop_delay_ms = (t_low - f->t_free) / 1e6;
}

/*
 * The guest touches @kib once (the touch workload, one pass, as workload
 * @w) and frees it; then rest for @rest_us, sampling the host, to see what
 * QEMU's RSS does after the free (free page reporting gives it back).
 */
static int run_fill(struct hr_guest *g, struct hr_fill *f, uint64_t w, uint64_t kib, uint64_t rest_us)
{
	struct bbp_msg m = { .type = BBP_RUN };
	uint64_t deadline = hr_now_ns() + g->job->timeout_us * 1000;
	int64_t t0 = hr_run_time(g->run);

	memset(f, 0, sizeof(*f));
	f->kib = kib;
	m.u.run.w = w;
	snprintf(m.u.run.spec, sizeof(m.u.run.spec), "touch:size=%" PRIu64 "k,passes=1", kib);
	hr_guest_poll_host(g);
	f->rss_before = rss_near(g, hr_run_time(g->run));
	hr_rec_event(g->run->rec, g->name, "fill-start", "%.0f MiB (workload %" PRIu64 ")",
		     kib / 1024.0, w);
	if (hr_guest_send(g, &m))
		return -1;
	while (!f->exited) {
		if (hr_now_ns() >= deadline)
			return hr_error("%s: touching %.0f MiB did not end within timeout=%.0f s",
					g->name, kib / 1024.0, g->job->timeout_us / 1e6);
		if (hr_guest_record_until(g, hr_run_time(g->run) + 20000000))
			return -1;
	}
	if (!f->started || f->wexit.code || f->wexit.sig || f->wexit.oom ||
	    f->t_end_guest <= f->t_start_guest)
		return hr_error("%s: touching %.0f MiB failed (code %" PRIu64 ", signal %" PRIu64
				"%s; see events.csv)", g->name, kib / 1024.0, f->wexit.code, f->wexit.sig,
				f->wexit.oom ? ", OOM-killed" : "");
	f->seconds = (double)(f->t_end_guest - f->t_start_guest) / 1e9;
	f->rate_gib_s = (double)kib / (1024.0 * 1024) / f->seconds;
	hr_guest_poll_host(g);
	f->rss_at_free = rss_near(g, hr_run_time(g->run));
	hr_rec_event(g->run->rec, g->name, "fill-end", "%.0f MiB in %.3f s (%.3f GiB/s) after %.3f s",
		     kib / 1024.0, f->seconds, f->rate_gib_s, (f->t_free - t0) / 1e9);
	if (hr_guest_record_until(g, hr_run_time(g->run) + (int64_t)rest_us * 1000))
		return -1;
	f->rss_after = rss_near(g, hr_run_time(g->run));
	fill_drop(g, f);
	return 0;
}

/* ---- a guest's life ---- */

/* Events per cycle of a schedule, for the cycle column. */
static size_t per_cycle(const struct hr_job *j)
{
	switch (j->schedule) {
	case HR_SCHED_LIST: return (size_t)j->ntargets;
	case HR_SCHED_SQUARE: return 2;
	case HR_SCHED_SAWTOOTH: return (size_t)j->steps + 1;
	case HR_SCHED_STAIRCASE: return 2 * (size_t)j->steps;
	default: return SIZE_MAX;
	}
}

/*
 * CONF probe=: the job's probe option, checked against what HELLO said the
 * agent could open (kprobe: 0 none, 1 entry, 2 return; anything else is
 * refused). probe=kprobe where the guest has no kprobe events is an error.
 */
static int conf_probe(struct hr_guest *g, struct bbp_conf *c)
{
	static const uint64_t wire[HR_PROBE_N] = {
		[HR_PROBE_AUTO] = BBP_PROBE_AUTO, [HR_PROBE_POLL] = BBP_PROBE_POLL,
		[HR_PROBE_KPROBE] = BBP_PROBE_KPROBE,
	};
	int p = g->job->probe;

	if (g->boot.hello.kprobe > 2)
		return hr_error("%s: HELLO kprobe=%" PRIu64 ": 0, 1 or 2 expected", g->name,
				g->boot.hello.kprobe);
	if (p < 0 || p >= HR_PROBE_N)
		return hr_error("%s: probe option out of range", g->name);
	if (p == HR_PROBE_KPROBE && !g->boot.hello.kprobe)
		return hr_error("%s: probe=kprobe, but the guest agent could not open kprobe events "
				"(its log in events.csv says why; probe=auto polls instead)", g->name);
	c->probe = wire[p];
	hr_rec_event(g->run->rec, g->name, "probe-source", "asked %s; kprobe events %s",
		     hr_probe_names[p], g->boot.hello.kprobe == 2 ? "on tell_host's return" :
		     g->boot.hello.kprobe == 1 ? "on tell_host's entry" : "unavailable");
	return 0;
}

/*
 * Find QEMU's process (hr_hostprobe_init asks QEMU: query-cpus-fast) under
 * the watchdog: a QEMU that does not answer in 10 s, or a signal, ends it.
 */
static void probe_host(struct hr_guest *g)
{
	int slot = hr_wd_arm(g->run->wd, g->boot.dom, g->boot.hp.pid, 10000, "query-cpus-fast");

	hr_hostprobe_init(&g->boot.hp, g->host->conn, g->boot.dom, g->host->local);
	if (hr_wd_disarm(g->run->wd, slot) && !hr_stop && !g->boot.dead) {
		g->boot.dead = 1;
		snprintf(g->boot.dead_reason, sizeof(g->boot.dead_reason),
			 "was destroyed: QEMU did not answer query-cpus-fast within 10 s (stopped or hung)");
	}
}

/* Boot, say hello, sync clocks, configure the agent, start the workload. */
static int bring_up_once(struct hr_guest *g)
{
	const struct hr_job *j = g->job;
	char names[512];

	hr_guest_set_state(g, HR_GS_BOOTING, NAN);
	hr_info("%s: booting (%d vCPUs, %.0f MiB, accel=%s)", g->name, j->vcpus,
		kib_to_mib(j->memory_kib), hr_accel_names[j->accel]);
	hr_rec_event(g->run->rec, g->name, "boot", "accel=%s rep=%d%s", hr_accel_names[j->accel],
		     g->rep, g->warmup ? " (warm-up)" : "");
	if (boot(g))
		return -1;
	probe_host(g);
	if (g->boot.hp.why[0]) {
		hr_warn("%s: host sampler: %s (those columns stay empty)", g->name, g->boot.hp.why);
		hr_rec_event(g->run->rec, g->name, "host-sampler", "%s", g->boot.hp.why);
	}
	(void)hr_virtio_features_str(g->boot.hello.features, names, sizeof(names));
	hr_info("%s: up in %.1f s under %s, guest kernel %s, balloon features %s", g->name,
		g->boot.boot_ns / 1e9, g->boot.accel == HR_ACCEL_KVM ? "KVM" : "TCG", g->boot.hello.kernel, names);
	hr_rec_event(g->run->rec, g->name, "hello", "accel=%s kernel=%s boot_s=%.3f",
		     g->boot.accel == HR_ACCEL_KVM ? "kvm" : "tcg", g->boot.hello.kernel, g->boot.boot_ns / 1e9);
	if (g->boot.hello.proto != BBP_VERSION)
		return hr_error("%s: agent speaks protocol %" PRIu64 ", this runner %d: rebuild the image",
				g->name, g->boot.hello.proto, BBP_VERSION);
	if (hr_guest_clock_sync(g, CLOCK_PINGS))
		return -1;
	g->boot.conf = (struct bbp_msg){ .type = BBP_CONF };	/* kept: sent again after a reopen */
	if (conf_probe(g, &g->boot.conf.u.conf))
		return -1;
	g->boot.conf.u.conf.fast_hz = (uint64_t)j->sample_hz;
	g->boot.conf.u.conf.slow_hz = (uint64_t)j->idle_hz;
	g->boot.conf.u.conf.idle_ms = 500;
	g->boot.conf.u.conf.watchdog_s = (j->agent_watchdog_us + 999999) / 1000000;	/* kept fed: keepalive() */
	if (hr_guest_send(g, &g->boot.conf))
		return -1;
	g->boot.conf_sent = hr_now_ns();
	if (g->mech->ready(g))
		return -1;
	hr_guest_set_state(g, HR_GS_READY, NAN);
	if (j->workload_name[0] && start_workload(g))
		return -1;
	if (j->prefill_kib && run_fill(g, &g->boot.fills[HR_FILL_PRE], 2, j->prefill_kib, j->warmup_us))
		return -1;
	return 0;
}

void hr_boot_reset(struct hr_boot *b)
{
	memset(b, 0, sizeof(*b));
	b->lifecycle_id = -1;
	b->mech_event_id = -1;
}

void hr_boot_free(struct hr_boot *b)
{
	free(b->gs);
	free(b->hs);
	free(b->lat);
	free(b->fb);
	free(b->ns);
}

/* What one boot left behind: the next boot starts from nothing (its domain dropped first). */
static void forget_boot(struct hr_guest *g)
{
	hr_boot_free(&g->boot);
	hr_boot_reset(&g->boot);
}

/*
 * Bring the guest up; where its agent went silent before anything was
 * measured, give that boot up and boot once more. The silent boot's console
 * is kept (console-<vm>.boot1.log), events.csv says why at the time it
 * happened (rows of samples.csv before it are that boot's), and run.json's
 * guest says boot_retry. A second silence fails the guest.
 */
static int bring_up(struct hr_guest *g)
{
	char kept[sizeof(g->console_path) + 8];
	int r = bring_up_once(g);

	if (!r || !g->boot.silent || hr_stop)
		return r;
	hr_error_take(g->retry_reason, sizeof(g->retry_reason));
	drop_domain(g);
	snprintf(kept, sizeof(kept), "%.*s.boot1.log", (int)(strlen(g->console_path) - 4),
		 g->console_path);
	if (rename(g->console_path, kept)) {
		hr_warn("%s: cannot keep the first boot's console as %s: %s", g->name, kept,
			strerror(errno));
		kept[0] = '\0';
	}
	hr_warn("%s; nothing was measured yet: this boot is given up and the guest booted once more%s%s",
		g->retry_reason, kept[0] ? "; its console: " : "", kept[0] ? strrchr(kept, '/') + 1 : "");
	hr_rec_event(g->run->rec, g->name, "boot-retry", "%s%s%s", g->retry_reason,
		     kept[0] ? "; its console: " : "", kept[0] ? strrchr(kept, '/') + 1 : "");
	forget_boot(g);
	return bring_up_once(g);
}

/* Every scheduled change, from the job's common start. */
static int walk_schedule(struct hr_guest *g, const struct hr_sched_event *ev, size_t nev,
			 size_t *done)
{
	const struct hr_job *j = g->job;
	int64_t t0 = gate_pass(g) + (int64_t)g->index * (int64_t)j->vm_offset_us * 1000;

	for (*done = 0; *done < nev; (*done)++) {
		size_t i = *done;
		int64_t planned = t0 + (int64_t)ev[i].at_us * 1000, deadline = 0;
		struct hr_clock_est keep;

		if (j->pace == HR_PACE_PERIOD && i + 1 < nev)
			deadline = t0 + (int64_t)ev[i + 1].at_us * 1000;
		if (hr_guest_record_until(g, planned))	/* pace: not before its planned time */
			return -1;
		/* A few pings per transition show clock drift in run.json; one offset for the run. */
		keep = g->boot.best;
		if (hr_guest_clock_sync(g, 2))
			return -1;
		g->boot.best = keep;
		if (hr_transition(g, (int)i, per_cycle(j) == SIZE_MAX ? 0 : (int)(i / per_cycle(j)),
				  ev[i].kib, planned, deadline))
			return -1;
	}
	return hr_guest_check(g);
}

static int guest_run(struct hr_guest *g)
{
	struct hr_sched_event *ev = NULL;
	char err[2048];
	size_t nev = 0, done = 0;
	json_t *pl;
	int r;

	if (hr_job_schedule(g->job, g->index, &ev, &nev, err, sizeof(err))) {
		if (g->gate)
			(void)gate_pass(g);	/* never keep the others waiting */
		return hr_error("%s: schedule: %s", g->name, err);
	}
	r = bring_up(g);
	if (r) {
		if (g->gate)
			(void)gate_pass(g);
		free(ev);
		return -1;
	}
	r = walk_schedule(g, ev, nev, &done);
	free(ev);
	if (r)
		return -1;
	if (g->job->refill_kib &&
	    run_fill(g, &g->boot.fills[HR_FILL_RE], 3, g->job->refill_kib, g->job->settle_us))
		return -1;
	hr_guest_set_state(g, HR_GS_STOPPING, NAN);
	if (g->job->workload_name[0])
		stop_workload(g, 2 * (uint64_t)done + 1);	/* "final" epoch */
	pl = g->boot.dom ? hr_layout_placement(g->boot.dom) : NULL;
	if (pl) {
		g->placement = json_dumps(pl, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(pl);
	}
	return hr_guest_check(g);
}

void *hr_guest_thread(void *arg)
{
	struct hr_guest *g = arg;

	if (guest_run(g)) {
		g->failed = 1;
		hr_error_take(g->fail_reason, sizeof(g->fail_reason));
		hr_rec_event(g->run->rec, g->name, "failed", "%s", g->fail_reason);
		hr_guest_set_state(g, HR_GS_FAILED, NAN);
	} else {
		hr_guest_set_state(g, HR_GS_DONE, NAN);
	}
	hr_guest_destroy_domain(g);
	return NULL;
}

/* ---- set-up and accessors (main thread) ---- */

static int make_disk(struct hr_guest *g)
{
	uint64_t size = (g->job->workload.size + (1 << 20) - 1) & ~((1ull << 20) - 1);
	int fd, e;

	snprintf(g->disk_path, sizeof(g->disk_path), "%s/disk-%s.img", g->run->state_dir, g->name);
	fd = open(g->disk_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size)) {
		e = errno;
		if (fd >= 0)
			close(fd);
		return hr_error("cannot create the pagecache disk %s: %s", g->disk_path, strerror(e));
	}
	close(fd);
	return 0;
}

struct hr_guest *hr_guest_new(struct hr_run *run, const struct hr_job *j, int index, int rep,
			      int warmup)
{
	struct hr_guest *g = calloc(1, sizeof(*g));
	size_t o;

	if (!g) {
		hr_error("out of memory");
		return NULL;
	}
	g->run = run;
	g->host = run->cur_host;
	g->job = j;
	g->index = index;
	g->rep = rep;
	g->warmup = warmup;
	g->mech = hr_mech(j);
	hr_boot_reset(&g->boot);
	o = (size_t)snprintf(g->name, sizeof(g->name), "bb-%s-%.16s", run->id + strlen(run->id) - 4,
			     j->name);
	if (j->repeat > 1)
		o += (size_t)snprintf(g->name + o, sizeof(g->name) - o, "-r%d", rep);
	if (j->vms > 1)
		o += (size_t)snprintf(g->name + o, sizeof(g->name) - o, "-v%d", index);
	if (run->fleet->n > 1)	/* the same guest on several hosts: the name says which */
		snprintf(g->name + o, sizeof(g->name) - o, ".%s", g->host->name);
	snprintf(g->console_path, sizeof(g->console_path), "%s/console-%s.log", run->dir, g->name);
	if (!strcmp(j->workload_name, "pagecache") && make_disk(g)) {
		free(g);
		return NULL;
	}
	snprintf(g->snap.name, sizeof(g->snap.name), "%s", g->name);
	g->slot = hr_board_add(run->board, g->name);
	return g;
}

int hr_guest_failed(const struct hr_guest *g, const char **why)
{
	if (why)
		*why = g->fail_reason;
	return g->failed;
}

const char *hr_guest_name(const struct hr_guest *g)
{
	return g->name;
}

size_t hr_guest_transitions(const struct hr_guest *g)
{
	return g->nrows;
}

void hr_guest_free(struct hr_guest *g)
{
	if (!g)
		return;
	drop_domain(g);
	hr_boot_free(&g->boot);
	free(g->trans_dir);
	free(g->placement);
	free(g->rows);
	if (g->disk_path[0])
		(void)unlink(g->disk_path);
	free(g);
}

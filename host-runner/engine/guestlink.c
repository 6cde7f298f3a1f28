// SPDX-License-Identifier: MIT
/*
 * guestlink.c - a guest's link with its agent: everything the agent says
 * arrives through the channel's queue and is applied here (hr_guest_pump);
 * every wait is a pump with a deadline that also ends on a signal, a dead
 * domain, a closed channel or a failed write, and keeps the agent's
 * watchdog fed (keepalive). An agent that goes silent has its channel
 * reopened once a boot and its kernel asked, by Alt-SysRq, what it does.
 * Sending, and the clock's pings.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <linux/input-event-codes.h>

#include "core/agentcheck.h"
#include "core/log.h"
#include "fleet.h"
#include "guestpriv.h"
#include "mech.h"

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

/* ---- the agent says ---- */

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

static void append_gsample(struct hr_guest *g, const struct bbp_sample *s0, uint64_t t_recv)
{
	struct hr_boot *b = &g->boot;
	struct bbp_sample sc = *s0;
	const struct bbp_sample *s = &sc;
	struct hr_gsample x;
	double removed;

	/* after a reset the new agent counts from 0 again: on from the old one's last (lifecycle.c) */
	if (s0->seq > UINT64_MAX - b->lc_seq_base) {
		bad_msg(g, "sample dropped: its sequence number is out of range");
		return;
	}
	sc.seq += b->lc_seq_base;

	if (b->ngs == b->gcap) {
		size_t cap = b->gcap ? b->gcap * 2 : 4096;
		struct hr_gsample *n = realloc(b->gs, cap * sizeof(*n));

		if (!n) {
			bad_msg(g, "out of memory: a sample dropped");
			return;
		}
		b->gs = n;
		b->gcap = cap;
	}
	if (s->src > BBP_SRC_KPROBE) {
		bad_msg(g, "sample dropped: src=%" PRIu64 " (0, 1 or 2 expected)", s->src);
		return;
	}
	if (b->ngs && s->seq <= b->gs[b->ngs - 1].seq) {
		bad_msg(g, "sample dropped: its sequence number went backwards");
		return;
	}
	if (b->lc_gap) {	/* a lifecycle event stood the guest's clock still: not until synced */
		b->lc_gap_samples++;
		b->lc_gap_seq = s->seq;
		return;
	}
	if (b->have_offset) {
		if (hr_guest_time(g, s->t_ns, &x.t_ns)) {
			bad_msg(g, "sample dropped: its time is out of range");
			return;
		}
	} else {
		x.t_ns = (int64_t)(t_recv - g->run->t0_mono_ns);
	}
	if (b->ngs && s->seq > (b->lc_gap_seq > b->gs[b->ngs - 1].seq ? b->lc_gap_seq : b->gs[b->ngs - 1].seq) + 1)
		b->seq_gaps += s->seq - (b->lc_gap_seq > b->gs[b->ngs - 1].seq ? b->lc_gap_seq :
					 b->gs[b->ngs - 1].seq) - 1;
	else if (!b->ngs && s->seq > 0)	/* the agent's first sample is 0: those before were lost */
		b->seq_gaps += s->seq;
	x.guest_ns = s->t_ns;
	x.seq = s->seq;
	x.inflate = s->inflate;
	x.deflate = s->deflate;
	x.oom_kill = s->oom_kill;
	x.total_kib = s->total_kib;
	x.free_kib = s->free_kib;
	b->gs[b->ngs++] = x;
	/* the mechanism's size (balloon_mib): empty until it can be known (virtio-mem: calibrated) */
	removed = g->mech->removed(g, &x);
	hr_samples_guest(g->run->rec, g->name, &x, removed * HR_PAGE_KIB / 1024.0,
			 b->psi_new ? &b->psi : NULL);
	b->psi_new = 0;
}

double hr_guest_balloon_pages(const struct hr_guest *g)
{
	if (!g->boot.ngs)
		return -1;
	return g->mech->removed(g, &g->boot.gs[g->boot.ngs - 1]);
}

/* A COST that breaks the rules of core/agentcheck.h is dropped and counted. */
static int cost_ok(struct hr_guest *g, const struct bbp_cost *c, uint64_t t_recv)
{
	struct hr_boot *b = &g->boot;
	uint64_t t0 = b->ncost ? b->cost_recv : g->run->t0_mono_ns;
	char why[200];

	if (hr_cost_check(b->ncost ? &b->cost_last : NULL, c, t_recv > t0 ? t_recv - t0 : 0,
			  g->job->memory_kib / 1024, why, sizeof(why))) {
		bad_msg(g, "COST dropped: %s", why);
		return 0;
	}
	return 1;
}

static void on_pong(struct hr_guest *g, const struct bbp_pong *p, uint64_t t_recv)
{
	struct hr_boot *b = &g->boot;
	struct hr_clock_est e;

	if (p->id != b->ping_id || !b->ping_sent)
		return;		/* a keepalive's, or a late one */
	if (hr_clock_pair(b->ping_sent, t_recv, p->t_ns, g->run->t0_mono_ns, &e)) {
		bad_msg(g, "PONG with a time out of range dropped");
		return;
	}
	b->est[b->nest++ % 64] = e;
	b->ping_sent = 0;
}

static void apply(struct hr_guest *g, const struct hr_in *in)
{
	struct hr_boot *b = &g->boot;
	const struct bbp_msg *m = &in->u.m;

	switch (in->kind) {
	case HR_IN_BAD:
		bad_msg(g, "malformed message from agent dropped: %s", in->u.text);
		return;
	case HR_IN_HANGUP:
		if (!b->lc_expect_stop)	/* a save's or a shutdown's own end: lifecycle.c's */
			b->hangup = 1;
		return;
	case HR_IN_DEAD:
		if (b->lc_expect_stop)
			return;
		if (!b->dead)	/* the watchdog may have said why already */
			snprintf(b->dead_reason, sizeof(b->dead_reason), "%s", in->u.text);
		b->dead = 1;
		return;
	case HR_IN_MEMDEV:
		hr_mech_on_event(g, in);
		return;
	case HR_IN_MSG:
		b->nmsgs++;
		b->last_msg_ns = in->t_recv;
		break;
	}
	switch (m->type) {
	case BBP_HELLO:
		if (b->have_hello) {	/* a guest that rebooted by itself (on_reboot=restart: a reset's job) */
			if (!b->dead)
				snprintf(b->dead_reason, sizeof(b->dead_reason),
					 "rebooted by itself (a new agent said HELLO; a kernel panic? see its console)");
			b->dead = 1;
			break;
		}
		b->hello = m->u.hello;
		b->have_hello = 1;
		b->have_psi = b->psi_new = 0;	/* a new boot's agent: its PSI counts from its boot */
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
		b->cost_recv = in->t_recv;
		if (!b->ncost++)
			b->cost_first = m->u.cost;
		b->cost_last = m->u.cost;
		break;
	case BBP_HOOK: {
		char why[200];

		if (hr_hook_check(&m->u.hook, why, sizeof(why))) {
			bad_msg(g, "HOOK dropped: %s", why);
			break;
		}
		b->hook = m->u.hook;
		b->have_hook = 1;
		b->hook_entry_us = hr_hook_entry_us(&m->u.hook);
		b->hook_return_us = hr_hook_return_us(&m->u.hook);
		break;
	}
	case BBP_PSI: {
		char why[200];

		if (hr_psi_check(b->have_psi ? &b->psi : NULL, &m->u.psi, why, sizeof(why))) {
			bad_msg(g, "PSI dropped: %s", why);
			break;
		}
		b->psi = m->u.psi;
		b->have_psi = b->psi_new = 1;
		break;
	}
	case BBP_BYE:	/* nothing of this agent comes after: a reboot's or a power off's */
		b->agent_bye = 1;
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

/* ---- the link kept alive, asked, reopened ---- */

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
	const struct hr_boot *b = &g->boot;

	uint64_t from = b->last_msg_ns > b->conf_sent ? b->last_msg_ns : b->conf_sent;

	if (b->lc_quiet_from > from)	/* paused by a lifecycle event until then */
		from = b->lc_quiet_from;
	return hr_now_ns() > from ? hr_now_ns() - from : 0;
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
void hr_guest_ask_kernel(struct hr_guest *g, const char *keys, const char *why, int wait)
{
	static const struct { char c; unsigned code; } map[] = {
		{ '4', KEY_4 }, { '7', KEY_7 }, { 'l', KEY_L }, { 't', KEY_T }, { 'w', KEY_W },
	};
	struct hr_boot *b = &g->boot;
	char seq[16];
	int sent = 0, slot;

	if (!b->dom || b->dead)
		return;
	snprintf(seq, sizeof(seq), "7%s4", keys);
	/* QEMU answers each key at once; one that does not within 10 s is hung */
	slot = hr_wd_arm(g->run->wd, b->dom, b->hp.pid, 10000, "Alt-SysRq");
	for (const char *k = seq; *k; k++) {
		unsigned int codes[3] = { KEY_LEFTALT, KEY_SYSRQ, 0 };

		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (map[i].c == *k)
				codes[2] = map[i].code;
		if (!codes[2] || virDomainSendKey(b->dom, VIR_KEYCODE_SET_LINUX, 50, codes, 3, 0) < 0)
			break;
		sent++;
	}
	if (hr_wd_disarm(g->run->wd, slot) && !hr_stop && !b->dead) {
		b->dead = 1;
		snprintf(b->dead_reason, sizeof(b->dead_reason),
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

/*
 * The channel on a new stream @c: the old stream closed first, the new one
 * opened, and on success made the guest's (the old channel object stays as
 * chan_events the first time: the lifecycle and memory-device callbacks
 * hold it). Returns 0, or -1 with why in @why (@c released).
 */
static int swap_channel(struct hr_guest *g, struct hr_chan *c, char *why, size_t whylen)
{
	struct hr_boot *b = &g->boot;
	virStreamPtr st;

	hr_guest_close_stream(g);
	st = virStreamNew(g->host->conn, VIR_STREAM_NONBLOCK);
	if (!st || hr_chan_open_stream(b->dom, st, c)) {
		if (st)
			hr_error_take(why, whylen);
		else
			snprintf(why, whylen, "cannot create a stream: %s", hr_lv_err());
		if (st)
			virStreamFree(st);
		hr_chan_unref(c);
		return -1;
	}
	if (b->chan_events)
		hr_chan_unref(b->chan);
	else
		b->chan_events = b->chan;
	b->chan = c;
	b->st = st;
	return 0;
}

/*
 * The agent has said nothing for @quiet ns: reopen its channel (once a
 * boot). The old stream is closed as hr_guest_drop_domain closes it; its channel
 * object stays as chan_events (the lifecycle and memory-device callbacks
 * hold it) and is drained with the new one. Said in events.csv either way.
 */
static void reopen_channel(struct hr_guest *g, uint64_t quiet)
{
	struct hr_boot *b = &g->boot;
	struct hr_chan *c = hr_chan_new(g->name);
	char why[512] = "";
	int had = hr_error_pending();

	b->reopened = 1;
	b->reopen_ns = hr_now_ns();
	b->reopen_seq = b->ngs ? b->gs[b->ngs - 1].seq : UINT64_MAX;
	b->reopen_vcpu_ms = vcpu_ms_now(g);
	if (!c)
		return;
	if (swap_channel(g, c, why, sizeof(why))) {
		hr_warn("%s: the agent said nothing for %.1f s; reopening its channel failed: %s",
			g->name, (double)quiet / 1e9, why);
		hr_rec_event(g->run->rec, g->name, "channel-reopen", "failed after %.1f s of silence: %s",
			     (double)quiet / 1e9, why);
		b->hangup = 1;	/* no stream left: the guest cannot go on */
		return;
	}
	/*
	 * CONF again tells the agent that the channel was reopened (it may not
	 * see the port close and open): it says again what the host must not
	 * miss. A failed send leaves the silence to run on.
	 */
	if (hr_guest_send(g, &b->conf)) {
		if (!had)
			hr_error_take(why, sizeof(why));
	} else {
		hr_guest_go_again(g);	/* and the GO that may have been lost */
	}
	hr_warn("%s: the agent said nothing for %.1f s: its channel reopened (%s)", g->name,
		(double)quiet / 1e9, hr_conn_event_thread_note());
	hr_rec_event(g->run->rec, g->name, "channel-reopen",
		     "the agent said nothing for %.1f s; %s; QEMU's vCPU time %" PRId64 " ms",
		     (double)quiet / 1e9, hr_conn_event_thread_note(), b->reopen_vcpu_ms);
}

int hr_guest_reattach(struct hr_guest *g, int conf)
{
	struct hr_boot *b = &g->boot;
	struct hr_chan *c = hr_chan_new(g->name);
	char why[512] = "";

	if (!c)
		return hr_error("%s: out of memory", g->name);
	if (swap_channel(g, c, why, sizeof(why)))
		return hr_error("%s: cannot reopen the agent's channel: %s", g->name, why);
	if (!conf)
		return 0;
	if (hr_guest_send(g, &b->conf))	/* the agent says again what the host must not miss */
		return -1;
	hr_guest_go_again(g);		/* and the GO that may have been lost */
	return 0;
}

int hr_guest_follow(struct hr_guest *g, struct hr_host *h, virDomainPtr dom)
{
	struct hr_boot *b = &g->boot;
	struct hr_chan *c = hr_chan_new(g->name);
	virStreamPtr st;

	/* the old connection's callbacks, stream and domain go: that QEMU is gone */
	hr_mech_detach(g);
	if (b->lifecycle_id >= 0) {
		(void)virConnectDomainEventDeregisterAny(g->host->conn, b->lifecycle_id);
		b->lifecycle_id = -1;
	}
	hr_guest_close_stream(g);
	if (b->dom)
		virDomainFree(b->dom);
	b->dom = dom;
	g->host = h;
	if (!c)
		return hr_error("%s: out of memory", g->name);
	st = virStreamNew(h->conn, VIR_STREAM_NONBLOCK);
	if (!st || hr_chan_attach(g->run, dom, st, c, &b->lifecycle_id)) {
		char why[512];

		if (st) {
			hr_error_take(why, sizeof(why));
			(void)virStreamAbort(st);	/* opened, its callback not added: the daemon's side too */
			virStreamFree(st);
		} else {
			snprintf(why, sizeof(why), "cannot create a stream: %s", hr_lv_err());
		}
		hr_chan_unref(c);
		return hr_error("%s: cannot follow the domain to host %s: %s", g->name, h->name, why);
	}
	/* the old channels: drained by the caller; the callbacks that held them are gone */
	hr_chan_unref(b->chan_events);
	b->chan_events = NULL;
	hr_chan_unref(b->chan);
	b->chan = c;
	b->st = st;
	if (g->job->mechanism != HR_MECH_BALLOON)
		hr_mech_listen(g);
	if (hr_guest_send(g, &b->conf))	/* the agent says again what the host must not miss */
		return -1;
	hr_guest_go_again(g);		/* and the GO that may have been lost */
	return 0;
}

void hr_guest_pump(struct hr_guest *g, uint64_t deadline)
{
	struct hr_boot *b = &g->boot;
	struct hr_in *in;

	if (!b->chan)
		return;
	keepalive(g);
	in = (struct hr_in *)hr_queue_pop_or_stop(&b->chan->q, deadline, &hr_stop);
	while (in) {
		hr_qwait_add(&g->qwait, hr_now_ns() - in->t_recv);
		apply(g, in);
		free(in);
		in = (struct hr_in *)hr_queue_pop(&b->chan->q, 0);
	}
	while (b->chan_events && (in = (struct hr_in *)hr_queue_pop(&b->chan_events->q, 0))) {
		hr_qwait_add(&g->qwait, hr_now_ns() - in->t_recv);
		apply(g, in);
		free(in);
	}
	/* after the queues are drained: last_msg_ns is what the event thread last heard */
	if (b->conf_sent && !b->silent) {
		uint64_t quiet = quiet_ns(g);

		if (quiet > SILENCE_NS) {
			b->silent = 1;
			hr_guest_ask_kernel(g, "lt", "the agent silent for 15 s", 1);
		} else if (quiet > NUDGE_NS && !b->reopened && b->dom && !b->dead && !b->hangup) {
			hr_guest_ask_kernel(g, "lw", "the agent silent for 4 s", 0);
			reopen_channel(g, quiet);
		}
	}
	if (b->reopened == 1 && b->last_msg_ns > b->reopen_ns) {
		char last[48] = "the start: the first is seq 0";

		if (b->reopen_seq != UINT64_MAX)
			snprintf(last, sizeof(last), "seq %" PRIu64, b->reopen_seq);
		b->reopened = 2;
		hr_warn("%s: the agent speaks again, %.0f ms after its channel was reopened", g->name,
			(double)(b->last_msg_ns - b->reopen_ns) / 1e6);
		hr_rec_event(g->run->rec, g->name, "channel-recovered",
			     "the agent spoke again %.0f ms after the reopen; what its port held then is "
			     "lost: the samples show it as a gap in seq (after %s), counted in run.json's "
			     "sample_gaps; %s", (double)(b->last_msg_ns - b->reopen_ns) / 1e6, last, vcpu_note(g));
	}
	if (hr_now_ns() - g->last_publish > PUBLISH_NS)
		hr_guest_publish(g);
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
	struct hr_boot *b = &g->boot;
	uint64_t deadline = hr_now_ns() + 3000000000ull;

	while (!b->dead && b->dom && hr_now_ns() < deadline && !hr_stop) {
		int state = 0, reason = 0;

		if (virDomainGetState(b->dom, &state, &reason, 0) == 0 && state != VIR_DOMAIN_RUNNING &&
		    state != VIR_DOMAIN_PAUSED && state != VIR_DOMAIN_BLOCKED) {
			b->dead = 1;
			snprintf(b->dead_reason, sizeof(b->dead_reason), "%s",
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
	struct hr_boot *b = &g->boot;
	char why[PATH_MAX + 160];

	if (hr_stop)
		return hr_error("interrupted by a signal");
	if (hr_rec_failed(g->run->rec, why, sizeof(why)))
		return hr_error("%s", why);
	if (b->silent && !b->dead && !b->hangup)
		return hr_error("%s: the agent has sent nothing for %.0f s (once configured it sends samples "
				"at least 10 times a second)%s%s; %s; the guest's console has the agent's own "
				"view", g->name, (double)quiet_ns(g) / 1e9, b->reopened ? ", also after its channel was reopened; " : "",
				b->reopened ? vcpu_note(g) : "", hr_conn_event_thread_note());
	if (b->dead || b->hangup) {
		char panic[300];

		if (!b->dead)
			hr_guest_domain_gone(g);
		hr_console_panic(g->console_path, panic, sizeof(panic));
		return hr_error("%s: %s%s%s%s", g->name, b->dead ? "the domain " : "",
				b->dead ? b->dead_reason : "the guest closed the agent channel",
				panic[0] ? "; guest console: " : "", panic);
	}
	return 0;
}

/* ---- sending ---- */

int hr_guest_send(struct hr_guest *g, const struct bbp_msg *m)
{
	struct hr_boot *b = &g->boot;
	char buf[BBP_MAX_LINE + 1];
	int n = bbp_encode(buf, sizeof(buf), m), off = 0;
	uint64_t deadline = hr_now_ns() + 1000000000ull;

	if (n < 0)
		return hr_error("%s: cannot encode %s for the agent (too long?)", g->name,
				bbp_type_name(m->type));
	if (!b->st)
		return hr_error("%s: no agent channel", g->name);
	if ((b->dead || b->hangup) && hr_guest_check(g))
		return -1;	/* why the guest is gone, not the stream's "broken pipe" */
	while (off < n) {
		int r = virStreamSend(b->st, buf + off, (size_t)(n - off));

		if (r > 0) {
			off += r;
		} else if (r == -2 && hr_now_ns() < deadline && !hr_stop) {
			hr_guest_pump(g, hr_now_ns() + 1000000ull);	/* full: let the agent read */
		} else {
			char lv[512];

			/*
			 * A stream that broke as QEMU died: the domain's end is
			 * the cause, its event maybe not taken yet (a loaded
			 * host); libvirt's reason first, the next call resets it.
			 */
			snprintf(lv, sizeof(lv), "%s", r == -2 ? "channel full for 1 s" : hr_lv_err());
			if (r != -2)
				hr_guest_domain_gone(g);
			if ((b->dead || b->hangup) && hr_guest_check(g))
				return -1;
			return hr_error("%s: cannot send %s to the agent: %s", g->name,
					bbp_type_name(m->type), lv);
		}
	}
	b->last_send = hr_now_ns();
	return 0;
}

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

/* ---- the clock ---- */

/* One PING and its PONG within @wait_ns: 1 answered, 0 not in time, -1 the guest is gone. */
int hr_guest_ping(struct hr_guest *g, uint64_t wait_ns)
{
	struct hr_boot *b = &g->boot;
	struct bbp_msg m = { .type = BBP_PING };
	uint64_t deadline;
	int nest = b->nest, sent_at = -1;	/* sent_at: b->reopened when the ping went */

	if (hr_guest_check(g))
		return -1;
	deadline = hr_now_ns() + wait_ns;
	for (;;) {
		if (sent_at < 0 || (b->reopened == 1 && sent_at != 1)) {
			/* first, and again after a reopened channel: the answer may be lost with the port's queue */
			m.u.ping.id = ++b->ping_id;
			b->ping_sent = hr_now_ns();
			if (hr_guest_send(g, &m))
				return -1;
			sent_at = b->reopened;
		}
		if (b->nest != nest || b->dead || b->hangup || b->silent || hr_stop ||
		    hr_now_ns() >= deadline)
			break;
		/* in slices: the keepalive and the silence rule are looked at between them */
		hr_guest_pump(g, deadline - hr_now_ns() > 250000000ull ? hr_now_ns() + 250000000ull : deadline);
	}
	if (b->nest == nest)
		return b->silent && hr_guest_check(g) ? -1 : 0;	/* silent: the reason is the silence */
	const struct hr_clock_est *e = &b->est[(b->nest - 1) % 64];

	if (!b->have_offset || e->rtt_ns < b->best.rtt_ns)
		b->best = *e;
	b->have_offset = 1;
	return 1;
}

/*
 * @pings round trips for the clock. A round trip that takes long only
 * widens its own error bound (the best one is kept), so a short wait each;
 * where none came back, one last ping waits before the guest is called
 * unresponsive: PING_LAST_NS for an agent that speaks but does not answer;
 * for a configured agent that says nothing at all, until the silence rule
 * decides (SILENCE_NS without a word), as everywhere else. A starved guest
 * is the common case of the second: the agent calibrates for 0.3 s and
 * more after CONF, and a CI run saw a guest on a host crowded by 16 others
 * say nothing for 6 s after it, its own loop stalled for 3.
 */
#define PING_LAST_NS	5000000000ull
int hr_guest_clock_sync(struct hr_guest *g, int pings)
{
	const struct hr_boot *b = &g->boot;
	/* a daemon's answer passes through its process (and ssh): more room */
	uint64_t wait = g->host->embedded ? 500000000ull : 2000000000ull, last = PING_LAST_NS;
	int got = 0, r;

	for (int i = 0; i < pings; i++) {
		if ((r = hr_guest_ping(g, wait)) < 0)
			return -1;
		got += r;
	}
	if (got)
		return 0;
	if (b->conf_sent && !b->silent) {
		uint64_t quiet = quiet_ns(g);

		if (quiet < SILENCE_NS && SILENCE_NS - quiet + 1000000000ull > last)
			last = SILENCE_NS - quiet + 1000000000ull;	/* past the silence rule's moment */
	}
	if ((r = hr_guest_ping(g, last)) < 0)
		return -1;
	if (!r)
		return hr_error("%s: the agent answered none of %d pings (the last waited %.0f s)",
				g->name, pings + 1, (double)last / 1e9);
	return 0;
}

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
		if (hr_stop || g->dead || g->hangup)
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
	if (g->ngs) {
		const struct hr_gsample *a = &g->gs[g->ngs - 1], *b = a;

		for (size_t i = g->ngs; i-- > 0 && a->t_ns - g->gs[i].t_ns < 250000000;)
			b = &g->gs[i];
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
	return hr_clock_to_run(guest_ns, g->best.offset_ns, g->run->t0_mono_ns, t);
}

/* Something the agent sent was refused: count it, say so the first five times. */
static void bad_msg(struct hr_guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bad_msg(struct hr_guest *g, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (g->bad_msgs++ >= 5)
		return;
	va_start(ap, fmt);
	hr_vfmt(what, sizeof(what), fmt, ap);
	va_end(ap);
	hr_warn("%s: %s", g->name, what);
}

static void append_gsample(struct hr_guest *g, const struct bbp_sample *s, uint64_t t_recv)
{
	struct hr_gsample x;
	double removed;

	if (g->ngs == g->gcap) {
		size_t cap = g->gcap ? g->gcap * 2 : 4096;
		struct hr_gsample *n = realloc(g->gs, cap * sizeof(*n));

		if (!n) {
			bad_msg(g, "out of memory: a sample dropped");
			return;
		}
		g->gs = n;
		g->gcap = cap;
	}
	if (s->src > BBP_SRC_KPROBE) {
		bad_msg(g, "sample dropped: src=%" PRIu64 " (0, 1 or 2 expected)", s->src);
		return;
	}
	if (g->ngs && s->seq <= g->gs[g->ngs - 1].seq) {
		bad_msg(g, "sample dropped: its sequence number went backwards");
		return;
	}
	if (g->have_offset) {
		if (hr_guest_time(g, s->t_ns, &x.t_ns)) {
			bad_msg(g, "sample dropped: its time is out of range");
			return;
		}
	} else {
		x.t_ns = (int64_t)(t_recv - g->run->t0_mono_ns);
	}
	if (g->ngs && s->seq > g->gs[g->ngs - 1].seq + 1)
		g->seq_gaps += s->seq - g->gs[g->ngs - 1].seq - 1;
	else if (!g->ngs && s->seq > 0)	/* the agent's first sample is 0: those before were lost */
		g->seq_gaps += s->seq;
	x.guest_ns = s->t_ns;
	x.seq = s->seq;
	x.inflate = s->inflate;
	x.deflate = s->deflate;
	x.oom_kill = s->oom_kill;
	x.total_kib = s->total_kib;
	x.free_kib = s->free_kib;
	g->gs[g->ngs++] = x;
	/* the mechanism's size (balloon_mib): empty until it can be known (virtio-mem: calibrated) */
	removed = g->mech->removed(g, &x);
	hr_samples_guest(g->run->rec, g->name, &x, removed * HR_PAGE_KIB / 1024.0);
}

/* A COST that breaks the rules of core/agentcheck.h is dropped and counted. */
static int cost_ok(struct hr_guest *g, const struct bbp_cost *c, uint64_t t_recv)
{
	uint64_t t0 = g->ncost ? g->cost_recv : g->run->t0_mono_ns;
	char why[200];

	if (hr_cost_check(g->ncost ? &g->cost_last : NULL, c, t_recv > t0 ? t_recv - t0 : 0,
			  g->job->memory_kib / 1024, why, sizeof(why))) {
		bad_msg(g, "COST dropped: %s", why);
		return 0;
	}
	return 1;
}

static void on_pong(struct hr_guest *g, const struct bbp_pong *p, uint64_t t_recv)
{
	struct hr_clock_est e;

	if (p->id != g->ping_id || !g->ping_sent)
		return;		/* a keepalive's, or a late one */
	if (hr_clock_pair(g->ping_sent, t_recv, p->t_ns, g->run->t0_mono_ns, &e)) {
		bad_msg(g, "PONG with a time out of range dropped");
		return;
	}
	g->est[g->nest++ % 64] = e;
	g->ping_sent = 0;
}

static void apply(struct hr_guest *g, const struct hr_in *in)
{
	const struct bbp_msg *m = &in->u.m;

	switch (in->kind) {
	case HR_IN_BAD:
		bad_msg(g, "malformed message from agent dropped: %s", in->u.text);
		return;
	case HR_IN_HANGUP:
		g->hangup = 1;
		return;
	case HR_IN_DEAD:
		if (!g->dead)	/* the watchdog may have said why already */
			snprintf(g->dead_reason, sizeof(g->dead_reason), "%s", in->u.text);
		g->dead = 1;
		return;
	case HR_IN_MEMDEV:
		hr_mech_on_event(g, in);
		return;
	case HR_IN_MSG:
		g->nmsgs++;
		g->last_msg_ns = in->t_recv;
		break;
	}
	switch (m->type) {
	case BBP_HELLO:
		g->hello = m->u.hello;
		g->have_hello = 1;
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
		g->cost_recv = in->t_recv;
		if (!g->ncost++)
			g->cost_first = m->u.cost;
		g->cost_last = m->u.cost;
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

	if (sending || !g->st || !g->last_send ||
	    hr_now_ns() - g->last_send <= g->job->agent_watchdog_us * 1000 / 6)
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
	return hr_now_ns() - (g->last_msg_ns > g->conf_sent ? g->last_msg_ns : g->conf_sent);
}

static int64_t vcpu_ms_now(struct hr_guest *g)
{
	struct hr_hostfig f;

	if (!g->dom)
		return -1;
	hr_hostprobe_read(&g->hp, g->host->conn, g->dom, &f);
	return f.vcpu_ms;
}

/* What QEMU's vCPUs did since the reopen: a spinning guest, or one that waits. */
static const char *vcpu_note(struct hr_guest *g)
{
	static _Thread_local char note[128];
	int64_t now = vcpu_ms_now(g);
	double s = (double)(hr_now_ns() - g->reopen_ns) / 1e9;

	if (g->reopen_vcpu_ms < 0 || now < 0 || s <= 0)
		snprintf(note, sizeof(note), "QEMU's vCPU time unknown");
	else
		snprintf(note, sizeof(note), "QEMU's vCPUs used %.0f %% of a core since the reopen",
			 (double)(now - g->reopen_vcpu_ms) / 10.0 / s);
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

	if (!g->dom || g->dead)
		return;
	snprintf(seq, sizeof(seq), "7%s4", keys);
	/* QEMU answers each key at once; one that does not within 10 s is hung */
	slot = hr_wd_arm(g->run->wd, g->dom, g->hp.pid, 10000, "Alt-SysRq");
	for (const char *k = seq; *k; k++) {
		unsigned int codes[3] = { KEY_LEFTALT, KEY_SYSRQ, 0 };

		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (map[i].c == *k)
				codes[2] = map[i].code;
		if (!codes[2] || virDomainSendKey(g->dom, VIR_KEYCODE_SET_LINUX, 50, codes, 3, 0) < 0)
			break;
		sent++;
	}
	if (hr_wd_disarm(g->run->wd, slot) && !hr_stop && !g->dead) {
		g->dead = 1;
		snprintf(g->dead_reason, sizeof(g->dead_reason),
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

	g->reopened = 1;
	g->reopen_ns = hr_now_ns();
	g->reopen_seq = g->ngs ? g->gs[g->ngs - 1].seq : UINT64_MAX;
	g->reopen_vcpu_ms = vcpu_ms_now(g);
	if (!c)
		return;
	close_stream(g);
	st = virStreamNew(g->host->conn, VIR_STREAM_NONBLOCK);
	if (!st || hr_chan_open_stream(g->dom, st, c)) {
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
		g->hangup = 1;	/* no stream left: the guest cannot go on */
		return;
	}
	if (g->chan_events)
		hr_chan_unref(g->chan);	/* cannot happen: once a boot */
	else
		g->chan_events = g->chan;
	g->chan = c;
	g->st = st;
	/*
	 * CONF again tells the agent that the channel was reopened (it may not
	 * see the port close and open): it says again what the host must not
	 * miss. A failed send leaves the silence to run on.
	 */
	if (hr_guest_send(g, &g->conf) && !had)
		hr_error_take(why, sizeof(why));
	hr_warn("%s: the agent said nothing for %.1f s: its channel reopened (%s)", g->name,
		(double)quiet / 1e9, hr_conn_event_thread_note());
	hr_rec_event(g->run->rec, g->name, "channel-reopen",
		     "the agent said nothing for %.1f s; %s; QEMU's vCPU time %" PRId64 " ms",
		     (double)quiet / 1e9, hr_conn_event_thread_note(), g->reopen_vcpu_ms);
}

void hr_guest_pump(struct hr_guest *g, uint64_t deadline)
{
	struct hr_in *in;

	if (!g->chan)
		return;
	keepalive(g);
	in = (struct hr_in *)hr_queue_pop_or_stop(&g->chan->q, deadline, &hr_stop);
	while (in) {
		apply(g, in);
		free(in);
		in = (struct hr_in *)hr_queue_pop(&g->chan->q, 0);
	}
	while (g->chan_events && (in = (struct hr_in *)hr_queue_pop(&g->chan_events->q, 0))) {
		apply(g, in);
		free(in);
	}
	/* after the queues are drained: last_msg_ns is what the event thread last heard */
	if (g->conf_sent && !g->silent) {
		uint64_t quiet = quiet_ns(g);

		if (quiet > SILENCE_NS) {
			g->silent = 1;
			ask_kernel(g, "lt", "the agent silent for 15 s", 1);
		} else if (quiet > NUDGE_NS && !g->reopened && g->dom && !g->dead && !g->hangup) {
			ask_kernel(g, "lw", "the agent silent for 4 s", 0);
			reopen_channel(g, quiet);
		}
	}
	if (g->reopened == 1 && g->last_msg_ns > g->reopen_ns) {
		char last[48] = "the start: the first is seq 0";

		if (g->reopen_seq != UINT64_MAX)
			snprintf(last, sizeof(last), "seq %" PRIu64, g->reopen_seq);
		g->reopened = 2;
		hr_warn("%s: the agent speaks again, %.0f ms after its channel was reopened", g->name,
			(double)(g->last_msg_ns - g->reopen_ns) / 1e6);
		hr_rec_event(g->run->rec, g->name, "channel-recovered",
			     "the agent spoke again %.0f ms after the reopen; what its port held then is "
			     "lost: the samples show it as a gap in seq (after %s), counted in run.json's "
			     "sample_gaps; %s", (double)(g->last_msg_ns - g->reopen_ns) / 1e6, last, vcpu_note(g));
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

	while (!g->dead && g->dom && hr_now_ns() < deadline && !hr_stop) {
		int state = 0, reason = 0;

		if (virDomainGetState(g->dom, &state, &reason, 0) == 0 && state != VIR_DOMAIN_RUNNING &&
		    state != VIR_DOMAIN_PAUSED && state != VIR_DOMAIN_BLOCKED) {
			g->dead = 1;
			snprintf(g->dead_reason, sizeof(g->dead_reason), "%s",
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
	if (g->silent && !g->dead && !g->hangup)
		return hr_error("%s: the agent has sent nothing for %.0f s (once configured it sends samples "
				"at least 10 times a second)%s%s; %s; the guest's console has the agent's own "
				"view", g->name, (double)quiet_ns(g) / 1e9, g->reopened ? ", also after its channel was reopened; " : "",
				g->reopened ? vcpu_note(g) : "", hr_conn_event_thread_note());
	if (g->dead || g->hangup) {
		char panic[300];

		if (!g->dead)
			hr_guest_domain_gone(g);
		hr_console_panic(g->console_path, panic, sizeof(panic));
		return hr_error("%s: %s%s%s%s", g->name, g->dead ? "the domain " : "",
				g->dead ? g->dead_reason : "the guest closed the agent channel",
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
	if (!g->st)
		return hr_error("%s: no agent channel", g->name);
	if ((g->dead || g->hangup) && hr_guest_check(g))
		return -1;	/* why the guest is gone, not the stream's "broken pipe" */
	while (off < n) {
		int r = virStreamSend(g->st, buf + off, (size_t)(n - off));

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
	g->last_send = hr_now_ns();
	return 0;
}

/*
 * A call that waits for QEMU's answer, under the run's watchdog: QEMU that
 * does not answer within give-up (at most 10 s) is taken for hung and its
 * domain destroyed; the guest then fails with that reason. Returns 0 or -1.
 */
int hr_guest_qemu_call(struct hr_guest *g, enum hr_qemu_call call, uint64_t *kib)
{
	uint64_t ms = g->job->give_up_us / 1000;
	int slot, r;

	if (ms > 10000)
		ms = 10000;
	slot = hr_wd_arm(g->run->wd, g->dom, g->hp.pid, ms < 1000 ? 1000 : ms,
			 g->mech->what[call]);
	if (call == QEMU_ACTUAL)
		r = g->mech->host_actual(g, kib);
	else
		r = g->mech->set_target(g->dom, g->job, *kib);
	if (hr_wd_disarm(g->run->wd, slot) && !hr_stop && !g->dead) {
		g->dead = 1;
		snprintf(g->dead_reason, sizeof(g->dead_reason),
			 "was destroyed: QEMU did not answer %s within %.0f s (stopped or hung)",
			 g->mech->what[call], (double)(ms < 1000 ? 1000 : ms) / 1e3);
	}
	return r;
}

void hr_guest_poll_host(struct hr_guest *g)
{
	struct hr_hsample h;

	if (!g->dom || hr_guest_qemu_call(g, QEMU_ACTUAL, &h.actual_kib))
		return;
	hr_hostprobe_read(&g->hp, g->host->conn, g->dom, &h.fig);
	h.t_ns = hr_run_time(g->run);
	if (g->nhs == g->hcap) {
		size_t cap = g->hcap ? g->hcap * 2 : 1024;
		struct hr_hsample *n = realloc(g->hs, cap * sizeof(*n));

		if (!n)
			return;
		g->hs = n;
		g->hcap = cap;
	}
	g->hs[g->nhs++] = h;
	hr_samples_host(g->run->rec, g->name, &h, g->job->memory_kib);
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
	if (!g->ngs)
		return -1;
	return g->mech->removed(g, &g->gs[g->ngs - 1]);
}

/* One PING and its PONG within @wait_ns: 1 answered, 0 not in time, -1 the guest is gone. */
static int ping_once(struct hr_guest *g, uint64_t wait_ns)
{
	struct bbp_msg m = { .type = BBP_PING };
	uint64_t deadline;
	int nest = g->nest, sent_at = -1;	/* sent_at: g->reopened when the ping went */

	if (hr_guest_check(g))
		return -1;
	deadline = hr_now_ns() + wait_ns;
	for (;;) {
		if (sent_at < 0 || (g->reopened == 1 && sent_at != 1)) {
			/* first, and again after a reopened channel: the answer may be lost with the port's queue */
			m.u.ping.id = ++g->ping_id;
			g->ping_sent = hr_now_ns();
			if (hr_guest_send(g, &m))
				return -1;
			sent_at = g->reopened;
		}
		if (g->nest != nest || g->dead || g->hangup || hr_stop || hr_now_ns() >= deadline)
			break;
		hr_guest_pump(g, deadline);
	}
	if (g->nest == nest)
		return 0;
	const struct hr_clock_est *e = &g->est[(g->nest - 1) % 64];

	if (!g->have_offset || e->rtt_ns < g->best.rtt_ns)
		g->best = *e;
	g->have_offset = 1;
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
	if (!g->st)
		return;
	(void)virStreamEventRemoveCallback(g->st);
	hr_chan_stream_removed(g->chan);
	(void)virStreamAbort(g->st);
	virStreamFree(g->st);
	g->st = NULL;
}

static void drop_domain(struct hr_guest *g)
{
	if (g->dom && !g->dead && virDomainIsActive(g->dom) == 1)
		close_stream(g);
	if (g->dom) {
		/*
		 * After a signal or a failure QEMU may be stopped or hung: libvirt's
		 * destroy would send it SIGTERM and wait. Kill it at once when it
		 * runs here; libvirt then only cleans up.
		 */
		if ((hr_stop || g->failed || g->dead) && g->hp.pid > 0 && !g->hp.gone &&
		    hr_pid_is_qemu(g->hp.pid))
			(void)kill(g->hp.pid, SIGKILL);
		if (virDomainDestroy(g->dom) < 0 && virDomainIsActive(g->dom) == 1)
			hr_err("%s: could not destroy the domain: %s", g->name, hr_lv_err());
		g->hp.gone = 1;		/* its pid is not to be killed again (a retried boot's is another) */
	}
	close_stream(g);
	hr_mech_detach(g);
	if (g->lifecycle_id >= 0) {
		(void)virConnectDomainEventDeregisterAny(g->host->conn, g->lifecycle_id);
		g->lifecycle_id = -1;
	}
	if (g->dom) {
		virDomainFree(g->dom);
		g->dom = NULL;
	}
	hr_chan_unref(g->chan);
	g->chan = NULL;
	hr_chan_unref(g->chan_events);
	g->chan_events = NULL;
}

void hr_guest_destroy_domain(struct hr_guest *g)
{
	if (g && g->dom) {
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
	g->dead = g->hangup = g->have_hello = 0;
	g->chan = hr_chan_new(g->name);
	(void)unlink(g->console_path);
	hr_debug("%s: domain XML:\n%s", g->name, xml);
	slot = hr_wd_arm_start(g->run->wd, g->host->uri, g->name);
	g->dom = g->chan ? virDomainCreateXML(g->host->conn, xml,
		g->host->embedded ? 0 : VIR_DOMAIN_START_AUTODESTROY) : NULL;
	free(xml);
	if (hr_wd_disarm(g->run->wd, slot)) {
		g->dead = 1;	/* killed as it started: torn down as a dead domain is */
		snprintf(g->dead_reason, sizeof(g->dead_reason), "was killed as it started (a signal came)");
	}
	if (!g->dom) {
		if (hr_stop)
			snprintf(why, wlen, "interrupted while booting");
		else
			snprintf(why, wlen, "libvirt could not start it: %s", hr_lv_err());
		drop_domain(g);
		return -1;
	}
	/* for a kill that need not wait for QEMU (drop_domain); hr_hostprobe_init asks QEMU later */
	g->hp.pid = qemu_pid(g);
	g->hp.gone = 0;
	g->st = virStreamNew(g->host->conn, VIR_STREAM_NONBLOCK);
	if (!g->st || hr_chan_attach(g->run, g->dom, g->st, g->chan, &g->lifecycle_id)) {
		if (!g->st)
			snprintf(why, wlen, "cannot create a stream: %s", hr_lv_err());
		else
			hr_error_take(why, wlen);
		drop_domain(g);
		return -1;
	}
	while (!g->have_hello && !g->dead && !g->hangup && !hr_stop && hr_now_ns() < deadline)
		hr_guest_pump(g, deadline);
	if (g->have_hello) {
		g->boot_ns = (int64_t)(hr_now_ns() - t0);
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
	else if (g->dead)
		snprintf(why, wlen, "the domain %s during boot (%s console line: %s)",
			 g->dead_reason, panic[0] ? "panic" : "last", console);
	else if (g->hangup)
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
		snprintf(g->accel_note, sizeof(g->accel_note),
			 "accel=auto: no KVM on this host; running under TCG");
		return 0;
	}
	if (!g->run->reprobe_kvm && hr_kvm_known_broken(g->run, key, why, sizeof(why))) {
		snprintf(g->accel_note, sizeof(g->accel_note),
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
		g->accel = HR_ACCEL_KVM;
		return 0;
	}
	if (j->accel == HR_ACCEL_AUTO) {
		if (!kvm_worth_trying(g, kvm_ok, key)) {
			/* said below */
		} else if (boot_once(g, HR_ACCEL_KVM, j->kvm_boot_timeout_us, why, sizeof(why))) {
			if (hr_stop)
				return hr_error("%s: interrupted while booting", g->name);
			hr_kvm_mark_broken(g->run, key, why);
			snprintf(g->accel_note, sizeof(g->accel_note),
				 "accel=auto: KVM is present but the guest did not boot under it (%.400s); retrying under TCG",
				 why);
		} else {
			g->accel = HR_ACCEL_KVM;
			snprintf(g->accel_note, sizeof(g->accel_note), "accel=auto: KVM works");
			return 0;
		}
		/* once a run: every guest's own note is in run.json (vms[].accel_note) */
		if (!atomic_exchange(&g->run->tcg_warned, 1)) {
			hr_warn("%s: %s", g->name, g->accel_note);
			hr_warn("TCG is software emulation: expect figures 10-100x below a KVM host's "
				"(said once a run; each guest's reason is in run.json)");
		}
	}
	if (boot_once(g, HR_ACCEL_TCG, j->boot_timeout_us, why, sizeof(why)))
		return hr_error("%s: the guest did not boot under TCG: %s", g->name, why);
	g->accel = HR_ACCEL_TCG;
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

	if (g->last_msg_ns)
		snprintf(latest, sizeof(latest), ", the latest %.1f s ago",
			 (double)(hr_now_ns() - g->last_msg_ns) / 1e9);
	pong = ping_once(g, 3000000000ull);
	if (pong < 0)
		return -1;
	if (!pong)
		ask_kernel(g, "lt", "the workload did not start", 1);
	if (!pong && g->nmsgs == nmsgs0)
		g->silent = 1;	/* not a word since RUN: bring_up may boot once more */
	return hr_error("%s: workload '%s' did not start within %.1f s; meanwhile the agent sent %zu samples"
			" and %" PRIu64 " messages in all%s, and a ping then %s; %s (see events.csv and "
			"console-%s.log)", g->name, g->job->workload_spec, (double)waited / 1e9,
			g->ngs - ngs0, g->nmsgs - nmsgs0, latest,
			pong ? "was answered" : "was not answered within 3 s", hr_conn_event_thread_note(),
			g->name);
}

/* Start the job's workload (host id 1) and let it run `warmup` at rest. */
static int start_workload(struct hr_guest *g)
{
	const struct hr_job *j = g->job;
	struct bbp_msg m = { .type = BBP_RUN };
	uint64_t t0, deadline, nmsgs0 = g->nmsgs;
	size_t ngs0 = g->ngs;

	m.u.run.w = 1;
	if ((size_t)snprintf(m.u.run.spec, sizeof(m.u.run.spec), "%s", j->workload_spec) >=
	    sizeof(m.u.run.spec))
		return hr_error("%s: workload '%s' is too long to send to the agent (at most %zu characters)",
				g->name, j->workload_spec, sizeof(m.u.run.spec) - 1);
	if (hr_guest_send(g, &m))
		return -1;
	/* 10 s, and twice what this guest took to boot: a loaded host is slow at both */
	t0 = hr_now_ns();
	deadline = t0 + 10000000000ull + 2 * (uint64_t)g->boot_ns;
	while (!g->wl_started && !g->wl_exited && hr_now_ns() < deadline) {
		if (hr_guest_check(g))
			return -1;
		hr_guest_pump(g, hr_now_ns() + 50000000ull);
	}
	if (!g->wl_started && g->wl_exited)
		return hr_error("%s: workload '%s' could not start: the agent says %s (code %" PRIu64
				"; its message is in events.csv)", g->name, j->workload_spec,
				g->wexit.code < 200 ? strerror((int)g->wexit.code) : "an unknown error",
				g->wexit.code);
	if (!g->wl_started)
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
	while (!g->wl_exited && hr_now_ns() < deadline && !hr_guest_check(g))
		hr_guest_pump(g, hr_now_ns() + 50000000ull);
	hr_wl_write_rest(g);
}

/* ---- fills: touched memory, freed (prefill), and touched again (refill) ---- */

const struct hr_hsample *hr_guest_host_at(const struct hr_guest *g, int64_t t,
					  int64_t (*what)(const struct hr_hsample *))
{
	const struct hr_hsample *best = NULL;

	for (size_t i = 0; i < g->nhs; i++) {
		if (what(&g->hs[i]) < 0)
			continue;
		if (g->hs[i].t_ns <= t || !best)
			best = &g->hs[i];
		if (g->hs[i].t_ns > t)
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
	for (size_t i = 0; i < g->nhs; i++)
		if (g->hs[i].t_ns >= f->t_free && hr_hsample_held(&g->hs[i]) >= 0 &&
		    (low < 0 || hr_hsample_held(&g->hs[i]) < low))
			low = hr_hsample_held(&g->hs[i]);
	if (low < 0 || f->rss_at_free < 0)
		return;
	f->drop_mib = (double)(f->rss_at_free - low) / 1024;
	for (size_t i = 0; i < g->nhs; i++) {
		const struct hr_hsample *h = &g->hs[i];

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

	if (g->hello.kprobe > 2)
		return hr_error("%s: HELLO kprobe=%" PRIu64 ": 0, 1 or 2 expected", g->name,
				g->hello.kprobe);
	if (p < 0 || p >= HR_PROBE_N)
		return hr_error("%s: probe option out of range", g->name);
	if (p == HR_PROBE_KPROBE && !g->hello.kprobe)
		return hr_error("%s: probe=kprobe, but the guest agent could not open kprobe events "
				"(its log in events.csv says why; probe=auto polls instead)", g->name);
	c->probe = wire[p];
	hr_rec_event(g->run->rec, g->name, "probe-source", "asked %s; kprobe events %s",
		     hr_probe_names[p], g->hello.kprobe == 2 ? "on tell_host's return" :
		     g->hello.kprobe == 1 ? "on tell_host's entry" : "unavailable");
	return 0;
}

/*
 * Find QEMU's process (hr_hostprobe_init asks QEMU: query-cpus-fast) under
 * the watchdog: a QEMU that does not answer in 10 s, or a signal, ends it.
 */
static void probe_host(struct hr_guest *g)
{
	int slot = hr_wd_arm(g->run->wd, g->dom, g->hp.pid, 10000, "query-cpus-fast");

	hr_hostprobe_init(&g->hp, g->host->conn, g->dom, g->host->local);
	if (hr_wd_disarm(g->run->wd, slot) && !hr_stop && !g->dead) {
		g->dead = 1;
		snprintf(g->dead_reason, sizeof(g->dead_reason),
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
	if (g->hp.why[0]) {
		hr_warn("%s: host sampler: %s (those columns stay empty)", g->name, g->hp.why);
		hr_rec_event(g->run->rec, g->name, "host-sampler", "%s", g->hp.why);
	}
	(void)hr_virtio_features_str(g->hello.features, names, sizeof(names));
	hr_info("%s: up in %.1f s under %s, guest kernel %s, balloon features %s", g->name,
		g->boot_ns / 1e9, g->accel == HR_ACCEL_KVM ? "KVM" : "TCG", g->hello.kernel, names);
	hr_rec_event(g->run->rec, g->name, "hello", "accel=%s kernel=%s boot_s=%.3f",
		     g->accel == HR_ACCEL_KVM ? "kvm" : "tcg", g->hello.kernel, g->boot_ns / 1e9);
	if (g->hello.proto != BBP_VERSION)
		return hr_error("%s: agent speaks protocol %" PRIu64 ", this runner %d: rebuild the image",
				g->name, g->hello.proto, BBP_VERSION);
	if (hr_guest_clock_sync(g, CLOCK_PINGS))
		return -1;
	g->conf = (struct bbp_msg){ .type = BBP_CONF };	/* kept: sent again after a reopen */
	if (conf_probe(g, &g->conf.u.conf))
		return -1;
	g->conf.u.conf.fast_hz = (uint64_t)j->sample_hz;
	g->conf.u.conf.slow_hz = (uint64_t)j->idle_hz;
	g->conf.u.conf.idle_ms = 500;
	g->conf.u.conf.watchdog_s = (j->agent_watchdog_us + 999999) / 1000000;	/* kept fed: keepalive() */
	if (hr_guest_send(g, &g->conf))
		return -1;
	g->conf_sent = hr_now_ns();
	if (g->mech->ready(g))
		return -1;
	hr_guest_set_state(g, HR_GS_READY, NAN);
	if (j->workload_name[0] && start_workload(g))
		return -1;
	if (j->prefill_kib && run_fill(g, &g->fills[HR_FILL_PRE], 2, j->prefill_kib, j->warmup_us))
		return -1;
	return 0;
}

/* What one boot left behind: the next boot starts from nothing. */
static void forget_boot(struct hr_guest *g)
{
	for (int i = 0; i < HR_NFILLS; i++) {
		uint64_t kib = g->fills[i].kib;

		memset(&g->fills[i], 0, sizeof(g->fills[i]));
		g->fills[i].kib = kib;
	}
	memset(&g->hello, 0, sizeof(g->hello));
	memset(&g->best, 0, sizeof(g->best));
	memset(&g->cost_first, 0, sizeof(g->cost_first));
	memset(&g->cost_last, 0, sizeof(g->cost_last));
	memset(&g->wexit, 0, sizeof(g->wexit));
	g->dead_reason[0] = '\0';
	g->have_hello = g->dead = g->hangup = g->have_offset = g->nest = 0;
	g->bad_msgs = g->seq_gaps = g->ping_sent = g->last_send = 0;
	g->ngs = g->nhs = 0;
	g->nmsgs = g->last_msg_ns = g->conf_sent = 0;
	g->silent = g->host_via_stats = g->ncost = 0;
	g->reopened = 0;
	g->reopen_ns = g->reopen_seq = 0;
	g->cost_recv = 0;
	g->have_cal = g->wl_started = g->wl_exited = 0;
	g->nlat = g->nfb = g->nns = 0;
	g->eend = 0;
	g->nooms = 0;
	g->mech_reserve_kib = 0;
	g->mech_calibrated = 0;
	g->nmech_ev = 0;
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

	if (!r || !g->silent || hr_stop)
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
		keep = g->best;
		if (hr_guest_clock_sync(g, 2))
			return -1;
		g->best = keep;
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
	    run_fill(g, &g->fills[HR_FILL_RE], 3, g->job->refill_kib, g->job->settle_us))
		return -1;
	hr_guest_set_state(g, HR_GS_STOPPING, NAN);
	if (g->job->workload_name[0])
		stop_workload(g, 2 * (uint64_t)done + 1);	/* "final" epoch */
	pl = g->dom ? hr_layout_placement(g->dom) : NULL;
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
		return hr_error("cannot create the %s disk %s: %s", g->job->workload_name,
				g->disk_path, strerror(e));
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
	g->lifecycle_id = -1;
	g->mech = hr_mech(j);
	g->mech_event_id = -1;
	o = (size_t)snprintf(g->name, sizeof(g->name), "bb-%s-%.16s", run->id + strlen(run->id) - 4,
			     j->name);
	if (j->repeat > 1)
		o += (size_t)snprintf(g->name + o, sizeof(g->name) - o, "-r%d", rep);
	if (j->vms > 1)
		o += (size_t)snprintf(g->name + o, sizeof(g->name) - o, "-v%d", index);
	if (run->fleet->n > 1)	/* the same guest on several hosts: the name says which */
		snprintf(g->name + o, sizeof(g->name) - o, ".%s", g->host->name);
	snprintf(g->console_path, sizeof(g->console_path), "%s/console-%s.log", run->dir, g->name);
	if ((wl_flags(j->workload_name) & WL_F_DISK) && make_disk(g)) {
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
	free(g->gs);
	free(g->hs);
	free(g->lat);
	free(g->fb);
	free(g->trans_dir);
	free(g->ns);
	free(g->placement);
	free(g->rows);
	if (g->disk_path[0])
		(void)unlink(g->disk_path);
	free(g);
}

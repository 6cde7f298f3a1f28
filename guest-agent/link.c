// SPDX-License-Identifier: MIT
/*
 * link.c - the agent's link to the host (link.h): the output queue, HELLO,
 * and the host's messages.
 *
 * Samples leave in SB batches, one write (one VM exit) every BBP_FLUSH_MS
 * while sampling fast; answers leave at once.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent.h"
#include "faults.h"
#include "link.h"
#include "sampler.h"
#include "watch.h"

int ga_send_msg(struct agent *a, const struct bbp_msg *m)
{
	char line[BBP_MAX_LINE + 1];
	int n = bbp_encode(line, sizeof(line), m);

	if (n < 0)
		return -1;
	if (a->q.len + (size_t)n > sizeof(a->q.out))
		return -1;
	memcpy(a->q.out + a->q.len, line, (size_t)n);
	a->q.len += (size_t)n;
	return 0;
}

int ga_send_reliable(void *opaque, const struct bbp_msg *m)
{
	struct agent *a = opaque;

	for (int tries = 0; tries < 200; tries++) {
		if (!ga_send_msg(a, m))
			return 0;
		ga_flush_out(a);
		if (!ga_send_msg(a, m))
			return 0;
		usleep(1000);
	}
	a->link.dropped++;
	return -1;
}

void ga_send_log(struct agent *a, unsigned level, const char *fmt, ...)
{
	struct bbp_msg m = { .type = BBP_LOG };
	va_list ap;

	m.u.log.level = level;
	va_start(ap, fmt);
	vsnprintf(m.u.log.msg, sizeof(m.u.log.msg), fmt, ap);
	va_end(ap);
	ga_say("%s", m.u.log.msg);
	(void)ga_send_msg(a, &m);
}

void ga_encode_pending(struct agent *a)
{
	uint64_t t0;
	size_t done = 0;

	if (!a->q.npend)
		return;
	t0 = now_ns();
	while (done < a->q.npend) {
		char line[BBP_MAX_LINE + 1];
		size_t used = 0;
		int n = bbp_encode_batch(line, sizeof(line), a->q.pend + done, a->q.npend - done, &used);

		if (n <= 0 || !used) {	/* cannot happen: one sample always fits */
			a->link.dropped += a->q.npend - done;
			break;
		}
		if (a->q.len + (size_t)n > sizeof(a->q.out)) {
			a->link.dropped += used;
		} else {
			memcpy(a->q.out + a->q.len, line, (size_t)n);
			a->q.len += (size_t)n;
		}
		done += used;
	}
	a->q.npend = 0;
	a->smp.sample_ns += now_ns() - t0;
}

void ga_flush_out(struct agent *a)
{
	ga_encode_pending(a);
	if (ga_fault_hooked(GA_HOOK_OUT) && ga_fault_hold_out(a))
		return;		/* a stalled channel, for the runner's tests: all stays queued */
	while (a->q.len) {
		ssize_t n = write(a->fix.port, a->q.out, a->q.len);

		if (n <= 0)
			return;	/* EAGAIN or host gone: keep it for later */
		a->link.writes++;
		memmove(a->q.out, a->q.out + n, a->q.len - (size_t)n);
		a->q.len -= (size_t)n;
		atomic_fetch_add_explicit(&ga_watch.written, (uint64_t)n, memory_order_relaxed);
	}
}

void ga_outq_drop(struct agent *a)
{
	a->link.dropped += a->q.npend;
	a->q = (struct ga_outq){ 0 };
}

/*
 * Write what is queued: at once for answers, when much is queued, and while
 * sampling slowly; while sampling fast every FLUSH_NS (every write is a
 * virtqueue kick, a VM exit), and at once when fast sampling ends.
 */
void ga_maybe_flush(struct agent *a, uint64_t now)
{
	int fast = a->link.configured && current_hz(a, now) == a->conf.fast_hz;
	int ended = a->link.was_fast && !fast;

	a->link.was_fast = fast;
	if (!a->q.len && !a->q.npend)
		return;
	if (a->link.urgent || a->q.len >= FLUSH_BYTES || !fast || ended ||
	    now - a->link.last_flush >= FLUSH_NS) {
		ga_flush_out(a);
		a->link.last_flush = now;
		a->link.urgent = 0;
	}
}

/* The balloon device's negotiated feature bits (virtio device id 5). */
static void balloon_features(char *buf, size_t size)
{
	DIR *d = opendir("/sys/bus/virtio/devices");
	struct dirent *e;

	snprintf(buf, size, "none");
	while (d && (e = readdir(d))) {
		char p[300], id[32];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/virtio/devices/%s/device", e->d_name);
		if (ga_read_small(p, id, sizeof(id)) || strtoul(id, NULL, 0) != 5)
			continue;
		snprintf(p, sizeof(p), "/sys/bus/virtio/devices/%s/features", e->d_name);
		if (ga_read_small(p, buf, size))
			snprintf(buf, size, "unknown");
		break;
	}
	if (d)
		closedir(d);
}

void ga_send_hello(struct agent *a)
{
	struct bbp_msg m = { .type = BBP_HELLO };
	struct bbp_hello *h = &m.u.hello;
	struct utsname u;
	struct sysinfo si;

	h->proto = BBP_VERSION;
	snprintf(h->agent, sizeof(h->agent), "%s", AGENT_VERSION);
	if (!uname(&u))
		snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
	if (!sysinfo(&si))
		h->mem_kib = (uint64_t)si.totalram * si.mem_unit / 1024;
	h->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	h->cpus = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN);
	if (ga_read_small("/sys/devices/system/node/online", h->nodes, sizeof(h->nodes)))
		snprintf(h->nodes, sizeof(h->nodes), "0");
	balloon_features(h->features, sizeof(h->features));
	ga_balloon_mode(a, h->features);
	if (ga_read_small("/sys/devices/system/clocksource/clocksource0/current_clocksource",
			  h->clocksource, sizeof(h->clocksource)))
		snprintf(h->clocksource, sizeof(h->clocksource), "unknown");
	h->fast_hz = a->conf.fast_hz;
	h->slow_hz = a->conf.slow_hz;
	h->t_ns = mono_ns();
	h->kprobe = a->kp.ev.ok ? a->kp.ev.retprobe ? 2 : 1 : 0;
	h->vmem_kprobe = (uint64_t)a->kp.ev.vm_ok;
	(void)ga_send_msg(a, &m);
	if (!a->kp.ev.ok)
		ga_send_log(a, 2, "kprobe events: %s: the probe polls", a->kp.ev.why);
	if (a->smp.bal_mode == 3)
		ga_send_log(a, a->kp.ev.vm_ok ? 2 : 1, "virtio-mem kprobe events: %s",
			    a->kp.ev.vm_ok ? "on virtio_mem_send_(un)plug_request's entry and return" :
			    a->kp.ev.vm_why);
}

/*
 * CONF once configured: the host reopened the channel after a silence (a
 * stalled port's queue, which QEMU drops then). What the host must not miss
 * goes again: the latest workload starts and ends.
 */
static void conf_again(struct agent *a)
{
	ga_say("CONF again: the host reopened the channel");
	if (ga_fault_hooked(GA_HOOK_CONF_AGAIN))
		ga_fault_conf_again(a);
	wlm_say_again(&a->wlm);
	a->link.urgent = 1;
}

/* CONF: the rates, the watchdog and the probe, replaced as one; the first CONF starts the sampling. */
static void on_conf(struct agent *a, const struct bbp_conf *c)
{
	uint64_t probe;

	if (!c->fast_hz || !c->slow_hz || c->fast_hz > 100000 || c->kp_hz > 100000) {
		ga_send_log(a, 1, "CONF: rates must be 1..100000 Hz, kept %" PRIu64 "/%" PRIu64,
			    a->conf.fast_hz, a->conf.slow_hz);
		return;
	}
	probe = ga_conf_probe(a, c->probe);
	a->conf = (struct ga_conf){
		.fast_hz = c->fast_hz,
		.slow_hz = c->slow_hz,
		.idle_ns = c->idle_ms * 1000000ull,
		.watchdog_ns = c->watchdog_s * NSEC,
		.probe = probe,
		.kp_hz = c->kp_hz ? c->kp_hz : c->fast_hz,
	};
	if (a->link.configured) {
		conf_again(a);
	} else {
		wlm_calibrate(&a->wlm);
		ga_probe_costs(a);
		ga_hook_cost(a);
		ga_say_balloon_driver(a);
		a->link.configured_ns = now_ns();
	}
	a->link.configured = 1;
	a->smp.next_sample = now_ns();
}

void ga_on_line(const char *line, size_t len, void *opaque)
{
	struct agent *a = opaque;
	struct bbp_msg m, r;
	char err[128];
	uint64_t now = now_ns();

	a->link.last_host = now;
	if (bbp_decode(line, len, &m, err, sizeof(err))) {
		ga_send_log(a, 1, "bad message from host: %s", err);
		return;
	}
	switch (m.type) {
	case BBP_PING:
		r.type = BBP_PONG;
		r.u.pong.id = m.u.ping.id;
		r.u.pong.t_ns = mono_ns();	/* for the clock offset: the real clock */
		(void)ga_send_msg(a, &r);
		a->link.urgent = 1;
		break;
	case BBP_FAST:
		ga_sampler_fast(a, m.u.fast.ms, now);
		break;
	case BBP_CONF:
		on_conf(a, &m.u.conf);
		break;
	case BBP_QUIT:
		a->link.quit = GA_QUIT_OFF;
		break;
	case BBP_REBOOT:
		ga_say("REBOOT from the host: restarting cleanly");
		a->link.quit = GA_QUIT_REBOOT;
		break;
	case BBP_RUN:
		ga_say("workload %" PRIu64 ": '%s' asked", m.u.run.w, m.u.run.spec);
		if (!a->wlm.calibrated)
			wlm_calibrate(&a->wlm);
		wlm_run(&a->wlm, &m.u.run);
		a->link.urgent = 1;
		break;
	case BBP_STOPW:
		wlm_stop(&a->wlm, m.u.stopw.w);
		break;
	case BBP_GO:
		wlm_go(&a->wlm, m.u.go.w, m.u.go.since_ns);
		break;
	case BBP_PHASE:
		wlm_phase(&a->wlm, m.u.phase.e);
		a->link.urgent = 1;
		break;
	default:
		ga_send_log(a, 1, "unexpected %s from host", bbp_type_name(m.type));
		break;
	}
}

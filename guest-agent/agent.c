// SPDX-License-Identifier: MIT
/*
 * balloonbench guest agent: /init of the guest image (or a program started by
 * another init, with --port).
 *
 * As PID 1 it mounts /proc, /sys and /dev, loads the kernel modules the image
 * lists (init.c), finds the virtio-serial port named BBP_PORT_NAME, says
 * HELLO (link.c) and then samples the balloon counters (sampler.c), fast
 * while the balloon moves and slowly while it rests, answering the host's
 * commands (protocol: common/proto.h). This file is its loop: what is due,
 * and when to wake next. agent.h lists the other files.
 *
 * It must not disturb what it measures: its memory is locked (mlockall), it
 * never blocks on the port (samples are dropped and counted when the port is
 * full), and it is the one process the OOM killer must not pick
 * (oom_score_adj -1000). Samples leave in SB batches, one write (one VM exit)
 * every BBP_FLUSH_MS.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "faults.h"
#include "init.h"
#include "link.h"
#include "pwrbtn.h"
#include "sampler.h"
#include "watch.h"

static struct agent agent;

/* Until the first CONF (HELLO says the rates). */
static const struct ga_conf conf_defaults = {
	.fast_hz = 1000,
	.slow_hz = 10,
	.idle_ns = 500000000ull,
	.probe = BBP_PROBE_UNSAID,
};

/* What the stall watch sees of this turn of the loop: relaxed stores, no clock read. */
static void watch_turn(const struct agent *a, uint64_t now)
{
	atomic_fetch_add_explicit(&ga_watch.turns, 1, memory_order_relaxed);
	atomic_store_explicit(&ga_watch.queued, a->q.len, memory_order_relaxed);
	atomic_store_explicit(&ga_watch.samples, a->smp.seq, memory_order_relaxed);
	atomic_store_explicit(&ga_watch.now, now, memory_order_relaxed);
	atomic_store_explicit(&ga_watch.next, a->smp.next_sample, memory_order_relaxed);
	atomic_store_explicit(&ga_watch.connected, a->link.host_connected, memory_order_relaxed);
	atomic_store_explicit(&ga_watch.configured, a->link.configured, memory_order_relaxed);
}

/*
 * What is due at @now: samples, the workloads, COST once a second (and a
 * clock sync after it), the watchdog. Returns the time now: after a COST the
 * clock is read again.
 */
static uint64_t run_due(struct agent *a, uint64_t now)
{
	ga_sample_due(a, now);
	if (a->link.configured)
		wlm_poll(&a->wlm, now, current_hz(a, now) == a->conf.fast_hz);
	if (a->link.configured && now >= a->smp.next_cost) {
		ga_send_cost(a, now);
		ga_send_psi(a, now);
		ga_clock_sync();
		now = now_ns();
		a->smp.next_cost = now + NSEC;
	}
	if (a->conf.watchdog_ns && now - a->link.last_host > a->conf.watchdog_ns) {
		ga_send_log(a, 0, "host silent for %" PRIu64 " s: powering off",
			    a->conf.watchdog_ns / NSEC);
		ga_flush_out(a);
		ga_power_off(a);
	}
	return now;
}

/* When the loop must wake next: the earliest of what will be due. */
static uint64_t wake_at(const struct agent *a, uint64_t now)
{
	uint64_t deadline = a->link.configured ? a->smp.next_sample : now + 50000000ull;

	if (a->kp.on && moving(a, now) && deadline > a->kp.next_drain)
		deadline = a->kp.next_drain;
	if (deadline > a->smp.next_cost)
		deadline = a->smp.next_cost;
	if (a->link.configured && deadline > wlm_next_deadline(&a->wlm))
		deadline = wlm_next_deadline(&a->wlm);
	if ((a->q.len || a->q.npend) && deadline > a->link.last_flush + FLUSH_NS)
		deadline = a->link.last_flush + FLUSH_NS;
	if (!a->link.host_connected && deadline > now + 20000000ull)
		deadline = now + 20000000ull;
	return deadline;
}

static void serve(struct agent *a)
{
	char buf[4096];

	ga_clock_sync();
	a->smp.next_cost = now_ns() + NSEC;
	while (!a->link.quit) {
		uint64_t now = now_ns(), deadline;
		struct pollfd fds[5] = { { .fd = a->fix.port, .events = POLLIN } }, *pfd = fds;
		struct timespec ts;
		int r, nfd = 1;

		watch_turn(a, now);
		now = run_due(a, now);
		ga_maybe_flush(a, now);
		if (a->q.len && a->q.len >= FLUSH_BYTES)
			pfd->events |= POLLOUT;
		deadline = wake_at(a, now);
		ts.tv_sec = deadline > now ? (time_t)((deadline - now) / NSEC) : 0;
		ts.tv_nsec = deadline > now ? (long)((deadline - now) % NSEC) : 0;
		for (int k = 0; k < a->fix.npwrbtn; k++)
			fds[nfd++] = (struct pollfd){ .fd = a->fix.pwrbtn[k], .events = POLLIN };
		/* With no host on the other end the port polls as HUP: the power button only. */
		r = ppoll(a->link.host_connected ? fds : fds + 1,
			  (nfds_t)(a->link.host_connected ? nfd : nfd - 1), &ts, NULL);
		if (r < 0 && errno != EINTR)
			break;
		for (int k = 1; k < nfd; k++)
			if ((fds[k].revents & POLLIN) && ga_pwrbtn_pressed(fds[k].fd) && !a->link.quit) {
				ga_send_log(a, 2, "the ACPI power button: powering off");
				a->link.quit = GA_QUIT_OFF;
			}
		if (a->link.quit)
			break;
		if (!a->link.host_connected || (pfd->revents & POLLHUP)) {
			struct pollfd probe = { .fd = a->fix.port, .events = POLLIN };

			(void)poll(&probe, 1, 0);
			a->link.host_connected = !(probe.revents & POLLHUP);
			if (a->link.host_connected)
				a->link.last_host = now_ns();
			continue;
		}
		if (pfd->revents & POLLIN) {
			ssize_t n = read(a->fix.port, buf, sizeof(buf));

			if (n > 0)
				bbp_reader_feed(&a->link.rd, buf, (size_t)n, ga_on_line, a);
		}
		if (a->link.urgent || (pfd->revents & POLLOUT))
			ga_maybe_flush(a, now_ns());
	}
	if (a->link.quit) {	/* this agent's last line: what the host hears after is a new agent's */
		struct bbp_msg bye = { .type = BBP_BYE };

		(void)ga_send_msg(a, &bye);
	}
	ga_flush_out(a);
}

int main(int argc, char **argv)
{
	struct agent *a = &agent;
	char port[300] = "", cmd[4096];
	const char *v;
	int stage2 = 0, r, idle;

	a->conf = conf_defaults;
	a->fix.page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	r = ga_parse_args(argc, argv, port, sizeof(port), &stage2);
	if (r >= 0)
		return r;
	if (getpid() == 1 && !stage2)
		ga_pid1_start();
	(void)signal(SIGPIPE, SIG_IGN);
	ga_open_io(a, port, sizeof(port));
	ga_settle();
	if (ga_read_small("/proc/cmdline", cmd, sizeof(cmd)))
		cmd[0] = '\0';
	ga_arm_watchdog(a, cmd);
	bbp_reader_init(&a->link.rd);
	wlm_init(&a->wlm, ga_send_reliable, a);
	/*
	 * bb.kprobe= (job option cmdline), for bench/probe-cost.sh's arms:
	 * entry: tell_host's entry, to compare the two; open: under probe=poll
	 * the events stay open, hit every batch, and are never read (what the
	 * hooks cost the kernel alone); idle: the same, on getppid instead (what
	 * open events cost without a hit while the balloon moves), and
	 * virtio-mem's request events are not opened
	 */
	v = ga_cmdline_arg(cmd, "bb.kprobe=");
	idle = ga_cmdline_is(v, "idle");
	(void)kp_open(&a->kp.ev, ga_cmdline_is(v, "entry"), idle);
	a->kp.ev.keep_open = idle || ga_cmdline_is(v, "open");
	v = ga_cmdline_arg(cmd, "bb.hookcost=");
	a->kp.ev.hc_more = ga_cmdline_is(v, "more");
	ga_faults_parse(cmd);
	/* virtio-mem's requests, where it has a device (a test fault may keep them closed) */
	if (ga_fault_hooked(GA_HOOK_VMEM_OPEN))
		snprintf(a->kp.ev.vm_why, sizeof(a->kp.ev.vm_why),
			 "not opened: bb.vmem_kprobe=0 on the kernel command line (a test fault)");
	else if (idle)
		snprintf(a->kp.ev.vm_why, sizeof(a->kp.ev.vm_why), "not opened: bb.kprobe=idle");
	else
		(void)kp_vm_open(&a->kp.ev);
	a->fix.npwrbtn = ga_pwrbtn_open(a->fix.pwrbtn, 4);
	ga_send_hello(a);
	ga_watch_start();
	serve(a);
	if (a->link.quit == GA_QUIT_REBOOT)
		ga_reboot(a);
	ga_power_off(a);
}

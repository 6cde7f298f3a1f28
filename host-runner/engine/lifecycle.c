// SPDX-License-Identifier: MIT
/*
 * lifecycle.c - the lifecycle events' engine rows (core/lifecycle.h has the
 * pure table): per kind, inject it and wait for its end with a deadline;
 * then the checks every event gets (the agent answers, the balloon is at its
 * target or set again, the memory accounting, the integrity workload's
 * verified memory and mismatches over the event), the lifecycle.csv row,
 * its events.csv line, and the end table. Runs in the guest's controller
 * thread (guestpriv.h).
 *
 * A pause or a restore stands the guest's clock still: the agent's samples
 * from the resume on are left out (b->lc_gap, counted) until the clock is
 * synchronised again, so none is placed at a wrong time and none is
 * invented; the offset's step is recorded.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/libvirt-qemu.h>
#include <linux/input-event-codes.h>

#include "core/lifecycle.h"
#include "core/log.h"
#include "core/scenario.h"
#include "fleet.h"
#include "guestpriv.h"
#include "mech.h"
#include "run.h"
#include "workloads/workload.h"

#define MS(ns)		((double)(ns) / 1e6)
#define SEC_NS		1000000000ull
#define AGENT_WAIT_NS	(5 * SEC_NS)	/* the agent must answer a ping within this after an event */
#define BACK_WAIT_NS	(5 * SEC_NS)	/* the balloon back at its target before it is set again */
#define FLOOR_STILL_NS	(3 * SEC_NS)	/* floor: no progress this long, the balloon stopped */
#define FLOOR_STEP_KIB	(8 * 1024)	/* floor: the descent's step */
#define INTEG_WAIT_NS	(30 * SEC_NS)	/* integrity: one full pass after the event within this */
#define LV_CALL_MS	10000		/* suspend, resume: QEMU answers within this */
#define SAVE_CALL_MS	300000		/* save, restore: the image is written or read within this */
#define MIG_SLACK_MS	60000		/* migrate: ends within timeout= plus this, else the source goes */

struct lc_ctx {
	struct hr_lc_row *r;
	const struct hr_lc_event *e;
	uint64_t target_kib;		/* what the balloon must be at after it */
	int64_t t_end;			/* the event's end (run time) */
	uint64_t integ_pages0, integ_bad0, nbad0, oom0;
	int integ;			/* the workload verifies memory (IV seen) */
	int wl_alive;			/* the workload ran at the event's start */
};

typedef int (*lc_fn)(struct hr_guest *g, struct lc_ctx *c);

static int64_t now_run(const struct hr_guest *g)
{
	return hr_run_time(g->run);
}

/* The guest's size by its latest sample (MiB); NAN before any. */
static double guest_mib(const struct hr_guest *g)
{
	double p = hr_guest_balloon_pages(g);

	return p < 0 ? NAN : ((double)g->job->memory_kib - p * HR_PAGE_KIB) / 1024.0;
}

static double bt_pages(const struct hr_guest *g, uint64_t target_kib)
{
	return ((double)g->job->memory_kib - (double)target_kib) / HR_PAGE_KIB;
}

static uint64_t oom_now(const struct hr_guest *g)
{
	return g->boot.ngs ? g->boot.gs[g->boot.ngs - 1].oom_kill : 0;
}

static void failf(struct hr_lc_row *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The row failed: the first reason is kept (later ones are appended while room lasts). */
static void failf(struct hr_lc_row *r, const char *fmt, ...)
{
	size_t o = strlen(r->reason);
	va_list ap;

	if (r->ok && o) {	/* what the event did goes after what failed */
		char keep[sizeof(r->reason)];

		snprintf(keep, sizeof(keep), "%s", r->reason);
		r->reason[0] = '\0';
		va_start(ap, fmt);
		hr_vfmt(r->reason, sizeof(r->reason), fmt, ap);
		va_end(ap);
		o = strlen(r->reason);
		snprintf(r->reason + o, sizeof(r->reason) - o, "; %s", keep);
	} else {
		if (o && o + 2 < sizeof(r->reason)) {
			memcpy(r->reason + o, "; ", 3);
			o += 2;
		}
		va_start(ap, fmt);
		hr_vfmt(r->reason + o, sizeof(r->reason) - o, fmt, ap);
		va_end(ap);
	}
	r->ok = 0;
}

static void notef(struct hr_lc_row *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What the event did, for the reason column (after any failure). */
static void notef(struct hr_lc_row *r, const char *fmt, ...)
{
	size_t o = strlen(r->reason);
	va_list ap;

	if (o && o + 2 < sizeof(r->reason)) {
		memcpy(r->reason + o, "; ", 3);
		o += 2;
	}
	va_start(ap, fmt);
	hr_vfmt(r->reason + o, sizeof(r->reason) - o, fmt, ap);
	va_end(ap);
}

/* ---- waits ---- */

/* Host samples and the agent's messages until @until (hr_now_ns), or the guest is gone. */
static int tick(struct hr_guest *g, uint64_t until)
{
	uint64_t period = SEC_NS / (uint64_t)g->job->host_hz, next = hr_now_ns() + period;

	if (hr_guest_check(g))
		return -1;
	hr_guest_poll_host(g);
	hr_guest_pump(g, next < until ? next : until);
	return 0;
}

/*
 * A fresh guest sample within HR_GRANULE of @target_kib before @deadline
 * (hr_now_ns): 1, 0 not, -1 the guest is gone.
 */
static int at_target(struct hr_guest *g, uint64_t target_kib, uint64_t deadline)
{
	double bt = bt_pages(g, target_kib);
	size_t seen = g->boot.ngs;

	for (;;) {
		if (g->boot.ngs > seen && fabs(hr_guest_balloon_pages(g) - bt) <= HR_GRANULE)
			return 1;
		if (hr_now_ns() >= deadline)
			return 0;
		if (tick(g, deadline))
			return -1;
	}
}

static int set_target(struct hr_guest *g, uint64_t *kib)
{
	char lv[512];

	*kib = g->mech->def->round(g->job, *kib);
	if (!hr_guest_qemu_call(g, QEMU_SET_TARGET, kib))
		return 0;
	snprintf(lv, sizeof(lv), "%s", hr_lv_err());
	if (hr_guest_check(g))
		return -1;
	return hr_error("cannot set the target to %" PRIu64 " MiB: %s", *kib / 1024, lv);
}

/* ---- the clock, and integrity's flush ---- */

/*
 * The guest's clock stood still (a pause, a restore): samples are left out
 * (lc_gap, set by the caller at the resume) until a new offset is taken.
 */
static int resync(struct hr_guest *g, struct lc_ctx *c, uint64_t gap0)
{
	struct hr_boot *b = &g->boot;
	int64_t old = b->best.offset_ns;
	int had = b->have_offset, r;

	b->lc_gap = 1;
	b->have_offset = 0;
	r = hr_guest_clock_sync(g, 3);
	if (!b->have_offset) {	/* none came back: the old one, rather than none */
		b->have_offset = had;
		if (!r)
			r = -1;
	}
	b->lc_gap = 0;
	c->r->gap_samples = (int64_t)(b->lc_gap_samples - gap0);
	if (r) {
		char why[256];

		hr_error_take(why, sizeof(why));
		if (hr_guest_check(g))
			return -1;
		failf(c->r, "the clock could not be synchronised again: %s", why);
		return 0;
	}
	c->r->clock_step_ms = MS(b->best.offset_ns - old);
	return 0;
}

/*
 * Ask the workload what it verified so far: a PHASE of the current epoch
 * (its label unchanged: the epoch goes on, wlhost.c writes nothing at its
 * EEND), and wait up to 2 s for that EEND. 0, or -1: the guest is gone.
 */
static int flush(struct hr_guest *g)
{
	struct hr_boot *b = &g->boot;
	uint64_t deadline = hr_now_ns() + 2 * SEC_NS;
	int want;

	if (!g->job->workload_name[0] || b->wl_exited || !b->wl_started)
		return 0;
	want = b->lc_flushes++;
	if (hr_guest_send_phase(g, 2 * (uint64_t)g->ntrans_dir, WL_STEADY))
		return -1;
	while (b->lc_flushes > want && hr_now_ns() < deadline)
		if (tick(g, deadline))
			return -1;
	return 0;
}

/* ---- the events ---- */

/* Suspend (or resume, @up) under the watchdog. 0, or -1 with libvirt's reason in @why. */
static int suspend(struct hr_guest *g, int up, char *why, size_t len)
{
	struct hr_boot *b = &g->boot;
	int slot = hr_wd_arm(g->run->wd, b->dom, b->hp.pid, LV_CALL_MS, up ? "resume" : "suspend");
	int r = up ? virDomainResume(b->dom) : virDomainSuspend(b->dom);

	if (r < 0)
		snprintf(why, len, "%s", hr_lv_err());
	if (hr_wd_disarm(g->run->wd, slot) && !hr_stop && !b->dead) {
		b->dead = 1;
		snprintf(b->dead_reason, sizeof(b->dead_reason),
			 "was destroyed: QEMU did not answer %s within %d s", up ? "resume" : "suspend",
			 LV_CALL_MS / 1000);
	}
	return r < 0 ? -1 : 0;
}

/* pause: suspended for its argument, QEMU's actual sampled meanwhile, resumed, the clock synced. */
static int ev_pause(struct hr_guest *g, struct lc_ctx *c)
{
	struct hr_boot *b = &g->boot;
	uint64_t a0 = 0, a1 = 0, gap0 = b->lc_gap_samples, until;
	char why[512];
	int64_t t0, t1;
	int have0;

	t0 = now_run(g);
	c->r->t_start_s = t0 / 1e9;
	if (suspend(g, 0, why, sizeof(why))) {
		if (hr_guest_check(g))
			return -1;
		failf(c->r, "virDomainSuspend: %s", why);
		return 0;
	}
	/*
	 * From the moment the vCPUs are stopped (virDomainSuspend has returned),
	 * not from before the call: under load the call took 300 ms, in which
	 * a balloon in flight moved 39 MiB (a CI run's paused_moved_mib).
	 */
	have0 = !hr_guest_qemu_call(g, QEMU_ACTUAL, &a0);
	until = hr_now_ns() + c->e->arg * 1000;
	while (hr_now_ns() < until) {
		b->lc_quiet_from = hr_now_ns() + SEC_NS;	/* a paused agent says nothing */
		if (tick(g, until))
			return -1;
	}
	if (have0 && !hr_guest_qemu_call(g, QEMU_ACTUAL, &a1))
		c->r->paused_moved_mib = ((double)a1 - (double)a0) / 1024.0;
	if (suspend(g, 1, why, sizeof(why))) {
		if (hr_guest_check(g))
			return -1;
		return hr_error("%s: virDomainResume: %s (the guest stays paused)", g->name, why);
	}
	t1 = now_run(g);
	b->lc_quiet_from = hr_now_ns();
	b->lc_gap = 1;
	c->r->dur_ms = MS(t1 - t0);
	c->t_end = t1;
	notef(c->r, "paused %.0f ms", c->r->dur_ms);
	return resync(g, c, gap0);
}

/* A small random walk: xorshift64*. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* storm: N targets back to back, then the last one must be reached within timeout=. */
static int ev_storm(struct hr_guest *g, struct lc_ctx *c)
{
	const struct hr_job *j = g->job;
	uint64_t lo = j->low.percent > 0 ? (uint64_t)(j->memory_kib * j->low.percent / 100.0) :
		      j->low.kib, lo_mib, hi_mib = j->memory_kib / 1024, kib = 0, s, first[4] = { 0 };
	int64_t t0, t_set;
	int r;

	/* in 64 bits: seed= goes up to INT_MAX */
	c->r->seed = (uint64_t)j->seed + (uint64_t)g->index * 1000 + (uint64_t)c->e->pos;
	s = c->r->seed * 0x9E3779B97F4A7C15ull + 1;
	lo = g->mech->def->round(j, lo < 4096 ? 4096 : lo);
	lo_mib = lo / 1024;
	if (lo_mib > hi_mib)
		lo_mib = hi_mib;
	t0 = now_run(g);
	c->r->t_start_s = t0 / 1e9;
	for (uint64_t k = 0; k < c->e->arg; k++) {
		kib = (lo_mib + rnd(&s) % (hi_mib - lo_mib + 1)) * 1024;
		if (set_target(g, &kib)) {
			char why[512];

			hr_error_take(why, sizeof(why));
			if (hr_guest_check(g))
				return -1;
			failf(c->r, "target %" PRIu64 " of %" PRIu64 ": %s", k + 1, c->e->arg, why);
			return 0;
		}
		if (k < 4)
			first[k] = kib / 1024;
		hr_guest_pump(g, hr_now_ns());	/* keep the queue drained, never wait */
	}
	t_set = now_run(g);
	c->target_kib = kib;
	g->lc_target_kib = kib;
	c->r->storm_final_mib = kib / 1024.0;
	hr_rec_event(g->run->rec, g->name, "storm", "seed=%" PRIu64 " n=%" PRIu64 " range=%" PRIu64 "-%" PRIu64
		     "MiB first=%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 " final=%" PRIu64 "MiB set_in_ms=%.1f",
		     c->r->seed, c->e->arg, lo_mib, hi_mib, first[0], first[1], first[2], first[3],
		     kib / 1024, MS(t_set - t0));
	r = at_target(g, kib, hr_now_ns() + j->timeout_us * 1000);
	if (r < 0)
		return -1;
	c->t_end = now_run(g);
	c->r->dur_ms = MS(c->t_end - t0);
	if (!r)
		failf(c->r, "the final target %" PRIu64 " MiB not reached within timeout=%.0fs (at %.1f MiB)",
		      kib / 1024, j->timeout_us / 1e6, guest_mib(g));
	else
		notef(c->r, "%" PRIu64 " targets set in %.0f ms, the final one reached %.0f ms after the last",
		      c->e->arg, MS(t_set - t0), MS(c->t_end - t_set));
	return 0;
}

/* floor: a target below what the guest can give; its shortfall; then the target before. */
static int ev_floor(struct hr_guest *g, struct lc_ctx *c)
{
	const struct hr_job *j = g->job;
	uint64_t kib = c->e->arg, prev = c->target_kib, deadline, at = prev, why_oom = 0;
	int64_t t0;
	int r = 1;

	t0 = now_run(g);
	c->r->t_start_s = t0 / 1e9;
	deadline = hr_now_ns() + j->timeout_us * 1000;
	/*
	 * Down in steps of FLOOR_STEP_KIB, each waited for; the first step the
	 * balloon does not reach (FLOOR_STILL_NS without progress) or the first
	 * OOM kill in the guest ends the descent. The whole target at once let
	 * the balloon take back at once whatever an OOM kill freed: a CI run's
	 * guest killed the workload, the balloon took its 33 MiB within 0.2 s,
	 * and the next allocation found nothing to kill ("System is deadlocked
	 * on memory"). A step leaves at most FLOOR_STEP_KIB outstanding.
	 */
	while (at > kib && r == 1 && hr_now_ns() < deadline) {
		uint64_t next = at - kib > FLOOR_STEP_KIB ? at - FLOOR_STEP_KIB : kib, last_prog;
		double bt, last;

		if (set_target(g, &next)) {
			char why[512];

			hr_error_take(why, sizeof(why));
			if (hr_guest_check(g))
				return -1;
			failf(c->r, "%s", why);
			break;
		}
		if (next >= at)
			break;	/* the mechanism's rounding: no lower target left */
		bt = bt_pages(g, next);
		last = hr_guest_balloon_pages(g);
		last_prog = hr_now_ns();
		r = 0;
		while (hr_now_ns() - last_prog < FLOOR_STILL_NS && hr_now_ns() < deadline) {
			double p;

			if (tick(g, hr_now_ns() + 100000000ull))
				return -1;
			if (oom_now(g) > c->oom0) {
				why_oom = 1;
				break;
			}
			p = hr_guest_balloon_pages(g);
			if (p - last >= HR_GRANULE / 4) {
				last = p;
				last_prog = hr_now_ns();
			}
			if (fabs(bt - p) <= HR_GRANULE) {
				r = 1;
				break;
			}
		}
		at = next;
	}
	c->r->shortfall_mib = guest_mib(g) - kib / 1024.0;
	notef(c->r, "asked %" PRIu64 " MiB in steps of %d MiB; the balloon stopped at %.1f MiB (%.1f MiB short) "
	      "after %.0f ms%s", kib / 1024, FLOOR_STEP_KIB / 1024, guest_mib(g), c->r->shortfall_mib,
	      MS(now_run(g) - t0), why_oom ? ", at an OOM kill in the guest" : "");
	/* back to the target before: the runner sets it again, by design */
	c->r->target_reset = 1;
	if (set_target(g, &prev))
		return -1;
	r = at_target(g, prev, hr_now_ns() + j->timeout_us * 1000);
	if (r < 0)
		return -1;
	c->t_end = now_run(g);
	c->r->dur_ms = MS(c->t_end - t0);
	if (!r)
		failf(c->r, "the target before, %" PRIu64 " MiB, not reached again within timeout=%.0fs",
		      prev / 1024, j->timeout_us / 1e6);
	return 0;
}

/* save: to a .part file, renamed once whole, restored from, removed on every path. */
static int ev_save(struct hr_guest *g, struct lc_ctx *c)
{
	struct hr_boot *b = &g->boot;
	char path[PATH_MAX + 100], part[PATH_MAX + 110], why[512];
	uint64_t gap0 = b->lc_gap_samples;
	struct stat st;
	int64_t t0, t1, t2, t3;
	int slot, r;

	if (!g->host->local) {
		failf(c->r, "save needs the image on this machine: not on a remote host");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/save-%s.img", g->run->state_dir, g->name);
	snprintf(part, sizeof(part), "%s.part", path);
	(void)unlink(path);
	(void)unlink(part);
	b->lc_expect_stop = 1;
	t0 = now_run(g);
	c->r->t_start_s = t0 / 1e9;
	slot = hr_wd_arm(g->run->wd, b->dom, b->hp.pid, SAVE_CALL_MS, "save");
	r = virDomainSave(b->dom, part);
	if (r < 0)
		snprintf(why, sizeof(why), "%s", hr_lv_err());
	(void)hr_wd_disarm(g->run->wd, slot);
	t1 = now_run(g);
	if (r < 0 || stat(part, &st) || rename(part, path)) {
		int e = errno;

		(void)unlink(part);
		b->lc_expect_stop = 0;
		if (virDomainIsActive(b->dom) == 1) {
			failf(c->r, "virDomainSave: %s", r < 0 ? why : strerror(e));
			return 0;
		}
		b->dead = 1;
		snprintf(b->dead_reason, sizeof(b->dead_reason), "was lost by a failed save: %.100s",
			 r < 0 ? why : strerror(e));
		return hr_guest_check(g);
	}
	c->r->image_bytes = (int64_t)st.st_size;
	c->r->save_ms = MS(t1 - t0);
	hr_guest_close_stream(g);	/* its QEMU is gone */
	b->hp.gone = 1;
	t2 = now_run(g);
	/* no domain yet: a signal, or the deadline, kills the QEMU it starts (watchdog.c) */
	slot = hr_wd_arm_start(g->run->wd, g->host->uri, g->name, SAVE_CALL_MS, "restore");
	r = virDomainRestore(g->host->conn, path);
	if (r < 0)
		snprintf(why, sizeof(why), "%s", hr_lv_err());
	if (hr_wd_disarm(g->run->wd, slot)) {	/* its QEMU was killed: the restore ended with it */
		r = -1;
		if (hr_stop)
			snprintf(why, sizeof(why), "interrupted (a signal came)");
		else
			snprintf(why, sizeof(why), "did not end within %d s", SAVE_CALL_MS / 1000);
	}
	t3 = now_run(g);
	(void)unlink(path);
	if (r < 0) {
		b->lc_expect_stop = 0;
		b->dead = 1;
		snprintf(b->dead_reason, sizeof(b->dead_reason), "was not restored: virDomainRestore: %.100s", why);
		return hr_guest_check(g);
	}
	c->r->restore_ms = MS(t3 - t2);
	c->r->dur_ms = MS(t3 - t0);
	c->t_end = t3;
	b->dead = b->hangup = 0;
	b->lc_quiet_from = hr_now_ns();
	b->lc_gap = 1;
	hr_guest_probe_host(g);
	if (hr_guest_reattach(g, 1)) {
		b->lc_expect_stop = 0;
		return -1;
	}
	/* what the old QEMU's end queued (its stop, its channel's end) is the save's */
	for (uint64_t until = hr_now_ns() + 300000000ull; hr_now_ns() < until;)
		hr_guest_pump(g, until);
	b->lc_expect_stop = 0;
	notef(c->r, "image %.1f MiB saved in %.0f ms, restored in %.0f ms", st.st_size / 1048576.0,
	      c->r->save_ms, c->r->restore_ms);
	return resync(g, c, gap0);
}

/*
 * reset: virDomainReset; reboot: the guest restarts itself (reboot:agent, the
 * agent's REBOOT; reboot:acpi, virDomainReboot by the ACPI power button, which
 * the agent answers by powering off and libvirt by resetting the guest;
 * reboot:sysrq, Alt-SysRq-b); the guest boots again and its agent with it.
 * Where the old agent goes down by itself (agent, acpi) its messages count
 * until its last line, BYE. The runner then reconnects as a bring-up does
 * (guestboot.c): a new channel, the new HELLO, the clock synchronised, CONF,
 * the workload started again (its epoch the current one). Samples from then
 * to the new clock are left out; the new agent's sample numbers go on from
 * the old one's.
 */
enum restart_how { RS_RESET, RS_AGENT, RS_ACPI, RS_SYSRQ };

/*
 * QEMU's action when the guest powers off (QMP set-action): the domain XML
 * makes it poweroff, so that QEMU ends by itself when the agent's watchdog
 * powers a killed runner's guest off (domain.c). virDomainReboot's fake
 * reboot needs QEMU to stay (pause) until libvirt resets the guest: pause
 * for the reboot:acpi, poweroff again after it. 0, or -1 with why.
 */
static int shutdown_action(struct hr_guest *g, const char *action, char *why, size_t len)
{
	struct hr_boot *b = &g->boot;
	char cmd[128], *res = NULL;
	int slot, r;

	snprintf(cmd, sizeof(cmd), "{\"execute\":\"set-action\",\"arguments\":{\"shutdown\":\"%s\"}}",
		 action);
	slot = hr_wd_arm(g->run->wd, b->dom, b->hp.pid, LV_CALL_MS, "set-action");
	r = virDomainQemuMonitorCommand(b->dom, cmd, &res, 0);
	if (r < 0)
		snprintf(why, len, "QMP set-action shutdown=%s: %s", action, hr_lv_err());
	else if (!res || strstr(res, "\"error\"")) {
		snprintf(why, len, "QMP set-action shutdown=%s: %.200s", action, res ? res : "no answer");
		r = -1;
	}
	free(res);
	(void)hr_wd_disarm(g->run->wd, slot);
	return r < 0 ? -1 : 0;
}

#define BYE_WAIT_NS	(15 * SEC_NS)	/* reboot:agent, acpi: the old agent's BYE within this */

static int restart(struct hr_guest *g, struct lc_ctx *c, enum restart_how how)
{
	static unsigned int keys[3] = { KEY_LEFTALT, KEY_SYSRQ, KEY_B };
	static const char *const whats[] = {
		[RS_RESET] = "virDomainReset", [RS_AGENT] = "the agent's REBOOT",
		[RS_ACPI] = "virDomainReboot (ACPI power button)", [RS_SYSRQ] = "Alt-SysRq-b",
	};
	static const char *const names[] = {
		[RS_RESET] = "reset", [RS_AGENT] = "reboot:agent", [RS_ACPI] = "reboot:acpi",
		[RS_SYSRQ] = "reboot:sysrq",
	};
	struct hr_boot *b = &g->boot;
	const struct hr_job *j = g->job;
	uint64_t gap0 = b->lc_gap_samples, deadline, last;
	const char *what = whats[how];
	char why[512];
	int64_t t0, t1, t_bye = -1;
	int slot = -1, r;

	t0 = now_run(g);
	c->r->t_start_s = t0 / 1e9;
	b->agent_bye = 0;
	if (how == RS_AGENT) {
		struct bbp_msg m = { .type = BBP_REBOOT };

		r = hr_guest_send(g, &m);
		if (r)
			hr_error_take(why, sizeof(why));
	} else {
		if (how != RS_ACPI)
			b->lc_gap = 1;
		r = how == RS_ACPI ? shutdown_action(g, "pause", why, sizeof(why)) : 0;
		if (r < 0) {
			if (hr_guest_check(g))
				return -1;
			failf(c->r, "%s", why);
			return 0;
		}
		slot = hr_wd_arm(g->run->wd, b->dom, b->hp.pid, LV_CALL_MS, what);
		r = how == RS_SYSRQ ? virDomainSendKey(b->dom, VIR_KEYCODE_SET_LINUX, 50, keys, 3, 0) :
		    how == RS_ACPI ? virDomainReboot(b->dom, VIR_DOMAIN_REBOOT_ACPI_POWER_BTN) :
		    virDomainReset(b->dom, 0);
		if (r < 0)
			snprintf(why, sizeof(why), "%s", hr_lv_err());
		(void)hr_wd_disarm(g->run->wd, slot);
	}
	if (r < 0) {
		char why2[256];

		b->lc_gap = 0;
		if (hr_guest_check(g))
			return -1;
		failf(c->r, "%s: %s", what, why);
		if (how == RS_ACPI && shutdown_action(g, "poweroff", why2, sizeof(why2)))
			failf(c->r, "%s", why2);
		return 0;
	}
	if (how == RS_AGENT || how == RS_ACPI) {	/* the old agent's words count until its BYE */
		deadline = hr_now_ns() + BYE_WAIT_NS;
		while (!b->agent_bye && hr_now_ns() < deadline)
			if (tick(g, deadline))
				return -1;
		if (!b->agent_bye) {
			/* a guest that ignored the button stays marked for libvirt's fake reboot: said */
			failf(c->r, "%s: no BYE from the agent within %.0f s (an image without it? 'make image')",
			      what, BYE_WAIT_NS / 1e9);
			if (how == RS_ACPI && shutdown_action(g, "poweroff", why, sizeof(why)))
				failf(c->r, "%s", why);
			return 0;
		}
		t_bye = now_run(g);
		c->r->bye_ms = MS(t_bye - t0);
		b->lc_gap = 1;
	}
	hr_guest_pump(g, hr_now_ns());	/* what the old agent said before: the old numbers */
	last = b->ngs ? b->gs[b->ngs - 1].seq : 0;
	b->lc_seq_base = (b->lc_gap_seq > last ? b->lc_gap_seq : last) + 1;
	b->have_hello = 0;
	b->wl_started = b->wl_exited = 0;
	b->have_psi = b->psi_new = 0;	/* the old boot's PSI report: not this boot's inputs */
	b->ncost = 0;		/* the new agent's cost counts from 0 */
	b->have_cal = 0;
	b->lc_quiet_from = hr_now_ns() + 3600 * SEC_NS;
	if (hr_guest_reattach(g, 0))	/* a fresh line reader: the old agent's last half line goes */
		return -1;
	deadline = hr_now_ns() + j->boot_timeout_us * 1000;
	while (!b->have_hello && hr_now_ns() < deadline)
		if (tick(g, deadline))
			return -1;
	t1 = now_run(g);
	b->lc_quiet_from = hr_now_ns();
	if (!b->have_hello) {
		b->lc_gap = 0;
		return hr_error("%s: no HELLO from the agent within boot-timeout=%.0fs of the %s", g->name,
				j->boot_timeout_us / 1e6, names[how]);
	}
	if (how == RS_ACPI && shutdown_action(g, "poweroff", why, sizeof(why))) {
		if (hr_guest_check(g))
			return -1;
		failf(c->r, "%s", why);
	}
	c->r->hello_ms = MS(t1 - t0);
	if (t_bye >= 0)
		notef(c->r, "%s: the old agent's BYE after %.0f ms; HELLO again %.0f ms after the %s", what,
		      MS(t_bye - t0), MS(t1 - t0), how == RS_AGENT ? "REBOOT" : "button");
	else
		notef(c->r, "%s: the agent said HELLO again %.0f ms after it", what, MS(t1 - t0));
	if (resync(g, c, gap0))
		return -1;
	if (hr_guest_send(g, &b->conf))
		return -1;
	b->conf_sent = hr_now_ns();
	c->t_end = now_run(g);
	c->r->dur_ms = MS(c->t_end - t0);
	hr_rec_event(g->run->rec, g->name, "reconnect", "after %s: HELLO in %.0f ms; %" PRIu64
		     " samples left out until the clock was synchronised again", names[how], MS(t1 - t0),
		     b->lc_gap_samples - gap0);
	if (j->workload_name[0] && c->wl_alive) {	/* the workload again, in the current epoch */
		if (hr_guest_send_phase(g, 2 * (uint64_t)g->ntrans_dir, WL_STEADY) ||
		    hr_guest_start_workload(g))
			return -1;
	}
	return 0;
}

static int ev_reset(struct hr_guest *g, struct lc_ctx *c)
{
	return restart(g, c, RS_RESET);
}

/* reboot: by the agent, by virDomainReboot (ACPI), or by Alt-SysRq-b (emergency_restart). */
static int ev_reboot(struct hr_guest *g, struct lc_ctx *c)
{
	static const enum restart_how by[] = {
		[HR_LC_REBOOT_AGENT] = RS_AGENT, [HR_LC_REBOOT_ACPI] = RS_ACPI,
		[HR_LC_REBOOT_SYSRQ] = RS_SYSRQ,
	};

	return restart(g, c, by[c->e->arg]);
}

/* shutdown: the agent powers off (QUIT); the time until the domain stopped. */
static int ev_shutdown(struct hr_guest *g, struct lc_ctx *c)
{
	struct hr_boot *b = &g->boot;
	struct bbp_msg m = { .type = BBP_QUIT };
	uint64_t deadline = hr_now_ns() + g->job->timeout_us * 1000;
	int64_t t0 = now_run(g);
	int off = 0;

	c->r->t_start_s = t0 / 1e9;
	b->lc_expect_stop = 1;
	b->agent_bye = 0;
	if (hr_guest_send(g, &m)) {
		char why[256];

		hr_error_take(why, sizeof(why));
		b->lc_expect_stop = 0;	/* no QUIT went: a death now is not the event's */
		failf(c->r, "%s", why);
		return 0;
	}
	while (hr_now_ns() < deadline && !hr_stop) {
		/* a transient domain that stopped is gone: "no domain" is off too */
		if ((off = virDomainIsActive(b->dom) != 1))
			break;
		b->lc_quiet_from = hr_now_ns() + SEC_NS;	/* an agent powering off says nothing */
		hr_guest_pump(g, hr_now_ns() + 50000000ull);
		if (b->agent_bye && isnan(c->r->bye_ms))
			c->r->bye_ms = MS(now_run(g) - t0);
	}
	c->t_end = now_run(g);
	c->r->dur_ms = MS(c->t_end - t0);
	if (!off) {
		b->lc_expect_stop = 0;	/* a death later is not the event's: it is said as one */
		if (hr_stop)	/* interrupted, as every other event is (its row: gone()) */
			return hr_guest_check(g);
		failf(c->r, "the guest did not power off within timeout=%.0fs", g->job->timeout_us / 1e6);
		return 0;
	}
	b->dead = 1;
	snprintf(b->dead_reason, sizeof(b->dead_reason), "shut down (the lifecycle event)");
	notef(c->r, "powered off in %.0f ms with %.1f MiB held out of the guest by the %s", c->r->dur_ms,
	      (g->job->memory_kib / 1024.0) - c->r->before_mib, hr_mech_name(g->job->mechanism));
	return 0;
}

/* ---- migrate ---- */

/* One guest at a time puts the image into a destination's pool (the same volume names). */
static pthread_mutex_t away_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * migrate-to='s host, opened off the guest's thread (struct away_job): its
 * virConnectOpen and the image's upload have no deadline of their own (a
 * destination daemon that accepts and never answers holds them for ever),
 * so the guest's thread waits for them with one, keeps the agent fed, and
 * on a signal or past AWAY_OPEN_MS leaves them to the worker, which closes
 * what it opened whenever its calls return.
 */
#define AWAY_OPEN_MS	180000	/* migrate-to: connected and the image in its pool within this */

struct away_job {
	pthread_mutex_t lock;
	int done, abandoned, rc;
	struct hr_host *h;
	char paths[2][PATH_MAX + 16];
	char why[512];
};

static void away_job_free(struct away_job *w)
{
	if (w->h) {
		if (w->h->conn)
			hr_host_close(w->h);
		free(w->h);
	}
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void *away_worker(void *arg)
{
	struct away_job *w = arg;
	struct hr_host *h = w->h;
	const char *files[2] = { w->paths[0], w->paths[1] };
	int r = -1, gone;

	if (!(h->conn = virConnectOpen(h->uri))) {
		snprintf(w->why, sizeof(w->why), "cannot connect to '%.200s': %.250s", h->uri, hr_lv_err());
	} else {
		(void)virConnectSetKeepAlive(h->conn, 5, 3);
		hr_host_watch(h);
		pthread_mutex_lock(&away_lock);
		r = hr_host_send_images(h, files, 2);
		pthread_mutex_unlock(&away_lock);
		if (r)
			hr_error_take(w->why, sizeof(w->why));
	}
	pthread_mutex_lock(&w->lock);
	w->rc = r;
	w->done = 1;
	gone = w->abandoned;
	pthread_mutex_unlock(&w->lock);
	if (gone)	/* the guest's thread went on without it: what it opened goes */
		away_job_free(w);
	return NULL;
}

/*
 * migrate-to='s host for @g (g->lc_away): connected, watched (a daemon that
 * dies marks it lost), the guest's kernel and initrd in its pool. 0, -1 with
 * the reason in @why (the guest goes on), or -2: the guest is gone, or a
 * signal came (hr_error).
 */
static int away_open(struct hr_guest *g, char *why, size_t len)
{
	struct away_job *w;
	struct hr_host *h;
	pthread_attr_t at;
	pthread_t th;
	uint64_t deadline = hr_now_ns() + AWAY_OPEN_MS * 1000000ull;
	int done = 0, r;

	if (g->lc_away)
		return 0;
	if (!(w = calloc(1, sizeof(*w))) || !(h = calloc(1, sizeof(*h)))) {
		free(w);
		return snprintf(why, len, "out of memory"), -1;
	}
	pthread_mutex_init(&w->lock, NULL);
	w->h = h;
	snprintf(h->name, sizeof(h->name), "migrate-to");
	snprintf(h->uri, sizeof(h->uri), "%s", g->job->migrate_to);
	snprintf(h->pool, sizeof(h->pool), "balloonbench");
	h->local = !hr_uri_is_remote(h->uri);
	for (int k = 0; k < 2; k++)
		hr_image_path(g->run, g->job, k, w->paths[k], sizeof(w->paths[k]));
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&th, &at, away_worker, w);
	pthread_attr_destroy(&at);
	if (r) {
		away_job_free(w);
		return snprintf(why, len, "cannot start a thread: %s", strerror(r)), -1;
	}
	for (;;) {
		int gave_up = 0;

		pthread_mutex_lock(&w->lock);
		done = w->done;
		if (!done && (hr_stop || hr_now_ns() >= deadline || hr_guest_check(g)))
			gave_up = w->abandoned = 1;	/* from here @w is the worker's to free */
		pthread_mutex_unlock(&w->lock);
		if (done || gave_up)
			break;
		hr_guest_poll_host(g);
		hr_guest_pump(g, hr_now_ns() + 100000000ull);	/* the agent fed meanwhile */
	}
	if (!done) {	/* the worker frees it */
		if (hr_guest_check(g))
			return -2;
		snprintf(why, len, "'%.200s' not connected with the guest image in its pool within %d s "
			 "(a daemon that does not answer?)", g->job->migrate_to, AWAY_OPEN_MS / 1000);
		return -1;
	}
	if (w->rc) {
		snprintf(why, len, "%s", w->why);
		away_job_free(w);
		return -1;
	}
	w->h = NULL;
	away_job_free(w);
	g->lc_home = g->host;
	g->lc_away = h;
	return 0;
}

void hr_lc_drop_hosts(struct hr_guest *g)
{
	if (!g->lc_away)
		return;
	g->host = g->lc_home;
	hr_host_close(g->lc_away);
	free(g->lc_away);
	g->lc_away = NULL;
}

/* @xml with every @from replaced by @to (freed, the new one returned; NULL: out of memory). */
static char *replace_all(char *xml, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0, o = 0;
	char *out, *p, *q;

	for (p = xml; (p = strstr(p, from)); p += fl)
		n++;
	if (!n || !(out = malloc(strlen(xml) + n * tl + 1))) {
		if (n)
			free(xml);
		return n ? NULL : xml;
	}
	for (p = xml; (q = strstr(p, from)); p = q + fl) {
		memcpy(out + o, p, (size_t)(q - p));
		o += (size_t)(q - p);
		memcpy(out + o, to, tl);
		o += tl;
	}
	strcpy(out + o, p);
	free(xml);
	return out;
}

/* The domain's XML for host @to: its image paths on @from replaced by @to's. NULL with why. */
static char *dest_xml(struct hr_guest *g, const struct hr_host *from, const struct hr_host *to,
		      char *why, size_t len)
{
	char *xml = virDomainGetXMLDesc(g->boot.dom, VIR_DOMAIN_XML_MIGRATABLE);

	if (!xml) {
		snprintf(why, len, "virDomainGetXMLDesc: %s", hr_lv_err());
		return NULL;
	}
	for (int k = 0; k < 2 && xml; k++) {
		char local[PATH_MAX + 16];
		const char *a, *b;

		hr_image_path(g->run, g->job, k, local, sizeof(local));
		a = hr_host_image(from, local);
		b = hr_host_image(to, local);
		if (strcmp(a, b))
			xml = replace_all(xml, a, b);
	}
	if (!xml)
		snprintf(why, len, "out of memory");
	return xml;
}

/* The completed job's figures, on the destination (the source's transient domain is gone). */
static void job_stats(virDomainPtr dom, struct hr_lc_row *r)
{
	virTypedParameterPtr p = NULL;
	unsigned long long v;
	int type = 0, n = 0;

	if (virDomainGetJobStats(dom, &type, &p, &n, VIR_DOMAIN_JOB_STATS_COMPLETED) < 0) {
		notef(r, "no job statistics on the destination: %s", hr_lv_err());
		return;
	}
	if (type != VIR_DOMAIN_JOB_COMPLETED) {
		notef(r, "no completed job's statistics on the destination (job type %d)", type);
		virTypedParamsFree(p, n);
		return;
	}
	if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &v) == 1)
		r->mig_total_ms = (double)v;
	if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_DOWNTIME, &v) == 1)
		r->mig_downtime_ms = (double)v;
	if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED, &v) == 1 && v <= INT64_MAX)
		r->mig_bytes = (int64_t)v;
	if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED, &v) == 1 && v <= INT64_MAX)
		r->mig_memory_bytes = (int64_t)v;
	if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_MEMORY_CONSTANT, &v) == 1 && v <= INT64_MAX)
		r->mig_zero_pages = (int64_t)v;
	if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION, &v) == 1 && v <= INT64_MAX)
		r->mig_iterations = (int64_t)v;
	virTypedParamsFree(p, n);
}

/* migrate's argument: the index of its word in core/lifecycle.c's migrate_words[] */
enum { MIG_LIVE, MIG_OFFLINE };

/*
 * migrate: live, pre-copy (or offline: libvirt suspends the source first), to migrate-to= (or back to the fleet host), under
 * the watchdog (a signal, or timeout= plus MIG_SLACK_MS, destroys the
 * source: libvirt then tears the destination's incoming domain down); the
 * runner follows the domain there: a new channel, the clock synced again.
 */
static int ev_migrate(struct hr_guest *g, struct lc_ctx *c)
{
	struct hr_boot *b = &g->boot;
	struct hr_host *from = g->host, *to;
	virTypedParameterPtr p = NULL;
	uint64_t gap0 = b->lc_gap_samples, ms = g->job->timeout_us / 1000 + MIG_SLACK_MS;
	uint64_t wd_ms = g->job->agent_watchdog_us / 1000;
	int np = 0, maxp = 0, slot, fired, capped = 0;
	char why[512], *xml;
	virDomainPtr dd;
	int64_t t0, t1;

	snprintf(c->r->host, sizeof(c->r->host), "%s", from->name);
	if (from->embedded) {	/* refused before the run (hr_lc_check_fleet): not reached */
		failf(c->r, "the guest runs on the embedded driver: it cannot be migrated");
		return 0;
	}
	switch (away_open(g, why, sizeof(why))) {
	case 0:
		break;
	case -1:
		failf(c->r, "migrate-to: %s", why);
		return 0;
	default:
		return -1;
	}
	to = from == g->lc_away ? g->lc_home : g->lc_away;
	snprintf(c->r->mig_to, sizeof(c->r->mig_to), "%.255s", to->uri);
	if (!(xml = dest_xml(g, from, to, why, sizeof(why)))) {
		failf(c->r, "%s", why);
		return 0;
	}
	if (virTypedParamsAddString(&p, &np, &maxp, VIR_MIGRATE_PARAM_DEST_XML, xml) < 0 ||
	    (from->local && to->local &&	/* both here: not the host name, which may be localhost */
	     virTypedParamsAddString(&p, &np, &maxp, VIR_MIGRATE_PARAM_URI, "tcp://127.0.0.1") < 0)) {
		free(xml);
		virTypedParamsFree(p, np);
		return hr_error("%s: out of memory", g->name);
	}
	free(xml);
	/*
	 * Nothing is sent to the agent while virDomainMigrate3 blocks: past
	 * agent-watchdog of the host's silence the agent powers the guest off.
	 * The migration's deadline, when it is aborted (virDomainAbortJob; the
	 * domain destroyed HR_WD_ABORT_GRACE_MS later if the call has not
	 * returned by then), stays 4 s inside it, so that a migration that long
	 * is the runner's verdict, said with its reason.
	 */
	if (wd_ms > 6000 && ms > wd_ms - 4000) {
		ms = wd_ms - 4000;
		capped = 1;
	}
	b->lc_expect_stop = 1;	/* the source's stop and its channel's end are the migration's */
	t0 = now_run(g);
	c->r->t_start_s = t0 / 1e9;
	slot = hr_wd_arm_job(g->run->wd, b->dom, b->hp.pid, ms, "migrate");
	dd = virDomainMigrate3(b->dom, to->conn, p, (unsigned)np, c->e->arg == MIG_OFFLINE ? 0 : VIR_MIGRATE_LIVE);
	if (!dd)
		snprintf(why, sizeof(why), "%s", hr_lv_err());
	fired = hr_wd_disarm(g->run->wd, slot);
	t1 = now_run(g);
	virTypedParamsFree(p, np);
	c->r->dur_ms = MS(t1 - t0);
	c->t_end = t1;
	if (!dd) {
		b->lc_expect_stop = 0;
		if (fired != 1 && virDomainIsActive(b->dom) == 1) {	/* still on the source: it goes on there */
			if (fired == 2)
				failf(c->r, "virDomainMigrate3 to %s did not end within %" PRIu64 " s%s: aborted "
				      "(virDomainAbortJob), the guest goes on on %s: %s", to->uri, ms / 1000,
				      capped ? " (agent-watchdog less 4 s)" : "", from->name, why);
			else
				failf(c->r, "virDomainMigrate3 to %s: %s", to->uri, why);
			return 0;
		}
		b->dead = 1;
		if (fired && hr_stop)
			snprintf(b->dead_reason, sizeof(b->dead_reason),
				 "was destroyed: a signal came during its migration");
		else if (fired)
			snprintf(b->dead_reason, sizeof(b->dead_reason),
				 "was destroyed: its migration did not end within %" PRIu64 " s%s, nor %d s after "
				 "virDomainAbortJob", ms / 1000, capped ? " (agent-watchdog less 4 s)" : "",
				 HR_WD_ABORT_GRACE_MS / 1000);
		else
			snprintf(b->dead_reason, sizeof(b->dead_reason), "was lost by a failed migration: %.100s",
				 why);
		return hr_guest_check(g);
	}
	job_stats(dd, c->r);
	/*
	 * The source's stream is the migration's: closed before the queue is
	 * drained (no keepalive into it), and the silence counted from here.
	 */
	b->lc_quiet_from = hr_now_ns();
	hr_guest_close_stream(g);
	hr_guest_pump(g, hr_now_ns());	/* the agent's words before, and the source's end */
	b->hp.gone = 1;			/* the source's QEMU: not ours to kill any more */
	if (hr_guest_follow(g, to, dd)) {
		b->lc_expect_stop = 0;
		return -1;
	}
	b->dead = b->hangup = 0;
	b->lc_quiet_from = hr_now_ns();
	b->lc_gap = 1;
	b->hp.pid = 0;			/* the destination's QEMU: hr_guest_probe_host finds it */
	/*
	 * hr_guest_follow dropped the source's queues and callback: from here a
	 * stop or a hang-up is the destination's, and counts.
	 */
	b->lc_expect_stop = 0;
	hr_guest_probe_host(g);
	notef(c->r, "to %s in %.0f ms: downtime %.0f ms, %.1f MiB sent, %" PRId64 " zero pages, %" PRId64
	      " passes", to->name, c->r->mig_total_ms, c->r->mig_downtime_ms,
	      c->r->mig_bytes >= 0 ? c->r->mig_bytes / 1048576.0 : NAN, c->r->mig_zero_pages,
	      c->r->mig_iterations);
	hr_rec_event(g->run->rec, g->name, "migrated", "from %s to %s (%s) in %.0f ms", from->name, to->name,
		     to->uri, c->r->dur_ms);
	return resync(g, c, gap0);
}

int hr_lc_check_fleet(const struct hr_scenario *sc, const struct hr_fleet *f)
{
	for (int i = 0; i < sc->njobs; i++) {
		const struct hr_job *j = &sc->jobs[i];
		int line = hr_job_line(j, "migrate-to");

		if (!hr_lc_migrates(j->events, j->nevents))
			continue;
		if (!line)
			line = hr_job_line(j, "events");
		/* its disk is a file on this machine, and libvirt copies no storage here */
		if (j->workload_name[0] && (wl_flags(j->workload_name) & WL_F_DISK))
			return hr_error("%s:%d: [%s] events: migrate cannot move workload=%s's disk (a file on "
					"this machine, the guest's /dev/vda; no storage is migrated): a workload "
					"without a disk", sc->path, hr_job_line(j, "events"), j->name,
					j->workload_name);
		for (int h = 0; h < f->n; h++) {
			const char *u = f->h[h].uri;

			if (!u[0] || hr_uri_is_embedded(u))
				return hr_error("%s:%d: [%s] events: migrate needs the guest on a libvirt daemon "
						"(--connect URI or --hosts), not the embedded driver", sc->path,
						hr_job_line(j, "events"), j->name);
			if (!strcmp(u, j->migrate_to))
				return hr_error("%s:%d: [%s] migrate-to: %s is the guest's own host (%s): a "
						"migration needs a second daemon", sc->path, line, j->name,
						j->migrate_to, f->h[h].name);
			/* a guest here names files here (its console log) that a remote daemon lacks */
			if (!hr_uri_is_remote(u) && hr_uri_is_remote(j->migrate_to))
				return hr_error("%s:%d: [%s] migrate-to: %s is a remote host, the guest's own (%s) "
						"is this machine: a migration goes between two daemons on this machine, "
						"or between remote hosts", sc->path, line, j->name, j->migrate_to,
						f->h[h].name);
		}
	}
	return 0;
}

/* The engine's rows, by kind: NULL where the pure table refuses it. */
static const lc_fn lc_run[HR_LC_N] = {
	[HR_LC_PAUSE] = ev_pause, [HR_LC_STORM] = ev_storm, [HR_LC_FLOOR] = ev_floor,
	[HR_LC_SAVE] = ev_save, [HR_LC_RESET] = ev_reset, [HR_LC_REBOOT] = ev_reboot,
	[HR_LC_SHUTDOWN] = ev_shutdown, [HR_LC_MIGRATE] = ev_migrate,
};

/* ---- the checks after every event ---- */

static int checks(struct hr_guest *g, struct lc_ctx *c)
{
	struct hr_boot *b = &g->boot;
	const struct hr_job *j = g->job;
	struct hr_lc_row *r = c->r;
	uint64_t t0 = hr_now_ns(), kib = c->target_kib, deadline;
	uint64_t a = 0;
	int p;

	/* the agent answers */
	p = hr_guest_ping(g, AGENT_WAIT_NS);
	if (p < 0)
		return -1;
	if (p)
		r->agent_ms = MS(hr_now_ns() - t0);
	else
		failf(r, "the agent did not answer a ping within %.0f s", AGENT_WAIT_NS / 1e9);
	/* the balloon at its target, else set again */
	p = at_target(g, kib, hr_now_ns() + BACK_WAIT_NS);
	if (p < 0)
		return -1;
	if (!p) {
		r->target_reset = 1;
		if (set_target(g, &kib))
			return -1;
		p = at_target(g, kib, hr_now_ns() + j->timeout_us * 1000);
		if (p < 0)
			return -1;
		if (!p)
			failf(r, "the balloon at %.1f MiB, not at its target %.1f MiB, also after it was set "
			      "again", guest_mib(g), kib / 1024.0);
		else
			notef(r, "the target was set again");
	}
	if (p)
		r->recover_ms = MS(now_run(g) - c->t_end);
	r->after_mib = guest_mib(g);
	if (!hr_guest_qemu_call(g, QEMU_ACTUAL, &a))
		r->host_after_mib = a / 1024.0;
	/* MemTotal plus the balloon, against the boot's first sample (deflate-on-oom: MemTotal stays) */
	if (b->ngs && !j->deflate_on_oom) {
		const struct hr_gsample *s0 = &b->gs[0], *s1 = &b->gs[b->ngs - 1];
		double k0 = (double)s0->total_kib + g->mech->removed(g, s0) * HR_PAGE_KIB,
		       k1 = (double)s1->total_kib + g->mech->removed(g, s1) * HR_PAGE_KIB;

		r->acct_delta_mib = (k1 - k0) / 1024.0;
		r->acct_ok = fabs(r->acct_delta_mib) <= 1.0;
		if (!r->acct_ok)
			failf(r, "accounting: MemTotal plus the balloon moved %.1f MiB since boot",
			      r->acct_delta_mib);
	}
	if (c->wl_alive && b->wl_exited) {	/* a floor may OOM-kill it: said, the negative test's */
		if (r->kind == HR_LC_FLOOR)
			notef(r, "the workload was %s", b->wexit.oom ? "OOM-killed" : "ended");
		else
			failf(r, "the workload %s during the event", b->wexit.oom ? "was OOM-killed" : "ended");
	}
	/* integrity: at least one full pass over the event */
	if (c->wl_alive && (c->integ || b->ninteg)) {
		uint64_t need = j->workload.size / WL_PAGE, bad;

		deadline = hr_now_ns() + INTEG_WAIT_NS;
		for (;;) {
			if (flush(g))
				return -1;
			if (b->integ_pages - c->integ_pages0 >= need || hr_now_ns() >= deadline ||
			    b->wl_exited)
				break;
			if (hr_guest_record_until(g, now_run(g) + 500000000))
				return -1;
		}
		r->verified_mib = (double)(b->integ_pages - c->integ_pages0) * WL_PAGE / 1048576.0;
		bad = b->integ_bad - c->integ_bad0;
		if (b->nbad - c->nbad0 > bad)
			bad = b->nbad - c->nbad0;
		r->mismatches = (int64_t)bad;
		if (b->integ_bad || b->nbad)
			failf(r, "integrity: %" PRIu64 " mismatch(es) so far, %" PRIu64 " found over this event",
			      b->integ_bad > b->nbad ? b->integ_bad : b->nbad, bad);
		else if (b->integ_pages - c->integ_pages0 < need && !b->wl_exited)
			failf(r, "integrity: only %.1f MiB of its %" PRIu64 " MiB verified within %.0f s",
			      r->verified_mib, need * WL_PAGE >> 20, INTEG_WAIT_NS / 1e9);
	}
	r->ooms = (int64_t)(oom_now(g) - c->oom0);
	if (r->ooms > 0)
		notef(r, "%" PRId64 " OOM kill(s) in the guest", r->ooms);
	return 0;
}

/* ---- rows ---- */

static void write_row(struct hr_guest *g, const struct hr_lc_row *r)
{
	static const char *const when[] = { "after", "during" };
	struct hr_row row;

	hr_row_init(&row, HR_TB_LIFECYCLE);
	hr_row_set_s(&row, HR_LC_VM, g->name);
	hr_row_set_s(&row, HR_LC_JOB, g->job->name);
	hr_row_set_i(&row, HR_LC_REP, g->rep);
	hr_row_set_s(&row, HR_LC_EVENT, hr_lc_defs[r->kind].name);
	hr_row_set_s(&row, HR_LC_SPEC, r->spec);
	hr_row_set_s(&row, HR_LC_WHEN, when[r->when]);
	hr_row_set_i(&row, HR_LC_TRANSITION, r->at);
	hr_row_set_f(&row, HR_LC_T_START_S, r->t_start_s);
	hr_row_set_f(&row, HR_LC_DURATION_MS, r->dur_ms);
	hr_row_set_s(&row, HR_LC_RESULT, r->ok ? "ok" : "failed");
	hr_row_set_s(&row, HR_LC_REASON, r->reason);
	hr_row_set_f(&row, HR_LC_TARGET_MIB, r->target_mib);
	hr_row_set_f(&row, HR_LC_ACTUAL_BEFORE_MIB, r->before_mib);
	hr_row_set_f(&row, HR_LC_ACTUAL_AFTER_MIB, r->after_mib);
	hr_row_set_f(&row, HR_LC_HOST_ACTUAL_AFTER_MIB, r->host_after_mib);
	hr_row_set_i(&row, HR_LC_TARGET_RESET, r->target_reset);
	hr_row_set_f(&row, HR_LC_RECOVER_MS, r->recover_ms);
	hr_row_set_f(&row, HR_LC_AGENT_MS, r->agent_ms);
	hr_row_set_n(&row, HR_LC_ACCOUNTING_OK, r->acct_ok);
	hr_row_set_f(&row, HR_LC_ACCOUNTING_DELTA_MIB, r->acct_delta_mib);
	hr_row_set_f(&row, HR_LC_WL_VERIFIED_MIB, r->verified_mib);
	hr_row_set_n(&row, HR_LC_WL_MISMATCHES, r->mismatches);
	hr_row_set_n(&row, HR_LC_SAVE_IMAGE_BYTES, r->image_bytes);
	hr_row_set_f(&row, HR_LC_SAVE_MS, r->save_ms);
	hr_row_set_f(&row, HR_LC_RESTORE_MS, r->restore_ms);
	hr_row_set_f(&row, HR_LC_SHORTFALL_MIB, r->shortfall_mib);
	hr_row_set_n(&row, HR_LC_OOM_KILLS, r->ooms);
	hr_row_set_f(&row, HR_LC_PAUSED_MOVED_MIB, r->paused_moved_mib);
	hr_row_set_f(&row, HR_LC_TRANSITION_T100_MS, r->t100_ms);
	hr_row_set_f(&row, HR_LC_CLOCK_STEP_MS, r->clock_step_ms);
	hr_row_set_n(&row, HR_LC_GAP_SAMPLES, r->gap_samples);
	if (r->kind == HR_LC_STORM)
		hr_row_set_i(&row, HR_LC_STORM_SEED, (int64_t)r->seed);	/* below 2^32 */
	hr_row_set_f(&row, HR_LC_STORM_FINAL_MIB, r->storm_final_mib);
	hr_row_set_s(&row, HR_LC_HOST, r->host[0] ? r->host : g->host->name);
	hr_row_set_s(&row, HR_LC_MIGRATE_TO, r->mig_to);
	hr_row_set_f(&row, HR_LC_MIG_TOTAL_MS, r->mig_total_ms);
	hr_row_set_f(&row, HR_LC_MIG_DOWNTIME_MS, r->mig_downtime_ms);
	hr_row_set_n(&row, HR_LC_MIG_BYTES, r->mig_bytes);
	hr_row_set_n(&row, HR_LC_MIG_MEMORY_BYTES, r->mig_memory_bytes);
	hr_row_set_n(&row, HR_LC_MIG_ZERO_PAGES, r->mig_zero_pages);
	hr_row_set_n(&row, HR_LC_MIG_ITERATIONS, r->mig_iterations);
	hr_row_set_f(&row, HR_LC_BYE_MS, r->bye_ms);
	hr_row_set_f(&row, HR_LC_HELLO_MS, r->hello_ms);
	hr_rec_put(g->run->rec, HR_F_LIFECYCLE, &row);
	hr_rec_event(g->run->rec, g->name, "lifecycle", "%s %s%s%s", r->spec, r->ok ? "ok" : "failed",
		     r->reason[0] ? ": " : "", r->reason);
	hr_rec_sync_later(g->run->rec);
}

static int keep_row(struct hr_guest *g, const struct hr_lc_row *r0)
{
	struct hr_lc_row *n = realloc(g->lc_rows, (g->nlc_rows + 1) * sizeof(*n)), *r;

	if (!n)
		return hr_error("%s: out of memory", g->name);
	g->lc_rows = n;
	r = &g->lc_rows[g->nlc_rows++];
	*r = *r0;
	/* the reason is free text, quoted; without commas a plain awk -F, reads the row too */
	for (char *p = r->reason; (p = strchr(p, ',')); )
		*p = ';';
	write_row(g, r);
	if (hr_verbosity >= HR_INFO) {
		char line[512];

		snprintf(line, sizeof(line), "%-16s event %-22s %s%s%s\n", g->name, r->spec,
			 r->ok ? "ok" : "FAILED", r->reason[0] ? ": " : "", r->reason);
		hr_board_print(g->run->board, line);
	}
	return 0;
}

static void row_init(struct hr_lc_row *r, const struct hr_lc_event *e)
{
	double nan = NAN;

	memset(r, 0, sizeof(*r));
	r->kind = e->kind;
	r->when = e->when;
	r->at = e->at;
	r->ok = 1;
	r->acct_ok = -1;
	r->t_start_s = r->dur_ms = r->target_mib = r->before_mib = r->after_mib = nan;
	r->host_after_mib = r->recover_ms = r->agent_ms = r->acct_delta_mib = r->verified_mib = nan;
	r->save_ms = r->restore_ms = r->shortfall_mib = r->paused_moved_mib = r->t100_ms = nan;
	r->clock_step_ms = r->storm_final_mib = r->mig_total_ms = r->mig_downtime_ms = nan;
	r->bye_ms = r->hello_ms = nan;
	r->mismatches = r->image_bytes = r->ooms = r->gap_samples = -1;
	r->mig_bytes = r->mig_memory_bytes = r->mig_zero_pages = r->mig_iterations = -1;
	hr_lc_format(e, r->spec, sizeof(r->spec));
}

/* The guest is gone during or after event @r: its row says so (failed), then the guest fails. -1. */
static int gone(struct hr_guest *g, struct hr_lc_row *r)
{
	char why[1024];

	hr_error_take(why, sizeof(why));
	failf(r, "the guest is gone: %s", why);
	if (isnan(r->dur_ms) && !isnan(r->t_start_s))
		r->dur_ms = (now_run(g) / 1e9 - r->t_start_s) * 1e3;
	(void)keep_row(g, r);
	return hr_error("%s", why);
}

/* The target now: the last transition's, a storm's since, else the guest's size. */
static uint64_t target_now(struct hr_guest *g)
{
	if (g->nrows != g->lc_rows_seen) {
		g->lc_target_kib = (uint64_t)llround(g->rows[g->nrows - 1].to_mib * 1024);
		g->lc_rows_seen = g->nrows;
	}
	if (!g->lc_target_kib) {
		double m = guest_mib(g);

		g->lc_target_kib = isnan(m) ? g->job->memory_kib :
				   g->mech->def->round(g->job, (uint64_t)llround(m) * 1024);
	}
	return g->lc_target_kib;
}

/* One event between transitions: inject, wait, check, its row. */
static int run_one(struct hr_guest *g, const struct hr_lc_event *e)
{
	struct hr_boot *b = &g->boot;
	struct hr_lc_row r;
	struct lc_ctx c = { .r = &r, .e = e };

	row_init(&r, e);
	hr_info("%s: event %s", g->name, r.spec);
	c.target_kib = target_now(g);
	if (flush(g))
		return -1;
	c.integ = b->ninteg > 0;
	c.integ_pages0 = b->integ_pages;
	c.integ_bad0 = b->integ_bad;
	c.nbad0 = b->nbad;
	c.oom0 = oom_now(g);
	c.wl_alive = b->wl_started && !b->wl_exited;
	r.before_mib = guest_mib(g);
	c.t_end = now_run(g);
	r.target_mib = c.target_kib / 1024.0;
	if (lc_run[e->kind](g, &c) ||
	    (e->kind != HR_LC_SHUTDOWN && !(r.kind == HR_LC_SAVE && !r.ok && isnan(r.save_ms) &&
					    !g->host->local) && checks(g, &c)))
		return gone(g, &r);
	r.target_mib = c.target_kib / 1024.0;
	return keep_row(g, &r);
}

int hr_lc_after(struct hr_guest *g, int at)
{
	const struct hr_job *j = g->job;

	if (g->lc_during_set && g->lc_during.at == at) {
		struct hr_lc_row *r = &g->lc_during;

		g->lc_during_set = 0;
		if (g->nrows && g->rows[g->nrows - 1].index == at - 1) {
			const struct hr_trow *t = &g->rows[g->nrows - 1];

			r->t100_ms = t->g.t100 * 1e3;
			r->target_mib = t->to_mib;
			if (!t->g.reached)
				failf(r, "the transition did not reach its target (%s)", hr_end_names[t->end]);
		}
		r->after_mib = guest_mib(g);
		if (keep_row(g, r))
			return -1;
	}
	for (int i = 0; i < j->nevents; i++) {
		const struct hr_lc_event *e = &j->events[i];

		if (e->when == HR_LC_AFTER && e->at == at && e->kind != HR_LC_SHUTDOWN &&
		    run_one(g, e))
			return -1;
	}
	return 0;
}

int hr_lc_during(struct hr_guest *g, int index, double b0, double bt)
{
	const struct hr_job *j = g->job;
	uint64_t deadline = hr_now_ns() + 5 * SEC_NS;

	(void)bt;
	for (int i = 0; i < j->nevents; i++) {
		const struct hr_lc_event *e = &j->events[i];
		struct hr_lc_row *r = &g->lc_during;
		struct lc_ctx c = { .r = r, .e = e };
		uint64_t a = 0;

		if (e->when != HR_LC_DURING || e->at != index + 1)
			continue;
		row_init(r, e);
		/* once its first page moved: a change in flight */
		while (fabs(hr_guest_balloon_pages(g) - b0) < HR_GRANULE && hr_now_ns() < deadline)
			if (tick(g, deadline))
				return -1;
		r->before_mib = guest_mib(g);
		if (fabs(hr_guest_balloon_pages(g) - b0) < HR_GRANULE)
			notef(r, "the balloon had not moved within 5 s: paused before it did");
		if (lc_run[e->kind](g, &c))
			return gone(g, r);
		if (!hr_guest_qemu_call(g, QEMU_ACTUAL, &a))
			r->host_after_mib = a / 1024.0;
		{
			uint64_t t0 = hr_now_ns();
			int p = hr_guest_ping(g, AGENT_WAIT_NS);

			if (p < 0)
				return -1;
			if (p)
				r->agent_ms = MS(hr_now_ns() - t0);
			else
				failf(r, "the agent did not answer a ping within %.0f s", AGENT_WAIT_NS / 1e9);
		}
		g->lc_during_set = 1;	/* written when the transition has ended (hr_lc_after) */
	}
	return 0;
}

int hr_lc_end(struct hr_guest *g)
{
	const struct hr_job *j = g->job;

	for (int i = 0; i < j->nevents; i++)
		if (j->events[i].kind == HR_LC_SHUTDOWN && run_one(g, &j->events[i]))
			return -1;
	return 0;
}

int hr_lc_failed(const struct hr_guest *g, char *why, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < g->nlc_rows; i++) {
		if (g->lc_rows[i].ok)
			continue;
		if (!n++)
			snprintf(why, len, "lifecycle event %s failed: %s", g->lc_rows[i].spec,
				 g->lc_rows[i].reason);
	}
	return n;
}

/* ---- the guest image ---- */

int hr_lc_check_image(const struct hr_run *run)
{
	static const struct { const char *opt, *ko; } need[] = {
		{ "CONFIG_ACPI_BUTTON", "button.ko" }, { "CONFIG_INPUT_EVDEV", "evdev.ko" },
	};

	for (int i = 0; i < run->sc->njobs; i++) {
		const struct hr_job *j = &run->sc->jobs[i];
		int acpi = 0;

		for (int k = 0; k < j->nevents; k++)
			acpi |= j->events[k].kind == HR_LC_REBOOT && j->events[k].arg == HR_LC_REBOOT_ACPI;
		if (!acpi || j->kernel[0])
			continue;
		for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++) {
			int m = hr_image_module(run->image_dir, need[k].ko);

			if (hr_image_config(run->image_dir, need[k].opt) != 'y' && m == 0)
				return hr_error("%s:%d: [%s] events: reboot:acpi needs the ACPI power button "
						"in the guest: the image in %s has no %s (rebuild it with 'make "
						"image')", run->sc->path, hr_job_line(j, "events"), j->name,
						run->image_dir, need[k].ko);
		}
	}
	return 0;
}

/* ---- the end table ---- */

void hr_lc_table(const struct hr_run *run)
{
	int any = 0;

	for (int i = 0; i < run->nguests; i++) {
		const struct hr_guest *g = run->guests[i];

		for (size_t k = 0; k < g->nlc_rows; k++) {
			const struct hr_lc_row *r = &g->lc_rows[k];
			char v[32] = "-", ag[16] = "-", bad[24] = "-", tg[16] = "-", af[16] = "-";

			if (!any++)
				printf("\nlifecycle events (lifecycle.csv)\n%-16s %-22s %9s %-6s %8s %8s %5s %8s %4s %9s %5s  %s\n",
				       "vm", "event", "ms", "result", "target", "after", "reset", "agent_ms",
				       "acct", "verified", "bad", "what");
			if (!isnan(r->verified_mib))
				snprintf(v, sizeof(v), "%.0f", r->verified_mib);
			if (!isnan(r->target_mib))
				snprintf(tg, sizeof(tg), "%.1f", r->target_mib);
			if (!isnan(r->after_mib))
				snprintf(af, sizeof(af), "%.1f", r->after_mib);
			if (r->mismatches >= 0)
				snprintf(bad, sizeof(bad), "%" PRId64, r->mismatches);
			if (!isnan(r->agent_ms))
				snprintf(ag, sizeof(ag), "%.1f", r->agent_ms);
			printf("%-16s %-22s %9.0f %-6s %8s %8s %5s %8s %4s %9s %5s  %s\n", g->name, r->spec,
			       r->dur_ms, r->ok ? "ok" : "FAILED", tg, af,
			       r->target_reset ? "yes" : "no", ag,
			       r->acct_ok < 0 ? "-" : r->acct_ok ? "ok" : "BAD", v,
			       bad, r->reason);
		}
	}
}

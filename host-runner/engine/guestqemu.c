// SPDX-License-Identifier: MIT
/*
 * guestqemu.c - a guest's calls that wait for QEMU, each under the run's
 * watchdog (a QEMU that does not answer in time is taken for hung and its
 * domain destroyed), and the host's samples: QEMU's view of the balloon,
 * what its process holds and spends, what the host has left.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"
#include "fleet.h"
#include "guestpriv.h"
#include "mech.h"

/* ---- QEMU under the watchdog ---- */

/*
 * A call that waits for QEMU's answer, under the run's watchdog: QEMU that
 * does not answer within give-up (at most 10 s) is taken for hung and its
 * domain destroyed; the guest then fails with that reason. Returns 0 or -1.
 */
int hr_guest_qemu_call(struct hr_guest *g, enum hr_qemu_call call, uint64_t *kib)
{
	struct hr_boot *b = &g->boot;
	uint64_t ms = g->job->give_up_us / 1000;
	int slot, r;

	if (ms > 10000)
		ms = 10000;
	slot = hr_wd_arm(g->run->wd, b->dom, b->hp.pid, ms < 1000 ? 1000 : ms,
			 g->mech->what[call]);
	if (call == QEMU_ACTUAL)
		r = g->mech->host_actual(g, kib);
	else
		r = g->mech->set_target(b->dom, g->job, *kib);
	if (hr_wd_disarm(g->run->wd, slot) && !hr_stop && !b->dead) {
		b->dead = 1;
		snprintf(b->dead_reason, sizeof(b->dead_reason),
			 "was destroyed: QEMU did not answer %s within %.0f s (stopped or hung)",
			 g->mech->what[call], (double)(ms < 1000 ? 1000 : ms) / 1e3);
	}
	return r;
}

/*
 * Find QEMU's process (hr_hostprobe_init asks QEMU: query-cpus-fast) under
 * the watchdog: a QEMU that does not answer in 10 s, or a signal, ends it.
 */
void hr_guest_probe_host(struct hr_guest *g)
{
	struct hr_boot *b = &g->boot;
	int slot = hr_wd_arm(g->run->wd, b->dom, b->hp.pid, 10000, "query-cpus-fast");

	hr_hostprobe_init(&b->hp, g->host->conn, b->dom, g->host->local);
	if (hr_wd_disarm(g->run->wd, slot) && !hr_stop && !b->dead) {
		b->dead = 1;
		snprintf(b->dead_reason, sizeof(b->dead_reason),
			 "was destroyed: QEMU did not answer query-cpus-fast within 10 s (stopped or hung)");
	}
}

/* ---- host samples ---- */

void hr_guest_poll_host(struct hr_guest *g)
{
	struct hr_boot *b = &g->boot;
	struct hr_hsample h;

	int64_t q0, q1;

	b->host_poll_ns = hr_now_ns();
	q0 = hr_run_time(g->run);
	if (!b->dom || hr_guest_qemu_call(g, QEMU_ACTUAL, &h.actual_kib))
		return;
	q1 = hr_run_time(g->run);
	hr_hostprobe_read(&b->hp, g->host->conn, b->dom, &h.fig);
	/*
	 * Stamped at the middle of the query, not after the /proc reads that
	 * follow it (those have their own time, hr_hsample_fig_t, for the RSS's
	 * metrics): stamped at the end, host_t100 was late by the query's
	 * second half and those reads (a host sample's spacing can then
	 * understate how old its actual was: vm-virtio-mem.t saw 15.4 ms
	 * against a 14.6 ms spacing).
	 */
	h.t_ns = q0 + (q1 - q0) / 2;
	h.query_ns = q1 - q0;
	h.read_ns = hr_run_time(g->run) - q1;
	if (b->nhs == b->hcap) {
		size_t cap = b->hcap ? b->hcap * 2 : 1024;
		struct hr_hsample *n = realloc(b->hs, cap * sizeof(*n));

		if (!n)
			return;
		b->hs = n;
		b->hcap = cap;
	}
	b->hs[b->nhs++] = h;
	hr_samples_host(g->run->rec, g->name, &h, g->job->memory_kib);
}

/*
 * Whether QEMU's side still moves: its actual by more than a MiB, or what
 * it holds (RSS + huge pages) by more than the RSS's noise floor
 * (HR_RSS_NOISE_FLOOR_KIB, core/metrics.h), between the latest host sample
 * and any other of the last HOST_STILL_NS (and the one before those: at
 * the idle rate, the sample before). A transition's watch samples at the
 * full rate; its rest goes on at that rate while this holds, so that the
 * RSS's settle time and lag keep their resolution where QEMU lags the guest.
 */
#define HOST_STILL_NS	250000000ll
static int host_moving(const struct hr_boot *b)
{
	const struct hr_hsample *z;
	int64_t zh;

	if (b->nhs < 2)
		return 0;
	z = &b->hs[b->nhs - 1];
	zh = hr_hsample_held(z);
	for (size_t i = b->nhs - 1; i-- > 0;) {
		const struct hr_hsample *h = &b->hs[i];
		int64_t hh = hr_hsample_held(h);
		int64_t da = (int64_t)h->actual_kib - (int64_t)z->actual_kib;

		if (da > 1024 || da < -1024)
			return 1;
		if (hh >= 0 && zh >= 0 && (double)llabs(hh - zh) > HR_RSS_NOISE_FLOOR_KIB)
			return 1;
		if (z->t_ns - h->t_ns >= HOST_STILL_NS)
			break;
	}
	return 0;
}

/*
 * At rest the host's side is sampled at host-idle-sample-rate (a few Hz:
 * at 50 Hz through every rest, this polling was four fifths of what a
 * resting guest cost the runner; docs/measurements/scale.md), at
 * host-sample-rate while QEMU's side still moves (host_moving). The
 * period runs from the latest sample asked for, whoever asked (watch, a
 * fill), so that consecutive waits keep the rate.
 */
int hr_guest_record_until(struct hr_guest *g, int64_t until)
{
	const struct hr_job *j = g->job;
	struct hr_boot *b = &g->boot;
	uint64_t fast = 1000000000ull / (uint64_t)j->host_hz;
	uint64_t idle = 1000000000ull / (uint64_t)(j->host_idle_hz > 0 && j->host_idle_hz < j->host_hz ?
						   j->host_idle_hz : j->host_hz);
	uint64_t end = g->run->t0_mono_ns + (uint64_t)until;

	for (;;) {
		uint64_t now, next;

		if (hr_guest_check(g))
			return -1;
		now = hr_now_ns();
		if (now >= end || hr_stop)
			break;
		next = b->host_poll_ns + (host_moving(b) ? fast : idle);
		if (!b->host_poll_ns || now >= next) {
			hr_guest_poll_host(g);
			next = b->host_poll_ns + (host_moving(b) ? fast : idle);
		}
		while ((now = hr_now_ns()) < next && now < end && !hr_stop)
			hr_guest_pump(g, next < end ? next : end);
	}
	return hr_guest_check(g);
}

const struct hr_hsample *hr_guest_host_at(const struct hr_guest *g, int64_t t,
					  int64_t (*what)(const struct hr_hsample *))
{
	const struct hr_boot *b = &g->boot;
	const struct hr_hsample *best = NULL;

	for (size_t i = 0; i < b->nhs; i++) {
		if (what(&b->hs[i]) < 0)
			continue;
		if (b->hs[i].t_ns <= t || !best)
			best = &b->hs[i];
		if (b->hs[i].t_ns > t)
			break;
	}
	return best;
}

int64_t hr_hsample_held(const struct hr_hsample *h)
{
	return hr_hostfig_held(&h->fig);
}

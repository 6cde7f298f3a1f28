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

	if (!b->dom || hr_guest_qemu_call(g, QEMU_ACTUAL, &h.actual_kib))
		return;
	hr_hostprobe_read(&b->hp, g->host->conn, b->dom, &h.fig);
	h.t_ns = hr_run_time(g->run);
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

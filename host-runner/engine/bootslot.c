// SPDX-License-Identifier: MIT
/*
 * bootslot.c - a host's boot slots in a wave: a counting semaphore that lets
 * at most boot-concurrency of its guests boot at once (guestboot.c takes a
 * slot before the domain starts and gives it back at the agent's hello). A
 * wait ends on a signal within HR_QUEUE_TICK_MS, like every wait of a guest.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "guestpriv.h"

struct hr_boot_slots {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* on CLOCK_MONOTONIC */
	int n, busy;
};

struct hr_boot_slots *hr_boot_slots_new(int n)
{
	struct hr_boot_slots *s = calloc(1, sizeof(*s));
	pthread_condattr_t a;

	if (!s)
		return NULL;
	if (pthread_condattr_init(&a)) {
		free(s);
		return NULL;
	}
	if (pthread_condattr_setclock(&a, CLOCK_MONOTONIC) || pthread_cond_init(&s->cond, &a)) {
		pthread_condattr_destroy(&a);
		free(s);
		return NULL;
	}
	pthread_condattr_destroy(&a);
	pthread_mutex_init(&s->lock, NULL);
	s->n = n > 0 ? n : 1;
	return s;
}

void hr_boot_slots_free(struct hr_boot_slots *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

void hr_guest_set_boot_slots(struct hr_guest *g, struct hr_boot_slots *s)
{
	g->slots = s;
}

int hr_boot_concurrency(const struct hr_job *j)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (j->boot_concurrency > 0)
		return j->boot_concurrency;
	return cpus >= 2 ? (int)(cpus / 2) : 1;
}

/*
 * No deadline of its own is needed in a working run: every holder gives its
 * slot back within its boot's timeouts; the bound here, every guest of the
 * wave booting twice under both timeouts, is only reached by a lost slot.
 */
int hr_guest_slot_take(struct hr_guest *g)
{
	struct hr_boot_slots *s = g->slots;
	struct hr_boot *b = &g->boot;
	const struct hr_job *j = g->job;
	uint64_t t0 = hr_now_ns(), now = t0, deadline;
	int got;

	if (!s)
		return 0;
	deadline = t0 + (2 * (uint64_t)j->vms * (j->boot_timeout_us + j->kvm_boot_timeout_us) +
			 60000000ull) * 1000;
	pthread_mutex_lock(&s->lock);
	while (!(got = s->busy < s->n) && !hr_stop && (now = hr_now_ns()) < deadline) {
		uint64_t until = now + HR_QUEUE_TICK_MS * 1000000ull;
		struct timespec ts;

		if (until > deadline)
			until = deadline;
		ts.tv_sec = (time_t)(until / 1000000000ull);
		ts.tv_nsec = (long)(until % 1000000000ull);
		(void)pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	}
	if (got)
		s->busy++;
	pthread_mutex_unlock(&s->lock);
	b->slot_wait_ns = (int64_t)(hr_now_ns() - t0);
	b->has_slot = got;
	if (got)
		return 0;
	if (hr_stop)
		return hr_error("%s: interrupted while waiting to boot", g->name);
	return hr_error("%s: no boot slot came free within %.0f s (boot-concurrency=%d): a slot was lost",
			g->name, (double)(deadline - t0) / 1e9, s->n);
}

void hr_guest_slot_give(struct hr_guest *g)
{
	struct hr_boot_slots *s = g->slots;

	if (!s || !g->boot.has_slot)
		return;
	pthread_mutex_lock(&s->lock);
	s->busy--;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	g->boot.has_slot = 0;
}

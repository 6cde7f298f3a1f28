// SPDX-License-Identifier: MIT
/* clock.c - host time, and guest time mapped onto the run's; see clock.h. */
#include <stdint.h>
#include <time.h>

#include "clock.h"

uint64_t hr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int hr_clock_pair(uint64_t sent, uint64_t recv, uint64_t guest, uint64_t t0,
		  struct hr_clock_est *out)
{
	uint64_t mid;

	if (recv < sent || guest > INT64_MAX || recv > INT64_MAX || recv < t0)
		return -1;
	out->rtt_ns = recv - sent;
	mid = sent + out->rtt_ns / 2;
	out->offset_ns = (int64_t)guest - (int64_t)mid;
	out->t_ns = (int64_t)(recv - t0);
	return 0;
}

int hr_clock_to_run(uint64_t guest_ns, int64_t offset_ns, uint64_t t0, int64_t *out)
{
	int64_t t;

	if (guest_ns > INT64_MAX || t0 > INT64_MAX)
		return -1;
	if (__builtin_sub_overflow((int64_t)guest_ns, offset_ns, &t) ||
	    __builtin_sub_overflow(t, (int64_t)t0, &t))
		return -1;
	*out = t;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * clock.h - time on the host and in the guest, and the map between them.
 *
 * The host's clock is CLOCK_MONOTONIC in ns. The run's time base is ns since
 * the run started. The guest stamps with its own CLOCK_MONOTONIC; the offset
 * (guest - host) comes from ping/pong pairs, the pair with the smallest round
 * trip winning, its error bound half that round trip. Guest times are
 * untrusted input: the map refuses what would overflow.
 */
#ifndef HR_CLOCK_H
#define HR_CLOCK_H

#include <stdint.h>

/* Host CLOCK_MONOTONIC in ns. */
uint64_t hr_now_ns(void);

/* One offset estimate from a ping sent at host @sent, answered with guest
 * time @guest at host @recv. */
struct hr_clock_est {
	int64_t t_ns;		/* when it was taken (run time base) */
	int64_t offset_ns;	/* guest - host */
	uint64_t rtt_ns;
};

/*
 * The estimate from one ping/pong pair; @t0 is the run's start (host ns).
 * Returns 0, or -1 if the times are not usable (recv before sent, a guest
 * time beyond INT64_MAX).
 */
int hr_clock_pair(uint64_t sent, uint64_t recv, uint64_t guest, uint64_t t0,
		  struct hr_clock_est *out);

/*
 * Guest time @guest_ns in the run's time base, given the offset and the
 * run's start @t0: guest - offset - t0. Returns 0, or -1 (and *out
 * untouched) if that does not fit in an int64_t.
 */
int hr_clock_to_run(uint64_t guest_ns, int64_t offset_ns, uint64_t t0, int64_t *out);

#endif /* HR_CLOCK_H */

// SPDX-License-Identifier: MIT
/*
 * clock.c - the agent's clock model (clock.h): rdtsc fitted to
 * CLOCK_MONOTONIC, re-anchored once a second.
 */
#include "clock.h"

struct ga_clock ga_clk;

void ga_clock_sync(void)
{
	uint64_t tsc = 0, ns = 0, best = UINT64_MAX;

	if (!HAVE_TICKS)
		return;
	for (int i = 0; i < 3; i++) {	/* the tightest of three pairs */
		uint64_t a = ticks(), t = mono_ns(), b = ticks();

		if (b >= a && b - a < best) {
			best = b - a;
			tsc = a + (b - a) / 2;
			ns = t;
		}
	}
	if (best == UINT64_MAX)
		return;
	if (ga_clk.k > 0) {
		int64_t pred = (int64_t)ga_clk.ns1 +
			       (int64_t)((double)(int64_t)(tsc - ga_clk.tsc1) * ga_clk.k);
		int64_t err = pred - (int64_t)ns;

		if (err > 1000000 || err < -1000000)	/* 1 ms off: no steady TSC here */
			ga_clk.tsc0 = ga_clk.ns0 = 0, ga_clk.k = 0;
	}
	if (!ga_clk.tsc0) {
		ga_clk.tsc0 = tsc;
		ga_clk.ns0 = ns;
	} else if (tsc > ga_clk.tsc0 && ns > ga_clk.ns0) {
		ga_clk.k = (double)(ns - ga_clk.ns0) / (double)(tsc - ga_clk.tsc0);
	}
	ga_clk.tsc1 = tsc;
	ga_clk.ns1 = ns;
}

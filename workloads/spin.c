// SPDX-License-Identifier: MIT
/*
 * spin.c - a CPU hog: threads= threads compute flat out for the whole job.
 *
 * It competes with the guest's balloon driver (a kernel worker) for vCPU
 * time, so it slows ballooning from inside the guest: the deliberate
 * slowdown a CI regression job must catch (ci/perf-regression --set
 * workload=spin:threads=2, tests/vm-compare.t),
 * or the "busy guest" case of a benchmark. Each unit of work (a fixed
 * 4096-step integer hash, a few microseconds) is timed as one WL_K_REQUEST:
 * a unit that took long is a thread that lost its vCPU, to the balloon
 * driver among others. Memory: none to speak of.
 */
#include <stdint.h>

#include "workload.h"

#define UNIT	4096

static int spin_thread(struct wl_ctx *ctx, int tid)
{
	uint64_t start = wl_ticks(), x = wl_seed(tid);
	struct wl_rec r;

	wl_rec_init(&r, ctx->shm, tid);
	while (!wl_should_stop(ctx, start)) {
		uint64_t t = wl_ticks();

		for (int i = 0; i < UNIT; i++)	/* in registers: no memory traffic */
			(void)wl_xorshift(&x);
		__asm__ __volatile__("" : "+r"(x));
		(void)wl_record_since(&r, WL_K_REQUEST, t);
	}
	return 0;
}

static int spin_run(struct wl_ctx *ctx)
{
	return wl_run_threads(ctx, spin_thread);
}

const struct wl_desc wl_spin = {
	.name = "spin",
	.help = "CPU hog: threads compute flat out (slows the guest's balloon driver); work units timed",
	.opts = WL_OPT(WL_O_DURATION) | WL_OPT(WL_O_THREADS) | WL_OPT(WL_O_NODE),
	.flags = WL_F_REQUEST,
	.supported = NULL,
	.run = spin_run,
};

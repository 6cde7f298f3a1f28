// SPDX-License-Identifier: MIT
/*
 * hold.c - access latency of a resident working set.
 *
 * Each thread maps its share of size bytes (the pages split evenly), writes
 * every page once untimed (after madvise, so thp= is honoured, and after the
 * thread's NUMA binding), then loops writing one byte per 4 KiB page until
 * stopped: in order, wrapping (pattern=seq), or a uniformly random page each
 * time (pattern=random), at rate= pages/s for all threads together (0: flat
 * out), each write one WL_K_ACCESS record. A resident page costs nanoseconds;
 * a page the balloon took (and the host discarded) shows up as a refault.
 * th->bytes: the thread's share once populated (left set after the run).
 */
#include <stdint.h>
#include <sys/mman.h>

#include "workload.h"

#define WHO	"hold"

/* Write every page of @p once, untimed. 1 if told to stop meanwhile, else 0. */
static int populate(const struct wl_ctx *ctx, char *p, size_t n, uint64_t start)
{
	for (size_t i = 0; i < n; i++) {
		if (!(i & 255) && wl_should_stop(ctx, start))
			return 1;
		p[i * WL_PAGE] = 1;
	}
	return 0;
}

/* Re-write the @n pages at @p until stopped, one timed write per page. */
static void hold_loop(struct wl_ctx *ctx, struct wl_rec *r, char *p, size_t n, uint64_t start,
		      uint64_t seed)
{
	double gap = wl_gap(ctx);
	size_t cur = n - 1;	/* seq: the first write goes to page 0 */

	for (uint64_t done = 0;; done++) {
		if (ctx->o.pattern == WL_RANDOM)
			cur = (size_t)wl_below(&seed, n);
		else if (++cur >= n)
			cur = 0;
		if (wl_page_op(ctx, r, start, gap, done, p, cur, (char)done))
			return;
	}
}

static int hold_thread(struct wl_ctx *ctx, int tid)
{
	const struct wl_opts *o = &ctx->o;
	size_t n = wl_share_pages(o->size, ctx->shm->nthreads, tid), len = n * WL_PAGE;
	uint64_t start = wl_ticks();
	struct wl_rec r;
	char *p;
	int ret;

	wl_rec_init(&r, ctx->shm, tid);
	if (!n)
		return 0;
	ret = wl_map(WHO, len, o->thp, &p);
	if (ret)
		return ret;
	if (!populate(ctx, p, n, start)) {
		r.th->bytes = len;
		hold_loop(ctx, &r, p, n, start, wl_seed(tid));
	}
	(void)munmap(p, len);
	return 0;
}

static int hold_run(struct wl_ctx *ctx)
{
	return wl_run_threads(ctx, hold_thread);
}

const struct wl_desc wl_hold = {
	.name = WHO,
	.help = "access latency of a populated working set re-written at a steady rate (refaults)",
	.opts = WL_OPT(WL_O_SIZE) | WL_OPT(WL_O_RATE) | WL_OPT(WL_O_DURATION) | WL_OPT(WL_O_SLOW) |
		WL_OPT(WL_O_THREADS) | WL_OPT(WL_O_NODE) | WL_OPT(WL_O_PATTERN) | WL_OPT(WL_O_THP),
	.flags = WL_F_ACCESS,
	.supported = NULL,
	.run = hold_run,
};

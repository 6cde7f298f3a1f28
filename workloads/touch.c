// SPDX-License-Identifier: MIT
/*
 * touch.c - first-touch page-fault latency.
 *
 * Each thread maps its share of size bytes (the pages split evenly, so the
 * shares add up to size), first-touches every 4 KiB page once, in order or in
 * a fresh random permutation per pass (pattern=random), and times each write:
 * one WL_K_ACCESS record per page, i.e. one page fault. Then it unmaps and
 * starts over, passes times (0: until stopped). thp=1 maps 2 MiB aligned and
 * madvises MADV_HUGEPAGE (one write in 512 then faults in a huge page, the
 * others are hits); thp=0 madvises MADV_NOHUGEPAGE. rate= paces the pages
 * (all threads together) on an absolute schedule. th->bytes: bytes mapped now.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "workload.h"

#define WHO	"touch"

/* Fill @perm with a fresh random permutation of 0 .. @n-1 (Fisher-Yates). */
static void shuffle(uint32_t *perm, size_t n, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(wl_xorshift(seed) % (i + 1));
		uint32_t t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
}

/* One pass: first-touch the @n pages at @p, timed. 1 if told to stop, else 0. */
static int touch_pass(struct wl_ctx *ctx, struct wl_rec *r, char *p, size_t n,
		      const uint32_t *perm, uint64_t start, double gap, uint64_t *done)
{
	for (size_t i = 0; i < n; i++, (*done)++)
		if (wl_page_op(ctx, r, start, gap, *done, p, perm ? perm[i] : i, 1))
			return 1;
	return 0;
}

static int touch_thread(struct wl_ctx *ctx, int tid)
{
	const struct wl_opts *o = &ctx->o;
	size_t n = wl_share_pages(o->size, ctx->shm->nthreads, tid);
	size_t len = n * WL_PAGE, plen = n * sizeof(uint32_t);
	uint64_t start = wl_ticks(), done = 0, seed = wl_seed(tid);
	double gap = wl_gap(ctx);
	uint32_t *perm = NULL;
	struct wl_rec r;
	int ret = 0;

	wl_rec_init(&r, ctx->shm, tid);
	if (!n)
		return 0;
	if (o->pattern == WL_RANDOM) {
		perm = mmap(NULL, plen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (perm == MAP_FAILED)
			return wl_fail(WHO, errno, "mmap %zu bytes for the page order", plen);
	}
	for (uint64_t pass = 0; !o->passes || pass < o->passes; pass++) {
		char *p;
		int stop;

		ret = wl_map(WHO, len, o->thp, &p);
		if (ret)
			break;
		r.th->bytes = len;
		if (perm)
			shuffle(perm, n, &seed);
		stop = touch_pass(ctx, &r, p, n, perm, start, gap, &done);
		(void)munmap(p, len);
		r.th->bytes = 0;
		if (stop)
			break;
	}
	if (perm)
		(void)munmap(perm, plen);
	return ret;
}

static int touch_run(struct wl_ctx *ctx)
{
	return wl_run_threads(ctx, touch_thread);
}

const struct wl_desc wl_touch = {
	.name = WHO,
	.help = "first-touch page-fault latency: map, write every 4 KiB page once (timed), unmap, repeat",
	.opts = WL_OPT(WL_O_SIZE) | WL_OPT(WL_O_RATE) | WL_OPT(WL_O_DURATION) | WL_OPT(WL_O_SLOW) |
		WL_OPT(WL_O_PASSES) | WL_OPT(WL_O_THREADS) | WL_OPT(WL_O_NODE) |
		WL_OPT(WL_O_PATTERN) | WL_OPT(WL_O_THP),
	.flags = WL_F_ACCESS,
	.supported = NULL,
	.run = touch_run,
};

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
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "workload.h"

#define PAGE	4096ul
#define HPAGE	(2ul << 20)
#define STEP_NS	10e6		/* longest sleep between two looks at stop */

/* Report "wl touch: WHAT: strerror(err)" once; returns -err. */
static __attribute__((format(printf, 2, 3))) int fail(int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wl touch: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	return -err;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/*
 * Wait until @when (ticks; 0: not at all) in sleeps of at most 10 ms, so that
 * a stop is seen promptly whatever the rate. Returns 1 if the workload should stop.
 */
static int pace(const struct wl_ctx *ctx, uint64_t start, uint64_t when)
{
	uint64_t step = (uint64_t)(STEP_NS / ctx->shm->ns_per_tick);

	while (!wl_should_stop(ctx, start)) {
		uint64_t now = wl_ticks();

		if (now >= when)
			return 0;
		wl_pace_until(ctx, when - now > step ? now + step : when);
	}
	return 1;
}

/*
 * Map @len bytes of private anonymous memory, 2 MiB aligned and madvised
 * MADV_HUGEPAGE with @thp, MADV_NOHUGEPAGE without. NULL (errno set) on failure.
 */
static char *map(size_t len, int thp)
{
	size_t pad = thp ? HPAGE : 0, head;
	char *p = mmap(NULL, len + pad, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		return NULL;
	if (!thp) {
		(void)madvise(p, len, MADV_NOHUGEPAGE);	/* EINVAL without THP: fine */
		return p;
	}
	a = (char *)(((uintptr_t)p + HPAGE - 1) & ~(uintptr_t)(HPAGE - 1));
	head = (size_t)(a - p);
	if (head)
		(void)munmap(p, head);
	if (pad - head)
		(void)munmap(a + len, pad - head);
	if (madvise(a, len, MADV_HUGEPAGE)) {
		int e = errno;

		(void)munmap(a, len);
		errno = e;
		return NULL;
	}
	return a;
}

/* Fill @perm with a fresh random permutation of 0 .. @n-1 (Fisher-Yates). */
static void shuffle(uint32_t *perm, size_t n, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(xorshift(seed) % (i + 1));
		uint32_t t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
}

/* One pass: first-touch the @n pages at @p, timed. 1 if told to stop, else 0. */
static int touch_pass(struct wl_ctx *ctx, struct wl_rec *r, char *p, size_t n,
		      const uint32_t *perm, uint64_t start, double gap, uint64_t *done)
{
	for (size_t i = 0; i < n; i++, (*done)++) {
		volatile char *q = p + (perm ? perm[i] : i) * PAGE;
		uint64_t t;

		if (pace(ctx, start, gap > 0 ? start + (uint64_t)((double)*done * gap) : 0))
			return 1;
		t = wl_ticks();
		__asm__ __volatile__("" ::: "memory");
		*q = 1;
		__asm__ __volatile__("" ::: "memory");
		(void)wl_record_since(r, WL_K_ACCESS, t);
	}
	return 0;
}

static int touch_thread(struct wl_ctx *ctx, int tid)
{
	const struct wl_opts *o = &ctx->o;
	uint64_t pages = o->size / PAGE, nth = (uint64_t)ctx->shm->nthreads;
	size_t n = (size_t)(pages * (uint64_t)(tid + 1) / nth - pages * (uint64_t)tid / nth);
	size_t len = n * PAGE, plen = n * sizeof(uint32_t);
	uint64_t start = wl_ticks(), done = 0, seed = 0x9e3779b97f4a7c15ull * (uint64_t)(tid + 1);
	double gap = o->rate ? 1e9 * (double)nth / (double)o->rate / ctx->shm->ns_per_tick : 0;
	uint32_t *perm = NULL;
	struct wl_rec r;
	int ret = 0;

	wl_rec_init(&r, ctx->shm, tid);
	if (!n)
		return 0;
	if (o->pattern == WL_RANDOM) {
		perm = mmap(NULL, plen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (perm == MAP_FAILED)
			return fail(errno, "mmap %zu bytes for the page order", plen);
	}
	for (uint64_t pass = 0; !o->passes || pass < o->passes; pass++) {
		char *p = map(len, o->thp);
		int stop;

		if (!p) {
			ret = fail(errno, "mmap %zu bytes%s", len, o->thp ? " (thp)" : "");
			break;
		}
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
	.name = "touch",
	.help = "first-touch page-fault latency: map, write every 4 KiB page once (timed), unmap, repeat",
	.opts = WL_OPT(WL_O_SIZE) | WL_OPT(WL_O_RATE) | WL_OPT(WL_O_DURATION) | WL_OPT(WL_O_SLOW) |
		WL_OPT(WL_O_PASSES) | WL_OPT(WL_O_THREADS) | WL_OPT(WL_O_NODE) |
		WL_OPT(WL_O_PATTERN) | WL_OPT(WL_O_THP),
	.supported = NULL,
	.run = touch_run,
};

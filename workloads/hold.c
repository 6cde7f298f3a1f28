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

/* Report "wl hold: WHAT: strerror(err)" once; returns -err. */
static __attribute__((format(printf, 2, 3))) int fail(int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wl hold: ");
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

/* Write every page of @p once, untimed. 1 if told to stop meanwhile, else 0. */
static int populate(const struct wl_ctx *ctx, char *p, size_t n, uint64_t start)
{
	for (size_t i = 0; i < n; i++) {
		if (!(i & 255) && wl_should_stop(ctx, start))
			return 1;
		p[i * PAGE] = 1;
	}
	return 0;
}

/* Re-write the @n pages at @p until stopped, one timed write per page. */
static void hold_loop(struct wl_ctx *ctx, struct wl_rec *r, char *p, size_t n, uint64_t start,
		      uint64_t seed)
{
	double gap = ctx->o.rate ? 1e9 * (double)ctx->shm->nthreads / (double)ctx->o.rate /
				   ctx->shm->ns_per_tick : 0;
	size_t cur = n - 1;	/* seq: the first write goes to page 0 */

	for (uint64_t done = 0;; done++) {
		volatile char *q;
		uint64_t t;

		if (pace(ctx, start, gap > 0 ? start + (uint64_t)((double)done * gap) : 0))
			return;
		if (ctx->o.pattern == WL_RANDOM) {
			cur = (size_t)(((xorshift(&seed) >> 32) * n) >> 32);
		} else if (++cur >= n) {
			cur = 0;
		}
		q = p + cur * PAGE;
		t = wl_ticks();
		__asm__ __volatile__("" ::: "memory");
		*q = (char)done;
		__asm__ __volatile__("" ::: "memory");
		(void)wl_record_since(r, WL_K_ACCESS, t);
	}
}

static int hold_thread(struct wl_ctx *ctx, int tid)
{
	const struct wl_opts *o = &ctx->o;
	uint64_t pages = o->size / PAGE, nth = (uint64_t)ctx->shm->nthreads;
	size_t n = (size_t)(pages * (uint64_t)(tid + 1) / nth - pages * (uint64_t)tid / nth);
	size_t len = n * PAGE;
	uint64_t start = wl_ticks();
	struct wl_rec r;
	char *p;

	wl_rec_init(&r, ctx->shm, tid);
	if (!n)
		return 0;
	p = map(len, o->thp);
	if (!p)
		return fail(errno, "mmap %zu bytes%s", len, o->thp ? " (thp)" : "");
	if (!populate(ctx, p, n, start)) {
		r.th->bytes = len;
		hold_loop(ctx, &r, p, n, start, 0x9e3779b97f4a7c15ull * (uint64_t)(tid + 1));
	}
	(void)munmap(p, len);
	return 0;
}

static int hold_run(struct wl_ctx *ctx)
{
	return wl_run_threads(ctx, hold_thread);
}

const struct wl_desc wl_hold = {
	.name = "hold",
	.help = "access latency of a populated working set re-written at a steady rate (refaults)",
	.opts = WL_OPT(WL_O_SIZE) | WL_OPT(WL_O_RATE) | WL_OPT(WL_O_DURATION) | WL_OPT(WL_O_SLOW) |
		WL_OPT(WL_O_THREADS) | WL_OPT(WL_O_NODE) | WL_OPT(WL_O_PATTERN) | WL_OPT(WL_O_THP),
	.supported = NULL,
	.run = hold_run,
};

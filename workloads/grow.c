// SPDX-License-Identifier: MIT
/*
 * grow.c - allocate until the guest runs out.
 *
 * Each thread reserves address space for its share of size bytes (PROT_NONE,
 * MAP_NORESERVE: neither committed nor accounted), then allocates it in 1 MiB
 * chunks: mmap(MAP_FIXED) read-write over the reservation (committed then,
 * so a strict-overcommit guest refuses a chunk rather than the whole size),
 * and writes every 4 KiB page, each write timed as one WL_K_ACCESS. Chunks
 * come at rate= MiB/s for all threads together (0: flat out). th->bytes is
 * what the thread has allocated, updated after every chunk, so the agent
 * knows how far it got when the OOM killer ends it (the point, in a guest,
 * when size is more than it can give). At size it holds the memory, sleeping
 * in 10 ms steps, until stopped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "workload.h"

#define PAGE	4096ul
#define CHUNK	(1ul << 20)
#define STEP_NS	10e6		/* longest sleep between two looks at stop */

/* Report "wl grow: WHAT: strerror(err)" once; returns -err. */
static __attribute__((format(printf, 2, 3))) int fail(int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wl grow: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	return -err;
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

/* Write the @len bytes at @p one page at a time, timed. 1 if told to stop, else 0. */
static int touch_chunk(const struct wl_ctx *ctx, struct wl_rec *r, char *p, size_t len,
		       uint64_t start)
{
	for (size_t off = 0; off < len; off += PAGE) {
		volatile char *q = p + off;
		uint64_t t;

		if (wl_should_stop(ctx, start))
			return 1;
		t = wl_ticks();
		__asm__ __volatile__("" ::: "memory");
		*q = 1;
		__asm__ __volatile__("" ::: "memory");
		(void)wl_record_since(r, WL_K_ACCESS, t);
	}
	return 0;
}

/* Allocate the @len bytes reserved at @base chunk by chunk: 0, 1 if stopped, or -errno. */
static int grow(struct wl_ctx *ctx, struct wl_rec *r, char *base, size_t len, uint64_t start)
{
	double gap = ctx->o.rate ? 1e9 * (double)ctx->shm->nthreads / (double)ctx->o.rate /
				   ctx->shm->ns_per_tick : 0;
	uint64_t i = 0;

	for (size_t off = 0; off < len; off += CHUNK, i++) {
		size_t c = len - off < CHUNK ? len - off : CHUNK;

		if (pace(ctx, start, gap > 0 ? start + (uint64_t)((double)i * gap) : 0))
			return 1;
		if (mmap(base + off, c, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			return fail(errno, "mmap a %zu-byte chunk after %zu bytes", c, off);
		if (touch_chunk(ctx, r, base + off, c, start))
			return 1;
		r->th->bytes = off + c;
	}
	return 0;
}

static int grow_thread(struct wl_ctx *ctx, int tid)
{
	struct timespec step = { 0, (long)STEP_NS };
	uint64_t pages = ctx->o.size / PAGE, nth = (uint64_t)ctx->shm->nthreads;
	size_t n = (size_t)(pages * (uint64_t)(tid + 1) / nth - pages * (uint64_t)tid / nth);
	size_t len = n * PAGE;
	uint64_t start = wl_ticks();
	struct wl_rec r;
	char *base;
	int ret;

	wl_rec_init(&r, ctx->shm, tid);
	if (!n)
		return 0;
	base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return fail(errno, "reserve %zu bytes of address space", len);
	ret = grow(ctx, &r, base, len, start);
	if (!ret)
		while (!wl_should_stop(ctx, start))
			(void)nanosleep(&step, NULL);
	(void)munmap(base, len);
	return ret < 0 ? ret : 0;
}

static int grow_run(struct wl_ctx *ctx)
{
	return wl_run_threads(ctx, grow_thread);
}

const struct wl_desc wl_grow = {
	.name = "grow",
	.help = "allocate 1 MiB chunks up to size (timing each page's first write), then hold: "
		"how far it gets before the OOM killer",
	.opts = WL_OPT(WL_O_SIZE) | WL_OPT(WL_O_RATE) | WL_OPT(WL_O_DURATION) | WL_OPT(WL_O_SLOW) |
		WL_OPT(WL_O_THREADS) | WL_OPT(WL_O_NODE),
	.supported = NULL,
	.run = grow_run,
};

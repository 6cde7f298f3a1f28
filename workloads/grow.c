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
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#include "workload.h"

#define WHO	"grow"
#define CHUNK	(1ul << 20)
#define STEP_NS	10e6		/* the hold's sleep between two looks at stop */

/* Write the @len bytes at @p one page at a time, timed. 1 if told to stop, else 0. */
static int touch_chunk(const struct wl_ctx *ctx, struct wl_rec *r, char *p, size_t len,
		       uint64_t start)
{
	for (size_t off = 0; off < len; off += WL_PAGE) {
		if (wl_should_stop(ctx, start))
			return 1;
		wl_write_timed(r, p + off, 1);
	}
	return 0;
}

/* Allocate the @len bytes reserved at @base chunk by chunk: 0, 1 if stopped, or -errno. */
static int grow(struct wl_ctx *ctx, struct wl_rec *r, char *base, size_t len, uint64_t start)
{
	double gap = wl_gap(ctx);
	uint64_t i = 0;

	for (size_t off = 0; off < len; off += CHUNK, i++) {
		size_t c = len - off < CHUNK ? len - off : CHUNK;

		if (wl_pace(ctx, start, wl_due(start, gap, i)))
			return 1;
		if (mmap(base + off, c, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			return wl_fail(WHO, errno, "mmap a %zu-byte chunk after %zu bytes", c, off);
		if (touch_chunk(ctx, r, base + off, c, start))
			return 1;
		r->th->bytes = off + c;
	}
	return 0;
}

static int grow_thread(struct wl_ctx *ctx, int tid)
{
	struct timespec step = { 0, (long)STEP_NS };
	size_t n = wl_share_pages(ctx->o.size, ctx->shm->nthreads, tid), len = n * WL_PAGE;
	uint64_t start = wl_ticks();
	struct wl_rec r;
	char *base;
	int ret;

	wl_rec_init(&r, ctx->shm, tid);
	if (!n)
		return 0;
	base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return wl_fail(WHO, errno, "reserve %zu bytes of address space", len);
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
	.name = WHO,
	.help = "allocate 1 MiB chunks up to size (timing each page's first write), then hold: "
		"how far it gets before the OOM killer",
	.opts = WL_OPT(WL_O_SIZE) | WL_OPT(WL_O_RATE) | WL_OPT(WL_O_DURATION) | WL_OPT(WL_O_SLOW) |
		WL_OPT(WL_O_THREADS) | WL_OPT(WL_O_NODE),
	.flags = WL_F_ACCESS,
	.supported = NULL,
	.run = grow_run,
};

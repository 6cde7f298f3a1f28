// SPDX-License-Identifier: MIT
/*
 * skeleton.c - the template of a workload: copy it to workloads/NAME.c,
 * rename wl_skeleton to wl_NAME and add it to registry.c's sorted list
 * (docs/HACKING.md, "A workload"). It is not in the registry itself, so no
 * scenario can name it; tests/skeletons.c parses its options and runs it
 * in-process, short and small, so the template cannot rot.
 *
 * What it does: each thread maps its share of size= bytes and writes one
 * byte per 4 KiB page, in order, over and over, at rate= pages/s for all
 * threads together (0: flat out), each write timed as one WL_K_ACCESS record
 * (a page's first write is its page fault), until the agent stops it or
 * duration= is over. th->bytes: the thread's share once mapped.
 *
 * The rules for run() and its threads (the agent forks a child for it, with
 * oom_score_adj raised, and ships what the shared memory holds):
 *   - poll wl_should_stop() (or let wl_page_op()/wl_pace() do it) at least
 *     every 10 ms, and return promptly when told: the host waits for it;
 *   - record only through the thread's struct wl_rec (lock-free, one per
 *     thread, wl_rec_init() first), and only the kinds its flags declare;
 *   - a failure is wl_fail(WHO, err, ...) once, then return its -errno; an
 *     OOM kill needs nothing: the agent sees it;
 *   - free what it mapped: under a test the same process runs it again.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "workload.h"

#define WHO	"skeleton"

/* One thread: its share of the pages, written in order until stopped. */
static int skel_thread(struct wl_ctx *ctx, int tid)
{
	const struct wl_opts *o = &ctx->o;
	size_t n = wl_share_pages(o->size, ctx->shm->nthreads, tid), len = n * WL_PAGE;
	uint64_t start = wl_ticks();
	double gap = wl_gap(ctx);	/* ticks between this thread's writes; 0 flat out */
	struct wl_rec r;
	char *p;
	int ret;

	wl_rec_init(&r, ctx->shm, tid);
	if (!n)
		return 0;
	ret = wl_map(WHO, len, o->thp, &p);	/* said why if it failed */
	if (ret)
		return ret;
	r.th->bytes = len;
	for (uint64_t i = 0;; i++)
		if (wl_page_op(ctx, &r, start, gap, i, p, (size_t)(i % n), (char)i))
			break;		/* stop set, or duration= over */
	(void)munmap(p, len);
	return 0;
}

/* run: 0 when done or stopped, else -errno (after wl_fail). */
static int skel_run(struct wl_ctx *ctx)
{
	return wl_run_threads(ctx, skel_thread);	/* threads= of them, tid 0 on this one */
}

/*
 * The descriptor. opts: the options it takes, as WL_OPT() bits of the one
 * table (registry.c's wl_options[]; a new option is a row there and a field
 * of struct wl_opts). flags: what it needs of the host (WL_F_DISK) and the
 * latencies it records (WL_F_ACCESS, WL_F_REQUEST). supported: NULL, or a
 * function that says in the guest why it cannot run there (pagecache.c's
 * asks for io_uring), returning NULL when it can. check: NULL, or a function
 * that checks its options together once parsed (host and guest: demand.c's
 * refuses low= above size=), saying which and what was expected.
 */
const struct wl_desc wl_skeleton = {
	.name = WHO,
	.help = "template: writes its pages in order at a steady rate, each write timed",
	.opts = WL_OPT(WL_O_SIZE) | WL_OPT(WL_O_RATE) | WL_OPT(WL_O_DURATION) | WL_OPT(WL_O_SLOW) |
		WL_OPT(WL_O_THREADS) | WL_OPT(WL_O_THP),
	.flags = WL_F_ACCESS,
	.supported = NULL,
	.check = NULL,
	.run = skel_run,
};

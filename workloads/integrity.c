// SPDX-License-Identifier: MIT
/*
 * integrity.c - memory integrity: is every page what was written there?
 *
 * Each thread maps its share of size= bytes (the pages split evenly, so the
 * shares add up to size) and fills every 4 KiB page with a pattern of its own
 * (wl_integ_fill): the page's index in size= and a generation, then a
 * sequence derived from both, then a checksum of the rest. Then it verifies
 * its pages in passes, in order, until stopped (or passes= of them): each
 * page read and compared whole is one timed WL_K_ACCESS record (rate= pages/s
 * for all threads together, 0 flat out), and is written again with the next
 * generation, so that a page brought back from an earlier time (a stale copy)
 * is found as surely as a zeroed one (what a balloon that freed a page it
 * should not have gives) or a flipped byte. A pass verifies every page once.
 *
 * What it counts (struct wl_thread_shm, cumulative): pages checked (their
 * bytes are the bytes verified, pages x 4096) and mismatches; the first
 * WL_BAD_KEPT mismatches of the run go to wl_shm.bad[] with the page's index,
 * its first differing byte, its address, what it held and when. A page found
 * wrong is written right again, so each corruption counts once.
 *
 * It holds size= bytes and nothing else (the generations are per thread).
 * th->bytes: the thread's share once filled.
 *
 * The test faults (set by the agent in wl_shm.faults), after thread 0's
 * first full pass, once, on its middle page; the next pass finds it:
 * WL_FAULT_FLIP (BALLOONBENCH_FAULT=integrity-flip) flips one byte
 * (INTEG_FLIP_OFF), WL_FAULT_ZERO (integrity-zero) drops the page
 * (MADV_DONTNEED: it reads back as zeroes, what a balloon that took a page
 * in use leaves).
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "workload.h"

#define WHO		"integrity"
#define WORDS		(WL_PAGE / sizeof(uint64_t))
#define STEP		0x9e3779b97f4a7c15ull	/* between two words of the sequence */
#define SUM0		0x6a09e667f3bcc908ull	/* the checksum's start: a zero page never sums to 0 */
#define INTEG_FLIP_OFF	1234			/* the byte WL_FAULT_FLIP flips (in word 154) */

/* splitmix64's finaliser: a good 64-bit mix. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The checksum of words 0..WORDS-2 of @w. */
static uint64_t checksum(const uint64_t *w)
{
	uint64_t s = SUM0;

	for (size_t j = 0; j < WORDS - 1; j++)
		s = (s ^ w[j]) * 0x100000001b3ull + (s >> 29);
	return mix(s);
}

void wl_integ_fill(void *p, uint64_t page, uint64_t gen)
{
	uint64_t *w = p, v = mix(page * STEP ^ mix(gen));

	w[0] = page;
	w[1] = gen;
	for (size_t j = 2; j < WORDS - 1; j++, v += STEP)
		w[j] = v;
	w[WORDS - 1] = checksum(w);
}

enum wl_bad_kind wl_integ_check(const void *p, uint64_t page, uint64_t gen, uint64_t *off)
{
	const uint64_t *w = p;
	uint64_t v = mix(page * STEP ^ mix(gen)), want[WORDS];
	size_t j = 0, b;
	int zero = 1;

	if (w[0] == page && w[1] == gen) {
		for (j = 2; j < WORDS - 1; j++, v += STEP)
			if (w[j] != v)
				break;
		if (j == WORDS - 1 && w[j] == checksum(w))
			return WL_BAD_NONE;
	}
	/* Wrong: where first, and what it holds instead (the slow path, once per mismatch). */
	wl_integ_fill(want, page, gen);
	for (b = 0; b < WL_PAGE && ((const unsigned char *)p)[b] == ((unsigned char *)want)[b]; b++)
		;
	*off = b < WL_PAGE ? b : 0;
	for (j = 0; j < WORDS; j++)
		zero &= !w[j];
	if (zero)
		return WL_BAD_ZERO;
	return w[WORDS - 1] == checksum(w) ? WL_BAD_STALE : WL_BAD_CORRUPT;
}

/* The generation after @gen: never 0, never @gen. */
static uint64_t next_gen(uint64_t gen)
{
	uint64_t g = mix(gen + STEP);

	return g && g != gen ? g : gen + 1;
}

/* Count a mismatch of page @page (at @q) found at @t (ticks); keep it if one of the first. */
static void mismatch(struct wl_rec *r, uint64_t page, const char *q, uint64_t off,
		     enum wl_bad_kind kind, uint64_t t)
{
	struct wl_shm *shm = r->shm;
	uint32_t i = __atomic_fetch_add(&shm->nbad, 1, __ATOMIC_RELAXED);

	/* after checked (the agent reads mismatches first: never more than the pages) */
	__atomic_store_n(&r->th->mismatches, r->th->mismatches + 1, __ATOMIC_RELEASE);
	if (i >= WL_BAD_KEPT)
		return;
	shm->bad[i] = (struct wl_bad){ wl_ticks_to_ns(shm, t), page, off, (uintptr_t)q, kind, 0 };
	__atomic_store_n(&shm->bad[i].ready, 1, __ATOMIC_RELEASE);
}

/* Fill the @n pages at @p (first index @base) as generation @gen. 1 if told to stop meanwhile. */
static int fill(const struct wl_ctx *ctx, char *p, size_t n, uint64_t base, uint64_t gen,
		uint64_t start)
{
	for (size_t i = 0; i < n; i++) {
		if (!(i & 255) && wl_should_stop(ctx, start))
			return 1;
		wl_integ_fill(p + i * WL_PAGE, base + i, gen);
	}
	return 0;
}

/* The test faults @faults (WL_FAULT_*) on the middle page of the @n at @p (first index @base). */
static void fault(unsigned faults, char *p, size_t n, uint64_t base)
{
	char *q = p + (n / 2) * WL_PAGE;

	if (faults & WL_FAULT_FLIP) {
		*(volatile char *)(q + INTEG_FLIP_OFF) ^= 0x40;
		fprintf(stderr, "wl %s: test fault: flipped byte %d of page %llu (a test of the runner)\n",
			WHO, INTEG_FLIP_OFF, (unsigned long long)(base + n / 2));
	}
	if ((faults & WL_FAULT_ZERO) && !madvise(q, WL_PAGE, MADV_DONTNEED))
		fprintf(stderr, "wl %s: test fault: dropped page %llu (a test of the runner)\n",
			WHO, (unsigned long long)(base + n / 2));
}

static int integ_thread(struct wl_ctx *ctx, int tid)
{
	const struct wl_opts *o = &ctx->o;
	struct wl_shm *shm = ctx->shm;
	size_t n = wl_share_pages(o->size, shm->nthreads, tid), len = n * WL_PAGE;
	uint64_t base = o->size / WL_PAGE * (uint64_t)tid / (uint64_t)shm->nthreads;
	uint64_t start = wl_ticks(), gen = next_gen(start ^ wl_seed(tid)), done = 0;
	unsigned faults = tid ? 0 : shm->faults & (WL_FAULT_FLIP | WL_FAULT_ZERO);
	double gap = wl_gap(ctx);
	struct wl_rec r;
	char *p;
	int ret;

	wl_rec_init(&r, shm, tid);
	if (!n)
		return 0;
	ret = wl_map(WHO, len, o->thp, &p);
	if (ret)
		return ret;
	if (fill(ctx, p, n, base, gen, start))
		goto out;
	r.th->bytes = len;
	for (uint64_t pass = 0; !o->passes || pass < o->passes; pass++) {
		uint64_t next = next_gen(gen);

		for (size_t i = 0; i < n; i++) {
			char *q = p + i * WL_PAGE;
			enum wl_bad_kind kind;
			uint64_t t, off = 0;

			if (wl_pace(ctx, start, wl_due(start, gap, done++)))
				goto out;
			t = wl_ticks();
			__asm__ __volatile__("" ::: "memory");
			kind = wl_integ_check(q, base + i, gen, &off);
			__asm__ __volatile__("" ::: "memory");
			(void)wl_record_since(&r, WL_K_ACCESS, t);
			__atomic_store_n(&r.th->checked, r.th->checked + 1, __ATOMIC_RELEASE);
			if (kind)
				mismatch(&r, base + i, q, off, kind, t);
			wl_integ_fill(q, base + i, next);
		}
		gen = next;
		if (faults) {
			fault(faults, p, n, base);
			faults = 0;
		}
	}
out:
	(void)munmap(p, len);
	return 0;
}

static int integ_run(struct wl_ctx *ctx)
{
	return wl_run_threads(ctx, integ_thread);
}

const struct wl_desc wl_integrity = {
	.name = WHO,
	.help = "memory integrity: fills its pages with a checksummed pattern and verifies them in passes (each page read timed)",
	.opts = WL_OPT(WL_O_SIZE) | WL_OPT(WL_O_RATE) | WL_OPT(WL_O_DURATION) | WL_OPT(WL_O_SLOW) |
		WL_OPT(WL_O_PASSES) | WL_OPT(WL_O_THREADS) | WL_OPT(WL_O_NODE) | WL_OPT(WL_O_THP),
	.flags = WL_F_ACCESS,
	.supported = NULL,
	.run = integ_run,
};

// SPDX-License-Identifier: MIT
/*
 * demand.c - a working set that follows a trace of (time, size).
 *
 * The trace (wl_demand_bytes, pure: computed in the guest; the unit tests
 * check it on the host, nothing in the runner calls it) gives the working set at every time t since the job's start line (the
 * host's GO: every guest of the job up, where its schedule or policy
 * begins, one moment for all of them; before it, t = 0), at
 * tau = t + phase - guest * stagger (guest: the guest's index in its job, so
 * that the guests of one job are not in step), by shape=:
 *   steady   size, always
 *   diurnal  low + (size - low) * (1 - cos(2 pi tau / period)) / 2: low at
 *            tau = 0, size half a period later (a day compressed into period)
 *   hog      low, then size for duty % of each period, centred in it, then low
 *            again (one hog among idle neighbours: stagger = period / vms and
 *            duty <= 100 / vms, so that one guest at a time is the hog)
 *   bursty   low, with one burst to size of duty % of each period, at a
 *            pseudo-random place in that period (from the guest and the
 *            period's number: the same on every run)
 *   points   points=T:S/T:S/...: linear between two points (two of one time:
 *            a step), the first point's size before it, the last's after it
 * Periodic shapes repeat for tau < 0 too (a guest behind guest 0 starts in
 * its previous cycle).
 *
 * Each thread maps its share of size= (the peak; mapped, not touched) and
 * every 10 ms (and whenever an access is due later than that) sets its share
 * of the trace's working set: pages above it are given back to the guest
 * kernel at once (madvise MADV_DONTNEED: freed, so a balloon or free page
 * reporting can take them), pages below it not yet in it are written at once,
 * untimed: a first touch of a page given back is a zero-fill fault of the
 * guest kernel's, not the balloon's, and timed as accesses they would swamp
 * the latency histograms, the 10 ms bins and the SLO seconds with the
 * trace's growth (the growth shows in the guest's samples). Between, it
 * re-writes the pages of the set, one byte per 4 KiB page, in order or at
 * random (pattern=), at rate= pages/s for all threads (0: flat out), each
 * write one WL_K_ACCESS record: a page the balloon took and the host
 * discarded shows up as a slow access (slow=), per phase like every
 * workload's. While the set is empty, and while it grows, nothing is due (no
 * backlog: the re-writes go on at rate= after). th->bytes: the thread's set now.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

#include "parse.h"
#include "workload.h"

#define WHO	"demand"
#define CHECK_NS	10e6	/* the trace is looked at this often at least */
#define PI		3.14159265358979323846

static const char *const shape_word[WL_NSHAPES] = { "steady", "diurnal", "bursty", "hog", "points" };

/* @x mod @m in [0, @m) for any sign of @x (@m > 0). */
static int64_t pos_mod(int64_t x, int64_t m)
{
	int64_t r = x % m;

	return r < 0 ? r + m : r;
}

/* splitmix64's finaliser: a well-mixed 64-bit value of @z. */
static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* points=: linear between the points around @tau, held before the first and after the last. */
static double at_points(const struct wl_opts *o, int64_t tau)
{
	const struct wl_point *p = o->points;
	int n = o->npoints, i;

	if (n <= 0)
		return 0;
	if (tau <= 0 || (uint64_t)tau <= p[0].t_ns)
		return (double)p[0].bytes;
	/* the last point at or before tau: of two at one time, the later (a step) */
	for (i = n - 1; i > 0 && p[i].t_ns > (uint64_t)tau; i--)
		;
	if (i == n - 1)
		return (double)p[i].bytes;
	return (double)p[i].bytes + ((double)p[i + 1].bytes - (double)p[i].bytes) *
		(double)((uint64_t)tau - p[i].t_ns) / (double)(p[i + 1].t_ns - p[i].t_ns);
}

uint64_t wl_demand_bytes(const struct wl_opts *o, uint32_t guest, int64_t t_ns)
{
	int64_t per = (int64_t)o->period_ns, tau, u, burst, k, start;
	double lo = (double)o->low, hi = (double)o->size, v;

	/* every term below 2^47 ns (a day is 2^46.3): no overflow */
	tau = t_ns + (int64_t)o->phase_ns - (int64_t)guest * (int64_t)o->stagger_ns;
	if (per <= 0)
		per = 1;
	u = pos_mod(tau, per);
	burst = (int64_t)((double)per * o->duty / 100.0);
	switch (o->shape) {
	case WL_SHAPE_DIURNAL:
		v = lo + (hi - lo) * (1 - cos(2 * PI * (double)u / (double)per)) / 2;
		break;
	case WL_SHAPE_HOG:
		start = (per - burst) / 2;
		v = u >= start && u < start + burst ? hi : lo;
		break;
	case WL_SHAPE_BURSTY:
		k = (tau - u) / per;	/* the period's number (floor) */
		start = (int64_t)(mix(((uint64_t)guest << 40) ^ (uint64_t)k) %
				  (uint64_t)(per - burst + 1));
		v = u >= start && u < start + burst ? hi : lo;
		break;
	case WL_SHAPE_POINTS:
		v = at_points(o, tau);
		break;
	default:
		v = hi;
		break;
	}
	if (v > hi)
		v = hi;
	return wl_u64(v) / WL_PAGE * WL_PAGE;
}

/* A size for a message: whole MiB or KiB where it is one, else bytes. */
static const char *size_text(char *buf, size_t n, uint64_t b)
{
	if (b && !(b % (1ull << 20)))
		snprintf(buf, n, "%lluM", (unsigned long long)(b >> 20));
	else if (b && !(b % 1024))
		snprintf(buf, n, "%lluK", (unsigned long long)(b >> 10));
	else
		snprintf(buf, n, "%llu bytes", (unsigned long long)b);
	return buf;
}

static int demand_check(const struct wl_opts *o, char *err, size_t errlen)
{
	char a[32], b[32];

	if (o->low > o->size && o->shape != WL_SHAPE_STEADY && o->shape != WL_SHAPE_POINTS)
		return wl_err(err, errlen, "low=%s is above size=%s: low is the small working set, size "
			      "the peak", size_text(a, sizeof(a), o->low), size_text(b, sizeof(b), o->size));
	if (o->shape == WL_SHAPE_POINTS && !o->npoints)
		return wl_err(err, errlen, "shape=points needs points=TIME:SIZE/TIME:SIZE/... "
			      "(e.g. points=0s:32M/10s:200M/20s:32M)");
	if (o->shape != WL_SHAPE_POINTS && o->npoints)
		return wl_err(err, errlen, "points= is for shape=points (shape=%s here)",
			      shape_word[o->shape]);
	for (int i = 0; i < o->npoints; i++)
		if (o->points[i].bytes > o->size)
			return wl_err(err, errlen, "points: point %d's %s is above size=%s (size is the "
				      "most the trace may use: the memory it maps)", i + 1,
				      size_text(a, sizeof(a), o->points[i].bytes),
				      size_text(b, sizeof(b), o->size));
	return 0;
}

struct dthread {
	struct wl_ctx *ctx;
	struct wl_rec r;
	char *p;
	size_t max, cur;	/* pages: mapped, in the set now */
	int tid;
};

/*
 * The job's clock now: ns since its start line (wl_shm.go_ns, go_since_ns:
 * the agent's GO); 0 before GO (the trace held at its start). CLOCK_MONOTONIC
 * read here, as the agent's go_ns is (not the TSC extrapolated).
 */
static int64_t job_clock(const struct wl_shm *shm)
{
	uint64_t go = __atomic_load_n(&shm->go_ns, __ATOMIC_ACQUIRE), t;
	struct timespec ts;

	if (!go)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return (int64_t)((t > go ? t - go : 0) + shm->go_since_ns);
}

/* Set the thread's working set to the trace's now. 0, 1 if told to stop, or -errno. */
static int follow(struct dthread *d, uint64_t start)
{
	struct wl_shm *shm = d->ctx->shm;
	int64_t since = job_clock(shm);
	size_t want = wl_share_pages(wl_demand_bytes(&d->ctx->o, shm->guest, since), shm->nthreads,
				     d->tid);

	if (want > d->max)
		want = d->max;
	if (want < d->cur) {
		if (madvise(d->p + want * WL_PAGE, (d->cur - want) * WL_PAGE, MADV_DONTNEED))
			return wl_fail(WHO, errno, "give back %zu pages", d->cur - want);
		d->cur = want;
	}
	for (; d->cur < want; d->cur++) {
		if (!(d->cur & 255) && wl_should_stop(d->ctx, start)) {
			d->r.th->bytes = d->cur * WL_PAGE;
			return 1;
		}
		((volatile char *)d->p)[d->cur * WL_PAGE] = 1;	/* a first touch: not timed */
	}
	d->r.th->bytes = d->cur * WL_PAGE;
	return 0;
}

/* Re-write the set until stopped, following the trace. 0, or -errno. */
static int demand_loop(struct dthread *d, uint64_t start)
{
	const struct wl_ctx *ctx = d->ctx;
	double gap = wl_gap(ctx);
	uint64_t step = wl_u64(CHECK_NS / ctx->shm->ns_per_tick), next = 0, seed = wl_seed(d->tid);
	uint64_t done = 0;
	size_t cur = 0;		/* seq: the page written last */

	for (;;) {
		uint64_t now = wl_ticks(), due;
		int ret;

		if (now >= next) {
			size_t was = d->cur;

			ret = follow(d, start);
			if (ret)
				return ret < 0 ? ret : 0;
			next = now + step;
			/* it grew: what fell due meanwhile is not owed (no backlog) */
			if (d->cur > was && gap > 0)
				done = wl_u64(ceil((double)(wl_ticks() - start) / gap));
		}
		if (!d->cur) {
			/* nothing to access: nothing due meanwhile (no backlog) */
			if (wl_pace(ctx, start, next))
				return 0;
			if (gap > 0)
				done = wl_u64(ceil((double)(wl_ticks() - start) / gap));
			continue;
		}
		due = wl_due(start, gap, done);
		if (due > next) {
			if (wl_pace(ctx, start, next))
				return 0;
			continue;
		}
		if (ctx->o.pattern == WL_RANDOM)
			cur = (size_t)wl_below(&seed, d->cur);
		else if (++cur >= d->cur)
			cur = 0;
		if (wl_page_op(ctx, &d->r, start, gap, done, d->p, cur, (char)done))
			return 0;
		done++;
	}
}

static int demand_thread(struct wl_ctx *ctx, int tid)
{
	struct dthread d = { .ctx = ctx, .tid = tid };
	uint64_t start = wl_ticks();
	size_t len;
	int ret;

	wl_rec_init(&d.r, ctx->shm, tid);
	d.max = wl_share_pages(ctx->o.size, ctx->shm->nthreads, tid);
	if (!d.max)
		return 0;
	len = d.max * WL_PAGE;
	ret = wl_map(WHO, len, 0, &d.p);
	if (ret)
		return ret;
	ret = demand_loop(&d, start);
	(void)munmap(d.p, len);
	return ret;
}

static int demand_run(struct wl_ctx *ctx)
{
	return wl_run_threads(ctx, demand_thread);
}

const struct wl_desc wl_demand = {
	.name = WHO,
	.help = "a working set that follows a trace (shape=): grows by first touches, gives memory "
		"back above it, re-writes its pages at rate= (timed accesses)",
	.opts = WL_OPT(WL_O_SIZE) | WL_OPT(WL_O_RATE) | WL_OPT(WL_O_DURATION) | WL_OPT(WL_O_SLOW) |
		WL_OPT(WL_O_THREADS) | WL_OPT(WL_O_NODE) | WL_OPT(WL_O_PATTERN) |
		WL_OPT(WL_O_SHAPE) | WL_OPT(WL_O_LOW) | WL_OPT(WL_O_PERIOD) | WL_OPT(WL_O_DUTY) |
		WL_OPT(WL_O_PHASE) | WL_OPT(WL_O_STAGGER) | WL_OPT(WL_O_POINTS),
	.flags = WL_F_ACCESS,
	.supported = NULL,
	.check = demand_check,
	.run = demand_run,
};

// SPDX-License-Identifier: MIT
/*
 * core.c - what every workload shares, guest side: failure reports, pacing,
 * the threads' shares of memory and their mappings, the paced timed page
 * write (touch, hold), the recorder, threads and NUMA binding. See workload.h.
 */
#include <errno.h>
#include <math.h>
#include <numa.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "workload.h"

#define STEP_NS	10e6		/* longest sleep between two looks at stop */

int wl_fail(const char *who, int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wl %s: ", who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	return -err;
}

double wl_gap(const struct wl_ctx *ctx)
{
	if (!ctx->o.rate)
		return 0;
	return 1e9 * (double)ctx->shm->nthreads / (double)ctx->o.rate / ctx->shm->ns_per_tick;
}

int wl_pace(const struct wl_ctx *ctx, uint64_t start, uint64_t when)
{
	uint64_t step = wl_u64(STEP_NS / ctx->shm->ns_per_tick);

	while (!wl_should_stop(ctx, start)) {
		uint64_t now = wl_ticks();

		if (now >= when)
			return 0;
		wl_pace_until(ctx, when - now > step ? now + step : when);
	}
	return 1;
}

size_t wl_share_pages(uint64_t bytes, int nthreads, int tid)
{
	uint64_t pages = bytes / WL_PAGE, nth = nthreads < 1 ? 1 : (uint64_t)nthreads;

	return (size_t)(pages * (uint64_t)(tid + 1) / nth - pages * (uint64_t)tid / nth);
}

int wl_map(const char *who, size_t len, int thp, char **out)
{
	size_t pad = thp ? WL_HPAGE : 0, head;
	char *p = mmap(NULL, len + pad, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		goto err;
	if (!thp) {
		(void)madvise(p, len, MADV_NOHUGEPAGE);	/* EINVAL without THP: fine */
		*out = p;
		return 0;
	}
	a = (char *)(((uintptr_t)p + WL_HPAGE - 1) & ~(uintptr_t)(WL_HPAGE - 1));
	head = (size_t)(a - p);
	if (head)
		(void)munmap(p, head);
	if (pad - head)
		(void)munmap(a + len, pad - head);
	if (madvise(a, len, MADV_HUGEPAGE)) {
		int e = errno;

		(void)munmap(a, len);
		errno = e;
		goto err;
	}
	*out = a;
	return 0;
err:
	return wl_fail(who, errno, "mmap %zu bytes%s", len, thp ? " (thp)" : "");
}

int wl_page_op(const struct wl_ctx *ctx, struct wl_rec *r, uint64_t start, double gap, uint64_t i,
	       char *p, size_t page, char v)
{
	if (wl_pace(ctx, start, wl_due(start, gap, i)))
		return 1;
	wl_write_timed(r, p + page * WL_PAGE, v);
	return 0;
}


void wl_rec_init(struct wl_rec *r, struct wl_shm *shm, int tid)
{
	r->shm = shm;
	r->tid = tid;
	r->th = &shm->th[tid];
}

void wl_record(struct wl_rec *r, enum wl_kind kind, uint64_t t0, uint64_t lat_ns)
{
	struct wl_thread_shm *th = r->th;
	struct wl_epoch_stats *ep = &th->ep[r->shm->epoch & 1];
	uint64_t t_ns, id;
	struct wl_bin *b;

	st_hist_add(&ep->hist[kind], lat_ns);
	st_welford_add(&ep->w[kind], lat_ns);
	th->ops++;
	if (kind != WL_K_ACCESS)
		return;
	t_ns = wl_ticks_to_ns(r->shm, t0);
	id = (t_ns - r->shm->t0_ns) / WL_BIN_NS + 1;
	b = &th->bins[id % WL_NBINS];
	if (b->id != id) {
		/* A new bin: publish its id last, so the agent never ships a half-reset bin. */
		b->n = b->slow = b->sum_ns = b->max_ns = 0;
		__atomic_store_n(&b->id, id, __ATOMIC_RELEASE);
	}
	b->n++;
	if (lat_ns < r->shm->slow_ns)
		return;
	b->slow++;
	b->sum_ns += lat_ns;
	if (lat_ns > b->max_ns)
		b->max_ns = lat_ns;
	{
		/* keep the WL_SLOWEST slowest: replace the smallest */
		int m = 0;

		for (int i = 1; i < WL_SLOWEST; i++)
			if (th->slowest[i].lat_ns < th->slowest[m].lat_ns)
				m = i;
		if (lat_ns > th->slowest[m].lat_ns) {
			th->slowest[m].t_ns = t_ns;
			th->slowest[m].lat_ns = lat_ns;
		}
	}
}

int wl_should_stop(const struct wl_ctx *ctx, uint64_t start_ticks)
{
	if (__atomic_load_n(&ctx->shm->stop, __ATOMIC_RELAXED))
		return 1;
	if (ctx->o.duration_ns &&
	    (double)(wl_ticks() - start_ticks) * ctx->shm->ns_per_tick >= (double)ctx->o.duration_ns)
		return 1;
	return 0;
}

void wl_pace_until(const struct wl_ctx *ctx, uint64_t ticks)
{
	for (;;) {
		uint64_t now = wl_ticks();
		double ns;
		struct timespec ts;

		if (now >= ticks || __atomic_load_n(&ctx->shm->stop, __ATOMIC_RELAXED))
			return;
		ns = (double)(ticks - now) * ctx->shm->ns_per_tick;
		if (ns < 20000)
			continue;	/* spin the last 20 us: a sleep under TCG overshoots */
		ns -= 20000;
		if (ns > 10e6)
			ns = 10e6;	/* look at stop every 10 ms at most */
		ts.tv_sec = (time_t)(ns / 1e9);
		ts.tv_nsec = (long)fmod(ns, 1e9);
		nanosleep(&ts, NULL);
	}
}

int wl_bind_node(const struct wl_ctx *ctx)
{
	struct bitmask *bm;

	if (ctx->o.node < 0)
		return 0;
	if (numa_available() < 0 || ctx->o.node > numa_max_node())
		return -ENODEV;
	if (numa_run_on_node(ctx->o.node))
		return -errno;
	bm = numa_allocate_nodemask();
	numa_bitmask_setbit(bm, (unsigned)ctx->o.node);
	numa_set_membind(bm);
	numa_free_nodemask(bm);
	return 0;
}

struct thread_arg {
	struct wl_ctx *ctx;
	int tid;
	int (*fn)(struct wl_ctx *ctx, int tid);
	int ret;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;

	a->ret = wl_bind_node(a->ctx);
	if (!a->ret)
		a->ret = a->fn(a->ctx, a->tid);
	return NULL;
}

int wl_run_threads(struct wl_ctx *ctx, int (*fn)(struct wl_ctx *ctx, int tid))
{
	struct thread_arg args[WL_MAX_THREADS];
	pthread_t th[WL_MAX_THREADS];
	int n = ctx->o.threads < 1 ? 1 : ctx->o.threads, ret = 0;

	ctx->shm->nthreads = n;
	for (int i = 0; i < n; i++) {
		args[i] = (struct thread_arg){ ctx, i, fn, 0 };
		if (i && pthread_create(&th[i], NULL, thread_main, &args[i])) {
			args[i].ret = -EAGAIN;
			n = i;
			break;
		}
	}
	thread_main(&args[0]);
	for (int i = 1; i < n; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < n; i++)
		if (args[i].ret && !ret)
			ret = args[i].ret;
	return ret;
}

/* SPDX-License-Identifier: MIT */
/*
 * workload.h - what runs inside the guest while the balloon moves.
 *
 * One workload per file, each exporting one descriptor (struct wl_desc) that
 * the registry (registry.c) lists. The guest agent runs a workload in a forked
 * child (oom_score_adj raised, so the OOM killer picks it, never the agent);
 * the child records into a shared, locked memory region (struct wl_shm) that
 * survives the child being killed, and the agent ships it to the host.
 *
 * Options are data: one table of every option (wl_options[]); a workload says
 * which it accepts (wl_desc.opts, a bit mask). The host validates a scenario's
 * `workload = NAME:key=value,...` with the same code (wl_parse_spec) and the
 * agent parses what the host sends with it again. What a workload needs of
 * the host and what it reports are its flags (WL_F_*): the runner asks them,
 * never its name. workloads/skeleton.c is the commented template.
 *
 * Timing: rdtsc, calibrated against CLOCK_MONOTONIC by the agent (under TCG
 * the guest's clock_gettime is a real syscall plus an emulated HPET read,
 * about 860 ns; rdtsc is tens of ns). Recording is lock-free per thread: each
 * thread owns a struct wl_thread_shm.
 */
#ifndef WL_WORKLOAD_H
#define WL_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

#define WL_MAX_THREADS	8
#define WL_BIN_NS	10000000ull	/* fault time series: 10 ms bins */
#define WL_NBINS	1024		/* ring: about 10 s of bins */
#define WL_SLOWEST	16		/* slowest accesses kept per thread */

/* What a latency is of. */
enum wl_kind {
	WL_K_ACCESS,	/* one memory access (a first touch is a page fault) */
	WL_K_REQUEST,	/* one application request (kv get/put, a pagecache read) */
	WL_NKINDS
};

/* Phases of the balloon, set by the host through the agent. */
enum wl_phase { WL_STEADY, WL_INFLATING, WL_DEFLATING, WL_NPHASES };

extern const char *const wl_kind_names[WL_NKINDS];
extern const char *const wl_phase_names[WL_NPHASES];

struct wl_epoch_stats {
	struct st_hist hist[WL_NKINDS];
	struct st_welford w[WL_NKINDS];
};

struct wl_bin {
	uint64_t id;		/* (t - t0) / WL_BIN_NS + 1; 0 = unused */
	uint64_t n;		/* accesses timed */
	uint64_t slow;		/* of which at or above the slow threshold */
	uint64_t sum_ns;	/* latency sum of the slow ones */
	uint64_t max_ns;
};

struct wl_slow {
	uint64_t t_ns;		/* guest CLOCK_MONOTONIC */
	uint64_t lat_ns;
};

struct wl_thread_shm {
	/* Two epochs: the thread writes ep[shm->epoch & 1]; the agent ships and clears the other. */
	struct wl_epoch_stats ep[2];
	struct wl_bin bins[WL_NBINS];
	struct wl_slow slowest[WL_SLOWEST];
	uint64_t ops;		/* accesses or requests done */
	uint64_t bytes;		/* memory held or allocated */
	/* integrity (cumulative): pages verified, their bytes, and mismatches found */
	uint64_t checked, verified, mismatches;
};

#define WL_BAD_KEPT	8	/* integrity: the first mismatches kept with where and when */

/* What a mismatched page held (struct wl_bad.kind; 0: no mismatch). */
enum wl_bad_kind { WL_BAD_NONE, WL_BAD_ZERO, WL_BAD_STALE, WL_BAD_CORRUPT, WL_NBAD_KINDS };
extern const char *const wl_bad_kind_names[WL_NBAD_KINDS];	/* "", "zero", "stale", "corrupt" */

/* One mismatch found by the integrity workload. */
struct wl_bad {
	uint64_t t_ns;		/* guest CLOCK_MONOTONIC when found */
	uint64_t page;		/* the page's index in the workload's size= (0 .. size/WL_PAGE-1) */
	uint64_t off;		/* its first differing byte (0 .. WL_PAGE-1) */
	uint64_t addr;		/* the page's guest virtual address */
	uint32_t kind;		/* enum wl_bad_kind */
	volatile uint32_t ready;	/* written last: the agent ships it once this is 1 */
};

/* Test faults the agent hands a workload (struct wl_shm.faults; guest-agent/faults.c). */
enum {
	/* integrity: one byte of one page flipped once, after the first full verification */
	WL_FAULT_FLIP = 1u << 0,
	/* integrity: one page dropped once (MADV_DONTNEED: it reads back as zeroes), as a balloon that took a page in use would */
	WL_FAULT_ZERO = 1u << 1,
};

struct wl_shm {
	volatile uint32_t epoch;	/* written by the agent only */
	volatile uint32_t stop;		/* set by the agent: finish and exit */
	uint64_t t0_ns;			/* base of bin ids (guest monotonic) */
	double ns_per_tick;		/* rdtsc calibration */
	uint64_t tick0, ns0;		/* a (tick, ns) pair to convert from */
	uint64_t slow_ns;		/* access latency counted as a fault */
	/* the child's own fault counts when it was let go (getrusage), once flt0_set */
	uint64_t flt0_min, flt0_maj;
	volatile uint32_t flt0_set;
	int nthreads;
	struct wl_thread_shm th[WL_MAX_THREADS];
	uint32_t faults;			/* WL_FAULT_*: set by the agent before the run */
	volatile uint32_t nbad;			/* mismatches claimed in bad[] (may exceed WL_BAD_KEPT) */
	struct wl_bad bad[WL_BAD_KEPT];
	uint32_t guest;			/* the guest's index in its job (RUN guest=): set by the agent */
	/*
	 * The job's clock (demand's trace runs on it, held at its start
	 * before GO): at guest CLOCK_MONOTONIC go_ns it read go_since_ns ns
	 * since the job's start line; go_ns 0: no GO yet. Set by the agent at
	 * the host's GO (go_since_ns first, then go_ns with release), so that
	 * the job's clock at CLOCK_MONOTONIC t >= go_ns is
	 * t - go_ns + go_since_ns (a guest rebooted after the line has no
	 * CLOCK_MONOTONIC time of the line itself).
	 */
	volatile uint64_t go_since_ns;
	volatile uint64_t go_ns;
};

/* demand's trace given point by point (points=): at most WL_MAX_POINTS (time, size) pairs */
#define WL_MAX_POINTS	32

struct wl_point {
	uint64_t t_ns;		/* time in the trace */
	uint64_t bytes;		/* working set then */
};

/* Every option any workload takes. */
struct wl_opts {
	uint64_t size;		/* bytes */
	uint64_t rate;		/* per second; 0 = as fast as possible */
	uint64_t duration_ns;	/* 0 = until stopped */
	uint64_t slow_ns;	/* access latency counted as a fault */
	uint64_t passes;	/* touch, integrity: 0 = until stopped */
	uint64_t value_size;	/* kv: bytes per value */
	uint64_t block;		/* pagecache: bytes per read */
	int threads;
	int node;		/* guest NUMA node to bind to; -1 = none */
	int pattern;		/* enum wl_pattern */
	int thp;		/* 0/1: madvise(MADV_HUGEPAGE) */
	int read_pct;		/* kv: share of gets */
	int qd;			/* pagecache: io_uring queue depth */
	/* demand: its trace (demand.c) */
	int shape;		/* enum wl_shape */
	uint64_t low;		/* bytes: the small working set (diurnal, bursty, hog) */
	uint64_t period_ns;	/* one cycle of diurnal, bursty, hog */
	int duty;		/* bursty, hog: percent of a period at size= */
	uint64_t phase_ns;	/* where in the trace the workload starts */
	uint64_t stagger_ns;	/* guest k of the job runs k * stagger behind guest 0 */
	int npoints;		/* points= (shape=points) */
	struct wl_point points[WL_MAX_POINTS];
};

enum wl_pattern { WL_SEQ, WL_RANDOM, WL_NPATTERNS };

/* demand's shapes (shape=) */
enum wl_shape { WL_SHAPE_STEADY, WL_SHAPE_DIURNAL, WL_SHAPE_BURSTY, WL_SHAPE_HOG, WL_SHAPE_POINTS,
		WL_NSHAPES };

enum wl_opt_id {
	WL_O_SIZE, WL_O_RATE, WL_O_DURATION, WL_O_SLOW, WL_O_PASSES, WL_O_VALUE_SIZE, WL_O_BLOCK,
	WL_O_THREADS, WL_O_NODE, WL_O_PATTERN, WL_O_THP, WL_O_READ_PCT, WL_O_QD,
	WL_O_SHAPE, WL_O_LOW, WL_O_PERIOD, WL_O_DUTY, WL_O_PHASE, WL_O_STAGGER, WL_O_POINTS,
	WL_NOPTS
};
#define WL_OPT(id)	(1u << (id))

/* WL_T_POINTS: demand's points=, TIME:SIZE/TIME:SIZE/... into wl_opts.points */
enum wl_opt_type { WL_T_SIZE, WL_T_UINT, WL_T_INT, WL_T_DUR, WL_T_ENUM, WL_T_BOOL, WL_T_POINTS };

struct wl_option {
	const char *name;
	enum wl_opt_type type;
	size_t off;
	int64_t min, max;		/* WL_T_SIZE in bytes, WL_T_DUR in ns */
	const char *def;
	const char *const *choices;	/* WL_T_ENUM, NULL-terminated */
	int unit;			/* WL_T_SIZE: a bare number is refused */
	const char *help;
};

extern const struct wl_option wl_options[WL_NOPTS];

struct wl_ctx;

/* What a workload needs of the host and what it records (wl_desc.flags). */
enum {
	/*
	 * It reads a disk the host attaches as /dev/vda: a sparse file of its
	 * size= (rounded up to a MiB) that the runner makes in its state
	 * directory (engine/guest.c), so a job with it runs on local hosts only.
	 */
	WL_F_DISK = 1 << 0,
	WL_F_ACCESS = 1 << 1,	/* it records WL_K_ACCESS latencies (memory accesses) */
	WL_F_REQUEST = 1 << 2,	/* it records WL_K_REQUEST latencies (its own operations) */
};

struct wl_desc {
	const char *name;
	const char *help;
	uint32_t opts;				/* WL_OPT() mask of accepted options */
	uint32_t flags;				/* WL_F_* */
	/* NULL if it can run here, else why not (checked in the guest). */
	const char *(*supported)(void);
	/*
	 * NULL, or its options checked together once parsed (wl_parse_opts:
	 * the host's scenario check and the agent alike): 0, or -1 with a
	 * one-line reason in @err naming the option and what was expected.
	 */
	int (*check)(const struct wl_opts *o, char *err, size_t errlen);
	/* Run until done or shm->stop; 0 on success, else an errno-style code. */
	int (*run)(struct wl_ctx *ctx);
};

/* What a workload's run() gets. */
struct wl_ctx {
	const struct wl_desc *desc;
	struct wl_opts o;
	struct wl_shm *shm;
};

/* Per-thread recorder: keep one per thread, on the thread's stack. */
struct wl_rec {
	struct wl_shm *shm;
	struct wl_thread_shm *th;
	int tid;
};

/* The registry: every workload, sorted by name. */
extern const struct wl_desc *const wl_registry[];
extern const size_t wl_nregistry;
const struct wl_desc *wl_find(const char *name);
/* The flags of the workload named @name (0: none, or no such workload). */
uint32_t wl_flags(const char *name);

/*
 * The template (workloads/skeleton.c): not in the registry, so no scenario
 * names it; tests/skeletons.c parses its options with wl_parse_opts() and
 * runs it as tests/workloads.c runs the others.
 */
extern const struct wl_desc wl_skeleton;

/*
 * Parse "NAME" or "NAME:key=value,key=value" into @desc and @o (defaults
 * first). Returns 0, or -1 with a one-line reason in @err.
 */
int wl_parse_spec(const char *spec, const struct wl_desc **desc, struct wl_opts *o, char *err,
		  size_t errlen);
/*
 * Its second half: "key=value,key=value" (@text, "" for none; modified) for
 * workload @d into @o, defaults first. 0, or -1 with a one-line reason in @err.
 */
int wl_parse_opts(const struct wl_desc *d, char *text, struct wl_opts *o, char *err,
		  size_t errlen);

/* Print the workloads and their options (for `balloonbench list workloads`). */
void wl_print(void *file);

/* ---- what every workload shares (core.c) ---- */

#define WL_PAGE		4096ul		/* the page size the workloads touch by */
#define WL_HPAGE	(2ul << 20)	/* a transparent huge page */

/*
 * Report "wl WHO: WHAT: strerror(err)" once on stderr (WHO a workload's
 * name). Returns -err, for `return wl_fail(...)`.
 */
int wl_fail(const char *who, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* xorshift64: the next value of the generator in *@s (never 0 if *@s is not). */
static inline uint64_t wl_xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Uniform in [0, @n) for @n < 2^32 (the top 32 bits, Lemire's multiply-shift). */
static inline uint64_t wl_below(uint64_t *s, uint64_t n)
{
	return ((wl_xorshift(s) >> 32) * n) >> 32;
}

/* Thread @tid's generator seed: distinct per thread, never 0. */
static inline uint64_t wl_seed(int tid)
{
	return 0x9e3779b97f4a7c15ull * (uint64_t)(tid + 1);
}

/*
 * Pacing at rate= (operations per second, all threads together): a thread's
 * operation i is due @gap ticks after its operation i-1, on an absolute
 * schedule from the thread's start. wl_gap: that gap, 0 when rate=0 (flat
 * out); wl_due: when operation @i is due (ticks), 0 (now) when flat out.
 */
double wl_gap(const struct wl_ctx *ctx);

/*
 * @x ticks or ns (a double) as an integer: range-checked before the
 * conversion (beyond 2^63 or NaN it would be undefined), 0 for NaN and
 * below, 2^63 at most. Every conversion of a computed time goes through it.
 */
static inline uint64_t wl_u64(double x)
{
	return x > 0 ? (x < 0x1p63 ? (uint64_t)x : (uint64_t)1 << 63) : 0;
}

static inline uint64_t wl_due(uint64_t start, double gap, uint64_t i)
{
	return gap > 0 ? start + wl_u64((double)i * gap) : 0;
}

/*
 * Wait until @when (ticks; 0: not at all) in sleeps of at most 10 ms, so that
 * a stop is seen promptly whatever the rate. Returns 1 if the workload should
 * stop (see wl_should_stop; @start is the thread's start), else 0.
 */
int wl_pace(const struct wl_ctx *ctx, uint64_t start, uint64_t when);

/*
 * Pages of thread @tid's share of @bytes split over @nthreads: the pages
 * (bytes / WL_PAGE) split evenly, so the shares add up to all of them.
 */
size_t wl_share_pages(uint64_t bytes, int nthreads, int tid);

/*
 * Map @len bytes of private anonymous memory into *@out: with @thp 2 MiB
 * aligned and madvised MADV_HUGEPAGE, without it MADV_NOHUGEPAGE. Returns 0,
 * or -errno after wl_fail(@who, ...).
 */
int wl_map(const char *who, size_t len, int thp, char **out);

/* ---- recording, for workloads ---- */

static inline uint64_t wl_ticks(void)
{
	return __builtin_ia32_rdtsc();
}

static inline uint64_t wl_ticks_to_ns(const struct wl_shm *s, uint64_t ticks)
{
	return s->ns0 + wl_u64((double)(ticks - s->tick0) * s->ns_per_tick);
}

/* Start recording for thread @tid (0 .. WL_MAX_THREADS-1). */
void wl_rec_init(struct wl_rec *r, struct wl_shm *shm, int tid);

/*
 * Record one latency of @kind that started at @t0 (ticks) and lasted @lat_ns.
 * Accesses also feed the fault time series and the slowest list.
 */
void wl_record(struct wl_rec *r, enum wl_kind kind, uint64_t t0, uint64_t lat_ns);

/* Convenience: record the time from @t0 ticks to now; returns now (ticks). */
static inline uint64_t wl_record_since(struct wl_rec *r, enum wl_kind kind, uint64_t t0)
{
	uint64_t t1 = wl_ticks();

	wl_record(r, kind, t0, wl_u64((double)(t1 - t0) * r->shm->ns_per_tick));
	return t1;
}

/*
 * Write @v to *@q, timed: one WL_K_ACCESS record (a page's first write is its
 * page fault). The compiler barriers keep the write between the two clock reads.
 */
static inline void wl_write_timed(struct wl_rec *r, volatile char *q, char v)
{
	uint64_t t = wl_ticks();

	__asm__ __volatile__("" ::: "memory");
	*q = v;
	__asm__ __volatile__("" ::: "memory");
	(void)wl_record_since(r, WL_K_ACCESS, t);
}

/*
 * One operation of a paced page loop (touch, hold): wait until operation @i
 * is due, then write @v to page @page of @p, timed. Returns 1 if told to stop
 * meanwhile (nothing written), else 0.
 */
int wl_page_op(const struct wl_ctx *ctx, struct wl_rec *r, uint64_t start, double gap, uint64_t i,
	       char *p, size_t page, char v);

/* Should the workload stop? (the agent set stop, or duration is over) */
int wl_should_stop(const struct wl_ctx *ctx, uint64_t start_ticks);

/* Sleep until @ticks (pacing for rate=); returns early if stop is set. */
void wl_pace_until(const struct wl_ctx *ctx, uint64_t ticks);

/* Bind the calling thread's CPU and memory to guest node ctx->o.node (if >= 0). 0 or -errno. */
int wl_bind_node(const struct wl_ctx *ctx);

/* Run fn(ctx, tid) on ctx->o.threads threads (tid 0 on the caller); first non-zero result. */
int wl_run_threads(struct wl_ctx *ctx, int (*fn)(struct wl_ctx *ctx, int tid));

/* ---- the demand workload's trace (demand.c; pure: computed in the guest, unit-tested on the host) ---- */

/*
 * The working set (bytes, a whole number of WL_PAGE) that demand's trace @o
 * asks for at @t_ns after the workload's start in guest @guest of its job:
 * the trace at tau = t + phase - guest * stagger (docs/scenarios.md, demand).
 */
uint64_t wl_demand_bytes(const struct wl_opts *o, uint32_t guest, int64_t t_ns);

/* ---- the integrity workload's pages (integrity.c; exported for tests/workloads.c) ---- */

/*
 * Fill the WL_PAGE bytes at @p as page @page of generation @gen: words 0 and
 * 1 hold @page and @gen, words 2..510 a sequence derived from both, word 511
 * a checksum of the others (never that of a zero page).
 */
void wl_integ_fill(void *p, uint64_t page, uint64_t gen);

/*
 * Check the page at @p against page @page of generation @gen. Returns
 * WL_BAD_NONE, or what it holds instead: WL_BAD_ZERO (all zero),
 * WL_BAD_STALE (a whole page of another index or generation: its checksum
 * holds), WL_BAD_CORRUPT (anything else); *@off is then its first differing byte.
 */
enum wl_bad_kind wl_integ_check(const void *p, uint64_t page, uint64_t gen, uint64_t *off);

#endif /* WL_WORKLOAD_H */

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
 * agent parses what the host sends with it again.
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
};

struct wl_shm {
	volatile uint32_t epoch;	/* written by the agent only */
	volatile uint32_t stop;		/* set by the agent: finish and exit */
	uint64_t t0_ns;			/* base of bin ids (guest monotonic) */
	double ns_per_tick;		/* rdtsc calibration */
	uint64_t tick0, ns0;		/* a (tick, ns) pair to convert from */
	uint64_t slow_ns;		/* access latency counted as a fault */
	int nthreads;
	struct wl_thread_shm th[WL_MAX_THREADS];
};

/* Every option any workload takes. */
struct wl_opts {
	uint64_t size;		/* bytes */
	uint64_t rate;		/* per second; 0 = as fast as possible */
	uint64_t duration_ns;	/* 0 = until stopped */
	uint64_t slow_ns;	/* access latency counted as a fault */
	uint64_t passes;	/* touch: 0 = until stopped */
	uint64_t value_size;	/* kv: bytes per value */
	uint64_t block;		/* pagecache: bytes per read */
	int threads;
	int node;		/* guest NUMA node to bind to; -1 = none */
	int pattern;		/* enum wl_pattern */
	int thp;		/* 0/1: madvise(MADV_HUGEPAGE) */
	int read_pct;		/* kv: share of gets */
	int qd;			/* pagecache: io_uring queue depth */
};

enum wl_pattern { WL_SEQ, WL_RANDOM, WL_NPATTERNS };

enum wl_opt_id {
	WL_O_SIZE, WL_O_RATE, WL_O_DURATION, WL_O_SLOW, WL_O_PASSES, WL_O_VALUE_SIZE, WL_O_BLOCK,
	WL_O_THREADS, WL_O_NODE, WL_O_PATTERN, WL_O_THP, WL_O_READ_PCT, WL_O_QD, WL_NOPTS
};
#define WL_OPT(id)	(1u << (id))

enum wl_opt_type { WL_T_SIZE, WL_T_UINT, WL_T_INT, WL_T_DUR, WL_T_ENUM, WL_T_BOOL };

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

struct wl_desc {
	const char *name;
	const char *help;
	uint32_t opts;				/* WL_OPT() mask of accepted options */
	/* NULL if it can run here, else why not (checked in the guest). */
	const char *(*supported)(void);
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

/*
 * Parse "NAME" or "NAME:key=value,key=value" into @desc and @o (defaults
 * first). Returns 0, or -1 with a one-line reason in @err.
 */
int wl_parse_spec(const char *spec, const struct wl_desc **desc, struct wl_opts *o, char *err,
		  size_t errlen);

/* Print the workloads and their options (for `balloonbench list workloads`). */
void wl_print(void *file);

/* ---- recording, for workloads ---- */

static inline uint64_t wl_ticks(void)
{
	return __builtin_ia32_rdtsc();
}

static inline uint64_t wl_ticks_to_ns(const struct wl_shm *s, uint64_t ticks)
{
	return s->ns0 + (uint64_t)((double)(ticks - s->tick0) * s->ns_per_tick);
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

	wl_record(r, kind, t0, (uint64_t)((double)(t1 - t0) * r->shm->ns_per_tick));
	return t1;
}

/* Should the workload stop? (the agent set stop, or duration is over) */
int wl_should_stop(const struct wl_ctx *ctx, uint64_t start_ticks);

/* Sleep until @ticks (pacing for rate=); returns early if stop is set. */
void wl_pace_until(const struct wl_ctx *ctx, uint64_t ticks);

/* Bind the calling thread's CPU and memory to guest node ctx->o.node (if >= 0). 0 or -errno. */
int wl_bind_node(const struct wl_ctx *ctx);

/* Run fn(ctx, tid) on ctx->o.threads threads (tid 0 on the caller); first non-zero result. */
int wl_run_threads(struct wl_ctx *ctx, int (*fn)(struct wl_ctx *ctx, int tid));

#endif /* WL_WORKLOAD_H */

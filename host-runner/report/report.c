// SPDX-License-Identifier: MIT
/*
 * report.c - `balloonbench report DIR` (and the end of every run): a results
 * directory becomes summary.csv and report.html.
 *
 * report.html is one self-contained file: uPlot (npm, pinned in
 * reports/package-lock.json) and the page's own script and style are built
 * into this binary (assets.S) and inlined, the data is embedded as one JSON
 * object; it opens from disk with no network. Time series are downsampled for
 * display with min/max buckets (downsample.c) so that an hour at 1 kHz is
 * still a light page and every peak survives; the CSV files keep every sample.
 *
 * The embedded JSON ("bb-data"), schema 1:
 *   run          run.json as written by the run
 *   vms[]        per guest: name, job, label, rep, warmup, vm_index, memory_mib,
 *                raw_samples, guest/host: [[t_s...], [MiB...]] guest memory
 *                (memory_mib - balloon) from the guest's counters and QEMU's
 *                actual; faults: {rate, slow_max_us, slow_rate} series;
 *                nodes[]: {node, total, free} MiB series; latency[]:
 *                {workload, kind, phases[]: {phase, n, p50..max (us), cdf}};
 *                demand (the demand workload's): {spec, start_line_s, t[] (run
 *                clock s), mib[]} its trace's working set (read_demand)
 *   transitions, summary, events, budget, decisions: {columns[], rows[][]} as
 *                in the CSV files (null: no such file); events by t_s (stable:
 *                rows of one time as in the file)
 *   downsample   {buckets, method}
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/log.h"
#include "core/scenario.h"
#include "report.h"
#include "core/version.h"
#include "core/virtio.h"
#include "workloads/stats.h"
#include "workloads/workload.h"

#define BUCKETS		1500	/* display points per series: 2 per bucket at most */

/* assets.S: the page's script, style and uPlot, built in. */
extern const char rp_uplot_js[], rp_uplot_js_end[];
extern const char rp_uplot_css[], rp_uplot_css_end[];
extern const char rp_report_js[], rp_report_js_end[];
extern const char rp_report_css[], rp_report_css_end[];
extern const char rp_common_js[], rp_common_js_end[];

/*
 * A series of (t, v) for the page, downsampled as its file streams by
 * (downsample.c), holding at most a few thousand points however long the
 * run. Its buckets cut the range from its first point to its last, so the
 * last point's time is guessed first from the file's end (PASS_GUESS) and
 * the one pass over the file (PASS_READ) downsamples with that guess; if the
 * guess was wrong (the last point of the series was not in the file's last
 * rows), a second, quiet pass (PASS_AGAIN) does it again with the range
 * known. A series of at most 2 * BUCKETS points is kept whole (d.buf's
 * second half), as rp_downsample keeps it.
 */
enum { PASS_GUESS, PASS_READ, PASS_AGAIN };

struct series {
	struct rp_ds d;		/* all its points: n, first and last */
	struct rp_ds g;		/* downsampled with the guessed range, or the known one */
	double guess;		/* the last point's time, guessed */
	int guessed, again;	/* a guess was made; the second pass is needed */
	int nomem;		/* no room for its points: left out (said) */
	double *buf;		/* from its first point: g's (x, y), then the first 2 * BUCKETS */
	size_t short_n;		/* of those, with a value */
};

#define KEPT	(2 * BUCKETS + 2)

static void series_put(struct series *s, int pass, double t, double v)
{
	if (pass == PASS_GUESS) {
		s->guess = t;
		s->guessed = 1;
		return;
	}
	if (pass == PASS_AGAIN) {
		if (s->again)
			rp_ds_add(&s->g, t, v);
		return;
	}
	if (!s->buf && !s->nomem) {	/* its first point */
		s->buf = malloc((2 * KEPT + 4 * BUCKETS) * sizeof(double));
		s->nomem = !s->buf;
		if (s->nomem)
			hr_warn("out of memory for a chart's points: a series left out");
	}
	if (!s->buf)
		return;
	rp_ds_count(&s->d, t, v);
	if (s->d.n <= 2 * BUCKETS && !isnan(v)) {
		s->buf[2 * KEPT + s->short_n] = t;
		s->buf[2 * KEPT + 2 * BUCKETS + s->short_n++] = v;
	}
	if (!s->guessed)
		return;
	if (s->d.n == 1) {
		/* the range from this point to the guessed last, cut as a long series' */
		s->g = (struct rp_ds){ .n = SIZE_MAX, .last = 1, .x0 = t, .xn = s->guess };
		rp_ds_start(&s->g, BUCKETS, s->buf, s->buf + KEPT, KEPT);
	}
	rp_ds_add(&s->g, t, v);
}

/*
 * After it: whether the second pass is needed (a long series whose last
 * point was not the guessed one), and if so ready for it.
 */
static int series_settle(struct series *s)
{
	s->again = s->buf && s->d.n > 2 * BUCKETS && s->d.last &&
		   !(s->guessed && s->d.xn == s->guess);
	if (s->again) {
		s->g = s->d;
		rp_ds_start(&s->g, BUCKETS, s->buf, s->buf + KEPT, KEPT);
	}
	return s->again;
}

static void series_free(struct series *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/* [[t...], [v...]] of @s, downsampled for display. */
static json_t *series_json(struct series *s)
{
	json_t *t = json_array(), *v = json_array(), *o = json_array();
	const double *x = NULL, *y = NULL;
	size_t n = 0;

	if (s->buf && (s->d.n <= 2 * BUCKETS || !s->d.last)) {
		n = s->short_n;	/* as it is, the points with a value */
		x = s->buf + 2 * KEPT;
		y = x + 2 * BUCKETS;
	} else if (s->buf) {
		s->g.xl = s->d.xl;	/* the last point with a value: always kept */
		s->g.yl = s->d.yl;
		n = rp_ds_finish(&s->g);
		x = s->buf;
		y = s->buf + KEPT;
	}
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(t, json_real(x[i]));
		json_array_append_new(v, json_real(y[i]));
	}
	json_array_append_new(o, t);
	json_array_append_new(o, v);
	return o;
}

#define MAX_NODES	64

struct vmdata {
	const char *name;
	json_t *j;		/* its object in the page's vms[] */
	double memory_mib;
	size_t raw;
	struct series guest, host, qrss, avail;	/* qrss: QEMU's RSS + huge pages; avail: the host's */
	struct series frate, fslow, fslowrate;
	double last_faults;	/* faults.csv's counters are cumulative: the previous row's */
	struct series ntotal[MAX_NODES], nfree[MAX_NODES];
	int nnodes;
	/* the demand workload's trace (read_demand): its spec and the guest's times from events.csv */
	const char *wl_spec;
	int vm_index;
	double wl_start, go_t, go_since, last_t;	/* NAN: none */
};

struct report {
	const char *dir;
	struct vmdata *vms;
	size_t nvms;
	int errors;
	size_t last;		/* vm_find's cache */
};

/* strcmp(a, b) == 0, inline: the readers ask it of every row */
static inline int streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static struct vmdata *vm_find(struct report *r, const char *name)
{
	if (r->last < r->nvms && streq(r->vms[r->last].name, name))
		return &r->vms[r->last];
	for (size_t i = 0; i < r->nvms; i++)
		if (!strcmp(r->vms[i].name, name)) {
			r->last = i;
			return &r->vms[i];
		}
	return NULL;
}

/* A file the report could not read: said now (its error taken), the report goes on. */
static void read_failed(struct report *r)
{
	hr_error_print();
	r->errors++;
}

/* Open DIR/NAME; 1 if open, 0 if absent (an older or shorter run), -1 on error. */
static int open_csv(struct report *r, struct rp_csv *c, const char *name)
{
	char path[PATH_MAX];
	int ret;

	if (rp_path(path, sizeof(path), r->dir, name)) {
		read_failed(r);
		return -1;
	}
	ret = rp_csv_open(c, path);
	if (ret == -ENOENT)
		return 0;
	if (ret) {
		read_failed(r);
		return -1;
	}
	return 1;
}

static void finish_csv(struct report *r, struct rp_csv *c, int ret)
{
	if (ret < 0)
		read_failed(r);
	rp_csv_close(c);
}

/*
 * A file of series (struct series): its last rows for a guess of each
 * series' end, quietly; one pass that reads and says what it leaves out;
 * and, if a guess was wrong, a second pass, quiet. @row reads a row into the
 * series in each pass, @each applies an operation to a guest's series of
 * this file and says how many returned nonzero.
 */
#define TAIL_BYTES	(4u << 20)	/* the file's end read for the guesses */

static void read_series(struct report *r, struct rp_csv *c,
			int (*each)(struct vmdata *, int (*)(struct series *)),
			void (*row)(struct report *, struct rp_csv *, const int *, int), const int *cols)
{
	int ret, again = 0;

	c->quiet = 1;
	if (!rp_csv_tail(c, TAIL_BYTES))
		while (rp_csv_next(c) > 0)
			row(r, c, cols, PASS_GUESS);
	c->quiet = 0;
	for (size_t i = 0; i < r->nvms; i++)
		r->vms[i].last_faults = INFINITY;	/* faults.csv's rates: from its first row */
	if (rp_csv_rewind(c)) {	/* a read error (the tail's, if it had one, the same) */
		finish_csv(r, c, -1);
		return;
	}
	while ((ret = rp_csv_next(c)) > 0)
		row(r, c, cols, PASS_READ);
	for (size_t i = 0; i < r->nvms; i++)
		again += each(&r->vms[i], series_settle);
	if (again) {
		/* quiet: what it leaves out was said; a bad row stops it as it did the first */
		c->quiet = 1;
		for (size_t i = 0; i < r->nvms; i++)
			r->vms[i].last_faults = INFINITY;
		if (!rp_csv_rewind(c))
			while (rp_csv_next(c) > 0)
				row(r, c, cols, PASS_AGAIN);
		c->quiet = 0;
	}
	finish_csv(r, c, ret);
}

enum { S_T, S_VM, S_SRC, S_BALLOON, S_ACTUAL, S_RSS, S_HUGE, S_AVAIL, S_NCOLS };

static void samples_row(struct report *r, struct rp_csv *c, const int *col, int pass)
{
	struct vmdata *vm = vm_find(r, rp_csv_str(c, col[S_VM]));
	const char *src = rp_csv_str(c, col[S_SRC]);
	double t;

	if (!vm || rp_csv_get(c, col[S_T], -RP_MAX_T_S, RP_MAX_T_S, &t) || isnan(t))
		return;
	vm->raw += pass == PASS_READ;
	if (streq(src, "guest")) {
		double b = rp_csv_num(c, col[S_BALLOON]);

		if (!isnan(b))
			series_put(&vm->guest, pass, t, vm->memory_mib - b);
	} else if (streq(src, "host")) {
		int cr = col[S_RSS], ch = col[S_HUGE], cm = col[S_AVAIL];
		double a = rp_csv_num(c, col[S_ACTUAL]), rss = cr >= 0 ? rp_csv_num(c, cr) : NAN;
		double huge = ch >= 0 ? rp_csv_num(c, ch) : NAN, av = cm >= 0 ? rp_csv_num(c, cm) : NAN;

		if (!isnan(a))
			series_put(&vm->host, pass, t, a);
		if (!isnan(rss))
			series_put(&vm->qrss, pass, t, (rss + (isnan(huge) ? 0 : huge)) / 1024);
		if (!isnan(av))
			series_put(&vm->avail, pass, t, av / 1024);
	}
}

static int samples_each(struct vmdata *vm, int (*op)(struct series *))
{
	return !!op(&vm->guest) + !!op(&vm->host) + !!op(&vm->qrss) + !!op(&vm->avail);
}

static void read_samples(struct report *r)
{
	struct rp_csv c;
	int col[S_NCOLS];

	if (open_csv(r, &c, "samples.csv") <= 0)
		return;
	col[S_T] = rp_csv_col(&c, "t_s");
	col[S_VM] = rp_csv_col(&c, "vm");
	col[S_SRC] = rp_csv_col(&c, "source");
	col[S_BALLOON] = rp_csv_col(&c, "balloon_mib");
	col[S_ACTUAL] = rp_csv_col(&c, "actual_mib");
	col[S_RSS] = rp_csv_col(&c, "qemu_rss_kib");		/* -1 in runs older than the host sampler */
	col[S_HUGE] = rp_csv_col(&c, "qemu_hugetlb_kib");
	col[S_AVAIL] = rp_csv_col(&c, "host_avail_kib");
	read_series(r, &c, samples_each, samples_row, col);
}

enum { F_T, F_VM, F_BIN, F_MIN, F_MAJ, F_SLOWMAX, F_SLOW, F_NCOLS };

static void faults_row(struct report *r, struct rp_csv *c, const int *col, int pass)
{
	struct vmdata *vm = vm_find(r, rp_csv_str(c, col[F_VM]));
	double t, bin, f, df;

	if (!vm || rp_csv_get(c, col[F_T], -RP_MAX_T_S, RP_MAX_T_S, &t) || isnan(t) ||
	    rp_csv_get(c, col[F_BIN], 0, RP_MAX_T_S * 1e3, &bin) || !(bin > 0))
		return;
	bin /= 1e3;
	f = rp_csv_num(c, col[F_MIN]) + rp_csv_num(c, col[F_MAJ]);
	/* the perf counters count from the workload's start: the rate is the difference */
	df = f >= vm->last_faults ? f - vm->last_faults : NAN;
	vm->last_faults = isnan(f) ? vm->last_faults : f;
	series_put(&vm->frate, pass, t, df / bin);
	series_put(&vm->fslow, pass, t, rp_csv_num(c, col[F_SLOWMAX]) / 1e3);
	series_put(&vm->fslowrate, pass, t, rp_csv_num(c, col[F_SLOW]) / bin);
}

static int faults_each(struct vmdata *vm, int (*op)(struct series *))
{
	return !!op(&vm->frate) + !!op(&vm->fslow) + !!op(&vm->fslowrate);
}

static void read_faults(struct report *r)
{
	struct rp_csv c;
	int col[F_NCOLS];

	if (open_csv(r, &c, "faults.csv") <= 0)
		return;
	col[F_T] = rp_csv_col(&c, "t_s");
	col[F_VM] = rp_csv_col(&c, "vm");
	col[F_BIN] = rp_csv_col(&c, "bin_ms");
	col[F_MIN] = rp_csv_col(&c, "minflt");
	col[F_MAJ] = rp_csv_col(&c, "majflt");
	col[F_SLOWMAX] = rp_csv_col(&c, "slow_max_ns");
	col[F_SLOW] = rp_csv_col(&c, "slow_accesses");
	read_series(r, &c, faults_each, faults_row, col);
}

enum { N_T, N_VM, N_NODE, N_TOTAL, N_FREE, N_NCOLS };

static void nodes_row(struct report *r, struct rp_csv *c, const int *col, int pass)
{
	struct vmdata *vm = vm_find(r, rp_csv_str(c, col[N_VM]));
	double t, node;
	int k;

	if (!vm || rp_csv_get(c, col[N_T], -RP_MAX_T_S, RP_MAX_T_S, &t) || isnan(t) ||
	    rp_csv_get(c, col[N_NODE], 0, MAX_NODES - 1, &node) || isnan(node))
		return;
	k = (int)node;	/* in range: checked first */
	if (k >= vm->nnodes && pass != PASS_GUESS)
		vm->nnodes = k + 1;
	series_put(&vm->ntotal[k], pass, t, rp_csv_num(c, col[N_TOTAL]) / 1024);
	series_put(&vm->nfree[k], pass, t, rp_csv_num(c, col[N_FREE]) / 1024);
}

static int nodes_each(struct vmdata *vm, int (*op)(struct series *))
{
	int n = 0;

	for (int k = 0; k < MAX_NODES; k++)
		n += !!op(&vm->ntotal[k]) + !!op(&vm->nfree[k]);
	return n;
}

static void read_nodes(struct report *r)
{
	struct rp_csv c;
	int col[N_NCOLS];

	if (open_csv(r, &c, "nodes.csv") <= 0)
		return;
	col[N_T] = rp_csv_col(&c, "t_s");
	col[N_VM] = rp_csv_col(&c, "vm");
	col[N_NODE] = rp_csv_col(&c, "node");
	col[N_TOTAL] = rp_csv_col(&c, "mem_total_kib");
	col[N_FREE] = rp_csv_col(&c, "mem_free_kib");
	read_series(r, &c, nodes_each, nodes_row, col);
}

/*
 * latency.csv's histograms of one guest, workload, kind and phase, merged
 * over the phase's epochs into one st_hist: the page's percentiles are
 * st_hist_percentile's, the definition latency_stats.csv and transitions.csv
 * use (stats.h), never a second one.
 */
struct lkey {
	char vm[128], workload[32], kind[16], phase[16];
};

struct lgroup {
	struct lkey k;
	struct st_hist h;
	uint64_t total;		/* of h's counts: at most RP_MAX_COUNT, so no sum wraps */
};

struct lgroups {
	struct lgroup *g;
	size_t n, cap;
};

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* The group of @k, added at the end if new (groups keep the file's order); NULL if out of memory. */
static struct lgroup *lgroup_get(struct lgroups *gs, const struct lkey *k)
{
	for (size_t i = gs->n; i > 0; i--)	/* rows of one group come together: search backwards */
		if (!memcmp(&gs->g[i - 1].k, k, sizeof(*k)))
			return &gs->g[i - 1];
	if (gs->n == gs->cap) {
		size_t cap = gs->cap ? 2 * gs->cap : 16;
		struct lgroup *ng = realloc(gs->g, cap * sizeof(*ng));

		if (!ng)
			return NULL;
		gs->g = ng;
		gs->cap = cap;
	}
	memset(&gs->g[gs->n], 0, sizeof(gs->g[0]));
	gs->g[gs->n].k = *k;
	return &gs->g[gs->n++];
}

/* The highest bound of a latency histogram's bucket (ns): 2^41. */
#define LAT_MAX_NS	((double)st_bucket_hi(ST_NBUCKETS - 1))

/* The histogram bucket whose bounds are [@lo, @hi) ns, or -1 if no bucket has them. */
static int lbucket_of(double lo, double hi)
{
	unsigned b;

	if (!(lo >= 0 && lo < 9e18))
		return -1;
	b = st_bucket((uint64_t)lo);
	if ((double)st_bucket_lo(b) != lo || (double)st_bucket_hi(b) != hi)
		return -1;
	return (int)b;
}

/* Read latency.csv into @gs: every row's count added to its group's bucket. */
static void read_latency_rows(struct report *r, struct lgroups *gs)
{
	struct rp_csv c;
	int cv, cw, cp, ck, clo, chi, cc, ret;

	if (open_csv(r, &c, "latency.csv") <= 0)
		return;
	cv = rp_csv_col(&c, "vm");
	cw = rp_csv_col(&c, "workload");
	cp = rp_csv_col(&c, "phase");
	ck = rp_csv_col(&c, "kind");
	clo = rp_csv_col(&c, "bucket_lo_ns");
	chi = rp_csv_col(&c, "bucket_hi_ns");
	cc = rp_csv_col(&c, "count");
	while ((ret = rp_csv_next(&c)) > 0) {
		double lo, hi, count;
		struct lgroup *g;
		struct lkey k;
		int b;

		/* bounds and a count no run makes are refused before a cast could be undefined */
		if (rp_csv_get(&c, clo, 0, LAT_MAX_NS, &lo) || rp_csv_get(&c, chi, 0, LAT_MAX_NS, &hi) ||
		    rp_csv_get(&c, cc, 0, RP_MAX_COUNT, &count))
			continue;
		if (isnan(lo) || isnan(hi) || isnan(count) || count == 0)
			continue;	/* no value: nothing to add */
		if ((b = lbucket_of(lo, hi)) < 0 || count != floor(count)) {
			rp_csv_drop(&c, b < 0 ? "bucket_lo_ns and bucket_hi_ns are not a histogram bucket's bounds"
					      : "count is not a whole number");
			continue;
		}
		memset(&k, 0, sizeof(k));	/* compared whole with memcmp */
		snprintf(k.vm, sizeof(k.vm), "%s", rp_csv_str(&c, cv));
		snprintf(k.workload, sizeof(k.workload), "%s", rp_csv_str(&c, cw));
		snprintf(k.kind, sizeof(k.kind), "%s", rp_csv_str(&c, ck));
		snprintf(k.phase, sizeof(k.phase), "%s", rp_csv_str(&c, cp));
		g = lgroup_get(gs, &k);
		if (!g)
			break;
		if (count > RP_MAX_COUNT - (double)g->total) {
			rp_csv_drop(&c, "count: the histogram would hold more than 1e18 values");
			continue;
		}
		g->h.count[b] += (uint64_t)count;	/* whole, at most 1e18: checked above */
		g->total += (uint64_t)count;
	}
	finish_csv(r, &c, ret);
}

/*
 * One phase of the page's latency[]: {phase, n, p50, p90, p99, p999, min,
 * max (us), cdf: [[bucket upper bounds (us)...], [fraction at or below...]]};
 * min and max are the lowest bucket's lower and the highest's upper bound.
 */
static json_t *latency_phase_json(const char *phase, const struct st_hist *h, double total)
{
	json_t *cx = json_array(), *cy = json_array();
	double cum = 0, lo = NAN, hi = NAN;

	for (unsigned b = 0; b < ST_NBUCKETS; b++) {
		if (!h->count[b])
			continue;
		if (isnan(lo))
			lo = (double)st_bucket_lo(b);
		hi = (double)st_bucket_hi(b);
		cum += (double)h->count[b];
		json_array_append_new(cx, json_real(hi / 1e3));
		json_array_append_new(cy, json_real(cum / total));
	}
	return json_pack("{s:s, s:f, s:o, s:o, s:o, s:o, s:o, s:o, s:[o, o]}", "phase", phase,
			 "n", total, "p50", jnum(st_hist_percentile(h, 50) / 1e3),
			 "p90", jnum(st_hist_percentile(h, 90) / 1e3),
			 "p99", jnum(st_hist_percentile(h, 99) / 1e3),
			 "p999", jnum(st_hist_percentile(h, 99.9) / 1e3),
			 "min", jnum(lo / 1e3), "max", jnum(hi / 1e3), "cdf", cx, cy);
}

/* @vm's latency[] entry of @workload and @kind, added if new. */
static json_t *latency_entry(struct vmdata *vm, const char *workload, const char *kind)
{
	json_t *lat = json_object_get(vm->j, "latency"), *e, *entry = NULL;
	size_t i;

	json_array_foreach(lat, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "workload")), workload) &&
		    !strcmp(json_string_value(json_object_get(e, "kind")), kind))
			entry = e;
	if (!entry) {
		entry = json_pack("{s:s, s:s, s:[]}", "workload", workload, "kind", kind, "phases");
		json_array_append_new(lat, entry);
	}
	return entry;
}

/* Merge latency.csv's histograms per guest, workload, kind and phase (all epochs) into vms[]. */
static void read_latency(struct report *r)
{
	struct lgroups gs = { 0 };

	read_latency_rows(r, &gs);
	for (size_t i = 0; i < gs.n; i++) {
		const struct lgroup *g = &gs.g[i];
		struct vmdata *vm = vm_find(r, g->k.vm);
		double total = (double)st_hist_total(&g->h);

		if (!vm || total <= 0)
			continue;
		json_array_append_new(json_object_get(latency_entry(vm, g->k.workload, g->k.kind),
						      "phases"),
				      latency_phase_json(g->k.phase, &g->h, total));
	}
	free(gs.g);
}

/*
 * The demand workload's trace, per guest (issue 24: report.html draws it
 * with each policy's target and the balloon's actual): the working set its
 * spec asks for, computed here by the guest's own function
 * (wl_demand_bytes) on the spec parsed as the scenario's check parses it
 * (wl_parse_spec), not recorded by the guest. Its clock is the job's start
 * line's, held at 0 before it, as the workload's is: the line is the
 * guest's workload-go event's time less its since_ms. Drawn on the run's
 * clock from the workload's start (workload-start; else the line) to the
 * guest's last event, every DEMAND_STEP_S (finer for a short life), a point
 * kept where the value changes and the one before it (steps stay steps);
 * then, like every series of the page, at most 2 * BUCKETS points of it
 * (rp_downsample: each bucket's lowest and highest, so a step or a peak
 * survives; an hour's diurnal trace changes at every step). A guest without
 * a GO (none sent, or an older run's events), or whose run.json vm_index is
 * not a guest's (0 <= vm_index < HR_MAX_VMS), has none.
 */
#define DEMAND_STEP_S	0.05
#define DEMAND_POINTS	100000	/* at most this many steps over a guest's life (5000 s at DEMAND_STEP_S) */
#define DEMAND_KEPT	(2 * DEMAND_POINTS + 4)	/* a step's point and its left edge's, each */
/*
 * The longest time since the line that the trace is asked for: every time
 * here is within RP_MAX_T_S of 0 and a since_ms within RP_MAX_T_S, so this
 * is never reached; held to it, the nanoseconds (4e18) and the trace's
 * phase added to them (a day at most) stay well inside int64_t.
 */
#define DEMAND_MAX_S	(4 * RP_MAX_T_S)

enum { E_T, E_VM, E_EVENT, E_DETAIL, E_NCOLS };

static void demand_events(struct report *r)
{
	struct rp_csv c;
	int col[E_NCOLS], ret;

	if (open_csv(r, &c, "events.csv") <= 0)
		return;
	col[E_T] = rp_csv_col(&c, "t_s");
	col[E_VM] = rp_csv_col(&c, "vm");
	col[E_EVENT] = rp_csv_col(&c, "event");
	col[E_DETAIL] = rp_csv_col(&c, "detail");
	c.quiet = 1;	/* the page's events table says what it leaves out */
	while ((ret = rp_csv_next(&c)) > 0) {
		struct vmdata *vm = vm_find(r, rp_csv_str(&c, col[E_VM]));
		const char *ev = rp_csv_str(&c, col[E_EVENT]), *since;
		double t;

		if (!vm || !vm->wl_spec || rp_csv_get(&c, col[E_T], -RP_MAX_T_S, RP_MAX_T_S, &t) || isnan(t))
			continue;
		if (isnan(vm->last_t) || t > vm->last_t)
			vm->last_t = t;
		if (streq(ev, "workload-start") && isnan(vm->wl_start))
			vm->wl_start = t;
		else if (streq(ev, "workload-go") && isnan(vm->go_t) &&
			 (since = strstr(rp_csv_str(&c, col[E_DETAIL]), "since_ms=")) != NULL) {
			char *end;
			double ms = strtod(since + 9, &end);

			/* (!(ms <= max): NaN too) a since no run reaches is a damaged row's: no GO */
			if (end != since + 9 && ms >= 0 && ms <= RP_MAX_T_S * 1e3) {
				vm->go_t = t;
				vm->go_since = ms / 1e3;
			}
		}
	}
	c.quiet = 0;
	rp_csv_close(&c);
}

/* The trace's clock at @s seconds since the line: 0 before it, held to DEMAND_MAX_S (no cast out of range). */
static int64_t demand_ns(double s)
{
	if (!(s > 0))
		return 0;	/* NaN too */
	if (s > DEMAND_MAX_S)
		s = DEMAND_MAX_S;
	return (int64_t)(s * 1e9);
}

/*
 * Guest @vm's trace on the grid (read_demand) into @x, @y (room for
 * DEMAND_KEPT): the points kept. Returns how many.
 */
static size_t demand_trace(const struct vmdata *vm, const struct wl_opts *o, double line, double *x,
			   double *y)
{
	double from, to, step, last = NAN;
	size_t k, n, out = 0;
	int skipped = 0;

	from = !isnan(vm->wl_start) && vm->wl_start < line ? vm->wl_start : line;
	to = vm->last_t > from ? vm->last_t : from;
	step = (to - from) / DEMAND_POINTS > DEMAND_STEP_S ? (to - from) / DEMAND_POINTS : DEMAND_STEP_S;
	from = line - ceil((line - from) / step) * step;	/* the grid on the line: steps at their times */
	n = (size_t)ceil((to - from) / step);
	if (n > DEMAND_POINTS + 1)
		n = DEMAND_POINTS + 1;	/* (one more for rounding; never more) */
	for (k = 0; k <= n; k++) {
		double t = k == n ? to : from + (double)k * step;
		double v = (double)wl_demand_bytes(o, (uint32_t)vm->vm_index, demand_ns(t - line)) / 1048576.0;

		if (k && k < n && v == last) {
			skipped = 1;
			continue;
		}
		if (skipped && v != last) {	/* the step's left edge: the value until now */
			x[out] = t - step;
			y[out++] = last;
		}
		x[out] = t;
		y[out++] = v;
		last = v;
		skipped = 0;
	}
	return out;
}

static void read_demand(struct report *r)
{
	double *buf = NULL;

	demand_events(r);
	for (size_t i = 0; i < r->nvms; i++) {
		struct vmdata *vm = &r->vms[i];
		const struct wl_desc *d;
		struct wl_opts o;
		char err[256];
		double line, *x, *y, *ox, *oy;
		json_t *ts, *ms;
		size_t n;

		if (!vm->wl_spec || isnan(vm->go_t) || isnan(vm->last_t) ||
		    vm->vm_index < 0 || vm->vm_index >= HR_MAX_VMS ||
		    wl_parse_spec(vm->wl_spec, &d, &o, err, sizeof(err)) || strcmp(d->name, "demand"))
			continue;
		if (!buf && !(buf = malloc((2 * DEMAND_KEPT + 2 * KEPT) * sizeof(double)))) {
			hr_warn("out of memory for the demand traces: left out of the page");
			return;
		}
		x = buf;
		y = x + DEMAND_KEPT;
		ox = y + DEMAND_KEPT;
		oy = ox + KEPT;
		line = vm->go_t - vm->go_since;
		n = demand_trace(vm, &o, line, x, y);
		if (n > 2 * BUCKETS) {	/* (a shorter one as it is: rp_downsample would copy it) */
			n = rp_downsample(x, y, n, BUCKETS, ox, oy);
			x = ox;
			y = oy;
		}
		ts = json_array();
		ms = json_array();
		for (size_t k = 0; k < n; k++) {
			json_array_append_new(ts, json_real(x[k]));
			json_array_append_new(ms, json_real(y[k]));
		}
		json_object_set_new(vm->j, "demand", json_pack("{s:s, s:f, s:o, s:o}", "spec", vm->wl_spec,
							       "start_line_s", line, "t", ts, "mib", ms));
	}
	free(buf);
}

/* A row of a table and where it was in its file, for a stable sort. */
struct trow {
	double t;
	size_t i;
	json_t *row;
};

static int cmp_trow(const void *a, const void *b)
{
	const struct trow *x = a, *y = b;

	/* a time that is not a number goes last */
	if (isnan(x->t) != isnan(y->t))
		return isnan(x->t) ? 1 : -1;
	if (!isnan(x->t) && x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * @rows in the order of their column @col's numbers, rows of one time in the
 * file's order: events.csv is written in time order, but a reader does not
 * count on it (a file from before that, or edited).
 */
static void sort_by(json_t *rows, int col)
{
	size_t n = json_array_size(rows), i;
	struct trow *t;
	json_t *row;

	if (col < 0 || n < 2 || !(t = calloc(n, sizeof(*t))))
		return;
	json_array_foreach(rows, i, row) {
		const char *s = json_string_value(json_array_get(row, (size_t)col));
		char *end = NULL;

		t[i].t = s && *s ? strtod(s, &end) : NAN;
		if (end && *end)
			t[i].t = NAN;
		t[i].i = i;
		t[i].row = json_incref(row);
	}
	qsort(t, n, sizeof(*t), cmp_trow);
	json_array_clear(rows);
	for (i = 0; i < n; i++)
		json_array_append_new(rows, t[i].row);
	free(t);
}

/*
 * A whole CSV file as {columns: [...], rows: [[...]]} of strings; NULL if
 * absent. With @order_by, the rows in the order of that column's numbers.
 */
static json_t *table_json(struct report *r, const char *name, const char *order_by)
{
	struct rp_csv c;
	json_t *cols, *rows;
	int ret;

	if (open_csv(r, &c, name) <= 0)
		return json_null();
	cols = json_array();
	rows = json_array();
	for (int i = 0; i < c.ncols; i++)
		json_array_append_new(cols, json_string(c.cols[i]));
	while ((ret = rp_csv_next(&c)) > 0) {
		json_t *row = json_array();

		for (int i = 0; i < c.nf; i++)
			json_array_append_new(row, json_string(c.f[i]));
		json_array_append_new(rows, row);
	}
	if (order_by)
		sort_by(rows, rp_csv_col(&c, order_by));
	finish_csv(r, &c, ret);
	return json_pack("{s:o, s:o}", "columns", cols, "rows", rows);
}

/*
 * Table @name as table_json, about @cap rows at most: a longer one keeps every kth
 * row of each series (the rows alike in columns @keys: e.g. job, rep, kind,
 * vm), its first and last always (so @cap and one a series), k the smallest
 * that fits; the table says
 * "sampled_every": k and "rows_total" (a long run's page stays small).
 */
#define TABLE_CAP_KEYS	512
#ifndef REPORT_POLICY_ROWS
#define REPORT_POLICY_ROWS	20000
#endif
static json_t *table_json_capped(struct report *r, const char *name, size_t cap, const char *const *keys, int nkeys)
{
	json_t *t = table_json(r, name, NULL), *cols = json_object_get(t, "columns"), *rows = json_object_get(t, "rows");
	size_t n = json_array_size(rows), k, i, nser = 0, *cnt, *last, *ser;
	char **names;
	int kc[8];
	json_t *kept;

	if (!json_is_array(rows) || n <= cap || cap == 0 || nkeys > 8)
		return t;
	for (int j = 0; j < nkeys; j++) {
		kc[j] = -1;
		for (size_t c = 0; c < json_array_size(cols); c++)
			if (!strcmp(json_string_value(json_array_get(cols, c)) ?: "", keys[j]))
				kc[j] = (int)c;
	}
	k = (n + cap - 1) / cap;
	names = calloc(TABLE_CAP_KEYS, sizeof(*names));
	cnt = calloc(TABLE_CAP_KEYS, sizeof(*cnt));
	last = calloc(TABLE_CAP_KEYS, sizeof(*last));
	ser = calloc(n, sizeof(*ser));
	kept = json_array();
	if (!names || !cnt || !last || !ser || !kept)
		goto out;
	for (i = 0; i < n; i++) {	/* each row's series, and each series' last row */
		json_t *row = json_array_get(rows, i);
		char key[512] = "";
		size_t s;

		for (int j = 0; j < nkeys; j++) {
			size_t l = strlen(key);

			snprintf(key + l, sizeof(key) - l, "%s\x1f",
				 kc[j] >= 0 ? json_string_value(json_array_get(row, (size_t)kc[j])) ?: "" : "");
		}
		for (s = 0; s < nser && strcmp(names[s], key); s++)
			;
		if (s == nser && nser < TABLE_CAP_KEYS - 1 && (names[s] = strdup(key)))
			nser++;
		if (s >= nser)
			s = TABLE_CAP_KEYS - 1;	/* (more series than this: one stride for the rest) */
		ser[i] = s;
		last[s] = i;
	}
	for (i = 0; i < n; i++)
		if (cnt[ser[i]]++ % k == 0 || last[ser[i]] == i)
			json_array_append(kept, json_array_get(rows, i));
	json_object_set(t, "rows", kept);
	json_object_set_new(t, "sampled_every", json_integer((json_int_t)k));
	json_object_set_new(t, "rows_total", json_integer((json_int_t)n));
out:
	json_decref(kept);
	for (i = 0; names && i < nser; i++)
		free(names[i]);
	free(names);
	free(cnt);
	free(last);
	free(ser);
	return t;
}

static void vms_init(struct report *r, json_t *run, json_t *out)
{
	json_t *vms = json_object_get(run, "vms"), *v;
	size_t i;

	r->nvms = json_array_size(vms);
	r->vms = calloc(r->nvms + 1, sizeof(*r->vms));
	if (!r->vms) {
		r->nvms = 0;
		return;
	}
	json_array_foreach(vms, i, v) {
		struct vmdata *d = &r->vms[i];
		json_t *o = json_object();
		json_int_t k;

		d->name = json_string_value(json_object_get(v, "name")) ?: "";
		d->memory_mib = (double)json_integer_value(json_object_get(v, "memory_mib"));
		d->last_faults = INFINITY;	/* no rate for the first row */
		d->wl_spec = json_string_value(json_object_get(json_object_get(v, "workload"), "spec"));
		k = json_integer_value(json_object_get(v, "vm_index"));
		d->vm_index = k >= 0 && k < HR_MAX_VMS ? (int)k : -1;	/* -1: not a guest's (no demand trace) */
		d->wl_start = d->go_t = d->go_since = d->last_t = NAN;
		json_object_set_new(o, "name", json_string(d->name));
		json_object_set(o, "job", json_object_get(v, "job"));
		json_object_set(o, "label", json_object_get(v, "label"));
		json_object_set(o, "rep", json_object_get(v, "rep"));
		json_object_set(o, "warmup", json_object_get(v, "warmup"));
		json_object_set(o, "vm_index", json_object_get(v, "vm_index"));
		json_object_set(o, "memory_mib", json_object_get(v, "memory_mib"));
		json_object_set_new(o, "latency", json_array());
		d->j = o;
		json_array_append_new(out, o);
	}
}

static void vms_finish(struct report *r)
{
	for (size_t i = 0; i < r->nvms; i++) {
		struct vmdata *d = &r->vms[i];
		json_t *nodes = json_array();

		json_object_set_new(d->j, "raw_samples", json_integer((json_int_t)d->raw));
		json_object_set_new(d->j, "guest", series_json(&d->guest));
		json_object_set_new(d->j, "host", series_json(&d->host));
		json_object_set_new(d->j, "qemu_rss", series_json(&d->qrss));
		json_object_set_new(d->j, "host_avail", series_json(&d->avail));
		if (d->frate.d.n)
			json_object_set_new(d->j, "faults",
				json_pack("{s:o, s:o, s:o}", "rate", series_json(&d->frate),
					  "slow_max_us", series_json(&d->fslow),
					  "slow_rate", series_json(&d->fslowrate)));
		for (int k = 0; k < d->nnodes; k++)
			if (d->ntotal[k].d.n)
				json_array_append_new(nodes, json_pack("{s:i, s:o, s:o}", "node", k,
					"total", series_json(&d->ntotal[k]), "free", series_json(&d->nfree[k])));
		json_object_set_new(d->j, "nodes", nodes);
		series_free(&d->guest);
		series_free(&d->host);
		series_free(&d->qrss);
		series_free(&d->avail);
		series_free(&d->frate);
		series_free(&d->fslow);
		series_free(&d->fslowrate);
		for (int k = 0; k < MAX_NODES; k++) {
			series_free(&d->ntotal[k]);
			series_free(&d->nfree[k]);
		}
	}
}

static int put(FILE *f, const char *a, const char *end)
{
	return fwrite(a, 1, (size_t)(end - a), f) == (size_t)(end - a) ? 0 : -1;
}

int rp_page_head(FILE *f, const char *title, const char *css)
{
	int bad = 0;

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<meta name=\"generator\" content=\"balloonbench %s\">\n<title>", BB_VERSION);
	rp_escape_markup(f, title);
	fputs("</title>\n<style>\n", f);
	bad |= put(f, rp_uplot_css, rp_uplot_css_end);
	bad |= put(f, rp_report_css, rp_report_css_end);
	if (css)
		fputs(css, f);
	/* errors are caught from the first line on, for people and for the browser tests */
	fputs("</style>\n<script>window.bbErrors=[];window.addEventListener('error',function(e)"
	      "{window.bbErrors.push(String(e.message))});</script>\n</head>\n<body>\n", f);
	return bad;
}

int rp_page_tail(FILE *f, const char *json, const char *js, const char *js_end)
{
	int bad = 0;

	fputs("<script id=\"bb-data\" type=\"application/json\">", f);
	fputs(json, f);	/* dumped with JSON_ESCAPE_SLASH: no "</script>" can end it early */
	fputs("</script>\n<script>\n", f);
	bad |= put(f, rp_uplot_js, rp_uplot_js_end);
	fputs("\n</script>\n<script>\n", f);
	bad |= put(f, rp_common_js, rp_common_js_end);
	fputs("\n</script>\n<script>\n", f);
	bad |= put(f, js, js_end);
	fputs("\n</script>\n</body>\n</html>\n", f);
	return bad;
}

/* Each guest's negotiated balloon features by name beside the bits (guest.balloon_feature_names). */
static void name_features(json_t *run)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(run, "vms"), i, v) {
		json_t *g = json_object_get(v, "guest");
		const char *bits = json_string_value(json_object_get(g, "balloon_features"));
		char names[1024];

		if (!bits)
			continue;
		(void)hr_virtio_features_str(bits, names, sizeof(names));
		json_object_set_new(g, "balloon_feature_names", json_string(names));
	}
}

static int write_html(const char *path, const char *title, const char *json)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int bad;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		return hr_error("cannot write %s: %s", tmp, strerror(errno));
	}
	bad = rp_page_head(f, title, NULL);
	fputs("<main id=\"app\"><p>This report draws its charts with JavaScript; "
	      "enable it to see them.</p></main>\n", f);
	bad |= rp_page_tail(f, json, rp_report_js, rp_report_js_end);
	if (fclose(f) || bad || rename(tmp, path)) {
		return hr_error("cannot write %s: %s", path, strerror(errno));
	}
	return 0;
}

int hr_report(const char *dir, int print)
{
	struct report r = { .dir = dir };
	char path[PATH_MAX], now[40], title[256];
	json_t *run, *data, *vms;
	char *text;
	time_t t = time(NULL);
	int ret;

	/* a bad run.json is said once, here, before the readers below load it again */
	if (rp_path(path, sizeof(path), dir, "run.json") || !(run = rp_run_load(path)))
		return RP_BAD_INPUT;
	json_decref(run);
	if (rp_settle_killed(dir))
		return -1;
	/* summary.csv first: the report shows it */
	ret = hr_summary_dir(dir, print);
	run = rp_run_load(path);	/* again: settling a killed run rewrites it */
	if (!run)
		return RP_BAD_INPUT;
	if (!ret && rp_openmetrics_write(dir, run))
		ret = -1;
	name_features(run);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	vms = json_array();
	data = json_pack("{s:i, s:s, s:s, s:O, s:o}", "schema", 1, "generated_at", now,
			 "generator", "balloonbench " BB_VERSION, "run", run, "vms", vms);
	vms_init(&r, run, vms);
	read_samples(&r);
	read_faults(&r);
	read_nodes(&r);
	read_latency(&r);
	read_demand(&r);
	vms_finish(&r);
	json_object_set_new(data, "transitions", table_json(&r, "transitions.csv", NULL));
	json_object_set_new(data, "summary", table_json(&r, "summary.csv", NULL));
	json_object_set_new(data, "events", table_json(&r, "events.csv", "t_s"));
	/* a policy job's: the budget's samples (one row a collect period) and the decisions,
	 * at most REPORT_POLICY_ROWS rows each (a long run's: every kth of each series) */
	{
		static const char *const bkeys[] = { "job", "rep", "kind", "vm" }, *const dkeys[] = { "job", "rep", "vm" };

		json_object_set_new(data, "budget", table_json_capped(&r, "budget.csv", REPORT_POLICY_ROWS, bkeys, 4));
		json_object_set_new(data, "decisions", table_json_capped(&r, "decisions.csv", REPORT_POLICY_ROWS,
									  dkeys, 3));
	}
	json_object_set_new(data, "downsample", json_pack("{s:i, s:s}", "buckets", BUCKETS, "method",
		"per series, the x range cut into equal buckets; each bucket's lowest and highest point kept"));
	text = json_dumps(data, JSON_COMPACT | JSON_ESCAPE_SLASH | JSON_REAL_PRECISION(7));
	snprintf(title, sizeof(title), "balloonbench %s %s",
		 json_string_value(json_object_get(run, "run_id")) ?: "",
		 json_string_value(json_object_get(json_object_get(run, "scenario"), "file")) ?: "");
	if (!text || rp_path(path, sizeof(path), dir, "report.html") || write_html(path, title, text))
		ret = -1;
	if (r.errors) {
		hr_error_print();	/* a failed write's, said before this as it happened */
		hr_error("%s: %d file(s) could not be read whole; the report shows what could", dir,
			 r.errors);
		if (!ret)
			ret = RP_BAD_INPUT;
	}
	free(text);
	free(r.vms);
	json_decref(data);
	json_decref(run);
	return ret;
}

// SPDX-License-Identifier: MIT
/*
 * scores.c - scores.csv: every job's scores (issue 24), per repetition and
 * guest and for the job's guests together, from the run's run.json,
 * samples.csv (QEMU's balloon actual and RSS; the guests' oom_kill),
 * budget.csv (the budget's limit and its OOM kills), transitions.csv (churn),
 * decisions.csv (decide-to-target, with the transitions) and latency.csv
 * (the workload's histograms), faults.csv (its access bins: the SLO's
 * seconds). The arithmetic is core/score.c's; this file
 * reads and groups. Written before summary.csv, which summarises its metric
 * columns as direction "job"; `run` prints one table of it when a job of the
 * run has a policy.
 *
 * The baseline of a job: the first job of the scenario without a host budget
 * whose guests are as many, of the same memory=; its own ratios are 1.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "core/scenario.h"
#include "core/score.h"
#include "report.h"
#include "workloads/stats.h"

struct sc_job {
	const char *name, *label, *policy, *budget, *memory;
	long long vms;		/* run.json has a string or a number */
	int baseline;		/* index of its baseline job, -1: none */
	int skipped;		/* run.json says why it did not run */
};

struct sc_guest {
	const char *name;
	int job, rep, vm_index;
	int repi;		/* its job repetition in s->reps (once sorted) */
	double nominal;		/* MiB */
	struct hr_score_acc actual, rss;
	struct hr_score_counter oom;
	struct st_hist *hist;	/* NULL until a bucket */
	double churn;
	int changes;
	struct hr_score_decision *dec;
	size_t nd, capd;
	struct hr_score_trans *tr;
	size_t nt, capt;
	double *lat;		/* decide-to-target, per decision */
	struct hr_score_slo slo;
};

/* A job's repetition: the budget's figures, and its policy's window. */
struct sc_rep {
	int job, rep;
	double limit;		/* MiB, NAN: no budget row */
	struct hr_score_counter oom;
	double t0, t1;		/* its first and last decision (t0 > t1: none, a schedule job) */
	double nominal;		/* every guest's memory= (a failed one too), MiB */
	int failed;		/* its guests that failed */
	double swap_in, swap_out;	/* MiB, the host's since the budget's creation (its last row), NAN: unknown */
};

struct sc {
	const char *dir;
	struct sc_job jobs[HR_MAX_JOBS];
	int njobs;
	struct sc_guest g[HR_MAX_VMS];
	int ng;
	struct sc_rep reps[HR_MAX_VMS];
	int nreps;
	int last;		/* the guest found last: rows come in runs of one guest */
	int err;
};

static int find_job(const struct sc *s, const char *name)
{
	for (int i = 0; i < s->njobs; i++)
		if (!strcmp(s->jobs[i].name, name))
			return i;
	return -1;
}

/* Guest @name of @s, or NULL (a warm-up guest, or one run.json does not list). */
static struct sc_guest *find_guest(struct sc *s, const char *name)
{
	if (s->last < s->ng && !strcmp(s->g[s->last].name, name))
		return &s->g[s->last];
	for (int i = 0; i < s->ng; i++)
		if (!strcmp(s->g[i].name, name))
			return &s->g[(s->last = i)];
	return NULL;
}

static struct sc_rep *rep_of(struct sc *s, int job, int rep)
{
	for (int i = 0; i < s->nreps; i++)
		if (s->reps[i].job == job && s->reps[i].rep == rep)
			return &s->reps[i];
	if (s->nreps == HR_MAX_VMS)
		return NULL;
	s->reps[s->nreps] = (struct sc_rep){ job, rep, NAN, { NAN, 0 }, INFINITY, -INFINITY, 0, 0, NAN, NAN };
	return &s->reps[s->nreps++];
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k)) ?: "";
}

/* Jobs and guests from run.json; a warm-up guest is left out, and one that failed. */
static void load_run(struct sc *s, json_t *run)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(run, "scenario"), "jobs"), i, v) {
		struct sc_job *j;

		if (s->njobs == HR_MAX_JOBS)
			break;
		j = &s->jobs[s->njobs++];
		j->name = jstr(v, "name");
		j->label = jstr(v, "label");
		j->policy = jstr(v, "policy");
		j->budget = jstr(v, "host-budget");
		j->memory = jstr(v, "memory");
		j->vms = json_is_integer(json_object_get(v, "vms")) ?
			 json_integer_value(json_object_get(v, "vms")) : atoll(jstr(v, "vms"));
		j->baseline = -1;
		j->skipped = json_object_get(v, "skipped") != NULL;
	}
	/* the first job without a budget, not skipped, as many guests of the same size; one without a policy first */
	for (int a = 0; a < s->njobs; a++)
		for (int pass = 0; pass < 2 && s->jobs[a].baseline < 0; pass++)
			for (int b = 0; b < s->njobs && s->jobs[a].baseline < 0; b++)
				if (!*s->jobs[b].budget && !s->jobs[b].skipped &&
				    (pass || !*s->jobs[b].policy || !strcmp(s->jobs[b].policy, "none")) &&
				    !strcmp(s->jobs[a].memory, s->jobs[b].memory) && s->jobs[a].vms == s->jobs[b].vms)
					s->jobs[a].baseline = b;
	json_array_foreach(json_object_get(run, "vms"), i, v) {
		struct sc_guest *g;
		json_int_t k = json_integer_value(json_object_get(v, "vm_index"));
		json_int_t rep = json_integer_value(json_object_get(v, "rep"));
		int j = find_job(s, jstr(v, "job"));

		struct sc_rep *e;

		if (s->ng == HR_MAX_VMS || j < 0 || json_is_true(json_object_get(v, "warmup")) ||
		    k < 0 || k >= HR_MAX_VMS || rep < 0 || rep > 99999 || !(e = rep_of(s, j, (int)rep)))
			continue;
		if (json_number_value(json_object_get(v, "memory_mib")) > 0)
			e->nominal += json_number_value(json_object_get(v, "memory_mib"));
		if (!rp_guest_counts(run, jstr(v, "name"))) {
			e->failed++;
			continue;
		}
		g = &s->g[s->ng++];
		g->name = jstr(v, "name");
		g->job = j;
		g->rep = (int)rep;
		g->vm_index = (int)k;
		g->nominal = json_number_value(json_object_get(v, "memory_mib"));
		if (!(g->nominal > 0))
			g->nominal = NAN;
		g->actual.v = g->rss.v = NAN;
		g->oom.last = NAN;
	}
}

/*
 * Open @name of the run; 1 if there, 0 if not (nothing to add), -1 (reported,
 * s->err). A file the report reads too (samples, transitions, latency) is
 * read quietly here: a value or row left out is said once, by the report.
 */
static int open_csv(struct sc *s, struct rp_csv *c, const char *name, int quiet)
{
	char path[PATH_MAX];
	int r;

	if (rp_path(path, sizeof(path), s->dir, name)) {
		s->err = 1;
		return -1;
	}
	r = rp_csv_open(c, path);
	if (r == -ENOENT)
		return 0;
	if (r) {
		s->err = 1;
		return -1;
	}
	c->quiet = quiet;
	return 1;
}

static void close_csv(struct sc *s, struct rp_csv *c, int r)
{
	if (r < 0)
		s->err = 1;
	rp_csv_close(c);
}

/* Whether time @t is in guest @g's window: its job repetition's policy's, or its whole life. */
static int in_window(struct sc *s, const struct sc_guest *g, double t)
{
	const struct sc_rep *e = &s->reps[g->repi];

	return e->t0 > e->t1 || (t >= e->t0 && t <= e->t1);
}

static void read_samples(struct sc *s)
{
	struct rp_csv c;
	int ct, cv, cs, ca, cr, co, r;

	if (open_csv(s, &c, "samples.csv", 1) <= 0)
		return;
	ct = rp_csv_col(&c, "t_s");
	cv = rp_csv_col(&c, "vm");
	cs = rp_csv_col(&c, "source");
	ca = rp_csv_col(&c, "actual_mib");
	cr = rp_csv_col(&c, "qemu_rss_kib");
	co = rp_csv_col(&c, "oom_kills");
	while ((r = rp_csv_next(&c)) > 0) {
		struct sc_guest *g = find_guest(s, rp_csv_str(&c, cv));
		double t;

		if (!g || rp_csv_get(&c, ct, -RP_MAX_T_S, RP_MAX_T_S, &t) || isnan(t))
			continue;
		if (!strcmp(rp_csv_str(&c, cs), "host")) {
			if (!in_window(s, g, t))
				continue;
			hr_score_step(&g->actual, t, rp_csv_num(&c, ca));
			hr_score_step(&g->rss, t, rp_csv_num(&c, cr) / 1024.0);
		} else {
			hr_score_counter_add(&g->oom, rp_csv_num(&c, co), 0);
		}
	}
	close_csv(s, &c, r);
}

static void read_budget(struct sc *s)
{
	struct rp_csv c;
	int cj, cr, ck, cl, co, cm, ci, cu, r;

	if (open_csv(s, &c, "budget.csv", 0) <= 0)
		return;
	ci = rp_csv_col(&c, "swap_in_mib");	/* the host's swap-in/out (absent: older results) */
	cu = rp_csv_col(&c, "swap_out_mib");
	cm = rp_csv_col(&c, "kmsg_oom_kills");	/* the kernel log's count (absent: older results) */
	cj = rp_csv_col(&c, "job");
	cr = rp_csv_col(&c, "rep");
	ck = rp_csv_col(&c, "kind");
	cl = rp_csv_col(&c, "limit_mib");
	co = rp_csv_col(&c, "oom_kill");
	while ((r = rp_csv_next(&c)) > 0) {
		int j = find_job(s, rp_csv_str(&c, cj));
		double rep, lim, sin, sout;
		struct sc_rep *e;

		if (j < 0 || strcmp(rp_csv_str(&c, ck), "budget") ||
		    rp_csv_get(&c, cr, 0, 99999, &rep) || isnan(rep) || !(e = rep_of(s, j, (int)rep)))
			continue;
		lim = rp_csv_num(&c, cl);
		if (lim > 0 && !(lim <= e->limit))
			e->limit = lim;
		/* the kernel log's count where it was read: v1's oom_kill misses the domains' kills */
		hr_score_counter_add(&e->oom, cm >= 0 && !isnan(rp_csv_num(&c, cm)) ? rp_csv_num(&c, cm) :
					      rp_csv_num(&c, co), 1);
		/* cumulative from the budget's creation: the latest row's (the largest) */
		sin = ci >= 0 ? rp_csv_num(&c, ci) : NAN;
		sout = cu >= 0 ? rp_csv_num(&c, cu) : NAN;
		if (sin >= 0 && !(sin <= e->swap_in))
			e->swap_in = sin;
		if (sout >= 0 && !(sout <= e->swap_out))
			e->swap_out = sout;
	}
	close_csv(s, &c, r);
}

/* Append @x (of @size bytes) to the array *@a of *@n, room *@cap. -1: out of memory. */
static int push(void **a, size_t *n, size_t *cap, const void *x, size_t size)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;
		void *na = realloc(*a, nc * size);

		if (!na)
			return -1;
		*a = na;
		*cap = nc;
	}
	memcpy((char *)*a + *n * size, x, size);
	(*n)++;
	return 0;
}

static void read_transitions(struct sc *s)
{
	struct rp_csv c;
	int cv, cm, cto, cts, c100, r;

	if (open_csv(s, &c, "transitions.csv", 1) <= 0)
		return;
	cv = rp_csv_col(&c, "vm");
	cm = rp_csv_col(&c, "moved_mib");
	cto = rp_csv_col(&c, "to_mib");
	cts = rp_csv_col(&c, "t_set_s");
	c100 = rp_csv_col(&c, "t100_ms");
	while ((r = rp_csv_next(&c)) > 0) {
		struct sc_guest *g = find_guest(s, rp_csv_str(&c, cv));
		struct hr_score_trans t;
		double moved;

		if (!g)
			continue;
		moved = rp_csv_num(&c, cm);
		g->churn += hr_score_churn(&moved, 1);
		g->changes++;
		t = (struct hr_score_trans){ rp_csv_num(&c, cts), rp_csv_num(&c, cto), rp_csv_num(&c, c100) };
		if (!isnan(t.t_set) && !isnan(t.to_mib) &&
		    push((void **)&g->tr, &g->nt, &g->capt, &t, sizeof(t)))
			s->err = 1;
	}
	close_csv(s, &c, r);
}

static void read_decisions(struct sc *s)
{
	struct rp_csv c;
	int cv, ct, cs, cg, cp, r;

	if (open_csv(s, &c, "decisions.csv", 0) <= 0)
		return;
	cp = rp_csv_col(&c, "phase");	/* bring-up decisions: outside the window (absent: older results) */
	cv = rp_csv_col(&c, "vm");
	ct = rp_csv_col(&c, "t_s");
	cs = rp_csv_col(&c, "set");
	cg = rp_csv_col(&c, "target_mib");
	while ((r = rp_csv_next(&c)) > 0) {
		struct sc_guest *g = find_guest(s, rp_csv_str(&c, cv));
		struct hr_score_decision d = { rp_csv_num(&c, ct), rp_csv_num(&c, cg) };

		if (g && !isnan(d.t) && (cp < 0 || strcmp(rp_csv_str(&c, cp), "bring-up"))) {
			struct sc_rep *e = &s->reps[g->repi];

			e->t0 = fmin(e->t0, d.t);
			e->t1 = fmax(e->t1, d.t);
		}
		if (g && rp_csv_num(&c, cs) == 1 && !isnan(d.t) && !isnan(d.target_mib) &&
		    push((void **)&g->dec, &g->nd, &g->capd, &d, sizeof(d)))
			s->err = 1;
	}
	close_csv(s, &c, r);
}

static void read_latency(struct sc *s)
{
	struct rp_csv c;
	int cv, cl, cn, r;

	if (open_csv(s, &c, "latency.csv", 1) <= 0)
		return;
	cv = rp_csv_col(&c, "vm");
	cl = rp_csv_col(&c, "bucket_lo_ns");
	cn = rp_csv_col(&c, "count");
	while ((r = rp_csv_next(&c)) > 0) {
		struct sc_guest *g = find_guest(s, rp_csv_str(&c, cv));
		double lo, n;

		if (!g || rp_csv_get(&c, cl, 0, (double)st_bucket_lo(ST_NBUCKETS - 1), &lo) || rp_csv_get(&c, cn, 0, RP_MAX_COUNT, &n) ||
		    isnan(lo) || isnan(n))
			continue;
		if (!g->hist && !(g->hist = calloc(1, sizeof(*g->hist)))) {
			s->err = 1;
			break;
		}
		g->hist->count[st_bucket((uint64_t)lo)] += (uint64_t)n;
	}
	close_csv(s, &c, r);
}

static void read_faults(struct sc *s)
{
	struct rp_csv c;
	int ct, cv, cn, cs, r;

	if (open_csv(s, &c, "faults.csv", 1) <= 0)
		return;
	ct = rp_csv_col(&c, "t_s");
	cv = rp_csv_col(&c, "vm");
	cn = rp_csv_col(&c, "accesses");
	cs = rp_csv_col(&c, "slow_accesses");
	while ((r = rp_csv_next(&c)) > 0) {
		struct sc_guest *g = find_guest(s, rp_csv_str(&c, cv));
		double t;

		if (g && !rp_csv_get(&c, ct, -RP_MAX_T_S, RP_MAX_T_S, &t) && in_window(s, g, t))
			hr_score_slo_add(&g->slo, t, rp_csv_num(&c, cn), rp_csv_num(&c, cs));
	}
	close_csv(s, &c, r);
	for (int i = 0; i < s->ng; i++)
		hr_score_slo_end(&s->g[i].slo);
}

static int cmp_dec(const void *a, const void *b)
{
	double x = ((const struct hr_score_decision *)a)->t, y = ((const struct hr_score_decision *)b)->t;

	return x < y ? -1 : x > y;
}

static int cmp_tr(const void *a, const void *b)
{
	double x = ((const struct hr_score_trans *)a)->t_set, y = ((const struct hr_score_trans *)b)->t_set;

	return x < y ? -1 : x > y;
}

/* What a row says: a guest's, or its job repetition's guests' together. */
struct sc_row {
	int guests;
	double nominal, span, saved, saved_mean, rss, guest_oom, churn, slo_windows, slo_violated;
	int changes, decisions;
	struct st_hist hist;
	int has_hist;
	double *lat;
	size_t nlat;
};

static void row_add(struct sc_row *o, const struct sc_guest *g)
{
	double saved = hr_score_below_gib_s(&g->actual, g->nominal);

	o->guests++;
	o->nominal += g->nominal;
	o->span += g->actual.span;
	o->saved += saved;
	o->saved_mean += g->actual.span > 0 ? saved * 1024.0 / g->actual.span : NAN;
	o->rss += hr_score_mean(&g->rss);
	o->guest_oom += g->oom.sum;
	o->churn += g->churn;
	o->slo_windows += g->slo.windows;
	o->slo_violated += g->slo.violated;
	o->changes += g->changes;
	o->decisions += (int)g->nd;
	if (g->hist) {
		st_hist_merge(&o->hist, g->hist);
		o->has_hist = 1;
	}
	if (g->lat && g->nd) {
		double *nl = realloc(o->lat, (o->nlat + g->nd) * sizeof(double));

		if (nl) {
			memcpy(nl + o->nlat, g->lat, g->nd * sizeof(double));
			o->lat = nl;
			o->nlat += g->nd;
		}
	}
}

static double pct(const struct sc_row *o, double p)
{
	return o->has_hist ? st_hist_percentile(&o->hist, p) / 1000.0 : NAN;
}

/*
 * The baseline's figures for guest index @k (-1: all), over its
 * repetitions: mean RSS per guest (all: the guests' RSS added, over their
 * number, so that a guest the budget's OOM killer ended does not read as
 * RSS saved), merged histogram.
 */
static void baseline_of(const struct sc *s, int job, int k, double *rss, struct sc_row *b)
{
	double sum = 0;
	int n = 0;

	memset(b, 0, sizeof(*b));
	for (int r = 0; r < s->nreps; r++) {
		struct sc_row one;

		if (s->reps[r].job != job)
			continue;
		memset(&one, 0, sizeof(one));
		for (int i = 0; i < s->ng; i++)
			if (s->g[i].job == job && s->g[i].rep == s->reps[r].rep &&
			    (k < 0 || s->g[i].vm_index == k))
				row_add(&one, &s->g[i]);
		free(one.lat);
		if (!one.guests)
			continue;
		if (!isnan(one.rss)) {
			sum += one.rss / one.guests;
			n++;
		}
		if (one.has_hist) {
			st_hist_merge(&b->hist, &one.hist);
			b->has_hist = 1;
		}
	}
	*rss = n ? sum / n : NAN;
}

/* The printed table's columns after job and policy: its header, width and decimals ("-": none). */
static const struct sc_col {
	const char *name;
	int width, prec;
} print_cols[] = {
	{ "oc", 5, 2 }, { "savedGiBs", 9, 1 }, { "rssMiB", 7, 0 }, { "x", 6, 3 }, { "p99us", 9, 1 },
	{ "x", 6, 3 }, { "p999us", 9, 1 }, { "x", 6, 3 }, { "hOOM", 4, 0 }, { "swpInMB", 7, 1 },
	{ "swpOutMB", 8, 1 }, { "gOOM", 5, 0 }, { "churnMB", 7, 0 }, { "decideMs", 8, 0 },
	{ "sloS", 6, 0 }, { "fail", 4, 0 },
};
#define SC_NPRINT	(sizeof(print_cols) / sizeof(print_cols[0]))

static void print_header(void)
{
	printf("\nscores (scores.csv; x: over the baseline job, the first without a host budget)\n"
	       "%-14s %-10s", "job", "policy");
	for (size_t i = 0; i < SC_NPRINT; i++)
		printf(" %*s", print_cols[i].width, print_cols[i].name);
	printf("\n");
}

static void write_row(FILE *f, const struct sc *s, const struct sc_rep *e, const char *vm, int k,
		      struct sc_row *o, int print)
{
	const struct sc_job *j = &s->jobs[e->job];
	struct sc_row base;
	double base_rss = NAN, p99 = pct(o, 99), p999 = pct(o, 99.9), med;
	struct hr_row row;
	int all = k < 0;

	if (!o->guests)	/* every guest of the repetition failed: nothing measured of them */
		o->saved = o->saved_mean = o->rss = o->guest_oom = NAN;
	if (j->baseline >= 0)
		baseline_of(s, j->baseline, k, &base_rss, &base);
	med = hr_score_median(o->lat, o->nlat);
	hr_row_init(&row, HR_TB_SCORES);
	hr_row_set_s(&row, HR_SC_JOB, j->name);
	hr_row_set_s(&row, HR_SC_LABEL, j->label);
	hr_row_set_i(&row, HR_SC_REP, e->rep);
	hr_row_set_s(&row, HR_SC_VM, vm);
	hr_row_set_s(&row, HR_SC_POLICY, j->policy);
	hr_row_set_s(&row, HR_SC_BASELINE, j->baseline >= 0 ? s->jobs[j->baseline].name : NULL);
	hr_row_set_i(&row, HR_SC_GUESTS, o->guests);
	hr_row_set_f(&row, HR_SC_NOMINAL_MIB, all ? e->nominal : o->nominal);
	hr_row_set_f(&row, HR_SC_BUDGET_MIB, e->limit);
	hr_row_set_f(&row, HR_SC_SPAN_S, o->span);
	if (all) {
		hr_row_set_f(&row, HR_SC_OVERCOMMIT_RATIO, hr_score_ratio(e->nominal, e->limit));
		hr_row_set_i(&row, HR_SC_GUESTS_FAILED, e->failed);
		if (!isnan(e->limit)) {
			hr_row_set_f(&row, HR_SC_HOST_OOM_KILLS, e->oom.sum);
			hr_row_set_f(&row, HR_SC_HOST_SWAP_IN_MIB, e->swap_in);	/* NaN: empty */
			hr_row_set_f(&row, HR_SC_HOST_SWAP_OUT_MIB, e->swap_out);
		}
	}
	hr_row_set_f(&row, HR_SC_SAVED_GIB_S, o->saved);
	hr_row_set_f(&row, HR_SC_SAVED_MEAN_MIB, o->saved_mean);
	hr_row_set_f(&row, HR_SC_RSS_MEAN_MIB, o->rss);
	hr_row_set_f(&row, HR_SC_RSS_RATIO, o->guests ? hr_score_ratio(o->rss / o->guests, base_rss) : NAN);
	hr_row_set_f(&row, HR_SC_GUEST_OOM_KILLS, o->guest_oom);
	hr_row_set_f(&row, HR_SC_JOB_P99_US, p99);
	hr_row_set_f(&row, HR_SC_JOB_P999_US, p999);
	if (j->baseline >= 0) {
		hr_row_set_f(&row, HR_SC_P99_RATIO, hr_score_ratio(p99, pct(&base, 99)));
		hr_row_set_f(&row, HR_SC_P999_RATIO, hr_score_ratio(p999, pct(&base, 99.9)));
	}
	hr_row_set_f(&row, HR_SC_CHURN_MIB, o->churn);
	hr_row_set_i(&row, HR_SC_CHANGES, o->changes);
	hr_row_set_i(&row, HR_SC_DECISIONS_SET, o->decisions);
	hr_row_set_f(&row, HR_SC_DECIDE_TO_TARGET_MS, med);
	if (o->slo_windows > 0) {
		hr_row_set_f(&row, HR_SC_SLO_WINDOWS_S, o->slo_windows);
		hr_row_set_f(&row, HR_SC_SLO_VIOLATION_S, o->slo_violated);
	}
	(void)hr_row_write(f, &row, 0);
	if (!print || !all)
		return;
	{
		const double v[] = { hr_score_ratio(e->nominal, e->limit), o->saved, o->rss,
				     o->guests ? hr_score_ratio(o->rss / o->guests, base_rss) : NAN, p99,
				     j->baseline >= 0 ? hr_score_ratio(p99, pct(&base, 99)) : NAN, p999,
				     j->baseline >= 0 ? hr_score_ratio(p999, pct(&base, 99.9)) : NAN,
				     isnan(e->limit) ? NAN : e->oom.sum, isnan(e->limit) ? NAN : e->swap_in,
				     isnan(e->limit) ? NAN : e->swap_out, o->guest_oom, o->churn, med,
				     o->slo_windows > 0 ? o->slo_violated : NAN, e->failed };

		_Static_assert(sizeof(v) / sizeof(v[0]) == SC_NPRINT, "a figure per printed column");
		printf("%-14.14s %-10.10s", j->name, *j->policy ? j->policy : "-");
		for (size_t i = 0; i < SC_NPRINT; i++)
			if (isnan(v[i]))
				printf(" %*s", print_cols[i].width, "-");
			else
				printf(" %*.*f", print_cols[i].width, print_cols[i].prec, v[i]);
		printf("\n");
	}
}

static int cmp_guest(const void *a, const void *b)
{
	const struct sc_guest *x = a, *y = b;

	if (x->job != y->job)
		return x->job < y->job ? -1 : 1;
	if (x->rep != y->rep)
		return x->rep < y->rep ? -1 : 1;
	return x->vm_index < y->vm_index ? -1 : x->vm_index > y->vm_index;
}

static int cmp_rep(const void *a, const void *b)
{
	const struct sc_rep *x = a, *y = b;

	return x->job != y->job ? (x->job < y->job ? -1 : 1) : (x->rep < y->rep ? -1 : x->rep > y->rep);
}

int rp_scores_write(const char *dir, json_t *run, int print)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct sc *s = calloc(1, sizeof(*s));
	int ret = -1, policies = 0;
	FILE *f = NULL;

	if (!s)
		return hr_error("scores: out of memory");
	s->dir = dir;
	load_run(s, run);
	qsort(s->g, (size_t)s->ng, sizeof(s->g[0]), cmp_guest);
	qsort(s->reps, (size_t)s->nreps, sizeof(s->reps[0]), cmp_rep);
	for (int i = 0; i < s->ng; i++)
		for (int r = 0; r < s->nreps; r++)
			if (s->reps[r].job == s->g[i].job && s->reps[r].rep == s->g[i].rep)
				s->g[i].repi = r;
	read_decisions(s);	/* first: the policy's window */
	read_samples(s);
	read_budget(s);
	read_transitions(s);
	read_latency(s);
	read_faults(s);
	if (s->err) {
		/* no scores from files that could not be read: nor an earlier report's, kept stale */
		if (!rp_path(path, sizeof(path), dir, "scores.csv") && unlink(path) && errno != ENOENT)
			hr_warn("cannot remove %s: %s", path, strerror(errno));
		ret = RP_BAD_INPUT;
		goto out;
	}
	for (int i = 0; i < s->ng; i++) {
		struct sc_guest *g = &s->g[i];

		if (g->nd)
			qsort(g->dec, g->nd, sizeof(*g->dec), cmp_dec);
		if (g->nt)
			qsort(g->tr, g->nt, sizeof(*g->tr), cmp_tr);
		if (g->nd && !(g->lat = calloc(g->nd, sizeof(double)))) {
			hr_error("out of memory");
			goto out;
		}
		if (g->nd)
			(void)hr_score_decide_latency(g->dec, g->nd, g->tr, g->nt, g->lat);
	}
	for (int i = 0; i < s->njobs; i++)
		policies += *s->jobs[i].policy != '\0';
	if (rp_path(path, sizeof(path), dir, "scores.csv") ||
	    rp_path(tmp, sizeof(tmp), dir, ".scores.csv.tmp"))
		goto out;
	if (!(f = fopen(tmp, "we"))) {
		hr_error("cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	(void)hr_table_header(f, &hr_tables[HR_TB_SCORES]);
	print = print && policies;
	if (print)
		print_header();
	for (int r = 0; r < s->nreps; r++) {
		struct sc_row all;

		memset(&all, 0, sizeof(all));
		for (int i = 0; i < s->ng; i++) {
			struct sc_row one;

			if (s->g[i].job != s->reps[r].job || s->g[i].rep != s->reps[r].rep)
				continue;
			memset(&one, 0, sizeof(one));
			row_add(&one, &s->g[i]);
			row_add(&all, &s->g[i]);
			write_row(f, s, &s->reps[r], s->g[i].name, s->g[i].vm_index, &one, 0);
			free(one.lat);
		}
		if (all.guests || s->reps[r].failed)	/* every guest failed: the row says so */
			write_row(f, s, &s->reps[r], "all", -1, &all, print);
		free(all.lat);
	}
	if (fclose(f) || rename(tmp, path)) {
		f = NULL;
		hr_error("cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	f = NULL;
	ret = 0;
out:
	if (f)
		fclose(f);
	for (int i = 0; i < s->ng; i++) {
		free(s->g[i].hist);
		free(s->g[i].dec);
		free(s->g[i].tr);
		free(s->g[i].lat);
	}
	free(s);
	return ret;
}

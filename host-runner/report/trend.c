// SPDX-License-Identifier: MIT
/*
 * trend.c - `balloonbench trend RESULTS...`: each metric over many runs of
 * one scenario, in time order, with the change points marked; trend.csv
 * and trend.html (one offline page, uPlot and reports/trend.js built in).
 *
 * RESULTS are results directories or directories of them (a CI history).
 * Runs are ordered by run.json's started_at (then run id). A run may carry a
 * label (a commit, a build number) from --labels FILE: lines "RUN LABEL",
 * RUN a run id or a results directory's name.
 *
 * Per run and series (job, matrix label, direction, metric): the median of
 * the run's transitions (warm-up runs left out) and the distribution-free
 * 95 % CI of that median (summary.c's hr_stats_compute; with fewer than 6
 * values it is [min, max]).
 *
 * Change points, a simple and conservative rule: with a window of w runs
 * (--window, default 3), run i starts a change when the w runs before it
 * (i-w .. i-1) and the w runs from it (i .. i+w-1) all have a median, the
 * two windows do not overlap at all (every median after is above every one
 * before, or every one below: for w = 3 the chance of that in a series
 * without a change is 2 / C(6,3) = 10 %, for w = 4 2.9 %), and the step,
 * the mean of the w medians after over the mean of the w before, minus 1,
 * is at least --min-change (default 10 %) either way. Of neighbouring runs
 * that qualify (a change qualifies at the runs next to it too, with a
 * smaller step), the one with the largest step is marked. A series needs
 * 2w runs to show one.
 *
 * trend.csv, schema 1 (columns only ever appended): schema, scenario, job,
 * label, direction, metric, unit, better, run_id, started_at, run_label,
 * n, median, ci_lo, ci_hi, change_point (1 at a marked run), step (the
 * relative change there, else empty).
 *
 * Runs of different scenarios (their texts, comments and blank space aside)
 * or accelerators are not one series: refused, exit 2, unless --allow-mismatch.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "core/paths.h"
#include "core/version.h"
#include "report.h"

#define TR_MAX_RUNS	4096
#define TR_MAX_METRICS	16

static const char *const default_metrics[] = { "mean_rate_mib_s", "t100_ms", "control_latency_ms",
					       "wl_p99_us" };

struct trun {
	char *dir;
	char id[128], started[40], label[256], scen[128], accel[64];
	unsigned long long hash;
};

/* One series: a job's direction and metric over the runs. */
struct series {
	char job[64], label[128], dir[16];
	const struct hr_metric *m;
	double *v;		/* values of the run being read */
	size_t nv, cap;
	struct hr_stats *st;	/* per run; n == 0: none */
	int *cp;		/* per run: 1 at a change point */
	double *step;
};

struct trend {
	struct trun *runs;
	int nruns;
	struct series *ser;
	size_t nser;
	const struct hr_metric *metrics[TR_MAX_METRICS];
	int nmetrics, window, allow, quiet;
	double min_change;
	const char *labels, *out;
};

/* ---- runs ---- */

static int has_run_json(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	return !rp_path(path, sizeof(path), dir, "run.json") && !stat(path, &st) && S_ISREG(st.st_mode);
}

static int add_run(struct trend *t, const char *dir)
{
	if (t->nruns == TR_MAX_RUNS) {
		return hr_error("trend: more than %d runs", TR_MAX_RUNS);
	}
	t->runs[t->nruns].dir = strdup(dir);
	if (!t->runs[t->nruns].dir)
		return -1;
	t->nruns++;
	return 0;
}

/* @arg itself if it is a run, else its subdirectories that are ("latest", a link, left out). */
static int find_runs(struct trend *t, const char *arg)
{
	struct dirent **ents;
	int n, before = t->nruns, ret = 0;

	if (has_run_json(arg))
		return add_run(t, arg);
	n = scandir(arg, &ents, NULL, alphasort);
	if (n < 0) {
		return hr_error("trend: %s: %s", arg, strerror(errno));
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;

		if (!ret && ents[i]->d_name[0] != '.' && !rp_path(path, sizeof(path), arg, ents[i]->d_name) &&
		    !lstat(path, &st) && S_ISDIR(st.st_mode) && has_run_json(path))
			ret = add_run(t, path);
		free(ents[i]);
	}
	free(ents);
	if (!ret && t->nruns == before) {
		return hr_error("trend: %s: not a results directory, and no results directory in it (expected run.json)", arg);
	}
	return ret;
}

/* run.json's id, start, scenario and accel into @r. */
static int describe_run(struct trun *r)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *run, *sc;
	const char *file, *base = strrchr(r->dir, '/');

	if (rp_path(path, sizeof(path), r->dir, "run.json"))
		return -1;
	run = json_load_file(path, 0, &jerr);
	if (!run) {
		return hr_error("%s:%d: %s", path, jerr.line, jerr.text);
	}
	sc = json_object_get(run, "scenario");
	file = json_string_value(json_object_get(sc, "file")) ?: "?";
	snprintf(r->id, sizeof(r->id), "%s", json_string_value(json_object_get(run, "run_id")) ?:
		 (base ? base + 1 : r->dir));
	snprintf(r->started, sizeof(r->started), "%s",
		 json_string_value(json_object_get(run, "started_at")) ?: "");
	snprintf(r->scen, sizeof(r->scen), "%s", strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
	snprintf(r->accel, sizeof(r->accel), "%s", json_string_value(json_object_get(
		json_array_get(json_object_get(run, "vms"), 0), "accel")) ?: "?");
	r->hash = rp_scenario_hash(json_string_value(json_object_get(sc, "text")) ?: "");
	json_decref(run);
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct trun *x = a, *y = b;
	int c = strcmp(x->started, y->started);

	return c ? c : strcmp(x->id, y->id);
}

/* --labels FILE: "RUN LABEL" lines onto the runs whose id or directory name is RUN. */
static int read_labels(struct trend *t)
{
	FILE *f = fopen(t->labels, "re");
	char line[512];
	int ln = 0;

	if (!f) {
		return hr_error("trend: --labels %s: %s", t->labels, strerror(errno));
	}
	while (fgets(line, sizeof(line), f)) {
		char run[256], label[256];

		ln++;
		if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (sscanf(line, "%255s %255[^\r\n]", run, label) != 2) {
			hr_error("%s:%d: expected 'RUN LABEL' (a run id or results directory name, then its label)",
			       t->labels, ln);
			fclose(f);
			return -1;
		}
		for (int i = 0; i < t->nruns; i++) {
			const char *base = strrchr(t->runs[i].dir, '/');

			if (!strcmp(run, t->runs[i].id) || !strcmp(run, base ? base + 1 : t->runs[i].dir))
				snprintf(t->runs[i].label, sizeof(t->runs[i].label), "%s", label);
		}
	}
	fclose(f);
	return 0;
}

/*
 * One scenario (text) and one accel across the runs; else one line naming
 * what differs and -1 (unless --allow-mismatch: then a warning).
 */
static int check_same(const struct trend *t)
{
	char why[1024] = "";

	for (int i = 1; i < t->nruns && !why[0]; i++) {
		const struct trun *a = &t->runs[0], *b = &t->runs[i];

		if (a->hash != b->hash || strcmp(a->scen, b->scen))
			snprintf(why, sizeof(why), "runs of different scenarios: %s (%s) and %s (%s)%s",
				 a->id, a->scen, b->id, b->scen, strcmp(a->scen, b->scen) ? "" :
				 ", two texts of one file");
		else if (strcmp(a->accel, b->accel))
			snprintf(why, sizeof(why), "runs under different accelerators: %s (%s) and %s (%s)",
				 a->id, a->accel, b->id, b->accel);
	}
	if (!why[0])
		return 0;
	if (!t->allow) {
		return hr_error("trend: %s: not one series; trend one scenario at a time (or --allow-mismatch)", why);
	}
	hr_warn("trend: %s (--allow-mismatch: drawn as one series anyway)", why);
	return 0;
}

/* ---- values ---- */

static struct series *series_get(struct trend *t, const char *job, const char *label,
				 const char *dir, const struct hr_metric *m)
{
	struct series *s, *ns;

	for (size_t i = 0; i < t->nser; i++) {
		s = &t->ser[i];
		if (s->m == m && !strcmp(s->job, job) && !strcmp(s->label, label) && !strcmp(s->dir, dir))
			return s;
	}
	ns = realloc(t->ser, (t->nser + 1) * sizeof(*t->ser));
	if (!ns)
		return NULL;
	t->ser = ns;
	s = &t->ser[t->nser];
	memset(s, 0, sizeof(*s));
	snprintf(s->job, sizeof(s->job), "%s", job);
	snprintf(s->label, sizeof(s->label), "%s", label);
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->m = m;
	s->st = calloc((size_t)t->nruns, sizeof(*s->st));
	s->cp = calloc((size_t)t->nruns, sizeof(*s->cp));
	s->step = calloc((size_t)t->nruns, sizeof(*s->step));
	if (!s->st || !s->cp || !s->step) {
		free(s->st);
		free(s->cp);
		free(s->step);
		return NULL;
	}
	t->nser++;
	return s;
}

static int push(struct series *s, double v)
{
	if (s->nv == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		double *nv = realloc(s->v, cap * sizeof(double));

		if (!nv)
			return -1;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->nv++] = v;
	return 0;
}

/*
 * Run @ri's transitions.csv into the series' values (warm-up runs and failed
 * guests left out, as summary.csv does), then each series' statistics of that run.
 */
static int read_run(struct trend *t, int ri)
{
	char path[PATH_MAX];
	struct rp_csv c;
	int cj, cl, cd, cw, cv, cm[TR_MAX_METRICS], r;
	json_t *run = NULL;

	/* its failed_guests (read whole once already, by describe_run) */
	if (!rp_path(path, sizeof(path), t->runs[ri].dir, "run.json"))
		run = json_load_file(path, 0, NULL);
	if (rp_path(path, sizeof(path), t->runs[ri].dir, "transitions.csv")) {
		json_decref(run);
		return -1;
	}
	r = rp_csv_open(&c, path);
	if (r) {
		json_decref(run);
		return r == -ENOENT ? 0 : -1;	/* none recorded: a gap in every series */
	}
	cj = rp_csv_col(&c, "job");
	cl = rp_csv_col(&c, "label");
	cd = rp_csv_col(&c, "direction");
	cw = rp_csv_col(&c, "warmup");
	cv = rp_csv_col(&c, "vm");
	for (int m = 0; m < t->nmetrics; m++)
		cm[m] = rp_csv_col(&c, t->metrics[m]->name);
	while ((r = rp_csv_next(&c)) > 0) {
		double warm;

		if (rp_csv_get(&c, cw, 0, 1, &warm) || warm == 1 ||
		    !rp_guest_counts(run, cv < 0 ? "" : rp_csv_str(&c, cv)))
			continue;
		for (int m = 0; m < t->nmetrics; m++) {
			double v = rp_csv_num(&c, cm[m]);
			struct series *s;

			if (isnan(v))
				continue;
			s = series_get(t, rp_csv_str(&c, cj), rp_csv_str(&c, cl), rp_csv_str(&c, cd),
				       t->metrics[m]);
			if (!s || push(s, v)) {
				r = -1;
				hr_error("trend: out of memory");
				break;
			}
		}
	}
	rp_csv_close(&c);
	json_decref(run);
	for (size_t i = 0; i < t->nser; i++) {
		if (t->ser[i].nv)
			(void)hr_stats_compute(t->ser[i].v, t->ser[i].nv, &t->ser[i].st[ri]);
		t->ser[i].nv = 0;
	}
	return r < 0 ? -1 : 0;
}

/* ---- change points ---- */

static double mean_of(const double *v, int n)
{
	double sum = 0;

	for (int i = 0; i < n; i++)
		sum += v[i];
	return sum / n;
}

/* The step at run @i (see the top of this file), or NaN if it does not qualify. */
static double step_at(const struct series *s, int i, int w, double min_change)
{
	double before[64], after[64], bmin = INFINITY, bmax = -INFINITY, amin = INFINITY, amax = -INFINITY;
	double mb, ma, step;

	for (int k = 0; k < w; k++) {
		const struct hr_stats *b = &s->st[i - w + k], *a = &s->st[i + k];

		if (!b->n || !a->n)
			return NAN;
		before[k] = b->median;
		after[k] = a->median;
		bmin = fmin(bmin, b->median);
		bmax = fmax(bmax, b->median);
		amin = fmin(amin, a->median);
		amax = fmax(amax, a->median);
	}
	if (!(bmax < amin || bmin > amax))
		return NAN;
	mb = mean_of(before, w);
	ma = mean_of(after, w);
	step = mb ? ma / mb - 1 : NAN;
	return fabs(step) >= min_change ? step : NAN;
}

/* Mark each stretch of runs that qualify at its largest step; s->step[] holds the steps. */
static void change_points(struct trend *t, struct series *s)
{
	int best = -1;

	for (int i = 0; i < t->nruns; i++)
		s->step[i] = NAN;
	for (int i = t->window; i <= t->nruns - t->window; i++) {
		s->step[i] = step_at(s, i, t->window, t->min_change);
		if (isnan(s->step[i])) {
			if (best >= 0)
				s->cp[best] = 1;
			best = -1;
		} else if (best < 0 || fabs(s->step[i]) > fabs(s->step[best])) {
			best = i;
		}
	}
	if (best >= 0)
		s->cp[best] = 1;
}

/* ---- output ---- */

static void csv_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, ",%.6g", v);
	else
		fputs(",", f);
}

static int write_csv(const struct trend *t, const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f) {
		return hr_error("trend: cannot write %s: %s", path, strerror(errno));
	}
	fputs("schema,scenario,job,label,direction,metric,unit,better,run_id,started_at,run_label,n,"
	      "median,ci_lo,ci_hi,change_point,step\n", f);
	for (size_t i = 0; i < t->nser; i++) {
		const struct series *s = &t->ser[i];

		for (int r = 0; r < t->nruns; r++) {
			const struct trun *u = &t->runs[r];

			fprintf(f, "1,%s,%s,\"%s\",%s,%s,%s,%s,%s,%s,\"%s\",%zu", u->scen, s->job, s->label,
				s->dir, s->m->name, s->m->unit, s->m->higher_better ? "higher" : "lower",
				u->id, u->started, u->label, s->st[r].n);
			csv_num(f, s->st[r].n ? s->st[r].median : NAN);
			csv_num(f, s->st[r].n ? s->st[r].ci_lo : NAN);
			csv_num(f, s->st[r].n ? s->st[r].ci_hi : NAN);
			fprintf(f, ",%d", s->cp[r]);
			csv_num(f, s->cp[r] ? s->step[r] : NAN);
			fputc('\n', f);
		}
	}
	if (ferror(f) | fclose(f)) {
		return hr_error("trend: cannot write %s: %s", path, strerror(errno));
	}
	return 0;
}

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *series_json(const struct trend *t, const struct series *s)
{
	json_t *med = json_array(), *lo = json_array(), *hi = json_array(), *n = json_array();
	json_t *cps = json_array();

	for (int r = 0; r < t->nruns; r++) {
		const struct hr_stats *st = &s->st[r];

		json_array_append_new(med, st->n ? jnum(st->median) : json_null());
		json_array_append_new(lo, st->n ? jnum(st->ci_lo) : json_null());
		json_array_append_new(hi, st->n ? jnum(st->ci_hi) : json_null());
		json_array_append_new(n, json_integer((json_int_t)st->n));
		if (s->cp[r])
			json_array_append_new(cps, json_pack("{s:i, s:o}", "run", r, "step", jnum(s->step[r])));
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o}", "job", s->job,
			 "label", s->label, "direction", s->dir, "metric", s->m->name, "unit", s->m->unit,
			 "higher_better", s->m->higher_better, "median", med, "ci_lo", lo, "ci_hi", hi,
			 "n", n, "change_points", cps);
}

/*
 * trend.html's data (#bb-data, read by reports/trend.js), schema 1:
 * {schema, scenario, window, min_change, runs: [{id, started_at, label, dir}],
 *  series: [{job, label, direction, metric, unit, higher_better, median[],
 *  ci_lo[], ci_hi[], n[], change_points: [{run, step}]}]}, arrays per run.
 */
static char *html_data(const struct trend *t)
{
	json_t *runs = json_array(), *ser = json_array(), *root;
	char *text;

	for (int r = 0; r < t->nruns; r++)
		json_array_append_new(runs, json_pack("{s:s, s:s, s:s, s:s}", "id", t->runs[r].id,
			"started_at", t->runs[r].started, "label", t->runs[r].label, "dir", t->runs[r].dir));
	for (size_t i = 0; i < t->nser; i++)
		json_array_append_new(ser, series_json(t, &t->ser[i]));
	root = json_pack("{s:i, s:s, s:i, s:f, s:o, s:o}", "schema", 1, "scenario", t->runs[0].scen,
			 "window", t->window, "min_change", t->min_change, "runs", runs, "series", ser);
	text = root ? json_dumps(root, JSON_COMPACT | JSON_ESCAPE_SLASH | JSON_REAL_PRECISION(8)) : NULL;
	json_decref(root);
	return text;
}

static int write_html(const struct trend *t, const char *path)
{
	char *data = html_data(t);
	FILE *f;
	int bad;

	if (!data)
		return -1;
	f = fopen(path, "we");
	if (!f) {
		hr_error("trend: cannot write %s: %s", path, strerror(errno));
		free(data);
		return -1;
	}
	bad = rp_page_head(f, "balloonbench trend", NULL);
	fputs("<main id=\"app\">\n<h1>balloonbench trend</h1>\n<p class=\"sub\">", f);
	rp_escape_markup(f, t->runs[0].scen);
	fprintf(f, ": %d run(s), %s to %s; balloonbench %s</p>\n", t->nruns, t->runs[0].started,
		t->runs[t->nruns - 1].started, BB_VERSION);
	fprintf(f, "<p class=\"muted\">Per run: the median of its transitions (warm-up runs left out) "
		   "and the 95 %% confidence interval of that median (shaded). A dashed line marks a change "
		   "point: the %d runs from it and the %d before it do not overlap, and the means of their medians differ "
		   "by at least %.0f %%. The charts need JavaScript; trend.csv has every value.</p>\n"
		   "<section id=\"trend\"></section>\n</main>\n", t->window, t->window, 100 * t->min_change);
	bad |= rp_page_tail(f, data, rp_trend_js, rp_trend_js_end);
	free(data);
	if (ferror(f) | fclose(f) || bad) {
		return hr_error("trend: cannot write %s: %s", path, strerror(errno));
	}
	return 0;
}

/* The table: a line per series, its first and last median and the change points. */
static void print_table(const struct trend *t)
{
	printf("%-20s %-8s %-20s %5s %12s %12s  %s\n", "job", "dir", "metric", "runs", "first", "last",
	       "change points (run: step)");
	for (size_t i = 0; i < t->nser; i++) {
		const struct series *s = &t->ser[i];
		double first = NAN, last = NAN;
		int n = 0;

		for (int r = 0; r < t->nruns; r++)
			if (s->st[r].n) {
				if (!n++)
					first = s->st[r].median;
				last = s->st[r].median;
			}
		printf("%-20.20s %-8s %-20s %5d %12.4g %12.4g ", s->job, s->dir, s->m->name, n, first, last);
		for (int r = 0; r < t->nruns; r++)
			if (s->cp[r])
				printf(" %s%s%s: %+.1f%%", t->runs[r].id, t->runs[r].label[0] ? " " : "",
				       t->runs[r].label, 100 * s->step[r]);
		putchar('\n');
	}
}

/* ---- the command ---- */

void rp_trend_usage(FILE *f)
{
	fprintf(f,
		"usage: balloonbench trend [OPTIONS] RESULTS...\n"
		"\n"
		"Each metric over many runs of one scenario, in time order (run.json's\n"
		"started_at): per run the median of its transitions with a 95 %% confidence\n"
		"interval, change points marked. Writes trend.csv and trend.html (one page\n"
		"that opens offline). RESULTS are results directories or directories of them\n"
		"(a CI history: ci/perf-regression --history DIR).\n"
		"\n"
		"options:\n"
		"  -m, --metric NAME      a transitions.csv metric (repeatable; default\n"
		"                         mean_rate_mib_s, t100_ms, control_latency_ms, wl_p99_us)\n"
		"  -l, --labels FILE      'RUN LABEL' lines: a label per run (a commit, a build),\n"
		"                         RUN its run id or results directory name\n"
		"  -o, --output DIR       where trend.csv and trend.html go, made if\n"
		"                         missing (default: the first RESULTS)\n"
		"  -w, --window N         change points: N runs before and N after (default 3)\n"
		"      --min-change X     change points: the smallest step, e.g. 10%% (default)\n"
		"      --allow-mismatch   draw runs of different scenarios or accelerators as\n"
		"                         one series anyway (warned)\n"
		"  -q, --quiet            print nothing but errors\n"
		"  -h, --help             this text\n"
		"\n"
		"A change point: the N runs from it and the N before it do not overlap at all\n"
		"and their medians differ by at least min-change (report/trend.c explains it).\n"
		"exit status: 0 written, 1 a file could not be read or written, 2 bad input\n"
		"             or runs of different scenarios\n");
}

static int add_metric(struct trend *t, const char *name)
{
	const struct hr_metric *m = hr_metric_find(name);

	if (!m) {
		return hr_error("trend: --metric %s: not a metric (one of the transitions.csv columns compare "
		       "and summary.csv use, e.g. mean_rate_mib_s, t100_ms)", name);
	}
	if (t->nmetrics == TR_MAX_METRICS) {
		return hr_error("trend: at most %d metrics", TR_MAX_METRICS);
	}
	t->metrics[t->nmetrics++] = m;
	return 0;
}

/* Options into @t. Returns 0, 1 after --help, or -1 (said). */
static int parse_args(int argc, char **argv, struct trend *t)
{
	static const struct option lo[] = {
		{ "metric", required_argument, NULL, 'm' }, { "labels", required_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' }, { "window", required_argument, NULL, 'w' },
		{ "min-change", required_argument, NULL, 'C' },
		{ "allow-mismatch", no_argument, NULL, 'M' }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	char *end;
	int c, given;

	t->window = 3;
	t->min_change = 0.10;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+m:l:o:w:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'm': if (add_metric(t, optarg)) return -1; break;
		case 'l': t->labels = optarg; break;
		case 'o': t->out = optarg; break;
		case 'w':
			t->window = (int)strtol(optarg, &end, 10);
			if (*end || t->window < 2 || t->window > 32) {
				return hr_error("trend: --window '%s': expected an integer from 2 to 32", optarg);
			}
			break;
		case 'C':
			t->min_change = strtod(optarg, &end);
			if (*end == '%')
				t->min_change /= 100, end++;
			if (*end || end == optarg || !(t->min_change >= 0 && t->min_change <= 10)) {
				return hr_error("trend: --min-change '%s': expected a relative change such as 10%% or 0.1", optarg);
			}
			break;
		case 'M': t->allow = 1; break;
		case 'q': t->quiet = 1; break;
		case 'h': rp_trend_usage(stdout); return 1;
		default:
			fprintf(stderr, "balloonbench: see 'balloonbench trend --help'\n");
			return -1;
		}
	}
	given = t->nmetrics;
	if (optind >= argc) {
		return hr_error("trend: expected results directories (see 'balloonbench trend --help')");
	}
	for (size_t i = 0; !given && i < sizeof(default_metrics) / sizeof(default_metrics[0]); i++)
		t->metrics[t->nmetrics++] = hr_metric_find(default_metrics[i]);
	if (!t->out)
		t->out = argv[optind];
	return 0;
}

static void trend_free(struct trend *t)
{
	for (int i = 0; i < t->nruns; i++)
		free(t->runs[i].dir);
	for (size_t i = 0; i < t->nser; i++) {
		free(t->ser[i].v);
		free(t->ser[i].st);
		free(t->ser[i].cp);
		free(t->ser[i].step);
	}
	free(t->ser);
	free(t->runs);
}

/* Runs found, described, in time order, labelled and checked alike. 0, or an exit status. */
static int load_runs(struct trend *t, int argc, char **argv)
{
	t->runs = calloc(TR_MAX_RUNS, sizeof(*t->runs));
	if (!t->runs)
		return 1;
	for (int i = optind; i < argc; i++)
		if (find_runs(t, argv[i]))
			return 2;
	for (int i = 0; i < t->nruns; i++)
		if (describe_run(&t->runs[i]))
			return 2;
	qsort(t->runs, (size_t)t->nruns, sizeof(*t->runs), by_time);
	if ((t->labels && read_labels(t)) || check_same(t))
		return 2;
	for (int i = 0; i < t->nruns; i++)
		if (read_run(t, i))
			return 1;
	return 0;
}

int hr_trend_main(int argc, char **argv)
{
	struct trend t = { 0 };
	char csv[PATH_MAX], html[PATH_MAX];
	struct stat st;
	int ret;

	ret = parse_args(argc, argv, &t);
	if (ret)
		return ret > 0 ? 0 : 2;
	/* --output made as compare and run make theirs; nothing made for a bad invocation */
	if (!stat(t.out, &st) && (!S_ISDIR(st.st_mode) || access(t.out, W_OK))) {
		hr_error("trend: --output %s: not a writable directory", t.out);
		return 2;
	}
	if (rp_path(csv, sizeof(csv), t.out, "trend.csv") || rp_path(html, sizeof(html), t.out, "trend.html"))
		return 2;
	ret = load_runs(&t, argc, argv);
	if (!ret && !t.nser) {
		hr_error("trend: no values of the chosen metrics in %d run(s)", t.nruns);
		ret = 2;
	}
	if (ret) {
		trend_free(&t);
		return ret;
	}
	if ((ret = -hr_dirs_make(t.out))) {
		hr_error("trend: --output %s: cannot make the directory: %s", t.out, strerror(ret));
		trend_free(&t);
		return 2;
	}
	for (size_t i = 0; i < t.nser; i++)
		change_points(&t, &t.ser[i]);
	if (write_csv(&t, csv) || write_html(&t, html))
		ret = 1;
	else if (!t.quiet) {
		print_table(&t);
		printf("trend: %d run(s); %s, %s\n", t.nruns, csv, html);
	}
	trend_free(&t);
	return ret;
}

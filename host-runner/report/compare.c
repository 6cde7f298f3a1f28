// SPDX-License-Identifier: MIT
/*
 * compare.c - `balloonbench compare BASELINE CANDIDATE`: an A/B comparison of
 * two run sets, metric by metric, with the statistics of abstat.c.
 *
 * A side is a results directory (it has run.json) or a directory of them
 * (every subdirectory with a run.json: the runs of a CI job). Values are the
 * transitions.csv rows of every run, warm-up runs and failed guests left out, matched by job,
 * matrix label, direction and metric (pooled over a job's guests), the same
 * population summary.csv describes.
 *
 * Thresholds (--thresholds FILE, INI; e.g. ci/thresholds.ini): a [default]
 * section and one section per metric, keys alpha, min-change, min-n, max-ci
 * (see abstat.h), min-runs (fewer runs - repetitions on fresh guests - on a
 * side is inconclusive, whatever the values say: the transitions of one run
 * share its guest and its minute of the host) and gate (yes: a regression or
 * an inconclusive result fails the comparison; no: reported only). Without a
 * file: alpha 0.05, min-change 10 %, min-n 5, max-ci 20 %, min-runs 3, and
 * only the gated defaults below gate.
 *
 * Output: a table (or TAP with --tap; or --output-format json and csv,
 * to stdout or --output-file), and compare.csv, compare.tap, compare.html,
 * compare.junit.xml and compare.md (cmpout.c) in the output directory. compare.csv, schema 1 (columns are
 * only ever appended): schema, scenario (file name), job, label, direction,
 * metric, unit, better (higher/lower), gated (1/0), n_base, n_cand,
 * median_base, median_cand, rel_change (fraction), ci_lo, ci_hi (95 % CI of
 * rel_change; all three empty where the baseline is within noise of 0,
 * abstat.h: abs_change is the change), abs_change, abs_ci_lo, abs_ci_hi, u, p_value, exact (1 if the
 * p-value is exact), verdict, reason. Exit status: 0 no regression and
 * every gated metric conclusive; 1 a gated metric regressed; 2 bad input,
 * runs that are not comparable (without --allow-mismatch), or a gated metric
 * inconclusive (no regression).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>
#include <jansson.h>

#include "core/abstat.h"
#include "core/log.h"
#include "core/paths.h"
#include "compare.h"
#include "core/readfile.h"
#include "report.h"
#include "core/version.h"

#define MAX_KEYS	1024

/* Metrics that gate by default: how fast the balloon moves and what the workload feels. */
static const char *const default_gated[] = { "mean_rate_mib_s", "t100_ms", "wl_p99_us" };

struct policy {
	struct ab_policy ab;
	int gate;		/* -1: not set in the file */
	int min_runs;		/* 0: not set in the file */
};

#define DEFAULT_MIN_RUNS	3

struct thresholds {
	const char *path;
	struct policy def;
	struct policy metric[HR_MAX_METRICS];	/* by index into hr_metrics */
	int err_line;
	char err[256];
};

/* ---- thresholds file ---- */

static int parse_pct(const char *v, double *out)
{
	char *end;
	double x = strtod(v, &end);

	if (end == v)
		return -1;
	if (*end == '%') {
		x /= 100;
		end++;
	}
	if (*end || !(x >= 0))
		return -1;
	*out = x;
	return 0;
}

static int th_handler(void *user, const char *section, const char *name, const char *value)
{
	struct thresholds *t = user;
	struct policy *p;
	const struct hr_metric *m = NULL;
	char *end;

	if (t->err[0])
		return 1;
	if (!strcmp(section, "default")) {
		p = &t->def;
	} else if ((m = hr_metric_find(section))) {
		p = &t->metric[m - hr_metrics];
	} else {
		snprintf(t->err, sizeof(t->err), "[%s]: expected [default] or a metric name (a transitions.csv column such as mean_rate_mib_s, t100_ms)", section);
		return 0;
	}
	if (!strcmp(name, "alpha")) {
		double a = strtod(value, &end);

		if (*end || !(a > 0 && a < 1)) {
			snprintf(t->err, sizeof(t->err), "alpha: '%s', expected a number between 0 and 1", value);
			return 0;
		}
		p->ab.alpha = a;
	} else if (!strcmp(name, "min-change") || !strcmp(name, "max-ci")) {
		double x;

		if (parse_pct(value, &x) || x > 10) {
			snprintf(t->err, sizeof(t->err), "%s: '%s', expected a relative change such as 10%% or 0.1", name, value);
			return 0;
		}
		if (name[1] == 'i')
			p->ab.min_rel_change = x;
		else
			p->ab.max_ci_halfwidth = x;
	} else if (!strcmp(name, "min-n")) {
		long n = strtol(value, &end, 10);

		if (*end || n < 2 || n > 100000) {
			snprintf(t->err, sizeof(t->err), "min-n: '%s', expected an integer from 2 to 100000", value);
			return 0;
		}
		p->ab.min_n = (size_t)n;
	} else if (!strcmp(name, "min-runs")) {
		long n = strtol(value, &end, 10);

		if (*end || n < 1 || n > 100000) {
			snprintf(t->err, sizeof(t->err), "min-runs: '%s', expected an integer from 1 to 100000", value);
			return 0;
		}
		p->min_runs = (int)n;
	} else if (!strcmp(name, "gate")) {
		if (!strcmp(value, "yes") || !strcmp(value, "1") || !strcmp(value, "true"))
			p->gate = 1;
		else if (!strcmp(value, "no") || !strcmp(value, "0") || !strcmp(value, "false"))
			p->gate = 0;
		else {
			snprintf(t->err, sizeof(t->err), "gate: '%s', expected yes or no", value);
			return 0;
		}
	} else {
		snprintf(t->err, sizeof(t->err), "unknown key '%s': expected alpha, min-change, min-n, min-runs, max-ci or gate", name);
		return 0;
	}
	return 1;
}

/* inih reports the line of the first handler error; we keep our message. */
static int th_load(struct thresholds *t, const char *path)
{
	char *text;
	size_t len;
	int r;

	memset(t, 0, sizeof(*t));
	ab_policy_default(&t->def.ab);
	t->def.gate = -1;
	t->def.min_runs = DEFAULT_MIN_RUNS;
	for (size_t i = 0; i < sizeof(t->metric) / sizeof(t->metric[0]); i++) {
		t->metric[i].ab.alpha = NAN;
		t->metric[i].ab.min_rel_change = NAN;
		t->metric[i].ab.max_ci_halfwidth = NAN;
		t->metric[i].ab.min_n = 0;
		t->metric[i].gate = -1;
	}
	if (!path)
		return 0;
	t->path = path;
	if (hr_read_file(path, "thresholds", HR_MAX_SCENARIO, 0, &text, &len, NULL, 0))
		return -1;	/* a regular file of at most 1 MiB (core/readfile.h) */
	r = memchr(text, '\0', len) ? 1 : ini_parse_string(text, th_handler, t);
	free(text);
	if (r < 0) {
		hr_err("%s: cannot parse thresholds file (out of memory)", path);
		return -1;
	}
	if (r > 0) {
		hr_err("%s:%d: %s", path, r, t->err[0] ? t->err : "expected '[section]' or 'key = value'");
		return -1;
	}
	return 0;
}

/* The policy for metric @m: the file's metric section over its [default] over built-ins. */
static void th_policy(const struct thresholds *t, const struct hr_metric *m, struct ab_policy *out,
		      int *gate, int *min_runs)
{
	const struct policy *p = &t->metric[m - hr_metrics];

	*out = t->def.ab;
	out->noise = m->noise;
	out->absolute = m->absolute;
	*min_runs = p->min_runs ? p->min_runs : t->def.min_runs;
	if (!isnan(p->ab.alpha))
		out->alpha = p->ab.alpha;
	if (!isnan(p->ab.min_rel_change))
		out->min_rel_change = p->ab.min_rel_change;
	if (!isnan(p->ab.max_ci_halfwidth))
		out->max_ci_halfwidth = p->ab.max_ci_halfwidth;
	if (p->ab.min_n)
		out->min_n = p->ab.min_n;
	if (p->gate >= 0) {
		*gate = p->gate;
	} else if (t->def.gate >= 0) {
		*gate = t->def.gate;
	} else {
		*gate = 0;
		for (size_t i = 0; i < sizeof(default_gated) / sizeof(default_gated[0]); i++)
			if (!strcmp(default_gated[i], m->name))
				*gate = 1;
	}
}

/* ---- run sets ---- */

static int is_run_dir(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	return !rp_path(path, sizeof(path), dir, "run.json") && !stat(path, &st) &&
	       S_ISREG(st.st_mode);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The runs of a side: ARG itself, or its subdirectories that hold a run.json. */
static int side_find(struct side *s, const char *arg)
{
	char path[PATH_MAX];
	struct dirent **ents;
	struct stat st;
	int n, failed = 0;

	s->arg = arg;
	if (!rp_path(path, sizeof(path), arg, "run.json") && !stat(path, &st) &&
	    !S_ISREG(st.st_mode)) {
		hr_err("%s: %s, not a regular file: expected a JSON file", path,
		       hr_file_kind(st.st_mode));
		return -1;
	}
	if (is_run_dir(arg)) {
		s->runs[s->nruns++] = strdup(arg);
		return 0;
	}
	n = scandir(arg, &ents, NULL, by_name);
	if (n < 0) {
		hr_err("compare: %s: %s", arg, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		/* "latest" is a link to a run already in the list; after a failure, only free */
		if (!failed && ents[i]->d_name[0] != '.' &&
		    !rp_path(path, sizeof(path), arg, ents[i]->d_name) &&
		    !lstat(path, &st) && S_ISDIR(st.st_mode) && is_run_dir(path)) {
			if (s->nruns == MAX_RUNS) {
				hr_err("compare: %s: more than %d runs in it; name fewer", arg, MAX_RUNS);
				failed = 1;
			} else if (!(s->runs[s->nruns++] = strdup(path))) {
				hr_err("compare: out of memory");
				failed = 1;
			}
		}
		free(ents[i]);
	}
	free(ents);
	if (failed)
		return -1;
	if (!s->nruns) {
		hr_err("compare: %s: not a results directory, and no results directory in it (expected run.json)", arg);
		return -1;
	}
	return 0;
}

/*
 * FNV-1a of a scenario's meaning: its text without comments (lines starting
 * with ';' or '#', and ' ;' to the end of a line, as inih reads them), blank
 * lines and whitespace, so that editing a comment does not make a stored
 * baseline incomparable.
 */
unsigned long long rp_scenario_hash(const char *s)
{
	unsigned long long h = 1469598103934665603ull;

	while (*s) {
		const char *end = s + strcspn(s, "\n");
		const char *p = s;
		int any = 0;

		while (p < end && isspace((unsigned char)*p))
			p++;
		if (*p != ';' && *p != '#')
			for (; p < end; p++) {
				if (*p == ';' && p > s && isspace((unsigned char)p[-1]))
					break;	/* an inline comment */
				if (isspace((unsigned char)*p))
					continue;
				h = (h ^ (unsigned char)*p) * 1099511628211ull;
				any = 1;
			}
		if (any)
			h = (h ^ '\n') * 1099511628211ull;
		s = *end ? end + 1 : end;
	}
	return h;
}

/* Append @v to the comma list @buf if not there yet. */
static void add_unique(char *buf, size_t size, const char *v)
{
	char probe[300];
	size_t n = strlen(buf);

	snprintf(probe, sizeof(probe), ",%s,", v);
	if (n) {
		char tmp[2200];

		snprintf(tmp, sizeof(tmp), ",%s,", buf);
		if (strstr(tmp, probe))
			return;
	}
	snprintf(buf + n, size - n, "%s%s", n ? "," : "", v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the comma list @buf in place, so that two sides list the same things alike. */
static void sort_list(char *buf)
{
	char tmp[2048], *items[256], *save = NULL, *t;
	size_t n = 0, off = 0, cap = strlen(buf) + 1;	/* sorted, the list is as long */

	snprintf(tmp, sizeof(tmp), "%s", buf);
	for (t = strtok_r(tmp, ",", &save); t && n < 256; t = strtok_r(NULL, ",", &save))
		items[n++] = t;
	qsort(items, n, sizeof(items[0]), cmp_str);
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s%s", i ? "," : "", items[i]);
}

/* 1 if the sorted "name=hash" list @texts names one scenario file with two texts. */
static int texts_clash(const char *texts)
{
	const char *p = texts, *q;

	while ((q = strchr(p, ','))) {
		size_t n = strcspn(p, "=");

		if (!strncmp(p, q + 1, n + 1))
			return 1;
		p = q + 1;
	}
	return 0;
}

/* What must agree for two sides to be comparable, from each run's run.json. */
static int side_describe(struct side *s)
{
	for (int i = 0; i < s->nruns; i++) {
		char path[PATH_MAX], hash[128], g[256];
		const char *file;
		json_t *run, *vms, *v, *sc;
		size_t k;

		if (rp_path(path, sizeof(path), s->runs[i], "run.json"))
			return -1;
		run = rp_run_load(path);
		if (!run)
			return -1;
		sc = json_object_get(run, "scenario");
		file = json_string_value(json_object_get(sc, "file")) ?: "?";
		snprintf(s->scen[i], sizeof(s->scen[i]), "%s", strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
		snprintf(hash, sizeof(hash), "%s=%016llx", s->scen[i],
			 rp_scenario_hash(json_string_value(json_object_get(sc, "text")) ?: ""));
		add_unique(s->texts, sizeof(s->texts), hash);
		add_unique(s->overrides, sizeof(s->overrides),
			   json_string_value(json_object_get(sc, "overrides")) ?: "");
		vms = json_object_get(run, "vms");
		json_array_foreach(vms, k, v) {
			add_unique(s->accel, sizeof(s->accel),
				   json_string_value(json_object_get(v, "accel")) ?: "?");
			snprintf(g, sizeof(g), "%s/%s:%lldMiB", s->scen[i],
				 json_string_value(json_object_get(v, "job")) ?: "?",
				 (long long)json_integer_value(json_object_get(v, "memory_mib")));
			add_unique(s->guests, sizeof(s->guests), g);
			rp_host_group(run, json_string_value(json_object_get(v, "name")) ?: "", g,
				      sizeof(g));
			if (g[0])
				add_unique(s->hosts, sizeof(s->hosts), g);
		}
		json_decref(run);
	}
	sort_list(s->accel);
	sort_list(s->texts);
	sort_list(s->guests);
	sort_list(s->hosts);
	return 0;
}

/* ---- values ---- */

static struct key *key_get(struct cmp *c, const char *scen, const char *job, const char *label,
			   const char *dir, const struct hr_metric *m)
{
	for (size_t i = 0; i < c->nkeys; i++) {
		struct key *k = &c->keys[i];

		if (k->m == m && !strcmp(k->job, job) && !strcmp(k->label, label) &&
		    !strcmp(k->dir, dir) && !strcmp(k->scen, scen))
			return k;
	}
	if (c->nkeys == MAX_KEYS)
		return NULL;
	struct key *k = &c->keys[c->nkeys++];

	memset(k, 0, sizeof(*k));
	snprintf(k->scen, sizeof(k->scen), "%s", scen);
	snprintf(k->job, sizeof(k->job), "%s", job);
	snprintf(k->label, sizeof(k->label), "%s", label);
	snprintf(k->dir, sizeof(k->dir), "%s", dir);
	k->m = m;
	return k;
}

/* @run: which run and repetition @v comes from (> 0) */
static int key_add(struct key *k, int side, long run, double v)
{
	if (k->last_run[side] != run) {
		k->last_run[side] = run;
		k->runs[side]++;
	}
	if (k->n[side] == k->cap[side]) {
		size_t cap = k->cap[side] ? 2 * k->cap[side] : 16;
		double *nv = realloc(k->v[side], cap * sizeof(double));

		if (!nv)
			return -1;
		k->v[side] = nv;
		k->cap[side] = cap;
	}
	k->v[side][k->n[side]++] = v;
	return 0;
}

/* The rows of one transitions.csv (run @i of @side; @run its run.json) into the keys. */
static int read_run(struct cmp *c, int side, int i, json_t *run)
{
	char path[PATH_MAX];
	struct rp_csv f;
	int cj, cl, cd, cw, cr, cv, cm[64], r;

	if (rp_path(path, sizeof(path), c->side[side].runs[i], "transitions.csv"))
		return -1;
	r = rp_csv_open(&f, path);
	if (r == -ENOENT)
		return 0;	/* a run that recorded no transition: nothing to add */
	if (r)
		return -1;
	cj = rp_csv_col(&f, "job");
	cl = rp_csv_col(&f, "label");
	cd = rp_csv_col(&f, "direction");
	cw = rp_csv_col(&f, "warmup");
	cr = rp_csv_col(&f, "rep");
	cv = rp_csv_col(&f, "vm");
	if (cj < 0 || cd < 0) {
		hr_err("%s:1: expected columns job and direction", path);
		rp_csv_close(&f);
		return -1;
	}
	for (size_t m = 0; m < hr_nmetrics; m++)
		cm[m] = rp_csv_col(&f, hr_metrics[m].name);
	while ((r = rp_csv_next(&f)) > 0) {
		double rep, warm;
		char job[64], grp[64];
		long nrun;

		/* a repetition is below 100000 (repeat <= 1000): anything else is not one */
		if (rp_csv_get(&f, cr, 0, 99999, &rep) || rp_csv_get(&f, cw, 0, 1, &warm) || warm == 1 ||
		    !rp_guest_counts(run, cv < 0 ? "" : rp_csv_str(&f, cv)))
			continue;	/* out of range, warm-up, or a guest that failed */
		nrun = (long)i * 100000 + (isnan(rep) ? 0 : (long)rep) + 1;
		/* over several hosts, JOB@GROUP: like is compared with like (byhost.c) */
		rp_host_group(run, cv < 0 ? "" : rp_csv_str(&f, cv), grp, sizeof(grp));
		(void)hr_fmt(job, sizeof(job), "%s%s%s", rp_csv_str(&f, cj), grp[0] ? "@" : "", grp);
		for (size_t m = 0; m < hr_nmetrics; m++) {
			double v = rp_csv_num(&f, cm[m]);
			struct key *k;

			if (isnan(v))
				continue;
			k = key_get(c, c->side[side].scen[i], job, rp_csv_str(&f, cl),
				    rp_csv_str(&f, cd), &hr_metrics[m]);
			if (!k || key_add(k, side, nrun, v)) {
				hr_err("compare: too many metrics or out of memory");
				rp_csv_close(&f);
				return -1;
			}
		}
	}
	rp_csv_close(&f);
	return r < 0 ? -1 : 0;
}

static int read_side(struct cmp *c, int side)
{
	for (int i = 0; i < c->side[side].nruns; i++) {
		char path[PATH_MAX];
		json_t *run;
		int r;

		if (rp_path(path, sizeof(path), c->side[side].runs[i], "run.json") ||
		    !(run = rp_run_load(path)))
			return -1;
		r = read_run(c, side, i, run);
		json_decref(run);
		if (r)
			return -1;
	}
	return 0;
}

/* ---- output ---- */

void rp_cmp_csv(FILE *f, const struct row *rows, size_t n)
{
	fprintf(f, "schema,scenario,job,label,direction,metric,unit,better,gated,n_base,n_cand,median_base,"
		   "median_cand,rel_change,ci_lo,ci_hi,abs_change,abs_ci_lo,abs_ci_hi,u,p_value,exact,"
		   "verdict,reason\n");
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		const struct ab_result *r = &w->r;

		fprintf(f, "1,%s,%s,\"%s\",%s,%s,%s,%s,%d,%zu,%zu,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,"
			   "%.6g,%.6g,%d,%s,\"%s\"\n",
			w->k->scen, w->k->job, w->k->label, w->k->dir, w->k->m->name, w->k->m->unit,
			w->k->m->higher_better ? "higher" : "lower", w->gate, w->k->n[0], w->k->n[1],
			r->median_a, r->median_b, r->rel_change, r->ci_lo, r->ci_hi, r->abs_change,
			r->abs_ci_lo, r->abs_ci_hi, r->u, r->p_value, r->exact, ab_verdict_name(w->v),
			w->why);
	}
}

/* TAP: a gated metric passes unless it regressed or is inconclusive; an ungated one is a TODO. */
static void tap_out(FILE *f, const struct row *rows, size_t n)
{
	fprintf(f, "TAP version 13\n1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		int bad = w->v == AB_REGRESSION || w->v == AB_INCONCLUSIVE;

		fprintf(f, "%sok %zu - %s %s%s%s %s %s: %s (%s)%s\n", bad ? "not " : "", i + 1, w->k->scen,
			w->k->job,
			w->k->label[0] ? " " : "", w->k->label, w->k->dir, w->k->m->name,
			ab_verdict_name(w->v), w->why, w->gate ? "" : " # TODO not gated, reported only");
	}
}

/* JSON number, or null for what is not one (jansson refuses NaN) */
static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/*
 * compare.html's data (#bb-data, read by reports/compare.js): schema 1,
 * {schema, metrics: [{title, unit, higher_better, gated, verdict, change,
 * ci_lo, ci_hi (relative: null where the baseline is within noise of 0),
 * abs_change, abs_ci_lo, abs_ci_hi, p_value, base: [values], cand:
 * [values]}]}, one per table row that has values on both sides, in the
 * table's order.
 */
static char *html_data(const struct row *rows, size_t n)
{
	json_t *ms = json_array(), *root;
	char *text;

	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		char title[400];
		json_t *side[2];

		if (!w->k->n[0] || !w->k->n[1])
			continue;
		for (int s = 0; s < 2; s++) {
			side[s] = json_array();
			for (size_t j = 0; j < w->k->n[s]; j++)
				json_array_append_new(side[s], jnum(w->k->v[s][j]));
		}
		snprintf(title, sizeof(title), "%s: %s%s%s %s %s", w->k->scen, w->k->job,
			 w->k->label[0] ? " " : "", w->k->label, w->k->dir, w->k->m->name);
		json_array_append_new(ms, json_pack("{s:s, s:s, s:b, s:b, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			"title", title, "unit", w->k->m->unit, "higher_better", w->k->m->higher_better,
			"gated", w->gate, "verdict", ab_verdict_name(w->v), "change", jnum(w->r.rel_change),
			"ci_lo", jnum(w->r.ci_lo), "ci_hi", jnum(w->r.ci_hi), "abs_change",
			jnum(w->r.abs_change), "abs_ci_lo", jnum(w->r.abs_ci_lo), "abs_ci_hi",
			jnum(w->r.abs_ci_hi), "p_value", jnum(w->r.p_value), "base", side[0], "cand", side[1]));
	}
	root = json_pack("{s:i, s:o}", "schema", 1, "metrics", ms);
	text = root ? json_dumps(root, JSON_COMPACT | JSON_ESCAPE_SLASH | JSON_REAL_PRECISION(8)) : NULL;
	json_decref(root);
	return text;
}

/*
 * compare.html: the verdicts, with each change and its CI drawn on a
 * -100 % .. +100 % bar (works without JavaScript), then compare.js draws
 * each metric's two distributions (empirical CDFs) with uPlot.
 */
static int html_out(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		    const char *mismatch)
{
	static const char *const vcol[] = { "#5b6475", "#1e7b34", "#b3261e", "#b07a00" };
	char *data = html_data(rows, n);
	int bad;

	if (!data)
		return -1;
	bad = rp_page_head(f, "balloonbench compare",
		".bar{position:relative;width:120px;height:14px;background:#f5f7fa;border:1px solid #d8dce3}"
		".bar .z{position:absolute;left:50%;top:0;bottom:0;border-left:1px solid #888}"
		".bar .ci{position:absolute;top:3px;height:6px;opacity:.45}"
		".bar .pt{position:absolute;top:0;width:3px;height:12px}"
		".grid{display:flex;flex-wrap:wrap;gap:0 16px}"
		/* the verdicts fit the page: headings, jobs, CIs and reasons wrap (the why column was cut off at 1300 px) */
		"#verdicts table{width:100%}#verdicts th{white-space:normal;vertical-align:bottom}"
		"#verdicts td.wrap{white-space:normal;overflow-wrap:anywhere;min-width:6em}"
		"#verdicts td.why{white-space:normal;overflow-wrap:anywhere;min-width:14em;font-size:11.5px}\n");
	fputs("<main id=\"app\">\n", f);
	fputs("<h1>balloonbench compare</h1>\n<p class=\"sub\">baseline <b>", f);
	rp_escape_markup(f, c->side[0].arg);
	fprintf(f, "</b> (%d run(s)) against candidate <b>", c->side[0].nruns);
	rp_escape_markup(f, c->side[1].arg);
	fprintf(f, "</b> (%d run(s)); balloonbench %s</p>\n", c->side[1].nruns, BB_VERSION);
	fprintf(f, "<div class=\"banner %s\">%s</div>\n", status ? "bad" : "ok",
		status == 0 ? "No regression: every gated metric unchanged or better" :
		status == 1 ? "REGRESSION in a gated metric" :
			      "INCONCLUSIVE or not comparable: see below");
	if (mismatch[0]) {
		fputs("<div class=\"banner bad\">", f);
		rp_escape_markup(f, mismatch);
		fputs("</div>\n", f);
	}
	fputs("<p class=\"muted\">Per metric: medians of every transition (warm-up runs left out), the "
	      "relative change of the median with its 95 % bootstrap CI (bar: -100 % .. +100 %, clipped "
	      "at the ends; mark: the change), or the absolute change in the metric's unit where the "
	      "baseline is within noise of 0, the Mann-Whitney U p-value, and the verdict. Gated metrics "
	      "(bold) decide the outcome; the others are shown for information.</p>\n"
	      "<div class=\"scroll fit\" id=\"verdicts\" style=\"max-height:none\"><table><thead><tr><th class=s>job</th>"
	      "<th class=s>dir</th><th class=s>metric</th><th title=\"values: baseline/candidate\">n</th><th>median base</th>"
	      "<th>median cand</th><th>change</th><th>95% CI</th><th class=s>verdict</th>"
	      "<th class=s>change and CI</th><th>p</th><th class=s>why</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		const struct ab_result *r = &w->r;
		char a[32], cl[32], ch[32];	/* "+1.23e+03 MiB/s" at most */
		double lo = fmax(-1, fmin(1, r->ci_lo)), hi = fmax(-1, fmin(1, r->ci_hi));
		double pt = fmax(-1, fmin(1, r->rel_change));

		fprintf(f, "<tr%s><td class=\"s wrap\">", w->gate ? "" : " style=\"opacity:.75\"");
		rp_escape_markup(f, w->k->scen);
		fputs(": ", f);
		rp_escape_markup(f, w->k->job);
		if (w->k->label[0]) {
			fputs(" [", f);
			rp_escape_markup(f, w->k->label);
			fputs("]", f);
		}
		fprintf(f, "</td><td class=s>%s</td><td class=s title=\"%s, %s is better\">%s%s%s</td>"
			   "<td>%zu/%zu</td>", w->k->dir, w->k->m->unit,
			w->k->m->higher_better ? "higher" : "lower", w->gate ? "<b>" : "", w->k->m->name,
			w->gate ? "</b>" : "", w->k->n[0], w->k->n[1]);
		if (isnan(r->median_a) || isnan(r->median_b))
			fputs("<td>-</td><td>-</td>", f);
		else
			fprintf(f, "<td>%.4g</td><td>%.4g</td>", r->median_a, r->median_b);
		fprintf(f, "<td>%s</td><td class=wrap>[%s, %s]</td><td class=s style=\"color:%s;font-weight:600\">%s</td>"
			   "<td class=s>", rp_cmp_change(w, 0, a, sizeof(a)), rp_cmp_change(w, 1, cl, sizeof(cl)),
			rp_cmp_change(w, 2, ch, sizeof(ch)), vcol[w->v], ab_verdict_name(w->v));
		if (!isnan(r->rel_change))
			fprintf(f, "<div class=bar><div class=z></div><div class=ci style=\"left:%.1f%%;"
				   "width:%.1f%%;background:%s\"></div><div class=pt style=\"left:calc(%.1f%% - 1px);"
				   "background:%s\"></div></div>",
				(lo + 1) * 50, fmax(0.5, (hi - lo) * 50), vcol[w->v], (pt + 1) * 50, vcol[w->v]);
		fputs("</td><td>", f);
		if (isnan(r->p_value))
			fputs("-", f);
		else
			fprintf(f, "%.2g", r->p_value);
		fputs("</td><td class=\"s why\">", f);
		rp_escape_markup(f, w->why);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></div>\n<section id=\"dist\"></section>\n<h2>Runs</h2>\n<ul>\n", f);
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < c->side[s].nruns; i++) {
			fprintf(f, "<li>%s: ", s ? "candidate" : "baseline");
			rp_escape_markup(f, c->side[s].runs[i]);
			fputs("</li>\n", f);
		}
	fputs("</ul>\n</main>\n", f);
	bad |= rp_page_tail(f, data, rp_compare_js, rp_compare_js_end);
	free(data);
	return bad;
}

static int write_file(const char *dir, const char *name, const struct cmp *c, const struct row *rows,
		      size_t n, int status, const char *mismatch)
{
	char path[PATH_MAX];
	FILE *f;

	if (rp_path(path, sizeof(path), dir, name))
		return -1;
	f = fopen(path, "we");
	if (!f) {
		hr_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	if (!strcmp(name, "compare.csv"))
		rp_cmp_csv(f, rows, n);
	else if (!strcmp(name, "compare.tap"))
		tap_out(f, rows, n);
	else if (!strcmp(name, "compare.junit.xml") ? rp_cmp_junit(f, c, rows, n, status, mismatch) :
		 !strcmp(name, "compare.md") ? rp_cmp_markdown(f, c, rows, n, status, mismatch) :
		 html_out(f, c, rows, n, status, mismatch)) {
		fclose(f);
		hr_err("cannot write %s", path);
		return -1;
	}
	if (fclose(f)) {
		hr_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void rp_compare_usage(FILE *f)
{
	fprintf(f,
		"usage: balloonbench compare [OPTIONS] BASELINE CANDIDATE\n"
		"\n"
		"Compare two run sets metric by metric: the change of the median with a 95 %%\n"
		"bootstrap confidence interval, a Mann-Whitney U test, and a verdict per metric:\n"
		"regression, improvement, no-change or inconclusive (too few runs or values, too\n"
		"noisy). Compare sets of runs: fewer than min-runs (3) a side is inconclusive.\n"
		"BASELINE and CANDIDATE are each a results directory or a directory of them.\n"
		"\n"
		"options:\n"
		"  -t, --thresholds FILE  per-metric alpha, min-change, min-n, min-runs, max-ci, gate\n"
		"                         (INI: [default] and [METRIC] sections; see ci/thresholds.ini)\n"
		"  -o, --output DIR       where compare.csv, compare.tap, compare.html,\n"
		"                         compare.junit.xml (JUnit XML: a testcase per gated\n"
		"                         metric) and compare.md (Markdown, for a pull request\n"
		"                         or $GITHUB_STEP_SUMMARY) go, made if it is not\n"
		"                         there (default: CANDIDATE)\n"
		"      --tap              print TAP (one test per metric) instead of the table\n"
		"      --output-format LIST  normal (the table), json (every verdict with its\n"
		"                         statistics, schema in report/cmpout.c), csv (compare.csv),\n"
		"                         several comma-separated; default normal\n"
		"      --output-file FILE where json and csv go (default: stdout)\n"
		"      --allow-mismatch   compare even if accel, guest sizes or the scenario differ\n"
		"                         (warned, and the exit status is the verdicts')\n"
		"      --seed N           bootstrap seed (default 1): same input, same output\n"
		"  -q, --quiet            print nothing but errors\n"
		"  -h, --help             this text\n"
		"\n"
		"gated by default: mean_rate_mib_s, t100_ms, wl_p99_us; defaults alpha 0.05,\n"
		"min-change 10%%, min-n 5, max-ci 20%%, min-runs 3.\n"
		"exit status: 0 no regression and every gated metric conclusive, 1 a gated\n"
		"             metric regressed, 2 bad input, runs not comparable, or a gated\n"
		"             metric inconclusive\n");
}

/* What the command line asked for. */
struct cmp_args {
	const char *thpath, *out, *outfile;
	unsigned long long seed;
	unsigned fmts;		/* RP_FMT_* */
	int tap, allow, quiet;
};

/* Options into @a. Returns 0, 1 after --help (exit 0), or -1 (said; exit 2). */
static int parse_args(int argc, char **argv, struct cmp_args *a)
{
	static const struct option lo[] = {
		{ "thresholds", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "tap", no_argument, NULL, 'T' },
		{ "allow-mismatch", no_argument, NULL, 'M' },
		{ "seed", required_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "output-format", required_argument, NULL, 'F' },
		{ "output-file", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	int c;

	memset(a, 0, sizeof(*a));
	a->seed = 1;
	a->fmts = RP_FMT_NORMAL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+t:o:qh", lo, NULL)) != -1) {
		switch (c) {
		case 't': a->thpath = optarg; break;
		case 'o': a->out = optarg; break;
		case 'T': a->tap = 1; break;
		case 'M': a->allow = 1; break;
		case 'S':
			a->seed = strtoull(optarg, &end, 10);
			if (*end || !*optarg) {
				hr_err("--seed: '%s', expected a non-negative integer", optarg);
				return -1;
			}
			break;
		case 'q': a->quiet = 1; break;
		case 'F':
			if (rp_formats_parse(optarg, &a->fmts))
				return -1;
			break;
		case 'O': a->outfile = optarg; break;
		case 'h': rp_compare_usage(stdout); return 1;
		default:
			fprintf(stderr, "balloonbench: see 'balloonbench compare --help'\n");
			return -1;
		}
	}
	if (argc - optind != 2) {
		hr_err("compare: expected BASELINE and CANDIDATE (see 'balloonbench compare --help')");
		return -1;
	}
	return 0;
}

/* Append to the message in @buf, "; " between parts; one cut short ends in "...". */
static void __attribute__((format(printf, 3, 4))) append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;	/* full: it already ends in "..." */
	if (len)
		snprintf(buf + len, size - len, "; ");
	len = strlen(buf);
	va_start(ap, fmt);
	(void)hr_vfmt(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/*
 * Accel, guest sizes and scenario text must agree, within and between sides:
 * what does not into @mismatch. Returns 0, or -1 (said) if they disagree and
 * --allow-mismatch was not given.
 */
static int check_comparable(const struct cmp *cmp, const struct cmp_args *a, char *mismatch,
			    size_t size)
{
	static const char *const what[] = { "accel", "guest sizes", "scenario text", "host labels" };
	const struct side *A = &cmp->side[0], *B = &cmp->side[1];
	const char *va[] = { A->accel, A->guests, A->texts, A->hosts[0] ? A->hosts : "(one host)" };
	const char *vb[] = { B->accel, B->guests, B->texts, B->hosts[0] ? B->hosts : "(one host)" };

	mismatch[0] = '\0';
	for (int i = 0; i < 4; i++) {
		if (i == 2 && (texts_clash(va[i]) || texts_clash(vb[i])))
			append(mismatch, size, "the runs of a side ran different texts of one scenario file");
		else if (strcmp(va[i], vb[i]) && i == 2)
			append(mismatch, size,
			       "the scenario text is not the same (comments and blank space aside)");
		else if (strcmp(va[i], vb[i]))
			append(mismatch, size, "%s: baseline %s, candidate %s", what[i], va[i], vb[i]);
		else if (i == 0 && strchr(va[i], ','))
			append(mismatch, size, "the runs of each side differ in accel (%s)", va[i]);
	}
	if (mismatch[0] && !a->allow) {
		hr_err("compare: not comparable: %s (--allow-mismatch to compare anyway)", mismatch);
		return -1;
	}
	if (mismatch[0])
		hr_warn("comparing runs that are not comparable (--allow-mismatch): %s", mismatch);
	if (strcmp(A->overrides, B->overrides) && !a->quiet)
		fprintf(stderr, "note: runs made with different --set: baseline '%s', candidate '%s'\n",
			A->overrides, B->overrides);
	return 0;
}

/* Set @w->why; a reason cut short ends in "...". */
static void __attribute__((format(printf, 2, 3))) set_why(struct row *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)hr_vfmt(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
}

/* The verdict on key @k into @w: compared, judged, and inconclusive on too few runs. */
static void judge(const struct key *k, const struct thresholds *th, unsigned long long seed,
		  struct row *w)
{
	struct ab_policy p;
	int min_runs;

	w->k = k;
	th_policy(th, k->m, &p, &w->gate, &min_runs);
	if (!k->n[0] || !k->n[1]) {
		memset(&w->r, 0, sizeof(w->r));
		w->r.na = k->n[0];
		w->r.nb = k->n[1];
		w->r.median_a = w->r.median_b = w->r.rel_change = w->r.ci_lo = w->r.ci_hi = NAN;
		w->r.abs_change = w->r.abs_ci_lo = w->r.abs_ci_hi = w->r.u = w->r.p_value = NAN;
		w->v = AB_INCONCLUSIVE;
		set_why(w, "no values in the %s", k->n[0] ? "candidate" : "baseline");
	} else if (ab_compare(k->v[0], k->n[0], k->v[1], k->n[1], seed, &w->r)) {
		w->v = AB_INCONCLUSIVE;
		set_why(w, "cannot compare: %s", strerror(errno));
	} else {
		w->v = ab_judge(&w->r, k->m->higher_better, &p, w->why, sizeof(w->why));
		/* a baseline within noise of 0 has no relative change: the absolute one is shown */
		if (ab_near_zero(&w->r, &p))
			w->r.rel_change = w->r.ci_lo = w->r.ci_hi = NAN;
		/*
		 * Transitions of one run share its guest and its minute of the
		 * host: too few runs are too few repetitions, however many
		 * values they hold.
		 */
		if (k->runs[0] < min_runs || k->runs[1] < min_runs) {
			char was[sizeof(w->why)];

			memcpy(was, w->why, sizeof(was));
			set_why(w, "%d vs %d run(s): fewer than min-runs %d (alone: %s, %s)",
				k->runs[0], k->runs[1], min_runs, ab_verdict_name(w->v), was);
			w->v = AB_INCONCLUSIVE;
		}
	}
}

/* The table on stdout: one line per row, then the outcome. */
static void print_rows(const struct row *rows, size_t n, int status, int nreg, int ninc,
		       const char *out)
{
	printf("%-24s %-8s %-22s %9s %10s %10s %11s %26s %8s  %s\n", "scenario:job", "dir", "metric",
	       "n b/c", "median b", "median c", "change", "95% CI", "p", "verdict");
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		char nn[48], ch[32], cl[32], chi[32], ci[72], ma[16] = "-", mb[16] = "-", p[16] = "-";
		char job[sizeof(w->k->scen) + sizeof(w->k->job)];	/* fits "scen:job" */

		snprintf(nn, sizeof(nn), "%zu/%zu", w->k->n[0], w->k->n[1]);
		snprintf(ci, sizeof(ci), "[%s, %s]", rp_cmp_change(w, 1, cl, sizeof(cl)),
			 rp_cmp_change(w, 2, chi, sizeof(chi)));
		if (!isnan(w->r.median_a))
			snprintf(ma, sizeof(ma), "%.4g", w->r.median_a);
		if (!isnan(w->r.median_b))
			snprintf(mb, sizeof(mb), "%.4g", w->r.median_b);
		if (!isnan(w->r.p_value))
			snprintf(p, sizeof(p), "%.2g", w->r.p_value);
		snprintf(job, sizeof(job), "%s:%s", w->k->scen, w->k->job);
		printf("%-24.24s %-8s %-22s %9s %10s %10s %11s %26s %8s  %s%s\n", job,
		       w->k->dir, w->k->m->name, nn, ma, mb, rp_cmp_change(w, 0, ch, sizeof(ch)), ci,
		       p, ab_verdict_name(w->v), w->gate ? " *" : "");
	}
	printf("* gated. %s: %d gated regression(s), %d gated inconclusive; %s/compare.html\n",
	       status == 0 ? "PASS" : status == 1 ? "REGRESSION" : "INCONCLUSIVE", nreg, ninc, out);
}

static void cmp_free(struct cmp *cmp)
{
	for (size_t i = 0; cmp->keys && i < cmp->nkeys; i++) {
		free(cmp->keys[i].v[0]);
		free(cmp->keys[i].v[1]);
	}
	free(cmp->keys);
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < cmp->side[s].nruns; i++)
			free(cmp->side[s].runs[i]);
}

/* What compare writes into its output directory, every time. */
static const char *const cmp_files[] = { "compare.csv", "compare.tap", "compare.html",
					 "compare.junit.xml", "compare.md" };

int hr_compare_main(int argc, char **argv)
{
	struct cmp_args a;
	struct thresholds th;
	struct cmp cmp = { 0 };
	struct row *rows = NULL;
	char mismatch[2048] = "";
	int status, ret = 2, nreg = 0, ninc = 0, e;
	size_t n = 0;
	FILE *out = NULL;

	status = parse_args(argc, argv, &a);
	if (status)
		return status > 0 ? 0 : 2;
	if (th_load(&th, a.thpath))
		return 2;
	if ((a.fmts & ~RP_FMT_NORMAL) && !(out = rp_output_open(a.outfile)))
		return 2;
	cmp.keys = calloc(MAX_KEYS, sizeof(*cmp.keys));
	if (!cmp.keys || side_find(&cmp.side[0], argv[optind]) ||
	    side_find(&cmp.side[1], argv[optind + 1]) || side_describe(&cmp.side[0]) ||
	    side_describe(&cmp.side[1]) || check_comparable(&cmp, &a, mismatch, sizeof(mismatch)) ||
	    read_side(&cmp, 0) || read_side(&cmp, 1))
		goto out;
	rows = calloc(cmp.nkeys + 1, sizeof(*rows));
	if (!rows)
		goto out;
	for (size_t i = 0; i < cmp.nkeys; i++) {
		if (!cmp.keys[i].n[0] && !cmp.keys[i].n[1])
			continue;
		judge(&cmp.keys[i], &th, a.seed, &rows[n]);
		nreg += rows[n].gate && rows[n].v == AB_REGRESSION;
		ninc += rows[n].gate && rows[n].v == AB_INCONCLUSIVE;
		n++;
	}
	status = nreg ? 1 : ninc ? 2 : 0;	/* a mismatch got here only with --allow-mismatch */
	if (!a.out) {
		a.out = cmp.side[1].arg;
	} else if ((e = hr_dirs_make(a.out))) {
		hr_err("compare: --output %s: cannot make the directory: %s", a.out, strerror(-e));
		goto out;
	}
	for (size_t i = 0; i < sizeof(cmp_files) / sizeof(cmp_files[0]); i++)
		if (write_file(a.out, cmp_files[i], &cmp, rows, n, status, mismatch))
			goto out;
	if (a.tap)
		tap_out(stdout, rows, n);
	else if (!a.quiet && (a.fmts & RP_FMT_NORMAL))
		print_rows(rows, n, status, nreg, ninc, a.out);
	if ((a.fmts & RP_FMT_JSON) && rp_cmp_json(out, &cmp, rows, n, status, mismatch))
		goto out;
	if (a.fmts & RP_FMT_CSV)
		rp_cmp_csv(out, rows, n);
	ret = status;
out:
	if (out && rp_output_close(out, a.outfile))
		ret = 2;
	cmp_free(&cmp);
	free(rows);
	return ret;
}

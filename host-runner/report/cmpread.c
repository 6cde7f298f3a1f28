// SPDX-License-Identifier: MIT
/*
 * cmpread.c - `balloonbench compare`'s reading: the runs of each side (a
 * results directory or a directory of them), what must agree between the
 * sides (from each run.json), and the values of every run's
 * transitions.csv into the compared series (warm-up runs and failed guests
 * left out), and of its scores.csv (a job's scores, direction "job"). See
 * compare.c for the command.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "core/log.h"
#include "core/readfile.h"
#include "compare.h"
#include "report.h"

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
int rp_cmp_side_find(struct side *s, const char *arg)
{
	char path[PATH_MAX];
	struct dirent **ents;
	struct stat st;
	int n, failed = 0;

	s->arg = arg;
	if (!rp_path(path, sizeof(path), arg, "run.json") && !stat(path, &st) &&
	    !S_ISREG(st.st_mode)) {
		return hr_error("%s: %s, not a regular file: expected a JSON file", path,
		       hr_file_kind(st.st_mode));
	}
	if (is_run_dir(arg)) {
		s->runs[s->nruns++] = strdup(arg);
		return 0;
	}
	n = scandir(arg, &ents, NULL, by_name);
	if (n < 0) {
		return hr_error("compare: %s: %s", arg, strerror(errno));
	}
	for (int i = 0; i < n; i++) {
		/* "latest" is a link to a run already in the list; after a failure, only free */
		if (!failed && ents[i]->d_name[0] != '.' &&
		    !rp_path(path, sizeof(path), arg, ents[i]->d_name) &&
		    !lstat(path, &st) && S_ISDIR(st.st_mode) && is_run_dir(path)) {
			if (s->nruns == MAX_RUNS) {
				hr_error("compare: %s: more than %d runs in it; name fewer", arg, MAX_RUNS);
				failed = 1;
			} else if (!(s->runs[s->nruns++] = strdup(path))) {
				hr_error("compare: out of memory");
				failed = 1;
			}
		}
		free(ents[i]);
	}
	free(ents);
	if (failed)
		return -1;
	if (!s->nruns) {
		return hr_error("compare: %s: not a results directory, and no results directory in it (expected run.json)", arg);
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
int rp_cmp_texts_clash(const char *texts)
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
int rp_cmp_side_describe(struct side *s)
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
	int cj, cl, cd, cw, cr, cv, cm[HR_MAX_METRICS], r;

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
		hr_error("%s:1: expected columns job and direction", path);
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
				hr_error("compare: too many metrics or out of memory");
				rp_csv_close(&f);
				return -1;
			}
		}
	}
	rp_csv_close(&f);
	return r < 0 ? -1 : 0;
}

/*
 * The scores of one run's scores.csv (its rows of vm "all": a job
 * repetition's guests together) into the keys, as direction "job"; a run
 * without the file (one from before it) adds nothing.
 */
static int read_scores(struct cmp *c, int side, int i)
{
	char path[PATH_MAX];
	struct rp_csv f;
	int cj, cl, cv, cr, cm[HR_MAX_METRICS], r;

	if (rp_path(path, sizeof(path), c->side[side].runs[i], "scores.csv"))
		return -1;
	r = rp_csv_open(&f, path);
	if (r == -ENOENT)
		return 0;
	if (r)
		return -1;
	cj = rp_csv_col(&f, "job");
	cl = rp_csv_col(&f, "label");
	cv = rp_csv_col(&f, "vm");
	cr = rp_csv_col(&f, "rep");
	for (size_t m = 0; m < hr_nmetrics; m++)
		cm[m] = hr_metrics[m].score ? rp_csv_col(&f, hr_metrics[m].name) : -1;
	while ((r = rp_csv_next(&f)) > 0) {
		double rep;

		if (strcmp(rp_csv_str(&f, cv), "all") || rp_csv_get(&f, cr, 0, 99999, &rep))
			continue;
		for (size_t m = 0; m < hr_nmetrics; m++) {
			double v = cm[m] < 0 ? NAN : rp_csv_num(&f, cm[m]);
			struct key *k;

			if (isnan(v))
				continue;
			k = key_get(c, c->side[side].scen[i], rp_csv_str(&f, cj), rp_csv_str(&f, cl), "job",
				    &hr_metrics[m]);
			if (!k || key_add(k, side, (long)i * 100000 + (isnan(rep) ? 0 : (long)rep) + 1, v)) {
				hr_error("compare: too many metrics or out of memory");
				rp_csv_close(&f);
				return -1;
			}
		}
	}
	rp_csv_close(&f);
	return r < 0 ? -1 : 0;
}

int rp_cmp_read_side(struct cmp *c, int side)
{
	for (int i = 0; i < c->side[side].nruns; i++) {
		char path[PATH_MAX];
		json_t *run;
		int r;

		if (rp_path(path, sizeof(path), c->side[side].runs[i], "run.json") ||
		    !(run = rp_run_load(path)))
			return -1;
		r = read_run(c, side, i, run);
		if (!r)
			r = read_scores(c, side, i);
		json_decref(run);
		if (r)
			return -1;
	}
	return 0;
}

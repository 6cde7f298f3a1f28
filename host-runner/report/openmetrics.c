// SPDX-License-Identifier: MIT
/*
 * openmetrics.c - metrics.prom: a run's summary statistics as OpenMetrics
 * text (1.0.0), written by `report` (and so by every run) beside
 * summary.csv, for Prometheus (node_exporter's textfile collector reads
 * *.prom files) and any store that reads the format.
 *
 * Conventions (prometheus.io "Metric and label naming"): every name starts
 * balloonbench_; base units, named last: milliseconds and microseconds
 * become _seconds, MiB _bytes, MiB/s _bytes_per_second; counts have no
 * unit. Every family is a gauge (a run's figures are not counters) with
 * # TYPE, # UNIT (where it has one) and # HELP; the file ends with # EOF.
 * Gauges only, without timestamps, so the same file is valid Prometheus
 * text format 0.0.4 too (there # UNIT and # EOF are comments).
 *
 * Families:
 *   balloonbench_run_complete{run_id,scenario,status,accel,version}  1 complete, 0 not
 *   balloonbench_run_start_time_seconds{run_id,scenario}             Unix time
 *   balloonbench_run_transitions{run_id,scenario}                    transitions recorded
 *   balloonbench_METRIC_UNIT{run_id,scenario,job,label,vm,direction,stat}
 *       one per summary.csv metric (control_latency_ms ->
 *       balloonbench_control_latency_seconds, ...); stat is median, mean,
 *       stddev, min, max, ci_lower, ci_upper (the 95 % CI of the median)
 *   balloonbench_metric_values{run_id,scenario,job,label,vm,direction,metric}
 *       n: the transitions each statistic is over
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "core/version.h"
#include "report.h"

/* A metric's unit in the file: its Prometheus base unit and the factor to it. */
static const struct {
	const char *unit, *suffix, *om_unit;
	double factor;
} units[] = {
	{ "ms", "_ms", "seconds", 1e-3 },
	{ "us", "_us", "seconds", 1e-6 },
	{ "MiB/s", "_mib_s", "bytes_per_second", 1048576.0 },
	{ "MiB", "_mib", "bytes", 1048576.0 },
	{ "count", "", "", 1.0 },
};

static const char *const stats[] = { "median", "mean", "stddev", "min", "max", "ci_lo", "ci_hi" };
static const char *const stat_names[] = { "median", "mean", "stddev", "min", "max", "ci_lower",
					  "ci_upper" };

/* A label value, escaped as the format says (\\, \", \n). */
static void label(FILE *f, const char *name, const char *v, int first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *unit, const char *help)
{
	fprintf(f, "# TYPE %s gauge\n", name);
	if (unit && *unit)
		fprintf(f, "# UNIT %s %s\n", name, unit);
	fprintf(f, "# HELP %s %s\n", name, help);
}

static void run_families(FILE *f, json_t *run, const char *id, const char *scen)
{
	const char *status = json_string_value(json_object_get(run, "status")) ?: "unknown";
	const char *accel = json_string_value(json_object_get(json_array_get(json_object_get(run, "vms"), 0),
							      "accel")) ?: "";
	const char *started = json_string_value(json_object_get(run, "started_at")) ?: "";
	struct tm tm = { 0 };
	char *end = strptime(started, "%Y-%m-%dT%H:%M:%SZ", &tm);

	family(f, "balloonbench_run_complete", NULL, "Whether the run completed (1) or not (0).");
	fputs("balloonbench_run_complete{", f);
	label(f, "run_id", id, 1);
	label(f, "scenario", scen, 0);
	label(f, "status", status, 0);
	label(f, "accel", accel, 0);
	label(f, "version", BB_VERSION, 0);
	fprintf(f, "} %d\n", !strcmp(status, "complete"));
	if (end && !*end) {
		family(f, "balloonbench_run_start_time_seconds", "seconds", "When the run started, Unix time.");
		fputs("balloonbench_run_start_time_seconds{", f);
		label(f, "run_id", id, 1);
		label(f, "scenario", scen, 0);
		fprintf(f, "} %lld\n", (long long)timegm(&tm));
	}
	family(f, "balloonbench_run_transitions", NULL, "Balloon target changes the run recorded.");
	fputs("balloonbench_run_transitions{", f);
	label(f, "run_id", id, 1);
	label(f, "scenario", scen, 0);
	fprintf(f, "} %lld\n", (long long)json_integer_value(json_object_get(run, "transitions")));
}

/* One summary.csv row. */
struct srow {
	char job[64], label[128], vm[16], dir[16];
	const struct hr_metric *m;
	double n, v[7];
};

/* summary.csv's rows of @path into *@out (malloc'd); their number, or -1 (said). */
static long read_summary(const char *path, struct srow **out)
{
	struct rp_csv c;
	struct srow *rows = NULL;
	long n = 0, cap = 0;
	int ci[7], r;

	*out = NULL;
	if (rp_csv_open(&c, path))
		return -1;
	for (size_t i = 0; i < 7; i++)
		ci[i] = rp_csv_col(&c, stats[i]);
	while ((r = rp_csv_next(&c)) > 0) {
		const struct hr_metric *m = hr_metric_find(rp_csv_str(&c, rp_csv_col(&c, "metric")));
		struct srow *w;

		if (!m)
			continue;
		if (n == cap) {
			struct srow *nr = realloc(rows, (size_t)(cap = cap ? 2 * cap : 64) * sizeof(*rows));

			if (!nr) {
				r = -1;
				break;
			}
			rows = nr;
		}
		w = &rows[n++];
		w->m = m;
		snprintf(w->job, sizeof(w->job), "%s", rp_csv_str(&c, rp_csv_col(&c, "job")));
		snprintf(w->label, sizeof(w->label), "%s", rp_csv_str(&c, rp_csv_col(&c, "label")));
		snprintf(w->vm, sizeof(w->vm), "%s", rp_csv_str(&c, rp_csv_col(&c, "vm")));
		snprintf(w->dir, sizeof(w->dir), "%s", rp_csv_str(&c, rp_csv_col(&c, "direction")));
		w->n = rp_csv_num(&c, rp_csv_col(&c, "n"));
		for (size_t i = 0; i < 7; i++)
			w->v[i] = rp_csv_num(&c, ci[i]);
	}
	rp_csv_close(&c);
	if (r < 0) {
		free(rows);
		return -1;
	}
	*out = rows;
	return n;
}

static void row_labels(FILE *f, const char *id, const char *scen, const struct srow *w)
{
	label(f, "run_id", id, 1);
	label(f, "scenario", scen, 0);
	label(f, "job", w->job, 0);
	label(f, "label", w->label, 0);
	label(f, "vm", w->vm, 0);
	label(f, "direction", w->dir, 0);
}

/* The family of metric @m: its statistics from every row of it. */
static void metric_family(FILE *f, const struct srow *rows, long n, const struct hr_metric *m,
			  const char *id, const char *scen)
{
	size_t ui = 0, len = strlen(m->name), sl;
	char name[128], help[256];
	int any = 0;

	while (ui < sizeof(units) / sizeof(units[0]) - 1 && strcmp(units[ui].unit, m->unit))
		ui++;
	sl = strlen(units[ui].suffix);
	if (len > sl && !strcmp(m->name + len - sl, units[ui].suffix))
		len -= sl;
	snprintf(name, sizeof(name), "balloonbench_%.*s%s%s", (int)len, m->name,
		 *units[ui].om_unit ? "_" : "", units[ui].om_unit);
	for (long i = 0; i < n; i++) {
		if (rows[i].m != m)
			continue;
		if (!any) {
			snprintf(help, sizeof(help), "%s (transitions.csv; %s is better) over a job's "
				 "transitions, warm-up runs left out: the statistic in stat.", m->name,
				 m->higher_better ? "higher" : "lower");
			family(f, name, units[ui].om_unit, help);
			any = 1;
		}
		for (size_t s = 0; s < 7; s++) {
			if (!isfinite(rows[i].v[s]))
				continue;
			fprintf(f, "%s{", name);
			row_labels(f, id, scen, &rows[i]);
			label(f, "stat", stat_names[s], 0);
			fprintf(f, "} %.10g\n", rows[i].v[s] * units[ui].factor);
		}
	}
}

static void values_family(FILE *f, const struct srow *rows, long n, const char *id, const char *scen)
{
	if (n)
		family(f, "balloonbench_metric_values", NULL,
		       "Transitions with a value of the metric: what each statistic is over.");
	for (long i = 0; i < n; i++) {
		if (!isfinite(rows[i].n))
			continue;
		fputs("balloonbench_metric_values{", f);
		row_labels(f, id, scen, &rows[i]);
		label(f, "metric", rows[i].m->name, 0);
		fprintf(f, "} %.0f\n", rows[i].n);
	}
}

int rp_openmetrics_write(const char *dir, json_t *run)
{
	const char *id = json_string_value(json_object_get(run, "run_id")) ?: "";
	const char *scen = json_string_value(json_object_get(json_object_get(run, "scenario"), "file")) ?: "";
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	struct srow *rows;
	long n;
	FILE *f;

	if (rp_path(path, sizeof(path), dir, "summary.csv"))
		return -1;
	n = read_summary(path, &rows);
	if (n < 0 || rp_path(path, sizeof(path), dir, "metrics.prom")) {
		free(rows);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		hr_error("cannot write %s: %s", tmp, strerror(errno));
		free(rows);
		return -1;
	}
	run_families(f, run, id, scen);
	for (size_t m = 0; m < hr_nmetrics; m++)
		metric_family(f, rows, n, &hr_metrics[m], id, scen);
	values_family(f, rows, n, id, scen);
	fputs("# EOF\n", f);
	free(rows);
	/* renamed into place whole: the textfile collector never reads half a file */
	if (ferror(f) | fclose(f) || rename(tmp, path)) {
		hr_error("cannot write %s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

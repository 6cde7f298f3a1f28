// SPDX-License-Identifier: MIT
/*
 * cmpout.c - `balloonbench compare`'s writers for machines and CI systems:
 * JSON (--output-format json), JUnit XML (compare.junit.xml) and Markdown
 * (compare.md). The verdicts are compare.c's; these only lay them out.
 *
 * JSON, schema "balloonbench-compare", schema_version 1 (fields only ever added):
 *   { schema, schema_version, generator, status (the exit status),
 *     outcome ("pass", "regression", "inconclusive"), mismatch (or ""),
 *     baseline: { arg, runs: [dirs] }, candidate: { arg, runs: [dirs] },
 *     metrics: [ { scenario, job, label, direction, metric, unit, better,
 *                  gated, n_base, n_cand, runs_base, runs_cand, median_base,
 *                  median_cand, rel_change, ci_lo, ci_hi, abs_change,
 *                  abs_ci_lo, abs_ci_hi, u, p_value, exact, verdict,
 *                  reason } ] }
 * compare.csv's columns (compare.c) as fields; what is not a number is null.
 *
 * JUnit XML: the Ant/Surefire format that Jenkins, GitLab
 * (artifacts:reports:junit) and GitHub's test-report actions read, the
 * subset tests/data/junit.xsd checks: <testsuites> holding one <testsuite>
 * per comparison, its <properties> (baseline, candidate, outcome, mismatch),
 * and one <testcase> per gated metric, classname
 * "balloonbench.SCENARIO.JOB[.LABEL]", name "DIRECTION METRIC"; a
 * regression is a <failure type="regression">, an inconclusive result a
 * <skipped>: it neither passed nor failed. Reported-only metrics are left
 * out (they are in compare.csv and compare.md).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "compare.h"
#include "core/version.h"

const char *rp_pct(double x, char *buf, size_t size)
{
	if (!isfinite(x))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%+.1f%%", 100 * x);
	return buf;
}

const char *rp_cmp_change(const struct row *w, int which, char *buf, size_t size)
{
	const double rel[3] = { w->r.rel_change, w->r.ci_lo, w->r.ci_hi };
	const double abs[3] = { w->r.abs_change, w->r.abs_ci_lo, w->r.abs_ci_hi };

	if (which < 0 || which > 2)
		which = 0;
	if (isnan(w->r.rel_change) && isfinite(abs[which]))
		snprintf(buf, size, "%+.3g %s", abs[which], w->k->m->unit);
	else
		rp_pct(rel[which], buf, size);
	return buf;
}

static const char *outcome(int status)
{
	return status == 0 ? "pass" : status == 1 ? "regression" : "inconclusive";
}

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *side_json(const struct side *s)
{
	json_t *runs = json_array();

	for (int i = 0; i < s->nruns; i++)
		json_array_append_new(runs, json_string(s->runs[i]));
	return json_pack("{s:s, s:o}", "arg", s->arg, "runs", runs);
}

static json_t *row_json(const struct row *w)
{
	const struct ab_result *r = &w->r;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:i, s:i}",
		"scenario", w->k->scen, "job", w->k->job, "label", w->k->label, "direction", w->k->dir,
		"metric", w->k->m->name, "unit", w->k->m->unit,
		"better", w->k->m->higher_better ? "higher" : "lower", "gated", w->gate,
		"n_base", (json_int_t)w->k->n[0], "n_cand", (json_int_t)w->k->n[1], "runs_base", w->k->runs[0],
		"runs_cand", w->k->runs[1]);
	const char *names[] = { "median_base", "median_cand", "rel_change", "ci_lo", "ci_hi",
				"abs_change", "abs_ci_lo", "abs_ci_hi", "u", "p_value" };
	const double vals[] = { r->median_a, r->median_b, r->rel_change, r->ci_lo, r->ci_hi,
				r->abs_change, r->abs_ci_lo, r->abs_ci_hi, r->u, r->p_value };

	for (size_t i = 0; o && i < sizeof(vals) / sizeof(vals[0]); i++)
		json_object_set_new(o, names[i], jnum(vals[i]));
	json_object_set_new(o, "exact", json_boolean(r->exact));
	json_object_set_new(o, "verdict", json_string(ab_verdict_name(w->v)));
	json_object_set_new(o, "reason", json_string(w->why));
	return o;
}

int rp_cmp_json(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		const char *mismatch)
{
	json_t *ms = json_array(), *root;
	int bad;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(ms, row_json(&rows[i]));
	root = json_pack("{s:s, s:i, s:s, s:i, s:s, s:s, s:o, s:o, s:o}", "schema", "balloonbench-compare",
			 "schema_version", 1, "generator", "balloonbench " BB_VERSION, "status", status,
			 "outcome", outcome(status), "mismatch", mismatch, "baseline",
			 side_json(&c->side[0]), "candidate", side_json(&c->side[1]), "metrics", ms);
	bad = !root || json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) || fputc('\n', f) == EOF;
	json_decref(root);
	return bad || ferror(f) ? -1 : 0;
}

/* One line on a metric's verdict: "-20.1% [-22.0%, -18.3%], p=0.0001: why" */
static void verdict_line(const struct row *w, char *buf, size_t size)
{
	char ch[32], lo[32], hi[32];

	snprintf(buf, size, "%s %s [%s, %s], median %.4g -> %.4g %s, p=%.2g: %s",
		 ab_verdict_name(w->v), rp_cmp_change(w, 0, ch, sizeof(ch)),
		 rp_cmp_change(w, 1, lo, sizeof(lo)), rp_cmp_change(w, 2, hi, sizeof(hi)),
		 w->r.median_a, w->r.median_b, w->k->m->unit, w->r.p_value, w->why);
}

static void xml_attr(FILE *f, const char *name, const char *v)
{
	fprintf(f, " %s=\"", name);
	rp_escape_markup(f, v);
	fputc('"', f);
}

static void junit_case(FILE *f, const struct row *w)
{
	char cls[300], name[64], line[600];
	const char *scen = w->k->scen;
	size_t sl = strlen(scen);

	if (sl > 4 && !strcmp(scen + sl - 4, ".ini"))
		sl -= 4;
	snprintf(cls, sizeof(cls), "balloonbench.%.*s.%s%s%s", (int)sl, scen, w->k->job,
		 w->k->label[0] ? "." : "", w->k->label);
	snprintf(name, sizeof(name), "%s %s", w->k->dir, w->k->m->name);
	verdict_line(w, line, sizeof(line));
	fputs("    <testcase", f);
	xml_attr(f, "classname", cls);
	xml_attr(f, "name", name);
	fputs(" time=\"0\"", f);
	if (w->v != AB_REGRESSION && w->v != AB_INCONCLUSIVE) {
		fputs(">\n      <system-out>", f);
		rp_escape_markup(f, line);
		fputs("</system-out>\n    </testcase>\n", f);
		return;
	}
	fputs(">\n", f);
	fprintf(f, "      <%s", w->v == AB_REGRESSION ? "failure type=\"regression\"" : "skipped type=\"inconclusive\"");
	xml_attr(f, "message", line);
	fputs(">", f);
	rp_escape_markup(f, w->why);
	fprintf(f, "</%s>\n    </testcase>\n", w->v == AB_REGRESSION ? "failure" : "skipped");
}

int rp_cmp_junit(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		 const char *mismatch)
{
	size_t tests = 0, failures = 0, skipped = 0;

	for (size_t i = 0; i < n; i++) {
		tests += rows[i].gate;
		failures += rows[i].gate && rows[i].v == AB_REGRESSION;
		skipped += rows[i].gate && rows[i].v == AB_INCONCLUSIVE;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<testsuites name=\"balloonbench compare\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
		   "time=\"0\">\n  <testsuite name=\"balloonbench compare\" tests=\"%zu\" failures=\"%zu\" "
		   "errors=\"0\" skipped=\"%zu\" time=\"0\">\n    <properties>\n",
		tests, failures, tests, failures, skipped);
	{
		const char *pn[] = { "baseline", "candidate", "outcome", "mismatch", "generator" };
		const char *pv[] = { c->side[0].arg, c->side[1].arg, outcome(status), mismatch,
				     "balloonbench " BB_VERSION };

		for (size_t i = 0; i < sizeof(pn) / sizeof(pn[0]); i++) {
			fputs("      <property", f);
			xml_attr(f, "name", pn[i]);
			xml_attr(f, "value", pv[i]);
			fputs("/>\n", f);
		}
	}
	fputs("    </properties>\n", f);
	for (size_t i = 0; i < n; i++)
		if (rows[i].gate)
			junit_case(f, &rows[i]);
	fputs("  </testsuite>\n</testsuites>\n", f);
	return ferror(f) ? -1 : 0;
}

/* @s with Markdown table cells' '|' escaped and newlines as spaces. */
static void md_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n')
			fputc(' ', f);
		else if (*s == '<')
			fputs("&lt;", f);
		else
			fputc(*s, f);
	}
}

static void md_rows(FILE *f, const struct row *rows, size_t n, int gated)
{
	static const char *const mark[] = { "", ":white_check_mark:", ":x:", ":warning:" };

	_Static_assert(AB_NO_CHANGE == 0 && AB_INCONCLUSIVE == 3, "ab_verdict order");
	fputs("| | job | direction | metric | n base/cand | median base | median cand | change | 95 % CI | p | verdict |\n"
	      "|---|---|---|---|---:|---:|---:|---:|---|---:|---|\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		char ch[32], lo[32], hi[32];

		if (w->gate != gated)
			continue;
		fprintf(f, "| %s | ", mark[w->v]);
		md_text(f, w->k->scen);
		fputs(": ", f);
		md_text(f, w->k->job);
		if (w->k->label[0]) {
			fputs(" [", f);
			md_text(f, w->k->label);
			fputs("]", f);
		}
		fprintf(f, " | %s | `%s` (%s, %s is better) | %zu/%zu | %.4g | %.4g | %s | [%s, %s] | %.2g | **%s** ",
			w->k->dir, w->k->m->name, w->k->m->unit, w->k->m->higher_better ? "higher" : "lower",
			w->k->n[0], w->k->n[1], w->r.median_a, w->r.median_b,
			rp_cmp_change(w, 0, ch, sizeof(ch)), rp_cmp_change(w, 1, lo, sizeof(lo)),
			rp_cmp_change(w, 2, hi, sizeof(hi)), w->r.p_value, ab_verdict_name(w->v));
		md_text(f, w->why);
		fputs(" |\n", f);
	}
}

int rp_cmp_markdown(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		    const char *mismatch)
{
	size_t ngated = 0;

	for (size_t i = 0; i < n; i++)
		ngated += rows[i].gate;
	fprintf(f, "## balloonbench compare: %s\n\n",
		status == 0 ? ":white_check_mark: no regression" :
		status == 1 ? ":x: REGRESSION in a gated metric" :
			      ":warning: inconclusive or not comparable");
	fputs("Baseline `", f);
	md_text(f, c->side[0].arg);
	fprintf(f, "` (%d run(s)) against candidate `", c->side[0].nruns);
	md_text(f, c->side[1].arg);
	fprintf(f, "` (%d run(s)); balloonbench %s.\n\n", c->side[1].nruns, BB_VERSION);
	if (mismatch[0]) {
		fputs("> **Not comparable:** ", f);
		md_text(f, mismatch);
		fputs("\n\n", f);
	}
	fprintf(f, "### Gated metrics (%zu)\n\n", ngated);
	md_rows(f, rows, n, 1);
	fprintf(f, "\n<details><summary>Reported only (%zu)</summary>\n\n", n - ngated);
	md_rows(f, rows, n, 0);
	fputs("\n</details>\n\nPer metric: the change of the median over every transition (warm-up runs "
	      "left out) with its 95 % bootstrap CI and the Mann-Whitney U p-value. A change counts when it "
	      "is significant and beyond the metric's threshold (ci/thresholds.ini); fewer than min-runs "
	      "runs a side is inconclusive. Charts: compare.html.\n", f);
	return ferror(f) ? -1 : 0;
}

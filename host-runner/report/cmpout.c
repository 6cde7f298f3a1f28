// SPDX-License-Identifier: MIT
/*
 * cmpout.c - `balloonbench compare`'s writers: the table on stdout, TAP
 * (--tap, compare.tap), CSV (compare.csv, --output-format csv; its schema in
 * compare.c), the page (compare.html), and for machines and CI systems JSON
 * (--output-format json), JUnit XML (compare.junit.xml) and Markdown
 * (compare.md). The verdicts are cmpjudge.c's; these only lay them out.
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
#include <stdlib.h>
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

/* ---- compare.csv, compare.tap, compare.html and the table ---- */

/* compare.csv; returns 0 (a failed write shows when the file is closed, as before) */
int rp_cmp_csv(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
	       const char *mismatch)
{
	(void)c;
	(void)status;
	(void)mismatch;
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
	return 0;
}

/*
 * TAP: a gated metric passes unless it regressed or is inconclusive; an
 * ungated one is a TODO. Returns 0 (a failed write shows when the file is
 * closed, as before).
 */
int rp_cmp_tap(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
	       const char *mismatch)
{
	(void)c;
	(void)status;
	(void)mismatch;
	fprintf(f, "TAP version 13\n1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		int bad = w->v == AB_REGRESSION || w->v == AB_INCONCLUSIVE;

		fprintf(f, "%sok %zu - %s %s%s%s %s %s: %s (%s)%s\n", bad ? "not " : "", i + 1, w->k->scen,
			w->k->job,
			w->k->label[0] ? " " : "", w->k->label, w->k->dir, w->k->m->name,
			ab_verdict_name(w->v), w->why, w->gate ? "" : " # TODO not gated, reported only");
	}
	return 0;
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

/* The verdicts' colours, by enum ab_verdict. */
static const char *const vcol[] = { "#5b6475", "#1e7b34", "#b3261e", "#b07a00" };

/* One row of compare.html's verdicts: the numbers, the change on its bar, the reason. */
static void html_row(FILE *f, const struct row *w)
{
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

/*
 * compare.html: the verdicts, with each change and its CI drawn on a
 * -100 % .. +100 % bar (works without JavaScript), then compare.js draws
 * each metric's two distributions (empirical CDFs) with uPlot.
 */
int rp_cmp_html(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		const char *mismatch)
{
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
	for (size_t i = 0; i < n; i++)
		html_row(f, &rows[i]);
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

/* The table (on stdout): one line per row, then the outcome. Returns 0. */
int rp_cmp_table(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		 const char *mismatch)
{
	int nreg = 0, ninc = 0;

	(void)mismatch;
	fprintf(f, "%-24s %-8s %-22s %9s %10s %10s %11s %26s %8s  %s\n", "scenario:job", "dir",
		"metric", "n b/c", "median b", "median c", "change", "95% CI", "p", "verdict");
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
		fprintf(f, "%-24.24s %-8s %-22s %9s %10s %10s %11s %26s %8s  %s%s\n", job,
			w->k->dir, w->k->m->name, nn, ma, mb, rp_cmp_change(w, 0, ch, sizeof(ch)), ci,
			p, ab_verdict_name(w->v), w->gate ? " *" : "");
		nreg += w->gate && w->v == AB_REGRESSION;
		ninc += w->gate && w->v == AB_INCONCLUSIVE;
	}
	fprintf(f, "* gated. %s: %d gated regression(s), %d gated inconclusive; %s/compare.html\n",
		status == 0 ? "PASS" : status == 1 ? "REGRESSION" : "INCONCLUSIVE", nreg, ninc, c->out);
	return 0;
}

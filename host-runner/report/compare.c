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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/abstat.h"
#include "core/log.h"
#include "core/paths.h"
#include "compare.h"
#include "formats.h"
#include "report.h"

/* Format @fmt into its file in @c's output directory; 0, or -1 (said). */
static int write_file(const struct rp_format *fmt, const struct cmp *c, const struct row *rows,
		      size_t n, int status, const char *mismatch)
{
	char path[PATH_MAX];
	FILE *f;

	if (rp_path(path, sizeof(path), c->out, fmt->file))
		return -1;
	f = fopen(path, "we");
	if (!f) {
		return hr_error("cannot write %s: %s", path, strerror(errno));
	}
	if (fmt->compare(f, c, rows, n, status, mismatch)) {
		fclose(f);
		return hr_error("cannot write %s", path);
	}
	if (fclose(f)) {
		return hr_error("cannot write %s: %s", path, strerror(errno));
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
				return hr_error("--seed: '%s', expected a non-negative integer", optarg);
			}
			break;
		case 'q': a->quiet = 1; break;
		case 'F':
			if (rp_formats_parse(optarg, RP_CMD_COMPARE, &a->fmts))
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
		return hr_error("compare: expected BASELINE and CANDIDATE (see 'balloonbench compare --help')");
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
		if (i == 2 && (rp_cmp_texts_clash(va[i]) || rp_cmp_texts_clash(vb[i])))
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
		return hr_error("compare: not comparable: %s (--allow-mismatch to compare anyway)", mismatch);
	}
	if (mismatch[0])
		hr_warn("comparing runs that are not comparable (--allow-mismatch): %s", mismatch);
	if (strcmp(A->overrides, B->overrides) && !a->quiet)
		fprintf(stderr, "note: runs made with different --set: baseline '%s', candidate '%s'\n",
			A->overrides, B->overrides);
	return 0;
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
	if (rp_cmp_thresholds_load(&th, a.thpath))
		return 2;
	if ((a.fmts & ~RP_FMT_NORMAL) && !(out = rp_output_open(a.outfile)))
		return 2;
	cmp.keys = calloc(MAX_KEYS, sizeof(*cmp.keys));
	if (!cmp.keys || rp_cmp_side_find(&cmp.side[0], argv[optind]) ||
	    rp_cmp_side_find(&cmp.side[1], argv[optind + 1]) || rp_cmp_side_describe(&cmp.side[0]) ||
	    rp_cmp_side_describe(&cmp.side[1]) || check_comparable(&cmp, &a, mismatch, sizeof(mismatch)) ||
	    rp_cmp_read_side(&cmp, 0) || rp_cmp_read_side(&cmp, 1))
		goto out;
	rows = calloc(cmp.nkeys + 1, sizeof(*rows));
	if (!rows)
		goto out;
	for (size_t i = 0; i < cmp.nkeys; i++) {
		if (!cmp.keys[i].n[0] && !cmp.keys[i].n[1])
			continue;
		rp_cmp_judge(&cmp.keys[i], &th, a.seed, &rows[n]);
		nreg += rows[n].gate && rows[n].v == AB_REGRESSION;
		ninc += rows[n].gate && rows[n].v == AB_INCONCLUSIVE;
		n++;
	}
	status = nreg ? 1 : ninc ? 2 : 0;	/* a mismatch got here only with --allow-mismatch */
	if (!a.out) {
		a.out = cmp.side[1].arg;
	} else if ((e = hr_dirs_make(a.out))) {
		hr_error("compare: --output %s: cannot make the directory: %s", a.out, strerror(-e));
		goto out;
	}
	cmp.out = a.out;
	/* the formats with a file into the output directory, every time */
	for (int i = 0; i < RP_FORMAT_N; i++)
		if (rp_formats[i].file && write_file(&rp_formats[i], &cmp, rows, n, status, mismatch))
			goto out;
	/* stdout: TAP with --tap, else the table (normal); the others of --output-format to out */
	if (a.tap)
		(void)rp_formats[RP_FORMAT_TAP].compare(stdout, &cmp, rows, n, status, mismatch);
	else if (!a.quiet && (a.fmts & RP_FMT_NORMAL))
		(void)rp_formats[RP_FORMAT_NORMAL].compare(stdout, &cmp, rows, n, status, mismatch);
	for (int i = 0; i < RP_FORMAT_N; i++)
		if (i != RP_FORMAT_NORMAL && (a.fmts & (1u << i)) &&
		    rp_formats[i].compare(out, &cmp, rows, n, status, mismatch))
			goto out;
	ret = status;
out:
	if (out && rp_output_close(out, a.outfile))
		ret = 2;
	cmp_free(&cmp);
	free(rows);
	return ret;
}

// SPDX-License-Identifier: MIT
/* report: the CSV reader, min/max downsampling (peaks kept), summary.csv from a results directory, report.html's latency percentiles and event order. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "report/report.h"
#include "tap.h"
#include "workloads/stats.h"

static char tmpdir[] = "/tmp/bb-report-test.XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void test_csv(void)
{
	struct rp_csv c;
	char path[512];

	write_file("a.csv", "t_s,vm,detail\r\n1.5,a,\"x, \"\"y\"\"\nz\"\n\n2,b,\n");
	snprintf(path, sizeof(path), "%s/a.csv", tmpdir);
	ok(rp_csv_open(&c, path) == 0 && c.ncols == 3, "header: 3 columns");
	is_int(rp_csv_col(&c, "vm"), 1, "column index by name");
	is_int(rp_csv_col(&c, "nope"), -1, "unknown column: -1");
	ok(rp_csv_next(&c) == 1, "first row");
	is_double(rp_csv_num(&c, 0), 1.5, 0, "a number (CRLF line end)");
	is_str(rp_csv_str(&c, 2), "x, \"y\"\nz", "a quoted field with a comma, doubled quotes and a newline");
	ok(rp_csv_next(&c) == 1 && !strcmp(rp_csv_str(&c, 1), "b"), "blank line skipped, next row");
	ok(isnan(rp_csv_num(&c, 2)), "empty field: NAN");
	ok(isnan(rp_csv_num(&c, 7)), "missing field: NAN");
	is_int(rp_csv_next(&c), 0, "end");
	rp_csv_close(&c);

	write_file("bad.csv", "a,b\n1,2\n1,2,3\n");
	snprintf(path, sizeof(path), "%s/bad.csv", tmpdir);
	ok(rp_csv_open(&c, path) == 0 && rp_csv_next(&c) == 1, "good row");
	ok(rp_csv_next(&c) == -1, "a row with too many fields: -1");
	is_int((int)c.line, 3, "... and its line number is known");
	rp_csv_close(&c);
	snprintf(path, sizeof(path), "%s/none.csv", tmpdir);
	ok(rp_csv_open(&c, path) == -ENOENT, "missing file: -ENOENT");
	write_file("empty.csv", "");
	snprintf(path, sizeof(path), "%s/empty.csv", tmpdir);
	ok(rp_csv_open(&c, path) == -1, "empty file: refused");
}

/*
 * A file several windows long (RP_CSV_WINDOW): quoted newlines and a row of
 * 2.5 MiB across the windows' edges, every row read once and in order, a
 * second pass after rp_csv_rewind the same, rp_csv_tail at the last rows.
 */
static void test_csv_stream(void)
{
	enum { ROWS = 200000, LONG = 5 << 19 };
	char path[512], *big = malloc(LONG + 1);
	size_t rows = 0, good = 0, lines = 0;
	struct rp_csv c;
	FILE *f;

	snprintf(path, sizeof(path), "%s/s.csv", tmpdir);
	f = fopen(path, "w");
	memset(big, 'x', LONG);
	big[LONG] = '\0';
	fputs("i,name,note\n", f);
	for (int i = 0; i < ROWS; i++) {
		if (i == ROWS / 2)
			fprintf(f, "%d,long,%s\n", i, big);
		else if (i % 1000 == 7)
			fprintf(f, "%d,q%d,\"a\nb,\"\"c\"\"\"\n", i, i);
		else
			fprintf(f, "%d,n%d,%d.%03d\n", i, i, i, i % 1000);
	}
	fclose(f);
	ok(rp_csv_open(&c, path) == 0, "a file of %d rows, 2.5 MiB in one, opened", ROWS);
	for (int pass = 0; pass < 2; pass++) {
		rows = good = 0;
		while (rp_csv_next(&c) == 1) {
			double v = rp_csv_num(&c, 0);
			char want[32];

			snprintf(want, sizeof(want), "%s%zu", rows % 1000 == 7 ? "q" : "n", rows);
			good += v == (double)rows && (rows == ROWS / 2 ? strlen(rp_csv_str(&c, 2)) == LONG :
				rows % 1000 == 7 ? !strcmp(rp_csv_str(&c, 2), "a\nb,\"c\"") :
				!strcmp(rp_csv_str(&c, 1), want));
			rows++;
		}
		lines = c.line;
		if (!pass)
			ok(rp_csv_rewind(&c) == 0, "rewound");
	}
	is_int((int)good, ROWS, "every row read, in order, the second pass too (%zu rows)", rows);
	is_int((int)lines, ROWS + ROWS / 1000 + 1, "line numbers count the quoted newlines");
	c.quiet = 1;
	ok(rp_csv_tail(&c, 100) == 0, "rp_csv_tail");
	for (rows = 0; rp_csv_next(&c) == 1; rows++)
		good = rp_csv_num(&c, 0) == ROWS - 1;
	ok(rows >= 2 && rows <= 4 && good, "  the rows in the last 100 bytes, the last one last (%zu)", rows);
	rp_csv_close(&c);
	free(big);
}

/* Numbers read without strtod where they can be: strtod's value, bit for bit, or its verdict. */
static void test_csv_numbers(void)
{
	static const char *const nums[] = {
		"0.001000", "9999.999000", "-12.5", "5.", ".5", "-.5", "-0", "0", "007",
		"4503599627370495", "9007199254740993", "123456789012345678901", "0.1", "0.3",
		"1.0000000000000000000000001", "1e5", " 5", "+5", "0x10", "-", ".", "1.2.3", "12a",
		"179.76931348623157", "2.2250738585072014", "1234567.891011",
	};
	char path[512];
	struct rp_csv c;
	size_t same = 0, n = sizeof(nums) / sizeof(nums[0]);
	FILE *f;

	snprintf(path, sizeof(path), "%s/nums.csv", tmpdir);
	f = fopen(path, "w");
	fputs("v\n", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", nums[i]);
	fclose(f);
	hr_verbosity = -1;
	ok(rp_csv_open(&c, path) == 0, "a column of numbers and near-numbers");
	for (size_t i = 0; i < n && rp_csv_next(&c) == 1; i++) {
		char *end;
		double want = strtod(nums[i], &end), got = rp_csv_num(&c, 0);

		if (*end)
			want = NAN;
		if ((isnan(want) && isnan(got)) || !memcmp(&want, &got, sizeof(got)))
			same++;
		else
			diag("%s: %.17g, strtod %.17g", nums[i], got, want);
	}
	rp_csv_close(&c);
	hr_verbosity = HR_INFO;
	is_int((int)same, (int)n, "each as strtod reads it");
}

/* Numbers that are not (abc, inf, nan) or out of a field's range: NAN and counted, never used. */
static void test_csv_bad_numbers(void)
{
	struct rp_csv c;
	char path[512];
	double v = 0;

	write_file("n.csv", "t_s,n\nabc,inf\n1e300,nan\n-2,\n");
	snprintf(path, sizeof(path), "%s/n.csv", tmpdir);
	ok(rp_csv_open(&c, path) == 0 && rp_csv_next(&c) == 1, "a row of bad numbers");
	ok(isnan(rp_csv_num(&c, 0)) && isnan(rp_csv_num(&c, 1)), "abc and inf: NAN");
	ok(rp_csv_get(&c, 0, 0, 10, &v) == -1 && isnan(v), "abc where a number from 0 to 10 is needed: -1");
	ok(rp_csv_next(&c) == 1 && rp_csv_get(&c, 0, -1e9, 1e9, &v) == -1 && isnan(v),
	   "1e300 where a time is needed: -1");
	ok(isnan(rp_csv_num(&c, 1)), "nan: NAN");
	ok(rp_csv_next(&c) == 1 && rp_csv_get(&c, 0, 0, 10, &v) == -1, "-2 below the range: -1");
	ok(rp_csv_get(&c, 1, 0, 10, &v) == 0 && isnan(v), "an empty field: 0, no value");
	ok(rp_csv_get(&c, 0, -5, 10, &v) == 0 && v == -2, "-2 in range: its value");
	is_int((int)c.bad, 6, "six left out, counted for the close's total");
	rp_csv_close(&c);
}

/*
 * Hostile times (a damaged samples.csv): 1e300, infinities and NaN among
 * times a few ns apart. Each bucket is computed before its conversion to an
 * integer (UBSan: float-cast-overflow), and the walk still ends.
 */
static void test_downsample_hostile(void)
{
	enum { N = 4000, B = 1500 };
	static double x[N], y[N], ox[2 * B + 2], oy[2 * B + 2];
	const double bad[] = { 1e300, INFINITY, -INFINITY, NAN, -1e300 };
	size_t n;

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		for (size_t i = 0; i < N; i++) {
			x[i] = (double)i * 1e-13;
			y[i] = (double)(i % 5);
		}
		x[N / 2] = bad[k];
		alarm(10);
		n = rp_downsample(x, y, N, B, ox, oy);
		alarm(0);
		ok(n > 0 && n <= 2 * B + 2 && ox[0] == x[0] && ox[n - 1] == x[N - 1],
		   "a time of %g among times 1e-13 s apart: %zu points, the first and last kept", bad[k], n);
	}
}

static void test_downsample(void)
{
	enum { N = 1000000, B = 500 };
	double *x = malloc(N * sizeof(double)), *y = malloc(N * sizeof(double));
	double ox[2 * B + 2], oy[2 * B + 2], mn = INFINITY, mx = -INFINITY, top = -INFINITY;
	size_t n, spikes = 0, ordered = 1;

	/* a slow sine, with one-sample spikes up and down that an average would lose */
	for (size_t i = 0; i < N; i++) {
		x[i] = (double)i / 1000;
		y[i] = sin((double)i / 50000);
		if (i % 99991 == 7)
			top = y[i] = 10 + (double)i / N;
		if (i % 199999 == 3)
			y[i] = -10;
	}
	y[N / 2] = NAN;
	n = rp_downsample(x, y, N, B, ox, oy);
	ok(n <= 2 * B + 2 && n >= B, "1e6 points -> %zu (at most 2 per bucket + ends)", n);
	for (size_t i = 0; i < n; i++) {
		if (oy[i] >= 10 || oy[i] == -10)
			spikes++;
		if (i && ox[i] <= ox[i - 1])
			ordered = 0;
		mn = fmin(mn, oy[i]);
		mx = fmax(mx, oy[i]);
	}
	is_int((int)spikes, 11 + 6, "every one-sample spike kept (10 up at 99991 steps + 1, 5 down + 1)");
	ok(ordered, "points in x order");
	ok(mn == -10 && mx == top, "global min and max kept");
	ok(ox[0] == x[0] && ox[n - 1] == x[N - 1], "first and last point kept");
	for (size_t i = 0; i < n; i++)
		if (isnan(oy[i]))
			ordered = 0;
	ok(ordered, "no NaN in the output");
	n = rp_downsample(x, y, 100, B, ox, oy);
	is_int((int)n, 100, "a short series is kept whole");
	free(x);
	free(y);
}

/*
 * Found by a real run (vm-scenarios, a guest's node series): a point that
 * starts bucket 674 by (x - x0) / span * 1500 = 674.9999999999998 but lies on
 * x0 + span * 675 / 1500 exactly. The old loop never moved past it. An alarm
 * turns a hang into a failure.
 */
static void test_downsample_rounding(void)
{
	enum { N = 4191, B = 1500 };
	static double x[N], y[N], ox[2 * B + 2], oy[2 * B + 2];
	const double x0 = 14.236404, xl = 19.316324, hit = 16.522368;
	size_t n, k = 0, kept = 0;

	for (size_t i = 0; i < N; i++) {
		x[i] = x0 + (xl - x0) * (double)i / (N - 1);
		y[i] = (double)(i % 7);
		if (x[i] <= hit)
			k = i;
	}
	x[k] = hit;	/* between its neighbours: still in order */
	y[k] = 100;
	alarm(10);
	n = rp_downsample(x, y, N, B, ox, oy);
	alarm(0);
	for (size_t i = 0; i < n; i++)
		if (ox[i] == hit && oy[i] == 100)
			kept = 1;
	ok(n > 0 && n <= 2 * B + 2 && kept, "a point on a bucket edge by rounding: %zu points, it among them", n);
}

/* summary.csv of tests/data/results-mini: value of one row's column */
static int summary_has(const char *dir, const char *prefix, const char *want_tail)
{
	char path[512], line[1024];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, prefix, strlen(prefix))) {
			found = strstr(line, want_tail) != NULL;
			if (!found)
				diag("row: %s", line);
			break;
		}
	if (f)
		fclose(f);
	return found;
}

static void test_summary(void)
{
	char dir[512], cmd[1200];

	snprintf(dir, sizeof(dir), "%s/mini", tmpdir);
	snprintf(cmd, sizeof(cmd), "cp -r tests/data/results-mini %s", dir);
	ok(system(cmd) == 0, "fixture copied");
	ok(hr_summary_dir(dir, 0) == 0, "summary.csv written");
	/* warm-up rows (9999) left out: the two guests' inflates are 100 and 200 */
	ok(summary_has(dir, "1,bench/fixture.ini,two,\"\",all,inflate,mean_rate_mib_s,MiB/s,higher,2,",
		       ",2,150,150,"), "two/all inflate rate: n 2, median 150 (warm-up left out)");
	ok(summary_has(dir, "1,bench/fixture.ini,two,\"\",v1,inflate,mean_rate_mib_s,", ",1,200,200,"),
	   "per-guest row v1: 200");
	ok(summary_has(dir, "1,bench/fixture.ini,two,\"\",all,deflate,t100_ms,", ",1,250,"),
	   "a transition that did not get there has no t100: n 1");
	ok(summary_has(dir, "1,bench/fixture.ini,solo,\"guest-numa=2\",all,inflate,wl_p99_us,us,lower,2,",
		       ",2,15,15,"), "solo: workload p99 over the 2 transitions that have one");
	ok(!summary_has(dir, "1,bench/fixture.ini,solo,\"guest-numa=2\",v0,", ","),
	   "a one-guest job has only 'all' rows");
	ok(summary_has(dir, "1,bench/fixture.ini,solo,\"guest-numa=2\",all,inflate,t100_ms,ms,lower,3,",
		       ",3,200,200,100,100,300,100,300,0.75"), "n 3: the CI is min..max with its coverage 0.75");
	hr_verbosity = -1;	/* the next two report their errors: keep TAP output clean */
	ok(hr_summary_dir("/nonexistent", 0) == RP_BAD_INPUT, "no run.json: bad input");
	write_file("mini/transitions.csv", "vm,job\nx,two\n");
	ok(hr_summary_dir(dir, 0) == RP_BAD_INPUT, "transitions.csv without a direction column: bad input");
	hr_verbosity = HR_INFO;
}

/*
 * summary.csv counts what its header says: a transition that ended
 * interrupted, guest-gone or failed has no value at all; one that gave up,
 * timed out or was superseded has no rate or t100, and its other metrics count.
 */
static void test_summary_end_reasons(void)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/ends", tmpdir);
	(void)mkdir(dir, 0700);
	write_file("ends/run.json", "{ \"scenario\": { \"file\": \"e.ini\", \"jobs\": "
		   "[ { \"name\": \"j\", \"label\": \"\", \"vms\": \"1\" } ] }, \"vms\": [] }");
	write_file("ends/transitions.csv",
		   "vm,job,direction,mean_rate_mib_s,t100_ms,control_latency_ms,stalls,end_reason\n"
		   "v,j,inflate,100,1000,5,0,reached\n"
		   "v,j,inflate,300,3000,7,0,reached\n"
		   "v,j,inflate,1,,9,2,gave-up\n"
		   "v,j,inflate,2,,11,0,timeout\n"
		   "v,j,inflate,3,,13,0,superseded\n"
		   "v,j,inflate,5000,50,900,9,interrupted\n"
		   "v,j,inflate,6000,60,900,9,guest-gone\n"
		   "v,j,inflate,7000,70,900,9,failed\n");
	ok(hr_summary_dir(dir, 0) == 0, "end reasons: summary.csv written");
	ok(summary_has(dir, "1,e.ini,j,\"\",all,inflate,mean_rate_mib_s,MiB/s,higher,2,", ",2,200,200,"),
	   "the rate counts reached transitions only (n 2, median 200)");
	ok(summary_has(dir, "1,e.ini,j,\"\",all,inflate,control_latency_ms,ms,lower,5,", ",5,9,9,"),
	   "control latency: gave-up, timeout, superseded count; interrupted, guest-gone, failed not");
	ok(summary_has(dir, "1,e.ini,j,\"\",all,inflate,stalls,count,lower,5,", ",5,0,"),
	   "stalls: the same five");
}

/*
 * A guest that failed (run.json failed_guests) is left out of the statistics,
 * its transitions before the failure too; an empty cell (a host figure that
 * does not exist there) is missing, not 0.
 */
static void test_summary_failed_guest(void)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/fail", tmpdir);
	(void)mkdir(dir, 0700);
	write_file("fail/run.json", "{ \"scenario\": { \"file\": \"f.ini\", \"jobs\": "
		   "[ { \"name\": \"j\", \"label\": \"\", \"vms\": \"3\" } ] }, "
		   "\"vms\": [ { \"name\": \"g0\", \"vm_index\": 0 }, { \"name\": \"g1\", \"vm_index\": 1 }, "
		   "{ \"name\": \"g2\", \"vm_index\": 2 } ], "
		   "\"failed_guests\": [ \"g1\" ], \"completed_guests\": [ \"g0\", \"g2\" ] }");
	write_file("fail/transitions.csv",
		   "vm,job,direction,mean_rate_mib_s,host_lag_ms,end_reason\n"
		   "g0,j,inflate,100,,reached\n"
		   "g1,j,inflate,9000,-700,reached\n"
		   "g2,j,inflate,300,50,reached\n"
		   "g0,j,inflate,200,,reached\n"
		   "g1,j,inflate,1,,guest-gone\n");
	ok(hr_summary_dir(dir, 0) == 0, "failed guest: summary.csv written");
	ok(summary_has(dir, "1,f.ini,j,\"\",all,inflate,mean_rate_mib_s,MiB/s,higher,3,", ",3,200,200,"),
	   "failed guest: its reached transition left out (n 3, median 200)");
	ok(!summary_has(dir, "1,f.ini,j,\"\",v1,", ","), "failed guest: no row of its own");
	ok(summary_has(dir, "1,f.ini,j,\"\",all,inflate,host_lag_ms,ms,lower,1,", ",1,50,50,"),
	   "empty host_lag_ms cells are missing, not 0 (n 1, median 50)");
}

/* A damaged run.json or CSV file ends in an error or a warning, never a hang or a wrong row. */
static void test_damaged(void)
{
	char dir[512], path[600];
	struct rp_csv c;

	hr_verbosity = -1;
	snprintf(dir, sizeof(dir), "%s/huge", tmpdir);
	(void)mkdir(dir, 0700);
	write_file("huge/run.json", "{ \"scenario\": { \"jobs\": [ { \"name\": \"j\", "
		   "\"vms\": \"2000000000\" } ] } }");
	write_file("huge/transitions.csv", "vm,job,direction,mean_rate_mib_s\nv,j,inflate,1\n");
	ok(hr_summary_dir(dir, 0) == RP_BAD_INPUT, "a job of 2000000000 guests in run.json: refused, not a loop");
	write_file("torn.csv", "a,b\n1,2\n3");
	snprintf(path, sizeof(path), "%s/torn.csv", tmpdir);
	ok(rp_csv_open(&c, path) == 0 && rp_csv_next(&c) == 1 && rp_csv_next(&c) == 0,
	   "a torn last line (no newline): left out, not a row or an error");
	rp_csv_close(&c);
	write_file("torn2.csv", "a,b\n1,2\n3,4");
	snprintf(path, sizeof(path), "%s/torn2.csv", tmpdir);
	ok(rp_csv_open(&c, path) == 0 && rp_csv_next(&c) == 1 && rp_csv_next(&c) == 0,
	   "  even with all its fields (a number may be cut short)");
	rp_csv_close(&c);
	snprintf(path, sizeof(path), "%s/fifo.csv", tmpdir);
	ok(mkfifo(path, 0600) == 0 && rp_csv_open(&c, path) == -1, "a FIFO: refused, no wait");
	ok(rp_csv_open(&c, "/dev/zero") == -1, "/dev/zero: refused");
	hr_verbosity = HR_INFO;
}

/* The JSON report.html of @dir embeds (#bb-data), or NULL. */
static json_t *report_data(const char *dir)
{
	static const char open_tag[] = "<script id=\"bb-data\" type=\"application/json\">";
	char path[600], *text = NULL, *a, *b;
	json_t *j = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/report.html", dir);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	if (getdelim(&text, &len, '\0', f) > 0 && (a = strstr(text, open_tag)) &&
	    (b = strstr(a, "</script>"))) {
		*b = '\0';
		j = json_loads(a + strlen(open_tag), 0, NULL);
	}
	free(text);
	fclose(f);
	return j;
}

/*
 * The page's percentiles are st_hist_percentile's (latency_stats.csv's): the
 * midpoint of the bucket holding the ceil(p/100 * n)-th smallest value, a
 * value under 64 ns exact. Values 1..100 ns once each, in two epochs of one
 * phase: p50 = 50 (exact), p90 = 90.5 (bucket [90, 91)), p99 = 99.5, p99.9 =
 * 100.5 (the 100th value); the page's own formula (every bucket's midpoint)
 * gave 50.5 for p50, where latency_stats.csv says 50.
 */
static void test_latency_percentiles(void)
{
	static const double want[][2] = { { 50, 50 }, { 90, 90.5 }, { 99, 99.5 }, { 99.9, 100.5 } };
	static const char *const keys[] = { "p50", "p90", "p99", "p999" };
	char dir[512], cmd[1200], row[600];
	struct st_hist h;
	json_t *data, *ph;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/lat", tmpdir);
	snprintf(cmd, sizeof(cmd), "cp -r tests/data/results-mini %s", dir);
	ok(system(cmd) == 0, "latency: fixture copied");
	memset(&h, 0, sizeof(h));
	snprintf(row, sizeof(row), "%s/latency.csv", dir);
	f = fopen(row, "w");
	fputs("vm,workload,epoch,phase,transition,kind,bucket_lo_ns,bucket_hi_ns,count\n", f);
	for (uint64_t v = 1; v <= 100; v++) {
		unsigned b = st_bucket(v);

		st_hist_add(&h, v);
		fprintf(f, "bb-x-solo,hold,%d,steady,,access,%llu,%llu,1\n", v > 50,
			(unsigned long long)st_bucket_lo(b), (unsigned long long)st_bucket_hi(b));
	}
	fclose(f);
	hr_verbosity = -1;
	(void)hr_report(dir, 0);
	hr_verbosity = HR_INFO;
	data = report_data(dir);
	ph = json_array_get(json_object_get(json_array_get(json_object_get(json_array_get(
		json_object_get(data, "vms"), 4), "latency"), 0), "phases"), 0);
	ok(ph && !strcmp(json_string_value(json_object_get(ph, "phase")), "steady"),
	   "latency: the guest's steady phase is in the page");
	is_double(json_real_value(json_object_get(ph, "n")), 100, 0, "latency: both epochs merged");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		double got = json_real_value(json_object_get(ph, keys[i]));

		is_double(got, want[i][1] / 1e3, 1e-9, "latency: %s (us) by the definition", keys[i]);
		is_double(got, st_hist_percentile(&h, want[i][0]) / 1e3, 1e-9,
			  "latency: %s is st_hist_percentile's", keys[i]);
	}
	is_double(json_real_value(json_object_get(ph, "min")), 0.001, 1e-9, "latency: min, a bucket's bound");
	is_double(json_real_value(json_object_get(ph, "max")), 0.101, 1e-9, "latency: max, a bucket's bound");
	json_decref(data);
}

/*
 * The page's event list is in time order whatever the file's order (a signal
 * row of 3.99 s was once written after rows of 13 s), rows of one time as
 * they were in the file, a time that is not a number last.
 */
static void test_events_order(void)
{
	static const char *const want[] = { "boot", "signal", "a", "b", "c", "bad" };
	char dir[512], cmd[1200];
	json_t *data, *rows;
	size_t n;

	snprintf(dir, sizeof(dir), "%s/ev", tmpdir);
	snprintf(cmd, sizeof(cmd), "cp -r tests/data/results-mini %s", dir);
	ok(system(cmd) == 0, "events: fixture copied");
	write_file("ev/events.csv", "t_s,vm,event,detail\n"
		   "0.500000,x,boot,\"\"\n"
		   "13.000000,x,a,\"\"\n"
		   "nan?,x,bad,\"\"\n"
		   "13.000000,x,b,\"\"\n"
		   "14.000000,x,c,\"\"\n"
		   "3.990000,,signal,\"SIGINT received\"\n");
	hr_verbosity = -1;
	(void)hr_report(dir, 0);
	hr_verbosity = HR_INFO;
	data = report_data(dir);
	rows = json_object_get(json_object_get(data, "events"), "rows");
	n = json_array_size(rows);
	is_int((int)n, 6, "events: every row in the page");
	for (size_t i = 0; i < n && i < 6; i++)
		is_str(json_string_value(json_array_get(json_array_get(rows, i), 2)), want[i],
		       "events: row %zu by time (stable, a time that is no number last)", i);
	json_decref(data);
}

/* Whether series @s of the page ([[t...], [v...]]) is the @n points @x, @y. */
static int same_points(json_t *s, const double *x, const double *y, size_t n)
{
	json_t *t = json_array_get(s, 0), *v = json_array_get(s, 1);

	if (json_array_size(t) != n || json_array_size(v) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (json_real_value(json_array_get(t, i)) != x[i] ||
		    json_real_value(json_array_get(v, i)) != y[i])
			return 0;
	return 1;
}

/*
 * The page's series are rp_downsample's of the file's points, read as the
 * file streams by: the guest's, whose last point is among the file's last
 * rows (its end guessed right, one pass), and the host's, which stops a
 * quarter in (its end not there: a second pass), with values left out on the way.
 */
static void test_page_series(void)
{
	enum { N = 120000, B = 1500 };	/* 6.5 MB: more than the 4 MiB read for the guesses */
	static double gx[N], gy[N], hx[N], hy[N], ox[2 * B + 2], oy[2 * B + 2];
	char dir[512], cmd[1200], path[600];
	json_t *data, *vm = NULL, *v;
	size_t ng = 0, nh = 0, n, i;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/series", tmpdir);
	snprintf(cmd, sizeof(cmd), "cp -r tests/data/results-mini %s", dir);
	ok(system(cmd) == 0, "series: fixture copied");
	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	f = fopen(path, "w");
	fputs("t_s,vm,source,seq,t_guest_ns,balloon_mib,inflated_pages,deflated_pages,oom_kills,"
	      "mem_total_kib,mem_free_kib,actual_mib\n", f);
	for (i = 0; i < N; i++) {
		double t = (double)i / 1000, b = (double)(i * 7919 % 1000);

		if (i % 997 == 5) {
			fprintf(f, "%.6f,bb-x-two-r0-v0,guest,%zu,0,abc,0,0,0,0,0,\n", t, i);
			continue;	/* no value: no point */
		}
		fprintf(f, "%.6f,bb-x-two-r0-v0,guest,%zu,0,%.3f,0,0,0,0,0,\n", t, i, b);
		gx[ng] = t;
		gy[ng++] = 1024 - b;
		if (i % 8 == 0 && i < N / 4) {
			fprintf(f, "%.6f,bb-x-two-r0-v0,host,,,,,,,,,%.3f\n", t, b / 2);
			hx[nh] = t;
			hy[nh++] = b / 2;
		}
	}
	fclose(f);
	hr_verbosity = -1;
	(void)hr_report(dir, 0);
	hr_verbosity = HR_INFO;
	data = report_data(dir);
	json_array_foreach(json_object_get(data, "vms"), i, v)
		if (!strcmp(json_string_value(json_object_get(v, "name")) ?: "", "bb-x-two-r0-v0"))
			vm = v;
	n = rp_downsample(gx, gy, ng, B, ox, oy);
	ok(vm && same_points(json_object_get(vm, "guest"), ox, oy, n),
	   "series: the guest's, its end guessed: rp_downsample's %zu points of %zu", n, ng);
	n = rp_downsample(hx, hy, nh, B, ox, oy);
	ok(vm && same_points(json_object_get(vm, "host"), ox, oy, n),
	   "series: the host's, which ends a quarter in (a second pass): rp_downsample's %zu of %zu", n, nh);
	json_decref(data);
}

/* The page's vms[] entry of guest @name in @data, or NULL. */
static json_t *page_vm(json_t *data, const char *name)
{
	json_t *v, *vm = NULL;
	size_t i;

	json_array_foreach(json_object_get(data, "vms"), i, v)
		if (!strcmp(json_string_value(json_object_get(v, "name")) ?: "", name))
			vm = v;
	return vm;
}

/*
 * The demand trace (vms[].demand, computed from the spec, not read) is as
 * light as every series of the page however long the guest lived: an hour
 * of diurnal changes at every 50 ms step (72,000 points before), kept to at
 * most 2 * 1500 points with its low and its peak. A damaged run.json or
 * events.csv (a vm_index no guest has, a since_ms no run reaches, a time at
 * the bounds) leaves that guest without a trace or with a bounded one: no
 * cast out of range, no overflow (this runs under ASan and UBSan too).
 */
static void test_demand_bounded(void)
{
	static const char *const spec = "demand:shape=diurnal,low=16M,size=160M,period=60s,stagger=86400s";
	char dir[512], run[2048];
	json_t *data, *vm, *t, *m;
	double lo = INFINITY, hi = -INFINITY, prev = -INFINITY;
	int sorted = 1;
	size_t n, i;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/demand", tmpdir);
	(void)mkdir(dir, 0700);
	snprintf(run, sizeof(run), "{ \"scenario\": { \"file\": \"d.ini\", \"jobs\": "
		 "[ { \"name\": \"j\", \"label\": \"\", \"vms\": \"6\" } ] }, \"vms\": [ "
		 "{ \"name\": \"g0\", \"job\": \"j\", \"vm_index\": 0, \"workload\": { \"spec\": \"%s\" } }, "
		 "{ \"name\": \"gneg\", \"job\": \"j\", \"vm_index\": -1, \"workload\": { \"spec\": \"%s\" } }, "
		 "{ \"name\": \"ghuge\", \"job\": \"j\", \"vm_index\": 4294967295, \"workload\": { \"spec\": \"%s\" } }, "
		 "{ \"name\": \"gsince\", \"job\": \"j\", \"vm_index\": 1, \"workload\": { \"spec\": \"%s\" } }, "
		 "{ \"name\": \"gfar\", \"job\": \"j\", \"vm_index\": 255, \"workload\": { \"spec\": \"%s\" } }, "
		 "{ \"name\": \"ginf\", \"job\": \"j\", \"vm_index\": 2, \"workload\": { \"spec\": \"%s\" } } ] }",
		 spec, spec, spec, spec, spec, spec);
	write_file("demand/run.json", run);
	write_file("demand/events.csv", "t_s,vm,event,detail\n"
		   "0.000000,g0,workload-start,\"demand pid=1\"\n"
		   "1.000000,g0,workload-go,\"demand since_ms=0\"\n"
		   "3601.000000,g0,destroyed,\"done\"\n"
		   "0,gneg,workload-go,\"demand since_ms=0\"\n"
		   "3601,gneg,destroyed,\"done\"\n"
		   "0,ghuge,workload-go,\"demand since_ms=0\"\n"
		   "3601,ghuge,destroyed,\"done\"\n"
		   "0,gsince,workload-go,\"demand since_ms=1e300\"\n"
		   "3601,gsince,destroyed,\"done\"\n"
		   "-1000000000,gfar,workload-start,\"demand pid=1\"\n"
		   "1000000000,gfar,workload-go,\"demand since_ms=1000000000000\"\n"
		   "0,ginf,workload-go,\"demand since_ms=inf\"\n"
		   "1,ginf,workload-go,\"demand since_ms=nan\"\n"
		   "2,ginf,destroyed,\"done\"\n");
	hr_verbosity = -1;
	(void)hr_report(dir, 0);
	hr_verbosity = HR_INFO;
	data = report_data(dir);
	vm = page_vm(data, "g0");
	t = json_object_get(json_object_get(vm, "demand"), "t");
	m = json_object_get(json_object_get(vm, "demand"), "mib");
	n = json_array_size(t);
	ok(n > 1500 && n <= 2 * 1500 + 2 && json_array_size(m) == n,
	   "demand: an hour of diurnal, %zu points (at most 2 * 1500 + 2)", n);
	for (i = 0; i < n; i++) {
		double x = json_real_value(json_array_get(t, i)), y = json_real_value(json_array_get(m, i));

		sorted &= x >= prev;
		prev = x;
		lo = y < lo ? y : lo;
		hi = y > hi ? y : hi;
	}
	ok(sorted && n && json_real_value(json_array_get(t, 0)) <= 0 && prev == 3601,
	   "demand: in time order, from the workload's start to the guest's last event (%g)", prev);
	ok(lo < 16.5 && hi > 159.5, "demand: its low and its peak kept (%g..%g MiB)", lo, hi);
	ok(!json_object_get(page_vm(data, "gneg"), "demand") && !json_object_get(page_vm(data, "ghuge"), "demand"),
	   "demand: a vm_index of -1 or 2^32 - 1 in run.json: no trace");
	ok(page_vm(data, "gsince") && !json_object_get(page_vm(data, "gsince"), "demand") &&
	   !json_object_get(page_vm(data, "ginf"), "demand"),
	   "demand: since_ms=1e300, inf or nan: no GO, no trace");
	n = json_array_size(json_object_get(json_object_get(page_vm(data, "gfar"), "demand"), "t"));
	ok(n >= 2 && n <= 2 * 1500 + 2, "demand: 2e9 s from its start to its line (bounds of every time): %zu points", n);
	snprintf(run, sizeof(run), "%s/report.html", dir);
	if (stat(run, &st))
		st.st_size = -1;
	ok(st.st_size > 0 && st.st_size < 2 * 1024 * 1024, "demand: the page is %lld bytes (under 2 MiB)",
	   (long long)st.st_size);
	json_decref(data);
}

int main(void)
{
	char cmd[600];

	plan(99);
	if (!mkdtemp(tmpdir))
		return 1;
	test_csv();
	test_csv_stream();
	test_csv_numbers();
	test_csv_bad_numbers();
	test_downsample_rounding();
	test_downsample_hostile();
	test_downsample();
	test_summary();
	test_summary_end_reasons();
	test_summary_failed_guest();
	test_damaged();
	test_latency_percentiles();
	test_events_order();
	test_page_series();
	test_demand_bounded();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	(void)system(cmd);
	return done_testing();
}

/*
 * score.c - a policy job's scores (core/score.c) on figures a real run recorded (vm-overcommit, mom,
 * 2026-12-07), and scores.csv (report/scores.c) from a results directory written here: a baseline
 * job and a policy job, every score by hand.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "core/score.h"
#include "report/report.h"
#include "tap.h"

#define NEAR(a, b)	(fabs((a) - (b)) < 1e-6)

/* Host samples of guest v0 (320 MiB) as its balloon went 320 -> 304 MiB: t_s, actual_mib, qemu_rss_kib. */
static const double host[][3] = {
	{ 117.338673, 320, 280428 }, { 117.449954, 310, 270188 }, { 117.493752, 310, 270188 },
	{ 117.554542, 310, 270188 }, { 117.611152, 307, 266092 }, { 117.660032, 306, 265068 },
	{ 117.705871, 304, 264044 },
};
#define NHOST	(sizeof(host) / sizeof(host[0]))

static void test_step(void)
{
	struct hr_score_acc a, r;
	double want = 0, span = host[NHOST - 1][0] - host[0][0], rss = 0;

	memset(&a, 0, sizeof(a));
	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < NHOST; i++) {
		hr_score_step(&a, host[i][0], host[i][1]);
		hr_score_step(&r, host[i][0], host[i][2] / 1024);
		if (i) {
			want += (320 - host[i - 1][1]) * (host[i][0] - host[i - 1][0]);
			rss += host[i - 1][2] / 1024 * (host[i][0] - host[i - 1][0]);
		}
	}
	ok(NEAR(a.span, span), "the span is first to last sample (%.6f s)", a.span);
	ok(NEAR(hr_score_below_gib_s(&a, 320), want / 1024),
	   "saved: each sample's (nominal - actual) held to the next (%.6f GiB*s)", want / 1024);
	/* by hand: 10 MiB for 0.161198 s + 13 for 0.048880 + 14 for 0.045839 */
	ok(NEAR(hr_score_below_gib_s(&a, 320) * 1024,
		10 * (117.611152 - 117.449954) + 13 * 0.04888 + 14 * 0.045839),
	   "the same, summed by hand (%.6f MiB*s)", hr_score_below_gib_s(&a, 320) * 1024);
	ok(NEAR(hr_score_mean(&r), rss / span), "mean RSS, time-weighted (%.3f MiB)", hr_score_mean(&r));
	/* an unknown value counts neither way; a sample out of order is ignored */
	hr_score_step(&a, 118.0, NAN);
	hr_score_step(&a, 119.0, 300);
	hr_score_step(&a, 118.5, 100);
	hr_score_step(&a, 120.0, 300);
	ok(NEAR(a.span, span + (118.0 - 117.705871) + 1.0),
	   "an interval after an unknown value is left out, an earlier sample ignored");
	ok(NEAR(hr_score_below_gib_s(&a, 320) * 1024, want + 16 * (118.0 - 117.705871) + 20),
	   "and counts nothing");
	memset(&a, 0, sizeof(a));
	ok(hr_score_below_gib_s(&a, 320) == 0 && isnan(hr_score_mean(&a)), "no samples: 0 saved, no mean");
	hr_score_step(&a, 5, 100);
	ok(hr_score_below_gib_s(&a, 320) == 0 && a.span == 0, "one sample: no span");
}

static void test_counter(void)
{
	struct hr_score_counter c = { NAN, 0 }, z = { NAN, 0 };
	const double v[] = { 2, 2, 3, NAN, 5, 1, 4, -1 };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		hr_score_counter_add(&c, v[i], 0);
		hr_score_counter_add(&z, v[i], 1);
	}
	/* 2 (base) 3 (+1) 5 (+2) 1 (went back: +1) 4 (+3) */
	ok(c.sum == 7, "a cumulative counter's increments, one that went back counting afresh (%g)", c.sum);
	ok(z.sum == 9, "from zero: its first value counts too (%g)", z.sum);
}

static void test_churn(void)
{
	/* v0's six transitions' moved_mib, and a deflate */
	const double moved[] = { 15, 15, 15, 14, 13, 13, -40, NAN };

	ok(hr_score_churn(moved, 8) == 125, "churn: the sum of |moved| (%g MiB)", hr_score_churn(moved, 8));
	ok(hr_score_churn(moved, 0) == 0, "no transitions: 0");
}

/* v0's decisions (set = 1) and transitions, as recorded */
static const struct hr_score_decision dec[] = {
	{ 117.255020, 304 }, { 119.255018, 288 }, { 121.255022, 273 }, { 122.255045, 273 },
	{ 125.255090, 259 }, { 127.255016, 246 }, { 128.255082, 246 }, { 131.255047, 233 },
	{ 132.255024, 233 },
};
static const struct hr_score_trans tr[] = {
	{ 117.326206, 304, 344.604 }, { 119.341956, 288, 361.640 }, { 121.404145, 273, 471.239 },
	{ 125.345262, 259, 315.995 }, { 127.308658, 246, 263.282 }, { 131.324307, 233, 383.814 },
};

static void test_decide(void)
{
	double med, ms[9], want[9] = { 415.790, 448.578, 620.362, NAN, 406.167, 316.924, NAN, 453.074, NAN };
	size_t got = hr_score_decide_latency(dec, 9, tr, 6, ms);
	int bad = 0;
	struct hr_score_trans late[] = { { 117.9, 304, NAN }, { 119.5, 300, 10 } };
	struct hr_score_decision two[] = { { 117.255020, 304 }, { 119.0, 300 } };

	for (int i = 0; i < 9; i++)
		if (isnan(want[i]) != isnan(ms[i]) || (!isnan(want[i]) && fabs(ms[i] - want[i]) > 0.0015)) {
			diag("decision %d: %.3f, want %.3f", i, ms[i], want[i]);
			bad++;
		}
	ok(got == 6 && !bad, "decide-to-target: t_set - decided + t100, for 6 of 9 decisions (%zu)", got);
	ok(isnan(ms[3]) && isnan(ms[6]),
	   "a decision re-proposing a target already set has no transition of its own: none");
	med = hr_score_median(ms, 9);
	ok(fabs(med - (415.790 + 448.578) / 2) < 0.0015, "the median of those 6 (%.3f ms)", med);
	got = hr_score_decide_latency(two, 2, late, 2, ms);
	ok(got == 1 && isnan(ms[0]) && NEAR(ms[1], 510),
	   "a transition that did not reach its target gives no latency; the next decision's own does");
	got = hr_score_decide_latency(two, 1, tr + 1, 1, ms);
	ok(got == 0 && isnan(ms[0]), "a transition to another target is not the decision's");
	ok(isnan(hr_score_median(ms, 0)), "median of nothing: NAN");
}

static void test_slo(void)
{
	struct hr_score_slo s;

	memset(&s, 0, sizeof(s));
	/* one second of 10 bins: 1000 accesses, 10 slow (p99 under slow=): not a violation */
	for (int i = 0; i < 10; i++)
		hr_score_slo_add(&s, 5.0 + i * 0.1, 100, 1);
	/* the next: 11 of 1000 slow (its p99 slow): one; a bin out of order joins the open window */
	for (int i = 0; i < 10; i++)
		hr_score_slo_add(&s, 6.0 + i * 0.1, 100, i == 9 ? 2 : 1);
	hr_score_slo_add(&s, 5.5, 0, 0);
	/* a second without accesses is not counted; then one of the recorded touch bins, every access slow */
	hr_score_slo_add(&s, 7.2, 0, 0);
	hr_score_slo_add(&s, 40.0, 16189, 16189);
	hr_score_slo_end(&s);
	ok(s.windows == 3 && s.violated == 2,
	   "SLO: 1 s windows with accesses (%g), those with more than 1 %% slow (%g)", s.windows, s.violated);
	hr_score_slo_end(&s);
	ok(s.windows == 3, "closing twice counts once");
}

static void test_ratio(void)
{
	ok(NEAR(hr_score_ratio(960, 768), 1.25), "overcommit: 960 MiB over a 768 MiB budget is 1.25");
	ok(isnan(hr_score_ratio(960, NAN)) && isnan(hr_score_ratio(1, 0)) && isnan(hr_score_ratio(NAN, 1)),
	   "a ratio with an unknown side or a zero base is none");
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The line of @dir's scores.csv that starts with @prefix, into @out ("" if none). */
static void line_of(const char *dir, const char *prefix, char *out, size_t size)
{
	char path[4096], line[1024];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/scores.csv", dir);
	if (!(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, prefix, strlen(prefix))) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, size, "%s", line);
		}
	fclose(f);
}

/* rp_scores_write(@dir, @run, 1)'s table (stdout) into @out; its return, or -2 if stdout could not be caught. */
static int printed(const char *dir, json_t *run, char *out, size_t size)
{
	char path[4096];
	FILE *f;
	size_t n = 0;
	int saved, fd, rc;

	snprintf(path, sizeof(path), "%s/printed.txt", dir);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (saved < 0 || fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		if (fd >= 0)
			close(fd);
		return -2;
	}
	close(fd);
	rc = rp_scores_write(dir, run, 1);
	fflush(stdout);
	(void)dup2(saved, STDOUT_FILENO);
	close(saved);
	if ((f = fopen(path, "r"))) {
		n = fread(out, 1, size - 1, f);
		fclose(f);
	}
	out[n] = '\0';
	return rc;
}

/* The cell of printed @table's line @ln (0: the header) under its header's column @col, spaces cut; "" if none. */
static void cell(const char *table, int ln, const char *col, char *out, size_t size)
{
	const char *hdr = strstr(table, "\njob "), *row, *c, *end;
	size_t start, stop, len;

	out[0] = '\0';
	if (!hdr || !(c = strstr(hdr + 1, col)) || strchr(hdr + 1, '\n') < c)
		return;
	row = hdr + 1;
	for (int i = 0; i < ln && row; i++)
		row = strchr(row, '\n') ? strchr(row, '\n') + 1 : NULL;
	if (!row || !*row)
		return;
	stop = (size_t)(c - (hdr + 1)) + strlen(col);	/* right-aligned: the cell ends where its header does */
	start = stop;
	end = strchr(row, '\n');
	len = end ? (size_t)(end - row) : strlen(row);
	if (stop > len)
		return;
	while (start > 0 && row[start - 1] != ' ')
		start--;
	snprintf(out, size, "%.*s", (int)(stop - start), row + start);
}

/*
 * Two jobs of two 512 MiB guests: base (no budget) and mom (a 600 MiB budget).
 * base: actual 512 and RSS 300 MiB throughout; latencies 990 x 1000 ns, 10 x 10000 ns.
 * mom: a third guest, m2, failed (its QEMU killed: counted in the nominal and guests_failed only);
 * v0 512 -> 412 MiB at t = 1 s (100 MiB for 1 s: 100 MiB*s), RSS 300 then 250
 * (mean 275); v1 the same actual, RSS 200; its guest OOM counter 0 -> 2; the budget's
 * oom_kill 0 -> 1; latencies doubled (2000 and 20000 ns: p99 twice the baseline's);
 * transitions 100, 100 and -50 MiB (churn 250); decisions at 0.5 s (both, 412) and
 * 1.4 s (v1, 462): decided -> set -> reached 100 + 200, 200 + 100, 100 + 50 ms. Access
 * bins: b0 one second of 100 accesses, none slow; m1 two seconds of 1000, 10 and 11 slow (the
 * second over the SLO). mom's decisions from 0 to 2 s: its window; base has none (its whole life).
 */
static void test_scores_csv(void)
{
	char dir[] = "/tmp/bb-score-XXXXXX", line[1024];
	json_t *run;

	if (!mkdtemp(dir)) {
		ok(0, "a scratch directory");
		return;
	}
	put(dir, "run.json", "{\"failed_guests\":[\"m2\"],\"scenario\":{\"file\":\"oc.ini\",\"jobs\":["
	    "{\"name\":\"base\",\"label\":\"\",\"policy\":\"none\",\"host-budget\":\"\",\"memory\":\"512M\",\"vms\":\"2\"},"
	    "{\"name\":\"mom\",\"label\":\"\",\"policy\":\"mom\",\"host-budget\":\"600M\",\"memory\":\"512M\",\"vms\":2}]},"
	    "\"vms\":[{\"name\":\"b0\",\"job\":\"base\",\"rep\":0,\"vm_index\":0,\"memory_mib\":512,\"warmup\":false},"
	    "{\"name\":\"b1\",\"job\":\"base\",\"rep\":0,\"vm_index\":1,\"memory_mib\":512,\"warmup\":false},"
	    "{\"name\":\"m0\",\"job\":\"mom\",\"rep\":0,\"vm_index\":0,\"memory_mib\":512,\"warmup\":false},"
	    "{\"name\":\"m1\",\"job\":\"mom\",\"rep\":0,\"vm_index\":1,\"memory_mib\":512,\"warmup\":false},"
	    "{\"name\":\"m2\",\"job\":\"mom\",\"rep\":0,\"vm_index\":2,\"memory_mib\":512,\"warmup\":false}]}\n");
	put(dir, "samples.csv", "t_s,vm,source,actual_mib,qemu_rss_kib,oom_kills\n"
	    "0,b0,host,512,307200,\n0,b1,host,512,307200,\n0,m0,host,512,307200,\n0,m1,host,512,204800,\n"
	    "0.5,m1,guest,,,0\n"
	    "1,b0,host,512,307200,\n1,b1,host,512,307200,\n1,m0,host,412,256000,\n1,m1,host,412,204800,\n"
	    "1.5,m1,guest,,,2\n"
	    "2,b0,host,512,307200,\n2,b1,host,512,307200,\n2,m0,host,412,256000,\n2,m1,host,412,204800,\n");
	put(dir, "budget.csv", "t_s,job,rep,kind,vm,limit_mib,oom_kill\n"
	    "0,mom,0,budget,,600.000,0\n1,mom,0,qemu,m0,,\n2,mom,0,budget,,600.000,1\n");
	put(dir, "transitions.csv", "vm,job,rep,label,direction,warmup,end_reason,moved_mib,to_mib,t_set_s,t100_ms\n"
	    "m0,mom,0,\"\",inflate,0,reached,100,412,0.6,200\n"
	    "m1,mom,0,\"\",inflate,0,reached,100,412,0.7,100\n"
	    "m1,mom,0,\"\",deflate,0,reached,-50,462,1.5,50\n");
	put(dir, "decisions.csv", "t_s,vm,set,target_mib,reason\n"
	    "0,m0,0,512,x\n0,m1,0,512,x\n"
	    "0.5,m0,1,412,\"x, y\"\n0.5,m1,1,412,x\n1.4,m0,0,412,x\n1.4,m1,1,462,x\n"
	    "2,m0,0,412,x\n2,m1,0,462,x\n");
	put(dir, "faults.csv", "t_s,vm,accesses,slow_accesses\n"
	    "0.05,b0,100,0\n"
	    "0.0,m1,500,5\n0.5,m1,500,5\n1.0,m1,500,5\n1.5,m1,500,6\n");
	put(dir, "latency.csv", "vm,bucket_lo_ns,count\n"
	    "b0,1000,990\nb0,10000,10\nb1,1000,990\nb1,10000,10\n"
	    "m0,2000,990\nm0,20000,10\nm1,2000,990\nm1,20000,10\n");
	run = rp_run_load(strcat(strcpy(line, dir), "/run.json"));
	ok(run && rp_scores_write(dir, run, 0) == 0, "scores.csv written");
	if (!run)
		hr_error_print();
	json_decref(run);
	line_of(dir, "mom,\"\",0,all,", line, sizeof(line));
	/* 1536 (m2 failed: counted in the nominal only) / 600; 200 MiB*s; 100 / 2 + 100 / 2 MiB; 275 + 200 MiB over 600; 1 and 2 OOM kills;
	 * p99 2008 ns (bucket [2000, 2016)) over 1004; p99.9 20096 over 10048; 3 changes, 3 set, median 300 ms */
	is_str(line, "mom,\"\",0,all,mom,base,2,1536.000,600.000,4.000,2.5600,0.195,100.000,475.000,0.7917,1,2,"
	       "2.008,20.096,2.0000,2.0000,250.000,3,3,300.000,2,1,1,,", "the policy job's row of its guests together");
	line_of(dir, "mom,\"\",0,m1,", line, sizeof(line));
	is_str(line, "mom,\"\",0,m1,mom,base,1,512.000,600.000,2.000,,0.098,50.000,200.000,0.6667,,2,"
	       "2.008,20.096,2.0000,2.0000,150.000,2,2,225.000,2,1,,,",
	       "a guest's row: its ratios against the baseline's guest of its index, no overcommit or host OOM of its own");
	line_of(dir, "base,\"\",0,all,", line, sizeof(line));
	is_str(line, "base,\"\",0,all,none,base,2,1024.000,,4.000,,0.000,0.000,600.000,1.0000,,0,"
	       "1.004,10.048,1.0000,1.0000,0.000,0,0,,1,0,0,,",
	       "the baseline: its own ratios 1, no budget (no overcommit, no host OOM count)");
	ok(hr_summary_dir(dir, 0) == 0, "summary.csv written with the scores");
	/* a window of 0.5 to 1.4 s (the decisions that proposed) holds no two host samples of m0 */
	put(dir, "decisions.csv", "t_s,vm,set,target_mib,reason\n0.5,m0,1,412,x\n0.5,m1,1,412,x\n1.4,m1,1,462,x\n");
	run = rp_run_load(strcat(strcpy(line, dir), "/run.json"));
	ok(run && rp_scores_write(dir, run, 0) == 0, "scores.csv written again");
	json_decref(run);
	line_of(dir, "mom,\"\",0,m0,", line, sizeof(line));
	ok(!strncmp(line, "mom,\"\",0,m0,mom,base,1,512.000,600.000,0.000,,0.000,,,", 48),
	   "the host samples are taken in the policy's window only (first to last decision): none here (%.48s)", line);
	/* the bring-up phase's decisions (before the start line) open no window: the same m0 row */
	put(dir, "decisions.csv", "t_s,vm,set,target_mib,reason,phase\n0,m0,1,480,x,bring-up\n0,m1,0,512,x,bring-up\n"
	    "0.5,m0,1,412,x,run\n0.5,m1,1,412,x,run\n1.4,m1,1,462,x,run\n");
	/* the kernel log's count of the budget's kills, where budget.csv has it, over v1's oom_kill */
	put(dir, "budget.csv", "t_s,job,rep,kind,vm,limit_mib,oom_kill,kmsg_oom_kills,swap_in_mib,swap_out_mib\n"
	    "0,mom,0,budget,,600.000,0,0,0.000,0.000\n1,mom,0,qemu,m0,,,,,\n"
	    "2,mom,0,budget,,600.000,0,3,12.500,40.250\n");
	run = rp_run_load(strcat(strcpy(line, dir), "/run.json"));
	ok(run && rp_scores_write(dir, run, 0) == 0, "scores.csv written with decisions' phases and the kernel log's kills");
	{
		static char table[8192];
		char in[32], out[32], bin[32], bout[32], hoom[32];
		const char *h;
		size_t hl = 0, rl[2] = { 0, 0 };

		int rc = run ? printed(dir, run, table, sizeof(table)) : -1;

		ok(rc == 0, "the table printed (%zu bytes)", strlen(table));
		if ((h = strstr(table, "\njob "))) {
			const char *r = strchr(h + 1, '\n');

			hl = r ? (size_t)(r - h - 1) : 0;
			for (int i = 0; i < 2 && r && r[1]; i++) {
				const char *e = strchr(r + 1, '\n');

				rl[i] = e ? (size_t)(e - r - 1) : 0;
				r = e;
			}
		}
		cell(table, 1, "swpInMB", bin, sizeof(bin));
		cell(table, 1, "swpOutMB", bout, sizeof(bout));
		cell(table, 2, "hOOM", hoom, sizeof(hoom));
		cell(table, 2, "swpInMB", in, sizeof(in));
		cell(table, 2, "swpOutMB", out, sizeof(out));
		ok(h && strstr(h, " hOOM swpInMB swpOutMB  gOOM ") && hl && rl[0] == hl && rl[1] == hl,
		   "the table's header has swpInMB and swpOutMB after hOOM; each row as wide as it (%zu, %zu, %zu)",
		   hl, rl[0], rl[1]);
		ok(!strcmp(in, "12.5") && !strcmp(out, "40.2") && !strcmp(hoom, "3") && !strcmp(bin, "-") &&
		   !strcmp(bout, "-"), "the table's swpInMB, swpOutMB: scores.csv's host swap (%s, %s; hOOM %s); "
		   "the baseline, no budget: %s, %s", in, out, hoom, bin, bout);
		if (!h || rl[0] != hl)
			diag("%s", table);
	}
	json_decref(run);
	line_of(dir, "mom,\"\",0,m0,", line, sizeof(line));
	ok(!strncmp(line, "mom,\"\",0,m0,mom,base,1,512.000,600.000,0.000,,0.000,,,", 48),
	   "decisions of phase bring-up stay out of the window: none of m0's host samples in it (%.48s)", line);
	line_of(dir, "mom,\"\",0,all,", line, sizeof(line));
	{
		const char *p = line;

		for (int i = 0; i < 15 && p; i++)	/* host_oom_kills: the 16th column */
			p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
		ok(p && !strncmp(p, "3,", 2), "host_oom_kills is budget.csv's kmsg_oom_kills (3), not its oom_kill (0): %s",
		   p ? p : "(none)");
		p = strlen(line) > 14 ? line + strlen(line) - 14 : line;
		ok(!strcmp(p, ",12.500,40.250"), "host_swap_in_mib and host_swap_out_mib: budget.csv's last swap_in_mib "
		   "and swap_out_mib (%s)", p);
	}
	{
		char path[4096], buf[1 << 16];
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "%s/summary.csv", dir);
		f = fopen(path, "r");
		n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		buf[n] = '\0';
		if (f)
			fclose(f);
		ok(strstr(buf, ",mom,\"\",all,job,overcommit_ratio,x,higher,1,2.56,") &&
		   strstr(buf, ",mom,\"\",v1,job,rss_ratio,x,lower,1,0.6667,") &&
		   strstr(buf, ",mom,\"\",all,inflate,control_latency_ms,") == NULL &&
		   strstr(buf, ",mom,\"\",all,inflate,t100_ms,ms,lower,2,150,"),
		   "summary.csv: the scores as direction job (all and per guest), the transitions as before");
	}
	{
		char cmd[8192];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			diag("could not remove %s", dir);
	}
}

int main(void)
{
	plan(37);
	test_step();
	test_counter();
	test_churn();
	test_decide();
	test_slo();
	test_ratio();
	test_scores_csv();
	return tap_failed ? 1 : 0;
}

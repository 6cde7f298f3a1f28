/* scenario.c - scenario files: size/duration parsers, option defaults, loading and error lines. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/scenario.h"
#include "tap.h"

#define DATA	"tests/data/"
#define GIB	(1024ull * 1024)

static void test_parse_size(void)
{
	static const struct { const char *s; uint64_t kib; } good[] = {
		{ "512M", 524288 }, { "2G", 2 * GIB }, { "1048576K", 1048576 },
		{ "1.5G", 1572864 }, { "100", 102400 }, { "0.5M", 512 }, { " 2g ", 2 * GIB },
		{ "256MiB", 262144 }, { "1T", 1024 * GIB },
	};
	static const char *const bad[] = {
		"", "abc", "-1M", "12Q", "0.5K", "101%", "0%", "M", "1M2", "%", "1.2.3G",
		"0x10M", "1e3M", "inf", "nan", "+5M", ".",
	};
	struct hr_size sz;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&sz, 0xff, sizeof(sz));
		is_int(hr_parse_size(good[i].s, &sz), 0, "size \"%s\" parses", good[i].s);
		ok(sz.kib == good[i].kib && sz.percent == 0, "  to %llu KiB (got %llu)",
		   (unsigned long long)good[i].kib, (unsigned long long)sz.kib);
	}
	is_int(hr_parse_size("50%", &sz), 0, "size \"50%%\" parses");
	is_double(sz.percent, 50, 0, "  as 50 percent");
	is_int(hr_parse_size("100%", &sz), 0, "size \"100%%\" parses");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(hr_parse_size(bad[i], &sz), -1, "size \"%s\" rejected", bad[i]);
}

static void test_parse_duration(void)
{
	static const struct { const char *s; uint64_t us; } good[] = {
		{ "250us", 250 }, { "500ms", 500000 }, { "10s", 10000000 }, { "2m", 120000000 },
		{ "1h", 3600000000ull }, { "30", 30000000 }, { "1.5s", 1500000 }, { "0", 0 },
	};
	static const char *const bad[] = { "", "abc", "-1s", "10x", "5 sec", "ms", "1d", "s",
					   "0x10s", "1e3ms", "infs", "1 0s" };
	uint64_t us;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int r;

		us = 12345;
		r = hr_parse_duration(good[i].s, &us);
		ok(r == 0 && us == good[i].us,
		   "duration \"%s\" = %llu us (got %llu)", good[i].s,
		   (unsigned long long)good[i].us, (unsigned long long)us);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(hr_parse_duration(bad[i], &us), -1, "duration \"%s\" rejected", bad[i]);
}

static void test_defaults(void)
{
	struct hr_job *j = calloc(1, sizeof(*j));
	char err[256] = "";
	int zero_lines = 1;

	if (!j)
		abort();
	hr_job_defaults(j);
	is_int(j->memory_kib, GIB, "default memory 1G");
	is_int(j->vcpus, 2, "default vcpus 2");
	is_int(j->sample_hz, 1000, "default sample-rate 1000");
	is_int(j->idle_hz, 10, "default idle-sample-rate 10");
	is_int(j->host_hz, 50, "default host-sample-rate 50");
	is_int(j->cycles, 1, "default cycles 1");
	is_int(j->accel, HR_ACCEL_AUTO, "default accel auto");
	ok(j->ntargets == 2 && j->targets[0].kib == 262144 && j->targets[1].percent == 100,
	   "default targets 256M,100%%");
	ok(j->settle_us == 500000 && j->stall_us == 500000 && j->peak_window_us == 100000,
	   "default settle 500ms, stall 500ms, peak-window 100ms");
	ok(j->timeout_us == 120000000 && j->give_up_us == 10000000 &&
	   j->boot_timeout_us == 120000000 && j->kvm_boot_timeout_us == 20000000,
	   "default timeout 120s, give-up 10s, boot-timeout 120s, kvm-boot-timeout 20s");
	ok(j->stats_period == 1 && !j->deflate_on_oom && !j->free_page_reporting,
	   "default stats-period 1, deflate-on-oom 0, free-page-reporting 0");
	ok(!j->name[0] && !j->description[0] && !j->kernel[0] && !j->initrd[0] && !j->cmdline[0],
	   "default strings empty");
	for (size_t i = 0; i < sizeof(j->line) / sizeof(j->line[0]); i++)
		zero_lines &= j->line[i] == 0;
	ok(zero_lines, "defaults set on no line");

	is_int(hr_job_set(j, "vcpus", "8", err, sizeof(err)), 0, "hr_job_set vcpus=8");
	is_int(j->vcpus, 8, "  sets it");
	is_int(hr_job_set(j, "no-such-option", "1", err, sizeof(err)), -1,
	       "hr_job_set of an unknown option fails");
	ok(strstr(err, "no-such-option") != NULL, "  naming it: %s", err);
	free(j);
}

/*
 * Load @path with stderr captured into @out. Returns hr_scenario_load()'s
 * result; @sc is freed (text) but its jobs stay readable.
 */
static int do_load(struct hr_scenario *to, const char *path)
{
	return hr_scenario_load(path, to);
}

/* Run @fn(@sc, @arg) with stderr captured into @out. */
static int capture(int (*fn)(struct hr_scenario *, const char *), struct hr_scenario *to,
		   const char *arg, char *out, size_t size)
{
	char tmpl[] = "/tmp/bb-scenario-test-XXXXXX";
	int fd = mkstemp(tmpl), saved, r;
	ssize_t n;

	if (fd < 0 || (saved = dup(2)) < 0)
		abort();
	fflush(stderr);
	dup2(fd, 2);
	r = fn(to, arg);
	if (r)
		hr_error_print();	/* the test is the command layer: it says the error */
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, out, size - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(tmpl);
	return r;
}

/* Load @path (stderr into @out); the jobs stay in @sc, its text is freed. */
static int load(const char *path, struct hr_scenario *sc, char *out, size_t size)
{
	int r = capture(do_load, sc, path, out, size);

	hr_scenario_free(sc);
	return r;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static struct hr_scenario *sc;

static void test_valid(void)
{
	char err[4096];
	const struct hr_job *a = &sc->jobs[0], *b = &sc->jobs[1];

	is_int(load(DATA "valid.ini", sc, err, sizeof(err)), 0, "valid.ini loads");
	is_str(err, "", "  silently");
	is_int(sc->njobs, 2, "  two jobs");
	is_str(a->name, "inflate", "job 1 named after its section");
	is_str(a->description, "inherits everything but cycles", "job 1 description");
	is_int(a->memory_kib, GIB, "job 1 inherits memory = 1G");
	is_int(a->vcpus, 4, "job 1 inherits vcpus = 4");
	is_int(a->accel, HR_ACCEL_TCG, "job 1 inherits accel = tcg");
	is_int(a->sample_hz, 2000, "job 1 inherits sample-rate = 2000");
	is_int(a->cycles, 3, "job 1 sets cycles = 3");
	is_int(a->settle_us, 500000, "job 1 keeps the default settle");
	ok(a->ntargets == 2 && a->targets[0].kib == 262144 && a->targets[0].percent == 25 &&
	   a->targets[1].kib == 524288, "job 1 targets: 25%% of 1G = 262144 KiB, 512M");
	is_int(a->line[0], 5, "job 1: accel set on line 5 (in [global])");

	is_str(b->name, "small", "job 2 named after its section");
	is_int(b->memory_kib, 524288, "job 2 overrides memory = 512M");
	is_int(b->vcpus, 1, "job 2 overrides vcpus = 1");
	is_int(b->accel, HR_ACCEL_KVM, "job 2 overrides accel = KVM (case-insensitive)");
	is_int(b->cycles, 1, "job 2 keeps the default cycles");
	is_int(b->sample_hz, 2000, "job 2 inherits sample-rate");
	is_int(b->settle_us, 250000, "job 2 settle = 250ms");
	is_int(b->deflate_on_oom, 1, "job 2 deflate-on-oom = yes");
	ok(b->ntargets == 2 && b->targets[0].kib == 262144 && b->targets[1].kib == 524288,
	   "job 2 targets: 50%% and 100%% of 512M");
}

static void test_solo(void)
{
	char err[4096];

	is_int(load(DATA "solo.ini", sc, err, sizeof(err)), 0, "solo.ini loads");
	is_int(sc->njobs, 1, "  one job");
	is_str(sc->jobs[0].name, "solo", "  named after the file");
	ok(sc->jobs[0].vcpus == 3 && sc->jobs[0].ntargets == 2 &&
	   sc->jobs[0].targets[0].kib == 131072 && sc->jobs[0].targets[1].kib == 786432,
	   "  with [global]'s values (targets 128M, 75%% of 1G)");
}

/* scenario.h: "every other section is a job", keys or not. */
static void test_empty_job(void)
{
	char err[4096];

	is_int(load(DATA "empty-job.ini", sc, err, sizeof(err)), 0, "empty-job.ini loads");
	is_int(sc->njobs, 3, "  a section without keys is a job too");
	ok(sc->njobs == 3 && !strcmp(sc->jobs[1].name, "idle") && sc->jobs[1].vcpus == 3,
	   "  [idle] is job 2, with [global]'s vcpus");
}

/* An indented "[b]" after a key starts job b and is not also the rest of that key's value. */
static void test_indented(void)
{
	char err[4096];

	is_int(load(DATA "indented.ini", sc, err, sizeof(err)), 0, "indented.ini loads: %s", err);
	is_int(sc->njobs, 2, "  two jobs: the indented [b] is a header");
	is_str(sc->jobs[0].description, "first", "  [a]'s description is its own line's");
	ok(sc->njobs == 2 && !strcmp(sc->jobs[1].name, "b") && !sc->jobs[1].description[0] &&
	   sc->jobs[1].memory_kib == 2 * GIB && sc->jobs[1].targets[0].kib == GIB,
	   "  [b]: no description ('%s'), memory 2G, an indented targets = 1G",
	   sc->njobs == 2 ? sc->jobs[1].description : "");
}

/* Loading @file fails with exactly one line "FILE:LINE: ..." holding @what. */
static void expect_error(const char *file, int line, int alt_line, const char *what)
{
	char err[4096], want[256], alt[256];

	snprintf(want, sizeof(want), "%s:%d: ", file, line);
	snprintf(alt, sizeof(alt), "%s:%d: ", file, alt_line);
	is_int(load(file, sc, err, sizeof(err)), -1, "%s: load fails", file);
	ok(count_lines(err) == 1 && (strstr(err, want) || (alt_line && strstr(err, alt))) &&
	   strstr(err, what), "%s: one line naming line %d and '%s'", file, line, what);
	diag("stderr: %.*s", (int)strcspn(err, "\n"), err);
}

static void test_errors(void)
{
	expect_error(DATA "err-unknown-key.ini", 3, 0, "colour");
	expect_error(DATA "err-int.ini", 2, 0, "cycles");
	expect_error(DATA "err-size.ini", 3, 0, "memory");
	expect_error(DATA "err-duration.ini", 4, 0, "settle");
	expect_error(DATA "err-enum.ini", 2, 0, "auto, kvm, tcg");
	expect_error(DATA "err-bool.ini", 3, 0, "deflate-on-oom");
	expect_error(DATA "err-range.ini", 2, 0, "vcpus");
	expect_error(DATA "err-target.ini", 6, 0, "1G");
	expect_error(DATA "err-syntax.ini", 3, 0, "expected");
	/* The duplicate's [a] header (5) or its first key (6). */
	expect_error(DATA "err-dup-job.ini", 5, 6, "[a]");
	/* The same, with the two [a] sections next to each other. */
	expect_error(DATA "err-dup-adjacent.ini", 3, 4, "[a]");
	/* Default targets (256M) above memory=128M: name memory='s line, not line 0. */
	expect_error(DATA "err-target-default.ini", 3, 0, "256M");
	/* (100 + 1 warm-up) x 3 guests: refused before anything boots */
	expect_error(DATA "err-guests.ini", 2, 0, "at most 256");
	expect_error(DATA "err-matrix-many.ini", 2, 0, "17 values, expected at most 16");
	expect_error(DATA "err-name.ini", 3, 0, "bad name!");
	expect_error(DATA "err-pct.ini", 3, 0, "150%");
	expect_error(DATA "err-idle-rate.ini", 3, 0, "above sample-rate");
	expect_error(DATA "err-node.ini", 3, 0, "node=3");
	expect_error(DATA "err-target-min.ini", 3, 0, "entry 2 is below 4M");
	expect_error(DATA "err-period.ini", 3, 0, "pace=period needs period > 0");
	expect_error(DATA "err-wl-unit.ini", 3, 0, "size: '256' needs a unit");
	expect_error(DATA "err-wl-name.ini", 3, 0, "unknown workload 'hog'");
	/* host lists: a syntax error is bad input, not a layout this host lacks (a skip) */
	expect_error(DATA "err-pin.ini", 2, 0, "vcpu-pin: '0-x'");
	expect_error(DATA "err-numa-nodes.ini", 3, 0, "host-numa-nodes: 'foo'");
}

static int do_set(struct hr_scenario *to, const char *kv)
{
	return hr_scenario_set(to, kv);
}

/* --set: applied to every job, validated again; errors name the section and the --set. */
static void test_set(void)
{
	char err[4096];
	int r;

	r = capture(do_load, sc, DATA "trace.ini", err, sizeof(err));
	is_int(r, 0, "trace.ini (a relative trace beside it) loads: %s", err);
	is_str(sc->jobs[0].trace, DATA "trace-valid.csv", "  the trace is found beside the scenario");
	r = capture(do_set, sc, "seed=7", err, sizeof(err));
	is_int(r, 0, "--set seed=7 validates again: %.*s", (int)strcspn(err, "\n"), err);
	is_str(sc->jobs[0].trace, DATA "trace-valid.csv", "  ... without prefixing the trace's directory twice");
	r = capture(do_set, sc, "workload=bogus", err, sizeof(err));
	ok(r == -1 && count_lines(err) == 1 && strstr(err, DATA "trace.ini:2: [t] workload") &&
	   strstr(err, "with --set workload=bogus"),
	   "--set workload=bogus: one line naming the job's section and the --set: %.*s",
	   (int)strcspn(err, "\n"), err);
	hr_scenario_free(sc);
	(void)capture(do_load, sc, DATA "trace.ini", err, sizeof(err));	/* without the bogus workload */
	r = capture(do_set, sc, "repeat=300", err, sizeof(err));
	ok(r == -1 && strstr(err, "301 guests"), "--set repeat=300 (301 guests with the warm-up run): %.*s",
	   (int)strcspn(err, "\n"), r ? err : "accepted");
	hr_scenario_free(sc);
}

/* Write @text to a temporary scenario file at @path (a mkstemp template). */
static void write_ini(char *path, const char *text)
{
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

/*
 * rounds=: the order (hr_rounds_plan) takes every job in file order in each
 * round; each job's runs over the rounds are [0, runs) in order, exactly the
 * repetitions (and warm-up runs) of repeat= x rounds= back to back; a job
 * that says another rounds= is refused at its line.
 */
static void test_rounds(void)
{
	char path[] = "/tmp/bb-rounds-test-XXXXXX", bad[] = "/tmp/bb-rounds-bad-XXXXXX", err[4096], want[300];
	char order[] = "/tmp/bb-rounds-rev-XXXXXX", order2[] = "/tmp/bb-rounds-shuf-XXXXXX";
	char bad2[] = "/tmp/bb-rounds-bad2-XXXXXX", seq[80];
	struct hr_round_step st[32];
	int n, good = 1;

	write_ini(path, "[global]\nmemory = 256M\nrounds = 3\nrepeat = 2\n[a]\n[b]\nparallel = 1\n[c]\n");
	is_int(load(path, sc, err, sizeof(err)), 0, "rounds=3, repeat=2: loads: %s", err);
	n = hr_rounds_plan(sc, st, 16);
	is_int(n, 9, "  9 steps: 3 rounds x 3 jobs");
	for (int i = 0; i < n; i++)
		good &= st[i].round == i / 3 && st[i].job == i % 3;
	ok(good, "  round by round, every job in file order in each");
	ok(st[0].from == 0 && st[0].to == 3 && st[3].from == 3 && st[3].to == 5 && st[6].from == 5 && st[6].to == 7,
	   "  job a: runs [0,3) (the warm-up and repeat=) in round 1, [3,5), [5,7) after (%d-%d %d-%d %d-%d)",
	   st[0].from, st[0].to, st[3].from, st[3].to, st[6].from, st[6].to);
	ok(hr_job_runs(&sc->jobs[0]) == 7 && hr_job_warmups(&sc->jobs[0]) == 1 && hr_job_measured(&sc->jobs[0]) == 6,
	   "  7 runs, 1 warm-up, 6 measured: repeat=6's");
	is_int(hr_rounds_plan(sc, st, 2), 9, "  a short array: the count all the same");
	hr_scenario_free(sc);

	/* every rounds x repeat x warmup-runs: the rounds' runs tile repeat x rounds' whole */
	good = 1;
	for (int r = 1; r <= 5; r++)
		for (int rep = 1; rep <= 4; rep++)
			for (int w = 0; w <= 2; w++) {
				struct hr_job j = { .rounds = r, .repeat = rep, .warmup_runs = w }, k = j;
				int next = 0, from, to;

				k.rounds = 1;
				k.repeat = rep * r;
				for (int i = 0; i < r; i++) {
					hr_round_runs(&j, i, &from, &to);
					good &= from == next && to > from && (i == 0 || from >= hr_job_warmups(&j));
					next = to;
				}
				good &= next == hr_job_runs(&k) && hr_job_warmups(&j) == hr_job_warmups(&k) &&
					hr_job_runs(&j) == hr_job_runs(&k);
			}
	ok(good, "rounds 1-5 x repeat 1-4 x warmup-runs 0-2: each job's rounds tile the runs of repeat x rounds, warm-ups first");

	write_ini(bad, "[global]\nmemory = 256M\n[a]\n[b]\nrounds = 2\n");
	snprintf(want, sizeof(want), "%s:5: [b] rounds=2 where [a] has rounds=1", bad);
	is_int(load(bad, sc, err, sizeof(err)), -1, "a job with its own rounds=: refused");
	ok(count_lines(err) == 1 && strstr(err, want) && strstr(err, "one value for every job"),
	   "  one line naming its line: %.*s", (int)strcspn(err, "\n"), err);
	unlink(bad);

	/* round-order: reverse and shuffle keep a parallel group together, in file order */
	write_ini(order, "[global]\nmemory = 256M\nrounds = 4\nround-order = reverse\n[a]\n[b]\n[c]\nparallel = 1\n[d]\n");
	is_int(load(order, sc, err, sizeof(err)), 0, "round-order=reverse loads: %s", err);
	n = hr_rounds_plan(sc, st, 16);
	seq[0] = '\0';
	for (int i = 0; i < n && i < 16; i++) {
		size_t l = strlen(seq);

		snprintf(seq + l, sizeof(seq) - l, "%s%c", i && st[i].round != st[i - 1].round ? " " : "",
			 'a' + st[i].job);
	}
	is_str(seq, "abcd dbca abcd dbca", "  every other round reversed, the group b+c kept in order");
	hr_scenario_free(sc);
	for (int pass = 0; pass < 2; pass++) {
		char again[80];

		memcpy(again, seq, sizeof(again));
		write_ini(order2, "[global]\nmemory = 256M\nrounds = 5\nround-order = shuffle\n[a]\n[b]\n[c]\nparallel = 1\n[d]\n[e]\n");
		(void)load(order2, sc, err, sizeof(err));
		unlink(order2);
		memcpy(order2, "/tmp/bb-rounds-shuf-XXXXXX", sizeof(order2));
		n = hr_rounds_plan(sc, st, 25);
		seq[0] = '\0';
		good = n == 25;
		for (int r = 0; r < 5; r++) {
			int seen = 0;

			for (int i = r * 5; i < r * 5 + 5; i++) {
				size_t l = strlen(seq);

				seen |= 1 << st[i].job;
				good &= st[i].round == r && (st[i].job != 2 || (i > r * 5 && st[i - 1].job == 1));
				snprintf(seq + l, sizeof(seq) - l, "%s%c", i == r * 5 && r ? " " : "", 'a' + st[i].job);
			}
			good &= seen == 0x1f;
		}
		hr_scenario_free(sc);
		if (pass)
			ok(good && !strcmp(seq, again) && strcmp(seq, "abcde abcde abcde abcde abcde"),
			   "round-order=shuffle: each round every job once, b+c together, not file order, the same on a second load (%s)", seq);
	}
	unlink(order);

	(void)capture(do_load, sc, path, err, sizeof(err));
	n = capture(do_set, sc, "round-order=reverse", err, sizeof(err));
	is_int(n, 0, "--set round-order=reverse: every job");
	hr_scenario_free(sc);
	write_ini(bad2, "[global]\nmemory = 256M\nrounds = 2\n[a]\nround-order = shuffle\n[b]\n");
	snprintf(want, sizeof(want), "%s:5: [a] round-order=shuffle where [b] has round-order=file", bad2);
	is_int(load(bad2, sc, err, sizeof(err)), -1, "a job with its own round-order=: refused");
	ok(count_lines(err) == 1 && strstr(err, want), "  one line naming its line: %.*s", (int)strcspn(err, "\n"), err);
	unlink(bad2);

	(void)capture(do_load, sc, path, err, sizeof(err));
	n = capture(do_set, sc, "rounds=2", err, sizeof(err));
	is_int(n, 0, "--set rounds=2: every job: %.*s", (int)strcspn(err, "\n"), err);
	ok(sc->jobs[0].rounds == 2 && sc->jobs[2].rounds == 2 && hr_rounds_plan(sc, st, 16) == 6,
	   "  6 steps (2 rounds x 3 jobs)");
	hr_scenario_free(sc);
	unlink(path);
}

/* Every shipped scenario loads (a typo in bench/ fails here, not in a VM run). */
static void test_shipped(void)
{
	static const char *const shipped[] = { "quick", "ci", "inflate-deflate-sweep", "oscillate",
					       "app-latency", "oom-edge", "numa-2cell", "multi-vm" };
	char err[4096], path[64];

	for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		snprintf(path, sizeof(path), "bench/%s.ini", shipped[i]);
		is_int(load(path, sc, err, sizeof(err)), 0, "%s loads%s%.*s", path, err[0] ? ": " : "",
		       (int)strcspn(err, "\n"), err);
	}
}

static void test_missing(void)
{
	char err[4096];

	is_int(load(DATA "no-such-file.ini", sc, err, sizeof(err)), -1, "missing file: fails");
	ok(count_lines(err) == 1 && strstr(err, DATA "no-such-file.ini"),
	   "missing file: one line naming the file: %.*s", (int)strcspn(err, "\n"), err);
}

int main(void)
{
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		abort();
	plan(189);
	test_parse_size();
	test_parse_duration();
	test_defaults();
	test_valid();
	test_solo();
	test_empty_job();
	test_indented();
	test_errors();
	test_set();
	test_rounds();
	test_shipped();
	test_missing();
	free(sc);
	return done_testing();
}

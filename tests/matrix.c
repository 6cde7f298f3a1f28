// SPDX-License-Identifier: MIT
/* matrix: a key with several values expands a job into the cross product (blanks around values, [global] matrices); two threads loading at once; schedule options and their errors. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/scenario.h"
#include "core/schedule.h"
#include "tap.h"

static struct hr_scenario sc;

/* Load @path with stderr captured into @err (one message expected on failure). */
static int load(const char *path, char *err, size_t len)
{
	char tmpl[] = "/tmp/bb-matrix-XXXXXX";
	int fd = mkstemp(tmpl), saved = dup(2), r;
	ssize_t n;

	fflush(stderr);
	dup2(fd, 2);
	r = hr_scenario_load(path, &sc);
	if (r)
		hr_error_print();	/* the test is the command layer: it says the error */
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, err, len - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(tmpl);
	return r;
}

static void test_expand(void)
{
	char err[512];
	int combos = 0;

	ok(load("tests/data/matrix.ini", err, sizeof(err)) == 0, "matrix file loads");
	is_int(sc.njobs, 5, "2 x 2 matrix jobs + 1 plain job");
	for (int i = 0; i < 4 && i < sc.njobs; i++) {
		char want[64];
		const struct hr_job *j = &sc.jobs[i];

		snprintf(want, sizeof(want), "deflate-on-oom=%d guest-numa=%d", j->deflate_on_oom,
			 j->guest_numa);
		if (!strcmp(j->label, want) && !strncmp(j->name, "m-", 2) && j->ntargets == 2)
			combos |= 1 << (j->deflate_on_oom * 2 + j->guest_numa - 1);
	}
	is_int(combos, 15, "each combination once, labelled with its values, inheriting the rest");
	is_str(sc.jobs[4].name, "plain", "a job without a matrix keeps its name");
	is_str(sc.jobs[4].label, "", "and has no label");
	is_int(sc.jobs[4].schedule, HR_SCHED_SQUARE, "schedule = square");
	{
		struct hr_sched_event *ev = NULL;
		size_t n = 0;
		char e[256];

		ok(hr_job_schedule(&sc.jobs[4], 0, &ev, &n, e, sizeof(e)) == 0 && n == 4 &&
		   ev[0].kib == 262144 && ev[1].kib == 1048576,
		   "low = 25%% of memory resolves to 256M: 4 events 256M/1G");
		free(ev);
	}
	hr_scenario_free(&sc);
}

static void expect_err(const char *path, const char *want)
{
	char err[512];

	ok(load(path, err, sizeof(err)) == -1 && strstr(err, want) && strchr(err, '\n') ==
	   err + strlen(err) - 1, "%s: one line with '%s'", path, want);
	if (!strstr(err, want))
		diag("got: %s", err);
	hr_scenario_free(&sc);
}

/* Write @text to a new file; its path in @path. */
static void write_ini(char *path, const char *text)
{
	int fd = mkstemp(path);

	if (fd >= 0) {
		(void)!write(fd, text, strlen(text));
		close(fd);
	}
}

/* Blanks around a value are no part of it; a [global] matrix expands in every job. */
static void test_blanks(void)
{
	char path[] = "/tmp/bb-matrix-ini-XXXXXX", err[512];

	write_ini(path, "[global]\nvcpus = 2 , 4\n[j]\ntargets = 256M\ncycles = 1, 2 , 3\n[k]\n");
	ok(load(path, err, sizeof(err)) == 0, "blanks around matrix values: loads");
	is_int(sc.njobs, 8, "[j]: 2 x 3 jobs, [k]: 2");
	is_int(sc.jobs[1].cycles, 2, "' 2 ': the job runs 2 cycles");
	is_str(sc.jobs[1].label, "cycles=2 vcpus=2", "... and its label says 2, no blank");
	is_int(sc.jobs[3].vcpus, 4, "'2 , 4' in [global]: [j]'s jobs get vcpus=4 too");
	is_str(sc.jobs[7].label, "vcpus=4", "... and so do [k]'s (a shared list, split once per job)");
	hr_scenario_free(&sc);
	unlink(path);
}

/* One thread's loads of matrix.ini: how many came out unlike @arg's reference scenario. */
static void *load_many(void *arg)
{
	const struct hr_scenario *ref = arg;
	struct hr_scenario *mine = malloc(sizeof(*mine));
	long bad = 0;

	for (int i = 0; i < 500 && mine; i++) {
		if (hr_scenario_load("tests/data/matrix.ini", mine) || mine->njobs != ref->njobs)
			bad++;
		else
			for (int j = 0; j < ref->njobs; j++)
				bad += strcmp(mine->jobs[j].name, ref->jobs[j].name) ||
				       strcmp(mine->jobs[j].label, ref->jobs[j].label);
		hr_scenario_free(mine);
	}
	free(mine);
	return (void *)(mine ? bad : 1);
}

/* The parser keeps no static state: loads in two threads at once expand alike. */
static void test_reentrant(void)
{
	struct hr_scenario *ref = malloc(sizeof(*ref));
	pthread_t t[2];
	void *bad[2] = { (void *)1, (void *)1 };
	int started = 0;

	ok(ref && hr_scenario_load("tests/data/matrix.ini", ref) == 0, "reference load");
	for (int i = 0; i < 2 && ref; i++)
		started += !pthread_create(&t[i], NULL, load_many, ref);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], &bad[i]);
	ok(started == 2 && !bad[0] && !bad[1], "two threads loading a matrix at once: every load alike");
	hr_scenario_free(ref);
	free(ref);
}

int main(void)
{
	plan(19);
	test_expand();
	test_reentrant();
	test_blanks();
	expect_err("tests/data/err-matrix.ini", "err-matrix.ini:2: guest-numa: '9' is not an integer from 1 to 8");
	expect_err("tests/data/err-schedule.ini", "err-schedule.ini:4: [sq] schedule square: low (2G) is above memory (1G)");
	expect_err("tests/data/err-pace.ini", "err-pace.ini:3: [p] pace=period needs period > 0");
	expect_err("tests/data/err-numa.ini", "err-numa.ini:2: [n] guest-numa: 2 cells need at least as many vcpus");
	return done_testing();
}

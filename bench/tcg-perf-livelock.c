// SPDX-License-Identifier: MIT
/*
 * tcg-perf-livelock.c - a guest's /init for bench/tcg-perf-livelock.sh: what
 * the agent did at each workload start until this round, in a loop: fork a
 * child that waits on a pipe, open two per-task perf software counters on it
 * (PERF=0 on the kernel command line: do not), let it go (it touches 64 KiB),
 * read one counter, reap it. Says its progress every 500 rounds and its end
 * ("done: N rounds"); a guest that livelocks says nothing more and the
 * kernel reports soft lockups or an RCU stall on the console instead.
 */
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int perf_open(pid_t pid, unsigned long long cfg)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof(a);
	a.config = cfg;
	a.inherit = 1;
	return (int)syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

int main(void)
{
	const char *e = getenv("PERF"), *d = getenv("SECONDS");
	int perf = !e || strcmp(e, "0"), secs = d ? atoi(d) : 30;
	unsigned long n = 0;
	double t0 = now();

	(void)mount("proc", "/proc", "proc", 0, NULL);
	fprintf(stderr, "livelock test: perf=%d for %d s\n", perf, secs);
	while (now() - t0 < secs) {
		int p[2], f1 = -1, f2 = -1;
		unsigned long long v;
		char c = 'g';
		pid_t pid;

		if (pipe(p))
			break;
		pid = fork();
		if (!pid) {
			volatile char buf[65536];

			close(p[1]);
			(void)!read(p[0], &c, 1);
			for (int i = 0; i < (int)sizeof(buf); i += 4096)
				buf[i] = 1;
			_exit(0);
		}
		close(p[0]);
		if (perf) {
			f1 = perf_open(pid, PERF_COUNT_SW_PAGE_FAULTS_MIN);
			f2 = perf_open(pid, PERF_COUNT_SW_PAGE_FAULTS_MAJ);
		}
		(void)!write(p[1], &c, 1);
		close(p[1]);
		if (f1 >= 0)
			(void)!read(f1, &v, sizeof(v));
		waitpid(pid, NULL, 0);
		if (f1 >= 0)
			close(f1);
		if (f2 >= 0)
			close(f2);
		if (++n % 500 == 0)
			fprintf(stderr, "round %lu at %.1f s\n", n, now() - t0);
	}
	fprintf(stderr, "done: %lu rounds in %.1f s\n", n, now() - t0);
	reboot(RB_POWER_OFF);
	return 0;
}

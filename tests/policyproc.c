/* policyproc.c - the external policy's program (engine/policyproc.c) run for real: tiny shell programs that answer well, late, out of range, never, by exiting, closing a pipe or flooding. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "engine/policyproc.h"
#include "tap.h"

static char dir[64];
static struct hr_pol_in in;
static struct hr_pol_out out;
static atomic_int stop_flag;
static volatile sig_atomic_t sig_flag;

/* An answer for the period the stats line holds: g0 at TARGET (a shell word). */
#define ANSWER(target) \
	"p=${l#*\\\"period\\\":}; p=${p%%,*}\n" \
	"echo \"{\\\"v\\\":1,\\\"period\\\":$p,\\\"targets\\\":[{\\\"name\\\":\\\"g0\\\",\\\"target_mib\\\":" target "}]}\"\n"

static const struct { const char *name, *text; } programs[] = {
	{ "good", "while read -r l; do\n" ANSWER("900") "done\n" },
	/* the first answer 2 s late, the others at once */
	{ "late", "n=0\nwhile read -r l; do\nn=$((n+1)); [ $n -eq 1 ] && sleep 2\n" ANSWER("800") "done\n" },
	/* odd periods out of range, even ones good */
	{ "odd", "n=0\nwhile read -r l; do\nn=$((n+1)); t=700; [ $((n%2)) -eq 1 ] && t=5000\n" ANSWER("$t") "done\n" },
	/* answers only if the descriptor $FD of the runner did not reach it */
	{ "fds", "read -r l\nif [ -e /proc/$$/fd/$FD ]; then echo leaked; exit 1; fi\n" ANSWER("900") },
	{ "hang", "sleep 1000 & echo $! > \"$DIR/hang.pid\"; wait\n" },
	{ "exit", "read -r l; exit 3\n" },
	{ "closeout", "exec >&-; sleep 1000 & echo $! > \"$DIR/closeout.pid\"; wait\n" },
	{ "nostdin", "exec 0<&-; exec sleep 1000\n" },
	{ "flood", "exec yes x\n" },
	{ "floodlong", "exec 3<&0; exec tr '\\000' x < /dev/zero\n" },	/* fd 3: its stdin kept open */
	/* stale answers (period 0, earlier than any asked), without end */
	{ "stale", "while :; do echo '{\"v\":1,\"period\":0,\"targets\":[]}'; done\n" },
	/* the same, as fast as a pipe takes them (its reader never finds it empty) */
	{ "stalefast", "exec yes '{\"v\":1,\"period\":0,\"targets\":[]}'\n" },
	/* leaves its process group (for its parent's), ignores SIGTERM and its stdin's end */
	{ "escape", "trap '' TERM; exec python3 -c 'import os, time; os.setpgid(0, os.getpgid(os.getppid())); time.sleep(1000)'\n" },
};

static void write_programs(void)
{
	char path[128];

	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.sh", dir, programs[i].name);
		f = fopen(path, "w");
		if (!f || fputs(programs[i].text, f) < 0 || fclose(f))
			abort();
	}
}

static int start(struct hr_pproc *p, const char *name, int k)
{
	char cmd[160];
	int rc;

	snprintf(cmd, sizeof(cmd), "DIR=%s; . %s/%s.sh", dir, dir, name);
	rc = hr_pproc_start(p, cmd, NULL, k);
	if (rc)
		hr_error_print();
	return rc;
}

static enum hr_pp_verdict ask(struct hr_pproc *p, uint64_t period, int timeout_ms)
{
	in.period = period;
	return hr_pproc_ask(p, &in, timeout_ms, &stop_flag, &sig_flag, &out);
}

/* Is the process whose pid is in @file gone (or a zombie, killed)? Waits up to 5 s. */
static int dead(const char *file)
{
	char path[128], stat[256];
	int pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%d", &pid) != 1 || pid <= 0) {
		if (f)
			fclose(f);
		return 0;
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 500; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		char *rp;

		f = fopen(path, "r");
		if (!f)
			return 1;
		rp = fgets(stat, sizeof(stat), f) ? strrchr(stat, ')') : NULL;
		fclose(f);
		if (rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'))
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_good(void)
{
	struct hr_pproc p;
	enum hr_pp_verdict v;
	int okays = 0;

	ok(!start(&p, "good", 3), "a good program starts");
	for (uint64_t k = 1; k <= 20; k++)
		okays += ask(&p, k, 10000) == HR_PP_OK && out.n == 1 && out.t[0].set && out.t[0].target_mib == 900;
	is_int(okays, 20, "a good program: 20 periods, each answer obeyed");
	ok(p.accepted == 20 && p.asked == 20 && !p.consecutive && !p.gave_up, "... counted as accepted");
	ok(strstr(out.t[0].reason, "program's target") != NULL, "... the reason says whose (%s)", out.t[0].reason);
	hr_pproc_stop(&p);
	ok(p.status == 0, "stopped: it exits on its stdin's end, status %d", p.status);
	hr_pproc_stop(&p);
	v = hr_pproc_ask(&p, &in, 100, NULL, NULL, &out);
	ok(v == HR_PP_NVERDICTS && !out.t[0].set, "stopped twice, then asked: nothing asked, no target");
}

static void test_fds(void)
{
	struct hr_pproc p;
	char cmd[200];
	int fd = open("/dev/null", O_RDONLY);	/* not close-on-exec */

	snprintf(cmd, sizeof(cmd), "DIR=%s; FD=%d; . %s/fds.sh", dir, fd, dir);
	ok(fd >= 3 && !hr_pproc_start(&p, cmd, NULL, 3) && ask(&p, 1, 10000) == HR_PP_OK,
	   "the runner's descriptors (%d, not close-on-exec) do not reach the program", fd);
	hr_pproc_stop(&p);
	close(fd);
}

static void test_late(void)
{
	struct hr_pproc p;
	enum hr_pp_verdict v;

	start(&p, "late", 3);
	v = ask(&p, 1, 300);
	ok(v == HR_PP_TIMEOUT && !out.t[0].set && strstr(out.t[0].reason, "kept the last accepted"),
	   "an answer 2 s late for a 300 ms deadline: timeout, targets kept (%s)", out.t[0].reason);
	v = ask(&p, 2, 20000);
	ok(v == HR_PP_OK && p.count[HR_PP_LATE] == 1 && out.t[0].set && out.t[0].target_mib == 800,
	   "the late answer for period 1 is dropped when it comes, period 2's obeyed (late %llu)",
	   (unsigned long long)p.count[HR_PP_LATE]);
	ok(!p.consecutive && !p.gave_up, "... and the refusals in a row start again");
	hr_pproc_stop(&p);
}

static void test_range(void)
{
	struct hr_pproc p;
	enum hr_pp_verdict v1, v2, v3;

	start(&p, "odd", 2);
	v1 = ask(&p, 1, 10000);
	ok(v1 == HR_PP_RANGE && !out.t[0].set && strstr(out.t[0].reason, "above its nominal"),
	   "a target above nominal is refused, never obeyed (%s)", out.t[0].reason);
	v2 = ask(&p, 2, 10000);
	v3 = ask(&p, 3, 10000);
	ok(v2 == HR_PP_OK && v3 == HR_PP_RANGE && !p.gave_up && p.count[HR_PP_RANGE] == 2,
	   "refused, obeyed, refused: never %d in a row, still asked", p.max_refusals);
	hr_pproc_stop(&p);
}

static void test_hang(void)
{
	struct hr_pproc p;
	enum hr_pp_verdict v;

	start(&p, "hang", 2);
	v = ask(&p, 1, 200);
	ok(v == HR_PP_TIMEOUT && !p.gave_up, "a program that never answers: timeout");
	v = ask(&p, 2, 200);
	ok(v == HR_PP_TIMEOUT && p.gave_up && strstr(p.fallback, "2 periods refused in a row"),
	   "the second timeout in a row: the fallback (%s)", p.fallback);
	ok(!out.t[0].set && strstr(out.t[0].reason, "fallback none"), "... no target, the reason says so (%s)",
	   out.t[0].reason);
	ok(dead("hang.pid"), "its process group is killed: the child it started too");
	v = ask(&p, 3, 200);
	ok(v == HR_PP_NVERDICTS && p.asked == 2, "given up: never asked again");
	hr_pproc_stop(&p);
}

static void test_exit(void)
{
	struct hr_pproc p;
	enum hr_pp_verdict v;
	sigset_t pending;
	char errf[128];
	struct stat sb;

	start(&p, "exit", 5);
	v = ask(&p, 1, 10000);
	ok(v == HR_PP_EXITED && p.gave_up && strstr(p.fallback, "exited with status 3"),
	   "a program that exits: the fallback at once (%s)", p.fallback);
	hr_pproc_stop(&p);
	snprintf(errf, sizeof(errf), "%s/stderr", dir);
	ok(!hr_pproc_start(&p, "exec /nonexistent/policy", errf, 5) && ask(&p, 1, 10000) == HR_PP_EXITED &&
	   strstr(p.fallback, "status 127"), "a program that is not there: exits 127, the fallback (%s)",
	   p.fallback);
	hr_pproc_stop(&p);
	if (stat(errf, &sb))
		sb.st_size = -1;
	ok(sb.st_size > 0, "... its stderr in the file given (%lld bytes)", (long long)sb.st_size);
	start(&p, "closeout", 5);
	v = ask(&p, 1, 10000);
	ok(v == HR_PP_EXITED && strstr(p.fallback, "closed its stdout") && dead("closeout.pid"),
	   "a program that closes its stdout: the fallback, its group killed (%s)", p.fallback);
	hr_pproc_stop(&p);
	start(&p, "nostdin", 40);
	v = HR_PP_TIMEOUT;	/* a line written before it closed its stdin waits unread: time out, ask again */
	for (uint64_t k = 1; k <= 40 && v == HR_PP_TIMEOUT; k++)
		v = ask(&p, k, 500);
	sigpending(&pending);
	ok(v == HR_PP_EXITED && !sigismember(&pending, SIGPIPE) && strstr(p.fallback, "closed its stdin"),
	   "a program that closes its stdin: EPIPE, no SIGPIPE left pending (%s)", p.fallback);
	hr_pproc_stop(&p);
}

static void test_flood(void)
{
	struct hr_pproc p;
	enum hr_pp_verdict v[3];

	start(&p, "flood", 3);
	for (int k = 0; k < 3; k++)
		v[k] = ask(&p, (uint64_t)k + 1, 10000);	/* each refused at its first line */
	ok(v[0] == HR_PP_MALFORMED && v[2] == HR_PP_MALFORMED && p.gave_up && strstr(p.fallback, "not JSON"),
	   "a flood of lines: refused three times, the fallback (%s)", p.fallback);
	hr_pproc_stop(&p);
	start(&p, "floodlong", 2);
	v[0] = ask(&p, 1, 10000);	/* refused at its 64 KiB + 1st byte */
	v[1] = ask(&p, 2, 300);
	ok(v[0] == HR_PP_TOO_LONG && p.count[HR_PP_TOO_LONG] == 1 && v[1] == HR_PP_TIMEOUT && p.gave_up,
	   "an endless line: too long, then the rest skipped until the deadline, the fallback (%s)", p.fallback);
	hr_pproc_stop(&p);
}

/* A program that writes stale answers without end: the deadline still holds. */
static void test_stale(void)
{
	for (int k = 0; k < 2; k++) {
		struct hr_pproc p;
		enum hr_pp_verdict v;
		int64_t t0, ms;

		start(&p, k ? "stalefast" : "stale", 3);
		t0 = ms_now();
		v = ask(&p, 1, 300);
		ms = ms_now() - t0;
		ok(v == HR_PP_TIMEOUT && p.count[HR_PP_LATE] > 0 && ms < 1000 && !out.t[0].set,
		   "stale answers without end%s: a timeout after %lld ms (deadline 300), %llu late dropped",
		   k ? ", as fast as the pipe takes them" : "", (long long)ms, (unsigned long long)p.count[HR_PP_LATE]);
		hr_pproc_stop(&p);
	}
}

static void *set_later(void *arg)
{
	nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
	if (arg)
		atomic_store(&stop_flag, 1);
	else
		sig_flag = 1;
	return NULL;
}

/* The stop flag and the signal flag cut a wait short, within a slice; no refusal counted. */
static void test_stop(void)
{
	for (int k = 0; k < 2; k++) {
		struct hr_pproc p;
		enum hr_pp_verdict v;
		pthread_t th;
		int64_t t0, ms;

		start(&p, "hang", 2);
		pthread_create(&th, NULL, set_later, k ? NULL : &stop_flag);
		t0 = ms_now();
		v = ask(&p, 1, 20000);
		ms = ms_now() - t0;
		pthread_join(th, NULL);
		ok(v == HR_PP_NVERDICTS && p.stopped && ms < 2000 && !p.asked && !p.count[HR_PP_TIMEOUT] &&
		   !p.consecutive && !out.t[0].set, "%s set 200 ms into a 20 s wait: cut short after %lld ms, "
		   "neither asked nor refused", k ? "the signal flag" : "the stop flag", (long long)ms);
		v = ask(&p, 2, 20000);
		ok(v == HR_PP_NVERDICTS && p.stopped && !p.asked, "... set already: not asked");
		atomic_store(&stop_flag, 0);
		sig_flag = 0;
		hr_pproc_stop(&p);
	}
}

/* A program that left its process group and ignores SIGTERM: killed itself, reaped by a deadline. */
static void test_escape(void)
{
	struct hr_pproc p;
	pid_t pid;
	int64_t t0, ms;
	int left = 0;

	if (system("python3 -c '' 2>/dev/null")) {
		skip("no python3 to leave a process group");
		return;
	}
	start(&p, "escape", 3);
	pid = p.pid;
	for (int i = 0; i < 500 && !left; i++) {
		left = getpgid(pid) >= 0 && getpgid(pid) != pid;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	t0 = ms_now();
	hr_pproc_stop(&p);
	ms = ms_now() - t0;
	ok(left && ms < 5000 && WIFSIGNALED(p.status) && WTERMSIG(p.status) == SIGKILL && kill(pid, 0) < 0,
	   "a program that left its group and ignores SIGTERM: SIGKILLed itself, reaped, after %lld ms", (long long)ms);
}

/* bench/policy-example.py over the protocol, its rule's three branches and a guest without figures */
static void test_example(void)
{
	struct hr_pproc p;
	enum hr_pp_verdict v;

	if (system("python3 -c '' 2>/dev/null")) {
		for (int k = 0; k < 6; k++)
			skip("no python3 to run bench/policy-example.py");
		return;
	}
	ok(!hr_pproc_start(&p, "exec python3 bench/policy-example.py", NULL, 3), "the example starts");
	in.n = 2;
	snprintf(in.g[1].name, sizeof(in.g[1].name), "g1");	/* no figures at all: left alone */
	in.host.limit_mib = 1000, in.host.usage_mib = 950;
	in.g[0].nominal_mib = 512, in.g[0].target_mib = in.g[0].actual_mib = 512, in.g[0].bs.unused_mib = 300;
	v = ask(&p, 1, 20000);
	ok(v == HR_PP_OK && out.t[0].set && out.t[0].target_mib == 460 && !out.t[1].set,
	   "the example, budget tight (5 %% free), 300 MiB unused: 512 -> 460 (10 %% at most); g1 left alone");
	in.g[0].target_mib = in.g[0].actual_mib = 460, in.g[0].psi.some_avg10 = 12;
	v = ask(&p, 2, 20000);
	ok(v == HR_PP_OK && out.t[0].set && out.t[0].target_mib == 511,
	   "... the guest stalls (some avg10 12 %%): 460 -> 511 (+10 %% of nominal)");
	in.g[0].psi.some_avg10 = 0, in.host.usage_mib = 500;
	v = ask(&p, 3, 20000);
	ok(v == HR_PP_OK && out.t[0].set && out.t[0].target_mib == 485 && !p.count[HR_PP_MALFORMED] &&
	   !p.count[HR_PP_RANGE], "... the budget roomy (50 %% free): 460 -> 485 (+5 %%); no answer refused");
	in.g[0].target_mib = in.g[0].actual_mib = 485, in.host.swap_in_mib = 10;
	v = ask(&p, 4, 20000);
	ok(v == HR_PP_OK && out.t[0].set && out.t[0].target_mib == 510,
	   "... the host's swap-in first seen (10 MiB, no growth known): still roomy, 485 -> 510");
	in.g[0].target_mib = in.g[0].actual_mib = 510, in.host.swap_in_mib = 74;
	v = ask(&p, 5, 20000);
	ok(v == HR_PP_OK && out.t[0].set && out.t[0].target_mib == 459 && !p.count[HR_PP_MALFORMED] &&
	   !p.count[HR_PP_RANGE], "... the host swapping in (+64 MiB) with 50 %% free: tight, 510 -> 459 (-10 %%)");
	hr_pproc_stop(&p);
	hr_pol_in_clear(&in);
}

int main(void)
{
	struct hr_pproc p;

	snprintf(dir, sizeof(dir), "/tmp/bbpproc.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	write_programs();
	hr_pol_in_clear(&in);
	in.n = 1;
	snprintf(in.g[0].name, sizeof(in.g[0].name), "g0");
	in.g[0].nominal_mib = 1024, in.g[0].floor_mib = 128, in.g[0].target_mib = in.g[0].actual_mib = 1000;

	plan(38);
	ok(hr_pproc_start(&p, "", NULL, 3) == -1 && hr_error_pending(), "no program: refused");
	hr_error_take((char[128]){ 0 }, 128);
	hr_pproc_stop(&p);
	test_good();
	test_fds();
	test_late();
	test_range();
	test_hang();
	test_exit();
	test_flood();
	test_stale();
	test_stop();
	test_escape();
	test_example();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)!system(cmd);
	}
	return done_testing();
}

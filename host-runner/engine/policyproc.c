/* SPDX-License-Identifier: MIT */
/*
 * policyproc.c - the external policy's program, run under a deadline
 * (policyproc.h): posix_spawn in its own process group, non-blocking pipes,
 * poll() against one monotonic deadline per period.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "engine/policyproc.h"

extern char **environ;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
	int64_t l = deadline - now_ms();

	return l < 0 ? 0 : l > 600000 ? 600000 : (int)l;
}

/* The caller's stop flags (either may be NULL). */
struct stops {
	const atomic_int *stop;
	const volatile sig_atomic_t *sig;
};

static int stopped(const struct stops *st)
{
	return (st->stop && atomic_load(st->stop)) || (st->sig && *st->sig);
}

/* What a poll waits at most: the time left, in slices the stop flags are looked at between. */
static int slice_ms(int64_t deadline)
{
	int l = left_ms(deadline);

	return l < HR_PPROC_SLICE_MS ? l : HR_PPROC_SLICE_MS;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

int hr_pproc_start(struct hr_pproc *p, const char *cmd, const char *stderr_path, int max_refusals)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, rc;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)cmd, NULL };

	memset(p, 0, sizeof(*p));
	p->to_fd = p->from_fd = -1;
	p->status = -1;
	p->max_refusals = max_refusals > 0 ? max_refusals : HR_PPROC_MAX_REFUSALS;
	if (!cmd || !*cmd)
		return hr_error("policy external: no program to run");
	p->line = malloc(HR_PP_STATS_MAX);
	p->buf = malloc(HR_PP_LINE_MAX + 1);
	if (!p->line || !p->buf) {
		hr_error("policy external: out of memory");
		goto fail;
	}
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
		hr_error("policy external: pipe: %s", strerror(errno));
		goto fail;
	}
	sigemptyset(&none);
	sigemptyset(&dflt);
	for (int s = 1; s < 32; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaddset(&dflt, s);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (stderr_path)
		posix_spawn_file_actions_addopen(&fa, 2, stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);	/* none of the runner's descriptors */
#endif
	/* its own process group (killed whole), no blocked signals, default actions */
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&p->pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc) {
		p->pid = 0;
		hr_error("policy external: cannot start /bin/sh -c '%.80s': %s", cmd, strerror(rc));
		goto fail;
	}
	close_fd(&in[0]);
	close_fd(&out[1]);
	p->to_fd = in[1], p->from_fd = out[0];
	if (fcntl(p->to_fd, F_SETFL, O_NONBLOCK) || fcntl(p->from_fd, F_SETFL, O_NONBLOCK)) {
		hr_error("policy external: fcntl: %s", strerror(errno));
		hr_pproc_stop(p);
		return -1;
	}
	return 0;
fail:
	close_fd(&in[0]), close_fd(&in[1]), close_fd(&out[0]), close_fd(&out[1]);
	free(p->line), free(p->buf);
	p->line = p->buf = NULL;
	return -1;
}

/* Is its process (still) there? Reaps it if it exited. */
static int alive(struct hr_pproc *p)
{
	int st;

	if (p->pid <= 0)
		return 0;
	if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
		p->status = st;
		p->pid = -p->pid;	/* reaped; its group may live on: kept for killpg */
		return 0;
	}
	return 1;
}

/* Wait up to @ms for it to exit (reaped), polling its status. */
static int wait_exit(struct hr_pproc *p, int ms)
{
	int64_t deadline = now_ms() + ms;

	while (alive(p)) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		if (now_ms() >= deadline)
			return -1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

void hr_pproc_stop(struct hr_pproc *p)
{
	pid_t pg;

	if (!p->line && !p->buf && p->pid == 0)
		return;		/* never started, or stopped */
	close_fd(&p->to_fd);	/* EOF on its stdin: a polite program exits */
	pg = p->pid < 0 ? -p->pid : p->pid;
	if (pg > 0) {
		if (wait_exit(p, HR_PPROC_GRACE_MS)) {
			(void)killpg(pg, SIGTERM);
			(void)kill(pg, SIGTERM);	/* itself too: it may have left its group */
			if (wait_exit(p, HR_PPROC_GRACE_MS)) {
				(void)killpg(pg, SIGKILL);
				(void)kill(pg, SIGKILL);
				/* by a deadline: a zombie left (in D state, say) is better than a hang */
				if (wait_exit(p, HR_PPROC_GRACE_MS))
					hr_warn("policy external: pid %d not reaped %d ms after SIGKILL, left",
						(int)pg, HR_PPROC_GRACE_MS);
			}
		}
		(void)killpg(pg, SIGKILL);	/* what it left in its group (ESRCH if nothing) */
	}
	close_fd(&p->from_fd);
	free(p->line), free(p->buf);
	p->line = p->buf = NULL;
	p->pid = 0;
}

/* The program's exit, as words. */
static void exit_words(const struct hr_pproc *p, char *buf, size_t size)
{
	if (WIFEXITED(p->status))
		hr_fmt(buf, size, "exited with status %d", WEXITSTATUS(p->status));
	else if (WIFSIGNALED(p->status))
		hr_fmt(buf, size, "was killed by signal %d", WTERMSIG(p->status));
	else
		hr_fmt(buf, size, "stopped");
}

/* Write the whole line by @deadline. 0, or the verdict: HR_PP_TIMEOUT, HR_PP_EXITED; HR_PP_NVERDICTS: stopped. */
static enum hr_pp_verdict write_line(struct hr_pproc *p, const char *s, size_t n, int64_t deadline,
				     const struct stops *st)
{
	sigset_t pipe_set, old, pending;
	enum hr_pp_verdict rc = HR_PP_OK;
	int was_pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	while (n) {
		ssize_t w = write(p->to_fd, s, n);
		struct pollfd pfd = { p->to_fd, POLLOUT, 0 };

		if (w > 0) {
			s += w, n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EPIPE) {
			hr_fmt(p->why, sizeof(p->why), "the program closed its stdin");
			rc = HR_PP_EXITED;
			break;
		}
		if (w < 0 && errno != EAGAIN) {
			hr_fmt(p->why, sizeof(p->why), "writing to the program: %s", strerror(errno));
			rc = HR_PP_EXITED;
			break;
		}
		if (stopped(st)) {
			rc = HR_PP_NVERDICTS;
			break;
		}
		if (!left_ms(deadline)) {
			hr_fmt(p->why, sizeof(p->why), "the program did not read its stats by the deadline");
			rc = HR_PP_TIMEOUT;
			break;
		}
		(void)poll(&pfd, 1, slice_ms(deadline));
	}
	if (rc == HR_PP_EXITED && !was_pending) {	/* take back the SIGPIPE this write raised */
		struct timespec zero = { 0, 0 };

		(void)sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* The lines it wrote, up to an answer this period can use. HR_PP_NVERDICTS: none yet. */
static enum hr_pp_verdict take_lines(struct hr_pproc *p, const struct hr_pol_in *in,
				     struct hr_pp_answer *a)
{
	char *nl;

	while ((nl = memchr(p->buf, '\n', p->len))) {
		size_t n = (size_t)(nl - p->buf);
		enum hr_pp_verdict v = p->skipping ? HR_PP_NVERDICTS :
				       hr_pp_decode_answer(p->buf, n, in, a, p->why, sizeof(p->why));

		p->skipping = 0;
		memmove(p->buf, nl + 1, p->len - n - 1);
		p->len -= n + 1;
		if (v == HR_PP_NVERDICTS)
			continue;	/* the end of an overlong line, refused already */
		p->count[v]++;
		if (v != HR_PP_LATE)
			return v;	/* this period's answer, good or bad */
	}
	if (p->len > HR_PP_LINE_MAX) {	/* a line longer than any answer: refused, the rest skipped */
		int was = p->skipping;

		p->len = 0;
		p->skipping = 1;
		if (!was) {
			hr_fmt(p->why, sizeof(p->why), "an answer longer than %d bytes", HR_PP_LINE_MAX);
			p->count[HR_PP_TOO_LONG]++;
			return HR_PP_TOO_LONG;
		}
	}
	return HR_PP_NVERDICTS;
}

/*
 * Read until this period's answer or the deadline: past it, one read more
 * at most (an answer already written is taken), whatever keeps coming (a
 * flood of lines, late answers, partial lines). HR_PP_NVERDICTS: stopped.
 */
static enum hr_pp_verdict read_answer(struct hr_pproc *p, const struct hr_pol_in *in,
				      struct hr_pp_answer *a, int64_t deadline, const struct stops *st)
{
	int past = 0;	/* reads made past the deadline */

	for (;;) {
		enum hr_pp_verdict v = take_lines(p, in, a);
		struct pollfd pfd = { p->from_fd, POLLIN, 0 };
		ssize_t r;

		if (v != HR_PP_NVERDICTS)
			return v;
		if (stopped(st))
			return HR_PP_NVERDICTS;
		if (!left_ms(deadline) && past++)
			break;
		r = read(p->from_fd, p->buf + p->len, HR_PP_LINE_MAX + 1 - p->len);
		if (r > 0) {
			p->len += (size_t)r;
			continue;
		}
		if (r == 0) {
			hr_fmt(p->why, sizeof(p->why), "the program closed its stdout");
			return HR_PP_EXITED;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			hr_fmt(p->why, sizeof(p->why), "reading from the program: %s", strerror(errno));
			return HR_PP_EXITED;
		}
		if (!left_ms(deadline))
			break;
		if (poll(&pfd, 1, slice_ms(deadline)) < 0 && errno != EINTR) {
			hr_fmt(p->why, sizeof(p->why), "poll: %s", strerror(errno));
			return HR_PP_EXITED;
		}
	}
	hr_fmt(p->why, sizeof(p->why), "no answer for period %llu by the deadline",
	       (unsigned long long)in->period);
	return HR_PP_TIMEOUT;
}

/* Every guest: no target, and @fmt's reason. */
static void no_targets(const struct hr_pol_in *in, struct hr_pol_out *out, const char *what,
		       const char *why)
{
	out->n = in->n < 0 ? 0 : in->n > HR_POL_MAX_GUESTS ? HR_POL_MAX_GUESTS : in->n;
	for (int i = 0; i < out->n; i++) {
		out->t[i].set = 0;
		out->t[i].target_mib = in->g[i].target_mib;
		hr_fmt(out->t[i].reason, sizeof(out->t[i].reason), "external: %s: %s", what, why);
	}
}

enum hr_pp_verdict hr_pproc_ask(struct hr_pproc *p, const struct hr_pol_in *in, int timeout_ms,
				const atomic_int *stop, const volatile sig_atomic_t *sig,
				struct hr_pol_out *out)
{
	const struct stops st = { stop, sig };
	struct hr_pp_answer a;
	enum hr_pp_verdict v;
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	char words[64];
	int n;

	p->stopped = 0;
	if (p->gave_up || !p->line) {
		no_targets(in, out, "fallback none", p->fallback[0] ? p->fallback : "not started");
		return HR_PP_NVERDICTS;
	}
	if (stopped(&st)) {
		p->stopped = 1;
		no_targets(in, out, "not asked", "the run is stopping");
		return HR_PP_NVERDICTS;
	}
	p->asked++;
	n = hr_pp_encode_stats(in, p->line, HR_PP_STATS_MAX);
	if (n < 0) {	/* ours, not the program's: no refusal counted */
		hr_fmt(p->why, sizeof(p->why), "the stats could not be written as a line (%s)", strerror(-n));
		no_targets(in, out, "kept the last accepted targets", p->why);
		return HR_PP_MALFORMED;
	}
	v = write_line(p, p->line, (size_t)n, deadline, &st);
	if (v == HR_PP_OK)
		v = read_answer(p, in, &a, deadline, &st);
	if (v == HR_PP_NVERDICTS) {	/* cut short: neither asked nor refused (its answer, if any, comes late) */
		p->asked--;
		p->stopped = 1;
		no_targets(in, out, "cut short", "the run is stopping");
		return v;
	}
	if (v == HR_PP_TIMEOUT || v == HR_PP_EXITED)
		p->count[v]++;
	if (v == HR_PP_EXITED && !wait_exit(p, 100)) {	/* it exited: say how, else what it closed */
		exit_words(p, words, sizeof(words));
		hr_fmt(p->why, sizeof(p->why), "the program %s", words);
	}
	if (v == HR_PP_OK) {
		p->accepted++;
		p->consecutive = 0;
		out->n = in->n;
		for (int i = 0; i < in->n; i++) {
			struct hr_pol_target *t = &out->t[i];

			t->set = a.given[i];
			t->target_mib = a.given[i] ? a.target_mib[i] : in->g[i].target_mib;
			hr_fmt(t->reason, sizeof(t->reason), "external: %s", a.given[i] ?
			       "the program's target" : "no target given");
		}
		return v;
	}
	p->consecutive++;
	if (v == HR_PP_EXITED || p->consecutive >= p->max_refusals) {
		hr_fmt(p->fallback, sizeof(p->fallback), "%d period%s refused in a row, the last: %s (%s)",
		       p->consecutive, p->consecutive == 1 ? "" : "s", p->why, hr_pp_verdict_name(v));
		p->gave_up = 1;
		hr_pproc_stop(p);
		no_targets(in, out, "fallback none", p->fallback);
		return v;
	}
	no_targets(in, out, "kept the last accepted targets", p->why);
	return v;
}

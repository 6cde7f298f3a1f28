// SPDX-License-Identifier: MIT
/*
 * guardian.c - a runner killed with SIGKILL destroys nothing, and libvirt's
 * embedded driver dies with it, leaving QEMU processes behind: one that was
 * still starting (libvirt starts QEMU paused) would wait for ever. So, before
 * any domain starts, the runner forks a guardian: a small process that waits
 * on a pipe whose write end only the runner holds. When the runner ends
 * normally it says "done" first; when the pipe just closes, the runner died,
 * and the guardian kills the QEMU of every domain of this run (by the pid
 * files the embedded driver writes under ROOT/run/qemu/), removes their
 * cgroups (which nobody else would: cgroup.c), removes their save images
 * (save-<domain>.img and .img.part in the state directory: a lifecycle
 * event's, engine/lifecycle.c), removes the run's host budget cgroups and
 * then its host swap files (swapoff under a deadline, unlink: swap.h), then
 * exits. It holds the state dir's lock with the runner (forked after it is
 * taken: engine.h), so the next run's start, which removes what killed runs
 * left, waits for it instead of sweeping the same files beside it. A runner
 * that ends with a host swap file left on (its swapoff cut short by a
 * signal) says "swap" instead of "done" and does not wait: the guardian
 * swaps that off and removes it, then exits. Its swapoff is tried again
 * with a backoff (hr_swap_guard: ENOMEM, a slow read-back are transient)
 * until HR_GUARDIAN_WORK_S after the runner's end, under the
 * HR_GUARDIAN_WAIT_S a run started at once waits for the lock: a file left
 * then is said on the run's stderr (the guardian holds it), in the kernel
 * log and in a note the next run's sweep reads. Every wait of the guardian
 * has a deadline but the first (the runner's life).
 * The agent's watchdog (bb.watchdog= on the kernel command line) is the
 * second line: it powers a running guest off after the host's silence.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/smallfile.h"
#include "core/log.h"
#include "engine.h"
#include "budget.h"
#include "policyloop.h"
#include "hostprobe.h"
#include "run.h"
#include "swap.h"

pid_t hr_pidfile_qemu(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	long pid;

	if (fd >= 0)
		close(fd);
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 1 && pid <= INT32_MAX && hr_pid_is_qemu((pid_t)pid) ? (pid_t)pid : 0;
}

int hr_embed_root(const char *uri, char *buf, size_t size)
{
	const char *p = strstr(uri, "?root=");

	if (!hr_uri_is_embedded(uri) || !p)
		return -1;
	p += strlen("?root=");
	if (snprintf(buf, size, "%.*s", (int)strcspn(p, "&"), p) >= (int)size)
		return -1;
	return 0;
}

int hr_embed_pidfile(const char *uri, const char *name, char *buf, size_t size)
{
	char root[PATH_MAX];

	if (hr_embed_root(uri, root, sizeof(root)) ||
	    snprintf(buf, size, "%s/run/qemu/%s.pid", root, name) >= (int)size)
		return -1;
	return 0;
}

/*
 * Kill the QEMU of each domain named @prefix* with a pid file in @dir. The
 * pid files whose process lives but is not QEMU yet are counted: libvirt
 * writes a domain's pid file in QEMU's process before that execs QEMU, so a
 * runner killed while a domain starts leaves one that becomes QEMU (and
 * then waits, paused, for ever) a moment later.
 */
static int kill_all(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int pending = 0;

	while (d && (e = readdir(d))) {
		char path[PATH_MAX + 300], buf[32];
		size_t n = strlen(e->d_name);
		pid_t pid;
		long p;

		if (strncmp(e->d_name, prefix, strlen(prefix)) || n < 5 ||
		    strcmp(e->d_name + n - 4, ".pid"))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;	/* not a pid file of ours: the state dir's are short */
		pid = hr_pidfile_qemu(path);
		if (pid) {
			(void)kill(pid, SIGKILL);
			continue;
		}
		if (bb_read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		p = strtol(buf, NULL, 10);
		if (p > 1 && p <= INT32_MAX && !kill((pid_t)p, 0))
			pending++;
	}
	if (d)
		closedir(d);
	return pending;
}

int hr_remove_saves(const char *state, const char *prefix)
{
	DIR *d = opendir(state);
	struct dirent *e;
	size_t pl = strlen(prefix);
	int n = 0;

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "save-", 5) || strncmp(e->d_name + 5, prefix, pl) ||
		    (!strstr(e->d_name, ".img")))
			continue;
		if (!unlinkat(dirfd(d), e->d_name, 0))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * The guardian's work ends before a run started at once gives up on the lock
 * (HR_GUARDIAN_WAIT_S from after the runner's end): its swap tries end by
 * HR_GUARDIAN_WORK_S but for the last one's swapoff, killed at that bound
 * and reaped within HR_SWAPOFF_REAP_NS (one file only: a sweep begins none
 * past its deadline); 1 s more for what is no wait (/proc/swaps, the notes).
 * And the runner-died path's fixed steps leave that a try at least.
 */
_Static_assert(HR_GUARDIAN_WORK_S * 1000000000ull + HR_SWAPOFF_REAP_NS + 1000000000ull <=
	       HR_GUARDIAN_WAIT_S * 1000000000ull,
	       "a guardian's work ends, its last swapoff reaped, before a waiting run gives up on the lock");
_Static_assert(HR_GUARDIAN_KILL_NS + 2 * HR_GUARDIAN_CGROUP_NS + HR_SWAP_LAST_TRY_NS <=
	       HR_GUARDIAN_WORK_S * 1000000000ull,
	       "a killed runner's guardian gets to its swap files with a try's time left");

/* What the guardian of a run knows of it, from before the fork. */
struct guard_of {
	const char *root;	/* the embedded driver's root */
	const char *dir;	/* its QEMUs' pid files */
	const char *prefix;	/* its domains' names begin with it */
	const char *cgprefix;	/* hr_cgroup_prefix of root, "": none */
	const char *bprefix;	/* hr_budget_prefix of the run, "": none */
	const char *state;	/* the state dir */
	const char *run4;	/* the run id's last 4 hex digits */
	const char *id;		/* the run's id, naming it in what the guardian says */
	pid_t runner;		/* the runner's pid */
};

/*
 * Wait for the runner's "done" or its end; at its end kill this run's QEMUs
 * (domains @g->prefix* with a pid file in @g->dir) and remove their cgroups,
 * giving QEMU 5 s to leave them, and libvirt's lock files of their agent
 * channels the runner held; a swap file left, tried again until
 * HR_GUARDIAN_WORK_S after that end.
 */
static void guard(int rfd, const struct guard_of *g)
{
	const char *dir = g->dir, *prefix = g->prefix, *cgprefix = g->cgprefix, *bprefix = g->bprefix;
	const char *state = g->state, *run4 = g->run4, *id = g->id;
	char buf[8];
	ssize_t n;
	uint64_t until;

	(void)prctl(PR_SET_NAME, "bb-guardian", 0, 0, 0);
	signal(SIGINT, SIG_IGN);	/* Ctrl-C is the runner's to handle */
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);	/* its stderr, the runner's, may be a pipe whose reader left */
	hr_log_set_around(NULL);	/* no progress board here */
	do
		n = read(rfd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	/* all its work ends by then: a run started at once waits HR_GUARDIAN_WAIT_S for the lock */
	until = hr_now_ns() + HR_GUARDIAN_WORK_S * 1000000000ull;
	if (n >= 4 && !memcmp(buf, "swap", 4)) {	/* the runner ends, a swap file of it left on (a signal) */
		if (*bprefix)
			(void)hr_swap_guard(state, bprefix, until, id);
	} else if (n <= 0) {	/* no "done": the runner died */
		/* (a domain that was starting: its process followed until it is QEMU or gone, 3 s at most) */
		for (uint64_t end = hr_now_ns() + HR_GUARDIAN_KILL_NS; kill_all(dir, prefix) && hr_now_ns() < end;)
			usleep(50000);
		(void)hr_remove_saves(state, prefix);	/* QEMU, which wrote them, is dead: none is whole */
		hr_policy_reap(state, run4);	/* external:CMD programs (policyloop.h) */
		if (*cgprefix)
			(void)hr_cgroup_remove(cgprefix, prefix, hr_now_ns() + HR_GUARDIAN_CGROUP_NS, NULL, NULL);
		(void)hr_chrdev_locks_remove(g->root, prefix, g->runner);	/* no wait: a directory's read */
		if (*bprefix) {	/* this run's host budget (budget.h), the domains' cgroups inside */
			(void)hr_budget_sweep(bprefix, hr_now_ns() + HR_GUARDIAN_CGROUP_NS, NULL);
			/* and its swap files (swap.h), the QEMUs gone: their pages freed, swapoff is quick */
			(void)hr_swap_guard(state, bprefix, until, id);
		}
	}
	_exit(0);
}

int hr_guardian_start(struct hr_run *run)
{
	char root[PATH_MAX + 16], dir[PATH_MAX + 48], prefix[16], cgprefix[32] = "", bprefix[48] = "";
	int fds[2];
	pid_t pid, runner;

	run->guardian_fd = -1;
	/* a daemon of its own keeps its domains; qemu:///system has AUTODESTROY; the embedded driver dies with us */
	if (run->uri[0] && !hr_uri_is_embedded(run->uri))
		return 0;
	if (!run->uri[0])
		snprintf(root, sizeof(root), "%s/embed", run->state_dir);
	else if (hr_embed_root(run->uri, root, sizeof(root)))
		return 0;	/* no root= to find its pid files by */
	if (hr_cgroup_prefix(root, cgprefix, sizeof(cgprefix)))
		cgprefix[0] = '\0';	/* then the next run's start removes them */
	if (hr_budget_prefix(run->state_dir, run->id + strlen(run->id) - 4, bprefix, sizeof(bprefix)))
		bprefix[0] = '\0';
	snprintf(dir, sizeof(dir), "%s/run/qemu", root);
	snprintf(prefix, sizeof(prefix), "bb-%.4s-", run->id + strlen(run->id) - 4);
	if (pipe2(fds, O_CLOEXEC))
		return hr_error("cannot start the guardian: pipe: %s", strerror(errno));
	fflush(NULL);
	runner = getpid();
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return hr_error("cannot start the guardian: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		struct guard_of g = { .root = root, .dir = dir, .prefix = prefix, .cgprefix = cgprefix,
				      .bprefix = bprefix, .state = run->state_dir,
				      .run4 = run->id + strlen(run->id) - 4, .id = run->id, .runner = runner };

		close(fds[1]);
		guard(fds[0], &g);
	}
	close(fds[0]);
	run->guardian_fd = fds[1];
	run->guardian_pid = pid;
	return 0;
}

void hr_guardian_stop(struct hr_run *run)
{
	if (run->guardian_fd < 0)
		return;
	/*
	 * a swap file left on after a signal: the guardian swaps it off and
	 * removes it, under its deadline, after the runner ended (not waited
	 * for: the run ends within 2 s of the signal); it holds the state dir's
	 * lock till then
	 */
	(void)!write(run->guardian_fd, run->swap_left ? "swap" : "done", 4);
	close(run->guardian_fd);
	run->guardian_fd = -1;
	if (!run->swap_left)
		(void)waitpid(run->guardian_pid, NULL, 0);
}

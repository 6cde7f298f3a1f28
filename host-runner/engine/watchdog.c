// SPDX-License-Identifier: MIT
/*
 * watchdog.c - deadlines for the libvirt calls that wait for QEMU's answer
 * (query-balloon, the balloon target, memory stats). A stopped or hung QEMU
 * never answers, and libvirt waits for it without a limit; so a controller
 * arms a deadline around each such call, and this thread destroys the
 * domain of a call that outlives it, or of any call in flight once a signal
 * came. Destroying kills QEMU, which ends the call with an error; the
 * controller then says why (hr_wd_disarm tells it the watchdog fired).
 * A domain's start (virDomainCreateXML, virDomainRestore) has no domain
 * yet: after a signal, or past the start's deadline (a restore's), the QEMU
 * being started is killed by the pid file the embedded driver writes, which
 * ends the start (libvirt then tears the dead QEMU down).
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "engine.h"
#include "hostprobe.h"

#define WD_SLOTS	HR_MAX_VMS
#define WD_TICK_US	50000

struct wd_slot {
	int used, fired;
	int abort_first, aborted;	/* hr_wd_arm_job: virDomainAbortJob first (done) */
	pid_t pid;			/* QEMU's, when it runs here: killed at once */
	virDomainPtr dom;		/* NULL: a start (hr_wd_arm_start) */
	char *pidfile;			/* a start's: where its QEMU's pid appears */
	uint64_t deadline;
	char what[96];
};

struct hr_wd {
	pthread_mutex_t lock;
	struct wd_slot slot[WD_SLOTS];
	pthread_t th;
	atomic_int stop;
};

/*
 * A start in flight once a signal came, or past its deadline (0: none):
 * kill its QEMU as soon as its pid file names one (before QEMU's exec it
 * names another program). Under the lock. Returns 1 when it killed one past
 * its deadline (the caller says so, outside the lock).
 */
static int start_tick(struct wd_slot *s, uint64_t now)
{
	int late = s->deadline && now > s->deadline;
	pid_t pid;

	if ((!hr_stop && !late) || s->fired)
		return 0;
	pid = hr_pidfile_qemu(s->pidfile);
	if (pid) {
		s->fired = 1;
		(void)kill(pid, SIGKILL);
		return !hr_stop;
	}
	return 0;
}

/* virDomainAbortJob on its own thread: a daemon that does not answer blocks only it. */
static void *abort_job(void *arg)
{
	virDomainPtr dom = arg;

	if (virDomainAbortJob(dom) < 0)
		hr_warn("%s: virDomainAbortJob: %s", virDomainGetName(dom), hr_lv_err());
	virDomainFree(dom);
	return NULL;
}

static void *wd_thread(void *arg)
{
	struct hr_wd *w = arg;

	while (!atomic_load(&w->stop)) {
		uint64_t now = hr_now_ns();

		for (int i = 0; i < WD_SLOTS; i++) {
			virDomainPtr dom = NULL;
			pid_t pid = 0;
			char what[96];

			pthread_mutex_lock(&w->lock);
			if (w->slot[i].used && !w->slot[i].dom) {
				int late = start_tick(&w->slot[i], now);

				snprintf(what, sizeof(what), "%s", w->slot[i].what);
				pthread_mutex_unlock(&w->lock);
				if (late)
					hr_warn("QEMU's %s did not end in time: killing it", what);
				continue;
			} else if (w->slot[i].used && !w->slot[i].fired && !hr_stop && w->slot[i].abort_first &&
				   !w->slot[i].aborted && now > w->slot[i].deadline) {
				pthread_t th;
				pthread_attr_t at;

				w->slot[i].aborted = 1;
				w->slot[i].deadline = now + HR_WD_ABORT_GRACE_MS * 1000000ull;
				dom = w->slot[i].dom;
				virDomainRef(dom);
				snprintf(what, sizeof(what), "%s", w->slot[i].what);
				pthread_mutex_unlock(&w->lock);
				hr_warn("%s: %s did not end in time: aborting it (virDomainAbortJob)",
					virDomainGetName(dom), what);
				pthread_attr_init(&at);
				pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
				if (pthread_create(&th, &at, abort_job, dom))
					virDomainFree(dom);	/* no thread: the grace's end destroys it */
				pthread_attr_destroy(&at);
				continue;
			} else if (w->slot[i].used && !w->slot[i].fired && (hr_stop || now > w->slot[i].deadline)) {
				w->slot[i].fired = 1;
				dom = w->slot[i].dom;
				pid = w->slot[i].pid;
				virDomainRef(dom);
				snprintf(what, sizeof(what), "%s", w->slot[i].what);
			}
			pthread_mutex_unlock(&w->lock);
			if (!dom)
				continue;
			if (!hr_stop)
				hr_warn("%s: QEMU did not answer %s in time: destroying the domain",
					virDomainGetName(dom), what);
			/*
			 * libvirt's destroy sends SIGTERM and waits up to 10 s before
			 * SIGKILL; a stopped QEMU never sees the SIGTERM. Kill it first.
			 */
			if (pid > 0 && hr_pid_is_qemu(pid))
				(void)kill(pid, SIGKILL);	/* the call ends at once; its controller destroys */
			else
				(void)virDomainDestroy(dom);
			virDomainFree(dom);
		}
		usleep(WD_TICK_US);
	}
	return NULL;
}

struct hr_wd *hr_wd_new(void)
{
	struct hr_wd *w = calloc(1, sizeof(*w));

	if (!w) {
		hr_error("out of memory");
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	if (pthread_create(&w->th, NULL, wd_thread, w)) {
		pthread_mutex_destroy(&w->lock);
		free(w);
		hr_error("cannot start the watchdog thread");
		return NULL;
	}
	return w;
}

void hr_wd_free(struct hr_wd *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, 1);
	pthread_join(w->th, NULL);
	for (int i = 0; i < WD_SLOTS; i++) {
		if (w->slot[i].used && w->slot[i].dom)
			virDomainFree(w->slot[i].dom);
		free(w->slot[i].pidfile);
	}
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* A free slot, taken (under the lock); -1 if none. */
static int take_slot(struct hr_wd *w)
{
	for (int i = 0; i < WD_SLOTS; i++) {
		if (w->slot[i].used)
			continue;
		w->slot[i].used = 1;
		w->slot[i].fired = 0;
		w->slot[i].abort_first = w->slot[i].aborted = 0;
		return i;
	}
	return -1;
}

int hr_wd_arm(struct hr_wd *w, virDomainPtr dom, pid_t pid, uint64_t ms, const char *what)
{
	int slot = -1;

	if (!w || !dom)
		return -1;
	pthread_mutex_lock(&w->lock);
	slot = take_slot(w);
	if (slot >= 0) {
		w->slot[slot].dom = dom;
		w->slot[slot].pid = pid;
		virDomainRef(dom);
		w->slot[slot].deadline = hr_now_ns() + ms * 1000000ull;
		snprintf(w->slot[slot].what, sizeof(w->slot[slot].what), "%s", what);
	}
	pthread_mutex_unlock(&w->lock);
	return slot;
}

int hr_wd_arm_job(struct hr_wd *w, virDomainPtr dom, pid_t pid, uint64_t ms, const char *what)
{
	int slot = hr_wd_arm(w, dom, pid, ms, what);

	if (slot >= 0) {
		pthread_mutex_lock(&w->lock);
		w->slot[slot].abort_first = 1;
		pthread_mutex_unlock(&w->lock);
	}
	return slot;
}

int hr_wd_arm_start(struct hr_wd *w, const char *uri, const char *name, uint64_t ms, const char *what)
{
	char path[PATH_MAX + 300];
	char *pidfile;
	int slot;

	if (!w || hr_embed_pidfile(uri, name, path, sizeof(path)) || !(pidfile = strdup(path)))
		return -1;
	pthread_mutex_lock(&w->lock);
	slot = take_slot(w);
	if (slot >= 0) {
		w->slot[slot].dom = NULL;
		w->slot[slot].pidfile = pidfile;
		w->slot[slot].deadline = ms ? hr_now_ns() + ms * 1000000ull : 0;
		snprintf(w->slot[slot].what, sizeof(w->slot[slot].what), "%s of %s", what, name);
		pidfile = NULL;
	}
	pthread_mutex_unlock(&w->lock);
	free(pidfile);
	return slot;
}

int hr_wd_disarm(struct hr_wd *w, int slot)
{
	int fired;

	if (!w || slot < 0)
		return 0;
	pthread_mutex_lock(&w->lock);
	fired = w->slot[slot].fired ? 1 : w->slot[slot].aborted ? 2 : 0;
	w->slot[slot].used = 0;
	if (w->slot[slot].dom)
		virDomainFree(w->slot[slot].dom);
	w->slot[slot].dom = NULL;
	free(w->slot[slot].pidfile);
	w->slot[slot].pidfile = NULL;
	pthread_mutex_unlock(&w->lock);
	return fired;
}

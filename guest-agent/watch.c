// SPDX-License-Identifier: MIT
/*
 * watch.c - the stall watch (watch.h): its thread, and what it says.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "watch.h"

struct ga_watch ga_watch;

static void watch_say_kernel_view(void)
{
	char buf[2048], path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", (int)getpid());
	if (!ga_read_small(path, buf, sizeof(buf)))
		ga_say("  main thread waits in: %s", buf[0] ? buf : "(running)");
	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		ga_say("  %s", l);
}

/* One stall kind: @v unchanged for 3 wake-ups (while @cond) starts it. */
struct stall {
	uint64_t last;
	int same, said;
};

static int stall_step(struct stall *st, uint64_t v, int cond)
{
	int start = 0;

	if (!cond || v != st->last) {
		st->last = v;
		st->same = 0;
		if (st->said) {
			st->said = 0;
			return -1;	/* over */
		}
		return 0;
	}
	if (++st->same >= 3 && !st->said)
		start = st->said = 1;
	return start;
}

static void *watch_thread(void *arg)
{
	struct stall loop = { 0 }, samp = { 0 }, out = { 0 };

	(void)arg;
	for (;;) {
		uint64_t q;
		int r;

		sleep(1);
		q = atomic_load(&ga_watch.queued);
		r = stall_step(&loop, atomic_load(&ga_watch.turns), 1);
		if (r > 0) {
			ga_say("stall watch: the agent's loop has not turned for 3 s");
			watch_say_kernel_view();
		} else if (r < 0) {
			ga_say("stall watch: the loop turns again");
		}
		r = stall_step(&samp, atomic_load(&ga_watch.samples),
			       atomic_load(&ga_watch.configured) && !loop.said);
		if (r > 0)
			ga_say("stall watch: no sample for 3 s; the loop's clock %" PRIu64
			    " ns, next sample at %" PRIu64 ", CLOCK_MONOTONIC %" PRIu64,
			    atomic_load(&ga_watch.now), atomic_load(&ga_watch.next), mono_ns());
		else if (r < 0)
			ga_say("stall watch: samples again");
		r = stall_step(&out, atomic_load(&ga_watch.written), q > 0);
		if (r > 0)
			ga_say("stall watch: %" PRIu64 " bytes for the host have not moved for 3 s"
			    " (the port says the host is %s)", q,
			    atomic_load(&ga_watch.connected) ? "connected" : "not connected");
		else if (r < 0)
			ga_say("stall watch: bytes for the host move again");
	}
	return NULL;
}

void ga_watch_start(void)
{
	pthread_attr_t at;
	pthread_t t;

	if (pthread_attr_init(&at))
		return;
	(void)pthread_attr_setstacksize(&at, 64 * 1024);
	(void)pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, watch_thread, NULL))
		ga_say("stall watch: cannot start its thread");
	pthread_attr_destroy(&at);
}

// SPDX-License-Identifier: MIT
/*
 * progress.c - the live block on a terminal: a line per guest that is
 * booting, moving or resting (at most 16, then a count), redrawn every
 * 250 ms from the snapshots the guests' controllers publish. With more than
 * 12 guests on the board, or more live ones than the terminal has lines, one
 * line of counts by state and a line per guest that moves or failed. Rows of the
 * transitions table and log messages go where the block was; it is drawn
 * again after them. Quiet when stderr is not a terminal.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/log.h"
#include "engine.h"

const char *const hr_gstate_names[HR_GS_N] = {
	[HR_GS_NEW] = "new", [HR_GS_BOOTING] = "booting", [HR_GS_READY] = "ready",
	[HR_GS_INFLATING] = "inflating", [HR_GS_DEFLATING] = "deflating", [HR_GS_REST] = "rest",
	[HR_GS_STOPPING] = "stopping", [HR_GS_DONE] = "done", [HR_GS_FAILED] = "failed",
};

#define BLOCK_LINES	16
#define SUMMARY_ABOVE	12	/* more guests on the board: a line of counts, and the moving ones */

struct hr_board {
	pthread_mutex_t lock;		/* the slots, and the terminal */
	struct hr_snap s[HR_MAX_VMS];
	int n;
	uint64_t t0;
	int drawn;			/* lines the block takes now, 0 = none */
	int on;
	atomic_int stop;
	pthread_t th;
};

/* hr_log_around needs the board: one live board at a time. */
static struct hr_board *_Atomic live;

struct hr_board *hr_board_new(uint64_t t0)
{
	struct hr_board *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	pthread_mutex_init(&b->lock, NULL);
	b->t0 = t0;
	return b;
}

int hr_board_add(struct hr_board *b, const char *name)
{
	int slot = -1;

	pthread_mutex_lock(&b->lock);
	if (b->n < HR_MAX_VMS) {
		slot = b->n++;
		memset(&b->s[slot], 0, sizeof(b->s[slot]));
		snprintf(b->s[slot].name, sizeof(b->s[slot].name), "%s", name);
	}
	pthread_mutex_unlock(&b->lock);
	return slot;
}

void hr_board_publish(struct hr_board *b, int slot, const struct hr_snap *s)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&b->lock);
	if (slot < b->n)
		b->s[slot] = *s;
	pthread_mutex_unlock(&b->lock);
}

void hr_board_counts(struct hr_board *b, int n[HR_GS_N])
{
	for (int i = 0; i < HR_GS_N; i++)
		n[i] = 0;
	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	for (int i = 0; i < b->n; i++)
		if (b->s[i].state < HR_GS_N)
			n[b->s[i].state]++;
	pthread_mutex_unlock(&b->lock);
}

/* One guest's line: state, target, actual, rate, elapsed/estimated. */
static void line_of(const struct hr_snap *s, int64_t now, char *buf, size_t size)
{
	const char *name = strlen(s->name) > 8 ? s->name + 8 : s->name;	/* without "bb-XXXX-" */
	double el = (double)(now - s->t_state) / 1e9;
	char total[32] = "?";

	/* a display line: cut at the terminal's width by design */
	if (s->state != HR_GS_INFLATING && s->state != HR_GS_DEFLATING) {
		hr_fmt(buf, size, "%s %s %.1fs", name, hr_gstate_names[s->state], el);
		return;
	}
	if (s->rate_mib_s > 1 && !isnan(s->actual_mib))
		hr_fmt(total, sizeof(total), "%.1fs",
		       el + fabs(s->actual_mib - s->target_mib) / s->rate_mib_s);
	hr_fmt(buf, size, "%s %s ->%.0f at %.0f MiB %.0f MiB/s %.1fs/%s", name,
	       hr_gstate_names[s->state], s->target_mib, s->actual_mib, s->rate_mib_s, el, total);
}

/* Erase the block (lock held); the cursor ends up where it began. */
static void erase(struct hr_board *b)
{
	if (b->drawn > 1)
		fprintf(stderr, "\033[%dA", b->drawn - 1);
	if (b->drawn)
		fputs("\r\033[J", stderr);
	b->drawn = 0;
}

static void around_log(int before)
{
	struct hr_board *b = live;

	if (!b)
		return;
	if (before) {
		pthread_mutex_lock(&b->lock);
		erase(b);
	} else {
		fflush(stderr);
		pthread_mutex_unlock(&b->lock);
	}
}

/* The terminal's height (stderr's), or 24 if unknown. */
static int term_rows(void)
{
	struct winsize w;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &w) || w.ws_row < 4)
		return 24;
	return w.ws_row;
}

/*
 * Many guests: one line of counts by state, then only the guests that move
 * (and, while there is room, those that failed), up to @max lines in all.
 */
static int draw_summary(struct hr_board *b, int64_t now, int max)
{
	int n[HR_GS_N] = { 0 }, lines = 1, more = 0;
	char line[256];

	for (int i = 0; i < b->n; i++)
		n[b->s[i].state]++;
	hr_fmt(line, sizeof(line), "%d guests: %d waiting to boot, %d booting, %d ready, %d moving, "
	       "%d at rest, %d done, %d failed", b->n, n[HR_GS_NEW], n[HR_GS_BOOTING], n[HR_GS_READY],
	       n[HR_GS_INFLATING] + n[HR_GS_DEFLATING], n[HR_GS_REST], n[HR_GS_STOPPING] + n[HR_GS_DONE],
	       n[HR_GS_FAILED]);
	fprintf(stderr, "%.160s", line);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < b->n; i++) {
			const struct hr_snap *s = &b->s[i];
			int moving = s->state == HR_GS_INFLATING || s->state == HR_GS_DEFLATING;

			if (pass ? s->state != HR_GS_FAILED : !moving)
				continue;
			if (lines >= max - 1) {
				more++;
				continue;
			}
			line_of(s, now, line, sizeof(line));
			fprintf(stderr, "\n%.160s", line);
			lines++;
		}
	}
	if (more)
		fprintf(stderr, "\n... and %d more moving or failed", more), lines++;
	return lines;
}

static void draw(struct hr_board *b)
{
	int64_t now = (int64_t)(hr_now_ns() - b->t0);
	int lines = 0, more = 0, running = 0, ended = 0, max = term_rows() - 2;

	erase(b);
	if (max > BLOCK_LINES)
		max = BLOCK_LINES;
	for (int i = 0; i < b->n; i++) {
		ended += b->s[i].state == HR_GS_DONE || b->s[i].state == HR_GS_FAILED;
		running += b->s[i].state != HR_GS_NEW && b->s[i].state != HR_GS_DONE &&
			   b->s[i].state != HR_GS_FAILED;
	}
	/* the guests not ended yet (earlier waves' are) */
	if (b->n - ended > SUMMARY_ABOVE || running > max) {
		b->drawn = draw_summary(b, now, max);
		fflush(stderr);
		return;
	}
	for (int i = 0; i < b->n; i++) {
		const struct hr_snap *s = &b->s[i];
		char line[256];

		if (s->state == HR_GS_NEW || s->state == HR_GS_DONE || s->state == HR_GS_FAILED)
			continue;
		if (lines == BLOCK_LINES) {
			more++;
			continue;
		}
		line_of(s, now, line, sizeof(line));
		fprintf(stderr, "%s%.160s", lines ? "\n" : "", line);
		lines++;
	}
	if (more)
		fprintf(stderr, "\n... and %d more guest(s)", more), lines++;
	b->drawn = lines;
	fflush(stderr);
}

static void *board_thread(void *arg)
{
	struct hr_board *b = arg;

	while (!atomic_load(&b->stop)) {
		pthread_mutex_lock(&b->lock);
		draw(b);
		pthread_mutex_unlock(&b->lock);
		usleep(250000);
	}
	pthread_mutex_lock(&b->lock);
	erase(b);
	fflush(stderr);
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

void hr_board_start(struct hr_board *b)
{
	if (hr_verbosity < HR_INFO || !isatty(STDERR_FILENO) || live)
		return;
	atomic_store(&b->stop, 0);
	if (pthread_create(&b->th, NULL, board_thread, b))
		return;
	b->on = 1;
	live = b;
	hr_log_set_around(around_log);
}

void hr_board_stop(struct hr_board *b)
{
	if (!b || !b->on)
		return;
	atomic_store(&b->stop, 1);
	pthread_join(b->th, NULL);
	hr_log_set_around(NULL);
	live = NULL;
	b->on = 0;
}

void hr_board_print(struct hr_board *b, const char *line)
{
	pthread_mutex_lock(&b->lock);
	if (b->on) {
		erase(b);
		fflush(stderr);
	}
	fputs(line, stdout);
	fflush(stdout);
	pthread_mutex_unlock(&b->lock);
}

void hr_board_free(struct hr_board *b)
{
	if (!b)
		return;
	hr_board_stop(b);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

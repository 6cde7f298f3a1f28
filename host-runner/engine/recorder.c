// SPDX-License-Identifier: MIT
/*
 * recorder.c - the one owner of a run's files in results/<run-id>/.
 *
 * Every thread hands it rows through a queue (formatting them itself); the
 * recorder's thread alone writes, flushes and fsyncs. Rows reach the kernel
 * at least every 200 ms, so a run that dies halfway keeps what it recorded;
 * at the end of each transition (hr_rec_sync_later) and of the run every
 * file is flushed and fsync'd. The first failed write, flush, fsync or close
 * marks the recorder failed with the file's name and the cause; later rows
 * are dropped (the run stops: controllers check hr_rec_failed).
 *
 * events.csv is in time order, whichever threads its rows come from: a row
 * is stamped as it is queued, under the queue's lock (hr_queue_push_stamped),
 * so the queue holds them in the order of their times. The one row of
 * another time, the signal's (stamped by run.c's handler, which cannot queue
 * anything), the recorder writes itself, before the first row stamped after
 * it, or as soon as the queue has emptied after it came: never held longer.
 *
 *   samples.csv      every guest and host sample, one time base (t_s)
 *   transitions.csv  one row per target change
 *   events.csv       what happened when: boots, targets, errors; ordered by t_s
 *   faults.csv, latency.csv, latency_stats.csv, nodes.csv, slowest.csv
 *                    the workload's data (wlhost.c)
 *   run.json         host, versions, accel, scenario, clock, agent cost (runjson.c)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/paths.h"
#include "engine.h"

/* The files' names and headers are their tables' (core/schema.h). */
_Static_assert((int)HR_NFILES == (int)HR_TB_SUMMARY, "the recorder writes the schema's first tables");

static const char *file_name(int i)
{
	return hr_tables[i].file;
}

enum rec_op { OP_ROW, OP_EVENT, OP_SYNC, OP_RUN_JSON, OP_STOP };

struct rec_item {
	struct hr_qnode node;
	enum rec_op op;
	enum hr_file file;
	int *done;			/* OP_SYNC: set to 1 (under r->lock), then r->cond */
	char *text;			/* OP_ROW: one line with its newline; OP_RUN_JSON;
					   OP_EVENT: the row after its time: "vm,event,detail\n" */
	uint64_t when;			/* OP_EVENT: hr_now_ns() as it was queued */
};

struct hr_rec {
	struct hr_queue q;
	pthread_t th;
	uint64_t t0;
	char dir[PATH_MAX];
	FILE *f[HR_NFILES];
	atomic_int failed;
	char why[PATH_MAX + 160];	/* written once, before failed is set */
	pthread_mutex_t lock;		/* for the waiters of OP_SYNC */
	pthread_cond_t cond;
	int signal_done;		/* recorder's thread: the signal's row is written */
};

/* The first failure wins; it is said at once, on the terminal, naming the file. */
static void set_failed(struct hr_rec *r, const char *why)
{
	int first = 0;

	pthread_mutex_lock(&r->lock);
	if (!atomic_load(&r->failed)) {
		snprintf(r->why, sizeof(r->why), "%s", why);
		atomic_store(&r->failed, 1);
		first = 1;
	}
	pthread_mutex_unlock(&r->lock);
	if (first)
		hr_err("%s", why);
}

static void fail(struct hr_rec *r, const char *what, const char *name, int err)
{
	char why[sizeof(r->why)];

	snprintf(why, sizeof(why), "%s %s/%s: %s", what, r->dir, name, strerror(err));
	set_failed(r, why);
}

static void sync_all(struct hr_rec *r)
{
	for (int i = 0; i < HR_NFILES; i++) {
		if (!r->f[i])
			continue;
		if (fflush(r->f[i]))
			fail(r, "writing", file_name(i), errno);
		else if (fsync(fileno(r->f[i])) && errno != EINVAL)
			fail(r, "syncing", file_name(i), errno);
	}
}

static void flush_all(struct hr_rec *r)
{
	for (int i = 0; i < HR_NFILES; i++)
		if (r->f[i] && fflush(r->f[i]))
			fail(r, "writing", file_name(i), errno);
}

/* run.json: a temporary file, fsync'd, renamed over the old one, the directory fsync'd. */
static void write_run_json(struct hr_rec *r, const char *text)
{
	char path[PATH_MAX + 16], tmp[PATH_MAX + 16];
	size_t len = strlen(text);
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/run.json", r->dir);
	snprintf(tmp, sizeof(tmp), "%s/.run.json.tmp", r->dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fail(r, "creating", ".run.json.tmp", errno);
		return;
	}
	for (size_t off = 0; off < len && !err;) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err = n < 0 ? errno : EIO;
		else
			off += (size_t)n;
	}
	if (!err && fsync(fd))
		err = errno;
	if (close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		(void)unlink(tmp);
		fail(r, "writing", "run.json", err);
		return;
	}
	fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* An events.csv row: its time (t_s, in its column's format), then @row: the rest, made by hr_row_csv(). */
static void write_event(struct hr_rec *r, uint64_t when, const char *row)
{
	if (!atomic_load(&r->failed) &&
	    fprintf(r->f[HR_F_EVENTS], "%.*f,%s", hr_tables[HR_TB_EVENTS].cols[HR_EV_T_S].prec,
		    (double)(int64_t)(when - r->t0) / 1e9, row) < 0)
		fail(r, "writing", file_name(HR_F_EVENTS), errno);
}

/* When the first signal came (0: none yet); its handler stamps it a moment after its number. */
static uint64_t signal_time(void)
{
	uint64_t t;

	if (!atomic_load(&hr_signal_no))
		return 0;
	while (!(t = atomic_load(&hr_signal_ns)))
		sched_yield();	/* the handler is between its two stores */
	return t;
}

/*
 * The signal's row, if one came, unless a row stamped before it may still be
 * queued: @upto is the stamp of the row about to be written (every later one
 * has a later stamp), or UINT64_MAX where the queue was seen empty after the
 * signal's time was read.
 */
static void signal_row(struct hr_rec *r, uint64_t upto)
{
	struct hr_row row;
	char *text;
	uint64_t t;
	int sig;

	if (r->signal_done || !(t = signal_time()) || t > upto)
		return;
	sig = atomic_load(&hr_signal_no);
	r->signal_done = 1;
	hr_row_init(&row, HR_TB_EVENTS);
	hr_row_set_s(&row, HR_EV_EVENT, "signal");
	hr_row_set_s(&row, HR_EV_DETAIL, sig == SIGINT ? "SIGINT received" :
			   sig == SIGTERM ? "SIGTERM received" : "SIGHUP received");
	text = hr_row_csv(&row, HR_EV_VM);
	if (!text) {
		set_failed(r, "out of memory recording results");
		return;
	}
	write_event(r, t, text);
	free(text);
}

static void *rec_thread(void *arg)
{
	struct hr_rec *r = arg;
	uint64_t last_flush = hr_now_ns();

	for (;;) {
		struct rec_item *it = (struct rec_item *)hr_queue_pop(&r->q, hr_now_ns() + 200000000ull);
		enum rec_op op;

		if (!it && !r->signal_done && signal_time()) {
			/* the queue seen empty after the signal came: nothing stamped before it is left */
			it = (struct rec_item *)hr_queue_pop(&r->q, 0);
			if (!it)
				signal_row(r, UINT64_MAX);
		}
		if (hr_now_ns() - last_flush >= 200000000ull || !it) {
			flush_all(r);
			last_flush = hr_now_ns();
		}
		if (!it)
			continue;
		op = it->op;
		switch (op) {
		case OP_ROW:
			if (!atomic_load(&r->failed) && fputs(it->text, r->f[it->file]) == EOF)
				fail(r, "writing", file_name(it->file), errno);
			break;
		case OP_EVENT:
			signal_row(r, it->when);
			write_event(r, it->when, it->text);
			break;
		case OP_RUN_JSON:
			write_run_json(r, it->text);
			break;
		case OP_STOP:
			signal_row(r, UINT64_MAX);	/* every producer is done */
			/* fall through */
		case OP_SYNC:
			sync_all(r);
			last_flush = hr_now_ns();
			break;
		}
		if (it->done) {
			pthread_mutex_lock(&r->lock);
			*it->done = 1;
			pthread_cond_broadcast(&r->cond);
			pthread_mutex_unlock(&r->lock);
		}
		free(it->text);
		free(it);
		if (op == OP_STOP)
			return NULL;
	}
}

static void push(struct hr_rec *r, enum rec_op op, enum hr_file file, char *text, int *done)
{
	struct rec_item *it = calloc(1, sizeof(*it));

	if (!it) {
		free(text);
		set_failed(r, "out of memory recording results");
		return;
	}
	it->op = op;
	it->file = file;
	it->text = text;
	it->done = done;
	if (op == OP_EVENT)
		hr_queue_push_stamped(&r->q, &it->node, &it->when);
	else
		hr_queue_push(&r->q, &it->node);
}

static FILE *open_csv(struct hr_rec *r, int i)
{
	char path[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", r->dir, file_name(i));
	f = fopen(path, "we");
	if (!f) {
		hr_error("cannot create %s: %s", path, strerror(errno));
		return NULL;
	}
	if (hr_table_header(f, &hr_tables[i])) {
		hr_error("cannot write %s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	return f;
}

int hr_rec_open(struct hr_rec **out, const char *root, const char *id, uint64_t t0, char *dir,
		size_t dirlen)
{
	struct hr_rec *r = calloc(1, sizeof(*r));
	char path[PATH_MAX];
	int e;

	if (!r)
		return hr_error("out of memory");
	r->t0 = t0;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	e = hr_dirs_make(root);
	if (e) {
		free(r);
		return hr_error("cannot create results dir %s: %s", root, strerror(-e));
	}
	if (snprintf(r->dir, sizeof(r->dir), "%s/%s", root, id) >= (int)sizeof(r->dir) ||
	    (size_t)snprintf(dir, dirlen, "%s", r->dir) >= dirlen) {
		free(r);
		return hr_error("results dir %s/%s: path too long", root, id);
	}
	if (mkdir(r->dir, 0755)) {
		e = errno;
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->cond);
		free(r);
		return hr_error("cannot create %s/%s: %s", root, id, strerror(e));
	}
	/* results/latest -> this run, for people and scripts. */
	if (snprintf(path, sizeof(path), "%s/latest", root) < (int)sizeof(path)) {
		(void)unlink(path);
		if (symlink(id, path))
			hr_warn("cannot point %s at %s: %s", path, id, strerror(errno));
	}
	for (int i = 0; i < HR_NFILES; i++) {
		r->f[i] = open_csv(r, i);
		if (!r->f[i])
			goto err;
	}
	if (hr_queue_init(&r->q)) {
		hr_error("cannot set up the recorder's queue");
		goto err;
	}
	if (pthread_create(&r->th, NULL, rec_thread, r)) {
		hr_error("cannot start the recorder's thread");
		hr_queue_destroy(&r->q, NULL);
		goto err;
	}
	*out = r;
	return 0;
err:
	for (int i = 0; i < HR_NFILES; i++)
		if (r->f[i])
			fclose(r->f[i]);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r);
	return -1;
}

void hr_rec_put(struct hr_rec *r, enum hr_file f, const struct hr_row *row)
{
	char *text;

	if (!r || atomic_load(&r->failed))
		return;
	text = hr_row_csv(row, 0);
	if (!text) {
		set_failed(r, "out of memory recording results");
		return;
	}
	push(r, OP_ROW, f, text, NULL);
}

void hr_rec_event(struct hr_rec *r, const char *vm, const char *kind, const char *fmt, ...)
{
	char detail[1024], *text;
	struct hr_row row;
	va_list ap;

	if (!r || atomic_load(&r->failed))
		return;
	va_start(ap, fmt);
	hr_vfmt(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* free text on one line (the row builder quotes it) */
	for (char *p = detail; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	hr_row_init(&row, HR_TB_EVENTS);
	hr_row_set_s(&row, HR_EV_VM, vm);
	hr_row_set_s(&row, HR_EV_EVENT, kind);
	hr_row_set_s(&row, HR_EV_DETAIL, detail);
	/* its time (t_s) is taken as it is queued (push), written by the recorder's thread */
	text = hr_row_csv(&row, HR_EV_VM);
	if (!text) {
		set_failed(r, "out of memory recording results");
		return;
	}
	push(r, OP_EVENT, HR_F_EVENTS, text, NULL);
}

void hr_rec_sync_later(struct hr_rec *r)
{
	if (r)
		push(r, OP_SYNC, 0, NULL, NULL);
}

int hr_rec_sync(struct hr_rec *r, int timeout_ms)
{
	int *done = calloc(1, sizeof(*done)), ok;
	uint64_t deadline = hr_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	char why[sizeof(r->why)];

	if (!done)
		return hr_error("out of memory");
	push(r, OP_SYNC, 0, NULL, done);
	pthread_mutex_lock(&r->lock);
	while (!*done && hr_now_ns() < deadline) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		(void)pthread_cond_timedwait(&r->cond, &r->lock, &ts);
	}
	ok = *done;
	pthread_mutex_unlock(&r->lock);
	if (!ok) {
		/* the recorder may still set it: leave it allocated */
		return hr_error("the results in %s were not written within %d s (disk stuck?)",
				r->dir, timeout_ms / 1000);
	}
	free(done);
	if (hr_rec_failed(r, why, sizeof(why)))
		return hr_error("%s", why);
	return 0;
}

void hr_rec_run_json(struct hr_rec *r, char *text)
{
	if (!text) {
		hr_err("cannot build run.json (out of memory)");
		return;
	}
	push(r, OP_RUN_JSON, 0, text, NULL);
}

int hr_rec_failed(struct hr_rec *r, char *why, size_t len)
{
	if (!r || !atomic_load(&r->failed))
		return 0;
	if (why) {
		pthread_mutex_lock(&r->lock);
		snprintf(why, len, "%s", r->why);
		pthread_mutex_unlock(&r->lock);
	}
	return 1;
}

int hr_rec_close(struct hr_rec *r)
{
	char why[sizeof(r->why)];
	int ret = 0;

	if (!r)
		return 0;
	push(r, OP_STOP, 0, NULL, NULL);
	pthread_join(r->th, NULL);
	for (int i = 0; i < HR_NFILES; i++)
		if (r->f[i] && fclose(r->f[i]) && !atomic_load(&r->failed))
			fail(r, "closing", file_name(i), errno);
	if (hr_rec_failed(r, why, sizeof(why)))
		ret = hr_error("%s", why);
	hr_queue_destroy(&r->q, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r);
	return ret;
}

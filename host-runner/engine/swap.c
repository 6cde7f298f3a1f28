// SPDX-License-Identifier: MIT
/*
 * swap.c - host-swap's file: made, swapped on, swapped off under a deadline,
 * removed; a killed run's found and removed (swap.h says how and why).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "engine.h"
#include "swap.h"

#ifndef SYS_close_range
#define SYS_close_range 436	/* the same number on every architecture */
#endif

/* /proc/swaps's file name: octal escapes (\040 a blank, \011, \012, \134) undone, " (deleted)" cut. */
static void unescape(char *s)
{
	char *o = s;
	size_t n;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
		    p[3] <= '7') {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	n = strlen(s);
	if (n > 10 && !strcmp(s + n - 10, " (deleted)"))
		s[n - 10] = '\0';
}

/*
 * Each area of /proc/swaps: @fn(its file, size KiB, used KiB, priority, @arg); stops at nonzero.
 * -1: /proc/swaps cannot be read.
 */
static int each_area(int (*fn)(const char *file, long long size, long long used, int prio, void *arg), void *arg)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[PATH_MAX + 128];
	int first = 1, r = 0;

	if (!f)
		return -1;
	while (!r && fgets(line, sizeof(line), f)) {
		char *fld[4], *end;
		long long size, used;
		long prio;
		int k;

		if (first) {	/* the header */
			first = 0;
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		/* the last four fields: type, size, used, priority; the file name is what is before */
		end = line + strlen(line);
		for (k = 3; k >= 0; k--) {
			while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
				*--end = '\0';
			while (end > line && end[-1] != ' ' && end[-1] != '\t')
				end--;
			fld[k] = end;
		}
		while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (end == line)
			continue;
		size = strtoll(fld[1], NULL, 10);
		used = strtoll(fld[2], NULL, 10);
		prio = strtol(fld[3], NULL, 10);
		unescape(line);
		r = fn(line, size, used, (int)prio, arg);
	}
	fclose(f);
	return r;
}

static int max_prio(const char *file, long long size, long long used, int prio, void *arg)
{
	int *m = arg;

	(void)file;
	(void)size;
	(void)used;
	if (prio > *m)
		*m = prio;
	return 0;
}

int hr_swap_max_prio(void)
{
	int m = INT_MIN;

	(void)each_area(max_prio, &m);
	return m;
}

struct find {
	const char *path;
	long long used;
};

static int find_one(const char *file, long long size, long long used, int prio, void *arg)
{
	struct find *f = arg;

	(void)size;
	(void)prio;
	if (strcmp(file, f->path))
		return 0;
	f->used = used;
	return 1;
}

int64_t hr_swap_used_kib(const char *path)
{
	struct find f = { path, -1 };

	(void)each_area(find_one, &f);
	return f.used;
}

struct live {
	const char *state;	/* our state dir's realpath ("": none) */
	char *file;
	size_t size;
};

/* A bb-*.swap of another state dir whose lock a live run (or its guardian) holds: 1. */
static int live_one(const char *file, long long size, long long used, int prio, void *arg)
{
	struct live *l = arg;
	const char *base = strrchr(file, '/');
	size_t n = strlen(file), dl;
	char lock[PATH_MAX + 8];
	int fd, held;

	(void)size;
	(void)used;
	(void)prio;
	if (!base || strncmp(base + 1, "bb-", 3) || n < 6 || strcmp(file + n - 5, ".swap"))
		return 0;
	dl = (size_t)(base - file);
	if (strlen(l->state) == dl && !strncmp(file, l->state, dl))
		return 0;	/* ours: the state dir's lock says no run of it is live (the next run's sweep) */
	if (snprintf(lock, sizeof(lock), "%.*s/lock", (int)dl, file) >= (int)sizeof(lock))
		return 0;
	fd = open(lock, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	held = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
	close(fd);	/* (a shared lock taken is let go with it) */
	if (held)
		snprintf(l->file, l->size, "%s", file);
	return held;
}

int hr_swap_live_other(const char *state_dir, char *file, size_t size)
{
	char real[PATH_MAX] = "";
	struct live l = { real, file, size };

	if (!realpath(state_dir, real))
		real[0] = '\0';	/* not made yet: then every bb-*.swap is another's */
	return each_area(live_one, &l) > 0;
}

/* @path (or "@path (deleted)") in /proc/swaps: 1; 0: not; -1: /proc/swaps cannot be read. */
static int listed(const char *path)
{
	struct find f = { path, -1 };

	if (each_area(find_one, &f) < 0)
		return -1;
	return f.used >= 0;
}

/*
 * swapoff(@path) in a child, killed at @deadline (swapoff then ends with
 * EINTR, the area still on; SIGINT, SIGTERM and SIGHUP it ignores: the
 * deadline, or the run's hr_stop, ends it). After hr_stop it is given
 * @grace_ns more at most (0: killed at once). The child dies with its
 * parent (PR_SET_PDEATHSIG): no swapoff outlives the deadline's owner.
 * It keeps no fd of the parent's but 0-2 and @keep (the file @path names
 * by /proc/self/fd): a child killed and left to init would otherwise hold
 * the state dir's lock after its parent's end. 0, or an errno (EINVAL: not an area that is on, or one another swapoff
 * is taking off: the caller asks /proc/swaps; ETIMEDOUT: the deadline or
 * the signal).
 */
static int swapoff_by(const char *path, int keep, uint64_t deadline, uint64_t grace_ns)
{
	long open_max = sysconf(_SC_OPEN_MAX);	/* (not async-signal-safe: asked before the fork) */
	pid_t parent = getpid();
	pid_t pid;
	int st, stopped = 0;

	if (open_max < 0 || open_max > 1 << 20)
		open_max = 1 << 20;
	pid = fork();

	if (pid < 0)
		return errno;
	if (pid == 0) {	/* async-signal-safe calls only: the parent may have threads */
		struct sigaction ign = { .sa_handler = SIG_IGN };

		/* Ctrl-C reaches the whole process group: the parent decides when it ends */
		sigemptyset(&ign.sa_mask);
		sigaction(SIGINT, &ign, NULL);
		sigaction(SIGTERM, &ign, NULL);
		sigaction(SIGHUP, &ign, NULL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) || getppid() != parent)
			_exit(ECHILD);	/* the parent is gone already */
		/* every fd but 0-2 and @keep closed (close_range, Linux 5.9; else one by one) */
		if ((keep > 3 && syscall(SYS_close_range, 3u, (unsigned)keep - 1, 0u)) ||
		    syscall(SYS_close_range, keep >= 3 ? (unsigned)keep + 1 : 3u, ~0u, 0u))
			for (long fd = 3; fd < open_max; fd++)
				if (fd != keep)
					(void)close((int)fd);
		_exit(swapoff(path) ? (errno & 0x7f) : 0);
	}
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		uint64_t now;

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return errno;
		now = hr_now_ns();
		if (hr_stop && !stopped) {
			stopped = 1;
			if (now + grace_ns < deadline)
				deadline = now + grace_ns;
		}
		if (now >= deadline) {
			uint64_t reap = now + HR_SWAPOFF_REAP_NS;

			(void)kill(pid, SIGKILL);
			/*
			 * a killed swapoff ends at its next page (EINTR); not waited
			 * for past HR_SWAPOFF_REAP_NS: one stuck in the kernel is left
			 * to init (the area then still listed: EBUSY to the caller)
			 */
			while ((r = waitpid(pid, &st, WNOHANG)) != pid) {
				if ((r < 0 && errno != EINTR) || hr_now_ns() >= reap)
					return ETIMEDOUT;
				nanosleep(&ts, NULL);
			}
			/* swapoff may have ended just before the kill */
			return WIFEXITED(st) ? WEXITSTATUS(st) : ETIMEDOUT;
		}
		nanosleep(&ts, NULL);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : ECHILD;
}

/*
 * swapoff of the file open as @fd (by /proc/self/fd/@fd: the kernel opens
 * what the link names, this very inode, whatever @path names by then),
 * @path its name in /proc/swaps. 0: off (not listed there any more), or an
 * errno (EBUSY: still listed, another swapoff at work on it, or /proc/swaps
 * unreadable).
 */
static int swapoff_fd(int fd, const char *path, uint64_t deadline, uint64_t grace_ns)
{
	char link[64];
	int e, l;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	e = swapoff_by(link, fd, deadline, grace_ns);
	if (e && e != EINVAL)
		return e;
	/* never on EINVAL alone: a swapoff mid-way (another's) says EINVAL too, its area still listed */
	l = listed(path);
	return l == 0 ? 0 : EBUSY;
}

/* The swap header of a file of @pages pages of @psize bytes into @page (mkswap's, version 1). */
static void header(unsigned char *page, long psize, uint64_t pages)
{
	uint32_t v[3] = { 1, (uint32_t)(pages - 1), 0 };	/* version, last_page, nr_badpages */

	memset(page, 0, (size_t)psize);
	memcpy(page + 1024, v, sizeof(v));
	/* sws_uuid[16] at 1036 left zero; sws_volume[16] at 1052: a label */
	memcpy(page + 1052, "balloonbench", 12);
	memcpy(page + psize - 10, "SWAPSPACE2", 10);
}

/* Every block of @fd's @bytes allocated: fallocate, else zeros written. 0 or an errno. */
static int allocate(int fd, uint64_t bytes)
{
	static const char zeros[1 << 16];
	uint64_t off = 0;

	if (!fallocate(fd, 0, 0, (off_t)bytes))
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return errno;
	while (off < bytes) {
		size_t n = bytes - off < sizeof(zeros) ? (size_t)(bytes - off) : sizeof(zeros);
		ssize_t w = pwrite(fd, zeros, n, (off_t)off);

		if (hr_stop)
			return EINTR;
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		off += (uint64_t)w;
	}
	return 0;
}

int hr_swap_create(struct hr_swap *sw, const char *dir, const char *name, uint64_t kib)
{
	long psize = sysconf(_SC_PAGESIZE);
	char real[PATH_MAX], link[64];
	unsigned char *page = NULL;
	uint64_t pages;
	int fd, e, top, flags;

	memset(sw, 0, sizeof(*sw));
	sw->fd = -1;
	if (psize <= 0 || psize > 65536)
		psize = 4096;
	pages = kib * 1024 / (uint64_t)psize;
	if (pages < 10 || pages - 1 > UINT32_MAX)
		return hr_error("host swap: %llu KiB is not a swap area's size here", (unsigned long long)kib);
	if (!realpath(dir, real))
		return hr_error("host swap: the state dir %s: %s", dir, strerror(errno));
	if (snprintf(sw->path, sizeof(sw->path), "%s/%s", real, name) >= (int)sizeof(sw->path))
		return hr_error("host swap: %s/%s: the name is too long", real, name);
	sw->kib = pages * (uint64_t)psize / 1024;
	fd = open(sw->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return hr_error("host swap: cannot create %s: %s", sw->path, strerror(errno));
	sw->made = 1;
	if (!(page = malloc((size_t)psize))) {
		e = ENOMEM;
		goto fail;
	}
	if ((e = allocate(fd, pages * (uint64_t)psize)))
		goto fail;
	header(page, psize, pages);
	if (pwrite(fd, page, (size_t)psize, 0) != psize) {
		e = errno ? errno : EIO;
		goto fail;
	}
	if (fsync(fd)) {
		e = errno;
		goto fail;
	}
	free(page);
	page = NULL;
	/* above every area the host has: the run's pages go here first */
	top = hr_swap_max_prio();
	sw->prio = top == INT_MIN || top < 0 ? 0 : top < SWAP_FLAG_PRIO_MASK ? top + 1 : SWAP_FLAG_PRIO_MASK;
	flags = SWAP_FLAG_PREFER | ((sw->prio << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK);
	/* the file made and kept open: swapon of that inode, whatever the name says by now */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (swapon(link, flags)) {
		e = errno;
		close(fd);
		(void)unlink(sw->path);
		sw->made = 0;
		return hr_error("host swap: swapon %s: %s", sw->path, strerror(e));
	}
	sw->fd = fd;
	sw->on = 1;
	return 0;
fail:
	close(fd);
	free(page);
	(void)unlink(sw->path);
	sw->made = 0;
	return hr_error("host swap: cannot make %s (%llu MiB): %s", sw->path,
			(unsigned long long)(sw->kib / 1024), strerror(e));
}

int hr_swap_remove(struct hr_swap *sw, uint64_t deadline)
{
	int e;

	if (!sw->made)
		return 0;
	if (sw->on) {
		if ((e = swapoff_fd(sw->fd, sw->path, deadline, HR_SWAPOFF_GRACE_NS)))
			return hr_error("host swap: swapoff %s: %s", sw->path,
					e == ETIMEDOUT && hr_stop ? "stopped by the signal (it reads back every page "
					"the area holds)" : e == ETIMEDOUT ?
					"not done by its deadline (it reads back every page the area holds)" :
					e == EBUSY ? "still on" : strerror(e));
		sw->on = 0;
	}
	if (sw->fd >= 0)
		close(sw->fd);
	sw->fd = -1;
	if (unlink(sw->path) && errno != ENOENT)
		return hr_error("host swap: cannot remove %s: %s", sw->path, strerror(errno));
	sw->made = 0;
	return 0;
}

/*
 * The guardian's note on @dir's @name (NAME.swap.left) into @buf ("" none):
 * a regular file of this user with one name, never what a link points at,
 * its first line, each control character (a terminal's escapes) said as '?'.
 */
static void note_read(int dfd, const char *name, char *buf, size_t size)
{
	char n[NAME_MAX + 8];
	struct stat st;
	ssize_t r;
	int fd;

	buf[0] = '\0';
	if (snprintf(n, sizeof(n), "%s%s", name, HR_SWAP_NOTE) >= (int)sizeof(n))
		return;
	fd = openat(dfd, n, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_uid == geteuid() && st.st_nlink == 1 &&
	    (r = read(fd, buf, size - 1)) > 0) {
		buf[r] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		for (unsigned char *p = (unsigned char *)buf; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
	close(fd);
}

/* Unlink @dir's note on @name, if any (a regular file or a stray link: the name only). */
static void note_remove(int dfd, const char *name)
{
	char n[NAME_MAX + 8];
	struct stat st;

	if (snprintf(n, sizeof(n), "%s%s", name, HR_SWAP_NOTE) < (int)sizeof(n) &&
	    !fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) && !S_ISDIR(st.st_mode))
		(void)unlinkat(dfd, n, 0);
}

/* Write @text as @dir's note on @name (made afresh, 0644, never through a link). 0 or an errno. */
static int note_write(const char *dir, const char *name, const char *text)
{
	char n[PATH_MAX + NAME_MAX + 16];
	ssize_t len = (ssize_t)strlen(text), w;
	int fd, e = 0;

	if (snprintf(n, sizeof(n), "%s/%s%s", dir, name, HR_SWAP_NOTE) >= (int)sizeof(n))
		return ENAMETOOLONG;
	(void)unlink(n);
	fd = open(n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	w = write(fd, text, (size_t)len);
	if (w != len || write(fd, "\n", 1) != 1)
		e = w < 0 ? errno : EIO;
	if (close(fd) && !e)
		e = errno;
	return e;
}

static const char *swapoff_why(int err)
{
	return err == ETIMEDOUT ? "not done by its deadline (it reads back every page the area holds)" :
	       err == EBUSY ? "still on" : strerror(err);
}

const char *hr_swap_why(int step, int err, char *buf, size_t size)
{
	if (err == EIDRM)
		snprintf(buf, size, "its name removed while it was on (listed in /proc/swaps as deleted)");
	else if (err == ESTALE)
		snprintf(buf, size, "its name now names another file%s",
			 step == HR_SWAP_UNLINK ? " (after its swapoff)" : " (replaced as it was opened: not swapped off)");
	else if (step == HR_SWAP_OPEN)
		snprintf(buf, size, "cannot open it: %s", strerror(err));
	else if (step == HR_SWAP_UNLINK)
		snprintf(buf, size, "swapped off, but cannot unlink it: %s", strerror(err));
	else
		snprintf(buf, size, "swapoff: %s", swapoff_why(err));
	return buf;
}

const char *hr_swap_state(int step, int err)
{
	return err == EIDRM ? "on until a reboot, or swapoff /proc/PID/fd/N by a process that still has it open" :
	       err == ESTALE ? "that other file left alone" :
	       step == HR_SWAP_OPEN ? "not swapped off: on if it was" :
	       step == HR_SWAP_UNLINK ? "off, the file still there" : "still on";
}

/* What "left alone" was said of already (a guardian's, over its tries: each said once). */
struct alien_said {
	int n;
	char name[8][NAME_MAX + 1];
};

static int sweep(const char *dir, const char *prefix, uint64_t deadline, int *left, hr_swap_seen_fn *fn, void *arg,
		 struct alien_said *once)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int removed = 0, nleft = 0;
	char real[PATH_MAX], note[512];
	uid_t me = geteuid();

	if (left)
		*left = 0;
	if (!d || !realpath(dir, real)) {
		int err = errno ? errno : EIO;

		if (d)
			closedir(d);
		return -err;
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name), nl = strlen(HR_SWAP_NOTE);
		char path[PATH_MAX + 300];
		struct stat ls, fs;
		int fd, err, step, told = 0;

		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", real, e->d_name);
		/*
		 * a guardian's note whose file is gone (removed by hand): said, removed; but
		 * where /proc/swaps still lists "FILE (deleted)" (removed without swapoff)
		 * the area is still on: said so, the note kept
		 */
		if (n > 5 + nl && !strcmp(e->d_name + n - nl, HR_SWAP_NOTE) &&
		    !strncmp(e->d_name + n - nl - 5, ".swap", 5)) {
			path[strlen(path) - nl] = '\0';
			if (!fstatat(dirfd(d), e->d_name, &ls, AT_SYMLINK_NOFOLLOW) &&
			    fstatat(dirfd(d), path + strlen(real) + 1, &ls, AT_SYMLINK_NOFOLLOW) && errno == ENOENT) {
				note_read(dirfd(d), path + strlen(real) + 1, note, sizeof(note));
				if (listed(path) == 1) {
					nleft++;
					if (fn)
						fn(path, HR_SWAP_OFF, EIDRM, note, arg);
					continue;
				}
				note_remove(dirfd(d), path + strlen(real) + 1);
				if (fn)
					fn(path, HR_SWAP_OPEN, ENOENT, note, arg);
			}
			continue;
		}
		if (n < 6 || strcmp(e->d_name + n - 5, ".swap"))
			continue;
		/* ours only: a regular file of this user, one name; never what a link points at */
		if (fstatat(dirfd(d), e->d_name, &ls, AT_SYMLINK_NOFOLLOW))
			continue;
		if (!S_ISREG(ls.st_mode) || ls.st_uid != me || ls.st_nlink != 1) {
			for (int i = 0; once && i < once->n && i < 8; i++)
				told |= !strcmp(once->name[i], e->d_name);
			if (once && !told && once->n < 8)
				snprintf(once->name[once->n++], sizeof(once->name[0]), "%s", e->d_name);
			if (!told)
				hr_warn("host swap: %s is not a swap file a run made (not a regular file of "
					"this user with one name): left alone", path);
			continue;
		}
		note_read(dirfd(d), e->d_name, note, sizeof(note));
		/* a deadline passed: the next file not begun (only one swapoff then outlives it, by its reaping) */
		step = HR_SWAP_OFF;
		err = ETIMEDOUT;
		if (hr_now_ns() >= deadline)
			goto left;
		step = HR_SWAP_OPEN;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			err = errno;
			goto left;
		}
		if (fstat(fd, &fs) || fs.st_dev != ls.st_dev || fs.st_ino != ls.st_ino || !S_ISREG(fs.st_mode)) {
			close(fd);	/* replaced meanwhile */
			err = ESTALE;
			goto left;
		}
		step = HR_SWAP_OFF;
		if ((err = swapoff_fd(fd, path, deadline, 0))) {
			close(fd);
			goto left;
		}
		close(fd);
		/* off; the name still that inode: unlinked */
		step = HR_SWAP_UNLINK;
		if (fstatat(dirfd(d), e->d_name, &ls, AT_SYMLINK_NOFOLLOW)) {
			if (errno != ENOENT) {
				err = errno;
				goto left;
			}
		} else if (ls.st_dev != fs.st_dev || ls.st_ino != fs.st_ino) {
			err = ESTALE;	/* another file under its name now (not a stale errno: A) */
			goto left;
		} else if (unlinkat(dirfd(d), e->d_name, 0) && errno != ENOENT) {
			err = errno;
			goto left;
		}
		removed++;
		note_remove(dirfd(d), e->d_name);
		if (fn)
			fn(path, HR_SWAP_OFF, 0, note, arg);
		continue;
left:
		nleft++;
		if (fn)
			fn(path, step, err, note, arg);
	}
	closedir(d);
	if (left)
		*left = nleft;
	return removed;
}

int hr_swap_sweep(const char *dir, const char *prefix, uint64_t deadline, int *left, hr_swap_seen_fn *fn,
		  void *arg)
{
	return sweep(dir, prefix, deadline, left, fn, arg, NULL);
}

/* ---- the guardian's: try again, with a backoff, until a bound; then leave a record ---- */

/* An error a later swapoff may not meet: memory freed meanwhile, a read-back that goes on, another's swapoff done. */
static int transient(int step, int err)
{
	return step == HR_SWAP_OFF &&
	       (err == ENOMEM || err == ETIMEDOUT || err == EINTR || err == EBUSY || err == EAGAIN);
}

/* What the guardian's last sweep said of each file it could not remove (a run leaves one a wave at most). */
struct guard_left {
	int n, hard;
	struct {
		char path[PATH_MAX + 300];
		int step, err;
	} f[8];
};

static void guard_seen(const char *path, int step, int err, const char *note, void *arg)
{
	struct guard_left *g = arg;

	(void)note;
	if (!err || err == ENOENT)
		return;
	g->hard |= !transient(step, err);
	if (g->n < (int)(sizeof(g->f) / sizeof(g->f[0]))) {
		snprintf(g->f[g->n].path, sizeof(g->f[g->n].path), "%s", path);
		g->f[g->n].step = step;
		g->f[g->n].err = err;
	}
	g->n++;
}

/* The host's kernel log (/dev/kmsg, root's): where a swap area's life is recorded (swapon's "Adding ... swap"). */
static const char *kmsg_path = "/dev/kmsg";	/* (tests/swap.c: a file of its own) */

static void kmsg_say(const char *text)
{
	char line[1024];
	int fd = open(kmsg_path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC), n;

	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "<4>balloonbench[%d]: %s\n", (int)getpid(), text);
	if (n > 0)
		(void)!write(fd, line, (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
	close(fd);
}

/* The guardian's record of @f (a file it gives up on): its note, the kernel log, then stderr (F). */
static void give_up(const char *dir, const char *who, const char *path, int step, int err, int tries, double s)
{
	char text[PATH_MAX + 768], why[PATH_MAX + 128], stamp[32], then[PATH_MAX * 2 + 256];
	const char *base = strrchr(path, '/');
	time_t t = time(NULL);
	struct tm tm;

	hr_swap_why(step, err, why, sizeof(why));
	if (!gmtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(stamp, sizeof(stamp), "?");
	snprintf(text, sizeof(text), "the guardian of run %s gave up on it at %s after %d tr%s over %.1f s (%s)", who,
		 stamp, tries, tries > 1 ? "ies" : "y", s, why);
	if (base)
		(void)note_write(dir, base + 1, text);
	if (step == HR_SWAP_OFF && err != EIDRM)
		snprintf(text, sizeof(text), "guardian of run %s: cannot swap off %s (%s), left on until the next run "
			 "in its state dir", who, path, swapoff_why(err));
	else
		snprintf(text, sizeof(text), "guardian of run %s: gave up on %s (%s): %s", who, path, why,
			 hr_swap_state(step, err));
	kmsg_say(text);
	if (err == EIDRM)
		snprintf(then, sizeof(then), "it stays on, a swap area of the whole host, until a reboot (or swapoff "
			 "/proc/PID/fd/N by a process that still has it open)");
	else if (err == ESTALE)
		snprintf(then, sizeof(then), "that file left alone; the next run in %s looks at it again", dir);
	else if (step == HR_SWAP_UNLINK)
		snprintf(then, sizeof(then), "it is off; the next run in %s removes it (or: rm %s)", dir, path);
	else
		snprintf(then, sizeof(then), "it stays on%s, a swap area of the whole host, until the next run in %s "
			 "removes it (or: swapoff %s && rm %s)", step == HR_SWAP_OPEN ? " if it was" : "", dir, path,
			 path);
	/* at error level's visibility (-q too: the runner is gone, this is the user's only word of it) */
	hr_log_always(HR_WARN, "guardian of run %s: gave up on %s after %d tr%s over %.1f s (%s): %s", who, path,
		      tries, tries > 1 ? "ies" : "y", s, why, then);
}

/*
 * The wait before the next try after one at @now (@delay: the backoff's), into
 * *@wait: cut short so that the last try begins HR_SWAP_LAST_TRY_NS before
 * @until. 0: no try is left.
 */
static int next_wait(uint64_t now, uint64_t until, uint64_t delay, uint64_t *wait)
{
	if (now + HR_SWAP_LAST_TRY_NS >= until)
		return 0;
	*wait = until - HR_SWAP_LAST_TRY_NS - now < delay ? until - HR_SWAP_LAST_TRY_NS - now : delay;
	return 1;
}

int hr_swap_guard(const char *dir, const char *prefix, uint64_t until, const char *who)
{
	uint64_t t0 = hr_now_ns(), delay = HR_SWAP_RETRY_FIRST_NS;
	struct alien_said once = { 0 };
	struct timespec ts;
	struct guard_left g;
	int tries = 0, r = 0;

	for (;;) {
		uint64_t now = hr_now_ns(), dl = now + HR_SWAPOFF_DEADLINE_S * 1000000000ull, wait;

		memset(&g, 0, sizeof(g));
		tries++;
		r = sweep(dir, prefix, dl < until ? dl : until, NULL, guard_seen, &g, &once);
		/* its state dir unreadable (removed, no fd left): not done; EMFILE, ENFILE, ENOMEM may pass */
		if (r < 0)
			g.hard = !(r == -EMFILE || r == -ENFILE || r == -ENOMEM);
		if (r >= 0 && !g.n) {
			if (tries > 1)
				hr_info("balloonbench: guardian of run %s: its swap file swapped off and removed at "
					"try %d, %.1f s after the run", who, tries, (double)(hr_now_ns() - t0) / 1e9);
			return 0;
		}
		now = hr_now_ns();
		/* the last try begins HR_SWAP_LAST_TRY_NS (its swapoff's least time) before @until */
		if (g.hard || !next_wait(now, until, delay, &wait))
			break;
		if (tries == 1 && r >= 0) {	/* (a transient error is swapoff's: transient()) */
			hr_warn("guardian of run %s: swapoff %s: %s; trying again for %.0f s at most (it stays on "
				"meanwhile)", who, g.f[0].path, swapoff_why(g.f[0].err), (double)(until - now) / 1e9);
		} else if (tries == 1) {
			hr_warn("guardian of run %s: cannot read its state dir %s: %s; trying again for %.0f s at most",
				who, dir, strerror(-r), (double)(until - now) / 1e9);
		}
		ts.tv_sec = (time_t)(wait / 1000000000ull);
		ts.tv_nsec = (long)(wait % 1000000000ull);
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		delay = delay * 2 < HR_SWAP_RETRY_MAX_NS ? delay * 2 : HR_SWAP_RETRY_MAX_NS;
	}
	/* given up: said where a user will see it, after the runner's end (a note, the kernel log, stderr) */
	if (r < 0) {
		char text[PATH_MAX + 256];

		snprintf(text, sizeof(text), "guardian of run %s: cannot read its state dir %s (%s): its swap files, "
			 "if any, are left as they are", who, dir, strerror(-r));
		kmsg_say(text);
		hr_log_always(HR_WARN, "guardian of run %s: gave up on its swap files after %d tr%s over %.1f s: "
			      "cannot read its state dir %s: %s: any still on stays on, a swap area of the whole host "
			      "(swapon --show)", who, tries, tries > 1 ? "ies" : "y",
			      (double)(hr_now_ns() - t0) / 1e9, dir, strerror(-r));
		return -1;
	}
	for (int i = 0; i < g.n && i < (int)(sizeof(g.f) / sizeof(g.f[0])); i++)
		give_up(dir, who, g.f[i].path, g.f[i].step, g.f[i].err, tries, (double)(hr_now_ns() - t0) / 1e9);
	return -1;
}

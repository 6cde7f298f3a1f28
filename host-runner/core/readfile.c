// SPDX-License-Identifier: MIT
/* readfile.c - input files read whole, regular files only, bounded: see readfile.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "readfile.h"
#include "units.h"

/* Where a message goes: the caller's buffer, or hr_err when it gave none. */
struct out {
	char *err;
	size_t errlen;
};

static void say(const struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const struct out *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	if (o->err)
		hr_vfmt(o->err, o->errlen, fmt, ap);
	else
		hr_error("%s", hr_vfmt(buf, sizeof(buf), fmt, ap));
	va_end(ap);
}

/* "@path: @what larger than the limit of 1M" */
static void too_large(const struct out *o, const char *path, const char *what, size_t max)
{
	char m[HR_UNIT_TEXT];

	(void)hr_format_size(m, sizeof(m), max / 1024);
	say(o, "%s: %s larger than the limit of %s", path, what, m);
}

const char *hr_file_kind(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFSOCK: return "a socket";
	case S_IFLNK: return "a symbolic link";
	default: return "not a regular file";
	}
}

/* Read what @fd holds, at most @max bytes (one more tells a file that grew past it). */
static int read_all(const struct out *o, int fd, const char *path, const char *what, size_t max,
		    size_t hint, char **buf, size_t *len)
{
	size_t cap = (hint < max ? hint : max) + 1, got = 0;
	char *b = malloc(cap + 1);
	ssize_t r;

	if (!b) {
		say(o, "%s: cannot read %s: out of memory", path, what);
		return -1;
	}
	for (;;) {
		if (got == cap) {
			char *nb;

			if (cap > max) {
				free(b);
				too_large(o, path, what, max);
				return -1;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc(b, cap + 1);
			if (!nb) {
				free(b);
				say(o, "%s: cannot read %s: out of memory", path, what);
				return -1;
			}
			b = nb;
		}
		r = read(fd, b + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			say(o, "%s: cannot read %s: %s", path, what, strerror(errno));
			free(b);
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > max) {
		free(b);
		too_large(o, path, what, max);
		return -1;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

/* Open @path for reading: a regular file of at most @max bytes. The fd; -ENOENT or -1 (said). */
static int open_file(const struct out *o, const char *path, const char *what, size_t max,
		     int enoent_quiet, size_t *size)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: opening a FIFO does not wait for a writer (it is refused below) */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT && enoent_quiet)
			return -ENOENT;
		if (errno != ENOENT && !stat(path, &st) && !S_ISREG(st.st_mode)) {
			say(o, "%s: %s, not a regular file: expected a %s file", path,
			    hr_file_kind(st.st_mode), what);	/* a socket: ENXIO */
			return -1;
		}
		say(o, "%s: cannot open %s: %s", path, what, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		say(o, "%s: cannot read %s: %s", path, what, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		say(o, "%s: %s, not a regular file: expected a %s file", path,
		       hr_file_kind(st.st_mode), what);
		close(fd);
		return -1;
	}
	if ((unsigned long long)st.st_size > max) {
		too_large(o, path, what, max);
		close(fd);
		return -1;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	*size = (size_t)st.st_size;
	return fd;
}

int hr_read_file(const char *path, const char *what, size_t max, int enoent_quiet, char **buf,
		 size_t *len, char *err, size_t errlen)
{
	const struct out out = { err, errlen }, *o = &out;
	size_t size;
	int fd, r;

	*buf = NULL;
	*len = 0;
	fd = open_file(o, path, what, max, enoent_quiet, &size);
	if (fd < 0)
		return fd;
	r = read_all(o, fd, path, what, max, size, buf, len);
	close(fd);
	return r;
}

int hr_open_file(const char *path, const char *what, size_t max, int enoent_quiet)
{
	const struct out out = { NULL, 0 };
	size_t size;

	return open_file(&out, path, what, max, enoent_quiet, &size);
}

int hr_file_too_large(const char *path, const char *what, size_t max)
{
	const struct out out = { NULL, 0 };

	too_large(&out, path, what, max);
	return -1;
}

const char *hr_image_kernel(const char *image_dir)
{
	char x[PATH_MAX + 16], z[PATH_MAX + 16], why[128];
	struct stat sx, sz;

	snprintf(x, sizeof(x), "%s/vmlinux", image_dir);
	snprintf(z, sizeof(z), "%s/vmlinuz", image_dir);
	if (hr_file_readable(x, why, sizeof(why)) || stat(x, &sx))
		return "vmlinuz";
	/* made from this vmlinuz, not an older one: mkimage.sh writes it after */
	if (!stat(z, &sz) && (sx.st_mtim.tv_sec < sz.st_mtim.tv_sec ||
			      (sx.st_mtim.tv_sec == sz.st_mtim.tv_sec && sx.st_mtim.tv_nsec < sz.st_mtim.tv_nsec)))
		return "vmlinuz";
	return "vmlinux";
}

int hr_file_readable(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (stat(path, &st) || (S_ISREG(st.st_mode) && access(path, R_OK))) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s, not a regular file", hr_file_kind(st.st_mode));
		return -1;
	}
	return 0;
}

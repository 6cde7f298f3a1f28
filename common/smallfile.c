// SPDX-License-Identifier: MIT
/* smallfile.c - one read of a small /proc or /sys file, and a /proc/PID/stat line (smallfile.h). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "smallfile.h"

ssize_t bb_read_small(const char *path, char *buf, size_t size)
{
	return bb_read_small_at(AT_FDCWD, path, 0, buf, size);
}

ssize_t bb_read_small_at(int at, const char *name, int oflags, char *buf, size_t size)
{
	int fd = openat(at, name, O_RDONLY | O_CLOEXEC | oflags);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

int bb_proc_stat_parse(const char *line, struct bb_proc_stat *s)
{
	const char *p = strrchr(line, ')');
	int n;

	/*
	 * after "pid (comm)": state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads itrealvalue starttime
	 */
	s->starttime = 0;
	n = p ? sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %llu %llu %llu %llu %llu %llu"
		       " %*d %*d %*d %*d %*d %*d %llu", &s->minflt, &s->cminflt, &s->majflt,
		       &s->cmajflt, &s->utime, &s->stime, &s->starttime) : 0;
	return n >= 6 ? 0 : -1;
}

/* SPDX-License-Identifier: MIT */
/*
 * smallfile.h - one read of a small /proc or /sys file, for the guest agent
 * and the host runner alike.
 */
#ifndef BB_SMALLFILE_H
#define BB_SMALLFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Read up to @size - 1 bytes of @path into @buf (@size >= 1), NUL-terminated:
 * the whole of a file that fits, as the kernel hands it in one read().
 * Returns the length read, or -1 (errno).
 */
ssize_t bb_read_small(const char *path, char *buf, size_t size);
/* The same of @name in directory @at (AT_FDCWD: a path), opened with @oflags added (O_NOFOLLOW, ...). */
ssize_t bb_read_small_at(int at, const char *name, int oflags, char *buf, size_t size);

/* The counters of a /proc/PID/stat line that both sides read. */
struct bb_proc_stat {
	unsigned long long minflt, cminflt, majflt, cmajflt;	/* page faults; c: waited-for children */
	unsigned long long utime, stime;			/* clock ticks */
	unsigned long long starttime;				/* ticks after boot; 0: not in the line */
};

/*
 * Parse @line, the text of /proc/PID/stat (or of a task's), into @s. The
 * name in parentheses may hold spaces and parentheses: the fields start
 * after the last ')'. Returns 0, or -1 if it is not such a line.
 */
int bb_proc_stat_parse(const char *line, struct bb_proc_stat *s);

#endif

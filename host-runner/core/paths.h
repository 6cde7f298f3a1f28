/* SPDX-License-Identifier: MIT */
/*
 * paths.h - the directories the runner writes into: made with their parents
 * (mkdir -p), and, for a dry run, whether they could be, without making them.
 */
#ifndef HR_PATHS_H
#define HR_PATHS_H

#include <stddef.h>

/* Make directory @path and any parent it lacks (mode 0755). 0, or -errno. */
int hr_dirs_make(const char *path);

/*
 * Whether @path could be made as a directory (@dir) or opened for writing
 * as a file, without making or opening it: what is there is a directory (a
 * file for !@dir) we may write, or else the nearest directory above it that
 * exists is one we may write into (for a file: its own directory, which
 * must exist). 0, or -1 with why in @why.
 */
int hr_path_writable(const char *path, int dir, char *why, size_t whylen);

#endif /* HR_PATHS_H */

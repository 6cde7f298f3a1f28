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

#endif

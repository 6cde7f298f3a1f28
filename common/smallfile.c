// SPDX-License-Identifier: MIT
/* smallfile.c - one read of a small /proc or /sys file (smallfile.h). */
#include <fcntl.h>
#include <unistd.h>

#include "smallfile.h"

ssize_t bb_read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
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

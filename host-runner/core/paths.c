// SPDX-License-Identifier: MIT
/* paths.c - directories made with their parents, and checked before: see paths.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "readfile.h"

int hr_dirs_make(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int hr_path_writable(const char *path, int dir, char *why, size_t whylen)
{
	char buf[PATH_MAX];
	struct stat st;
	char *slash;

	if (!*path || snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		snprintf(why, whylen, "%s", *path ? strerror(ENAMETOOLONG) : "an empty path");
		return -1;
	}
	if (!stat(buf, &st)) {
		if (dir ? !S_ISDIR(st.st_mode) : S_ISDIR(st.st_mode)) {
			snprintf(why, whylen, "%s, expected %s", hr_file_kind(st.st_mode),
				 dir ? "a directory" : "a file");
			return -1;
		}
		if (access(buf, W_OK)) {
			snprintf(why, whylen, "%s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	/* not there: the nearest directory above that is (a file's own: fopen makes none) */
	for (;;) {
		slash = strrchr(buf, '/');
		if (!slash)
			snprintf(buf, sizeof(buf), ".");
		else
			slash[slash == buf] = '\0';	/* "/x": the root */
		if (!stat(buf, &st))
			break;
		if (errno != ENOENT || !dir || !strcmp(buf, ".") || !strcmp(buf, "/")) {
			snprintf(why, whylen, "%s: %s", buf, strerror(errno));
			return -1;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s is %s, not a directory", buf, hr_file_kind(st.st_mode));
		return -1;
	}
	if (access(buf, W_OK | X_OK)) {
		snprintf(why, whylen, "%s: %s", buf, strerror(errno));
		return -1;
	}
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * killed.c - a run whose process was killed (SIGKILL, a crash, the host's
 * OOM killer) left run.json saying "running". `report` (and so the next look
 * at the directory) says what happened instead: if run.json names a runner
 * process on this host and this boot that no longer exists, the run is
 * "incomplete", killed, and run.json is rewritten so (atomically).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "report.h"

static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	if (!f || !fgets(buf, (int)size, f))
		snprintf(buf, size, "unknown");
	buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* Is the runner that wrote @runner gone? Only judged on the same host and boot. */
static int runner_gone(json_t *runner, long *pid)
{
	char host[256] = "", bid[64], path[64], comm[64];
	const char *h = json_string_value(json_object_get(runner, "host"));
	const char *b = json_string_value(json_object_get(runner, "boot_id"));
	json_t *p = json_object_get(runner, "pid");

	if (!h || !b || !json_is_integer(p) || json_integer_value(p) <= 0 ||
	    json_integer_value(p) > 1 << 30)
		return 0;
	*pid = (long)json_integer_value(p);
	if (gethostname(host, sizeof(host)) || strcmp(host, h))
		return 0;
	read_line("/proc/sys/kernel/random/boot_id", bid, sizeof(bid));
	if (strcmp(bid, b))
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/comm", *pid);
	read_line(path, comm, sizeof(comm));
	return strncmp(comm, "balloonbench", 12) != 0;
}

int rp_settle_killed(const char *dir)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], why[160];
	json_t *run;
	const char *st;
	long pid = 0;
	int ret = 0;

	if (rp_path(path, sizeof(path), dir, "run.json"))
		return -1;
	run = rp_run_load(path);
	if (!run)
		return 0;	/* the report says what is wrong with it */
	st = json_string_value(json_object_get(run, "status"));
	if (!st || strcmp(st, "running") || !runner_gone(json_object_get(run, "runner"), &pid)) {
		json_decref(run);
		return 0;
	}
	snprintf(why, sizeof(why), "killed: its runner (pid %ld) ended without finishing the run", pid);
	json_object_set_new(run, "status", json_string("incomplete"));
	json_object_set_new(run, "incomplete_reason", json_string(why));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(run, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) || rename(tmp, path)) {
		hr_error("%s: cannot record that the run was killed: %s", path, strerror(errno));
		(void)unlink(tmp);
		ret = -1;
	} else {
		hr_warn("%s: the run was %s; run.json now says incomplete", dir, why);
	}
	json_decref(run);
	return ret;
}

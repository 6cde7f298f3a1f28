// SPDX-License-Identifier: MIT
/*
 * balloons.c - each guest balloon driver's state through one interface
 * (see balloons.h for the formats and where they come from).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "balloons.h"
#include "smallfile.h"

/* @root/@path into @buf (NUL-terminated). 0, or -1. */
static int read_text(const char *root, const char *path, char *buf, size_t size)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", root, path);
	return bb_read_small(p, buf, size) < 0 ? -1 : 0;
}

int bb_parse_ulong(const char *text, int base, uint64_t *val)
{
	char *end;

	while (*text == ' ' || *text == '\t')
		text++;
	if (*text < '0' || *text > 'f' || (base == 10 && *text > '9'))
		return -1;
	errno = 0;
	*val = strtoull(text, &end, base);
	if (errno || end == text)
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	return *end == '\n' || *end == '\0' ? 0 : -1;
}

int bb_parse_keyed(const char *text, const char *key, uint64_t *val)
{
	size_t k = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *q = p + k;
		char *end;

		if (strncmp(p, key, k))
			continue;
		while (*q == ' ')	/* "%-22s: " pads the name */
			q++;
		if (*q != ':')
			continue;
		q++;
		while (*q == ' ')
			q++;
		if (*q < '0' || *q > '9')
			return -1;
		errno = 0;
		*val = strtoull(q, &end, 10);
		if (errno || (*end != '\n' && *end != ' ' && *end != '\0'))
			return -1;
		return 0;	/* the first line of that name */
	}
	return -1;
}

int bb_parse_vmstat_balloon(const char *text, uint64_t *inflate, uint64_t *deflate)
{
	int found = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, "balloon_inflate ", 16))
			found |= bb_parse_ulong(p + 16, 10, inflate) ? 0 : 1;
		else if (!strncmp(p, "balloon_deflate ", 16))
			found |= bb_parse_ulong(p + 16, 10, deflate) ? 0 : 2;
	}
	return found == 3 ? 0 : -1;
}

int bb_parse_vmstat(const char *text, const char *key, uint64_t *val)
{
	size_t k = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, k) && p[k] == ' ')
			return bb_parse_ulong(p + k + 1, 10, val);
	return -1;
}

/* "avg10=N.NN avg60=N.NN avg300=N.NN total=N" after a PSI line's word. */
static int psi_line(const char *p, double *avg10, double *avg60, uint64_t *total)
{
	double a[3];
	char tot[24], *end;
	int n = -1;

	if (sscanf(p, " avg10=%lf avg60=%lf avg300=%lf total=%23[0-9]%n", &a[0], &a[1], &a[2], tot,
		   &n) != 4 || n < 0 || (p[n] != '\n' && p[n] != '\0'))
		return -1;
	for (int i = 0; i < 3; i++)
		if (!(a[i] >= 0 && a[i] <= 100))	/* NaN too */
			return -1;
	errno = 0;
	*total = strtoull(tot, &end, 10);
	if (errno || *end)
		return -1;
	*avg10 = a[0];
	*avg60 = a[1];
	return 0;
}

int bb_parse_psi(const char *text, struct bb_psi *out)
{
	int found = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, "some ", 5)) {
			if (psi_line(p + 4, &out->some_avg10, &out->some_avg60, &out->some_total_us))
				return -1;
			found |= 1;
		} else if (!strncmp(p, "full ", 5)) {
			if (psi_line(p + 4, &out->full_avg10, &out->full_avg60, &out->full_total_us))
				return -1;
			found |= 2;
		}
	}
	return found == 3 ? 0 : -1;
}

/* bb_parse_ulong wants the line alone: cut @text at its first newline. */
static int first_line_ulong(char *text, int base, uint64_t *val)
{
	text[strcspn(text, "\n")] = '\0';
	return bb_parse_ulong(text, base, val);
}

static int read_virtio(const char *root, struct bb_balloon_state *out)
{
	char buf[16384];
	uint64_t inf, def;

	if (read_text(root, "/proc/vmstat", buf, sizeof(buf)) ||
	    bb_parse_vmstat_balloon(buf, &inf, &def) || def > inf)
		return -1;
	memset(out, 0, sizeof(*out));
	out->size_kib = (inf - def) * 4;	/* the counters count 4 KiB pages */
	return 0;
}

#define XEN "/sys/devices/system/xen_memory/xen_memory0"

static int read_xen(const char *root, struct bb_balloon_state *out)
{
	static const char *const f[4] = { XEN "/info/low_kb", XEN "/info/high_kb",
					   XEN "/target_kb", XEN "/retry_count" };
	uint64_t v[4];
	char buf[64];

	for (int i = 0; i < 4; i++)
		if (read_text(root, f[i], buf, sizeof(buf)) ||
		    first_line_ulong(buf, i == 3 ? 16 : 10, &v[i]))
			return -1;
	out->size_kib = v[0] + v[1];	/* balloon_low + balloon_high pages, as KiB */
	out->target_kib = v[2];		/* the guest's memory the host wants, not the balloon's */
	out->has_target = 1;
	out->failures = v[3];
	return 0;
}

static int read_vmw(const char *root, struct bb_balloon_state *out)
{
	char buf[8192];
	uint64_t target, cur;

	if (read_text(root, "/sys/kernel/debug/vmmemctl", buf, sizeof(buf)) ||
	    bb_parse_keyed(buf, "target", &target) || bb_parse_keyed(buf, "current", &cur))
		return -1;
	memset(out, 0, sizeof(*out));
	out->size_kib = cur * 4;	/* 4 KiB frames */
	out->target_kib = target * 4;	/* the balloon's target size */
	out->has_target = 1;
	return 0;
}

static int read_hv(const char *root, struct bb_balloon_state *out)
{
	char buf[4096];
	uint64_t psz, ballooned;

	if (read_text(root, "/sys/kernel/debug/hv-balloon", buf, sizeof(buf)) ||
	    bb_parse_keyed(buf, "page_size", &psz) || bb_parse_keyed(buf, "pages_ballooned", &ballooned) ||
	    !psz || psz % 1024)
		return -1;
	memset(out, 0, sizeof(*out));
	out->size_kib = ballooned * (psz / 1024);
	return 0;
}

/* A virtio device with id 5 (the balloon) under @root's /sys/bus/virtio/devices? */
static int virtio_present(const char *root)
{
	char p[512], buf[32];
	struct dirent *e;
	DIR *d;
	int found = 0;

	snprintf(p, sizeof(p), "%s/sys/bus/virtio/devices", root);
	d = opendir(p);
	while (d && !found && (e = readdir(d))) {
		snprintf(p, sizeof(p), "/sys/bus/virtio/devices/%.200s/device", e->d_name);
		found = e->d_name[0] != '.' && !read_text(root, p, buf, sizeof(buf)) &&
			strtoul(buf, NULL, 0) == 5;
	}
	if (d)
		closedir(d);
	return found;
}

const struct bb_balloon_driver bb_balloon_drivers[] = {
	{ "virtio_balloon", "/sys/bus/virtio/devices", 1, read_virtio, virtio_present },
	{ "xen-balloon", XEN, 0, read_xen, NULL },
	{ "vmw_balloon", "/sys/kernel/debug/vmmemctl", 0, read_vmw, NULL },
	{ "hv_balloon", "/sys/kernel/debug/hv-balloon", 0, read_hv, NULL },
};
const size_t bb_nballoon_drivers = sizeof(bb_balloon_drivers) / sizeof(bb_balloon_drivers[0]);

const struct bb_balloon_driver *bb_balloon_detect(const char *root)
{
	for (size_t i = 0; i < bb_nballoon_drivers; i++) {
		char p[512];
		struct stat st;

		snprintf(p, sizeof(p), "%s%s", root, bb_balloon_drivers[i].probe);
		if (!stat(p, &st) &&
		    (!bb_balloon_drivers[i].present || bb_balloon_drivers[i].present(root)))
			return &bb_balloon_drivers[i];
	}
	return NULL;
}

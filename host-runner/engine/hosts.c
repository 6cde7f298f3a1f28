// SPDX-License-Identifier: MIT
/*
 * hosts.c - the hosts of a run, from a hosts file or from repeated --connect.
 *
 *   # hosts.ini: one section per host
 *   [rack1-a]
 *   uri = qemu+ssh://root@rack1-a/system
 *   max-guests = 4          ; at once (spread); 0 or absent: no limit
 *   labels = skylake, 6.1   ; the first is the host label compare matches on
 *   pool = balloonbench     ; the storage pool the guest image goes to
 *
 * A comment to the end of a line starts with " ;" (inih's); a "#" there is
 * part of the value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "core/log.h"
#include "fleet.h"

struct load {
	struct hr_fleet *f;
	char why[256];
};

static int set_key(struct hr_host *h, const char *name, const char *value, char *why, size_t wl)
{
	char *end;
	long v;

	if (!strcmp(name, "uri")) {
		if (!*value || strlen(value) >= sizeof(h->uri))
			return snprintf(why, wl, "uri: expected a libvirt URI"), -1;
		snprintf(h->uri, sizeof(h->uri), "%s", value);
	} else if (!strcmp(name, "max-guests")) {
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end || v < 0 || v > 256)
			return snprintf(why, wl, "max-guests: expected 0..256, got '%.64s'", value), -1;
		h->max_guests = (int)v;
	} else if (!strcmp(name, "labels")) {
		if (strlen(value) >= sizeof(h->labels))
			return snprintf(why, wl, "labels: too long"), -1;
		snprintf(h->labels, sizeof(h->labels), "%s", value);
	} else if (!strcmp(name, "pool")) {
		if (!*value || strlen(value) >= sizeof(h->pool) || strpbrk(value, "'\"<>&/"))
			return snprintf(why, wl, "pool: expected a storage pool name"), -1;
		snprintf(h->pool, sizeof(h->pool), "%s", value);
	} else {
		return snprintf(why, wl, "unknown key '%.64s' (expected uri, max-guests, labels, pool)",
				name), -1;
	}
	return 0;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load *l = user;
	struct hr_fleet *f = l->f;
	struct hr_host *h = f->n ? &f->h[f->n - 1] : NULL;

	if (!h || strcmp(h->name, section)) {
		for (int i = 0; i < f->n; i++)
			if (!strcmp(f->h[i].name, section))
				return snprintf(l->why, sizeof(l->why), "[%.64s]: host named twice",
						section), 0;
		if (f->n == HR_MAX_HOSTS)
			return snprintf(l->why, sizeof(l->why), "at most %d hosts", HR_MAX_HOSTS), 0;
		if (!*section || strlen(section) >= sizeof(h->name) ||
		    strspn(section, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
		    strlen(section))
			return snprintf(l->why, sizeof(l->why),
					"[%.64s]: expected a host name of letters, digits, _ and -", section), 0;
		h = &f->h[f->n++];
		memset(h, 0, sizeof(*h));
		snprintf(h->name, sizeof(h->name), "%s", section);
		snprintf(h->pool, sizeof(h->pool), "balloonbench");
	}
	return set_key(h, name, value, l->why, sizeof(l->why)) ? 0 : 1;
}

int hr_hosts_load(struct hr_fleet *f, const char *path)
{
	struct load l = { .f = f };
	int r = ini_parse(path, on_key, &l);

	if (r < 0)
		return hr_error("%s: cannot read the hosts file: %s", path, strerror(errno ? errno : ENOENT));
	if (r > 0) {
		return hr_error("%s:%d: %s", path, r, l.why[0] ? l.why : "expected [host] or key = value");
	}
	for (int i = 0; i < f->n; i++)
		if (!f->h[i].uri[0]) {
			return hr_error("%s: [%s]: expected uri = a libvirt URI", path, f->h[i].name);
		}
	if (!f->n) {
		return hr_error("%s:1: expected at least one [host] section with uri =", path);
	}
	return 0;
}

int hr_hosts_add_uri(struct hr_fleet *f, const char *uri)
{
	struct hr_host *h;

	if (f->n == HR_MAX_HOSTS) {
		return hr_error("--connect: at most %d hosts", HR_MAX_HOSTS);
	}
	h = &f->h[f->n];
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "h%d", f->n);
	snprintf(h->pool, sizeof(h->pool), "balloonbench");
	if (uri && strlen(uri) >= sizeof(h->uri)) {
		return hr_error("--connect: URI too long");
	}
	snprintf(h->uri, sizeof(h->uri), "%s", uri ? uri : "");
	f->n++;
	return 0;
}

int hr_fleet_mode_parse(const char *s)
{
	return !strcmp(s, "each") ? HR_FLEET_EACH : !strcmp(s, "spread") ? HR_FLEET_SPREAD : -1;
}

/* SPDX-License-Identifier: MIT */
/*
 * fleet.h - the hosts of a run: one libvirt connection each (the embedded
 * driver by default; a daemon, local or remote, by URI), their facts from
 * libvirt's own APIs, the guest image put into each daemon's storage pool,
 * and which host runs which guests (mode each or spread).
 *
 * Owned by the main thread; the event thread writes only a host's `lost`
 * and `lost_why` (hr_host_mark_lost) when libvirt closes its connection.
 */
#ifndef HR_FLEET_H
#define HR_FLEET_H

#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>
#include <libvirt/libvirt.h>

#define HR_MAX_HOSTS	16
#define HR_HOST_IMAGES	16	/* kernels and initrds one host is sent */

enum hr_fleet_mode { HR_FLEET_EACH, HR_FLEET_SPREAD };

struct hr_host {
	char name[64];			/* hosts file section, or h0, h1 ... for --connect */
	char uri[PATH_MAX + 32];	/* "" before hr_conn_open: the embedded driver */
	char labels[256];		/* "a, b" as written; the first is the host label */
	char pool[64];			/* storage pool for the image ("balloonbench") */
	int line;			/* in the hosts file, 0 for --connect */
	int max_guests;			/* at once, 0 = no limit */
	int embedded, local;		/* qemu:///embed; no host name in the URI */
	virConnectPtr conn;
	struct { char *local, *remote; } img[HR_HOST_IMAGES];	/* our file -> its volume there */
	int nimg;
	json_t *facts;			/* capabilities, node info, versions */
	json_t *image;			/* what the pool holds, what was sent */
	char skip[512];			/* unreachable or lacking something: why ("" = usable) */
	atomic_int lost;		/* 0, 1 being marked, 2 lost: hr_host_mark_lost */
	char lost_why[256];		/* written once, before lost becomes 2 */
	int dead;			/* main thread: lost or skipped, takes no more guests */
	int guests;			/* guests it ran */
	/*
	 * The embedded driver's domains of killed runs, "NAME RUN\n" each,
	 * read from its status files before connecting (whose reconnect may
	 * drop them before they can be listed): the reaper names each.
	 */
	char *left;
};

/* The hosts of one run. */
struct hr_fleet {
	struct hr_host h[HR_MAX_HOSTS];
	int n;
	enum hr_fleet_mode mode;
};

/*
 * Read @path (INI: one section per host, keys uri, max-guests, labels, pool)
 * into @f. A bad line: one message naming path:line. Returns 0, -1.
 */
int hr_hosts_load(struct hr_fleet *f, const char *path);
/* Add a host by URI (--connect); NULL or "" is the embedded driver. 0 or -1 (hr_error). */
int hr_hosts_add_uri(struct hr_fleet *f, const char *uri);
/* "each" or "spread"; -1 if neither. */
int hr_fleet_mode_parse(const char *s);

/* The volume of our file @local with SHA-256 @sum: "bb-SUM16-BASENAME" (at most 100 of it). */
#define HR_POOL_VOL_NAME	160
void hr_pool_vol_name(const char *local, const char *sum, char *name, size_t len);
/*
 * Put the local file @local into @conn's storage pool @pool (created as a
 * directory pool if absent) as a volume named after its SHA-256, unless one
 * is already there; its path on that host into @remote. @info gets what was
 * done (volume, checksum, bytes sent). Returns 0, or -1 (hr_error).
 */
int hr_pool_put(virConnectPtr conn, const char *pool, const char *local, char *remote,
		size_t rlen, json_t *info);
/* SHA-256 of a file as 64 hex digits. 0, or -1 (hr_error). */
int hr_sha256_file(const char *path, char hex[65]);

/*
 * Send every image file the scenario's jobs boot (main thread, after the
 * connection is open) to @h's pool, unless @h is the embedded driver, which
 * reads our disk. Returns 0, or -1 (hr_error).
 */
int hr_host_send_images(struct hr_host *h, const char *const *files, int n);
/* The path on @h of our file @local: its volume, or @local itself. */
const char *hr_host_image(const struct hr_host *h, const char *local);
/* Free what hr_host_* allocated and close the connection. */
void hr_host_close(struct hr_host *h);

/* The host's facts from libvirt (capabilities, node info, versions, KVM). */
json_t *hr_host_facts(virConnectPtr conn, const char *uri);
/* Watch the connection: when libvirt closes it the host is marked lost. */
void hr_host_watch(struct hr_host *h);
/* Mark @h lost with @why (any thread; the first reason stays). */
void hr_host_mark_lost(struct hr_host *h, const char *why);
/* 1 once @h is marked lost (its lost_why may then be read). */
int hr_host_is_lost(const struct hr_host *h);
/* A host's entry in run.json's "hosts". */
json_t *hr_host_json(const struct hr_host *h);

/*
 * Can the fleet @f run @sc's migrate events (engine/lifecycle.c): every host a
 * daemon, none of them a job's migrate-to=. 0, or -1 (hr_error: FILE:LINE).
 */
struct hr_scenario;
int hr_lc_check_fleet(const struct hr_scenario *sc, const struct hr_fleet *f);

#endif /* HR_FLEET_H */

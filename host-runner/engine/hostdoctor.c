// SPDX-License-Identifier: MIT
/*
 * hostdoctor.c - `balloonbench doctor --connect URI` / `--hosts FILE`: what
 * each host offers, asked through its own libvirt connection (the same
 * facts a run records in run.json), and whether its storage pool already
 * holds this guest image (by checksum) or can take it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "core/log.h"
#include "core/readfile.h"
#include "engine.h"
#include "fleet.h"
#include "run.h"

static void line(const char *host, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void line(const char *host, const char *what, const char *fmt, ...)
{
	char key[96];
	va_list ap;

	snprintf(key, sizeof(key), "%s/%s", host, what);
	printf("%-16s ", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;	/* said once, on the host's line */
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "?";
}

/* Is our file @local already a volume of @conn's pool @pool? */
static void pool_line(const struct hr_host *h, const char *local, const char *what)
{
	char sum[65], name[HR_POOL_VOL_NAME];
	virStoragePoolPtr p;
	virStorageVolPtr v = NULL;

	if (hr_sha256_file(local, sum)) {
		char why[256];

		hr_error_take(why, sizeof(why));
		line(h->name, what, "%s", why);
		return;
	}
	hr_pool_vol_name(local, sum, name, sizeof(name));
	p = virStoragePoolLookupByName(h->conn, h->pool);
	if (p && virStoragePoolIsActive(p) == 1 && !virStoragePoolRefresh(p, 0))
		v = virStorageVolLookupByName(p, name);
	line(h->name, what, "%s", v ? "in the storage pool (not sent again)" :
	     p ? "not in the storage pool yet (a run sends it)" :
	     "no storage pool yet (a run defines it as a directory pool)");
	if (v)
		virStorageVolFree(v);
	if (p)
		virStoragePoolFree(p);
}

/* One host; 1 if it cannot run guests. */
static int doctor_host(struct hr_host *h, const char *image_dir)
{
	char path[PATH_MAX + 16];
	json_t *f, *n;

	h->conn = virConnectOpen(h->uri);
	if (!h->conn) {
		line(h->name, "connect", "MISSING: cannot connect to '%s': %s", h->uri, hr_lv_err());
		return 1;
	}
	f = hr_host_facts(h->conn, h->uri);
	n = json_object_get(f, "node");
	line(h->name, "connect", "%s (host %s)", h->uri, str(f, "hostname"));
	line(h->name, "versions", "libvirt %s, QEMU %s", str(f, "libvirt"), str(f, "qemu"));
	line(h->name, "cpu", "%s, %d CPU(s) at %d MHz, %lld MiB, %d NUMA cell(s)",
	     str(f, "cpu_model"), (int)json_integer_value(json_object_get(n, "cpus")),
	     (int)json_integer_value(json_object_get(n, "mhz")),
	     json_integer_value(json_object_get(n, "memory_kib")) / 1024,
	     atoi(str(f, "numa_cells")));
	line(h->name, "accel", "%s", str(f, "accel_offered"));
	json_decref(f);
	if (!hr_uri_is_embedded(h->uri)) {
		snprintf(path, sizeof(path), "%s/%s", image_dir, hr_image_kernel(image_dir));
		pool_line(h, path, "kernel");
		snprintf(path, sizeof(path), "%s/initrd.img", image_dir);
		pool_line(h, path, "initrd");
	}
	virConnectClose(h->conn);
	h->conn = NULL;
	return 0;
}

int hr_doctor_hosts(const char *hosts_file, const char *const *uris, int nuris,
		    const char *image_dir)
{
	struct hr_fleet *f = calloc(1, sizeof(*f));
	int problems = 0;

	if (!f)
		return HR_EXIT_FAIL;
	if (hosts_file && hr_hosts_load(f, hosts_file)) {
		free(f);
		return HR_EXIT_USAGE;
	}
	for (int i = 0; i < nuris; i++)
		if (hr_hosts_add_uri(f, uris[i])) {
			free(f);
			return HR_EXIT_USAGE;
		}
	virSetErrorFunc(NULL, quiet);
	for (int i = 0; i < f->n; i++)
		problems += doctor_host(&f->h[i], image_dir);
	printf("%s\n", problems ? "problems found: see MISSING above" : "hosts ready");
	free(f);
	return problems ? HR_EXIT_FAIL : HR_EXIT_OK;
}

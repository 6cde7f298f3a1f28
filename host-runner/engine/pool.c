// SPDX-License-Identifier: MIT
/*
 * pool.c - the guest image travels through libvirt: a daemon (on another
 * host, or in a namespace that does not see our disk) boots from volumes of
 * its own storage pool. Each file becomes a volume named after its SHA-256;
 * an unchanged image is found by name and not sent again. A new volume is
 * uploaded under NAME.part and cloned to NAME only when whole, so a name
 * never stands for a half-sent file (a killed upload leaves a .part, which
 * the next upload replaces).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <libvirt/virterror.h>

#include "core/log.h"
#include "engine.h"
#include "fleet.h"

/* ---- SHA-256, by GnuTLS (libvirt's own TLS library) ---- */

int hr_sha256_file(const char *path, char hex[65])
{
	unsigned char buf[65536], d[32];
	gnutls_hash_hd_t h;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return hr_error("cannot read %s: %s", path, strerror(errno));
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
		close(fd);
		return hr_error("cannot hash %s: GnuTLS has no SHA-256", path);
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		(void)gnutls_hash(h, buf, (size_t)n);
	gnutls_hash_deinit(h, d);
	if (n < 0) {
		int e = errno;

		close(fd);
		return hr_error("cannot read %s: %s", path, strerror(e));
	}
	close(fd);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return 0;
}

/* ---- the pool and its volumes ---- */

static virStoragePoolPtr open_pool(virConnectPtr conn, const char *name)
{
	virStoragePoolPtr p = virStoragePoolLookupByName(conn, name);
	int active;

	if (!p) {
		char xml[512];

		snprintf(xml, sizeof(xml), "<pool type='dir'><name>%s</name><target>"
			 "<path>/var/lib/libvirt/%s</path></target></pool>", name, name);
		p = virStoragePoolDefineXML(conn, xml, 0);
		if (!p || virStoragePoolBuild(p, 0)) {
			hr_error("cannot define the storage pool %s: %s", name, hr_lv_err());
			if (p)
				virStoragePoolFree(p);
			return NULL;
		}
	}
	active = virStoragePoolIsActive(p);
	if ((active == 0 && virStoragePoolCreate(p, 0)) || active < 0 ||
	    virStoragePoolRefresh(p, 0)) {
		hr_error("cannot start the storage pool %s: %s", name, hr_lv_err());
		virStoragePoolFree(p);
		return NULL;
	}
	return p;
}

/*
 * Each send blocks at most until the connection's keepalive (5 s x 3) gives
 * up on a daemon that stopped answering; between chunks a signal stops the
 * upload, and so does a deadline: 2 minutes and 1 s a MiB (a link slower than
 * 1 MiB/s is not one to run guests over).
 */
static int send_file(virStreamPtr st, int fd, const char *local, uint64_t size)
{
	char buf[256 * 1024];
	uint64_t limit_s = 120 + size / (1024 * 1024), deadline = hr_now_ns() + limit_s * 1000000000ull;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (hr_stop)
			return hr_error("uploading %s: interrupted by a signal", local);
		if (hr_now_ns() > deadline)
			return hr_error("uploading %s: slower than 1 MiB/s, given up after %" PRIu64 " s",
					local, limit_s);
		for (ssize_t off = 0; off < n;) {
			int w = virStreamSend(st, buf + off, (size_t)(n - off));

			if (w < 0)
				return hr_error("uploading %s: %s", local, hr_lv_err());
			off += w;
		}
	}
	if (n < 0)
		return hr_error("cannot read %s: %s", local, strerror(errno));
	if (virStreamFinish(st))
		return hr_error("uploading %s: %s", local, hr_lv_err());
	return 0;
}

/* Upload @local (@size bytes) into a new volume @name of @pool. */
static virStorageVolPtr upload(virStoragePoolPtr pool, const char *name, const char *local,
			       uint64_t size)
{
	virConnectPtr conn = virStoragePoolGetConnect(pool);
	virStorageVolPtr v = virStorageVolLookupByName(pool, name);
	virStreamPtr st = NULL;
	char xml[512];
	int fd = -1, ok = 0;

	if (v) {	/* what an interrupted upload left */
		(void)virStorageVolDelete(v, 0);
		virStorageVolFree(v);
	}
	snprintf(xml, sizeof(xml), "<volume><name>%s</name><capacity unit='bytes'>%" PRIu64
		 "</capacity><target><format type='raw'/></target></volume>", name, size);
	v = virStorageVolCreateXML(pool, xml, 0);
	if (!v) {
		hr_error("cannot create volume %s: %s", name, hr_lv_err());
		return NULL;
	}
	fd = open(local, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		hr_error("cannot read %s: %s", local, strerror(errno));
	else if (!(st = virStreamNew(conn, 0)) || virStorageVolUpload(v, st, 0, size, 0))
		hr_error("cannot upload to volume %s: %s", name, hr_lv_err());
	else if (!send_file(st, fd, local, size))
		ok = 1;
	if (st) {
		if (!ok)
			(void)virStreamAbort(st);
		virStreamFree(st);
	}
	if (fd >= 0)
		close(fd);
	if (!ok) {
		(void)virStorageVolDelete(v, 0);
		virStorageVolFree(v);
		return NULL;
	}
	return v;
}

/* The whole volume @name, from @part. */
static virStorageVolPtr promote(virStoragePoolPtr pool, virStorageVolPtr part, const char *name,
				uint64_t size)
{
	char xml[512];
	virStorageVolPtr v;

	snprintf(xml, sizeof(xml), "<volume><name>%s</name><capacity unit='bytes'>%" PRIu64
		 "</capacity><target><format type='raw'/></target></volume>", name, size);
	v = virStorageVolCreateXMLFrom(pool, xml, part, 0);
	if (!v)
		hr_error("cannot create volume %s from its upload: %s", name, hr_lv_err());
	(void)virStorageVolDelete(part, 0);
	virStorageVolFree(part);
	return v;
}

void hr_pool_vol_name(const char *local, const char *sum, char *name, size_t len)
{
	const char *base = strrchr(local, '/') ? strrchr(local, '/') + 1 : local;

	snprintf(name, len, "bb-%.16s-%.100s", sum, base);
}

int hr_pool_put(virConnectPtr conn, const char *pool_name, const char *local, char *remote,
		size_t rlen, json_t *info)
{
	char sum[65], name[HR_POOL_VOL_NAME], part[HR_POOL_VOL_NAME + 8], *path;
	virStoragePoolPtr pool;
	virStorageVolPtr v;
	uint64_t sent = 0, t0 = hr_now_ns();
	struct stat st;

	if (stat(local, &st))
		return hr_error("cannot read %s: %s", local, strerror(errno));
	if (hr_sha256_file(local, sum) || !(pool = open_pool(conn, pool_name)))
		return -1;
	hr_pool_vol_name(local, sum, name, sizeof(name));
	v = virStorageVolLookupByName(pool, name);
	if (!v) {
		snprintf(part, sizeof(part), "%s.part", name);
		v = upload(pool, part, local, (uint64_t)st.st_size);
		if (v)
			v = promote(pool, v, name, (uint64_t)st.st_size);
		sent = (uint64_t)st.st_size;
	}
	virStoragePoolFree(pool);
	if (!v)
		return -1;
	path = virStorageVolGetPath(v);
	virStorageVolFree(v);
	if (!path || strlen(path) >= rlen) {
		free(path);
		return hr_error("volume %s: no usable path on the host: %s", name, hr_lv_err());
	}
	snprintf(remote, rlen, "%s", path);
	free(path);
	json_object_set_new(info, "file", json_string(local));
	json_object_set_new(info, "sha256", json_string(sum));
	json_object_set_new(info, "volume", json_string(name));
	json_object_set_new(info, "path", json_string(remote));
	json_object_set_new(info, "bytes_sent", json_integer((json_int_t)sent));
	json_object_set_new(info, "seconds", json_real((double)(hr_now_ns() - t0) / 1e9));
	return 0;
}

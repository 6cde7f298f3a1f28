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

#include <libvirt/virterror.h>

#include "core/log.h"
#include "engine.h"
#include "fleet.h"

/* ---- SHA-256 (FIPS 180-4) ---- */

struct sha256 {
	uint32_t h[8];
	uint8_t buf[64];
	uint64_t len;
};

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(a, s->h, sizeof(a));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = a[7] + (ROR(a[4], 6) ^ ROR(a[4], 11) ^ ROR(a[4], 25)) +
			      ((a[4] & a[5]) ^ (~a[4] & a[6])) + K[i] + w[i];
		uint32_t t2 = (ROR(a[0], 2) ^ ROR(a[0], 13) ^ ROR(a[0], 22)) +
			      ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));

		memmove(a + 1, a, 7 * sizeof(a[0]));
		a[4] += t1;
		a[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		s->h[i] += a[i];
}

static void sha_init(struct sha256 *s)
{
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
}

static void sha_update(struct sha256 *s, const uint8_t *p, size_t n)
{
	while (n) {
		size_t have = s->len % 64, take = 64 - have < n ? 64 - have : n;

		memcpy(s->buf + have, p, take);
		s->len += take;
		p += take;
		n -= take;
		if (s->len % 64 == 0)
			sha_block(s, s->buf);
	}
}

static void sha_final(struct sha256 *s, char hex[65])
{
	uint64_t bits = s->len * 8;
	uint8_t pad[72] = { 0x80 };
	size_t npad = (s->len % 64 < 56 ? 56 : 120) - s->len % 64;

	for (int i = 0; i < 8; i++)
		pad[npad + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(s, pad, npad + 8);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 8 * i, 9, "%08x", s->h[i]);
}

int hr_sha256_file(const char *path, char hex[65])
{
	struct sha256 s;
	uint8_t buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return hr_error("cannot read %s: %s", path, strerror(errno));
	sha_init(&s);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha_update(&s, buf, (size_t)n);
	if (n < 0) {
		int e = errno;

		close(fd);
		return hr_error("cannot read %s: %s", path, strerror(e));
	}
	close(fd);
	sha_final(&s, hex);
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

static int send_file(virStreamPtr st, int fd, const char *local)
{
	char buf[256 * 1024];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
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
	else if (!send_file(st, fd, local))
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

int hr_pool_put(virConnectPtr conn, const char *pool_name, const char *local, char *remote,
		size_t rlen, json_t *info)
{
	const char *base = strrchr(local, '/') ? strrchr(local, '/') + 1 : local;
	char sum[65], name[160], part[168], *path;
	virStoragePoolPtr pool;
	virStorageVolPtr v;
	uint64_t sent = 0, t0 = hr_now_ns();
	struct stat st;

	if (stat(local, &st))
		return hr_error("cannot read %s: %s", local, strerror(errno));
	if (hr_sha256_file(local, sum) || !(pool = open_pool(conn, pool_name)))
		return -1;
	snprintf(name, sizeof(name), "bb-%.16s-%.100s", sum, base);
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

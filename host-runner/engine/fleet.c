// SPDX-License-Identifier: MIT
/*
 * fleet.c - a host of the run: its facts, read through its own libvirt
 * connection (capabilities, node info, versions: not a side channel), the
 * guest image sent to its storage pool, the watch that marks it lost when
 * libvirt closes the connection (a daemon killed, a network gone), and its
 * entry in run.json.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <libvirt/virterror.h>

#include "core/log.h"
#include "engine.h"
#include "fleet.h"
#include "run.h"

static json_t *version_json(unsigned long v)
{
	return json_sprintf("%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
}

/* The text of the first <@tag> (or the value of its attribute @attr) after @from in @xml. */
static json_t *xml_pick(const char *xml, const char *from, const char *tag, const char *attr)
{
	const char *p = xml ? strstr(xml, from) : NULL, *e;
	char key[64];

	if (!p)
		return json_null();
	snprintf(key, sizeof(key), "<%s", tag);
	if (!(p = strstr(p, key)))
		return json_null();
	if (attr) {
		snprintf(key, sizeof(key), " %s='", attr);
		e = strchr(p, '>');
		if (!(p = strstr(p, key)) || (e && p > e))
			return json_null();
		p += strlen(key);
		e = strchr(p, '\'');
	} else {
		if (!(p = strchr(p, '>')))
			return json_null();
		p++;
		e = strchr(p, '<');
	}
	return e ? json_stringn(p, (size_t)(e - p)) : json_null();
}

json_t *hr_host_facts(virConnectPtr conn, const char *uri)
{
	json_t *o = json_object();
	char *caps = virConnectGetCapabilities(conn), *name = virConnectGetHostname(conn), *dc;
	virNodeInfo ni;
	unsigned long lv = 0, hv = 0;

	json_object_set_new(o, "hostname", name ? json_string(name) : json_null());
	free(name);
	if (!virNodeGetInfo(conn, &ni))
		json_object_set_new(o, "node", json_pack("{s:s, s:I, s:i, s:i, s:i, s:i, s:i, s:i}",
			"model", ni.model, "memory_kib", (json_int_t)ni.memory, "cpus", (int)ni.cpus,
			"mhz", (int)ni.mhz, "nodes", (int)ni.nodes, "sockets", (int)ni.sockets,
			"cores", (int)ni.cores, "threads", (int)ni.threads));
	json_object_set_new(o, "cpu_model", xml_pick(caps, "<host>", "model", NULL));
	json_object_set_new(o, "cpu_arch", xml_pick(caps, "<host>", "arch", NULL));
	json_object_set_new(o, "numa_cells", xml_pick(caps, "<topology>", "cells", "num"));
	free(caps);
	if (!virConnectGetLibVersion(conn, &lv))
		json_object_set_new(o, "libvirt", version_json(lv));
	if (!virConnectGetVersion(conn, &hv))
		json_object_set_new(o, "qemu", version_json(hv));
	dc = virConnectGetDomainCapabilities(conn, NULL, "x86_64", NULL, "kvm", 0);
	json_object_set_new(o, "kvm", json_boolean(dc != NULL));
	json_object_set_new(o, "accel_offered", json_string(dc ? "kvm (and tcg)" : "tcg only"));
	free(dc);
	if (!hr_uri_is_remote(uri)) {	/* libvirt does not say; on this host uname does */
		struct utsname u;

		uname(&u);
		json_object_set_new(o, "kernel", json_string(u.release));
	}
	return o;
}

static void on_close(virConnectPtr conn, int reason, void *opaque)
{
	static const char *const why[] = { "an error on the connection", "end of file",
					   "keepalive timeout", "closed by the client" };
	struct hr_host *h = opaque;
	char text[128];

	(void)conn;
	snprintf(text, sizeof(text), "libvirt connection lost: %s",
		 reason >= 0 && reason < 4 ? why[reason] : "unknown reason");
	hr_host_mark_lost(h, text);
}

void hr_host_mark_lost(struct hr_host *h, const char *why)
{
	int none = 0;

	/* the first to claim it writes the reason (0 -> 1), then publishes it (2) */
	if (!atomic_compare_exchange_strong(&h->lost, &none, 1))
		return;
	snprintf(h->lost_why, sizeof(h->lost_why), "%s", why);
	atomic_store_explicit(&h->lost, 2, memory_order_release);
}

int hr_host_is_lost(const struct hr_host *h)
{
	return atomic_load_explicit(&h->lost, memory_order_acquire) == 2;
}

void hr_host_watch(struct hr_host *h)
{
	if (virConnectRegisterCloseCallback(h->conn, on_close, h, NULL))
		hr_warn("host %s: cannot watch its connection: %s", h->name, hr_lv_err());
}

int hr_host_send_images(struct hr_host *h, const char *const *files, int n)
{
	if (h->embedded)
		return 0;
	if (!h->image)
		h->image = json_array();
	for (int i = 0; i < n; i++) {
		char remote[PATH_MAX];
		json_t *info;

		if (hr_host_image(h, files[i]) != files[i])
			continue;
		if (h->nimg == HR_HOST_IMAGES)
			return hr_error("host %s: more than %d image files", h->name, HR_HOST_IMAGES);
		info = json_object();
		if (hr_pool_put(h->conn, h->pool, files[i], remote, sizeof(remote), info)) {
			json_decref(info);
			return -1;
		}
		json_array_append_new(h->image, info);
		h->img[h->nimg].local = strdup(files[i]);
		h->img[h->nimg].remote = strdup(remote);
		if (!h->img[h->nimg].local || !h->img[h->nimg].remote)
			return hr_error("out of memory");
		h->nimg++;
	}
	return 0;
}

const char *hr_host_image(const struct hr_host *h, const char *local)
{
	for (int i = 0; h && i < h->nimg; i++)
		if (!strcmp(h->img[i].local, local))
			return h->img[i].remote;
	return local;
}

void hr_host_close(struct hr_host *h)
{
	if (h->conn) {
		(void)virConnectUnregisterCloseCallback(h->conn, on_close);
		virConnectClose(h->conn);
		h->conn = NULL;
	}
	for (int i = 0; i < h->nimg; i++) {
		free(h->img[i].local);
		free(h->img[i].remote);
	}
	h->nimg = 0;
	free(h->left);
	h->left = NULL;
	json_decref(h->facts);
	json_decref(h->image);
	h->facts = h->image = NULL;
}

json_t *hr_host_json(const struct hr_host *h)
{
	json_t *o = json_object();
	const char *status = h->skip[0] ? "skipped" : hr_host_is_lost(h) ? "lost" : "ok";

	json_object_set_new(o, "name", json_string(h->name));
	json_object_set_new(o, "uri", json_string(h->uri));
	json_object_set_new(o, "labels", json_string(h->labels));
	json_object_set_new(o, "max_guests", json_integer(h->max_guests));
	json_object_set_new(o, "status", json_string(status));
	if (h->skip[0])
		json_object_set_new(o, "reason", json_string(h->skip));
	else if (hr_host_is_lost(h))
		json_object_set_new(o, "reason", json_string(h->lost_why));
	json_object_set_new(o, "guests", json_integer(h->guests));
	json_object_set_new(o, "transport", json_string(h->embedded ? "embedded QEMU driver" :
		hr_uri_is_remote(h->uri) ? "remote" : "local daemon"));
	json_object_set_new(o, "facts", h->facts ? json_incref(h->facts) : json_null());
	json_object_set_new(o, "image", h->image ? json_incref(h->image) : json_array());
	return o;
}

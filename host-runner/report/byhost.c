// SPDX-License-Identifier: MIT
/*
 * byhost.c - a run over several hosts (run.json "hosts") is summed up per
 * host group: a guest's job becomes "JOB@GROUP", GROUP its host's first
 * label (hosts of one label are one kind of host, pooled), else the host's
 * name. summary.csv, the report and compare then keep hosts apart, and
 * compare matches like with like: JOB@LABEL against JOB@LABEL; a group the
 * other side lacks is reported as missing, never compared with another.
 */
#include <string.h>

#include <jansson.h>

#include "report.h"

/* The group of host @name in @hosts (run.json hosts.list). */
static void group_of(json_t *hosts, const char *name, char *out, size_t len)
{
	size_t i;
	json_t *h;

	snprintf(out, len, "%s", name);
	json_array_foreach(hosts, i, h) {
		const char *labels = json_string_value(json_object_get(h, "labels"));
		size_t n;

		if (strcmp(json_string_value(json_object_get(h, "name")) ?: "", name) || !labels)
			continue;
		labels += strspn(labels, " \t");
		n = strcspn(labels, ", \t");
		if (n)
			snprintf(out, len, "%.*s", (int)n, labels);
	}
}

void rp_host_group(json_t *run, const char *vm, char *out, size_t len)
{
	json_t *hosts = json_object_get(json_object_get(run, "hosts"), "list");
	json_t *v;
	size_t i;

	out[0] = '\0';
	if (json_array_size(hosts) < 2)
		return;
	json_array_foreach(json_object_get(run, "vms"), i, v) {
		const char *h = json_string_value(json_object_get(v, "host"));

		if (h && !strcmp(json_string_value(json_object_get(v, "name")) ?: "", vm)) {
			group_of(hosts, h, out, len);
			return;
		}
	}
}

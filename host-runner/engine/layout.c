// SPDX-License-Identifier: MIT
/*
 * layout.c - the host side of a job's layout: can this host provide it
 * (host NUMA nodes and CPUs from hwloc, free huge pages), the domain XML for
 * it, and where QEMU's memory actually sat per host node afterwards.
 *
 * A layout the host cannot provide is skipped with the reason, never run as
 * something else.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>
#include <jansson.h>
#include <libvirt/libvirt-qemu.h>

#include "layout.h"
#include "core/log.h"

static void host_counts(int *nodes, int *pus)
{
	hwloc_topology_t t;

	*nodes = 1;
	*pus = 1;
	if (hwloc_topology_init(&t))
		return;
	if (!hwloc_topology_load(t)) {
		*nodes = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
		*pus = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
	}
	hwloc_topology_destroy(t);
}

uint64_t hr_free_hugepages_kib(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "re");
	unsigned long long n = 0;

	if (f) {
		if (fscanf(f, "%llu", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n * 2048;
}

int hr_hugetlbfs_mounted(void)
{
	char line[512];
	FILE *f = fopen("/proc/mounts", "re");
	int found = 0;

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " hugetlbfs "))
			found = 1;
	if (f)
		fclose(f);
	return found;
}

int hr_layout_check(const struct hr_job *j, int remote, char *why, size_t len)
{
	int nodes, pus, m;

	host_counts(&nodes, &pus);
	if (j->host_numa_mode != HR_NUMA_NONE) {
		m = hr_set_max(j->host_numa_nodes);
		if (m < 0) {
			snprintf(why, len, "host-numa-nodes '%s' is not a node list like 0 or 0-1",
				 j->host_numa_nodes);
			return 1;
		}
		if (!remote && m >= nodes) {
			snprintf(why, len, "host-numa-nodes=%s needs host NUMA node %d, this host has %d node(s) (hwloc)",
				 j->host_numa_nodes, m, nodes);
			return 1;
		}
	}
	if (strcmp(j->vcpu_pin, "none")) {
		m = hr_set_max(j->vcpu_pin);
		if (m < 0) {
			snprintf(why, len, "vcpu-pin '%s' is not a CPU list like 0-1", j->vcpu_pin);
			return 1;
		}
		if (!remote && m >= pus) {
			snprintf(why, len, "vcpu-pin=%s needs host CPU %d, this host has %d (hwloc)",
				 j->vcpu_pin, m, pus);
			return 1;
		}
	}
	if (j->hugepages && !remote) {
		uint64_t free_kib = hr_free_hugepages_kib();

		if (!hr_hugetlbfs_mounted()) {
			snprintf(why, len, "hugepages=1 but no hugetlbfs is mounted on this host");
			return 1;
		}
		if (free_kib < j->memory_kib * (uint64_t)j->vms) {
			snprintf(why, len, "hugepages=1 needs %" PRIu64 " MiB of free 2 MiB pages, the host has %" PRIu64 " MiB",
				 j->memory_kib * (uint64_t)j->vms / 1024, free_kib / 1024);
			return 1;
		}
	}
	return 0;
}

void hr_layout_xml(FILE *f, const struct hr_job *j)
{
	if (j->hugepages)
		fputs("  <memoryBacking><hugepages/></memoryBacking>\n", f);
	if (j->host_numa_mode != HR_NUMA_NONE)
		fprintf(f, "  <numatune><memory mode='%s' nodeset='%s'/></numatune>\n",
			hr_numa_mode_names[j->host_numa_mode], j->host_numa_nodes);
	if (strcmp(j->vcpu_pin, "none")) {
		fputs("  <cputune>", f);
		for (int v = 0; v < j->vcpus; v++)
			fprintf(f, "<vcpupin vcpu='%d' cpuset='%s'/>", v, j->vcpu_pin);
		fputs("</cputune>\n", f);
	}
}

/* QEMU's pid, from a vCPU thread id (query-cpus-fast) and its Tgid. */
static long qemu_pid(virDomainPtr dom)
{
	char *res = NULL, path[64], line[128];
	long tid = -1, pid = -1;
	json_t *j, *ret;
	FILE *f;

	if (virDomainQemuMonitorCommand(dom, "{\"execute\":\"query-cpus-fast\"}", &res, 0) < 0)
		return -1;
	j = json_loads(res, 0, NULL);
	free(res);
	ret = json_object_get(j, "return");
	if (json_is_array(ret) && json_array_size(ret))
		tid = (long)json_integer_value(json_object_get(json_array_get(ret, 0), "thread-id"));
	json_decref(j);
	if (tid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", tid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %ld", &pid) == 1)
			break;
	if (f)
		fclose(f);
	return pid;
}

json_t *hr_layout_placement(virDomainPtr dom)
{
	uint64_t kib[64] = { 0 };
	char path[64], line[4096];
	long pid = qemu_pid(dom);
	json_t *o;
	FILE *f;

	if (pid <= 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%ld/numa_maps", pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long psz = 4;
		char *p = strstr(line, "kernelpagesize_kB=");

		if (p)
			psz = strtoull(p + 18, NULL, 10);
		for (p = line; (p = strstr(p, " N")); p++) {
			unsigned node;
			unsigned long long pages;

			if (sscanf(p, " N%u=%llu", &node, &pages) == 2 && node < 64)
				kib[node] += pages * psz;
		}
	}
	fclose(f);
	o = json_object();
	for (int n = 0; n < 64; n++) {
		char key[16];

		if (!kib[n])
			continue;
		snprintf(key, sizeof(key), "%d", n);
		json_object_set_new(o, key, json_real((double)kib[n] / 1024));
	}
	return o;
}

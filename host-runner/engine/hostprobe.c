// SPDX-License-Identifier: MIT
/* hostprobe.c - QEMU's process and the host's memory, per sample; see hostprobe.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libvirt/libvirt-qemu.h>

#include "common/smallfile.h"
#include "core/log.h"
#include "hostprobe.h"

/* The value in kB of "Key:" in a /proc status-like text, or -1. */
static int64_t field_kib(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	long long v;

	if (!p || (p != text && p[-1] != '\n'))
		return -1;
	if (sscanf(p + strlen(key), " %lld", &v) != 1 || v < 0)
		return -1;
	return v;
}

/* utime + stime of a /proc/.../stat, in clock ticks; -1 if unreadable. */
static int64_t stat_ticks(const char *path)
{
	struct bb_proc_stat s;
	char buf[1024];

	if (bb_read_small(path, buf, sizeof(buf)) < 0 || bb_proc_stat_parse(buf, &s))
		return -1;
	return (int64_t)(s.utime + s.stime);
}

static void say(struct hr_hostprobe *p, const char *what)
{
	size_t n = strlen(p->why);

	if (strstr(p->why, what))
		return;
	snprintf(p->why + n, sizeof(p->why) - n, "%s%s", n ? "; " : "", what);
}

/* QEMU's vCPU thread ids, from QEMU itself. Returns how many. */
static int vcpu_threads(virDomainPtr dom, pid_t *tids, int max)
{
	char *res = NULL;
	json_t *j, *a;
	int n = 0;

	if (virDomainQemuMonitorCommand(dom, "{\"execute\":\"query-cpus-fast\"}", &res, 0))
		return 0;
	j = json_loads(res, 0, NULL);
	a = json_object_get(j, "return");
	for (size_t i = 0; json_is_array(a) && i < json_array_size(a) && n < max; i++) {
		json_t *t = json_object_get(json_array_get(a, i), "thread-id");

		if (json_is_integer(t) && json_integer_value(t) > 0 &&
		    json_integer_value(t) < (json_int_t)INT32_MAX)
			tids[n++] = (pid_t)json_integer_value(t);
	}
	json_decref(j);
	free(res);
	return n;
}

int hr_pid_is_qemu(pid_t pid)
{
	char path[64], comm[32];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	return bb_read_small(path, comm, sizeof(comm)) > 0 && !strncmp(comm, "qemu", 4);
}

void hr_hostprobe_init(struct hr_hostprobe *p, virConnectPtr conn, virDomainPtr dom, int local)
{
	virNodeInfo ni;

	memset(p, 0, sizeof(*p));
	p->local = local;
	p->ticks = sysconf(_SC_CLK_TCK);
	if (!virNodeGetInfo(conn, &ni) && ni.nodes > 0)
		p->nnodes = (int)ni.nodes;
	else
		say(p, "host NUMA nodes unknown (virNodeGetInfo)");
	if (!local) {
		say(p, "QEMU runs on another host: RSS from virDomainMemoryStats, no RSS parts, no CPU split");
		return;
	}
	p->ntids = vcpu_threads(dom, p->tids, HR_HOST_TIDS);
	if (p->ntids) {
		char path[64], buf[2048];
		int64_t tgid;

		snprintf(path, sizeof(path), "/proc/%d/status", (int)p->tids[0]);
		if (bb_read_small(path, buf, sizeof(buf)) > 0 && (tgid = field_kib(buf, "Tgid:")) > 0)
			p->pid = (pid_t)tgid;
	}
	if (!p->pid)
		say(p, "QEMU's process not found (query-cpus-fast gave no thread of this host)");
}

static void read_proc(struct hr_hostprobe *p, struct hr_hostfig *f)
{
	char path[64], buf[4096];
	int64_t all, vcpu = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)p->pid);
	if (bb_read_small(path, buf, sizeof(buf)) < 0) {
		p->gone = 1;	/* QEMU ended: its series ends here */
		say(p, "QEMU's process ended");
		return;
	}
	f->rss_kib = field_kib(buf, "VmRSS:");
	f->anon_kib = field_kib(buf, "RssAnon:");
	f->file_kib = field_kib(buf, "RssFile:");
	f->shmem_kib = field_kib(buf, "RssShmem:");
	f->huge_kib = field_kib(buf, "HugetlbPages:");
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->pid);
	all = stat_ticks(path);
	for (int i = 0; i < p->ntids && all >= 0; i++) {
		int64_t t;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)p->pid, (int)p->tids[i]);
		t = stat_ticks(path);
		if (t < 0) {
			vcpu = -1;
			break;
		}
		vcpu += t;
	}
	if (all >= 0 && vcpu >= 0 && p->ticks > 0) {
		f->vcpu_ms = vcpu * 1000 / p->ticks;
		f->other_ms = (all - vcpu) * 1000 / p->ticks;
	}
}

static void read_remote_rss(struct hr_hostprobe *p, virDomainPtr dom, struct hr_hostfig *f)
{
	virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
	int n = virDomainMemoryStats(dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);

	for (int i = 0; i < n; i++)
		if (st[i].tag == VIR_DOMAIN_MEMORY_STAT_RSS)
			f->rss_kib = (int64_t)st[i].val;
	if (f->rss_kib < 0)
		say(p, "RSS unknown (virDomainMemoryStats gave none)");
}

static void read_host(struct hr_hostprobe *p, virConnectPtr conn, struct hr_hostfig *f)
{
	unsigned long long freemem[HR_HOST_NODES];
	char buf[4096];
	int n;

	if (p->local && bb_read_small("/proc/meminfo", buf, sizeof(buf)) > 0) {
		f->avail_kib = field_kib(buf, "MemAvailable:");
	} else {
		virNodeMemoryStatsPtr ms = NULL;
		int nparams = 0;

		if (!virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &nparams, 0) &&
		    nparams > 0 && (ms = calloc((size_t)nparams, sizeof(*ms))) &&
		    !virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, ms, &nparams, 0)) {
			int64_t sum = 0;

			for (int i = 0; i < nparams; i++)
				if (!strcmp(ms[i].field, VIR_NODE_MEMORY_STATS_FREE) ||
				    !strcmp(ms[i].field, VIR_NODE_MEMORY_STATS_BUFFERS) ||
				    !strcmp(ms[i].field, VIR_NODE_MEMORY_STATS_CACHED))
					sum += (int64_t)ms[i].value;
			f->avail_kib = sum;
		} else {
			say(p, "host available memory unknown (virNodeGetMemoryStats)");
		}
		free(ms);
	}
	if (p->nnodes <= 0)
		return;
	n = virNodeGetCellsFreeMemory(conn, freemem, 0, p->nnodes < HR_HOST_NODES ? p->nnodes :
				       HR_HOST_NODES);
	for (int i = 0; i < n; i++)
		f->node_free_kib[i] = (int64_t)(freemem[i] / 1024);
	if (n < 0)
		say(p, "free memory per host node unknown (virNodeGetCellsFreeMemory)");
}

void hr_hostprobe_read(struct hr_hostprobe *p, virConnectPtr conn, virDomainPtr dom,
		       struct hr_hostfig *f)
{
	f->rss_kib = f->anon_kib = f->file_kib = f->shmem_kib = f->huge_kib = -1;
	f->avail_kib = f->vcpu_ms = f->other_ms = -1;
	for (int i = 0; i < HR_HOST_NODES; i++)
		f->node_free_kib[i] = -1;
	if (p->local && p->pid && !p->gone)
		read_proc(p, f);
	else if (!p->local && dom)
		read_remote_rss(p, dom, f);
	read_host(p, conn, f);
}

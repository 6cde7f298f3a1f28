// SPDX-License-Identifier: MIT
/* kmsg.c - the kernel log's OOM lines of a memory cgroup (kmsg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg.h"

/* Digits at @p, at least one: past them, else NULL. */
static const char *digits(const char *p)
{
	const char *q = p;

	while (*q >= '0' && *q <= '9')
		q++;
	return q > p ? q : NULL;
}

/*
 * The text of a record: after /dev/kmsg's "PRI,SEQ,TS,FLAGS[,FIELD...];"
 * (FIELD: e.g. caller=T4321 with CONFIG_PRINTK_CALLER) or dmesg's "[ TS] ".
 */
static const char *text_of(const char *rec)
{
	const char *semi = strchr(rec, ';'), *nl = strchr(rec, '\n');

	/* /dev/kmsg: three numbers, the flags, then fields up to the first ';' */
	if (semi && (!nl || semi < nl)) {
		const char *p = rec;
		int i;

		for (i = 0; i < 3 && p && (p = digits(p)) && *p == ','; i++)
			p++;
		if (i == 3 && p)	/* the flags ('-', 'c', '+') and any fields: none holds a ';' */
			return semi + 1;
	}
	if (rec[0] == '[') {
		const char *close = strchr(rec, ']');

		if (close && (!nl || close < nl))
			return close[1] == ' ' ? close + 2 : close + 1;
	}
	return rec;
}

/* Field @key (e.g. "oom_memcg=") of a comma-separated summary @s up to @end: copied to @buf; 0 or -1. */
static int field(const char *s, const char *end, const char *key, char *buf, size_t size)
{
	size_t kn = strlen(key);

	for (const char *p = s; p && p < end; p = memchr(p, ',', (size_t)(end - p)), p = p ? p + 1 : NULL) {
		if ((size_t)(end - p) > kn && !strncmp(p, key, kn)) {
			const char *v = p + kn, *e = memchr(v, ',', (size_t)(end - v));
			size_t n = (size_t)((e ? e : end) - v);

			if (n >= size)
				return -1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return 0;
		}
	}
	return -1;
}

static int parse_pid(const char *s, const char **after)
{
	char *e;
	long v = strtol(s, &e, 10);

	if (e == s || v <= 0 || v > 1 << 22)
		return 0;
	if (after)
		*after = e;
	return (int)v;
}

enum hr_kmsg_kind hr_kmsg_oom_parse(const char *rec, const char *memcg, struct hr_kmsg_oom *out)
{
	static const char sum[] = "oom-kill:", killed[] = "Memory cgroup out of memory: Killed process ";
	const char *t = text_of(rec), *end = t + strcspn(t, "\n");
	char buf[256];

	memset(out, 0, sizeof(*out));
	if (!strncmp(t, sum, sizeof(sum) - 1)) {
		const char *s = t + sizeof(sum) - 1;

		if (field(s, end, "constraint=", buf, sizeof(buf)) || strcmp(buf, "CONSTRAINT_MEMCG") ||
		    field(s, end, "oom_memcg=", buf, sizeof(buf)) || !memcg || strcmp(buf, memcg))
			return HR_KMSG_OTHER;
		if (!field(s, end, "pid=", buf, sizeof(buf)))
			out->pid = parse_pid(buf, NULL);
		if (field(s, end, "task=", out->task, sizeof(out->task)))
			out->task[0] = '\0';
		if (field(s, end, "task_memcg=", out->task_memcg, sizeof(out->task_memcg)))
			out->task_memcg[0] = '\0';
		return HR_KMSG_OOM_SUMMARY;
	}
	if (!strncmp(t, killed, sizeof(killed) - 1)) {
		const char *p = t + sizeof(killed) - 1, *a = NULL, *close;

		if (!(out->pid = parse_pid(p, &a)) || a[0] != ' ' || a[1] != '(' ||
		    !(close = memchr(a + 2, ')', (size_t)(end - a - 2)))) {
			out->pid = 0;
			return HR_KMSG_OTHER;
		}
		if ((size_t)(close - a - 2) < sizeof(out->task)) {
			memcpy(out->task, a + 2, (size_t)(close - a - 2));
			out->task[close - a - 2] = '\0';
		}
		return HR_KMSG_KILLED;
	}
	return HR_KMSG_OTHER;
}

static int seen(const struct hr_kmsg_counter *c, int pid)
{
	int n = c->npids < 64 ? c->npids : 64;

	for (int i = 0; pid > 0 && i < n; i++)
		if (c->pids[i] == pid)
			return 1;
	return 0;
}

static void remember(struct hr_kmsg_counter *c, int pid)
{
	if (pid > 0)
		c->pids[c->npids++ % 64] = pid;
	if (c->npids >= 128)	/* stays in [64, 128): the ring full, its index going on */
		c->npids -= 64;
}

int hr_kmsg_count(struct hr_kmsg_counter *c, const char *rec, const char *memcg, const int *qpids, int nq,
		  struct hr_kmsg_oom *out)
{
	enum hr_kmsg_kind kind = hr_kmsg_oom_parse(rec, memcg, out);
	int ours = 0;

	if (kind == HR_KMSG_OOM_SUMMARY) {
		if (seen(c, out->pid))
			return 0;
		if (out->pid <= 0)
			c->anon++;
		remember(c, out->pid);
		c->kills++;
		return 1;
	}
	if (kind != HR_KMSG_KILLED || seen(c, out->pid))
		return 0;
	for (int q = 0; q < nq; q++)
		ours |= qpids[q] > 0 && qpids[q] == out->pid;
	if (!ours)
		return 0;
	remember(c, out->pid);
	if (c->anon > 0) {	/* the kill of a summary cut short: now with its pid */
		c->anon--;
		return 0;
	}
	snprintf(out->task_memcg, sizeof(out->task_memcg), "%s (a Killed process line of its QEMU: the summary "
		 "not read whole)", memcg ? memcg : "");
	c->kills++;
	return 1;
}

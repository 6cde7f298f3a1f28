/* SPDX-License-Identifier: MIT */
/*
 * kmsg.h - the host kernel's own record of a memory cgroup's OOM kills
 * (issue 24). cgroup v1 counts a kill (memory.oom_control oom_kill) in the
 * killed process's own cgroup only: a QEMU's is its domain's cgroup, inside
 * the budget's partition, and libvirt removes it with the domain. The
 * kernel log keeps it: each kill of a memory cgroup's OOM killer writes
 * (mm/oom_kill.c, dump_oom_summary and __oom_kill_process)
 *
 *   oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=...,
 *     mems_allowed=0,oom_memcg=/machine/NAME.partition,task_memcg=/machine/
 *     NAME.partition/qemu-...,task=qemu-system-x86,pid=21443,uid=0
 *   Memory cgroup out of memory: Killed process 21443 (qemu-system-x86) ...
 *
 * hr_kmsg_oom_parse reads one /dev/kmsg record (or one dmesg line) and says
 * which of the two it is, for the memory cgroup @memcg (the budget's
 * partition, as the kernel names it: /machine/NAME.partition);
 * hr_kmsg_count counts a kill once a pid, from its summary line or, where
 * the summary was split, the Killed line of one of the budget's QEMUs.
 */
#ifndef HR_CORE_KMSG_H
#define HR_CORE_KMSG_H

#include <stdint.h>

enum hr_kmsg_kind {
	HR_KMSG_OTHER = 0,	/* not an OOM line, or another cgroup's */
	HR_KMSG_OOM_SUMMARY,	/* oom-kill:constraint=CONSTRAINT_MEMCG,...,oom_memcg=@memcg, */
	HR_KMSG_KILLED,		/* Memory cgroup out of memory: Killed process PID (COMM) */
};

struct hr_kmsg_oom {
	int pid;		/* the victim (0: not said) */
	char task[32];		/* its command name, as the kernel wrote it */
	char task_memcg[256];	/* its own memory cgroup (summary lines only) */
};

/*
 * One record @rec ("PRI,SEQ,TS,FLAGS;TEXT" as /dev/kmsg gives it, or
 * "[ TS] TEXT" as dmesg prints it, or TEXT alone; what follows a newline is
 * ignored). A summary is this budget's only where its oom_memcg= is @memcg
 * exactly (a prefix is not: w1 is not w12). A Killed line names no cgroup:
 * it is HR_KMSG_KILLED whoever's it is, and the caller matches its pid with
 * a summary it counted.
 */
enum hr_kmsg_kind hr_kmsg_oom_parse(const char *rec, const char *memcg, struct hr_kmsg_oom *out);


/* A budget's kills in the log, one a pid (hr_kmsg_count). Zeroed to start. */
struct hr_kmsg_counter {
	int64_t kills;		/* counted so far */
	int pids[64];		/* pids whose kill was counted (the last 64) */
	int npids;
	int anon;		/* summaries counted without a pid (cut short): the next Killed line of a QEMU is theirs */
};
/*
 * Count record @rec for memory cgroup @memcg: its summary, or (the summary
 * is printed piecewise, with pr_cont, and a message of another CPU can split
 * it over records) a Killed process line whose pid is one of @qpids (the
 * budget's QEMUs, @nq of them). A pid's kill counts once, whichever line
 * comes first. Returns 1 when @rec is a kill not counted before (*out: it;
 * a Killed line's task_memcg says so), else 0.
 */
int hr_kmsg_count(struct hr_kmsg_counter *c, const char *rec, const char *memcg, const int *qpids, int nq,
		  struct hr_kmsg_oom *out);
#endif /* HR_CORE_KMSG_H */

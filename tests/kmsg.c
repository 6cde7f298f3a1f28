/* kmsg.c - the kernel log's OOM lines of a memory cgroup (core/kmsg.c), on lines this host's kernel wrote. */
#include <stdio.h>
#include <string.h>

#include "core/kmsg.h"
#include "tap.h"

/* Lines of this machine's kernel (6.18, dmesg), from a run of bench/overcommit.ini: the budget of wave 3 killed a QEMU. */
static const char sum3[] =
	"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=vcpu0,mems_allowed=0,"
	"oom_memcg=/machine/bb-861666d4-0b68-w3.partition,task_memcg=/machine/bb-861666d4-0b68-w3.partition/"
	"qemu-embed-861666d4-5-bb-0b68-none-v2.libvirt-qemu,task=qemu-system-x86,pid=21443,uid=0";
static const char killed3[] =
	"Memory cgroup out of memory: Killed process 21443 (qemu-system-x86) total-vm:1878400kB, "
	"anon-rss:329552kB, file-rss:23352kB, shmem-rss:0kB, UID:0 pgtables:848kB oom_score_adj:0";
#define W3	"/machine/bb-861666d4-0b68-w3.partition"

int main(void)
{
	struct hr_kmsg_oom o;
	char rec[1024];

	plan(21);
	ok(hr_kmsg_oom_parse(sum3, W3, &o) == HR_KMSG_OOM_SUMMARY && o.pid == 21443 &&
	   !strcmp(o.task, "qemu-system-x86") && strstr(o.task_memcg, "-none-v2.libvirt-qemu"),
	   "a summary of this budget: pid 21443, task qemu-system-x86, its own cgroup the domain's");
	/* /dev/kmsg's form: PRI,SEQ,TS,FLAGS;TEXT, then continuation lines */
	snprintf(rec, sizeof(rec), "3,91021,36936685688,-;%s\n SUBSYSTEM=x\n", sum3);
	ok(hr_kmsg_oom_parse(rec, W3, &o) == HR_KMSG_OOM_SUMMARY && o.pid == 21443, "the same as /dev/kmsg gives it");
	/* with CONFIG_PRINTK_CALLER: a caller field after the flags */
	snprintf(rec, sizeof(rec), "6,91021,36936685688,-,caller=T4321;%s\n", sum3);
	ok(hr_kmsg_oom_parse(rec, W3, &o) == HR_KMSG_OOM_SUMMARY && o.pid == 21443,
	   "the same with a caller field (CONFIG_PRINTK_CALLER)");
	snprintf(rec, sizeof(rec), "3,91022,36936685754,c,caller=C1;%s\n", killed3);
	ok(hr_kmsg_oom_parse(rec, W3, &o) == HR_KMSG_KILLED && o.pid == 21443, "a Killed line with a caller field");
	snprintf(rec, sizeof(rec), "[36936.685688] %s", sum3);
	ok(hr_kmsg_oom_parse(rec, W3, &o) == HR_KMSG_OOM_SUMMARY && o.pid == 21443, "the same as dmesg prints it");
	ok(hr_kmsg_oom_parse(sum3, "/machine/bb-861666d4-0b68-w9.partition", &o) == HR_KMSG_OTHER,
	   "another budget's summary is not this one's");
	ok(hr_kmsg_oom_parse(sum3, "/machine/bb-861666d4-0b68-w", &o) == HR_KMSG_OTHER,
	   "a prefix of the cgroup is not the cgroup (w1 is not w12)");
	ok(hr_kmsg_oom_parse(sum3, NULL, &o) == HR_KMSG_OTHER, "no cgroup: no summary is ours");
	ok(hr_kmsg_oom_parse("oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
			     "global_oom,task_memcg=/user.slice,task=python3,pid=77,uid=0", W3, &o) == HR_KMSG_OTHER,
	   "a global OOM kill is not the budget's");
	ok(hr_kmsg_oom_parse(killed3, W3, &o) == HR_KMSG_KILLED && o.pid == 21443 && !strcmp(o.task, "qemu-system-x86"),
	   "the Killed process line: pid 21443 (qemu-system-x86)");
	snprintf(rec, sizeof(rec), "3,91022,36936685754,-;%s\n", killed3);
	ok(hr_kmsg_oom_parse(rec, W3, &o) == HR_KMSG_KILLED && o.pid == 21443, "... as /dev/kmsg gives it");
	ok(hr_kmsg_oom_parse("CPU 0/TCG invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
			     W3, &o) == HR_KMSG_OTHER, "the invoked line is not a kill");
	ok(hr_kmsg_oom_parse("Memory cgroup out of memory: Killed process x (y)", W3, &o) == HR_KMSG_OTHER &&
	   o.pid == 0, "a Killed line without a pid is nothing");
	ok(hr_kmsg_oom_parse("6,1,2,-;oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=" W3, W3, &o) ==
	   HR_KMSG_OOM_SUMMARY && o.pid == 0, "a summary cut short still counts (pid unknown)");
	ok(hr_kmsg_oom_parse("", W3, &o) == HR_KMSG_OTHER, "an empty record");
	{
		/* the counter: a summary and its Killed line are one kill */
		struct hr_kmsg_counter c = { 0 };
		int q[] = { 21443, 21500 };

		ok(hr_kmsg_count(&c, sum3, W3, q, 2, &o) == 1 && hr_kmsg_count(&c, killed3, W3, q, 2, &o) == 0 &&
		   c.kills == 1, "a summary, then its Killed line: one kill");
		/* split: another CPU's message between the pieces of the summary (pr_cont) */
		memset(&c, 0, sizeof(c));
		ok(hr_kmsg_count(&c, "6,5,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=vcpu0,", W3,
				 q, 2, &o) == 0 &&
		   hr_kmsg_count(&c, "6,6,2,-;e1000e: eth0 NIC Link is Up", W3, q, 2, &o) == 0 &&
		   hr_kmsg_count(&c, "4,7,3,c;mems_allowed=0,oom_memcg=" W3 ",task=qemu-system-x86,pid=21443", W3, q, 2,
				 &o) == 0 && c.kills == 0,
		   "a summary split over records: no piece is a summary of this budget");
		ok(hr_kmsg_count(&c, "3,8,4,-;Memory cgroup out of memory: Killed process 21443 (qemu-system-x86) x", W3,
				 q, 2, &o) == 1 && o.pid == 21443 && c.kills == 1 && strstr(o.task_memcg, "Killed process"),
		   "... its Killed process line, of one of the budget's QEMUs, counts the kill");
		ok(hr_kmsg_count(&c, sum3, W3, q, 2, &o) == 0 && c.kills == 1,
		   "... and a summary of that pid after it is the same kill");
		ok(hr_kmsg_count(&c, "Memory cgroup out of memory: Killed process 999 (qemu-system-x86)", W3, q, 2,
				 &o) == 0 && c.kills == 1, "a Killed line of a pid not the budget's QEMU: another's");
		memset(&c, 0, sizeof(c));
		ok(hr_kmsg_count(&c, "6,1,2,-;oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=" W3, W3, q, 2, &o) == 1 &&
		   hr_kmsg_count(&c, "Memory cgroup out of memory: Killed process 21500 (qemu-system-x86)", W3, q, 2,
				 &o) == 0 && c.kills == 1, "a summary cut short (no pid), then its Killed line: one kill");
	}
	return done_testing();
}

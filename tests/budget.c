/* budget.c - host-budget and host-swap (core/budget.c): parsed, and each refusal before anything boots. */
#include <stdint.h>
#include <string.h>

#include "core/budget.h"
#include "tap.h"

#define MIB	1024ull
#define GIB	(1024ull * 1024)

static char why[240];

/* One line: nothing after a newline. */
static int one_line(void)
{
	return why[0] && !strchr(why, '\n');
}

int main(void)
{
	struct hr_budget_spec spec;
	struct hr_budget_host host = { 24 * GIB, HR_MEMCG_V1, 1, NULL, 10 * GIB, NULL };
	uint64_t nominal[4] = { 2 * GIB, 2 * GIB, 2 * GIB, 2 * GIB }, floors[4] = { 256 * MIB, 256 * MIB, 256 * MIB, 256 * MIB };
	uint64_t limit;
	int rc;

	plan(33);
	memset(&spec, 0, sizeof(spec));
	ok(!hr_budget_parse("host-budget", "6G", &spec, why, sizeof(why)) && spec.has_budget &&
	   spec.budget.kib == 6 * GIB, "host-budget = 6G");
	ok(!hr_budget_parse("host-budget", "60%", &spec, why, sizeof(why)) && spec.budget.percent == 60,
	   "host-budget = 60%%");
	ok(hr_budget_parse("host-budget", "0", &spec, why, sizeof(why)) && one_line() &&
	   strstr(why, "host-budget: '0'"), "host-budget = 0 is refused (%s)", why);
	ok(hr_budget_parse("host-budget", "150%", &spec, why, sizeof(why)), "host-budget = 150%% is refused");
	ok(hr_budget_parse("host-budget", "lots", &spec, why, sizeof(why)), "host-budget = lots is refused");
	ok(hr_budget_parse("host-budget", "-1G", &spec, why, sizeof(why)), "host-budget = -1G is refused");
	ok(!hr_budget_parse("host-swap", "2G", &spec, why, sizeof(why)) && spec.has_swap && spec.swap_kib == 2 * GIB,
	   "host-swap = 2G");
	ok(!hr_budget_parse("host-swap", "0", &spec, why, sizeof(why)) && !spec.has_swap, "host-swap = 0: none");
	ok(hr_budget_parse("host-swap", "10%", &spec, why, sizeof(why)) && strstr(why, "host-swap"),
	   "host-swap as a percentage is refused (%s)", why);
	ok(hr_budget_parse("host-swapp", "1G", &spec, why, sizeof(why)), "an unknown key is refused (%s)", why);

	/* the checks: four guests of 2 GiB, floors 256 MiB */
	memset(&spec, 0, sizeof(spec));
	ok(!hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)) &&
	   limit == 0, "no budget, no swap: nothing to refuse");
	hr_budget_parse("host-budget", "60%", &spec, why, sizeof(why));
	rc = hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why));
	ok(!rc && limit == 8 * GIB * 60 / 100 / 4 * 4, "60%% of 8 GiB: %llu KiB, whole pages", (unsigned long long)limit);
	hr_budget_parse("host-budget", "33%", &spec, why, sizeof(why));
	rc = hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why));
	ok(!rc && limit % 4 == 0 && limit <= 8 * GIB * 33 / 100 && limit > 8 * GIB * 33 / 100 - 4,
	   "33%%: rounded down to a page (%llu KiB)", (unsigned long long)limit);
	hr_budget_parse("host-budget", "30G", &spec, why, sizeof(why));
	ok(hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)) &&
	   one_line() && strstr(why, "30720 MiB is more than this host's memory (MemTotal 24576 MiB)") && !limit,
	   "a budget above MemTotal: %s", why);
	hr_budget_parse("host-budget", "1G", &spec, why, sizeof(why));
	ok(hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)) &&
	   one_line() && strstr(why, "below the guests' minimum 1536 MiB") && strstr(why, "floors 1024 MiB") &&
	   strstr(why, "4 x 128 MiB"), "a budget below the guests' minimum: %s", why);
	hr_budget_parse("host-budget", "1536M", &spec, why, sizeof(why));
	ok(!hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)),
	   "the guests' minimum itself is a budget");
	ok(hr_budget_check(&spec, &host, nominal, NULL, 4, 512 * MIB, &limit, why, sizeof(why)) &&
	   strstr(why, "4 x 512 MiB"), "without floors, the overhead given counts: %s", why);
	hr_budget_parse("host-budget", "10%", &spec, why, sizeof(why));
	ok(hr_budget_check(&spec, &host, nominal, floors, 0, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)) &&
	   strstr(why, "no guests"), "a percentage without guests: %s", why);
	{
		uint64_t tiny = 4;

		hr_budget_parse("host-budget", "1%", &spec, why, sizeof(why));
		ok(hr_budget_check(&spec, &host, &tiny, NULL, 1, 0, &limit, why, sizeof(why)) &&
		   strstr(why, "less than a page"), "a percentage that comes to nothing: %s", why);
		tiny = UINT64_MAX;
		ok(hr_budget_check(&spec, &host, &tiny, NULL, 1, 0, &limit, why, sizeof(why)) &&
		   strstr(why, "beyond any host"), "a guest of 2^64 KiB: %s", why);
	}
	hr_budget_parse("host-budget", "4G", &spec, why, sizeof(why));
	host.memcg = HR_MEMCG_NONE;
	host.memcg_why = "no memory controller in /proc/cgroups";
	ok(hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)) &&
	   one_line() && strstr(why, "no memory controller to enforce it (no memory controller in /proc/cgroups)"),
	   "no memory controller: %s", why);
	host.memcg_why = NULL;
	ok(hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)) &&
	   strstr(why, "none found"), "... without the probe's reason: %s", why);
	host.memcg = HR_MEMCG_V2;
	host.memtotal_kib = -1;
	ok(hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)) &&
	   strstr(why, "MemTotal) is unknown"), "MemTotal unknown: %s", why);
	host.memtotal_kib = 24 * GIB;
	rc = hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why));
	ok(!rc && limit == 4 * GIB, "4G on cgroup v2: %llu KiB", (unsigned long long)limit);

	/* swap */
	memset(&spec, 0, sizeof(spec));
	hr_budget_parse("host-swap", "2G", &spec, why, sizeof(why));
	ok(hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)) &&
	   one_line() && strstr(why, "host-swap: a swap file for the job's host budget, expected a host-budget too"),
	   "host-swap without a budget: %s", why);
	hr_budget_parse("host-budget", "4G", &spec, why, sizeof(why));
	ok(!hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)),
	   "host-swap 2G with 10 GiB free");
	hr_budget_parse("host-swap", "11G", &spec, why, sizeof(why));
	ok(hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)) &&
	   one_line() && strstr(why, "host-swap: 11264 MiB is more than the state dir's file system has free (10240 MiB)"),
	   "a swap file the disk cannot hold: %s", why);
	hr_budget_parse("host-swap", "10G", &spec, why, sizeof(why));
	ok(!hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)),
	   "exactly the free space fits");
	hr_budget_parse("host-swap", "16K", &spec, why, sizeof(why));
	ok(hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)) &&
	   strstr(why, "smaller than a swap area"), "16 KiB of swap: %s", why);
	hr_budget_parse("host-swap", "1G", &spec, why, sizeof(why));
	host.state_free_kib = -1;
	ok(hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)) &&
	   strstr(why, "free space is unknown"), "free space unknown: %s", why);
	host.state_free_kib = 10 * GIB;
	host.swap_why = hr_budget_swap_fs_why(0x01021994);
	ok(hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)) &&
	   one_line() && strstr(why, "host-swap: this host cannot swap on a file in the state dir: tmpfs: "),
	   "a state dir on tmpfs: %s", why);
	host.swap_why = NULL;
	ok(!hr_budget_swap_fs_why(0xEF53) && !hr_budget_swap_fs_why(0x58465342) && hr_budget_swap_fs_why(0x794c7630) &&
	   hr_budget_swap_fs_why((long)(int)0xff534d42), "swap file systems: ext4 and xfs take one; overlayfs, cifs (sign-extended) do not");
	hr_budget_parse("host-budget", "30G", &spec, why, sizeof(why));
	ok(hr_budget_check(&spec, &host, nominal, floors, 4, HR_BUDGET_QEMU_OVERHEAD_KIB, &limit, why, sizeof(why)) &&
	   strstr(why, "host-budget:"), "both given, the budget's refusal first: %s", why);
	return done_testing();
}

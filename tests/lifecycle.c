/* lifecycle.c - events= (core/lifecycle.c): parsed into time order, written back, checked against the job. */
#include <string.h>

#include "core/lifecycle.h"
#include "core/mechdef.h"
#include "tap.h"

#define MIB 1024ull

/* The events of @spec, as written back, comma-joined into @buf; 0 or -1. */
static int order(const char *spec, char *buf, size_t size)
{
	struct hr_lc_event ev[HR_MAX_LC_EVENTS];
	char err[256], one[64];
	int n;

	buf[0] = '\0';
	if (hr_lc_parse(spec, ev, &n, err, sizeof(err)))
		return -1;
	for (int i = 0; i < n; i++) {
		hr_lc_format(&ev[i], one, sizeof(one));
		if (i)
			strncat(buf, ",", size - strlen(buf) - 1);
		strncat(buf, one, size - strlen(buf) - 1);
	}
	return 0;
}

static int check_to(const char *spec, size_t ntrans, int mech, const char *to, char *err, size_t len)
{
	struct hr_lc_event ev[HR_MAX_LC_EVENTS];
	int n;

	if (hr_lc_parse(spec, ev, &n, err, len))
		return -1;
	return hr_lc_check(ev, n, ntrans, mech, 512 * MIB, 120000000ull, to, err, len);
}

static int check(const char *spec, size_t ntrans, int mech, char *err, size_t len)
{
	return check_to(spec, ntrans, mech, "", err, len);
}

int main(void)
{
	char buf[512], err[256], w[64];
	struct hr_lc_event ev[HR_MAX_LC_EVENTS];
	int n;

	plan(29);
	ok(!order(" storm:200@after:2, pause:3s@after:1 ,save@after:0,pause@during:2,floor:16M@after:1",
		  buf, sizeof(buf)), "a list with blanks parses");
	is_str(buf, "save@after:0,pause:3s@after:1,floor:16M@after:1,pause:2s@during:2,storm:200@after:2",
	       "in time order (stable), defaults filled in");
	ok(!hr_lc_parse("", ev, &n, err, sizeof(err)) && n == 0, "none: no events");
	ok(!hr_lc_parse("reset@after:1,pause:10ms@after:1", ev, &n, err, sizeof(err)) &&
	   n == 2 && ev[1].arg == 10000 && ev[0].pos == 1, "10ms in us; positions kept");
	ok(hr_lc_parse("pause@after:x", ev, &n, err, sizeof(err)) && strstr(err, "not a transition number"),
	   "N must be a number: %s", err);
	ok(hr_lc_parse("nap@after:1", ev, &n, err, sizeof(err)) && strstr(err, "unknown event 'nap'"),
	   "unknown: %s", err);
	ok(hr_lc_parse("storm:1001@after:1", ev, &n, err, sizeof(err)), "storm above 1000 refused");
	ok(hr_lc_parse("floor:50%@after:1", ev, &n, err, sizeof(err)), "floor takes a size, not a percentage");
	ok(!check("pause@after:2", 2, HR_MECH_BALLOON, err, sizeof(err)), "after the last transition: fine");
	ok(check("pause@after:3", 2, HR_MECH_BALLOON, err, sizeof(err)) && strstr(err, "past the last"),
	   "past the last: %s", err);
	ok(check("floor@after:1", 2, HR_MECH_VMEM, err, sizeof(err)) && strstr(err, "virtio-mem"),
	   "floor with virtio-mem: %s", err);
	ok(check("migrate@after:1", 2, HR_MECH_BALLOON, err, sizeof(err)) &&
	   strstr(err, "entry 1: migrate:live@after:1 needs a destination: migrate-to ="),
	   "migrate without migrate-to: %s", err);
	ok(!check_to("migrate@after:1,migrate@after:2", 2, HR_MECH_BALLOON, "qemu+unix:///system?socket=/s",
		     err, sizeof(err)), "migrate there and back with migrate-to: fine");
	ok(check_to("migrate@after:1", 2, HR_MECH_BALLOON, "qemu:///embed?root=/x", err, sizeof(err)) &&
	   strstr(err, "the embedded driver cannot be a destination"), "migrate to the embedded driver: %s", err);
	ok(!check_to("migrate@during:1", 2, HR_MECH_BALLOON, "qemu:///system", err, sizeof(err)),
	   "migrate during a transition: fine");
	ok(check_to("migrate@after:1", 2, HR_MECH_VMEM, "qemu:///system", err, sizeof(err)) &&
	   strstr(err, "virtio-mem"), "migrate with virtio-mem: %s", err);
	ok(!hr_lc_parse("migrate:offline@after:1,migrate@after:2", ev, &n, err, sizeof(err)) && n == 2 &&
	   ev[0].arg == 1 && ev[1].arg == 0 && (hr_lc_format(&ev[0], w, sizeof(w)), !strcmp(w, "migrate:offline@after:1")) &&
	   (hr_lc_format(&ev[1], w, sizeof(w)), !strcmp(w, "migrate:live@after:2")),
	   "migrate:offline and migrate (live, the default) parsed and written back");
	ok(hr_lc_parse("migrate:postcopy@after:1", ev, &n, err, sizeof(err)) &&
	   strstr(err, "entry 1: migrate: 'postcopy' is not live or offline"), "migrate's word: %s", err);
	ok(!hr_lc_parse("migrate@after:1", ev, &n, err, sizeof(err)) && hr_lc_migrates(ev, n) &&
	   !hr_lc_parse("save@after:1", ev, &n, err, sizeof(err)) && !hr_lc_migrates(ev, n),
	   "a migrate starts the guest without AUTODESTROY, a save does not");
	ok(check("shutdown@after:2,pause@after:2", 2, HR_MECH_BALLOON, err, sizeof(err)) &&
	   strstr(err, "must be the last event"), "shutdown before another: %s", err);
	ok(check("storm@during:1", 2, HR_MECH_BALLOON, err, sizeof(err)) && strstr(err, "between transitions"),
	   "storm during: %s", err);
	ok(check("pause:120s@during:1", 2, HR_MECH_BALLOON, err, sizeof(err)) &&
	   strstr(err, "shorter than timeout=120s"), "a pause during as long as timeout=: %s", err);
	ok(!check("pause:119s@during:1,pause:300s@after:1", 2, HR_MECH_BALLOON, err, sizeof(err)),
	   "a pause during shorter than timeout=, a longer one after: fine");
	ok(!hr_lc_parse("reset@after:1", ev, &n, err, sizeof(err)) && hr_lc_restarts(ev, n) &&
	   !hr_lc_parse("pause@after:1", ev, &n, err, sizeof(err)) && !hr_lc_restarts(ev, n),
	   "a reset restarts the guest, a pause does not");
	ok(!order("reboot@after:1,reboot:acpi@after:1,reboot:sysrq@after:1", buf, sizeof(buf)) &&
	   !strcmp(buf, "reboot:agent@after:1,reboot:acpi@after:1,reboot:sysrq@after:1"),
	   "reboot's ways, agent by default: %s", buf);
	ok(!hr_lc_parse("reboot:acpi@after:1", ev, &n, err, sizeof(err)) &&
	   ev[0].arg == HR_LC_REBOOT_ACPI && hr_lc_restarts(ev, n), "reboot:acpi restarts the guest");
	ok(hr_lc_parse("reboot:halt@after:1", ev, &n, err, sizeof(err)) &&
	   strstr(err, "'halt' is not agent, acpi or sysrq"), "an unknown way: %s", err);
	ok(check("unplug@after:1", 2, HR_MECH_BALLOON, err, sizeof(err)) &&
	   strstr(err, "live detach of device 'memballoon' is not supported"), "unplug refused: %s", err);
	for (int k = 0; k < HR_LC_N; k++)
		if (!hr_lc_defs[k].name || (!hr_lc_defs[k].refused && !hr_lc_defs[k].does))
			n = -1;
	ok(n != -1, "every row has a name, and what it does or why it is refused");
	return done_testing();
}

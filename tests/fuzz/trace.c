/* fuzz/trace.c - the trace reader (core/schedule.c): the input is the trace file. */
#include "core/schedule.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[128], err[512];
	struct hr_sched_spec s = { .kind = HR_SCHED_TRACE, .trace_path = path };
	struct hr_sched_event *ev = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/t.csv", fz_dir);
	fz_write(path, data, size);
	if (!hr_sched_build(&s, 1024 * 1024, &ev, &n, err, sizeof(err)))
		for (size_t i = 1; i < n; i++)
			if (ev[i].at_us < ev[i - 1].at_us || ev[i].kib > 1024 * 1024)
				abort();	/* the contract: in time order, within memory */
	free(ev);
	return 0;
}

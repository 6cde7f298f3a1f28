/* results.h - a results directory (or two) written from "==> NAME <==" sections. */
#ifndef BB_FUZZ_RESULTS_H
#define BB_FUZZ_RESULTS_H

#include <sys/stat.h>

#include "fuzz.h"

static const char *const fz_names[] = {
	"run.json", "transitions.csv", "samples.csv", "faults.csv", "nodes.csv", "latency.csv",
	"events.csv", "summary.csv", "latency_stats.csv", "slowest.csv",
};
#define FZ_NNAMES	(sizeof(fz_names) / sizeof(fz_names[0]))

/* Empty @dir of the files a section may write (and what the commands wrote). */
static inline void fz_clean(const char *dir)
{
	static const char *const out[] = { "report.html", "compare.csv", "compare.tap",
					   "compare.html", "thresholds.ini" };
	char path[256];

	mkdir(dir, 0700);
	for (size_t i = 0; i < FZ_NNAMES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, fz_names[i]);
		unlink(path);
	}
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, out[i]);
		unlink(path);
	}
}

/* A section "NAME" or "SIDE/NAME" into @arg (a directory) if NAME is a results file. */
static inline void fz_put(const char *name, const char *body, size_t len, void *arg)
{
	const char *dir = arg, *slash = strchr(name, '/');
	char path[256];

	for (size_t i = 0; i < FZ_NNAMES; i++)
		if (!strcmp(slash ? slash + 1 : name, fz_names[i]) || !strcmp(name, "thresholds.ini")) {
			if (slash && (slash - name != 1 || (name[0] != 'a' && name[0] != 'b')))
				return;
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			fz_write(path, body, len);
			return;
		}
}

#endif /* BB_FUZZ_RESULTS_H */

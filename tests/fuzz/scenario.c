/* fuzz/scenario.c - the scenario parser, then --set: the input is an INI file,
 * optionally followed by a line "--set" and one KEY=VALUE per line. */
#include "core/scenario.h"
#include "fuzz.h"

static struct hr_scenario sc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *sep = memmem(data, size, "\n--set\n", 7);
	size_t ini = sep ? (size_t)(sep - (const char *)data) + 1 : size;
	char path[128], *sets = NULL;
	const char *kv[32];
	int n = 0;

	snprintf(path, sizeof(path), "%s/s.ini", fz_dir);
	fz_write(path, data, ini);
	if (sep) {
		size_t len = size - ini - 6;

		sets = malloc(len + 1);
		memcpy(sets, sep + 7, len);
		sets[len] = '\0';
		for (char *save = NULL, *t = strtok_r(sets, "\n", &save); t && n < 32;
		     t = strtok_r(NULL, "\n", &save))
			kv[n++] = t;
	}
	if (!hr_scenario_load(path, &sc))
		(void)hr_scenario_set_all(&sc, kv, n);
	hr_scenario_free(&sc);
	free(sets);
	return 0;
}

/* fuzz.h - what the libFuzzer harnesses share: a scratch directory, files
 * written from the input, and the "==> NAME <==" sections a results
 * directory's input is made of (as `head -v` prints several files). */
#ifndef BB_FUZZ_H
#define BB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char fz_dir[64];

/* Quiet messages, stdout to /dev/null, a scratch directory of this process. */
static inline void fz_init(void)
{
	hr_verbosity = -1;
	if (!freopen("/dev/null", "w", stdout))
		abort();
	snprintf(fz_dir, sizeof(fz_dir), "/tmp/bbfuzz.XXXXXX");
	if (!mkdtemp(fz_dir))
		abort();
}

/* Every harness starts the same way (each includes this header once). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_init();
	return 0;
}

/* Write @n bytes to @path (replacing it). */
static inline void fz_write(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(data, 1, n, f) != n || fclose(f))
		abort();
}

/*
 * Call @fn(name, body, len, arg) for each "==> NAME <==\n" section of the
 * input (bytes before the first belong to @first, if not NULL).
 */
static inline void fz_sections(const uint8_t *data, size_t size, const char *first,
			       void (*fn)(const char *, const char *, size_t, void *), void *arg)
{
	const char *p = (const char *)data, *end = p + size, *name = first;
	size_t namelen = first ? strlen(first) : 0;

	while (p <= end) {
		const char *q = p, *hdr = NULL;

		/* the next header at the start of a line */
		for (; q + 4 <= end; q++)
			if ((q == (const char *)data || q[-1] == '\n') && !memcmp(q, "==> ", 4)) {
				hdr = q;
				break;
			}
		if (name && namelen < 64) {
			char nm[64];

			memcpy(nm, name, namelen);
			nm[namelen] = '\0';
			fn(nm, p, (size_t)((hdr ? hdr : end) - p), arg);
		}
		if (!hdr)
			break;
		name = hdr + 4;
		q = memchr(name, '\n', (size_t)(end - name));
		if (!q)
			break;
		namelen = (size_t)(q - name);
		if (namelen >= 4 && !memcmp(q - 4, " <==", 4))
			namelen -= 4;
		p = q + 1;
	}
}

#endif /* BB_FUZZ_H */

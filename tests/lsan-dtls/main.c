/*
 * lsan-dtls: the LeakSanitizer tracer crash of gcc 12's runtime, made on
 * purpose (tests/lsan.t; why: host-runner/engine/sanopts.c). A dlopen()ed
 * module's dynamic TLS block is placed 16 bytes into a page (the first chunk
 * of a fresh page of ASan's 32-byte size class), where the runtime's glibc
 * 2.19 heuristic reads ASan's chunk header as the block's size and start.
 * Built with -DLEAK it also loses 100 bytes on purpose: the leak check must
 * still find that with the runner's defaults.
 * Usage: lsan-dtls MODULE.so
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void *keep[100000];

int main(int argc, char **argv)
{
	void *h;
	void (*touch)(void);
	int n;

	if (argc != 2 || !(h = dlopen(argv[1], RTLD_NOW))) {
		fprintf(stderr, "lsan-dtls: %s\n", argc != 2 ? "usage: lsan-dtls MODULE.so" : dlerror());
		return 2;
	}
	touch = (void (*)(void))(uintptr_t)dlsym(h, "bb_touch");
	if (!touch)
		return 2;
	/* fill the size class until its next fresh chunk's user part is page + 16 */
	for (n = 0; n < 100000; n++) {
		keep[n] = malloc(1);
		if ((uintptr_t)keep[n] % 4096 == 4096 - 16)
			break;
	}
	touch();	/* glibc allocates this thread's block now: malloc(1) */
#ifdef LEAK
	{
		void *lost = malloc(100);
		fprintf(stderr, "lsan-dtls: lost %p\n", lost);
	}
#endif
	printf("lsan-dtls: %d allocations before the block\n", n + 1);
	return 0;
}

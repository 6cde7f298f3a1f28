/*
 * swap.c - host-swap's sweep (engine/swap.c, built in here) leaves alone
 * what is not a swap file a run made: a planted symlink or hard link named
 * like one (its target untouched), another user's file; removes ours.
 * No swap area is made: as root swapoff says EINVAL, the file is not in
 * /proc/swaps, it goes.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/swap.c"
#include "tap.h"

volatile sig_atomic_t hr_stop;

static char dir[] = "/tmp/bb-swap-test.XXXXXX";

static void put(const char *name)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "w"))) {
		fputs("not a swap area\n", f);
		fclose(f);
	}
}

static int there(const char *name)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return !lstat(p, &st);
}

int main(void)
{
	char p[256], q[256];
	int removed, left = -1, root = geteuid() == 0;
	struct stat st;

	plan(8);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	put("victim");
	snprintf(p, sizeof(p), "%s/victim", dir);
	snprintf(q, sizeof(q), "%s/bb-t-w0.swap", dir);
	ok(!symlink(p, q), "a symlink named like a run's swap file, to a regular file of ours");
	snprintf(q, sizeof(q), "%s/bb-t-w1.swap", dir);
	ok(!link(p, q), "a hard link named like one");
	put("bb-t-w2.swap");	/* ours: a regular file, one name */
	put("bb-t-w3.swap");
	snprintf(q, sizeof(q), "%s/bb-t-w3.swap", dir);
	if (root)
		(void)!chown(q, 65534, 65534);	/* another user's */
	removed = hr_swap_sweep(dir, "bb-t-", hr_now_ns() + 5000000000ull, &left);
	ok(there("bb-t-w0.swap") && there("victim") && !stat(p, &st) && st.st_size > 0,
	   "the symlink left alone, its target too");
	ok(there("bb-t-w1.swap") && there("victim"), "the hard link left alone");
	if (root) {
		ok(!there("bb-t-w2.swap") && removed == 1 && left == 0,
		   "ours removed (not a swap area that is on: not in /proc/swaps): removed %d, left %d", removed, left);
		ok(there("bb-t-w3.swap"), "another user's left alone");
	} else {
		skip("not root: swapoff says EPERM");
		skip("not root: cannot chown");
	}
	ok(hr_swap_sweep(dir, "bb-none-", hr_now_ns() + 1000000000ull, &left) == 0 && left == 0,
	   "a prefix nothing has: nothing removed");
	for (const char *const *n = (const char *const[]){ "bb-t-w0.swap", "bb-t-w1.swap", "bb-t-w2.swap",
							   "bb-t-w3.swap", "victim", NULL }; *n; n++) {
		snprintf(q, sizeof(q), "%s/%s", dir, *n);
		(void)unlink(q);
	}
	ok(!rmdir(dir), "the test's dir removed");
	return done_testing();
}

/*
 * swap.c - host-swap's sweep (engine/swap.c, built in here) leaves alone
 * what is not a swap file a run made: a planted symlink or hard link named
 * like one (its target untouched), another user's file; removes ours.
 * No swap area is made: as root swapoff says EINVAL, the file is not in
 * /proc/swaps, it goes. A guardian's note (NAME.swap.left) is said by the
 * sweep with its file and removed with it; one whose file is gone, too.
 * hr_swap_guard with nothing left to do ends at once, saying nothing.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/swap.c"
#include "tap.h"

volatile sig_atomic_t hr_stop;

static char dir[] = "/tmp/bb-swap-test.XXXXXX";

/* What the sweep said of each file (hr_swap_seen_fn): "NAME ERR NOTE;" appended. */
static char seen[2048];

static void said(const char *path, int err, const char *note, void *arg)
{
	const char *b = strrchr(path, '/');
	size_t n = strlen(seen);

	(void)arg;
	snprintf(seen + n, sizeof(seen) - n, "%s %d %s;", b ? b + 1 : path, err, note);
}

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

	plan(12);
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
	ok(!note_write(dir, "bb-t-w2.swap", "the guardian of run x gave up on it") &&
	   !note_write(dir, "bb-t-w9.swap", "the guardian of run y gave up on it"),
	   "a guardian's notes written (one on a file that is there, one on a file gone since)");
	removed = hr_swap_sweep(dir, "bb-t-", hr_now_ns() + 5000000000ull, &left, said, NULL);
	ok(there("bb-t-w0.swap") && there("victim") && !stat(p, &st) && st.st_size > 0,
	   "the symlink left alone, its target too");
	ok(there("bb-t-w1.swap") && there("victim"), "the hard link left alone");
	if (root) {
		ok(!there("bb-t-w2.swap") && removed == 1 && left == 0,
		   "ours removed (not a swap area that is on: not in /proc/swaps): removed %d, left %d", removed, left);
		ok(there("bb-t-w3.swap"), "another user's left alone");
		ok(strstr(seen, "bb-t-w2.swap 0 the guardian of run x gave up on it;") && !there("bb-t-w2.swap.left"),
		   "the removed file's note said with it, and removed (%s)", seen);
	} else {
		skip("not root: swapoff says EPERM");
		skip("not root: cannot chown");
		skip("not root: nothing removed");
	}
	ok(strstr(seen, "bb-t-w9.swap 2 the guardian of run y gave up on it;") && !there("bb-t-w9.swap.left"),
	   "a note whose file is gone: said (ENOENT), removed");
	ok(hr_swap_guard(dir, "bb-none-", hr_now_ns() + 1000000000ull, "t") == 0,
	   "the guardian's retry with nothing to do: done at once");
	ok(hr_swap_sweep(dir, "bb-none-", hr_now_ns() + 1000000000ull, &left, NULL, NULL) == 0 && left == 0,
	   "a prefix nothing has: nothing removed");
	for (const char *const *n = (const char *const[]){ "bb-t-w0.swap", "bb-t-w1.swap", "bb-t-w2.swap",
							   "bb-t-w3.swap", "victim", NULL }; *n; n++) {
		snprintf(q, sizeof(q), "%s/%s", dir, *n);
		(void)unlink(q);
	}
	ok(!rmdir(dir), "the test's dir removed");
	return done_testing();
}

/*
 * swap.c - host-swap's sweep (engine/swap.c, built in here) leaves alone
 * what is not a swap file a run made: a planted symlink or hard link named
 * like one (its target untouched), another user's file; removes ours.
 * No swap area is made: as root swapoff says EINVAL, the file is not in
 * /proc/swaps, it goes. A guardian's note (NAME.swap.left) is said by the
 * sweep with its file and removed with it; one whose file is gone, too;
 * one not of this user, or with two names, is not read; its control
 * characters are said as '?'. hr_swap_guard with nothing left to do ends
 * at once, saying nothing; over several tries it says each file left alone
 * once; its state dir gone, it gives up at once and says so; at its bound
 * (a deadline passed: no swapoff begun, root or not) it gives up on a file
 * and writes its note and the kernel log's line (a file of the test's here)
 * before its stderr line, which -q does not hide. Its backoff's last try
 * begins HR_SWAP_LAST_TRY_NS before its bound. What each step's failure
 * says (hr_swap_why, hr_swap_state) is what happened.
 */
#include <dirent.h>
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

/* What the sweep said of each file (hr_swap_seen_fn): "NAME STEP ERR NOTE;" appended. */
static char seen[4096];

static void said(const char *path, int step, int err, const char *note, void *arg)
{
	const char *b = strrchr(path, '/');
	size_t n = strlen(seen);

	(void)arg;
	snprintf(seen + n, sizeof(seen) - n, "%s %d %d %s;", b ? b + 1 : path, step, err, note);
}

static void put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "w"))) {
		fputs(text, f);
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

/* The whole of @dir's @name into @buf ("" none). */
static char *slurp(const char *name, char *buf, size_t size)
{
	char p[256];
	FILE *f;
	size_t n = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "r"))) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* stderr into @dir/err while on (from empty); back to the test's at off */
static int saved_err = -1;

static void capture(int on)
{
	char p[256];

	fflush(stderr);
	if (on) {
		snprintf(p, sizeof(p), "%s/err", dir);
		saved_err = dup(2);
		if (!freopen(p, "w", stderr))
			abort();
	} else {
		dup2(saved_err, 2);
		close(saved_err);
	}
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* At each log line's writing (hr_log_set_around): whether the give-up's note and kernel log line were there. */
static int around_both;

static void around(int before)
{
	char buf[2048];

	if (before)
		around_both = there("bb-g-w0.swap.left") && strstr(slurp("kmsg", buf, sizeof(buf)), "bb-g-w0.swap");
}

int main(void)
{
	char p[256], q[256], buf[8192], why[512], kmsg[256];
	int removed, left = -1, root = geteuid() == 0, tries;
	struct alien_said once = { 0 };
	struct stat st;
	uint64_t t0, w, t, last;
	DIR *d;
	struct dirent *e;

	plan(23);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(kmsg, sizeof(kmsg), "%s/kmsg", dir);
	kmsg_path = kmsg;	/* the kernel log's lines: into the test's file, not the host's log */
	put("victim", "not a swap area\n");
	snprintf(p, sizeof(p), "%s/victim", dir);
	snprintf(q, sizeof(q), "%s/bb-t-w0.swap", dir);
	ok(!symlink(p, q), "a symlink named like a run's swap file, to a regular file of ours");
	snprintf(q, sizeof(q), "%s/bb-t-w1.swap", dir);
	ok(!link(p, q), "a hard link named like one");
	put("bb-t-w2.swap", "not a swap area\n");	/* ours: a regular file, one name */
	put("bb-t-w3.swap", "not a swap area\n");
	snprintf(q, sizeof(q), "%s/bb-t-w3.swap", dir);
	if (root)
		(void)!chown(q, 65534, 65534);	/* another user's */
	ok(!note_write(dir, "bb-t-w2.swap", "the guardian of run x gave up on it") &&
	   !note_write(dir, "bb-t-w9.swap", "the guardian of run y gave up on it"),
	   "a guardian's notes written (one on a file that is there, one on a file gone since)");
	/* notes on files gone: control characters; a hard link's; (root) another user's */
	put("bb-t-w5.swap.left", "the guardian \033[2J of run z\a gave up\n");
	put("bb-t-w6.swap.left", "a note with two names\n");
	snprintf(p, sizeof(p), "%s/bb-t-w6.swap.left", dir);
	snprintf(q, sizeof(q), "%s/other-name", dir);
	(void)!link(p, q);
	put("bb-t-w7.swap.left", "another user's note\n");
	snprintf(p, sizeof(p), "%s/bb-t-w7.swap.left", dir);
	if (root)
		(void)!chown(p, 65534, 65534);
	removed = hr_swap_sweep(dir, "bb-t-", hr_now_ns() + 5000000000ull, &left, said, NULL);
	snprintf(p, sizeof(p), "%s/victim", dir);
	ok(there("bb-t-w0.swap") && there("victim") && !stat(p, &st) && st.st_size > 0,
	   "the symlink left alone, its target too");
	ok(there("bb-t-w1.swap") && there("victim"), "the hard link left alone");
	if (root) {
		ok(!there("bb-t-w2.swap") && removed == 1 && left == 0,
		   "ours removed (not a swap area that is on: not in /proc/swaps): removed %d, left %d", removed, left);
		ok(there("bb-t-w3.swap"), "another user's left alone");
		ok(strstr(seen, "bb-t-w2.swap 1 0 the guardian of run x gave up on it;") && !there("bb-t-w2.swap.left"),
		   "the removed file's note said with it, and removed (%s)", seen);
		ok(strstr(seen, "bb-t-w7.swap 0 2 ;") != NULL, "another user's note not read");
	} else {
		skip("not root: swapoff says EPERM");
		skip("not root: cannot chown");
		skip("not root: nothing removed");
		skip("not root: cannot chown");
	}
	ok(strstr(seen, "bb-t-w9.swap 0 2 the guardian of run y gave up on it;") && !there("bb-t-w9.swap.left"),
	   "a note whose file is gone: said (ENOENT), removed");
	ok(strstr(seen, "bb-t-w5.swap 0 2 the guardian ?[2J of run z? gave up;") != NULL,
	   "a note's control characters said as '?'");
	ok(strstr(seen, "bb-t-w6.swap 0 2 ;") != NULL, "a note with two names not read");
	ok(hr_swap_guard(dir, "bb-none-", hr_now_ns() + 1000000000ull, "t") == 0,
	   "the guardian's retry with nothing to do: done at once");
	ok(hr_swap_sweep(dir, "bb-none-", hr_now_ns() + 1000000000ull, &left, NULL, NULL) == 0 && left == 0,
	   "a prefix nothing has: nothing removed");

	/* E: a guardian's tries say each file left alone once */
	capture(1);
	(void)sweep(dir, "bb-t-", hr_now_ns() + 5000000000ull, NULL, NULL, NULL, &once);
	(void)sweep(dir, "bb-t-", hr_now_ns() + 5000000000ull, NULL, NULL, NULL, &once);
	capture(0);
	slurp("err", buf, sizeof(buf));
	ok(count(buf, "bb-t-w0.swap is not a swap file") == 1 && count(buf, "bb-t-w1.swap is not a swap file") == 1,
	   "two sweeps of one guardian: each file left alone said once (%d, %d)",
	   count(buf, "bb-t-w0.swap is not"), count(buf, "bb-t-w1.swap is not"));

	/* B: the state dir gone */
	snprintf(p, sizeof(p), "%s/gone", dir);
	left = -1;
	ok(hr_swap_sweep(p, "bb-t-", hr_now_ns() + 1000000000ull, &left, NULL, NULL) == -ENOENT && left == 0,
	   "a sweep of a dir that is not there: -ENOENT, nothing left");
	hr_verbosity = HR_ERR;	/* -q */
	capture(1);
	t0 = hr_now_ns();
	tries = hr_swap_guard(p, "bb-t-", hr_now_ns() + 5000000000ull, "t");
	t = hr_now_ns() - t0;
	capture(0);
	slurp("err", buf, sizeof(buf));
	ok(tries == -1 && t < 1000000000ull && strstr(buf, "cannot read its state dir") &&
	   strstr(buf, "guardian of run t: gave up on its swap files after 1 try") && !strstr(buf, "removed at try"),
	   "the guardian of a state dir gone: gives up at once (%.2f s), says so under -q too", (double)t / 1e9);

	/* F, G: the give-up: its bound passed (no swapoff begun), its note and kernel log line before stderr's */
	put("bb-g-w0.swap", "not a swap area\n");
	put("kmsg", "");
	hr_log_set_around(around);
	capture(1);
	tries = hr_swap_guard(dir, "bb-g-", hr_now_ns(), "t");
	capture(0);
	hr_log_set_around(NULL);
	slurp("err", buf, sizeof(buf));
	ok(tries == -1 && strstr(buf, "warning: guardian of run t: gave up on ") &&
	   strstr(buf, "bb-g-w0.swap after 1 try") && strstr(buf, "it stays on, a swap area of the whole host"),
	   "the guardian at its bound gives up, says so on stderr under -q too");
	ok(strstr(slurp("bb-g-w0.swap.left", buf, sizeof(buf)), "the guardian of run t gave up on it at ") &&
	   strstr(buf, "(swapoff: not done by its deadline") &&
	   strstr(slurp("kmsg", buf, sizeof(buf)), "guardian of run t: cannot swap off ") && there("bb-g-w0.swap"),
	   "its note and its kernel log line written, the file left");
	ok(around_both, "both written before its stderr line");
	hr_verbosity = HR_INFO;

	/* J: the backoff's last try begins HR_SWAP_LAST_TRY_NS before the bound, none wasted */
	t = 0;
	last = 0;
	tries = 1;
	for (uint64_t delay = HR_SWAP_RETRY_FIRST_NS; next_wait(t, 25000000000ull, delay, &w) && tries < 100; tries++) {
		t += w;
		last = t;
		delay = delay * 2 < HR_SWAP_RETRY_MAX_NS ? delay * 2 : HR_SWAP_RETRY_MAX_NS;
	}
	ok(last == 25000000000ull - HR_SWAP_LAST_TRY_NS && tries == 11,
	   "instant failures over 25 s: %d tries, the last at %.2f s", tries, (double)last / 1e9);

	/* D: what each step's failure says */
	ok(!strcmp(hr_swap_why(HR_SWAP_OFF, ENOMEM, why, sizeof(why)), "swapoff: Cannot allocate memory") &&
	   !strcmp(hr_swap_state(HR_SWAP_OFF, ENOMEM), "still on") &&
	   strstr(hr_swap_why(HR_SWAP_UNLINK, ESTALE, why, sizeof(why)), "names another file") &&
	   !strstr(hr_swap_state(HR_SWAP_UNLINK, ESTALE), "still on") &&
	   strstr(hr_swap_why(HR_SWAP_UNLINK, EROFS, why, sizeof(why)), "swapped off, but cannot unlink") &&
	   strstr(hr_swap_state(HR_SWAP_UNLINK, EROFS), "off") &&
	   strstr(hr_swap_why(HR_SWAP_OPEN, EACCES, why, sizeof(why)), "cannot open it") &&
	   strstr(hr_swap_state(HR_SWAP_OPEN, EACCES), "not swapped off") &&
	   strstr(hr_swap_state(HR_SWAP_OFF, EIDRM), "reboot"),
	   "each step's failure says what happened, and the state it leaves");

	if ((d = opendir(dir))) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				(void)unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	ok(!rmdir(dir), "the test's dir removed");
	return done_testing();
}

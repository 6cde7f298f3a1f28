// SPDX-License-Identifier: MIT
/*
 * conn.c - the libvirt connection (the embedded QEMU driver by default), the
 * thread that runs libvirt's event loop, and what that thread does: read the
 * agent's bytes, split and decode lines, and queue them, with the domain's
 * lifecycle events, in the guest's channel (struct hr_chan). It never
 * sleeps, sends or writes a file: a slow disk or a full channel cannot stall
 * another guest's stream.
 *
 * Domains started through qemu:///embed outlive this process (libvirt 9.0
 * refuses AUTODESTROY there), so every domain we start carries a <metadata>
 * element naming this process, is destroyed by its controller on every path,
 * and a later run reaps the domains a killed run left behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "core/log.h"
#include "core/paths.h"
#include "core/readfile.h"
#include "engine.h"
#include "fleet.h"
#include "run.h"

static atomic_int ev_stop;

const char *hr_lv_err(void)
{
	const char *m = virGetLastErrorMessage();

	return m && *m ? m : "unknown libvirt error";
}

int hr_lv_qmp_refused(int code)
{
	return code == VIR_ERR_NO_SUPPORT || code == VIR_ERR_OPERATION_UNSUPPORTED ||
	       code == VIR_ERR_OPERATION_DENIED || code == VIR_ERR_ARGUMENT_UNSUPPORTED;
}

static void quiet_errors(void *opaque, virErrorPtr err)
{
	(void)opaque;
	if (hr_verbosity >= HR_DEBUG && err && err->message)
		hr_debug("libvirt: %s", err->message);
}

/* When the event thread last came back from libvirt's loop (hr_now_ns); 0: not running. */
static _Atomic uint64_t ev_turned;

/* A timer that only makes virEventRunDefaultImpl return. */
static void wake_event_loop(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

/* Once a second: a turn, and the runner's cost sampled (runcost.c). */
static void each_second(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
	hr_cost_tick();
}

static void *event_loop(void *arg)
{
	/* a turn at least every second, so that a stuck loop can be told from an idle one */
	int tick = virEventAddTimeout(1000, each_second, NULL, NULL);

	(void)arg;
	atomic_store(&ev_turned, hr_now_ns());
	while (!atomic_load(&ev_stop)) {
		if (virEventRunDefaultImpl() < 0)
			break;
		atomic_store(&ev_turned, hr_now_ns());
	}
	if (tick >= 0)
		virEventRemoveTimeout(tick);
	atomic_store(&ev_turned, 0);
	return NULL;
}

const char *hr_conn_event_thread_note(void)
{
	static _Thread_local char note[96];
	uint64_t t = atomic_load(&ev_turned);

	if (!t)
		snprintf(note, sizeof(note), "the runner's event thread is not running");
	else
		snprintf(note, sizeof(note), "the runner's event thread last turned %.1f s ago",
			 (double)(hr_now_ns() - t) / 1e9);
	return note;
}

/* ---- the channel: the event thread's half ---- */

struct hr_chan *hr_chan_new(const char *name)
{
	struct hr_chan *c = calloc(1, sizeof(*c));

	if (!c || hr_queue_init(&c->q)) {
		free(c);
		hr_error("%s: out of memory", name);
		return NULL;
	}
	bbp_reader_init(&c->rd);
	atomic_init(&c->refs, 1);
	atomic_init(&c->st_ref, 0);
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

/*
 * The channel passes between threads through libvirt's registration and its
 * event loop, whose locking is libvirt's own. Make the hand-over ours and
 * explicit: a callback begins by acquiring the reference count (which the
 * registering thread raised after setting the channel up) and ends by
 * releasing it, so the last unref sees everything a callback did.
 */
struct hr_chan *hr_chan_enter(void *opaque)
{
	struct hr_chan *c = opaque;

	(void)atomic_load_explicit(&c->refs, memory_order_acquire);
	return c;
}

void hr_chan_leave(struct hr_chan *c)
{
	(void)atomic_fetch_add_explicit(&c->refs, 0, memory_order_release);
}

static void free_in(struct hr_qnode *n)
{
	free(n);
}

void hr_chan_unref(void *chan)
{
	struct hr_chan *c = chan;

	if (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1) {
		hr_queue_destroy(&c->q, free_in);
		free(c);
	}
}

static void queue_item(struct hr_chan *c, enum hr_in_kind kind, const struct bbp_msg *m,
		       const char *text)
{
	struct hr_in *in = malloc(sizeof(*in));

	if (!in)
		return;		/* the controller sees a sequence gap or a missing reply */
	in->kind = kind;
	in->t_recv = hr_now_ns();
	if (m)
		in->u.m = *m;
	else
		snprintf(in->u.text, sizeof(in->u.text), "%s", text ? text : "");
	hr_queue_push(&c->q, &in->node);
}

static void on_line(const char *line, size_t len, void *opaque)
{
	struct hr_chan *c = opaque;
	struct bbp_msg m;
	char err[160];

	if (bbp_decode(line, len, &m, err, sizeof(err)))
		queue_item(c, HR_IN_BAD, NULL, err);
	else
		queue_item(c, HR_IN_MSG, &m, NULL);
}

static void stream_cb(virStreamPtr st, int events, void *opaque)
{
	struct hr_chan *c = hr_chan_enter(opaque);
	char buf[16384];

	(void)events;
	for (;;) {
		int n = virStreamRecv(st, buf, sizeof(buf));

		if (n == -2)
			break;		/* nothing more for now */
		if (n > 0) {
			bbp_reader_feed(&c->rd, buf, (size_t)n, on_line, c);
			continue;
		}
		queue_item(c, HR_IN_HANGUP, NULL, n < 0 ? hr_lv_err() : "end of stream");
		hr_chan_leave(c);
		(void)virStreamEventRemoveCallback(st);
		return;
	}
	hr_chan_leave(c);
}

/* libvirt's free function for the stream callback: its reference, released once. */
static void stream_free(void *opaque)
{
	struct hr_chan *c = opaque;

	if (atomic_exchange(&c->st_ref, 0))
		hr_chan_unref(c);
}

static void stream_release_later(int timer, void *opaque)
{
	struct hr_chan *c = opaque;

	virEventRemoveTimeout(timer);
	stream_free(c);		/* if libvirt has not */
	hr_chan_unref(c);	/* the timer's own */
}

/*
 * libvirt's remote driver (9.0, before an upstream fix of 2025 in
 * remoteStreamCallbackFree) never calls a stream callback's free function,
 * so on a daemon connection the stream's reference to the channel would
 * leak. Once the callback is removed, release it from the event thread: by
 * the time a timer runs there, no dispatch of the stream is in progress, and
 * a libvirt that does call the free function has done so (stream_free runs
 * once either way).
 */
void hr_chan_stream_removed(struct hr_chan *c)
{
	if (!c || !atomic_load(&c->st_ref))
		return;
	atomic_fetch_add(&c->refs, 1);
	if (virEventAddTimeout(0, stream_release_later, c, NULL) < 0)
		hr_chan_unref(c);	/* then it leaks rather than risk a use after free */
}

static void lifecycle_cb(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	static const char *const stopped[] = {
		"shut down", "destroyed", "crashed", "migrated", "saved", "failed", "snapshot",
	};

	struct hr_chan *c = hr_chan_enter(opaque);

	(void)conn;
	(void)dom;
	if (event == VIR_DOMAIN_EVENT_STOPPED || event == VIR_DOMAIN_EVENT_CRASHED)
		queue_item(c, HR_IN_DEAD, NULL, event == VIR_DOMAIN_EVENT_CRASHED ? "crashed" :
			   detail >= 0 && detail < 7 ? stopped[detail] : "stopped");
	hr_chan_leave(c);
}

int hr_chan_attach(struct hr_run *run, virDomainPtr dom, virStreamPtr st, struct hr_chan *c,
		   int *lifecycle_id)
{
	atomic_fetch_add(&c->refs, 1);
	(void)run;
	*lifecycle_id = virConnectDomainEventRegisterAny(virDomainGetConnect(dom), dom,
		VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb), c, hr_chan_unref);
	if (*lifecycle_id < 0) {
		hr_chan_unref(c);
		return hr_error("%s: cannot watch the domain's lifecycle events: %s", c->name,
				hr_lv_err());
	}
	return hr_chan_open_stream(dom, st, c);
}

int hr_chan_open_stream(virDomainPtr dom, virStreamPtr st, struct hr_chan *c)
{
	if (virDomainOpenChannel(dom, BBP_PORT_NAME, st, VIR_DOMAIN_CHANNEL_FORCE))
		return hr_error("%s: cannot open the agent channel: %s", c->name, hr_lv_err());
	atomic_fetch_add(&c->refs, 1);
	atomic_store(&c->st_ref, 1);
	if (virStreamEventAddCallback(st, VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
				      VIR_STREAM_EVENT_HANGUP, stream_cb, c, stream_free)) {
		atomic_store(&c->st_ref, 0);
		hr_chan_unref(c);
		return hr_error("%s: cannot watch the agent channel: %s", c->name, hr_lv_err());
	}
	return 0;
}

/* ---- the connection ---- */

/* The embedded driver's private config: no virtlogd, no separate user. */
static int write_embed_conf(const char *root)
{
	static const char conf[] =
		"# written by balloonbench for its embedded libvirt QEMU driver\n"
		"stdio_handler = \"file\"\n"
		"user = \"root\"\n"
		"group = \"root\"\n"
		"security_driver = \"none\"\n"
		"remember_owner = 0\n"
		"namespaces = [ ]\n";
	char path[PATH_MAX + 32];
	FILE *f;
	int r;

	if (snprintf(path, sizeof(path), "%s/etc", root) >= (int)sizeof(path))
		return hr_error("state dir %s: path too long", root);
	r = hr_dirs_make(path);
	if (r)
		return hr_error("cannot create %s: %s", path, strerror(-r));
	snprintf(path, sizeof(path), "%s/etc/qemu.conf", root);
	f = fopen(path, "we");
	if (!f)
		return hr_error("cannot write %s: %s", path, strerror(errno));
	if (fputs(conf, f) == EOF) {
		r = errno;
		fclose(f);
		return hr_error("cannot write %s: %s", path, strerror(r));
	}
	if (fclose(f))
		return hr_error("cannot write %s: %s", path, strerror(errno));
	return 0;
}

/*
 * One process per embedded root: say who holds it, not libvirt's guess.
 * The guardian (guardian.c), forked after this, holds the lock too, so a
 * killed runner's lock lasts until its guardian's cleanup is done: a lock
 * whose runner is dead is waited for (its guardian's work has deadlines).
 */
int hr_lock_state_dir(struct hr_run *run)
{
	char lockpath[PATH_MAX + 8], pid[32] = "?";
	uint64_t deadline = hr_now_ns() + HR_GUARDIAN_WAIT_S * 1000000000ull;
	int said = 0, r;

	if (run->lock_fd >= 0)
		return 0;
	if ((r = hr_dirs_make(run->state_dir)))
		return hr_error("cannot create %s: %s", run->state_dir, strerror(-r));
	snprintf(lockpath, sizeof(lockpath), "%s/lock", run->state_dir);
	run->lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (run->lock_fd < 0)
		return hr_error("cannot open %s: %s", lockpath, strerror(errno));
	while (flock(run->lock_fd, LOCK_EX | LOCK_NB)) {
		ssize_t n = pread(run->lock_fd, pid, sizeof(pid) - 1, 0);
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		long p;

		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		p = strtol(pid, NULL, 10);
		/* its runner gone: its guardian still at work, for a while at most */
		if (p > 1 && kill((pid_t)p, 0) && errno == ESRCH && !hr_stop && hr_now_ns() < deadline) {
			if (!said++)
				hr_info("state dir %s: waiting for the guardian of an earlier run (pid %s, ended) to "
					"finish its cleanup (%d s at most)", run->state_dir, pid, HR_GUARDIAN_WAIT_S);
			nanosleep(&ts, NULL);
			continue;
		}
		close(run->lock_fd);
		run->lock_fd = -1;
		if (p > 1 && kill((pid_t)p, 0) && errno == ESRCH)
			return hr_error("state dir %s is still held by the guardian of an earlier run (pid %s); "
					"wait for it or use --state-dir", run->state_dir, pid);
		return hr_error("state dir %s is in use by another balloonbench run (pid %s); wait for it or use --state-dir",
				run->state_dir, pid);
	}
	if (said)
		hr_info("state dir %s: the earlier run's guardian is done (waited %.1f s)", run->state_dir,
			(double)(hr_now_ns() + HR_GUARDIAN_WAIT_S * 1000000000ull - deadline) / 1e9);
	if (ftruncate(run->lock_fd, 0) == 0)
		(void)dprintf(run->lock_fd, "%d\n", (int)getpid());
	return 0;
}

/* The embedded driver for @h, in the state dir (one host of a run at most). */
static int embed_uri(struct hr_run *run, struct hr_host *h)
{
	char root[PATH_MAX];

	if (snprintf(root, sizeof(root), "%s/embed", run->state_dir) >= (int)sizeof(root))
		return hr_error("state dir %s: path too long", run->state_dir);
	if (write_embed_conf(root))
		return -1;
	snprintf(h->uri, sizeof(h->uri), "qemu:///embed?root=%s", root);
	h->embedded = 1;
	return hr_lock_state_dir(run);
}

static void embed_leftovers(struct hr_host *h);

/* Connect to @h; a host that does not answer is skipped, with the reason. */
static void open_host(struct hr_host *h)
{
	h->local = !hr_uri_is_remote(h->uri);
	if (hr_uri_is_embedded(h->uri))
		h->embedded = 1;	/* given by URI: reads our disk, no AUTODESTROY */
	if (h->embedded)
		embed_leftovers(h);
	h->conn = virConnectOpen(h->uri);
	if (!h->conn) {
		const char *m = hr_lv_err();
		char why[sizeof(h->skip)];

		snprintf(why, sizeof(why), "unreachable: cannot connect to '%.200s': %.200s%s",
			 h->uri, m, strstr(m, "libvirt-qemu") ?
			 " (run 'make deps' to create the libvirt-qemu user)" : "");
		memcpy(h->skip, why, sizeof(why));
		h->dead = 1;
		return;
	}
	(void)virConnectSetKeepAlive(h->conn, 5, 3);
	if (!h->embedded)
		hr_host_watch(h);
}

int hr_conn_open(struct hr_run *run)
{
	static int registered;
	struct hr_fleet *f = run->fleet;
	int r, live = -1;

	r = hr_dirs_make(run->state_dir);
	if (r)
		return hr_error("cannot create state dir %s: %s", run->state_dir, strerror(-r));
	if (!registered) {
		char logs[PATH_MAX + 64];

		/* libvirt's own log (the embedded driver's warnings) goes to a file. */
		snprintf(logs, sizeof(logs), "3:file:%s/libvirt.log", run->state_dir);
		if (hr_verbosity < HR_DEBUG)
			setenv("LIBVIRT_LOG_OUTPUTS", logs, 0);
		virSetErrorFunc(NULL, quiet_errors);
		if (virEventRegisterDefaultImpl() < 0)
			return hr_error("cannot start libvirt's event loop: %s", hr_lv_err());
		registered = 1;
	}
	for (int i = 0; i < f->n; i++)
		if (!f->h[i].uri[0] && embed_uri(run, &f->h[i]))
			return -1;
	atomic_store(&ev_stop, 0);
	if (pthread_create(&run->ev_thread, NULL, event_loop, NULL))
		return hr_error("cannot start the event thread");
	run->ev_running = 1;
	for (int i = 0; i < f->n; i++) {
		open_host(&f->h[i]);
		if (f->h[i].skip[0] && f->n > 1)
			hr_warn("host %s: %s", f->h[i].name, f->h[i].skip);
		else if (live < 0 && !f->h[i].skip[0])
			live = i;
	}
	if (live < 0)
		return hr_error("%s%s", f->n > 1 ? "no host reachable; the first: " : "",
				f->n > 1 ? f->h[0].skip : f->h[0].skip + strlen("unreachable: "));
	run->conn = f->h[live].conn;
	memcpy(run->uri, f->h[live].uri, sizeof(run->uri));	/* same size, both terminated */
	return 0;
}

/*
 * The cgroups that libvirt left of @h's domains named @dom* (the embedded
 * driver's only), a domain's QEMU given until @wait_ns from now to leave
 * them. Says what it removed (as @whose) and what it could not.
 */
static void reap_cgroups(const struct hr_host *h, const char *dom, uint64_t wait_ns,
			 const char *whose)
{
	char root[PATH_MAX], prefix[32];
	int n, left = 0, err = 0;

	if (!h->embedded || hr_embed_root(h->uri, root, sizeof(root)) ||
	    hr_cgroup_prefix(root, prefix, sizeof(prefix)))
		return;
	n = hr_cgroup_remove(prefix, dom, hr_now_ns() + wait_ns, &left, &err);
	if (n)
		hr_info("removed %d cgroup director%s libvirt left of %s", n, n > 1 ? "ies" : "y",
			whose);
	if (left)
		hr_warn("cannot remove %d cgroup director%s of %s (machine/%s*-%s* of a hierarchy): %s",
			left, left > 1 ? "ies" : "y", whose, prefix, dom, strerror(err));
}

void hr_conn_close(struct hr_run *run)
{
	char dom[16];

	for (int i = 0; run->fleet && i < run->fleet->n; i++)
		hr_host_close(&run->fleet->h[i]);
	/* every domain of the run is gone: libvirt removed their cgroups, or they go now */
	snprintf(dom, sizeof(dom), "bb-%.4s-", run->id + strlen(run->id) - 4);
	for (int i = 0; run->fleet && run->nguests && i < run->fleet->n; i++)
		reap_cgroups(&run->fleet->h[i], dom, 2000000000ull, "this run's domains");
	run->conn = NULL;
	if (run->ev_running) {
		int t;

		atomic_store(&ev_stop, 1);
		/* A timer that fires at once makes virEventRunDefaultImpl return. */
		t = virEventAddTimeout(0, wake_event_loop, NULL, NULL);
		pthread_join(run->ev_thread, NULL);
		if (t >= 0)
			virEventRemoveTimeout(t);
		run->ev_running = 0;
	}
	if (run->lock_fd >= 0) {
		close(run->lock_fd);
		run->lock_fd = -1;
	}
}

/* ---- leftovers of a killed run ---- */

void hr_boot_id(char *buf, size_t size)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	if (!f || !fgets(buf, (int)size, f))
		snprintf(buf, size, "unknown");
	buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

static int attr(const char *xml, const char *name, char *out, size_t size)
{
	char key[64];
	const char *p, *e;

	snprintf(key, sizeof(key), " %s=\"", name);
	p = strstr(xml, key);
	if (!p) {
		snprintf(key, sizeof(key), " %s='", name);
		if (!(p = strstr(xml, key)))
			return -1;
	}
	p += strlen(key);
	e = strpbrk(p, "\"'");
	if (!e || (size_t)(e - p) >= size)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/* Is the process that started a domain gone? Only judged on the same host. */
static int owner_gone(const char *meta)
{
	char host[256], pid[32], bid[64], mybid[64], myhost[256], path[64], comm[64] = "";
	FILE *f;

	if (attr(meta, "host", host, sizeof(host)) || attr(meta, "pid", pid, sizeof(pid)) ||
	    attr(meta, "boot_id", bid, sizeof(bid)))
		return 0;
	if (gethostname(myhost, sizeof(myhost)) || strcmp(host, myhost))
		return 0;
	hr_boot_id(mybid, sizeof(mybid));
	if (strcmp(bid, mybid))
		return 1;
	snprintf(path, sizeof(path), "/proc/%.20s/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 1;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "balloonbench", 12) != 0 || atoi(pid) == (int)getpid();
}

/*
 * The embedded driver's status files (ROOT/run/qemu/NAME.xml, one a running
 * domain) whose run was killed, into h->left, before the driver's reconnect
 * reads and maybe drops them.
 */
static void embed_leftovers(struct hr_host *h)
{
	char root[PATH_MAX], dir[PATH_MAX + 16];
	struct dirent *e;
	size_t len = 0;
	DIR *d;

	if (hr_embed_root(h->uri, root, sizeof(root)) ||
	    snprintf(dir, sizeof(dir), "%s/run/qemu", root) >= (int)sizeof(dir) || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX + 300], rid[64], *xml = NULL, *meta, *n;
		size_t nl = strlen(e->d_name), xl;

		if (nl < 5 || strcmp(e->d_name + nl - 4, ".xml") || strncmp(e->d_name, "bb-", 3) ||
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
		    hr_read_file(path, "libvirt status file", 1 << 20, 1, &xml, &xl, NULL, 0))
			continue;
		meta = strstr(xml, HR_META_NS);
		if (meta && owner_gone(meta) && !attr(meta, "run", rid, sizeof(rid)) &&
		    (n = realloc(h->left, len + nl + strlen(rid) + 2))) {
			len += (size_t)sprintf(n + len, "%.*s %s\n", (int)(nl - 4), e->d_name, rid);
			h->left = n;
		}
		free(xml);
	}
	closedir(d);
}

/* Destroy @dom (@name; NULL: gone already) of killed run @rid, and say so. */
static void reap_one(virDomainPtr dom, const char *name, const char *rid)
{
	char why[512];
	int code;

	if (!dom || virDomainIsActive(dom) != 1) {
		/* The embedded driver's reconnect may stop it first ("daemon"). */
		hr_warn("reaped domain %s left running by killed run %s (libvirt stopped it on reconnect)",
			name, rid);
		return;
	}
	if (virDomainDestroy(dom) == 0) {
		hr_warn("reaped domain %s left running by killed run %s", name, rid);
		return;
	}
	code = virGetLastErrorCode();	/* libvirt's reason first: the next call resets it */
	snprintf(why, sizeof(why), "%s", hr_lv_err());
	if (code == VIR_ERR_NO_DOMAIN)
		hr_warn("reaped domain %s left running by killed run %s (libvirt stopped it on reconnect)",
			name, rid);
	else
		hr_warn("cannot reap domain %s left by killed run %s: %s", name, rid, why);
}

/*
 * Destroy @h's domains whose run was killed: first those its status files
 * named before connecting (h->left: the reconnect may have dropped them
 * already), then any other the listing shows. Returns how many.
 */
static int reap_host(struct hr_host *h)
{
	virDomainPtr *doms = NULL;
	int n, reaped = 0;

	for (char *l = h->left, *nl; l && (nl = strchr(l, '\n')); l = nl + 1) {
		char name[256], rid[64];
		virDomainPtr dom;

		if (sscanf(l, "%255s %63s", name, rid) != 2)
			break;
		dom = virDomainLookupByName(h->conn, name);
		reap_one(dom, name, rid);
		reaped++;
		if (dom)
			virDomainFree(dom);
	}
	free(h->left);
	h->left = NULL;
	n = virConnectListAllDomains(h->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (n < 0) {
		hr_warn("cannot list domains to reap leftovers: %s", hr_lv_err());
		return reaped;
	}
	for (int i = 0; i < n; i++) {
		char *meta = virDomainGetMetadata(doms[i], VIR_DOMAIN_METADATA_ELEMENT, HR_META_NS,
						  VIR_DOMAIN_AFFECT_LIVE);

		if (meta && owner_gone(meta)) {
			char rid[64] = "?";

			(void)attr(meta, "run", rid, sizeof(rid));
			reap_one(doms[i], virDomainGetName(doms[i]), rid);
			reaped++;
		}
		free(meta);
		virDomainFree(doms[i]);
	}
	free(doms);
	return reaped;
}

/*
 * Each host's leftovers, then its facts: asked first, the facts gave the
 * embedded driver's reconnect time to drop a leftover whose QEMU had died
 * before the reaper could see (and say) it. Then the cgroups of the state
 * dir's domains that libvirt left (a killed run's: the reconnect and the
 * destroy above leave them), QEMUs just destroyed given 5 s to leave theirs.
 */
int hr_reap_leftovers(struct hr_run *run)
{
	for (int i = 0; i < run->fleet->n; i++) {
		struct hr_host *h = &run->fleet->h[i];
		int reaped;

		if (!h->conn)
			continue;
		reaped = reap_host(h);
		h->facts = hr_host_facts(h->conn, h->uri);
		reap_cgroups(h, "bb-", reaped ? 5000000000ull : 0, "earlier runs' domains");
	}
	return 0;
}

/*
 * tree.c - tree mode (tree.h).
 *
 * The root's plan: every target has a group of gateways (--gateways is one
 * group; a --topology file gives each [routes] line's left side as the group
 * of the hosts on its right) and is given to one of them, the shares as even
 * as can be.  A round runs every gateway that has a share through the pool,
 * as hosts whose command is `PATH --gateway-serve %i` (--template gives each
 * its index) and whose stdin is the job: the options that matter, every
 * share marked with its gateway's index, stdin for -I.  A gateway's stdout is
 * its events (event.c); its stderr, its messages, said under its name.
 *
 * When a gateway ends, its targets that have no result settle: one whose
 * command started ends `lost` (it is never run twice); one that did not goes
 * to the next round, to another gateway of its group that served its share
 * to the end, or, when there is none, fails with the gateway's reason
 * ("via gw1: ...").  A cancel ends them `cancelled`.
 *
 * The targets on the planner's own topology line (the root's, or on a
 * gateway with gateways below it, the lines that name it on their left) are
 * the planner's: a flat pool of their own runs them beside each batch's first
 * round (direct_start).  So a gateway with hosts at two depths below it is
 * one share over one session, and its shoal runs both.
 *
 * The job is records "TAG LENGTH\n" and LENGTH bytes; fields split by NUL.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cancel.h"
#include "conffile.h"
#include "event.h"
#include "log.h"
#include "output.h"
#include "password.h"
#include "transfer.h"
#include "tree.h"
#include "wait.h"
#include "xmalloc.h"

#define JOB_PROTO 1
/* A job record longer than this is not a job (stdin for -I is one record). */
#define RECORD_MAX (1024UL * 1024 * 1024)

/* ---- the gateway's side ---- */

/* A gateway below which more gateways are: its own name in the topology. */
static char *serve_self;

bool
tree_serve_wanted(int argc, char **argv)
{
	return argc >= 3 && strcmp(argv[1], "--gateway-serve") == 0;
}

/* One record from fp: its tag and payload (NUL-terminated); -1 at a bad one. */
static int
record_read(FILE *fp, char *tag, size_t taglen, struct buf *payload)
{
	char line[64];
	unsigned long len;
	char *end;

	if (fgets(line, sizeof line, fp) == NULL || strchr(line, '\n') == NULL)
		return -1;
	end = strchr(line, ' ');
	if (end == NULL || (size_t)(end - line) >= taglen)
		return -1;
	memcpy(tag, line, (size_t)(end - line));
	tag[end - line] = '\0';
	errno = 0;
	len = strtoul(end + 1, &end, 10);
	if (*end != '\n' || errno != 0 || len > RECORD_MAX)
		return -1;
	buf_reset(payload);
	buf_reserve(payload, len + 1);
	if (len > 0 && fread(payload->p, 1, len, fp) != len)
		return -1;
	payload->len = len;
	payload->p[len] = '\0';
	return 0;
}

/* A staged directory's mode and times, set after its files (it may not be writable). */
struct stage_dir {
	char *path;
	mode_t mode;
	time_t mtime;
};

/* The private directory (0700) of what the job stages, made once; removed at the end. */
static int
stage_make(struct tree_job *job)
{
	const char *tmp = getenv("TMPDIR");

	if (job->stage != NULL)
		return 0;
	job->stage = xasprintf("%s/shoal-gateway.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(job->stage) == NULL) {
		log_msg(LOG_QUIET, "--gateway-serve: cannot make %s: %s", job->stage,
		        strerror(errno));
		free(job->stage);
		job->stage = NULL;
		return -1;
	}
	return 0;
}

/*
 * One staged file or directory: fields "path", "mode", "mtime", then (a
 * file) its bytes.  Under the private directory made at the first one.
 */
static int
stage_one(struct tree_job *job, bool is_dir, char *p, size_t n)
{
	char *f[3], *path = NULL, *end = p + n, *data;
	struct timespec ts[2];
	mode_t mode;
	size_t k;
	int fd = -1, rc = -1;

	for (k = 0; k < 3; k++) {
		f[k] = p;
		p = memchr(p, '\0', (size_t)(end - p));
		if (p == NULL)
			return -1;
		p++;
	}
	data = p;
	if (!transfer_rel_ok(f[0]) || stage_make(job) < 0)
		return -1;
	mode = (mode_t)strtoul(f[1], NULL, 8) & 07777;
	ts[0].tv_sec = ts[1].tv_sec = (time_t)strtoll(f[2], NULL, 10);
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	path = xasprintf("%s/%s", job->stage, f[0]);
	if (is_dir) {
		if (mkdir(path, 0700) < 0)
			goto out;
		job->dirs = xreallocarray(job->dirs, job->ndirs + 1, sizeof *job->dirs);
		job->dirs[job->ndirs].path = path;
		job->dirs[job->ndirs].mode = mode;
		job->dirs[job->ndirs++].mtime = ts[1].tv_sec;
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	while (data < end) {
		ssize_t w = write(fd, data, (size_t)(end - data));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		data += w;
	}
	if (fchmod(fd, mode) < 0 || futimens(fd, ts) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		log_msg(LOG_QUIET, "--gateway-serve: cannot stage %s: %s", path, strerror(errno));
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = -1;
	free(path);
	return rc;
}

/* The staged directories' own modes and times, deepest first. */
static void
stage_seal(struct tree_job *job)
{
	size_t i;

	for (i = job->ndirs; i-- > 0;) {
		struct timespec ts[2] = {{job->dirs[i].mtime, 0}, {job->dirs[i].mtime, 0}};

		chmod(job->dirs[i].path, job->dirs[i].mode);
		utimensat(AT_FDCWD, job->dirs[i].path, ts, AT_SYMLINK_NOFOLLOW);
	}
}

static int
stage_open_up(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_D)
		chmod(path, 0700);
	return 0;
}

static int
stage_remove(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/*
 * An option of this gateway's own from the job (its share's section), first
 * on the line: the root's words end with "--" and the command.  word is the
 * job's from now on.
 */
static void
argv_front(struct tree_job *job, char *word)
{
	job->argv = xreallocarray(job->argv, (size_t)job->argc + 2, sizeof *job->argv);
	memmove(job->argv + 2, job->argv + 1, (size_t)job->argc * sizeof *job->argv);
	job->argv[1] = word;
	job->argc++;
}

/*
 * Below a gateway of more than one level: the topology (its text) for this
 * gateway's own tree, staged, and --topology naming it first on the line.
 */
static int
stage_topology(struct tree_job *job, struct buf *r)
{
	struct buf one;
	char *path;
	int rc;

	buf_init(&one);
	buf_append(&one, "topology.conf", sizeof "topology.conf");
	buf_append(&one, "600", sizeof "600");
	buf_append(&one, "0", sizeof "0");
	buf_append(&one, r->p, r->len);
	rc = stage_one(job, false, one.p, one.len);
	buf_free(&one);
	if (rc < 0)
		return -1;
	path = xasprintf("--topology=%s/topology.conf", job->stage);
	argv_front(job, path);
	return 0;
}

int
tree_job_read(struct tree_job *job, char **argv)
{
	char tag[16], want[32];
	struct buf r;
	bool mine = false, started = false, in_share = false;
	const char *me = argv[2];
	int rc = 2, k;

	memset(job, 0, sizeof *job);
	/*
	 * The job may hold the operator's password and stdin: no stdio buffer
	 * keeps a copy (each record is read straight into a buffer that is
	 * wiped), and no core file or other user sees this process's memory.
	 */
	setvbuf(stdin, NULL, _IONBF, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	hostlist_init(&job->hosts);
	buf_init(&job->in);
	buf_init(&r);
	job->argv = xcalloc(2, sizeof *job->argv);
	job->argv[job->argc++] = xstrdup(argv[0]);
	/* The gateway's own options after N (its ssh_config, say) come before the root's. */
	for (k = 3; argv[k] != NULL; k++) {
		job->argv = xreallocarray(job->argv, (size_t)job->argc + 2, sizeof *job->argv);
		job->argv[job->argc++] = xstrdup(argv[k]);
		job->argv[job->argc] = NULL;
	}
	snprintf(want, sizeof want, "shoal-job %d", JOB_PROTO);
	for (;;) {
		if (record_read(stdin, tag, sizeof tag, &r) < 0) {
			log_msg(LOG_QUIET,
			        "--gateway-serve: the job on stdin is cut short or malformed");
			goto out;
		}
		if (!started) {
			/* Say who this is before anything can go wrong: the root checks it. */
			event_stream_start(STDOUT_FILENO);
			started = true;
			if (strcmp(tag, "job") != 0 || strcmp(r.p, want) != 0 ||
			        r.len < strlen(want) + 1 ||
			        strcmp(r.p + strlen(want) + 1, PACKAGE_VERSION) != 0) {
				log_msg(LOG_QUIET,
				        "--gateway-serve: the root runs another shoal version; "
				        "this is "
				        "%s (job %d)",
				        PACKAGE_VERSION, JOB_PROTO);
				goto out;
			}
			continue;
		}
		if (strcmp(tag, "end") == 0)
			break;
		if (strcmp(tag, "arg") == 0 && in_share) {
			/* An option for one gateway's share: another's, or this one's own. */
			if (mine)
				argv_front(job, xstrdup(r.p));
		} else if (strcmp(tag, "topology") == 0 || strcmp(tag, "self") == 0) {
			if (!mine)
				continue;
			if (tag[0] == 's') {
				free(serve_self);
				serve_self = xstrdup(r.p);
				continue;
			}
			if (stage_topology(job, &r) < 0)
				goto bad;
		} else if (strcmp(tag, "arg") == 0) {
			job->argv =
			        xreallocarray(job->argv, (size_t)job->argc + 2, sizeof *job->argv);
			job->argv[job->argc++] = xstrdup(r.p);
			job->argv[job->argc] = NULL;
		} else if (strcmp(tag, "for") == 0) {
			mine = strcmp(r.p, me) == 0;
			in_share = true;
		} else if (strcmp(tag, "host") == 0) {
			/* index, alias, user, port, an inventory's address ("" for none),
			 * its index in the operator's list */
			char *f[6] = {r.p, NULL, NULL, NULL, NULL, NULL};
			size_t j;

			for (j = 1; j < 6; j++) {
				f[j] = f[j - 1] + strlen(f[j - 1]) + 1;
				if (f[j] > r.p + r.len)
					goto bad;
			}
			if (!mine)
				continue; /* another gateway's share */
			job->root_index = xreallocarray(
			        job->root_index, job->hosts.n + 1, sizeof *job->root_index);
			job->root_index[job->hosts.n] = strtoul(f[0], NULL, 10);
			job->list_index = xreallocarray(
			        job->list_index, job->hosts.n + 1, sizeof *job->list_index);
			job->list_index[job->hosts.n] = strtoul(f[5], NULL, 10);
			hostlist_push(&job->hosts, xstrdup(f[1]), *f[2] ? f[2] : NULL, atoi(f[3]),
			        *f[4] ? f[4] : NULL);
		} else if (strcmp(tag, "stdin") == 0) {
			buf_append(&job->in, r.p, r.len);
		} else if (strcmp(tag, "password") == 0) {
			if (job->password != NULL || strlen(r.p) != r.len)
				goto bad;
			job->password = xstrdup(r.p);
			explicit_bzero(r.p, r.len);
		} else if (strcmp(tag, "stage-dir") == 0 || strcmp(tag, "stage-file") == 0) {
			if (stage_one(job, tag[6] == 'd', r.p, r.len) < 0)
				goto bad;
		} else if (strcmp(tag, "copy-src") == 0 || strcmp(tag, "copy-dest") == 0) {
			bool src = tag[5] == 's';

			if (src && (job->stage == NULL || !transfer_rel_ok(r.p)))
				goto bad;
			job->copy = xreallocarray(job->copy, job->ncopy + 1, sizeof *job->copy);
			job->copy[job->ncopy++] =
			        src ? xasprintf("%s/%s", job->stage, r.p) : xstrdup(r.p);
		} else if (strcmp(tag, "rcopy-src") == 0) {
			/* --rcopy's words: SRC, and a folder of the private one as DEST_DIR. */
			if (job->ncopy > 0 || stage_make(job) < 0)
				goto bad;
			job->copy = xcalloc(2, sizeof *job->copy);
			job->copy[0] = xstrdup(r.p);
			job->copy[1] = xasprintf("%s/rcopy", job->stage);
			job->ncopy = 2;
		} else {
			goto bad;
		}
	}
	stage_seal(job);
	/* --copy's words: the staged SRCs (given last as they came), then DEST; --rcopy's. */
	for (k = 0; k < (int)job->ncopy; k++) {
		job->argv = xreallocarray(job->argv, (size_t)job->argc + 3, sizeof *job->argv);
		if (k == 0)
			job->argv[job->argc++] = xstrdup("--");
		job->argv[job->argc++] = xstrdup(job->copy[k]);
		job->argv[job->argc] = NULL;
	}
	event_stream_hosts(job->root_index, job->hosts.n);
	rc = 0;
	goto out;
bad:
	log_msg(LOG_QUIET, "--gateway-serve: a malformed '%s' record in the job", tag);
out:
	if (r.p != NULL)
		explicit_bzero(r.p, r.len);
	buf_free(&r);
	return rc;
}

char *
tree_job_password(struct tree_job *job)
{
	char *p = job->password;

	job->password = NULL;
	return p;
}

void
tree_job_free(struct tree_job *job)
{
	int i;

	for (i = 0; i < job->argc; i++)
		free(job->argv[i]);
	free(job->argv);
	hostlist_free(&job->hosts);
	free(job->root_index);
	free(job->list_index);
	if (job->in.p != NULL)
		explicit_bzero(job->in.p, job->in.len);
	buf_free(&job->in);
	password_free(job->password);
	if (job->stage != NULL) {
		/* Open every directory first: one staged read-only keeps its files. */
		nftw(job->stage, stage_open_up, 16, FTW_PHYS);
		nftw(job->stage, stage_remove, 16, FTW_PHYS | FTW_DEPTH);
		free(job->stage);
	}
	free(serve_self);
	serve_self = NULL;
	for (i = 0; i < (int)job->ncopy; i++)
		free(job->copy[i]);
	free(job->copy);
	for (i = 0; i < (int)job->ndirs; i++)
		free(job->dirs[i].path);
	free(job->dirs);
	memset(job, 0, sizeof *job);
}

/* ---- the root's side ---- */

#define NONE SIZE_MAX
/* The group of a target on the planner's own line: it runs it itself (direct_start). */
#define DIRECT UINT_MAX

/*
 * A place a gateway holds: a machine (alias, user, port) in one group of
 * targets (a topology line).  A machine on two lines has a place in each;
 * its first place stands for the machine, which runs the targets of all
 * its places as one share over one session, and holds the machine's state
 * (failed, deep).  A deep machine gets the topology and its own name in the
 * job, and its shoal runs the hosts right below it itself and routes the
 * others.
 */
struct gateway {
	char *alias, *user;
	int port;
	unsigned group; /* the topology line (0 for --gateways) */
	size_t machine; /* its machine's first place (itself, if it is that) */
	bool failed;    /* the first place's: the machine did not serve a share to the end */
	bool deep;      /* the first place's: more gateways are below it on some target's way */
};

/* A machine in this round: its host and whom it reports for (its first place). */
struct slot {
	struct host *h;
	size_t gw;
};

static struct {
	struct gateway *gws;
	size_t ngws;
	struct buf topo;         /* the topology file's text, for the gateways with more below */
	unsigned *group;         /* by target: its group of gateways */
	size_t *owner;           /* by target: its gateway's machine this round, or NONE */
	bool *again;             /* by target: to go through another gateway next round */
	enum err_kind *why_kind; /* by target: why its last gateway left it, if none is left */
	char **why;
	struct host **targets;
	size_t ntargets;
	/* --max-fail across the gateways: failures so far, the budget, and the stop */
	const struct options *opts;
	size_t nfailed;
	long budget;
	char *stopped;
	atomic_bool drain; /* set once stopped: every gateway is told (exec.c) */
	/* The round in flight, for the live view: its gateways' hosts and gateways. */
	struct slot *round;
	size_t nround;
	/*
	 * The live view's `r` and `:`: taken while the tree thread is idle
	 * (between runs), so no round is in flight when targets change hands.
	 */
	char *command; /* `:`'s command for the run in flight; NULL: the options' */
	char *asked;   /* `:`'s command waiting for the thread */
	bool pending;  /* a request waits (again[] says for whom) */
	bool idle;     /* the thread waits for requests */
	bool closing;  /* the view is gone: the thread ends */
	unsigned runs; /* `:` runs so far, for the hosts' run numbers */
	pthread_cond_t cond;
	pthread_mutex_t lock; /* again[], gws[].failed, the budget, the round, the requests */
	bool none_needed;     /* the topology sends no host through a gateway (tree_plan) */
	/* The root's own line's targets in flight, on a flat pool beside the round's. */
	struct pool *dpool;
	struct pool_params dparams;
	struct options dopts;
	struct host **direct;
} tree = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

bool
tree_wanted(const struct options *o)
{
	return (o->gateways != NULL || o->topology != NULL) && !tree.none_needed;
}

/* Whether gateways a and b are shares of one machine. */
static bool
gateway_same(const struct gateway *a, const struct gateway *b)
{
	return strcmp(a->alias, b->alias) == 0 && a->port == b->port &&
	       (a->user == NULL) == (b->user == NULL) &&
	       (a->user == NULL || strcmp(a->user, b->user) == 0);
}

/* The place of machine s in group, made the first time. */
static size_t
gateway_add(const struct hostspec *s, unsigned group)
{
	struct gateway want = {s->alias, s->user, s->port, group, 0, false, false};
	size_t k, m = NONE;

	for (k = 0; k < tree.ngws; k++) {
		if (!gateway_same(&tree.gws[k], &want))
			continue;
		if (tree.gws[k].group == group)
			return k;
		if (m == NONE)
			m = tree.gws[k].machine;
	}
	tree.gws = xreallocarray(tree.gws, tree.ngws + 1, sizeof *tree.gws);
	tree.gws[k].alias = xstrdup(s->alias);
	tree.gws[k].user = s->user ? xstrdup(s->user) : NULL;
	tree.gws[k].port = s->port;
	tree.gws[k].group = group;
	tree.gws[k].machine = m == NONE ? k : m;
	tree.gws[k].failed = false;
	tree.gws[k].deep = false;
	tree.ngws++;
	return k;
}

/* One [routes] line of a topology file: "gateways: hosts". */
struct route {
	struct hostlist left, right;
	char *where;
};

struct topo {
	struct route *v;
	size_t n;
	bool in_routes;
	char *err;
};

static int
topo_line(void *arg, char *line, const char *where)
{
	struct topo *t = arg;
	struct route *r;
	char *colon;

	if (*line == '[') {
		t->in_routes = strncmp(line, "[routes]", 8) == 0;
		return 0;
	}
	if (!t->in_routes)
		return 0;
	colon = strchr(line, ':');
	if (colon == NULL) {
		t->err = xasprintf("%s: want 'gateways: hosts' in [routes]", where);
		return -1;
	}
	*colon = '\0';
	t->v = xreallocarray(t->v, t->n + 1, sizeof *t->v);
	r = &t->v[t->n++];
	hostlist_init(&r->left);
	hostlist_init(&r->right);
	r->where = xstrdup(where);
	if (hostlist_add_expr(&r->left, line, where, &t->err) < 0 ||
	        hostlist_add_expr(&r->right, colon + 1, where, &t->err) < 0)
		return -1;
	if (r->left.n == 0 || r->right.n == 0) {
		t->err = xasprintf("%s: want 'gateways: hosts' in [routes]", where);
		return -1;
	}
	return 0;
}

static bool
in_list(const struct hostlist *hl, const char *alias)
{
	size_t i;

	for (i = 0; i < hl->n; i++) {
		if (strcmp(hl->v[i].alias, alias) == 0)
			return true;
	}
	return false;
}

/* The line other than not whose right side names alias; t->n when none does. */
static size_t
route_naming(const struct topo *t, const char *alias, size_t not )
{
	size_t k;

	for (k = 0; k < t->n && (k == not || !in_list(&t->v[k].right, alias)); k++)
		;
	return k;
}

/* Whether line j is the root's: no line names its left side, and its right names gateways. */
static bool
route_is_root(const struct topo *t, size_t j)
{
	size_t i, k;

	if (route_naming(t, t->v[j].left.v[0].alias, j) != t->n)
		return false;
	for (i = 0; i < t->v[j].right.n; i++) {
		for (k = 0; k < t->n; k++) {
			if (k != j && in_list(&t->v[k].left, t->v[j].right.v[i].alias))
				return true;
		}
	}
	return false;
}

/*
 * ClusterShell's topology: the root's line names the first gateways; each
 * target goes through the first gateways on its way down, and when more
 * are below them, they get the topology and their own name in the job and
 * do the same for the next level (serve_self).  The hosts on the planner's
 * own line (the root's line; on a gateway, a line that names it on its left)
 * are DIRECT: it runs them itself, as ClusterShell does.
 */
static int read_whole(const char *path, struct buf *b);

static int
plan_topology(const char *file, const struct hostlist *targets)
{
	struct topo t = {NULL, 0, false, NULL};
	size_t i, j, k, depth;
	int rc = 2;

	{
		char *err = NULL;

		if (conffile_lines(file, true, topo_line, &t, &err) != 0) {
			if (t.err == NULL)
				t.err = err ? xasprintf("--topology: %s", err)
				            : xasprintf("--topology: cannot read %s", file);
			else
				free(err);
			goto out;
		}
	}
	for (i = 0; i < targets->n; i++) {
		const char *a = targets->v[i].alias;

		for (j = 0; j < t.n && !in_list(&t.v[j].right, a); j++)
			;
		if (j == t.n && serve_self == NULL) {
			/* No route names it: ClusterShell reaches it directly, so does the root. */
			tree.group[i] = DIRECT;
			continue;
		}
		if (j == t.n) {
			t.err = xasprintf("--topology %s: no route to %s", file, a);
			goto out;
		}
		/*
		 * Up from a's line to the gateways this shoal reaches itself: those
		 * of a line that no other line names (the root's first), or, on a
		 * gateway, of a line that its own line names.
		 */
		if (serve_self == NULL ? route_is_root(&t, j) : in_list(&t.v[j].left, serve_self)) {
			/* ClusterShell runs it from the planner itself, beside the gateways. */
			tree.group[i] = DIRECT;
			continue;
		}
		for (depth = 1;; depth++) {
			const char *g = t.v[j].left.n > 0 ? t.v[j].left.v[0].alias : "";
			size_t up;

			up = route_naming(&t, g, j);
			if (up == t.n)
				break; /* no line names them: the first gateways */
			if (serve_self != NULL
			                ? in_list(&t.v[up].left, serve_self)
			                : route_naming(&t, t.v[up].left.v[0].alias, up) == t.n)
				break; /* they are the root's own (or this gateway's) */
			if (depth > t.n) {
				t.err = xasprintf(
				        "%s: the routes to %s go round in a loop", file, a);
				goto out;
			}
			j = up;
		}
		/* Line j's gateways are a group; deep ones when a target goes on below them. */
		tree.group[i] = (unsigned)j;
		for (k = 0; k < t.v[j].left.n; k++) {
			size_t g = gateway_add(&t.v[j].left.v[k], tree.group[i]),
			       m = tree.gws[g].machine;

			tree.gws[m].deep = tree.gws[m].deep || depth > 1;
		}
	}
	rc = 0;
out:
	if (t.err != NULL)
		log_msg(LOG_QUIET, "%s", t.err);
	free(t.err);
	for (i = 0; i < t.n; i++) {
		hostlist_free(&t.v[i].left);
		hostlist_free(&t.v[i].right);
		free(t.v[i].where);
	}
	free(t.v);
	return rc;
}

int
tree_plan(const struct options *o, const struct hostlist *targets)
{
	struct hostlist g;
	char *err = NULL;
	size_t i;
	int rc;

	if (o->gateways != NULL && o->topology != NULL) {
		log_msg(LOG_QUIET, "--gateways and --topology: choose one");
		return 2;
	}
	tree.group = xcalloc(targets->n + 1, sizeof *tree.group);
	tree.owner = xcalloc(targets->n + 1, sizeof *tree.owner);
	tree.again = xcalloc(targets->n + 1, sizeof *tree.again);
	tree.why_kind = xcalloc(targets->n + 1, sizeof *tree.why_kind);
	tree.why = xcalloc(targets->n + 1, sizeof *tree.why);
	tree.ntargets = targets->n;
	for (i = 0; i < targets->n; i++)
		tree.owner[i] = NONE; /* until a round gives it a gateway */
	pthread_mutex_init(&tree.lock, NULL);
	if (o->topology != NULL) {
		buf_init(&tree.topo);
		if (read_whole(o->topology, &tree.topo) < 0) {
			log_msg(LOG_QUIET, "--topology: cannot read %s: %s", o->topology,
			        strerror(errno));
			return 2;
		}
		if ((rc = plan_topology(o->topology, targets)) == 0 && tree.ngws == 0) {
			/* No host goes through a gateway: a run without them, to the letter. */
			log_msg(LOG_VERBOSE, "--topology %s: no host goes through a gateway",
			        o->topology);
			tree.none_needed = true;
		}
		return rc;
	}
	hostlist_init(&g);
	if (hostlist_add_expr(&g, o->gateways, "--gateways", &err) < 0) {
		log_msg(LOG_QUIET, "%s", err);
		free(err);
		hostlist_free(&g);
		return 2;
	}
	for (i = 0; i < g.n; i++)
		gateway_add(&g.v[i], 0);
	hostlist_free(&g);
	if (tree.ngws == 0) {
		log_msg(LOG_QUIET, "--gateways: no gateway in '%s'", o->gateways);
		return 2;
	}
	return 0;
}

static void
record(struct buf *b, const char *tag, const char *p, size_t n)
{
	buf_appendf(b, "%s %zu\n", tag, n);
	buf_append(b, p, n);
}

static void
record_s(struct buf *b, const char *tag, const char *s)
{
	record(b, tag, s, strlen(s));
}

static void arg_f(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
arg_f(struct buf *b, const char *fmt, ...)
{
	struct buf a;
	va_list ap;

	buf_init(&a);
	va_start(ap, fmt);
	buf_appendv(&a, fmt, ap);
	va_end(ap);
	record(b, "arg", a.p, a.len);
	buf_free(&a);
}

/* The options a gateway runs its share with: the root's, where they matter there. */
static void
job_args(struct buf *b, const struct options *o, const char *command)
{
	/* The gateway's own shoal.conf could change the promises the root's options make. */
	record_s(b, "arg", "--no-config");
	if (o->user != NULL)
		arg_f(b, "--user=%s", o->user);
	if (o->port > 0)
		arg_f(b, "--port=%d", o->port);
	if (o->jump != NULL)
		arg_f(b, "--jump=%s", o->jump);
	arg_f(b, "--fanout=%d", o->fanout);
	if (o->connect_timeout_set)
		arg_f(b, "--connect-timeout=%.17g", o->connect_timeout);
	arg_f(b, "--banner-timeout=%.17g", o->banner_timeout);
	arg_f(b, "--kex-timeout=%.17g", o->kex_timeout);
	arg_f(b, "--auth-timeout=%.17g", o->auth_timeout);
	if (o->command_timeout > 0)
		arg_f(b, "--command-timeout=%.17g", o->command_timeout);
	arg_f(b, "--retries=%d", o->retries);
	arg_f(b, "--backoff=%.17g,%.17g", o->backoff_base, o->backoff_cap);
	if (o->max_startups > 0)
		arg_f(b, "--max-startups=%d", o->max_startups);
	if (o->hostkey_policy != HOSTKEY_POLICY_UNSET) {
		static const char *const names[] = {"", "strict", "accept-new", "insecure"};

		arg_f(b, "--host-key-policy=%s", names[o->hostkey_policy]);
	}
	if (o->send_stdin && command == NULL)
		record_s(b, "arg", "--stdin");
	if (o->tty)
		record_s(b, "arg", "--tty");
	if (o->template)
		record_s(b, "arg", "--template");
	if (o->sudo)
		record_s(b, "arg", "--sudo");
	record_s(b, "arg", "--no-tui");
	/*
	 * The gateway's notes (a file --rcopy skipped, a fanout lowered) come up
	 * as its stderr lines, as loud as the root's own; its hosts' failures
	 * and its summary never (the root's events say them).
	 */
	if (o->verbosity < 0)
		record_s(b, "arg", "--quiet");
	for (int v = 0; v < o->verbosity; v++)
		record_s(b, "arg", "--verbose");
	if (o->xfer == XFER_COPY && command == NULL) {
		/* The words after it (the staged files, DEST) come with the files. */
		record_s(b, "arg", "--copy");
		if (o->recursive)
			record_s(b, "arg", "--recursive");
		if (o->preserve)
			record_s(b, "arg", "--preserve");
		return;
	}
	if (o->xfer == XFER_RCOPY && command == NULL) {
		/* SRC; DEST_DIR is the gateway's private folder, whose files come up as events. */
		record_s(b, "arg", "--rcopy");
		if (o->recursive)
			record_s(b, "arg", "--recursive");
		if (o->preserve)
			record_s(b, "arg", "--preserve");
		record_s(b, "rcopy-src", o->xfer_srcs[0]);
		return;
	}
	record_s(b, "arg", "--");
	record_s(b, "arg", command != NULL ? command : o->command);
}

/* The bytes of the file at path into b. */
static int
read_whole(const char *path, struct buf *b)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		buf_append(b, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

/*
 * --copy: every file of the plan once in the job, staged by each gateway
 * under SRC k's own folder (two SRCs may share a name), then the staged
 * SRCs and DEST as --copy's words.  Returns 0, or -1 when a file cannot be
 * read (said).
 */
static int
job_files(struct buf *b, const struct transfer_plan *plan)
{
	struct buf r, data;
	size_t i;
	int rc = 0;

	buf_init(&r);
	buf_init(&data);
	for (i = 0; i < plan->nsrcs; i++) {
		/* SRC i's own folder, which --copy does not send. */
		buf_reset(&r);
		buf_appendf(&r, "%zu", i);
		buf_appendc(&r, '\0');
		buf_append(&r, "700", sizeof "700");
		buf_append(&r, "0", sizeof "0");
		record(b, "stage-dir", r.p, r.len);
	}
	for (i = 0; i < plan->nitems && rc == 0; i++) {
		const struct transfer_item *it = &plan->items[i];

		buf_reset(&r);
		buf_appendf(&r, "%zu/%s%s%s", it->src, plan->src_names[it->src],
		        *it->rel ? "/" : "", it->rel);
		buf_appendc(&r, '\0');
		buf_appendf(&r, "%o", (unsigned)it->mode);
		buf_appendc(&r, '\0');
		buf_appendf(&r, "%lu", (unsigned long)it->mtime);
		buf_appendc(&r, '\0');
		if (!it->is_dir) {
			buf_reset(&data);
			if (read_whole(it->local, &data) < 0) {
				log_msg(LOG_QUIET, "--copy: cannot read '%s': %s", it->local,
				        strerror(errno));
				rc = -1;
				break;
			}
			buf_append(&r, data.p ? data.p : "", data.len);
		}
		record(b, it->is_dir ? "stage-dir" : "stage-file", r.p, r.len);
	}
	for (i = 0; i < plan->nsrcs && rc == 0; i++) {
		buf_reset(&r);
		buf_appendf(&r, "%zu/%s", i, plan->src_names[i]);
		record(b, "copy-src", r.p, r.len);
	}
	if (rc == 0)
		record_s(b, "copy-dest", plan->dest);
	buf_free(&r);
	buf_free(&data);
	return rc;
}

/* The gateway's command: its shoal quoted for its shell, and which share is its (%i). */
static char *
serve_command(const char *path)
{
	struct buf b;
	const char *p;

	buf_init(&b);
	buf_appendc(&b, '\'');
	for (p = path; *p; p++) {
		if (*p == '\'')
			buf_appends(&b, "'\\''");
		else if (*p == '%')
			buf_appends(&b, "%%"); /* --template's escape */
		else
			buf_appendc(&b, *p);
	}
	buf_appends(&b, "' --gateway-serve %i");
	return buf_steal(&b);
}

static bool
target_done(struct host *h)
{
	bool done;

	pthread_mutex_lock(&h->lock);
	done = h->state == HOST_OK || h->state == HOST_FAILED || h->state == HOST_SKIPPED;
	pthread_mutex_unlock(&h->lock);
	return done;
}

static bool
slot_owns(void *arg, size_t i)
{
	struct slot *s = arg;

	return i < tree.ntargets && tree.owner[i] == s->gw;
}

/* A target has its result: count it against --max-fail across every gateway. */
static void
count_result(struct host *target)
{
	if (!pool_failure_counts(target->kind))
		return;
	pthread_mutex_lock(&tree.lock);
	tree.nfailed++;
	if (tree.budget >= 0 && tree.nfailed > (size_t)tree.budget && tree.stopped == NULL) {
		tree.stopped = pool_budget_spent(tree.opts, tree.nfailed);
		log_msg(LOG_NORMAL, "%s", tree.stopped);
		atomic_store(&tree.drain, true);
	}
	pthread_mutex_unlock(&tree.lock);
}

static void
slot_finished(void *arg, struct host *target)
{
	(void)arg;
	count_result(target);
}

/* End a target the gateway left without a result. */
static void
settle(struct host *h, enum err_kind kind, char *error)
{
	double now = wait_now();
	enum host_state st;

	pthread_mutex_lock(&h->lock);
	st = h->state;
	pthread_mutex_unlock(&h->lock);
	if (st == HOST_CONNECTING || st == HOST_RUNNING) {
		struct outcome ao = {kind, st == HOST_RUNNING ? PHASE_RUN : h->phase, error,
		        RETRY_AS_KIND, st == HOST_RUNNING};

		host_attempt_end(h, &ao, now);
	}
	host_finish(h, kind, error, now);
	output_host_done(h);
	count_result(h);
}

/* Why gw left its targets: its failure, a broken stream, or an early end. */
static char *
gateway_reason(struct host *gw)
{
	const char *broken = event_reader_broken(gw), *last = event_reader_last_err(gw);

	if (broken != NULL)
		return xasprintf("via %s: %s", gw->name, broken);
	if (gw->kind != EK_NONE && last != NULL && gw->kind == EK_EXIT_NONZERO)
		return xasprintf("via %s: %s: %s (%s)", gw->name, errkind_name(gw->kind),
		        gw->error ? gw->error : "", last);
	if (gw->kind != EK_NONE)
		return xasprintf("via %s: %s: %s", gw->name, errkind_name(gw->kind),
		        gw->error ? gw->error : "");
	return xasprintf("via %s: the gateway ended without this host's result", gw->name);
}

static void
slot_done(void *arg, struct host *gw)
{
	struct slot *s = arg;
	bool served = gw->kind == EK_NONE && event_reader_broken(gw) == NULL;
	/* The gateway never ran its shoal: no target of it was touched. */
	bool before_run = errkind_info(gw->kind)->phase != PHASE_RUN && gw->kind != EK_NONE;
	bool left = false; /* it left a target without a result: it gets no more */
	size_t i;

	for (i = 0; i < tree.ntargets; i++) {
		struct host *h = tree.targets[i];
		enum host_state st;
		bool started;

		if (tree.owner[i] != s->gw || target_done(h))
			continue;
		left = true;
		pthread_mutex_lock(&h->lock);
		st = h->state;
		started = st == HOST_RUNNING;
		pthread_mutex_unlock(&h->lock);
		if (cancel_requested()) {
			settle(h, EK_CANCELLED, xstrdup("interrupted"));
		} else if (started) {
			settle(h, EK_LOST, gateway_reason(gw));
		} else {
			char *why = gateway_reason(gw);
			enum err_kind kind = before_run ? gw->kind : EK_CHANNEL;

			if (st == HOST_CONNECTING) {
				struct outcome ao = {kind, h->phase, why, RETRY_AS_KIND, false};

				host_attempt_end(h, &ao, wait_now());
			}
			if (st != HOST_QUEUED)
				host_retry_wait(h, wait_now(), wait_now());
			pthread_mutex_lock(&tree.lock);
			free(tree.why[i]);
			tree.why[i] = why;
			tree.why_kind[i] = kind;
			tree.again[i] = true;
			pthread_mutex_unlock(&tree.lock);
		}
	}
	if (!served || left) {
		/* The machine failed: its places on every line get no more. */
		pthread_mutex_lock(&tree.lock);
		tree.gws[s->gw].failed = true;
		pthread_mutex_unlock(&tree.lock);
	}
}

/*
 * Give each target without a gateway one of its group that has not failed,
 * the machines' shares even (a machine on two lines counts its targets of
 * both); returns how many got one.  The others fail with their last
 * attempt's reason.
 */
static size_t
assign(void)
{
	size_t *load = xcalloc(tree.ngws + 1, sizeof *load), i, k, best, n = 0;
	enum err_kind kind;

	for (i = 0; i < tree.ntargets; i++) {
		if (!tree.again[i] || (tree.group[i] == DIRECT && tree.stopped == NULL))
			continue; /* direct_start's, never a gateway's */
		tree.again[i] = false;
		if (tree.stopped != NULL) {
			settle(tree.targets[i], EK_SKIPPED, xstrdup(tree.stopped));
			continue;
		}
		best = NONE;
		for (k = 0; k < tree.ngws; k++) {
			size_t m = tree.gws[k].machine;

			if (tree.gws[k].group == tree.group[i] && !tree.gws[m].failed &&
			        (best == NONE || load[m] < load[best]))
				best = m;
		}
		tree.owner[i] = best;
		if (best != NONE) {
			load[best]++;
			n++;
			continue;
		}
		kind = tree.why[i] ? tree.why_kind[i] : EK_CHANNEL;
		if (tree.targets[i]->attempts == 0) {
			/* Its gateway failed it before it began: that was its attempt. */
			host_attempt_begin(tree.targets[i], wait_now());
			host_phase(tree.targets[i],
			        errkind_info(kind)->phase == PHASE_ANY ? PHASE_CONNECT
			                                               : errkind_info(kind)->phase,
			        wait_now());
		}
		settle(tree.targets[i], kind,
		        tree.why[i] ? tree.why[i] : xstrdup("no gateway left to reach it"));
		tree.why[i] = NULL;
	}
	free(load);
	return n;
}

/* One round: every gateway with a share runs it; returns when all have ended. */
static void
round_run(const struct pool_params *p, char *command)
{
	struct options go = *p->opts;
	struct pool_params gp;
	struct slot *slots = xcalloc(tree.ngws, sizeof *slots);
	struct host **hosts = xcalloc(tree.ngws, sizeof *hosts);
	/* --rcopy: each target's files come up in its events, to DEST_DIR/HOST here. */
	struct event_reader_ops ops = {slot_owns, slot_finished, slot_done, NULL,
	        p->plan != NULL && p->plan->mode == XFER_RCOPY && tree.command == NULL ? p->plan
	                                                                               : NULL};
	struct buf job;
	size_t k, i, n = 0;
	char id[24];

	buf_init(&job);
	snprintf(id, sizeof id, "shoal-job %d", JOB_PROTO);
	{
		struct buf v;

		buf_init(&v);
		buf_appends(&v, id);
		buf_appendc(&v, '\0');
		buf_appends(&v, PACKAGE_VERSION);
		record(&job, "job", v.p, v.len);
		buf_free(&v);
	}
	job_args(&job, p->opts, tree.command);
	for (k = 0; k < tree.ngws; k++) {
		bool any = false;

		if (tree.gws[k].machine != k)
			continue; /* its targets are its machine's first place's */
		for (i = 0; i < tree.ntargets; i++) {
			struct buf hr;
			struct host *t = tree.targets[i];

			if (tree.owner[i] != k || target_done(t))
				continue;
			if (!any) {
				snprintf(id, sizeof id, "%zu", n);
				record_s(&job, "for", id);
				any = true;
				if (tree.gws[k].deep) {
					/* More gateways below it: it routes its share itself. */
					record(&job, "topology", tree.topo.p, tree.topo.len);
					record_s(&job, "self", tree.gws[k].alias);
					arg_f(&job, "--gateway-shoal=%s", p->opts->gateway_shoal);
					/* -A reaches the gateways below, never the targets. */
					if (p->opts->forward_agent)
						record_s(&job, "arg", "--forward-agent");
				}
			}
			buf_init(&hr);
			buf_appendf(&hr, "%zu", i);
			buf_appendc(&hr, '\0');
			buf_appends(&hr, t->alias);
			buf_appendc(&hr, '\0');
			buf_appends(&hr, t->user ? t->user : "");
			buf_appendc(&hr, '\0');
			buf_appendf(&hr, "%d", t->port);
			buf_appendc(&hr, '\0');
			buf_appends(&hr, t->addr ? t->addr : "");
			buf_appendc(&hr, '\0');
			buf_appendf(&hr, "%zu", t->list_index);
			record(&job, "host", hr.p, hr.len);
			buf_free(&hr);
		}
		if (!any)
			continue;
		slots[n].gw = k;
		slots[n].h = hosts[n] =
		        host_new(n, tree.gws[k].alias, tree.gws[k].user, tree.gws[k].port);
		ops.arg = &slots[n];
		event_reader_attach(hosts[n], tree.targets, tree.ntargets, &ops);
		n++;
	}
	/*
	 * The password (--ask-password, --password-env) goes in the job, over
	 * the gateway's encrypted channel: its shoal logs in and answers sudo
	 * with it as this one would.  Never on a command line; the job's bytes
	 * are wiped once sent.
	 */
	if (p->password != NULL)
		record(&job, "password", p->password, strlen(p->password));
	/* `:`'s commands get no stdin, as without gateways. */
	if (p->stdin_data != NULL && tree.command == NULL)
		record(&job, "stdin", p->stdin_data, p->stdin_len);
	/* A file that went away since the plan: nothing runs (the targets end cancelled). */
	if (p->plan != NULL && p->plan->mode == XFER_COPY && tree.command == NULL &&
	        job_files(&job, p->plan) < 0)
		cancel_request();
	record(&job, "end", "", 0);
	host_name_all(hosts, n);

	/* The gateways run shoal, each for as long as its share takes. */
	go.command = command;
	go.template = true;
	go.command_timeout = 0;
	go.tty = false;
	go.sudo = false;
	go.send_stdin = true;
	go.max_fail.n = -1;
	go.batch = NULL;
	go.nbatch = 0;
	go.output_dir = NULL;
	/* Every gateway at once: -f is the fanout of each gateway's shoal. */
	go.fanout = n > 0 ? (int)n : 1;
	memset(&gp, 0, sizeof gp);
	gp.hosts = hosts;
	gp.n = n;
	gp.opts = &go;
	gp.password = p->password;
	gp.stdin_data = job.p;
	gp.stdin_len = job.len;
	gp.drain = &tree.drain;
	log_msg(LOG_VERBOSE, "tree: %zu gateway%s for %zu host%s", n, n == 1 ? "" : "s",
	        tree.ntargets, tree.ntargets == 1 ? "" : "s");
	pthread_mutex_lock(&tree.lock);
	tree.round = slots;
	tree.nround = n;
	pthread_mutex_unlock(&tree.lock);
	if (n > 0 && !cancel_requested())
		pool_run(&gp);
	pthread_mutex_lock(&tree.lock);
	tree.round = NULL;
	tree.nround = 0;
	pthread_mutex_unlock(&tree.lock);
	for (k = 0; k < n; k++) {
		event_reader_free(hosts[k]);
		host_free(hosts[k]);
	}
	free(hosts);
	free(slots);
	if (job.p != NULL)
		explicit_bzero(job.p, job.len); /* the password, stdin */
	buf_free(&job);
}

/* Why the tree stopped, for the direct hosts' pool (pool_params.stopped); NULL: it goes on. */
static char *
direct_stopped(void)
{
	char *why;

	pthread_mutex_lock(&tree.lock);
	why = tree.stopped != NULL ? xstrdup(tree.stopped) : NULL;
	pthread_mutex_unlock(&tree.lock);
	return why;
}

/*
 * The targets on the planner's own line that this run is for (again[]): the
 * root, or a gateway with gateways below it, runs them itself, as a run
 * without gateways would (its options and ssh_config, no `via` of its own:
 * a gateway's root adds its name), on a pool of their own beside the
 * gateways' rounds.  On a gateway they are streamed up like any share's
 * (event.c: they are the job's hosts).  Their failures count in
 * count_result, and a stop there starts no more of them.  direct_wait ends it.
 */
static void
direct_start(const struct pool_params *p)
{
	size_t i, n = 0;

	tree.direct = xcalloc(tree.ntargets + 1, sizeof *tree.direct);
	for (i = 0; i < tree.ntargets; i++) {
		if (tree.group[i] != DIRECT || !tree.again[i] || tree.stopped != NULL)
			continue;
		tree.again[i] = false;
		tree.direct[n++] = tree.targets[i];
	}
	if (n == 0 || cancel_requested()) {
		for (i = 0; i < n; i++)
			tree.again[tree.direct[i]->index] = true; /* settled as the others */
		return;
	}
	tree.dopts = *p->opts;
	tree.dopts.batch = NULL; /* the tree's batches hold them */
	tree.dopts.nbatch = 0;
	tree.dopts.max_fail.n = -1; /* the tree's budget counts them */
	/* On a gateway, -A is for the gateways below it, never the targets (as flat gateways). */
	if (serve_self != NULL)
		tree.dopts.forward_agent = false;
	tree.dparams = *p;
	tree.dparams.hosts = tree.direct;
	tree.dparams.n = n;
	tree.dparams.opts = &tree.dopts;
	tree.dparams.drain = NULL;
	tree.dparams.finished = count_result;
	tree.dparams.stopped = direct_stopped;
	if (tree.command != NULL) {
		/* `:`: its command (h->run_command), no stdin, no files */
		tree.dparams.plan = NULL;
		tree.dparams.stdin_data = NULL;
		tree.dparams.stdin_len = 0;
	}
	log_msg(LOG_VERBOSE, "tree: %zu host%s from %s itself", n, n == 1 ? "" : "s",
	        serve_self != NULL ? serve_self : "the root");
	tree.dpool = pool_start(&tree.dparams, false);
}

static void
direct_wait(void)
{
	if (tree.dpool != NULL)
		pool_wait(tree.dpool);
	tree.dpool = NULL;
	free(tree.direct);
	tree.direct = NULL;
}

/* What no gateway finished ends cancelled: the run was interrupted. */
static void
settle_rest(void)
{
	size_t i;

	for (i = 0; i < tree.ntargets; i++) {
		if (!target_done(tree.targets[i]))
			settle(tree.targets[i], EK_CANCELLED,
			        xstrdup(tree.targets[i]->attempts ? "interrupted"
			                                          : "interrupted before start"));
	}
}

void
tree_run(const struct pool_params *p)
{
	char *command = serve_command(p->opts->gateway_shoal);
	size_t i;

	unsigned b, nb;

	tree.targets = p->hosts;
	tree.opts = p->opts;
	tree.budget = pool_budget(p->opts, tree.ntargets);
	/*
	 * --batch across the gateways: each batch is its own rounds, the next
	 * after --pause; a stop (the budget, a batch that failed whole) skips
	 * every batch after it.
	 */
	nb = pool_plan_batches(p);
	for (b = nb > 0 ? 1 : 0; b <= nb && !cancel_requested(); b++) {
		size_t size = 0, failed = 0;
		char *why;

		for (i = 0; i < tree.ntargets; i++) {
			if (nb == 0 || tree.targets[i]->batch == b)
				tree.again[i] = !target_done(tree.targets[i]);
		}
		if (nb > 0 && tree.stopped == NULL)
			log_msg(LOG_VERBOSE, "batch %u of %u", b, nb);
		direct_start(p);
		while (!cancel_requested() && assign() > 0)
			round_run(p, command);
		direct_wait();
		if (nb == 0 || tree.stopped != NULL)
			break;
		for (i = 0; i < tree.ntargets; i++) {
			if (tree.targets[i]->batch == b) {
				size++;
				failed += pool_failure_counts(tree.targets[i]->kind);
			}
		}
		why = pool_batch_failed(p->opts, b, nb, size, failed);
		if (why != NULL && b < nb) {
			log_msg(LOG_NORMAL, "%s", why);
			tree.stopped = why;
			break;
		}
		free(why);
		if (b < nb && p->opts->pause > 0)
			wait_fd(cancel_fd(), POLLIN, wait_now() + p->opts->pause);
	}
	if (tree.stopped != NULL && !cancel_requested()) {
		/* What the stop kept from starting, in this batch or later ones. */
		for (i = 0; i < tree.ntargets; i++)
			tree.again[i] = !target_done(tree.targets[i]);
		assign();
	}
	settle_rest();
	free(command);
}

/* A request of the live view's, run through the gateways (the tree thread). */
static void
run_asked(const struct pool_params *p)
{
	char *command = serve_command(p->opts->gateway_shoal);
	size_t k;

	/* A gateway that failed before gets another chance: the operator asked. */
	pthread_mutex_lock(&tree.lock);
	for (k = 0; k < tree.ngws; k++)
		tree.gws[k].failed = false;
	pthread_mutex_unlock(&tree.lock);
	direct_start(p);
	while (!cancel_requested() && assign() > 0)
		round_run(p, command);
	direct_wait();
	settle_rest();
	free(command);
}

/*
 * Hand the thread a request once it is idle; false when it is busy (a run
 * in flight) or gone.  Called with tree.lock held.
 */
static bool
request_ok(void)
{
	return tree.idle && !tree.pending && !tree.closing && tree.targets != NULL &&
	       !cancel_requested();
}

long
tree_retry(struct host **hosts, size_t n)
{
	size_t i, m = 0;
	double now = wait_now();

	pthread_mutex_lock(&tree.lock);
	if (!request_ok()) {
		pthread_mutex_unlock(&tree.lock);
		return -1;
	}
	/* A stopped run stays stopped: what it skipped is for -H of the --failed list. */
	for (i = 0; i < n && tree.stopped == NULL; i++) {
		struct host *h = hosts[i];
		bool counted, latest;

		if (h->index >= tree.ntargets || tree.targets[h->index] != h)
			continue;
		pthread_mutex_lock(&h->lock);
		counted = pool_failure_counts(h->kind);
		/* One command a round: the latest run's (`:`'s, or the options'). */
		latest = tree.runs == 0 || h->run == tree.runs + 1;
		pthread_mutex_unlock(&h->lock);
		if (!latest || !host_retry_round(h, now))
			continue;
		/* Failed again or not, it counts anew. */
		if (counted && tree.nfailed > 0)
			tree.nfailed--;
		tree.again[h->index] = true;
		m++;
	}
	if (m > 0) {
		tree.pending = true;
		pthread_cond_broadcast(&tree.cond);
	}
	pthread_mutex_unlock(&tree.lock);
	return (long)m;
}

long
tree_command(struct host **hosts, size_t n, const char *command)
{
	size_t i, m = 0;
	double now = wait_now();

	pthread_mutex_lock(&tree.lock);
	if (!request_ok()) {
		pthread_mutex_unlock(&tree.lock);
		return -1;
	}
	tree.runs++;
	for (i = 0; i < n; i++) {
		struct host *h = hosts[i];
		bool done;

		if (h->index >= tree.ntargets || tree.targets[h->index] != h)
			continue;
		pthread_mutex_lock(&h->lock);
		done = h->state == HOST_OK || h->state == HOST_FAILED;
		pthread_mutex_unlock(&h->lock);
		if (!done)
			continue;
		host_run_begin(h, tree.runs + 1, command, now);
		tree.again[h->index] = true;
		m++;
	}
	if (m == 0) {
		tree.runs--;
	} else {
		/* A new run: its own --max-fail budget, nothing stopped yet. */
		free(tree.stopped);
		tree.stopped = NULL;
		tree.nfailed = 0;
		atomic_store(&tree.drain, false);
		free(tree.asked);
		tree.asked = xstrdup(command);
		tree.pending = true;
		pthread_cond_broadcast(&tree.cond);
	}
	pthread_mutex_unlock(&tree.lock);
	return (long)m;
}

void
tree_status(struct buf *b)
{
	size_t k, i, left;

	pthread_mutex_lock(&tree.lock);
	for (k = 0; k < tree.nround; k++) {
		/* One entry a machine: the hosts of its places on every line. */
		struct host *gw = tree.round[k].h;
		enum host_state st;

		pthread_mutex_lock(&gw->lock);
		st = gw->state;
		pthread_mutex_unlock(&gw->lock);
		for (i = 0, left = 0; i < tree.ntargets; i++)
			left += tree.owner[i] == tree.round[k].gw && !target_done(tree.targets[i]);
		buf_appendf(b, "%s%s: %s, %zu host%s", b->len > 0 ? " \xc2\xb7 " : "",
		        tree.round[k].h->name,
		        st == HOST_RUNNING  ? "up"
		        : st == HOST_OK     ? "done"
		        : st == HOST_FAILED ? "failed"
		        : st == HOST_QUEUED ? "waiting"
		                            : "connecting",
		        left, left == 1 ? "" : "s");
	}
	pthread_mutex_unlock(&tree.lock);
}

static pthread_t runner;

static void *
runner_main(void *arg)
{
	tree_run(arg);
	pthread_mutex_lock(&tree.lock);
	for (;;) {
		tree.idle = true;
		while (!tree.pending && !tree.closing)
			pthread_cond_wait(&tree.cond, &tree.lock);
		tree.idle = false;
		if (!tree.pending)
			break;
		tree.pending = false;
		if (tree.asked != NULL) {
			/* `:`; an `r` goes with the latest run's command */
			free(tree.command);
			tree.command = tree.asked;
			tree.asked = NULL;
		}
		pthread_mutex_unlock(&tree.lock);
		run_asked(arg);
		pthread_mutex_lock(&tree.lock);
	}
	pthread_mutex_unlock(&tree.lock);
	return NULL;
}

void
tree_start(const struct pool_params *p)
{
	int rc = pthread_create(&runner, NULL, runner_main, (void *)(uintptr_t)p);

	if (rc != 0)
		fatal("cannot start the tree thread: %s", strerror(rc));
}

void
tree_wait(void)
{
	pthread_mutex_lock(&tree.lock);
	tree.closing = true;
	pthread_cond_broadcast(&tree.cond);
	pthread_mutex_unlock(&tree.lock);
	pthread_join(runner, NULL);
}

void
tree_free(void)
{
	size_t k;

	for (k = 0; k < tree.ngws; k++) {
		free(tree.gws[k].alias);
		free(tree.gws[k].user);
	}
	free(tree.gws);
	free(tree.group);
	free(tree.owner);
	free(tree.again);
	for (k = 0; k < tree.ntargets && tree.why != NULL; k++)
		free(tree.why[k]);
	free(tree.why);
	free(tree.why_kind);
	buf_free(&tree.topo);
	free(tree.stopped);
	free(tree.command);
	free(tree.asked);
	pthread_mutex_destroy(&tree.lock);
	pthread_cond_destroy(&tree.cond);
	memset(&tree, 0, sizeof tree);
}

/*
 * transfer.c - --copy and --rcopy: the running phase when it moves files.
 *
 * Theory of operation.  Before any thread starts, transfer_plan_build walks
 * the local SRCs once (a directory before its contents) and every worker
 * follows that plan on its own session through sftpc.c.  A file never
 * appears under its final name until it is whole: it is written to
 * ".NAME.shoal-XXXXXXXX" in the same directory, its size checked against the
 * bytes sent, its mode (and with -P its times) set, then renamed over the
 * final name.  Any failure or a cancel removes the temporary (with a short
 * grace, as the run may be over); a connection that is gone cannot, but
 * then the final name was still never touched.  Nothing after connect is
 * retried (SPEC 3), so a retried attempt is one that never began a file.
 * Directories are made as they come with owner rights added, and get their
 * own modes at the end, so a read-only directory can still be filled.
 *
 * Downloads go to DEST_DIR/ALIAS/NAME, ALIAS made safe as one path part,
 * NAME that of SRC as given (a link keeps its own name); names a server
 * lists are taken only when they are one plain path part.  A file is read
 * to the server's EOF, not to its stated size (procfs says 0).  A tree
 * follows links to files and directories, but not back into itself (remote
 * paths are kept resolved, so an ancestor is a string prefix); special
 * files are skipped and named.  An entry the server refuses is named and
 * the rest still copied; the host then fails with the first one's message.
 * Progress goes to h->xfer_done and h->xfer_total under h->lock.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cancel.h"
#include "escape.h"
#include "event.h"
#include "host.h"
#include "log.h"
#include "sftpc.h"
#include "transfer.h"
#include "wait.h"
#include "xmalloc.h"

#define GRACE_SECONDS 5.0 /* to remove a temporary after a failure or cancel */
#define MAX_DEPTH     64  /* directory levels followed on a download */

/* ---- paths ------------------------------------------------------------- */

static char *
path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	if (*name == '\0')
		return xstrdup(dir);
	if (n == 0)
		return xstrdup(name);
	return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

/* The last part of a path, trailing slashes ignored ("a/b/" -> "b"). */
static char *
path_base(const char *path)
{
	size_t n = strlen(path);
	const char *p;

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (p = path + n; p > path && p[-1] != '/';)
		p--;
	return xstrndup(p, (size_t)(path + n - p));
}

/* Everything before the last part: "" for a bare name, "/" for "/x". */
static char *
path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup("");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* ".NAME.shoal-XXXXXXXX" beside path. */
static char *
temp_name(const char *path)
{
	char *dir = path_dir(path), *base = path_base(path), *tmp, *name;
	uint32_t r;

	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r = (uint32_t)(wait_now() * 1e6) ^ (uint32_t)getpid();
	name = xasprintf(".%s.shoal-%08x", base, r);
	tmp = path_join(dir, name);
	free(name);
	free(dir);
	free(base);
	return tmp;
}

static bool
name_is_safe(const char *name)
{
	return *name != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

/* ---- the local side of a download ------------------------------------- */

bool
transfer_rel_ok(const char *rel)
{
	const char *c = rel;

	for (;;) {
		size_t len = strcspn(c, "/");

		if (len == 0 || (len == 1 && c[0] == '.') ||
		        (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (c[len] == '\0')
			return true;
		c += len + 1;
	}
}

/*
 * The directory that holds rel's last part, opened from the host's folder
 * one part at a time, never through a link: its descriptor (O_PATH), or -1.
 * *base is rel's last part.
 */
static int
local_parent(const struct transfer_local *l, const char *rel, const char **base)
{
	const char *c = rel, *slash;
	char part[NAME_MAX + 1];
	int fd, next, e;

	if (l->fd < 0 || !transfer_rel_ok(rel)) {
		errno = l->fd < 0 ? EBADF : EINVAL;
		return -1;
	}
	fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0);
	while (fd >= 0 && (slash = strchr(c, '/')) != NULL) {
		size_t len = (size_t)(slash - c);

		if (len > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(part, c, len);
		part[len] = '\0';
		next = openat(fd, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		e = errno;
		close(fd);
		errno = e;
		fd = next;
		c = slash + 1;
	}
	*base = c;
	return fd;
}

int
transfer_local_open(struct transfer_local *l, const char *dest, struct host *h)
{
	char *alias = host_file_name(h->name);

	l->h = h;
	l->path = path_join(dest, alias);
	free(alias);
	if (mkdir(l->path, 0700) < 0 && errno != EEXIST)
		l->fd = -1;
	else
		l->fd = open(l->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return l->fd < 0 ? -1 : 0;
}

void
transfer_local_close(struct transfer_local *l, bool failed)
{
	if (l->fd >= 0)
		close(l->fd);
	if (failed && l->path != NULL)
		rmdir(l->path); /* only when empty: no folder for a host that sent nothing */
	free(l->path);
	l->path = NULL;
	l->fd = -1;
}

int
transfer_local_mkdir(const struct transfer_local *l, const char *rel)
{
	const char *base;
	struct stat st;
	int dfd = local_parent(l, rel, &base), rc = 0, e;

	if (dfd < 0)
		return -1;
	if (mkdirat(dfd, base, 0700) < 0 &&
	        (errno != EEXIST || fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	                !S_ISDIR(st.st_mode))) {
		rc = -1;
	}
	e = errno;
	/* A gateway's target: the directory goes up now, before anything below it (event.c). */
	if (rc == 0)
		event_dir_made(l->h, rel);
	close(dfd);
	errno = e;
	return rc;
}

static void
times_spec(struct timespec ts[2], const uint32_t *times)
{
	ts[0].tv_sec = times[0];
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = times[1];
	ts[1].tv_nsec = 0;
}

void
transfer_local_seal(
        const struct transfer_local *l, const char *rel, uint32_t mode, const uint32_t *times)
{
	const char *base;
	struct timespec ts[2];
	int dfd = local_parent(l, rel, &base), fd;

	if (dfd < 0)
		return;
	fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return;
	/* As the remote's own: a failure here leaves the owner's rights, nothing worse. */
	(void)fchmod(fd, (mode_t)(mode & 07777));
	if (times != NULL) {
		times_spec(ts, times);
		(void)futimens(fd, ts);
	}
	close(fd);
}

int
transfer_file_create(const struct transfer_local *l, const char *rel, struct transfer_file *f)
{
	const char *base;
	int e;

	*f = (struct transfer_file)TRANSFER_FILE_INIT;
	if ((f->dirfd = local_parent(l, rel, &base)) < 0)
		return -1;
	f->l = l;
	f->rel = xstrdup(rel);
	f->name = xstrdup(base);
	f->tmp = temp_name(base);
	f->fd = openat(
	        f->dirfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (f->fd < 0) {
		e = errno;
		transfer_file_abort(f);
		errno = e;
		return -1;
	}
	f->made = true;
	return 0;
}

int
transfer_file_commit(
        struct transfer_file *f, const uint32_t *mode, const uint32_t *times, const char **what)
{
	struct timespec ts[2];
	int rc, e;

	if (mode != NULL && fchmod(f->fd, (mode_t)(*mode & 07777)) < 0) {
		*what = "cannot set the mode";
		goto fail;
	}
	if (times != NULL) {
		times_spec(ts, times);
		(void)futimens(f->fd, ts);
	}
	rc = close(f->fd);
	f->fd = -1;
	if (rc < 0) {
		*what = "cannot write locally";
		goto fail;
	}
	/* renameat replaces a link of that name, it never writes through one. */
	if (renameat(f->dirfd, f->tmp, f->dirfd, f->name) < 0) {
		*what = "cannot rename into place";
		goto fail;
	}
	f->made = false;
	/* A gateway's target: the file goes up now, while the pull goes on (event.c). */
	event_file_whole(f->l->h, f->dirfd, f->name, f->rel);
	transfer_file_abort(f);
	return 0;
fail:
	e = errno;
	transfer_file_abort(f);
	errno = e;
	return -1;
}

void
transfer_file_abort(struct transfer_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->made)
		unlinkat(f->dirfd, f->tmp, 0);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f->tmp);
	free(f->name);
	free(f->rel);
	*f = (struct transfer_file)TRANSFER_FILE_INIT;
}

/* ---- the plan ---------------------------------------------------------- */

static void
plan_add(struct transfer_plan *p, const char *local, const char *rel, size_t src,
        const struct stat *st)
{
	struct transfer_item *it;

	p->items = xreallocarray(p->items, p->nitems + 1, sizeof *p->items);
	it = &p->items[p->nitems++];
	it->local = xstrdup(local);
	it->rel = xstrdup(rel);
	it->src = src;
	it->is_dir = S_ISDIR(st->st_mode);
	it->mode = (uint32_t)(st->st_mode & 07777);
	it->size = it->is_dir ? 0 : (uint64_t)st->st_size;
	it->atime = (uint32_t)st->st_atime;
	it->mtime = (uint32_t)st->st_mtime;
	p->total += it->size;
}

/* Add dir's contents below rel.  Symbolic links to files are followed;
 * links to directories are skipped (they could loop). */
static int
plan_walk(struct transfer_plan *p, const char *dir, const char *rel, size_t src)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		log_msg(LOG_QUIET, "--copy: cannot read directory '%s': %s", dir, strerror(errno));
		return 2;
	}
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		char *local, *sub;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		local = path_join(dir, e->d_name);
		sub = path_join(rel, e->d_name);
		if (lstat(local, &st) < 0 || (S_ISLNK(st.st_mode) && stat(local, &st) < 0)) {
			log_msg(LOG_QUIET, "--copy: cannot read '%s': %s", local, strerror(errno));
			rc = 2;
		} else if (S_ISREG(st.st_mode)) {
			plan_add(p, local, sub, src, &st);
		} else if (S_ISDIR(st.st_mode)) {
			struct stat lst;

			if (lstat(local, &lst) == 0 && S_ISLNK(lst.st_mode)) {
				log_msg(LOG_NORMAL, "--copy: skipping '%s': a link to a directory",
				        local);
			} else {
				plan_add(p, local, sub, src, &st);
				rc = plan_walk(p, local, sub, src);
			}
		} else {
			log_msg(LOG_NORMAL, "--copy: skipping '%s': not a file or directory",
			        local);
		}
		free(local);
		free(sub);
	}
	if (rc == 0 && errno != 0) {
		log_msg(LOG_QUIET, "--copy: cannot read directory '%s': %s", dir, strerror(errno));
		rc = 2;
	}
	closedir(d);
	return rc;
}

int
transfer_plan_build(struct transfer_plan *p, const struct options *o)
{
	struct stat st;
	size_t i;
	int rc;

	memset(p, 0, sizeof *p);
	p->mode = o->xfer;
	p->recursive = o->recursive;
	p->preserve = o->preserve;
	p->timeout = o->command_timeout;
	p->dest = o->xfer_dest;
	if (o->xfer == XFER_RCOPY) {
		p->rsrc = o->xfer_srcs[0];
		if (mkdir(p->dest, 0777) < 0 && errno != EEXIST) {
			log_msg(LOG_QUIET, "--rcopy: cannot create '%s': %s", p->dest,
			        strerror(errno));
			return 2;
		}
		if (stat(p->dest, &st) < 0 || !S_ISDIR(st.st_mode)) {
			log_msg(LOG_QUIET, "--rcopy: '%s' is not a directory", p->dest);
			return 2;
		}
		return 0;
	}
	p->nsrcs = o->nxfer_srcs;
	p->src_names = xcalloc(p->nsrcs, sizeof *p->src_names);
	for (i = 0; i < p->nsrcs; i++) {
		const char *src = o->xfer_srcs[i];

		p->src_names[i] = path_base(src);
		if (stat(src, &st) < 0) {
			log_msg(LOG_QUIET, "--copy: cannot read '%s': %s", src, strerror(errno));
			return 2;
		}
		plan_add(p, src, "", i, &st);
		if (S_ISDIR(st.st_mode) && (rc = plan_walk(p, src, "", i)) != 0)
			return rc;
	}
	return 0;
}

void
transfer_plan_free(struct transfer_plan *p)
{
	size_t i;

	for (i = 0; i < p->nitems; i++) {
		free(p->items[i].local);
		free(p->items[i].rel);
	}
	free(p->items);
	for (i = 0; i < p->nsrcs; i++)
		free(p->src_names[i]);
	free(p->src_names);
	memset(p, 0, sizeof *p);
}

/* ---- one host ---------------------------------------------------------- */

struct job {
	struct sftpc s;
	struct host *h;
	const struct transfer_plan *p;
	struct outcome *out;
	double start;
	struct transfer_local local; /* --rcopy: DEST_DIR/HOST */
	/* Download entries that failed while the rest went on: the first one's
	 * message, and how many. */
	char *entry_error;
	size_t entry_failures;
	size_t skipped;
};

static void
progress(void *arg, uint64_t n)
{
	host_xfer_add(arg, n, 0);
}

static void
add_total(struct host *h, uint64_t n)
{
	host_xfer_add(h, 0, n);
}

/*
 * The outcome for the failure left in the client: what went wrong, then
 * the path it concerns ("permission denied: /srv/app.tgz").  Server text is
 * escaped: it comes from the host.
 */
static int
job_fail(struct job *j, const char *what, const char *path)
{
	struct sftpc *s = &j->s;
	struct buf b;

	if (s->fail == SFTPC_CANCELLED || (s->fail != SFTPC_TIMEOUT && cancel_requested())) {
		outcome_set(j->out, EK_CANCELLED, PHASE_RUN,
		        "interrupted during the transfer of %s", path);
		return -1;
	}
	buf_init(&b);
	if (what != NULL)
		buf_appendf(&b, "%s: ", what);
	if (s->fail == SFTPC_TIMEOUT && j->p->timeout > 0)
		buf_appendf(&b, "timed out after %.1f s (--command-timeout)", j->p->timeout);
	else
		buf_appends(&b, sftpc_strerror(s));
	if (s->message != NULL &&
	        (s->fail == SFTPC_LOST || s->fail == SFTPC_PROTOCOL ||
	                (s->fail == SFTPC_STATUS && s->status == SFTPC_FX_FAILURE))) {
		buf_appends(&b, " (");
		escape_terminal(&b, s->message, strlen(s->message));
		buf_appendc(&b, ')');
	}
	buf_appends(&b, ": ");
	escape_terminal(&b, path, strlen(path));
	/* The connection, not the transfer, failed: SPEC 3's `lost`. */
	outcome_set(j->out, sftpc_host_lost(s) ? EK_LOST : EK_TRANSFER, PHASE_RUN, "%s", b.p);
	buf_free(&b);
	return -1;
}

/* A local failure (errno) on path. */
static int
job_fail_local(struct job *j, const char *what, const char *path, int err)
{
	j->s.fail = SFTPC_LOCAL;
	j->s.sys_errno = err;
	return job_fail(j, what, path);
}

/* After a failure: a few seconds more, cancel or not, to clean up. */
static void
job_grace(struct job *j)
{
	if (j->s.fail != SFTPC_LOST && j->s.fail != SFTPC_PROTOCOL)
		sftpc_grace(&j->s, GRACE_SECONDS);
}

/*
 * A write refused with the generic FAILURE is what OpenSSH answers for a
 * full disk too: ask the server for the free space and say so when it is
 * about gone.
 */
static const char *
write_failure_cause(struct job *j, const char *dir)
{
	struct sftpc *s = &j->s;
	enum sftpc_fail f = s->fail;
	uint32_t status = s->status;
	char *msg = s->message;
	const char *cause = NULL;
	uint64_t avail;

	if (f != SFTPC_STATUS || status != SFTPC_FX_FAILURE || !s->statvfs)
		return NULL;
	s->message = NULL;
	if (sftpc_free_space(s, *dir ? dir : ".", &avail) == 0 && avail < 1024 * 1024)
		cause = "disk full";
	free(s->message);
	s->fail = f;
	s->status = status;
	s->message = msg;
	return cause;
}

/*
 * scp writes through a symlink at the destination, and so does --copy: the
 * file the link names (made if the link dangles) is replaced by the usual
 * temporary and rename in its own directory, and the link stays.  The path
 * to write, malloc'd; NULL with the host's error set.
 */
static char *
write_through(struct job *j, const char *target)
{
	struct sftpc *s = &j->s;
	struct sftpc_attrs a;
	char *real = NULL;

	if (sftpc_lstat(s, target, &a) < 0) {
		if (s->fail == SFTPC_STATUS && s->status == SFTPC_FX_NO_SUCH_FILE)
			return xstrdup(target);
		job_fail(j, NULL, target);
		return NULL;
	}
	if (!(a.flags & SFTPC_ATTR_PERM) || !S_ISLNK(a.perm))
		return xstrdup(target);
	if (sftpc_realpath(s, target, &real) < 0) {
		job_fail(j, "cannot resolve the symlink", target);
		return NULL;
	}
	log_msg(LOG_DEBUG, "%s: %s is a symlink: writing through it to %s", j->h->name, target,
	        real);
	return real;
}

static int
upload_file(struct job *j, const struct transfer_item *it, const char *target)
{
	struct sftpc *s = &j->s;
	struct sftpc_attrs a = {SFTPC_ATTR_PERM, 0, 0600, 0, 0}, got;
	struct sftpc_handle fh;
	char *tmp = temp_name(target), *dir = NULL;
	const char *cause;
	uint64_t sent = 0;
	bool opened = false;
	int fd, rc = -1;

	fd = open(it->local, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = job_fail_local(j, "cannot read local file", it->local, errno);
		goto out;
	}
	if (sftpc_open(s, tmp, SFTPC_WRITE | SFTPC_CREAT | SFTPC_EXCL, &a, &fh) < 0) {
		dir = path_dir(target);
		job_fail(j, NULL, *dir ? dir : target);
		/* Cut off before the answer, the server may have made the file. */
		if (s->fail == SFTPC_STATUS)
			goto out;
		goto fail;
	}
	opened = true;
	if (sftpc_upload(s, &fh, fd, &sent, progress, j->h) < 0) {
		if (s->fail == SFTPC_LOCAL) {
			job_fail(j, "cannot read local file", it->local);
		} else {
			dir = path_dir(target);
			cause = write_failure_cause(j, dir);
			job_fail(j, cause, target);
		}
		goto fail;
	}
	if (sftpc_fstat(s, &fh, &got) < 0) {
		job_fail(j, NULL, target);
		goto fail;
	}
	if ((got.flags & SFTPC_ATTR_SIZE) && got.size != sent) {
		outcome_set(j->out, EK_TRANSFER, PHASE_RUN,
		        "size check failed: sent %llu bytes, the host has %llu: %s",
		        (unsigned long long)sent, (unsigned long long)got.size, target);
		goto fail;
	}
	a.flags = SFTPC_ATTR_PERM | (j->p->preserve ? SFTPC_ATTR_TIMES : 0);
	a.perm = it->mode;
	a.atime = it->atime;
	a.mtime = it->mtime;
	if (sftpc_fsetstat(s, &fh, &a) < 0) {
		job_fail(j, "cannot set the mode", target);
		goto fail;
	}
	opened = false;
	if (sftpc_close(s, &fh) < 0) {
		job_fail(j, NULL, target);
		goto fail;
	}
	if (sftpc_rename(s, tmp, target) < 0) {
		job_fail(j, "cannot rename into place", target);
		goto fail;
	}
	log_msg(LOG_DEBUG, "%s: %s: %llu bytes", j->h->name, target, (unsigned long long)sent);
	rc = 0;
	goto out;
fail:
	job_grace(j);
	if (opened)
		sftpc_close(s, &fh);
	if (sftpc_remove(s, tmp) < 0 &&
	        !(s->fail == SFTPC_STATUS && s->status == SFTPC_FX_NO_SUCH_FILE))
		host_note(j->h, "could not remove the partial file %s: %s", tmp, sftpc_strerror(s));
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	free(tmp);
	return rc;
}

/* Make a directory, or take the one already there. */
static int
remote_mkdir(struct job *j, const char *path, uint32_t mode)
{
	struct sftpc *s = &j->s;
	struct sftpc_attrs a;
	enum sftpc_fail f;
	uint32_t status;

	if (sftpc_mkdir(s, path, mode | 0700) == 0)
		return 0;
	f = s->fail;
	status = s->status;
	if (f == SFTPC_STATUS && sftpc_stat(s, path, &a) == 0 && S_ISDIR(a.perm))
		return 0;
	if (f == SFTPC_STATUS) {
		s->fail = f;
		s->status = status;
	}
	return job_fail(j, "cannot make directory", path);
}

static int
run_upload(struct job *j)
{
	const struct transfer_plan *p = j->p;
	struct sftpc *s = &j->s;
	struct sftpc_attrs a;
	char **roots = xcalloc(p->nsrcs, sizeof *roots);
	bool dest_dir = false, dest_missing = false, want_dir;
	size_t i, k;
	int rc = -1;

	add_total(j->h, p->total);
	want_dir = p->nsrcs > 1 || p->dest[strlen(p->dest) - 1] == '/';
	if (sftpc_stat(s, p->dest, &a) == 0)
		dest_dir = S_ISDIR(a.perm);
	else if (s->fail == SFTPC_STATUS && s->status == SFTPC_FX_NO_SUCH_FILE)
		dest_missing = true;
	else {
		job_fail(j, NULL, p->dest);
		goto out;
	}
	if (want_dir && !dest_dir) {
		outcome_set(j->out, EK_TRANSFER, PHASE_RUN, "%s: %s",
		        dest_missing ? "no such file or directory" : "not a directory", p->dest);
		goto out;
	}
	for (i = 0; i < p->nsrcs; i++)
		roots[i] = dest_dir ? path_join(p->dest, p->src_names[i]) : xstrdup(p->dest);
	for (i = 0; i < p->nitems; i++) {
		const struct transfer_item *it = &p->items[i];
		char *target = path_join(roots[it->src], it->rel), *real;

		if (it->is_dir) {
			rc = remote_mkdir(j, target, it->mode);
		} else if ((real = write_through(j, target)) == NULL) {
			rc = -1;
		} else {
			rc = upload_file(j, it, real);
			free(real);
		}
		free(target);
		if (rc < 0)
			goto out;
	}
	/* Directory modes last, deepest first: a read-only one was still filled. */
	for (k = p->nitems; k-- > 0;) {
		const struct transfer_item *it = &p->items[k];
		char *target;

		if (!it->is_dir)
			continue;
		target = path_join(roots[it->src], it->rel);
		a.flags = SFTPC_ATTR_PERM | (p->preserve ? SFTPC_ATTR_TIMES : 0);
		a.perm = it->mode;
		a.atime = it->atime;
		a.mtime = it->mtime;
		rc = sftpc_setstat(s, target, &a);
		if (rc < 0)
			job_fail(j, "cannot set the mode", target);
		free(target);
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < p->nsrcs; i++)
		free(roots[i]);
	free(roots);
	return rc;
}

/* rel's path for messages: DEST_DIR/HOST/rel. */
static char *
local_path(const struct job *j, const char *rel)
{
	return path_join(j->local.path, rel);
}

/* Download remote into rel below the host's folder. */
static int
download_file(struct job *j, const char *remote, const char *rel)
{
	struct sftpc *s = &j->s;
	struct sftpc_handle fh;
	struct sftpc_attrs a;
	struct transfer_file f = TRANSFER_FILE_INIT;
	struct stat st;
	char *local = local_path(j, rel);
	const char *what = NULL;
	uint32_t times[2];
	uint64_t got = 0;
	bool opened = false;
	int rc = -1;

	if (sftpc_open(s, remote, SFTPC_READ, NULL, &fh) < 0) {
		job_fail(j, NULL, remote);
		goto out;
	}
	opened = true;
	if (sftpc_fstat(s, &fh, &a) < 0) {
		job_fail(j, NULL, remote);
		goto fail;
	}
	add_total(j->h, a.size);
	if (transfer_file_create(&j->local, rel, &f) < 0) {
		job_fail_local(j, "cannot write locally", local, errno);
		goto fail;
	}
	if (sftpc_download(s, &fh, a.size, f.fd, &got, progress, j->h) < 0) {
		if (s->fail == SFTPC_LOCAL)
			job_fail(j, "cannot write locally", local);
		else
			job_fail(j, NULL, remote);
		goto fail;
	}
	/* The length read to EOF is the truth (procfs stats 0); progress follows
	 * it, a shorter file taking its difference back (unsigned wraps). */
	if (got != a.size)
		add_total(j->h, got - a.size);
	if (fstat(f.fd, &st) < 0 || (uint64_t)st.st_size != got) {
		outcome_set(j->out, EK_TRANSFER, PHASE_RUN,
		        "size check failed: %llu bytes read, %llu written: %s",
		        (unsigned long long)got, (unsigned long long)st.st_size, local);
		goto fail;
	}
	times[0] = a.atime;
	times[1] = a.mtime;
	if (transfer_file_commit(&f, (a.flags & SFTPC_ATTR_PERM) ? &a.perm : NULL,
	            j->p->preserve && (a.flags & SFTPC_ATTR_TIMES) ? times : NULL, &what) < 0) {
		job_fail_local(j, what, local, errno);
		goto fail;
	}
	opened = false;
	sftpc_close(s, &fh);
	rc = 0;
	goto out;
fail:
	job_grace(j);
	if (opened)
		sftpc_close(s, &fh);
	transfer_file_abort(&f);
out:
	free(local);
	return rc;
}

static int
local_mkdir(struct job *j, const char *rel)
{
	char *local;

	if (transfer_local_mkdir(&j->local, rel) == 0)
		return 0;
	local = local_path(j, rel);
	job_fail_local(j, "cannot make local directory", local, errno);
	free(local);
	return -1;
}

/*
 * After an entry of a tree failed: when the server refused that path (a
 * dangling link, a file it cannot read), name it on stderr, keep the first
 * message and go on with the rest, as scp and sftp do.  A lost connection,
 * a timeout, a cancel or a local failure ends the host.  Returns 0 to go on.
 */
static int
entry_failed(struct job *j, double deadline)
{
	struct sftpc *s = &j->s;

	if (s->fail != SFTPC_STATUS || cancel_requested() || j->out->error == NULL)
		return -1;
	host_note(j->h, "--rcopy: %s", j->out->error);
	if (j->entry_error == NULL) {
		j->entry_error = j->out->error;
		j->out->error = NULL;
	}
	outcome_clear(j->out);
	j->entry_failures++;
	/* The failed file's clean-up ran under a short grace; the rest gets
	 * the deadline back. */
	s->deadline = deadline;
	s->ignore_cancel = false;
	s->fail = SFTPC_OK;
	return 0;
}

/* Say that a remote entry is left out, and why: "skipped FIFO /srv/x". */
static void
skip_entry(struct job *j, const char *what, const char *path)
{
	struct buf b;

	buf_init(&b);
	escape_terminal(&b, path, strlen(path));
	host_note(j->h, "--rcopy: skipped %s %s", what, b.p);
	buf_free(&b);
	j->skipped++;
}

static const char *
special_kind(uint32_t mode)
{
	if (S_ISFIFO(mode))
		return "FIFO";
	if (S_ISSOCK(mode))
		return "socket";
	if (S_ISCHR(mode))
		return "character device";
	if (S_ISBLK(mode))
		return "block device";
	return "special file";
}

/* Whether canon (a resolved directory) is one of the directories being
 * copied, or holds one: following a link to it would never end. */
static bool
is_loop(const char *canon, const char *const *chain, size_t depth)
{
	size_t k, n = strlen(canon);

	for (k = 0; k <= depth; k++) {
		if (strncmp(chain[k], canon, n) == 0 &&
		        (chain[k][n] == '\0' || chain[k][n] == '/' || strcmp(canon, "/") == 0))
			return true;
	}
	return false;
}

/*
 * Copy the tree at remote (a resolved path: no link in it) into rel below
 * the host's folder.
 * chain[0..depth] are the directories being copied, this one last.
 * Symbolic links are followed, to files and to directories (as scp -r does),
 * a link back into the tree is skipped; special files are skipped.
 */
static int
download_dir(struct job *j, const char *remote, const char *rel, const char **chain, int depth)
{
	struct sftpc *s = &j->s;
	struct sftpc_entry *ents = NULL;
	struct sftpc_attrs a;
	double deadline = s->deadline;
	size_t n = 0, i;
	int rc = -1;

	if (depth >= MAX_DEPTH) {
		outcome_set(j->out, EK_TRANSFER, PHASE_RUN, "more than %d directory levels: %s",
		        MAX_DEPTH, remote);
		return -1;
	}
	chain[depth] = remote;
	if (local_mkdir(j, rel) < 0)
		return -1;
	if (sftpc_list(s, remote, &ents, &n) < 0)
		return job_fail(j, "cannot list directory", remote);
	for (i = 0; i < n; i++) {
		bool link = S_ISLNK(ents[i].attrs.perm);
		char *r, *l, *canon = NULL;

		if (!name_is_safe(ents[i].name)) {
			outcome_set(j->out, EK_TRANSFER, PHASE_RUN,
			        "the host listed an unsafe name in %s", remote);
			goto out;
		}
		r = path_join(remote, ents[i].name);
		l = path_join(rel, ents[i].name);
		a = ents[i].attrs;
		rc = 0;
		s->fail = SFTPC_OK; /* entry_failed looks at this entry's failure only */
		if (link && sftpc_stat(s, r, &a) < 0) {
			if (s->fail == SFTPC_STATUS && s->status == SFTPC_FX_NO_SUCH_FILE)
				rc = job_fail(j, "dangling symbolic link", r);
			else
				rc = job_fail(j, NULL, r);
		} else if (S_ISREG(a.perm)) {
			rc = download_file(j, r, l);
		} else if (S_ISDIR(a.perm) && !link) {
			rc = download_dir(j, r, l, chain, depth + 1);
		} else if (S_ISDIR(a.perm)) {
			if (sftpc_realpath(s, r, &canon) < 0)
				rc = job_fail(j, NULL, r);
			else if (is_loop(canon, chain, (size_t)depth))
				skip_entry(j, "link back into the tree", r);
			else
				rc = download_dir(j, canon, l, chain, depth + 1);
		} else {
			skip_entry(j, special_kind(a.perm), r);
		}
		free(canon);
		free(r);
		free(l);
		if (rc < 0 && (rc = entry_failed(j, deadline)) < 0)
			goto out;
	}
	if (sftpc_stat(s, remote, &a) == 0 && (a.flags & SFTPC_ATTR_PERM)) {
		uint32_t times[2] = {a.atime, a.mtime};

		transfer_local_seal(&j->local, rel, a.perm,
		        j->p->preserve && (a.flags & SFTPC_ATTR_TIMES) ? times : NULL);
	}
	rc = 0;
out:
	sftpc_entries_free(ents, n);
	return rc;
}

static int
run_download(struct job *j)
{
	const struct transfer_plan *p = j->p;
	struct sftpc *s = &j->s;
	struct sftpc_attrs a;
	char *canon = NULL, *base;
	const char *chain[MAX_DEPTH];
	int rc = -1;

	/* A link SRC keeps its own name, not its target's (as cp and scp do). */
	base = path_base(p->rsrc);
	if (transfer_local_open(&j->local, p->dest, j->h) < 0) {
		job_fail_local(j, "cannot make local directory", j->local.path, errno);
		goto out;
	}
	if (sftpc_realpath(s, p->rsrc, &canon) < 0 || sftpc_stat(s, canon, &a) < 0) {
		job_fail(j, NULL, p->rsrc);
		goto out;
	}
	if (!name_is_safe(base)) {
		free(base);
		base = path_base(canon);
		if (!name_is_safe(base)) {
			free(base);
			base = xstrdup("root");
		}
	}
	if (S_ISDIR(a.perm)) {
		if (!p->recursive)
			outcome_set(j->out, EK_TRANSFER, PHASE_RUN, "is a directory (add -R): %s",
			        p->rsrc);
		else
			rc = download_dir(j, canon, base, chain, 0);
	} else if (S_ISREG(a.perm)) {
		rc = download_file(j, canon, base);
	} else {
		outcome_set(j->out, EK_TRANSFER, PHASE_RUN, "not a regular file or directory: %s",
		        p->rsrc);
	}
	/* The rest of the tree is here; the host still failed. */
	if (rc == 0 && j->entry_failures > 0) {
		if (j->entry_failures == 1)
			outcome_set(j->out, EK_TRANSFER, PHASE_RUN, "%s", j->entry_error);
		else
			outcome_set(j->out, EK_TRANSFER, PHASE_RUN, "%s (and %zu more failed)",
			        j->entry_error, j->entry_failures - 1);
		rc = -1;
	}
	if (j->skipped > 0)
		log_msg(LOG_VERBOSE, "%s: --rcopy: %zu entries skipped", j->h->name, j->skipped);
out:
	transfer_local_close(&j->local, rc < 0);
	free(base);
	free(canon);
	return rc;
}

int
transfer_run(const struct sftpc_link *l, struct host *h, const struct transfer_plan *p,
        struct outcome *out)
{
	struct job j;
	double deadline;
	uint64_t done;
	int rc;

	memset(&j, 0, sizeof j);
	j.h = h;
	j.p = p;
	j.out = out;
	j.local.fd = -1;
	j.start = wait_now();
	deadline = p->timeout > 0 ? j.start + p->timeout : j.start + 1e9;
	host_phase(h, PHASE_RUN, j.start);
	host_xfer_set(h, 0, 0);

	if (sftpc_start(&j.s, l, deadline) < 0)
		rc = job_fail(&j, "cannot start SFTP", p->mode == XFER_COPY ? p->dest : p->rsrc);
	else if ((out->started = true) && p->mode == XFER_COPY) /* files may move from here */
		rc = run_upload(&j);
	else
		rc = run_download(&j);
	sftpc_end(&j.s);
	free(j.entry_error);
	pthread_mutex_lock(&h->lock); /* xfer_done is under lock */
	done = h->xfer_done;
	pthread_mutex_unlock(&h->lock);
	if (rc == 0) {
		double t = wait_now() - j.start;

		log_msg(LOG_VERBOSE, "%s: %s %llu bytes in %.2f s", h->name,
		        p->mode == XFER_COPY ? "sent" : "fetched", (unsigned long long)done, t);
	}
	return rc;
}

/* ---- files a gateway sends up (tree mode) ------------------------------- */

struct transfer_in {
	const struct transfer_plan *p;
	struct host *h;
	struct transfer_local local;
	bool opened; /* local was tried: the folder is made at the first entry */
	struct transfer_file f;
	bool in_file; /* between a file's start and its close */
	char *rel;    /* the open file's */
	uint64_t size, got;
	char *error; /* the first local failure: nothing more is written */
};

struct transfer_in *
transfer_in_new(const struct transfer_plan *p, struct host *h)
{
	struct transfer_in *t = xcalloc(1, sizeof *t);

	t->p = p;
	t->h = h;
	t->local.fd = -1;
	t->f = (struct transfer_file)TRANSFER_FILE_INIT;
	return t;
}

/* A local failure, said as flat --rcopy says it: "what: cause: DEST_DIR/HOST/rel". */
static void
in_fail(struct transfer_in *t, const char *what, const char *rel, int err)
{
	struct buf b;
	char *path;

	transfer_file_abort(&t->f);
	if (t->error != NULL)
		return;
	path = rel != NULL ? path_join(t->local.path, rel) : xstrdup(t->local.path);
	buf_init(&b);
	buf_appendf(&b, "%s: %s: ", what, strerror(err));
	escape_terminal(&b, path, strlen(path));
	t->error = buf_steal(&b);
	free(path);
}

/* The host's folder, made at its first entry: a host that sends none has none. */
static bool
in_ready(struct transfer_in *t)
{
	if (!t->opened) {
		t->opened = true;
		if (transfer_local_open(&t->local, t->p->dest, t->h) < 0)
			in_fail(t, "cannot make local directory", NULL, errno);
	}
	return t->error == NULL;
}

int
transfer_in_dir(struct transfer_in *t, const char *rel)
{
	if (!transfer_rel_ok(rel) || t->in_file)
		return -1;
	if (in_ready(t) && transfer_local_mkdir(&t->local, rel) < 0)
		in_fail(t, "cannot make local directory", rel, errno);
	return 0;
}

int
transfer_in_file(struct transfer_in *t, const char *rel, uint64_t size)
{
	if (!transfer_rel_ok(rel) || t->in_file)
		return -1;
	t->in_file = true;
	t->rel = xstrdup(rel);
	t->size = size;
	t->got = 0;
	if (!in_ready(t))
		return 0;
	/* The figures are the gateway's pull's (its 'b' frames): nothing is counted here. */
	if (transfer_file_create(&t->local, rel, &t->f) < 0)
		in_fail(t, "cannot write locally", rel, errno);
	return 0;
}

int
transfer_in_data(struct transfer_in *t, const char *p, size_t n)
{
	size_t left = n;

	if (!t->in_file)
		return -1;
	t->got += n;
	while (t->f.fd >= 0 && left > 0) {
		ssize_t w = write(t->f.fd, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			in_fail(t, "cannot write locally", t->rel, w < 0 ? errno : ENOSPC);
			return 0;
		}
		p += w;
		left -= (size_t)w;
	}
	return 0;
}

int
transfer_in_close(struct transfer_in *t, uint32_t mode, const uint32_t *times)
{
	struct stat st;
	const char *what = NULL;

	if (!t->in_file)
		return -1;
	t->in_file = false;
	if (t->f.fd >= 0 &&
	        (fstat(t->f.fd, &st) < 0 || t->got != t->size || (uint64_t)st.st_size != t->got)) {
		char *path = path_join(t->local.path, t->rel);
		struct buf b;

		/* The gateway read its copy short: the file is not whole. */
		transfer_file_abort(&t->f);
		buf_init(&b);
		buf_appendf(&b, "size check failed: %llu bytes sent, %llu announced: ",
		        (unsigned long long)t->got, (unsigned long long)t->size);
		escape_terminal(&b, path, strlen(path));
		if (t->error == NULL)
			t->error = buf_steal(&b);
		buf_free(&b);
		free(path);
	}
	if (t->f.fd >= 0 &&
	        transfer_file_commit(&t->f, &mode, t->p->preserve ? times : NULL, &what) < 0)
		in_fail(t, what, t->rel, errno);
	free(t->rel);
	t->rel = NULL;
	return 0;
}

int
transfer_in_seal(struct transfer_in *t, const char *rel, uint32_t mode, const uint32_t *times)
{
	if (!transfer_rel_ok(rel) || t->in_file)
		return -1;
	if (t->opened && t->error == NULL)
		transfer_local_seal(&t->local, rel, mode, t->p->preserve ? times : NULL);
	return 0;
}

char *
transfer_in_end(struct transfer_in *t, bool failed)
{
	char *error = t->error;

	transfer_file_abort(&t->f);
	if (t->opened)
		transfer_local_close(&t->local, failed || error != NULL);
	free(t->rel);
	free(t);
	return error;
}

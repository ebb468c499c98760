/*
 * proxycmd.c - a ProxyCommand as a transport.
 *
 * ssh runs `exec CMD` with /bin/sh, the command's stdin and stdout being the
 * connection.  shoal does the same with posix_spawn (safe in a threaded
 * process): a socketpair end as stdin and stdout, a pipe as stderr, every
 * other descriptor closed in the child, default signal dispositions and an
 * empty signal mask, and a process group of its own so that a stop ends its
 * children too.  The stderr pipe is read only when something went wrong
 * (and drained then), keeping the latest non-empty line: that line is what
 * the user needs when the proxy cannot reach the host.
 *
 * Threads: a struct proxycmd belongs to the worker of its attempt.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proxycmd.h"
#include "wait.h"
#include "xmalloc.h"

extern char **environ;

int
proxycmd_start(struct proxycmd *pc, const char *cmd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int sv[2], ep[2], rc, saved;
	char *line = xasprintf("exec %s", cmd);
	char sh[] = "sh", dash_c[] = "-c";
	char *argv[] = {sh, dash_c, line, NULL};

	memset(pc, 0, sizeof *pc);
	pc->err_fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		free(line);
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		saved = errno;
		close(sv[0]);
		close(sv[1]);
		free(line);
		errno = saved;
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	/* libssh's agent sockets and others may lack CLOEXEC: none reaches the proxy. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(
	        &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(&pc->pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(line);
	close(sv[1]);
	close(ep[1]);
	if (rc != 0) {
		close(sv[0]);
		close(ep[0]);
		pc->pid = 0;
		errno = rc;
		return -1;
	}
	fcntl(ep[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	pc->err_fd = ep[0];
	return sv[0];
}

/* Take what the proxy wrote on stderr so far; returns false at its end. */
static bool
drain_stderr(struct proxycmd *pc)
{
	char buf[4096];
	ssize_t n, i;

	if (pc->err_fd < 0)
		return false;
	for (;;) {
		n = read(pc->err_fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN;
		if (n == 0) {
			close(pc->err_fd);
			pc->err_fd = -1;
			return false;
		}
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' || buf[i] == '\r') {
				if (pc->part_len > 0) {
					memcpy(pc->last, pc->part, pc->part_len);
					pc->last_len = pc->part_len;
				}
				pc->part_len = 0;
			} else if (pc->part_len < sizeof pc->part) {
				pc->part[pc->part_len++] = buf[i];
			}
		}
	}
}

static bool
reap(struct proxycmd *pc, int flags)
{
	pid_t r;

	if (pc->pid <= 0 || pc->reaped)
		return pc->reaped;
	do
		r = waitpid(pc->pid, &pc->status, flags);
	while (r < 0 && errno == EINTR);
	if (r == pc->pid || (r < 0 && errno == ECHILD))
		pc->reaped = 1;
	return pc->reaped;
}

bool
proxycmd_exited(struct proxycmd *pc)
{
	return reap(pc, WNOHANG);
}

void
proxycmd_why(struct proxycmd *pc, double wait, char *buf, size_t len)
{
	double until = wait_now() + wait;
	struct pollfd pfd;
	const char *text;
	size_t tlen;
	bool open = true;

	/* Its stderr closes when it exits (unless a child of it keeps it). */
	while (open && wait_now() < until) {
		open = drain_stderr(pc);
		if (!open)
			break;
		pfd.fd = pc->err_fd;
		pfd.events = POLLIN;
		poll(&pfd, 1, 50);
	}
	while (!reap(pc, WNOHANG) && wait_now() < until)
		poll(NULL, 0, 20);
	text = pc->last_len > 0 ? pc->last : pc->part;
	tlen = pc->last_len > 0 ? pc->last_len : pc->part_len;
	if (!pc->reaped)
		snprintf(buf, len, "ProxyCommand closed its output");
	else if (WIFEXITED(pc->status))
		snprintf(buf, len, "ProxyCommand exited with status %d", WEXITSTATUS(pc->status));
	else if (WIFSIGNALED(pc->status))
		snprintf(buf, len, "ProxyCommand killed by signal %d", WTERMSIG(pc->status));
	else
		snprintf(buf, len, "ProxyCommand ended");
	if (tlen > 0 && strlen(buf) + 3 < len)
		snprintf(buf + strlen(buf), len - strlen(buf), ": %.*s", (int)tlen, text);
}

void
proxycmd_stop(struct proxycmd *pc)
{
	int i;

	if (pc->pid > 0 && !reap(pc, WNOHANG)) {
		kill(-pc->pid, SIGTERM);
		for (i = 0; i < 50 && !reap(pc, WNOHANG); i++)
			poll(NULL, 0, 20);
		if (!pc->reaped) {
			kill(-pc->pid, SIGKILL);
			reap(pc, 0);
		}
	}
	if (pc->err_fd >= 0)
		close(pc->err_fd);
	pc->err_fd = -1;
	pc->pid = 0;
}

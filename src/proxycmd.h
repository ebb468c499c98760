/*
 * proxycmd.h - ssh_config's ProxyCommand, run by shoal itself: the command's
 * stdin and stdout are one end of a socketpair, which then carries the SSH
 * connection exactly as a TCP socket would (banner wait, SSH_OPTIONS_FD).
 */
#ifndef SHOAL_PROXYCMD_H
#define SHOAL_PROXYCMD_H

#include <stdbool.h>
#include <sys/types.h>

struct proxycmd {
	pid_t pid;  /* the shell, leader of its own process group; 0: none */
	int err_fd; /* read end of its stderr, non-blocking; -1: closed */
	char last[256];
	size_t last_len; /* its latest non-empty stderr line (possibly partial) */
	char part[256];
	size_t part_len; /* the line being read */
	int status;      /* wait status once reaped */
	int reaped;
};

/*
 * Start `/bin/sh -c "exec CMD"` in its own process group, nothing but the
 * three standard descriptors open in it.  Returns our end of the socketpair
 * (non-blocking, close-on-exec), or -1 with errno.
 */
int proxycmd_start(struct proxycmd *pc, const char *cmd);
/* Has it exited (reaped now if so)? */
bool proxycmd_exited(struct proxycmd *pc);
/*
 * Why the command's stream ended before the banner, into buf (len bytes):
 * "exited with status 1: <last stderr line>" (escaped).  Waits up to
 * `wait` seconds for it to exit, so that its status and last words are in.
 */
void proxycmd_why(struct proxycmd *pc, double wait, char *buf, size_t len);
/* End it: SIGTERM to its group, reaped, SIGKILL after a second.  Idempotent. */
void proxycmd_stop(struct proxycmd *pc);

#endif

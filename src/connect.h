/*
 * connect.h - one attempt to reach a host: TCP, banner, key exchange, host
 * key, authentication, each under its own deadline (SPEC section 3).
 */
#ifndef SHOAL_CONNECT_H
#define SHOAL_CONNECT_H

#include <stdbool.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include "errkind.h"
#include "host.h"
#include "knownhosts.h"
#include "limiter.h"
#include "options.h"
#include "sshconf.h"

/* What an attempt or a run ended with. */
struct outcome {
	enum err_kind kind;
	enum phase phase;
	char *error; /* malloc'd, printable; NULL when kind is EK_NONE */
};

struct conn {
	ssh_session session;
	int fd;                    /* ours until handed to libssh; -1 under ProxyCommand */
	bool handed;               /* fd given to libssh with SSH_OPTIONS_FD */
	struct limiter_slot limit; /* held from TCP connect to the end of auth */
	struct ssh_callbacks_struct callbacks;
	struct kh_files kh; /* the known_hosts files that decide this host's key */
	char *kh_host;      /* the name looked up in them (HostName), and its port */
	unsigned int kh_port;
	int kh_fd;              /* the lines naming it, handed to libssh for kex, or -1 */
	bool kh_ca;             /* an @cert-authority line names it: its certificate is fetched */
	struct sshconf_host cf; /* the host's ssh_config, evaluated for this attempt */
	bool have_cf;
};

struct connect_params {
	const struct options *opts;
	const char *password; /* NULL: no password auth */
};

/*
 * Bring h from nothing to an authenticated session in c.  Returns 0, or -1
 * with out filled and c released.  Updates h's phase and phase_ms as it goes.
 */
int connect_host(
        struct conn *c, struct host *h, const struct connect_params *p, struct outcome *out);
/*
 * The keepalive interval and count for c's host: ssh_config's
 * ServerAliveInterval / ServerAliveCountMax where it names them, else
 * shoal's defaults (alive.h).
 */
void connect_alive(const struct conn *c, double *interval, int *count);
/* Disconnect and free the session, closing the socket. */
void connect_close(struct conn *c);
/*
 * Release c but the authenticated session, which is returned (its socket
 * with it: close it after ssh_disconnect, as connect_close does).
 */
ssh_session connect_detach(struct conn *c);
/* Set out to kind/phase with a printf-style detail, stored escaped (printable). */
void outcome_set(struct outcome *out, enum err_kind kind, enum phase phase, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void outcome_clear(struct outcome *out);

/* The most of the server's first bytes looked at for its banner. */
#define CONNECT_BANNER_PEEK_MAX 8192

/*
 * The banner phase's verdict on the first n bytes a server sent (peeked,
 * not consumed): 1 when they hold a complete SSH-2 identification line
 * (other lines may come first), 0 when more are needed, -1 with the cause
 * in out (SSH-1 only, HTTP, binary, too long without one; when closed, the
 * server hung up after them: throttled or not SSH).  Pure: the fuzz target
 * calls it too.
 */
int connect_banner_verdict(const char *peek, size_t n, bool closed, struct outcome *out);

/*
 * Wait until fd is ready for events or the deadline (monotonic seconds)
 * passes.  Returns 1 ready, 0 deadline, -1 cancelled (at once, through
 * cancel_fd()).
 */
int connect_wait_fd(int fd, short events, double deadline);
/* The same for a session's socket, also waiting to flush what libssh has queued. */
int connect_wait_session(ssh_session s, double deadline);

#endif

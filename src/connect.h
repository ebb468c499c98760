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
#include "outcome.h"
#include "host.h"
#include "knownhosts.h"
#include "limiter.h"
#include "options.h"
#include "proxycmd.h"
#include "sshconf.h"

enum transport { TRANSPORT_TCP, TRANSPORT_PROXY, TRANSPORT_JUMP };

struct jump_link;

struct conn {
	ssh_session session;
	int fd;                    /* ours until handed to libssh */
	bool handed;               /* fd given to libssh with SSH_OPTIONS_FD */
	enum transport transport;  /* what fd is: a TCP socket or a socketpair end */
	struct proxycmd proxy;     /* TRANSPORT_PROXY: the command */
	struct jump_link *link;    /* TRANSPORT_JUMP: the channel through the last hop */
	struct limiter_slot limit; /* held from TCP connect to the end of auth */
	struct ssh_callbacks_struct callbacks;
	struct kh_files kh; /* the known_hosts files that decide this host's key */
	char *kh_host;      /* the name looked up in them (HostName), and its port */
	unsigned int kh_port;
	int kh_fd;               /* the lines naming it, handed to libssh for kex, or -1 */
	bool kh_ca;              /* an @cert-authority line names it: its certificate is fetched */
	unsigned char *hostcert; /* the server's certificate, when it was judged */
	size_t hostcert_len;
	struct sshconf_host cf; /* the host's ssh_config, evaluated for this attempt */
	bool have_cf;
};

struct connect_params {
	const struct options *opts;
	const char *password; /* NULL: no password auth */
	/*
	 * The jump hosts to go through, ProxyJump's syntax, over ssh_config's
	 * ProxyJump and ProxyCommand ("none": direct); NULL: ssh_config's.
	 * A target's is -J; a chain's later hop's, the hops before it (as ssh
	 * -J a,b gives -J a to b); a first hop's, NULL.
	 */
	const char *jump;
};

/*
 * h's final settings (sshconf_resolve), the one place its login is decided:
 * user@host:port or an inventory's ansible_user/port over -l/-p over
 * ssh_config; ssh_config is evaluated for the inventory's address
 * (ansible_host) when it gives one.  jump: as connect_params's.  Returns 0,
 * or -1 with *err set.
 */
int connect_eval(const struct host *h, const struct options *o, const char *jump,
        struct sshconf_host *cf, char **err);
/*
 * Bring h from nothing to an authenticated session in c.  Returns 0, or -1
 * with out filled and c released.  Opens each of h's phases with host_phase.
 */
int connect_host(
        struct conn *c, struct host *h, const struct connect_params *p, struct outcome *out);
/*
 * Only h's settings, resolved into c->cf (c zeroed, or as connect_host
 * made it; jump as connect_params's): a warm run's request needs it.  Returns 0, or
 * -1 with out filled.  Free with connect_config_free.
 */
int connect_config(struct conn *c, const struct host *h, const struct options *o, const char *jump,
        struct outcome *out);
void connect_config_free(struct conn *c);
/*
 * The keepalive interval and count for c's host: ssh_config's
 * ServerAliveInterval / ServerAliveCountMax where it names them, else
 * shoal's defaults (alive.h).
 */
void connect_alive(const struct conn *c, double *interval, int *count);
/*
 * The trust decision a fresh connection makes on its server's key, made
 * again on a kept session's key (key_type and key_b64 as ssh exports
 * them; cert, clen: the host certificate its connection judged, or NULL)
 * under h's ssh_config cf as it is now evaluated: every known_hosts file
 * it names, @cert-authority and @revoked lines, RevokedHostKeys, the
 * policy.  Returns 0 when the key is trusted, else -1 with out set as the
 * fresh connection's would be.
 */
int connect_trust_kept(struct host *h, const struct options *o, const struct sshconf_host *cf,
        const char *key_type, const char *key_b64, const unsigned char *cert, size_t clen,
        struct outcome *out);
/* Disconnect and free the session, closing the socket. */
void connect_close(struct conn *c);
/*
 * Release c but the authenticated session, which is returned (its socket
 * with it: close it after ssh_disconnect, as connect_close does).
 */
ssh_session connect_detach(struct conn *c);
/* The server's text before its SSH- line, kept for the messages that quote it. */
struct connect_banner_seen {
	char first[512]; /* its first line */
	size_t first_len;
	unsigned lines; /* complete lines before the banner so far */
};
/*
 * The banner phase on the bytes peeked so far (not consumed), as OpenSSH's
 * client takes them: 1 when an SSH-2 line starts at *skip; 0 when more is
 * needed, *skip the complete lines before it (the caller consumes them);
 * -1 with out set when the server is not SSH.  Pure: the fuzz target calls
 * it too.
 */
int connect_banner_scan(const char *peek, size_t n, struct connect_banner_seen *bs, size_t *skip,
        struct outcome *out);
/* The server hung up after text and no banner: throttled, or not SSH. */
void connect_banner_closed(
        const struct connect_banner_seen *bs, const char *data, size_t n, struct outcome *out);
/*
 * After a run over a jump host: when the jump session died under it, the
 * hop's reason goes in front of a `lost` detail ("via bastion1: ...").
 */
void connect_note_via(struct conn *c, struct outcome *out);

#endif

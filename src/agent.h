/*
 * agent.h - the ssh-agent, spoken to directly: its keys in its order, and a
 * stand-in agent that lets libssh see one chosen key at a time.
 */
#ifndef SHOAL_AGENT_H
#define SHOAL_AGENT_H

#include <libssh/libssh.h>
#include <stddef.h>

struct agent_key {
	char *blob64;  /* the public key or certificate blob, base64 */
	char *type;    /* its key type name, e.g. "ssh-ed25519" */
	char *comment; /* as the agent gives it: not yet printable */
	/* For a certificate shoal shows in place of an agent key (not one the
	 * agent listed): that key's blob, which the agent is asked to sign with. */
	char *sign_blob64;
};

/*
 * The keys the agent at sock holds, in its order, asked before deadline
 * (monotonic seconds).  Returns 0 with *keys (free with agent_keys_free), or
 * -1 with errno set when the agent cannot be asked.
 */
int agent_list(const char *sock, double deadline, struct agent_key **keys, size_t *n);
void agent_keys_free(struct agent_key *keys, size_t n);

/*
 * libssh 0.10 can only offer all of an agent's keys, in the agent's order
 * (ssh_userauth_agent).  A proxy is a socket handed to s as its agent, served
 * by a thread of its own: it answers libssh's identity requests with the one
 * key shown, and passes sign requests on to the real agent at sock.
 */
struct agent_proxy;
/* NULL when it cannot be set up (errno set). */
struct agent_proxy *agent_proxy_start(ssh_session s, const char *sock);
/*
 * The key libssh's next ssh_userauth_agent will see (a copy is kept); a
 * certificate with sign_blob64 is signed by the agent's key of that blob.
 */
void agent_proxy_show(struct agent_proxy *p, const struct agent_key *k);
/* End the thread; s keeps (and later closes) its own end of the socket. */
void agent_proxy_stop(struct agent_proxy *p);

/*
 * Agent forwarding (ssh -A) on s: the auth-agent@openssh.com channels the
 * server opens after a session channel asked for forwarding
 * (ssh_channel_request_auth_agent) are accepted and relayed to the agent at
 * sock.  It replaces s's session callbacks (the login's, no longer needed)
 * until agent_forward_stop, which closes the channels left.  Served while
 * the session's thread handles packets.
 */
struct agent_forward;
struct agent_forward *agent_forward_start(ssh_session s, const char *sock);
void agent_forward_stop(struct agent_forward *f); /* NULL: nothing */

#endif

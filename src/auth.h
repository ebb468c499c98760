/*
 * auth.h - client authentication of one session, as ssh does it: methods in
 * PreferredAuthentications order, keys in ssh's order, under one deadline.
 */
#ifndef SHOAL_AUTH_H
#define SHOAL_AUTH_H

#include <libssh/libssh.h>
#include <stdbool.h>
#include <stddef.h>

#include "outcome.h"

struct auth_identity {
	const char *path; /* a private key file, ~ and %-tokens already expanded */
	bool user_given;  /* from -i or IdentityFile (a missing one is then noted) */
};

/*
 * Everything authentication needs to know, and the only input it reads: the
 * caller fills it from the command line and ssh_config (ssh_config(5) names
 * in the comments).  Strings are borrowed for the call.
 */
struct auth_config {
	/* -i files first, then IdentityFile lines, in order, or ssh's default
	 * list when none was given (sshconf_resolve decides it). */
	const struct auth_identity *identities;
	size_t nidentities;
	const char *const *certificates; /* CertificateFile, in order */
	size_t ncertificates;
	bool identities_only;  /* IdentitiesOnly: no agent key unless it is an identity's */
	const char *agent;     /* the agent's socket (IdentityAgent, else SSH_AUTH_SOCK);
	                          NULL: no agent */
	bool pubkey;           /* PubkeyAuthentication */
	bool kbdint;           /* KbdInteractiveAuthentication */
	bool password;         /* PasswordAuthentication */
	const char *preferred; /* PreferredAuthentications; NULL: ssh's default */
	const char *secret;    /* the run's password (--password-env, --ask-password), or NULL */
	double timeout;        /* --auth-timeout, seconds */
};

/*
 * Authenticate s (key exchange done, host key checked) non-blocking under
 * ac->timeout.  Returns 0, or -1 with out filled (auth_denied, auth_timeout,
 * cancelled); alias names the host in log lines.
 */
int auth_login(ssh_session s, const char *alias, const struct auth_config *ac, struct outcome *out);

#endif

/*
 * authconf.h - TEMPORARY: the ssh_config keywords authentication needs and
 * libssh 0.10 does not give back (IdentitiesOnly, CertificateFile, the
 * *Authentication switches, PreferredAuthentications, IdentityAgent, every
 * IdentityFile).  To be replaced by shoal's own ssh_config evaluator
 * (sshconf.c) filling struct auth_config directly.
 */
#ifndef SHOAL_AUTHCONF_H
#define SHOAL_AUTHCONF_H

#include <stddef.h>

/* What the %-tokens of file names stand for, for one session. */
struct authconf_tokens {
	const char *host;  /* %h: HostName, or NULL for the alias */
	const char *user;  /* %r: the remote user */
	unsigned int port; /* %p */
};

struct authconf {
	char **identity_files; /* ~ and %d %u %h %n %r %p %% expanded */
	size_t nidentity_files;
	char **certificate_files;
	size_t ncertificate_files;
	int identities_only; /* -1: not said; else 0/1 */
	int pubkey, kbdint, password;
	char *preferred;      /* or NULL */
	char *identity_agent; /* as written, or NULL */
};

/*
 * What ssh_config (path: NULL for ~/.ssh/config then /etc/ssh/ssh_config;
 * "none": nothing) says for alias: Host patterns (*, ?, !) matched against
 * the alias, the first value of a keyword wins, Include followed, Match
 * blocks taken as not matching.  Files are read once per run.  Any thread.
 */
void authconf_get(
        const char *path, const char *alias, const struct authconf_tokens *t, struct authconf *ac);
void authconf_clear(struct authconf *ac);
void authconf_free(void);

#endif

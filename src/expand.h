/*
 * expand.h - OpenSSH's expansions of a configured value: a leading ~ (the
 * user's or a named user's home), ${VAR} from the environment and the %
 * tokens (%% always; the others as the caller's table gives them).  The one
 * expander of ssh_config values and known_hosts file names.
 */
#ifndef SHOAL_EXPAND_H
#define SHOAL_EXPAND_H

struct expand_tokens {
	const char *home;   /* what ~ and ~/ stand for; NULL: ~ left as written */
	const char *v[128]; /* v['h']: what %h stands for; NULL: not a token here */
};

enum { EXPAND_TILDE = 1, EXPAND_ENV = 2 };

/*
 * s expanded (flags: EXPAND_TILDE, EXPAND_ENV; tokens always, when t is not
 * NULL).  NULL with *err (malloc'd) on an unknown % token, an unset
 * variable or an unknown ~user, as ssh refuses them.
 */
char *expand_string(const char *s, const struct expand_tokens *t, unsigned flags, char **err);

#endif

/*
 * test-sshconf.c - sshconf_apply hands libssh only part of a big ssh_config:
 * for every alias the session must end up with exactly the options a whole
 * ssh_options_parse_config gives, on configs that exercise libssh 0.10's
 * matching (HostName replacing the name Host lines match, first value wins,
 * Match, negations, quotes, errors in blocks that do not apply).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "sshconf.h"
#include "tap.h"

/* The options shoal reads back, and the result, as one line. */
static char *
session_summary(ssh_session s, int rc)
{
	char *host = NULL, *user = NULL, *proxy = NULL, *id = NULL, *kh = NULL, *res = NULL;
	unsigned int port = 0;

	ssh_options_get(s, SSH_OPTIONS_HOST, &host);
	ssh_options_get_port(s, &port);
	ssh_options_get(s, SSH_OPTIONS_USER, &user);
	ssh_options_get(s, SSH_OPTIONS_PROXYCOMMAND, &proxy);
	ssh_options_get(s, SSH_OPTIONS_IDENTITY, &id);
	ssh_options_get(s, SSH_OPTIONS_KNOWNHOSTS, &kh);
	if (asprintf(&res, "rc=%d host=%s port=%u user=%s proxy=%s id=%s kh=%s", rc,
	            host ? host : "-", port, user ? user : "-", proxy ? proxy : "-", id ? id : "-",
	            kh ? kh : "-") < 0)
		abort();
	ssh_string_free_char(host);
	ssh_string_free_char(user);
	ssh_string_free_char(proxy);
	ssh_string_free_char(id);
	ssh_string_free_char(kh);
	return res;
}

static char *
parsed(const char *path, const char *alias, bool reduced)
{
	ssh_session s = ssh_new();
	char *res;
	int rc;

	ssh_options_set(s, SSH_OPTIONS_HOST, alias);
	rc = reduced ? sshconf_apply(s, path, alias) : ssh_options_parse_config(s, path);
	res = session_summary(s, rc);
	ssh_free(s);
	return res;
}

/* Write text to a file and compare both ways of reading it for each alias. */
static void
same_as_libssh(const char *name, const char *text, const char *const *aliases)
{
	char path[] = "/tmp/shoal-test-sshconf.XXXXXX", desc[200];
	int fd = mkstemp(path);
	size_t i;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	for (i = 0; aliases[i] != NULL; i++) {
		char *whole = parsed(path, aliases[i], false);
		char *part = parsed(path, aliases[i], true);

		snprintf(desc, sizeof desc, "sshconf_apply: %s: %s as libssh reads it", name,
		        aliases[i]);
		is_str(part, whole, desc);
		free(whole);
		free(part);
	}
	sshconf_free();
	unlink(path);
}

int
main(void)
{
	static const char *const names[] = {"a1", "zz", "web1", "web3", "db1", "x1.prod", "eq1",
	        "quoted", "b1", "c1", "cc", "e1", "nothing", "WEB1", NULL};

	ssh_init();
	same_as_libssh("patterns and HostName",
	        "User globaluser\n"
	        "Host a1\n  HostName zz\nHost zz\n  Port 2222\n  User uz\nHost a1\n  User ua\n"
	        "Host web*,db?  !web3\n  Port 33\n"
	        "Host *.prod\n  HostName %h.example.com\nHost x1.prod.example.com\n  Port 44\n"
	        "Host web1\n  ProxyCommand nc %h %p\n  IdentityFile /tmp/idw\n"
	        "Host=eq1\n  Port 55\nHost \"quoted\"\n  Port 66\n"
	        "Host b1\n  HostName h-%h\nHost h-b1\n  Port 2\n"
	        "Host c1\n  HostName cc\nMatch host cc\n  HostName dd\nHost dd\n  User udd\n"
	        "Host cc\n  User ucc\n"
	        "Host e1\n  Hostname 10.0.0.5\nHost 10.0.0.*\n  Port 10\n  User tenuser\n"
	        "Match host zz\n  UserKnownHostsFile /tmp/kh_zz\n"
	        "Host *\n  IdentityFile /tmp/id_all\n",
	        names);
	same_as_libssh("an error in a block that does not apply",
	        "Host other\n  ProxyJump\nHost a1\n  Port 7\n", names);
	same_as_libssh("Include", "Include /nonexistent/shoal\nHost a1\n  Port 7\n", names);
	ssh_finalize();
	return done_testing();
}

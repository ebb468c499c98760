/*
 * test-sshconf.c - shoal's own ssh_config evaluator on configs where libssh
 * 0.10 and shoal's former policy reader went wrong: Match user with the
 * command line's user, patterns as ssh reads them ('[' is no wildcard, a
 * comma is no separator on Host lines), first value wins, several known_hosts
 * files, algorithm lists with + - ^, errors naming file:line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sshconf.h"
#include "tap.h"

static char path[] = "/tmp/shoal-test-sshconf.XXXXXX";

static int
load(const char *text)
{
	int fd;

	sshconf_free();
	strcpy(path, "/tmp/shoal-test-sshconf.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	fd = sshconf_load(path);
	unlink(path);
	return fd;
}

static struct sshconf_host cf;

static void
eval(const char *alias, const char *user, int port)
{
	char *err = NULL;

	sshconf_host_free(&cf);
	if (sshconf_eval(alias, user, port, NULL, 0, &cf, &err) < 0) {
		printf("# eval %s: %s\n", alias, err);
		free(err);
		memset(&cf, 0, sizeof cf);
	}
}

int
main(void)
{
	char want[512];

	ok(load("Match user deploy\n  Port 2200\nHost *\n  Port 22\n") == 0, "loads");
	eval("web1", "deploy", 0);
	ok((cf.port) == (2200), "Match user sees the command line's user");
	eval("web1", "other", 0);
	ok((cf.port) == (22), "Match user: another user skips the block");

	load("Host web[12]\n  StrictHostKeyChecking no\nHost db*,cache*\n  Port 7\n"
	     "Host db* cache*\n  User dbuser\n");
	eval("web1", NULL, 0);
	ok((cf.strict_host_key_checking) == (SSHCONF_STRICT_ASK), "'[' is no wildcard in ssh");
	ok((sshconf_policy(&cf)) == (HOSTKEY_POLICY_STRICT), "so web1 stays strict");
	eval("cache3", NULL, 0);
	ok((cf.port) == (22), "a comma on a Host line is part of the pattern");
	is_str(cf.user, "dbuser", "space-separated Host patterns each match");

	load("Host a\n  HostName first.example\n  UserKnownHostsFile /k1 /k2\nHost *\n"
	     "  HostName second\n  UserKnownHostsFile /k3\n  KexAlgorithms "
	     "+diffie-hellman-group14-sha1\n"
	     "  HostKeyAlgorithms ^ssh-rsa\n  MACs -hmac-sha1*\n");
	eval("a", NULL, 0);
	is_str(cf.hostname, "first.example", "the first HostName wins");
	ok(((long)cf.user_known_hosts_files.n) == (2), "every UserKnownHostsFile file is kept");
	ok(strstr(cf.kex_algorithms, ",diffie-hellman-group14-sha1") != NULL, "Kex + appends");
	ok(strncmp(cf.host_key_algorithms, "ssh-rsa,", 8) == 0, "HostKeyAlgorithms ^ puts first");
	ok(strstr(cf.macs, "hmac-sha1") == NULL, "MACs - removes a pattern");

	ok((load("Host x\n  Frobnicate yes\n")) == (2), "an unknown keyword is an error");
	ok((load("IgnoreUnknown frob*\nHost x\n  Frobnicate yes\n")) == (0),
	        "unless IgnoreUnknown");
	ok((load("Port notanumber\n")) == (2), "a bad port is an error");
	ok((load("Match nonsense x\n")) == (2), "a bad Match is an error");
	ok((load("Host x\n  HostName %z\n")) == (0),
	        "an unknown token on a line no host may use yet is no error at load, as in ssh");
	eval("x", NULL, 0);
	ok(cf.host == NULL, "the host that uses it cannot be configured");
	eval("y", NULL, 0);
	ok(cf.host != NULL, "another host can");

	/* Expansions ssh -G does not print, so t0210 cannot compare them. */
	load("Host pc\n  HostName Real.%h\n  User u1\n  Port 2200\n"
	     "  ProxyCommand exec nc %h %p %r %n 100%%\n  IdentityFile ~/k-%h-%r-%p\n");
	eval("pc", NULL, 0);
	is_str(cf.proxy_command_expanded, "exec nc real.pc 2200 u1 pc 100%",
	        "ProxyCommand: %h %p %r %n %% as ssh expands them");
	snprintf(want, sizeof want, "%s/k-real.pc-u1-2200", sshconf_home());
	ok(cf.identity_paths.n == 1 && strcmp(cf.identity_paths.v[0], want) == 0,
	        "IdentityFile: ~ and tokens expanded for use");
	is_str(cf.identity_files.v[0], "~/k-%h-%r-%p", "and kept as written for -G");

	sshconf_host_free(&cf);
	sshconf_free();
	return done_testing();
}

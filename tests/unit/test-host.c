/*
 * test-host.c - unit tests of the names output gives hosts: distinct for
 * hosts that share an alias, safe as file names, readable back as host specs.
 * Prints TAP.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "tap.h"

static void
file_name(const char *name, const char *want)
{
	char *got = host_file_name(name), desc[200];

	snprintf(desc, sizeof desc, "file name of '%s' is '%s'", name, want);
	is_str(got, want, desc);
	free(got);
}

static void
spec(const char *alias, const char *user, int port, const char *want)
{
	char *got = host_spec_string(alias, user, port), desc[200];

	snprintf(desc, sizeof desc, "spec string %s", want);
	is_str(got, want, desc);
	free(got);
}

static void
test_names(void)
{
	struct host *h[6];
	size_t i;

	h[0] = host_new(0, "127.0.0.1", NULL, 0);
	h[1] = host_new(1, "web01", NULL, 0);
	h[2] = host_new(2, "127.0.0.1", NULL, 24114);
	h[3] = host_new(3, "127.0.0.1", "prb", 24113);
	h[4] = host_new(4, "::1", NULL, 22);
	h[5] = host_new(5, "::1", "u", 0);
	host_name_all(h, 6);
	is_str(h[0]->name, "127.0.0.1", "shared alias, no user or port: the alias");
	is_str(h[1]->name, "web01", "an alias of its own: the alias");
	is_str(h[2]->name, "127.0.0.1:24114", "shared alias: the port as written");
	is_str(h[3]->name, "prb@127.0.0.1:24113", "shared alias: user and port as written");
	is_str(h[4]->name, "[::1]:22", "IPv6 with a port: bracketed");
	is_str(h[5]->name, "u@[::1]", "IPv6 without a port: bracketed too");
	for (i = 0; i < 6; i++)
		host_free(h[i]);
}

int
main(void)
{
	test_names();
	file_name("web01", "web01");
	file_name("[::1]:22", "[::1]:22");
	file_name("a/b", "a%2Fb");
	file_name("a%2Fb", "a%252Fb");
	file_name(".", "%2E");
	file_name("..", "%2E%2E");
	file_name("...", "...");
	file_name("", "%");
	spec("web01", NULL, 0, "web01");
	spec("web01", "u", 2222, "u@web01:2222");
	spec("2001:db8::1", NULL, 0, "[2001:db8::1]");
	spec("2001:db8::1", "root", 22, "root@[2001:db8::1]:22");
	return done_testing();
}

/*
 * test-inventory.c - unit tests of inventories: Ansible's range syntax in
 * the one expander, the sources of groups (@SOURCE:NAME, which source @NAME
 * alone finds, a source's own groups first inside it), an inventory's
 * values given to a host however it is named, and Ansible's variable
 * precedence on a small INI file.  Prints TAP.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "groups.h"
#include "hostlist.h"
#include "inventory.h"
#include "render.h"
#include "tap.h"

static void
ansible(const char *name, const char *want)
{
	struct hostlist hl;
	char *err = NULL, *got, desc[256];

	hostlist_init(&hl);
	snprintf(desc, sizeof desc, "Ansible pattern '%s'", name);
	if (hostlist_add_ansible(&hl, name, NULL, 0, NULL, "f:1", &err) < 0) {
		is_str(err, want, desc);
		free(err);
	} else {
		got = render(&hl);
		is_str(got, want, desc);
		free(got);
	}
	hostlist_free(&hl);
}

static void
test_ranges(void)
{
	ansible("web[01:03]", "web01 web02 web03");
	ansible("web[1:3].dc", "web1.dc web2.dc web3.dc");
	ansible("db-[a:c]", "db-a db-b db-c");
	ansible("x[A:C]", "xA xB xC");
	ansible("n[01:09:4]", "n01 n05 n09");
	ansible("n[1:10:3]", "n1 n4 n7 n10");
	ansible("n[:2]", "n0 n1 n2");
	ansible("r[1:2]-[a:b]", "r1-a r1-b r2-a r2-b");
	ansible("plain", "plain");
	ansible("w[5:1]", "f:1: range 'w[5:1]' runs backwards");
	ansible("w[01:100]", "f:1: range 'w[01:100]' has a zero-padded start and an end of "
	                     "another width");
	ansible("w[a:F]", "f:1: letters of both cases in range in 'w[a:F]'");
	ansible("w[1-3]", "f:1: range without ':' in 'w[1-3]' (Ansible's [BEG:END[:STEP]])");
	ansible("w[1:3:0]", "f:1: bad step in range in 'w[1:3:0]'");
	ansible("w[1:x]", "f:1: bad range in 'w[1:x]' (Ansible's [BEG:END[:STEP]], numbers or "
	                  "letters)");
	ansible("-w1", "f:1: host name '-w1' starts with '-' (ssh refuses such names)");
}

static char *
expand(const char *expr)
{
	struct hostlist hl;
	char *err = NULL, *got;

	hostlist_init(&hl);
	if (hostlist_add_expr(&hl, expr, "-w", &err) < 0)
		got = err;
	else
		got = render(&hl);
	hostlist_free(&hl);
	return got;
}

static void
check(const char *expr, const char *want, const char *desc)
{
	char *got = expand(expr);

	is_str(got, want, desc);
	free(got);
}

static void
put(const char *source, const char *group, const char *alias, const char *user, int port,
        const char *addr)
{
	struct hostspec h = {.alias = (char *)(uintptr_t)alias,
	        .user = (char *)(uintptr_t)user,
	        .port = port,
	        .addr = (char *)(uintptr_t)addr};

	groups_put_host(groups_define(source, true, group, "inv:1"), &h);
}

static void
test_sources(void)
{
	char *err = NULL;

	hostlist_set_groups(groups_expand);
	put("ansible", "web", "w1", "deploy", 2222, "10.0.0.1");
	put("ansible", "web", "w2", NULL, 0, NULL);
	put("genders", "web", "g1", NULL, 0, NULL);
	put("genders", "rack=a", "g1", NULL, 0, NULL);
	ok(groups_put_expr("cs", true, "all", "@compute,x9", "cs.yaml:2", &err) == 0 &&
	                groups_put_expr("cs", true, "compute", "c[1-2]", "cs.yaml:3", &err) == 0 &&
	                groups_put_expr("other", false, "compute", "o1", "o.yaml:1", &err) == 0,
	        "ClusterShell-like groups defined");
	ok(groups_put_expr("cs", true, "compute", "c3", "cs.yaml:9", &err) < 0,
	        "a group defined twice");
	is_str(err,
	        "cs.yaml:9: group 'compute' of source 'cs' is defined again (first at cs.yaml:3)",
	        "...is an error naming both places");
	free(err);

	check("@web", "deploy@w1:2222=10.0.0.1 w2",
	        "@NAME: the first source given that defines it");
	check("@genders:web", "g1", "@SOURCE:NAME: that source's");
	check("@rack=a", "g1", "a genders ATTR=VALUE name");
	check("@cs:all", "c1 c2 x9", "inside a source's group, @NAME is its own source's first");
	check("@compute", "c1 c2", "@NAME alone does not find a source that asks to be named");
	check("@other:compute", "o1", "...which @SOURCE:NAME does");
	check("@nosuch:web",
	        "-w: unknown group source in '@nosuch:web' (no --inventory gives a "
	        "source 'nosuch')",
	        "an unknown source");
	check("@bad:na me", "-w: bad group name in '@bad:na me'", "a bad name");

	hostlist_set_vars(groups_host_vars);
	check("w1,w1", "deploy@w1:2222=10.0.0.1",
	        "a host named by -w gets its inventory's values, once");
	check("root@w1,w1:22", "root@w1:2222=10.0.0.1 deploy@w1:22=10.0.0.1",
	        "user@ and :port written win, the rest is the inventory's");
	check("@web,w1", "deploy@w1:2222=10.0.0.1 w2",
	        "the group's host and the named one are one");
	hostlist_set_vars(NULL);
	groups_free();
}

static void
test_ansible_precedence(void)
{
	char path[] = "/tmp/test-inventory-XXXXXX";
	int fd = mkstemp(path);
	char *err = NULL;
	FILE *fp;

	ok(fd >= 0, "a temporary inventory");
	fp = fdopen(fd, "w");
	/* What ansible-inventory --list gives for it is in the checks below. */
	fputs("h9\nh0\n"
	      "[a]\nh1 ansible_port=1001\nh2\n"
	      "[a:vars]\nansible_user=ua\n"
	      "[b:children]\na\n"
	      "[b]\nh3 ansible_ssh_user=old ansible_user=new\n"
	      "[b:vars]\nansible_user=ub\nansible_port=2002\nansible_host=10.9.9.9\n"
	      "[all:vars]\nansible_user=uall\n"
	      "[zz]\nh0\n[zz:vars]\nansible_user=uzz\n"
	      "[c]\nh0\n[c:vars]\nansible_user=uc\n",
	        fp);
	fclose(fp);
	is_str(inventory_load(path, &err) == 0 ? "loaded" : err, "loaded",
	        "the INI inventory loads");
	free(err);
	check("@all", "uall@h9 uzz@h0 ua@h1:1001=10.9.9.9 ua@h2:2002=10.9.9.9 new@h3:2002=10.9.9.9",
	        "host over child group over parent group over all; same depth: the later name");
	check("@ungrouped", "uall@h9", "hosts before any section are ungrouped");
	check("@b", "ua@h1:1001=10.9.9.9 ua@h2:2002=10.9.9.9 new@h3:2002=10.9.9.9",
	        "a group has its children's hosts");
	unlink(path);
	groups_free();
}

int
main(void)
{
	char dir[] = "/tmp/test-inventory-home-XXXXXX";

	/* No real groups file may be read. */
	if (mkdtemp(dir) == NULL)
		return 1;
	setenv("HOME", dir, 1);
	setenv("SHOAL_SYSCONFDIR", dir, 1);
	test_ranges();
	test_sources();
	test_ansible_precedence();
	rmdir(dir);
	return done_testing();
}

/*
 * sshconf.h - what shoal reads of ssh_config itself: the StrictHostKeyChecking
 * answers libssh cannot give back (it has no getter, and shoal's default host
 * key policy follows it, SPEC section 1), and the parts of a big file that
 * can apply to one host, so libssh need not re-read all of it per session.
 */
#ifndef SHOAL_SSHCONF_H
#define SHOAL_SSHCONF_H

#include <libssh/libssh.h>
#include <stdbool.h>

#include "options.h"

/*
 * Read the StrictHostKeyChecking settings of path (NULL: ~/.ssh/config then
 * /etc/ssh/ssh_config; "none": nothing).  Call once, before threads start.
 */
void sshconf_load(const char *path);
void sshconf_free(void);
/* The policy ssh_config gives alias: yes/ask -> strict, accept-new and no -> accept-new. */
enum hostkey_policy sshconf_policy(const char *alias);
/*
 * Seconds ssh_config keeps alias's connections for later runs: its
 * ControlPersist when ControlMaster is yes, auto or autoask; -1 when it does
 * not.  Read by sshconf_load.
 */
double sshconf_persist(const char *alias);

/*
 * Apply ssh_config to s, whose HOST is already alias: the same as
 * ssh_options_parse_config(s, path) (path NULL: the user's file, then the
 * system's), but libssh parses only the sections of the file that can apply
 * to alias.  Any thread; the first call reads the file.  sshconf_free()
 * forgets it.  Returns 0, or -1 with the error on s.
 */
int sshconf_apply(ssh_session s, const char *path, const char *alias);

/*
 * The local user as libssh 0.10 finds them (the passwd entry, else $HOME for
 * the home), looked up once; NULL when unknown.  Any thread.
 */
const char *sshconf_home(void);
const char *sshconf_ssh_dir(void); /* home/.ssh: libssh's ~/.ssh and %d */
const char *sshconf_login(void);

/*
 * Does ssh_config (path as for sshconf_apply; "none": nothing) name one of
 * keywords (a NULL-terminated list, compared without case) anywhere, in any
 * section, following Include lines?  An Include it cannot follow counts as
 * yes.
 */
bool sshconf_names(const char *path, const char *const *keywords);

#endif

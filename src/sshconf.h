/*
 * sshconf.h - what shoal reads of ssh_config itself: the StrictHostKeyChecking
 * answers libssh cannot give back (it has no getter, and shoal's default host
 * key policy follows it, SPEC section 1), and the parts of a big file that
 * can apply to one host, so libssh need not re-read all of it per session.
 */
#ifndef SHOAL_SSHCONF_H
#define SHOAL_SSHCONF_H

#include <libssh/libssh.h>

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
 * Apply ssh_config to s, whose HOST is already alias: the same as
 * ssh_options_parse_config(s, path) (path NULL: the user's file, then the
 * system's), but libssh parses only the sections of the file that can apply
 * to alias.  Any thread; the first call reads the file.  sshconf_free()
 * forgets it.  Returns 0, or -1 with the error on s.
 */
int sshconf_apply(ssh_session s, const char *path, const char *alias);

#endif

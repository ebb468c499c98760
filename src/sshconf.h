/*
 * sshconf.h - the ssh_config answers libssh cannot give back: libssh reads
 * StrictHostKeyChecking but has no getter for it, and shoal's default host
 * key policy follows it (SPEC section 1).
 */
#ifndef SHOAL_SSHCONF_H
#define SHOAL_SSHCONF_H

#include "options.h"

/*
 * Read the StrictHostKeyChecking settings of path (NULL: ~/.ssh/config then
 * /etc/ssh/ssh_config; "none": nothing).  Call once, before threads start.
 */
void sshconf_load(const char *path);
void sshconf_free(void);
/* The policy ssh_config gives alias: yes/ask -> strict, accept-new and no -> accept-new. */
enum hostkey_policy sshconf_policy(const char *alias);

#endif

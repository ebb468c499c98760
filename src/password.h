/*
 * password.h - the run's one password (--password-env, --ask-password).
 *
 * Read once, before any thread starts.  While it is held the process is not
 * dumpable: no core file, and other users' processes cannot read its memory
 * or /proc files.  The environment variable it came from is wiped in place
 * (/proc/PID/environ shows that block) and removed, so no child (a
 * ProxyCommand) inherits it.  Letting it go wipes its bytes.
 */
#ifndef SHOAL_PASSWORD_H
#define SHOAL_PASSWORD_H

#include "options.h"

/*
 * Read the password the options ask for into *password (NULL when they ask
 * for none).  Returns 0, or 2 with a message on stderr.  Ctrl-C at the
 * prompt ends shoal as the signal would, after giving the terminal back.
 */
int password_get(const struct options *o, char **password);
/* Wipe and free password (NULL is fine); the process is dumpable again as before. */
void password_free(char *password);

#endif

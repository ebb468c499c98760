/*
 * conffile.h - shoal's own files under ~/.config/shoal and /etc/shoal:
 * where they are, and their lines (shoal.conf's `option = value`, groups'
 * `NAME: EXPRESSION`) read with file:line for every message.
 *
 * Single-threaded: used while the options and the host list are built.
 */
#ifndef SHOAL_CONFFILE_H
#define SHOAL_CONFFILE_H

#include <stdbool.h>

/*
 * $HOME/.config/shoal/NAME (the passwd entry's home when HOME is unset), or
 * NULL when there is no home.  Malloc'd.
 */
char *conffile_user_path(const char *name);
/*
 * /etc/shoal/NAME; the directory is $SHOAL_SYSCONFDIR when that is set (for
 * the tests, which must not touch /etc).  Malloc'd.
 */
char *conffile_system_path(const char *name);

/*
 * Call fn for each line of path that holds something: trimmed of blanks at
 * both ends, comment lines ('#' first) and blank lines skipped; where is
 * "path:LINE".  A missing file is no lines unless must_exist.  Stops at
 * fn's first non-zero return and returns it (fn reports its own errors);
 * returns 2 with *errp set (malloc'd, "path:LINE: NUL byte in the line") when
 * the file cannot be read or holds a NUL byte.
 */
int conffile_lines(const char *path, bool must_exist,
        int (*fn)(void *arg, char *line, const char *where), void *arg, char **errp);

#endif

/*
 * inventory.h - other tools' inventories read as they are (--inventory):
 * Ansible INI and YAML, ClusterShell groups, genders, pssh host files.
 *
 * Each reader turns its file into groups of groups.c (one source a format,
 * or ClusterShell's own sources) holding hosts with their connection vars
 * (user, port, address), so @NAME, -g and --list-groups see them and a host
 * connects as the inventory says.
 *
 * Single-threaded: used once, after the options, before the host list.
 */
#ifndef SHOAL_INVENTORY_H
#define SHOAL_INVENTORY_H

#include <yaml.h>

/*
 * Load "[FORMAT:]FILE": FORMAT one of ansible, clustershell, genders, pssh;
 * without it the format is told by the file's content.  "clustershell"
 * alone reads clush's own locations.  Returns 0, or -1 with *errp set
 * (malloc'd, naming file:line).
 */
int inventory_load(const char *spec, char **errp);

/*
 * The one YAML document of path, read by libyaml, into doc (freed with
 * yaml_document_delete).  Returns 0, or -1 with *errp set ("path:LINE:
 * YAML: problem").
 */
int inventory_yaml(const char *path, yaml_document_t *doc, char **errp);

/* The readers (inv-*.c): each returns 0, or -1 with *errp set. */
int inv_ansible_ini(const char *path, char **errp);
int inv_ansible_yaml(const char *path, char **errp);
int inv_clush(const char *path, char **errp);
int inv_genders(const char *path, char **errp);

#endif

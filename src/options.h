/*
 * options.h - the command line.  One table in options.c drives getopt_long,
 * --help, the defaults and the validation messages; options_set applies an
 * option by its long name, for settings that come from elsewhere than argv.
 */
#ifndef SHOAL_OPTIONS_H
#define SHOAL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum hostkey_policy {
	HOSTKEY_POLICY_UNSET,
	HOSTKEY_POLICY_STRICT,
	HOSTKEY_POLICY_ACCEPT_NEW,
	HOSTKEY_POLICY_INSECURE,
};

enum xfer_mode {
	XFER_NONE,  /* run a command */
	XFER_COPY,  /* --copy SRC... DEST: upload */
	XFER_RCOPY, /* --rcopy SRC DEST_DIR: download */
};

/* Where hosts come from, in command-line order. */
struct host_source {
	bool is_file;  /* -H FILE */
	bool is_group; /* -g NAME; else -w EXPR */
	const char *value;
};

struct host_filter {
	const char *pattern;
	bool keep; /* --filter keeps matches, --filter-out drops them */
};

/* A count of hosts, or a percentage of all of them (--batch, --max-fail). */
struct amount {
	int n;
	bool pct;
};

struct options {
	struct host_source *sources;
	size_t nsources;
	const char **excludes;
	size_t nexcludes;
	const char **inventories; /* --inventory [FORMAT:]FILE, in order */
	size_t ninventories;
	struct host_filter *filters;
	size_t nfilters;

	const char *user;
	int port; /* 0: not given */
	const char **identities;
	size_t nidentities;
	const char *ssh_config; /* NULL: ~/.ssh/config; "none": no file */
	const char *jump;       /* -J: the jump hosts of every host; NULL: ssh_config's */
	bool list;
	bool fold;            /* --fold: --list folded */
	bool list_groups;     /* --list-groups */
	double group_timeout; /* a !COMMAND group's deadline */
	bool no_config;       /* --no-config: no shoal.conf read */
	bool print_config;    /* -G: print each host's ssh_config and exit */

	int fanout;
	double connect_timeout;
	bool connect_timeout_set; /* -t given: ssh_config's ConnectTimeout does not count */
	double banner_timeout;
	double kex_timeout;
	double auth_timeout;
	double command_timeout; /* 0: none */
	int retries;
	double backoff_base;
	double backoff_cap;
	int max_startups;     /* 0: auto */
	struct amount *batch; /* --batch: the sizes, the last one repeating; NULL: one batch */
	size_t nbatch;
	struct amount max_fail; /* n < 0: no budget */
	double pause;           /* seconds between batches */

	const char *gateways;      /* --gateways: tree mode through these; NULL: flat */
	const char *gateway_shoal; /* shoal's path on the gateways */
	const char *topology;      /* --topology FILE: ClusterShell's [routes]; NULL: none */
	bool forward_agent;        /* -A: forward the agent, as ssh -A */

	double persist; /* --persist: seconds kept idle; 0: close the keepers; -1: not given */

	const char *password_env;
	const char *password_env_where; /* "FILE:LINE" when shoal.conf gave it, else NULL */
	bool ask_password;
	const char *known_hosts;
	enum hostkey_policy hostkey_policy;
	bool sudo;

	bool send_stdin;
	/*
	 * No command given: each host runs its ssh_config RemoteCommand
	 * (command then only names it); set by main once the hosts are known.
	 */
	bool remote_command;
	bool tty;
	int tui; /* -1: when on a terminal, 0: off, 1: on */
	bool gather;
	bool inline_output;
	bool json;
	bool diff;       /* --diff */
	bool ordered;    /* -L: prefixed lines in host order, at the end */
	bool no_prefix;  /* -N: lines without "HOST: " */
	bool max_status; /* -S: exit with the largest remote exit status */
	bool hold;       /* --hold: the live view waits for q at the end */
	const char *output_dir;
	const char *failed_file;
	bool template; /* replace %h, %H, %u, %p, %i, %% per host */
	int verbosity; /* -1 quiet, 0 normal, >0 verbose */

	enum xfer_mode xfer;
	bool recursive;   /* -R: directories too */
	bool preserve;    /* -P: modification times too */
	char **xfer_srcs; /* --copy: SRC...; --rcopy: the one remote SRC (into argv) */
	size_t nxfer_srcs;
	const char *xfer_dest; /* --copy: remote DEST; --rcopy: local DEST_DIR */

	char *command; /* the words after the options, joined by spaces */
	char **owned;  /* values options_set copied, freed with the options */
	size_t nowned;
};

/*
 * Parse argv into o, over the defaults of shoal.conf (SHOAL_CONFIG, else
 * /etc/shoal/shoal.conf then ~/.config/shoal/shoal.conf; none with
 * --no-config): the command line wins.  On a usage error prints a message naming the option to
 * stderr and returns 2; for --help and --version prints and returns 0 with
 * *done set; else returns 0.
 */
int options_parse(struct options *o, int argc, char **argv, bool *done);
void options_free(struct options *o);
/* Every option at its default (options_parse starts with this). */
void options_init(struct options *o);
/*
 * Apply `name = value` by the option's long name, as the command line would:
 * a repeatable option adds one more, others replace.  value is copied; an
 * option without an argument takes NULL or "yes" (a plain flag also "no").
 * where ("FILE:LINE") begins every message.  Returns 0, or 2 after a message
 * on stderr.
 */
int options_set(struct options *o, const char *name, const char *value, const char *where);

#endif

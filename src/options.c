/*
 * options.c - the option table, getopt_long, --help, validation, defaults.
 *
 * Every option is one row of options_table: its names, its argument's type
 * and range, its default, its help text and where in struct options it is
 * stored (offsetof).  getopt_long's arrays, --help with its defaults and
 * ranges, the validation messages and the defaults themselves are all made
 * from the table, so they cannot drift apart; options_set applies a row by
 * its long name, as a configuration file will.  The default of a row is
 * applied through the same parser as a value given on the command line.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conffile.h"
#include "options.h"
#include "sshconf.h"
#include "template.h"
#include "tui.h"
#include "xmalloc.h"

enum opt_type {
	OT_FLAG,     /* no argument: a bool field becomes true */
	OT_SETINT,   /* no argument: an int field becomes .value */
	OT_COUNT,    /* no argument: an int field counts up from 0 (-v) */
	OT_INT,      /* a whole number in [min, max], or .zero_word for 0 */
	OT_SECONDS,  /* a duration: seconds, > 0 (>= 0 when .value) and at most max */
	OT_AMOUNT,   /* N or N%: a struct amount, N at most max, a percentage at most 100 */
	OT_BATCH,    /* N[%],...: struct amount array at .off, count at .off_n */
	OT_DURATION, /* a duration >= 0: seconds, or with s, m, h or d */
	OT_STRING,   /* a string, refused empty when .what names it */
	OT_CHOICE,   /* one of .choices, stored as an int: index + 1 */
	OT_LIST,     /* repeatable: appended to a const char * array, count at .off_n */
	OT_SOURCE,   /* repeatable: a host source, a file when .value (-w, -H) */
	OT_FILTER,   /* repeatable: a host filter, keeping matches when .value */
	OT_BACKOFF,  /* BASE,CAP: two doubles at .off and .off_n */
	OT_XFER,     /* --copy, --rcopy: .value is the enum xfer_mode */
	OT_ACTION,   /* --help, --version: done in options_parse */
};

struct optdef {
	const char *name;
	char short_name;
	enum opt_type type;
	const char *arg;            /* the argument's name in --help; NULL: takes none */
	size_t off;                 /* the field in struct options */
	size_t off_n;               /* OT_LIST, OT_SOURCE, OT_FILTER: the count; OT_BACKOFF: CAP */
	int value;                  /* OT_SETINT, OT_SOURCE, OT_FILTER, OT_XFER, OT_SECONDS */
	double min, max;            /* OT_INT, OT_AMOUNT, OT_BATCH, OT_SECONDS (max only) */
	const char *zero_word;      /* OT_INT: a word that means 0, e.g. "auto" */
	const char *const *choices; /* OT_CHOICE, NULL-terminated */
	const char *what;           /* OT_STRING: "user name": refused empty */
	const char *def;            /* the default, parsed as a value; NULL: none */
	const char *def_text;       /* --help's default when not def ("none") */
	bool cmdline_only;          /* refused in shoal.conf (as are hosts, actions, --copy) */
	int excl;                   /* rows of one excl > 0 exclude each other: set on the
	                               command line, one hides the others' shoal.conf lines */
	const char *group;
	const char *help;
};

enum { EXCL_OUTPUT = 1, EXCL_PASSWORD };

#define OFF(field)          offsetof(struct options, field)
#define FIELD(o, off, type) ((type *)(void *)((char *)(o) + (off)))

static const char group_hosts[] = "Host selection";
static const char group_resilience[] = "Parallelism and resilience";
static const char group_trust[] = "Authentication and trust";
static const char group_output[] = "Running and output";
static const char group_tree[] = "Tree mode (through gateways that run shoal)";

static const char *const policy_names[] = {"strict", "accept-new", "insecure", NULL};
_Static_assert(HOSTKEY_POLICY_STRICT == 1 && HOSTKEY_POLICY_ACCEPT_NEW == 2 &&
                       HOSTKEY_POLICY_INSECURE == 3 && sizeof(enum hostkey_policy) == sizeof(int),
        "--host-key-policy's choices are stored as index + 1 in an int");

static const struct optdef options_table[] = {
        {.name = "hosts",
                .short_name = 'w',
                .type = OT_SOURCE,
                .arg = "EXPR",
                .off = OFF(sources),
                .off_n = OFF(nsources),
                .value = 0,
                .group = group_hosts,
                .help = "host expression, e.g. web[01-20],db1 (repeatable; - reads stdin)"},
        {.name = "hostfile",
                .short_name = 'H',
                .type = OT_SOURCE,
                .arg = "FILE",
                .off = OFF(sources),
                .off_n = OFF(nsources),
                .value = 1,
                .group = group_hosts,
                .help = "read host expressions from FILE, one a line (repeatable)"},
        {.name = "group",
                .short_name = 'g',
                .type = OT_SOURCE,
                .arg = "NAME",
                .off = OFF(sources),
                .off_n = OFF(nsources),
                .value = 2,
                .group = group_hosts,
                .help = "the hosts of group NAME, as the item @NAME (repeatable)"},
        {.name = "exclude",
                .short_name = 'x',
                .type = OT_LIST,
                .arg = "EXPR",
                .off = OFF(excludes),
                .off_n = OFF(nexcludes),
                .cmdline_only = true,
                .group = group_hosts,
                .help = "drop these hosts (repeatable)"},
        {.name = "filter",
                .type = OT_FILTER,
                .arg = "REGEX",
                .off = OFF(filters),
                .off_n = OFF(nfilters),
                .value = 1,
                .group = group_hosts,
                .help = "keep only hosts whose name matches a PCRE2 pattern"},
        {.name = "filter-out",
                .type = OT_FILTER,
                .arg = "REGEX",
                .off = OFF(filters),
                .off_n = OFF(nfilters),
                .value = 0,
                .group = group_hosts,
                .help = "drop hosts whose name matches a PCRE2 pattern"},
        {.name = "user",
                .short_name = 'l',
                .type = OT_STRING,
                .arg = "USER",
                .off = OFF(user),
                .what = "user name",
                .group = group_hosts,
                .help = "login user for every host"},
        {.name = "port",
                .short_name = 'p',
                .type = OT_INT,
                .arg = "PORT",
                .off = OFF(port),
                .min = 1,
                .max = 65535,
                .group = group_hosts,
                .help = "port for every host"},
        {.name = "identity",
                .short_name = 'i',
                .type = OT_LIST,
                .arg = "FILE",
                .off = OFF(identities),
                .off_n = OFF(nidentities),
                .group = group_hosts,
                .help = "private key to offer (repeatable)"},
        {.name = "ssh-config",
                .short_name = 'F',
                .type = OT_STRING,
                .arg = "FILE",
                .off = OFF(ssh_config),
                .group = group_hosts,
                .help = "ssh_config file (default ~/.ssh/config; 'none' reads none)"},
        {.name = "jump",
                .short_name = 'J',
                .type = OT_STRING,
                .arg = "HOP[,HOP...]",
                .off = OFF(jump),
                .what = "jump host list",
                .group = group_hosts,
                .help = "reach every host through these jump hosts, as ssh -J ('none': direct)"},
        {.name = "forward-agent",
                .short_name = 'A',
                .type = OT_FLAG,
                .off = OFF(forward_agent),
                .group = group_hosts,
                .help = "forward the ssh-agent to the hosts shoal logs in to (in tree mode, the "
                        "gateways), as ssh -A"},
        {.name = "list",
                .type = OT_FLAG,
                .off = OFF(list),
                .cmdline_only = true,
                .group = group_hosts,
                .help = "print the final host list and exit without connecting"},
        {.name = "fold",
                .type = OT_FLAG,
                .off = OFF(fold),
                .cmdline_only = true,
                .group = group_hosts,
                .help = "with --list: print the list folded into ranges, as nodeset -f"},
        {.name = "print-config",
                .short_name = 'G',
                .type = OT_FLAG,
                .off = OFF(print_config),
                .cmdline_only = true,
                .group = group_hosts,
                .help = "print each host's ssh_config as ssh -G does and exit without connecting"},
        {.name = "inventory",
                .type = OT_LIST,
                .arg = "[FORMAT:]FILE",
                .off = OFF(inventories),
                .off_n = OFF(ninventories),
                .group = group_hosts,
                .help = "load an inventory's groups and hosts: ansible, clustershell, genders, "
                        "pssh (repeatable; format told by content)"},
        {.name = "list-groups",
                .type = OT_FLAG,
                .off = OFF(list_groups),
                .cmdline_only = true,
                .group = group_hosts,
                .help = "print every group with its hosts, folded, and exit"},
        {.name = "group-timeout",
                .type = OT_SECONDS,
                .arg = "SEC",
                .off = OFF(group_timeout),
                .max = 1e7,
                .def = "30",
                .group = group_hosts,
                .help = "deadline of a group's !COMMAND (dynamic inventory)"},
        {.name = "no-config",
                .type = OT_FLAG,
                .off = OFF(no_config),
                .cmdline_only = true,
                .group = group_hosts,
                .help = "read no shoal.conf (the command line alone sets options)"},

        {.name = "fanout",
                .short_name = 'f',
                .type = OT_INT,
                .arg = "N",
                .off = OFF(fanout),
                .min = 1,
                .max = 4096,
                .def = "64",
                .group = group_resilience,
                .help = "hosts in flight at once"},
        {.name = "connect-timeout",
                .short_name = 't',
                .type = OT_SECONDS,
                .arg = "SEC",
                .off = OFF(connect_timeout),
                .max = 1e7,
                .def = "10",
                .group = group_resilience,
                .help = "TCP connect deadline, per attempt"},
        {.name = "banner-timeout",
                .type = OT_SECONDS,
                .arg = "SEC",
                .off = OFF(banner_timeout),
                .max = 1e7,
                .def = "15",
                .group = group_resilience,
                .help = "from TCP connected to the server's SSH- line"},
        {.name = "kex-timeout",
                .type = OT_SECONDS,
                .arg = "SEC",
                .off = OFF(kex_timeout),
                .max = 1e7,
                .def = "15",
                .group = group_resilience,
                .help = "from the banner to keys exchanged"},
        {.name = "auth-timeout",
                .type = OT_SECONDS,
                .arg = "SEC",
                .off = OFF(auth_timeout),
                .max = 1e7,
                .def = "30",
                .group = group_resilience,
                .help = "authentication, all methods together"},
        {.name = "command-timeout",
                .short_name = 'u',
                .type = OT_SECONDS,
                .arg = "SEC",
                .off = OFF(command_timeout),
                .max = 1e7,
                .def_text = "none",
                .group = group_resilience,
                .help = "kill the remote command after SEC seconds"},
        {.name = "retries",
                .short_name = 'r',
                .type = OT_INT,
                .arg = "N",
                .off = OFF(retries),
                .min = 0,
                .max = 100,
                .def = "3",
                .group = group_resilience,
                .help = "extra attempts for transient connect failures"},
        {.name = "backoff",
                .type = OT_BACKOFF,
                .arg = "BASE,CAP",
                .off = OFF(backoff_base),
                .off_n = OFF(backoff_cap),
                .max = 1e6,
                .def = "0.5,20",
                .group = group_resilience,
                .help = "exponential backoff with full jitter between attempts"},
        {.name = "max-startups",
                .type = OT_INT,
                .arg = "N|auto",
                .off = OFF(max_startups),
                .min = 1,
                .max = 4096,
                .zero_word = "auto",
                .def = "auto",
                .group = group_resilience,
                .help = "handshakes in flight per address:port"},
        {.name = "batch",
                .type = OT_BATCH,
                .arg = "LIST",
                .off = OFF(batch),
                .off_n = OFF(nbatch),
                .min = 1,
                .max = 1000000,
                .def_text = "one batch",
                .group = group_resilience,
                .help = "rolling run: batch sizes N or N%, the last repeating (1,10%,25%)"},
        {.name = "max-fail",
                .type = OT_AMOUNT,
                .arg = "N|N%",
                .off = OFF(max_fail),
                .min = 0,
                .max = 1000000,
                .def_text = "none",
                .group = group_resilience,
                .help = "start no new host once more than N (or N% of all) hosts failed"},
        {.name = "pause",
                .type = OT_SECONDS,
                .arg = "SEC",
                .off = OFF(pause),
                .value = 1,
                .max = 1e7,
                .def = "0",
                .group = group_resilience,
                .help = "--batch: wait SEC seconds between batches"},
        {.name = "persist",
                .type = OT_DURATION,
                .arg = "DURATION",
                .off = OFF(persist),
                .max = 1e7,
                .def_text = "ssh_config's ControlPersist, else off",
                .group = group_resilience,
                .help = "keep the sessions for later runs, DURATION idle (10m, 1h; 0 closes them)"},

        {.name = "gateways",
                .type = OT_STRING,
                .arg = "EXPR",
                .off = OFF(gateways),
                .what = "gateway list",
                .group = group_tree,
                .help = "spread the hosts over these gateways, each running shoal for its share"},
        {.name = "gateway-shoal",
                .type = OT_STRING,
                .arg = "PATH",
                .off = OFF(gateway_shoal),
                .what = "path",
                .def = "shoal",
                .group = group_tree,
                .help = "shoal's path on the gateways"},
        {.name = "topology",
                .type = OT_STRING,
                .arg = "FILE",
                .off = OFF(topology),
                .what = "file name",
                .group = group_tree,
                .help = "route hosts through gateways as FILE's [routes] say (ClusterShell's "
                        "format; default: topology.conf beside shoal.conf; none: no file)"},

        {.name = "password-env",
                .type = OT_STRING,
                .arg = "VAR",
                .off = OFF(password_env),
                .what = "variable name",
                .excl = EXCL_PASSWORD,
                .group = group_trust,
                .help = "take the password from environment variable VAR"},
        {.name = "ask-password",
                .type = OT_FLAG,
                .off = OFF(ask_password),
                .excl = EXCL_PASSWORD,
                .group = group_trust,
                .help = "ask for the password once, without echo"},
        {.name = "known-hosts",
                .type = OT_STRING,
                .arg = "FILE",
                .off = OFF(known_hosts),
                .group = group_trust,
                .help = "known_hosts file ('none': no file; default: ssh_config's, else "
                        "~/.ssh/known_hosts)"},
        {.name = "host-key-policy",
                .type = OT_CHOICE,
                .arg = "POLICY",
                .off = OFF(hostkey_policy),
                .choices = policy_names,
                .def_text = "ssh_config's, else strict",
                .group = group_trust,
                .help = "strict, accept-new or insecure"},
        {.name = "sudo",
                .type = OT_FLAG,
                .off = OFF(sudo),
                .group = group_trust,
                .help = "run COMMAND under sudo; its password is the one of --ask-password "
                        "or --password-env"},

        {.name = "stdin",
                .short_name = 'I',
                .type = OT_FLAG,
                .off = OFF(send_stdin),
                .cmdline_only = true,
                .group = group_output,
                .help = "send local stdin to every host's command"},
        {.name = "tty",
                .short_name = 'T',
                .type = OT_FLAG,
                .off = OFF(tty),
                .group = group_output,
                .help = "request a pty on every host"},
        {.name = "tui",
                .type = OT_SETINT,
                .off = OFF(tui),
                .value = 1,
                .group = group_output,
                .help = "the live view even when stdin or stdout is not a terminal"},
        {.name = "no-tui",
                .type = OT_SETINT,
                .off = OFF(tui),
                .value = 0,
                .group = group_output,
                .help = "plain output even on a terminal"},
        {.name = "hold",
                .type = OT_FLAG,
                .off = OFF(hold),
                .group = group_output,
                .help = "the live view stays at the end of the run until q (else it ends by "
                        "itself unless a key was pressed)"},
        {.name = "gather",
                .short_name = 'b',
                .type = OT_FLAG,
                .off = OFF(gather),
                .excl = EXCL_OUTPUT,
                .group = group_output,
                .help = "at the end, group hosts with identical output"},
        {.name = "inline",
                .type = OT_FLAG,
                .off = OFF(inline_output),
                .excl = EXCL_OUTPUT,
                .group = group_output,
                .help = "each host's whole output as one block when it finishes"},
        {.name = "json",
                .type = OT_FLAG,
                .off = OFF(json),
                .excl = EXCL_OUTPUT,
                .group = group_output,
                .help = "one JSON object a line per host"},
        {.name = "diff",
                .type = OT_FLAG,
                .off = OFF(diff),
                .excl = EXCL_OUTPUT,
                .group = group_output,
                .help = "at the end, each output differing from the most common one as a "
                        "unified diff"},
        {.name = "ordered",
                .short_name = 'L',
                .type = OT_FLAG,
                .off = OFF(ordered),
                .excl = EXCL_OUTPUT,
                .group = group_output,
                .help = "at the end, every host's lines in host order (clush -L)"},
        {.name = "no-prefix",
                .short_name = 'N',
                .type = OT_FLAG,
                .off = OFF(no_prefix),
                .group = group_output,
                .help = "lines without the 'HOST: ' prefix (pdsh -N)"},
        {.name = "max-status",
                .short_name = 'S',
                .type = OT_FLAG,
                .off = OFF(max_status),
                .group = group_output,
                .help = "exit with the largest remote exit status; 255 for a host that gave "
                        "none (pdsh -S)"},
        {.name = "output-dir",
                .short_name = 'o',
                .type = OT_STRING,
                .arg = "DIR",
                .off = OFF(output_dir),
                .what = "directory name",
                .group = group_output,
                .help = "write DIR/HOST.out, DIR/HOST.err, DIR/HOST.json"},
        {.name = "failed",
                .type = OT_STRING,
                .arg = "FILE",
                .off = OFF(failed_file),
                .what = "file name",
                .group = group_output,
                .help = "write the hosts that did not succeed (failed or skipped) to FILE"},
        {.name = "template",
                .type = OT_FLAG,
                .off = OFF(template),
                .group = group_output,
                .help = "replace %h %H %u %p %i %% per host in COMMAND and remote paths"},
        {.name = "copy",
                .type = OT_XFER,
                .off = OFF(xfer),
                .value = XFER_COPY,
                .group = group_output,
                .help = "instead of a command: upload SRC... to DEST on every host (SFTP)"},
        {.name = "rcopy",
                .type = OT_XFER,
                .off = OFF(xfer),
                .value = XFER_RCOPY,
                .group = group_output,
                .help = "instead of a command: fetch SRC from every host into DEST_DIR/HOST/"},
        {.name = "recursive",
                .short_name = 'R',
                .type = OT_FLAG,
                .off = OFF(recursive),
                .cmdline_only = true,
                .group = group_output,
                .help = "--copy, --rcopy: directories too, with all they hold"},
        {.name = "preserve",
                .short_name = 'P',
                .type = OT_FLAG,
                .off = OFF(preserve),
                .cmdline_only = true,
                .group = group_output,
                .help = "--copy, --rcopy: keep modification times too (modes are always kept)"},
        {.name = "quiet",
                .short_name = 'q',
                .type = OT_SETINT,
                .off = OFF(verbosity),
                .value = -1,
                .group = group_output,
                .help = "fewer diagnostics"},
        {.name = "verbose",
                .short_name = 'v',
                .type = OT_COUNT,
                .off = OFF(verbosity),
                .group = group_output,
                .help = "more diagnostics (repeatable)"},
        {.name = "version",
                .type = OT_ACTION,
                .group = group_output,
                .help = "print the version and exit"},
        {.name = "help",
                .short_name = 'h',
                .type = OT_ACTION,
                .group = group_output,
                .help = "print this help and exit"},
};

#define NOPTIONS (sizeof options_table / sizeof options_table[0])

/* getopt_long's val of a row: its short name, else 256 + its index. */
static int
optdef_val(const struct optdef *d)
{
	return d->short_name != 0 ? d->short_name : 256 + (int)(d - options_table);
}

static const struct optdef *
optdef_by_val(int val)
{
	size_t i;

	if (val >= 256)
		return (size_t)(val - 256) < NOPTIONS ? &options_table[val - 256] : NULL;
	for (i = 0; i < NOPTIONS; i++) {
		if (options_table[i].short_name != 0 && options_table[i].short_name == val)
			return &options_table[i];
	}
	return NULL;
}

static const struct optdef *
optdef_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++) {
		if (strcmp(options_table[i].name, name) == 0)
			return &options_table[i];
	}
	return NULL;
}

/* "-w" or "--banner-timeout": how messages name an option. */
static const char *
optdef_label(const struct optdef *d, char *tmp, size_t len)
{
	if (d->short_name != 0)
		snprintf(tmp, len, "-%c", d->short_name);
	else
		snprintf(tmp, len, "--%s", d->name);
	return tmp;
}

/* The help text with the range and the default the table holds. */
static void
optdef_help(const struct optdef *d, char *out, size_t len)
{
	const char *def = d->def_text ? d->def_text : d->def;
	char range[64] = "";

	if (d->type == OT_INT)
		snprintf(range, sizeof range, ", %.0f to %.0f%s%s", d->min, d->max,
		        d->zero_word ? " or " : "", d->zero_word ? d->zero_word : "");
	snprintf(out, len, "%s%s%s%s%s", d->help, range, def ? " [" : "", def ? def : "",
	        def ? "]" : "");
}

/* The usage lines: --help's head, and all `shoal` alone prints. */
static void
options_usage_head(FILE *fp)
{
	fprintf(fp, "Usage: shoal [OPTIONS] [--] COMMAND [ARG...]\n"
	            "       shoal [OPTIONS] --copy [-R] [-P] SRC... DEST\n"
	            "       shoal [OPTIONS] --rcopy [-R] [-P] SRC DEST_DIR\n"
	            "Run COMMAND on many hosts over SSH at once, retrying what the network drops;\n"
	            "or copy files to or from every host.\n");
}

static void
options_usage(FILE *fp)
{
	const char *group = NULL;
	char left[64], help[256];
	size_t i;

	options_usage_head(fp);
	for (i = 0; i < NOPTIONS; i++) {
		const struct optdef *d = &options_table[i];

		if (d->group != group) {
			group = d->group;
			fprintf(fp, "\n%s:\n", group);
		}
		if (d->short_name != 0)
			snprintf(left, sizeof left, "-%c, --%s%s%s", d->short_name, d->name,
			        d->arg ? " " : "", d->arg ? d->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", d->name, d->arg ? " " : "",
			        d->arg ? d->arg : "");
		optdef_help(d, help, sizeof help);
		fprintf(fp, "  %-28s %s\n", left, help);
	}
	fprintf(fp, "\nHosts: comma-separated [user@]name[:port] items; name[01-20] ranges keep\n"
	            "zero padding; [2001:db8::1]:22 for IPv6.  Exit status: 0 all ok, 1 some\n"
	            "command failed, 3 some host unreachable or timed out, 4 --max-fail\n"
	            "stopped the run (hosts skipped), 2 usage error, 130 interrupted.\n");
	tui_keys_usage(fp);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("shoal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'shoal --help' for more information.\n", stderr);
	return 2;
}

/* OT_INT: the existing wording, whichever option it is. */
static int
parse_int(const char *label, const struct optdef *d, const char *arg, int *out)
{
	char *end = NULL;
	long v;

	if (d->zero_word != NULL && strcmp(arg, d->zero_word) == 0) {
		*out = 0;
		return 0;
	}
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < (long)d->min || v > (long)d->max)
		return usage_error("%s: '%s' is not a whole number from %ld to %ld", label, arg,
		        (long)d->min, (long)d->max);
	*out = (int)v;
	return 0;
}

/* OT_SECONDS: > 0 and at most a bound that keeps the arithmetic sane. */
static int
parse_seconds(const char *label, const struct optdef *d, const char *arg, double *out)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(v) || v < 0 ||
	        (v == 0 && d->value == 0) || v > d->max)
		return usage_error("%s: '%s' is not a %s number of seconds", label, arg,
		        d->value ? "non-negative" : "positive");
	*out = v;
	return 0;
}

/* OT_AMOUNT, one item of OT_BATCH: N, or N% with N at most 100; arg ends at stop. */
static int
parse_amount(
        const char *label, const struct optdef *d, const char *arg, char stop, struct amount *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno == 0 && end != arg && *arg >= '0' && *arg <= '9' && v >= (long)d->min) {
		out->pct = *end == '%';
		if (out->pct)
			end++;
		if (*end == stop && v <= (out->pct ? 100 : (long)d->max)) {
			out->n = (int)v;
			return 0;
		}
	}
	return usage_error("%s: '%s' is not a number of hosts from %ld to %ld or a percentage "
	                   "from %ld%% to 100%%",
	        label, arg, (long)d->min, (long)d->max, (long)d->min);
}

/* OT_BATCH: sizes separated by commas, each N or N%. */
static int
parse_batch(
        const char *label, const struct optdef *d, const char *arg, struct amount **list, size_t *n)
{
	struct amount *v = NULL;
	size_t m = 0;
	char *item = NULL;
	const char *p = arg, *comma;
	int rc = 0;

	do {
		comma = strchr(p, ',');
		free(item);
		item = comma ? xstrndup(p, (size_t)(comma - p)) : xstrdup(p);
		v = xreallocarray(v, m + 1, sizeof *v);
		if ((rc = parse_amount(label, d, item, '\0', &v[m])) != 0)
			break;
		m++;
		p = comma + 1;
	} while (comma != NULL);
	free(item);
	if (rc != 0) {
		free(v);
		return rc;
	}
	free(*list);
	*list = v;
	*n = m;
	return 0;
}

/* OT_DURATION: >= 0, a number with an optional s, m, h or d, as ControlPersist. */
static int
parse_duration(const char *label, const struct optdef *d, const char *arg, double *out)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno == 0 && end != arg && end != NULL && end[0] != '\0' && end[1] == '\0') {
		switch (*end) {
		case 's':
			end++;
			break;
		case 'm':
			v *= 60, end++;
			break;
		case 'h':
			v *= 3600, end++;
			break;
		case 'd':
			v *= 86400, end++;
			break;
		default:
			break;
		}
	}
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(v) || v < 0 || v > d->max)
		return usage_error(
		        "%s: '%s' is not a duration (seconds, or 10m, 2h, 1d)", label, arg);
	*out = v;
	return 0;
}

static int
parse_backoff(const char *label, const struct optdef *d, const char *arg, double *base, double *cap)
{
	char *end = NULL;
	double b, c;

	errno = 0;
	b = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != ',' || !isfinite(b) || b < 0)
		goto bad;
	arg = end + 1;
	c = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(c) || c < b || c > d->max)
		goto bad;
	*base = b;
	*cap = c;
	return 0;
bad:
	return usage_error(
	        "%s: expected BASE,CAP in seconds with 0 <= BASE <= CAP, e.g. 0.5,20", label);
}

static int
parse_choice(const char *label, const struct optdef *d, const char *arg, int *out)
{
	char list[256] = "";
	size_t i, len = 0;

	for (i = 0; d->choices[i] != NULL; i++) {
		if (strcmp(arg, d->choices[i]) == 0) {
			*out = (int)i + 1;
			return 0;
		}
		len += (size_t)snprintf(
		        list + len, sizeof list - len, "%s%s", i > 0 ? ", " : "", d->choices[i]);
		if (len >= sizeof list)
			len = sizeof list - 1;
	}
	return usage_error("%s: '%s' is not one of %s", label, arg, list);
}

static void
push(void *arrayp, size_t *n, size_t size, const void *item)
{
	char **array = arrayp;

	*array = xreallocarray(*array, *n + 1, size);
	memcpy(*array + *n * size, item, size);
	(*n)++;
}

static char *
join_words(int n, char **words)
{
	size_t len = 0;
	char *s, *p;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	s = p = xmalloc(len + 1);
	for (i = 0; i < n; i++) {
		size_t l = strlen(words[i]);

		if (i > 0)
			*p++ = ' ';
		memcpy(p, words[i], l);
		p += l;
	}
	*p = '\0';
	return s;
}

/* Apply one row with its argument (NULL for those that take none); label names it. */
static int
options_apply(struct options *o, const struct optdef *d, const char *arg, const char *label)
{
	struct host_source src;
	struct host_filter filt;
	int *ip = FIELD(o, d->off, int);

	switch (d->type) {
	case OT_FLAG:
		*FIELD(o, d->off, bool) = true;
		return 0;
	case OT_SETINT:
		*ip = d->value;
		return 0;
	case OT_COUNT:
		*ip = *ip < 0 ? 1 : *ip + 1;
		return 0;
	case OT_INT:
		return parse_int(label, d, arg, ip);
	case OT_SECONDS:
		return parse_seconds(label, d, arg, FIELD(o, d->off, double));
	case OT_DURATION:
		return parse_duration(label, d, arg, FIELD(o, d->off, double));
	case OT_STRING:
		if (d->what != NULL && *arg == '\0')
			return usage_error("%s: empty %s", label, d->what);
		*FIELD(o, d->off, const char *) = arg;
		return 0;
	case OT_CHOICE:
		return parse_choice(label, d, arg, ip);
	case OT_LIST:
		push(FIELD(o, d->off, const char **), FIELD(o, d->off_n, size_t), sizeof arg, &arg);
		return 0;
	case OT_SOURCE:
		src.is_file = d->value == 1;
		src.is_group = d->value == 2;
		src.value = arg;
		push(FIELD(o, d->off, struct host_source *), FIELD(o, d->off_n, size_t), sizeof src,
		        &src);
		return 0;
	case OT_FILTER:
		filt.pattern = arg;
		filt.keep = d->value != 0;
		push(FIELD(o, d->off, struct host_filter *), FIELD(o, d->off_n, size_t),
		        sizeof filt, &filt);
		return 0;
	case OT_AMOUNT:
		return parse_amount(label, d, arg, '\0', FIELD(o, d->off, struct amount));
	case OT_BATCH:
		return parse_batch(label, d, arg, FIELD(o, d->off, struct amount *),
		        FIELD(o, d->off_n, size_t));
	case OT_BACKOFF:
		return parse_backoff(
		        label, d, arg, FIELD(o, d->off, double), FIELD(o, d->off_n, double));
	case OT_XFER:
		if (*ip != XFER_NONE && *ip != d->value)
			return usage_error("--copy and --rcopy: choose one");
		*ip = d->value;
		return 0;
	case OT_ACTION:
		return usage_error("%s: only on the command line", label);
	}
	return 0;
}

void
options_init(struct options *o)
{
	char label[64];
	size_t i;

	memset(o, 0, sizeof *o);
	for (i = 0; i < NOPTIONS; i++) {
		const struct optdef *d = &options_table[i];

		if (d->def != NULL &&
		        options_apply(o, d, d->def, optdef_label(d, label, sizeof label)) != 0)
			fatal("options: the default of --%s does not parse", d->name);
	}
	o->tui = -1; /* neither --tui nor --no-tui: on when on a terminal */
	o->max_fail.n = -1;
	o->persist = -1;
}

int
options_set(struct options *o, const char *name, const char *value, const char *where)
{
	const struct optdef *d = optdef_by_name(name);
	char label[256];
	char *copy;

	if (d == NULL)
		return usage_error("%s: unknown option '%s'", where, name);
	snprintf(label, sizeof label, "%s: %s", where, name);
	if (d->arg == NULL) {
		if (d->type == OT_FLAG && value != NULL && strcmp(value, "no") == 0) {
			*FIELD(o, d->off, bool) = false;
			return 0;
		}
		if (value != NULL && strcmp(value, "yes") != 0)
			return usage_error("%s: '%s' is not yes%s", label, value,
			        d->type == OT_FLAG ? " or no" : "");
		return options_apply(o, d, NULL, label);
	}
	if (value == NULL)
		return usage_error("%s needs a value", label);
	/* The value outlives the caller's line: struct options keeps pointers. */
	copy = xstrdup(value);
	push(&o->owned, &o->nowned, sizeof copy, &copy);
	return options_apply(o, d, copy, label);
}

static int
options_check(struct options *o)
{
	const char *bad = NULL;
	struct stat st;
	size_t i, kept = 0;

	/* As ssh: a -i file that is not there is warned about and dropped (the
	 * default identities then apply, as without -i). */
	for (i = 0; i < o->nidentities; i++) {
		if (stat(o->identities[i], &st) < 0)
			fprintf(stderr, "shoal: Warning: Identity file %s not accessible: %s.\n",
			        o->identities[i], strerror(errno));
		else
			o->identities[kept++] = o->identities[i];
	}
	o->nidentities = kept;
	if (o->user != NULL && (bad = sshconf_bad_name(o->user, NULL)) != NULL)
		return usage_error("-l (user): %s", bad);
	if (o->jump != NULL && !sshconf_jump_ok(o->jump, &bad))
		return bad != NULL ? usage_error("-J: %s", bad)
		                   : usage_error("-J: bad jump host list '%s' (want "
		                                 "[user@]host[:port],...)",
		                             o->jump);
	if (o->password_env != NULL && o->ask_password)
		return usage_error("--password-env and --ask-password: choose one");
	if (o->json + o->gather + o->inline_output + o->diff + o->ordered > 1)
		return usage_error("--json, -b, --inline, --diff and -L: choose one output mode "
		                   "(-L is prefixed lines in host order, without -b's headers)");
	if (o->no_prefix && (o->json || o->gather || o->inline_output || o->diff))
		return usage_error(
		        "-N: only with prefixed lines (the default or -L); %s has no prefix "
		        "to drop",
		        o->json            ? "--json"
		        : o->gather        ? "-b"
		        : o->inline_output ? "--inline"
		                           : "--diff");
	if (o->pause > 0 && o->batch == NULL)
		return usage_error("--pause: only with --batch");
	if (o->fold && !o->list)
		return usage_error("--fold: only with --list");
	if (o->sudo && o->xfer != XFER_NONE)
		return usage_error("--sudo: not with --copy or --rcopy");
	if (o->xfer == XFER_NONE && (o->recursive || o->preserve))
		return usage_error("%s: only with --copy or --rcopy", o->recursive ? "-R" : "-P");
	if (o->xfer != XFER_NONE &&
	        (o->send_stdin || o->tty || o->gather || o->inline_output || o->diff))
		return usage_error("%s: not with --copy or --rcopy",
		        o->send_stdin ? "-I"
		                      : (o->tty ? "-T"
		                                : (o->gather ? "-b"
		                                             : (o->diff ? "--diff" : "--inline"))));
	return 0;
}

/*
 * The words after the options of --copy (SRC... DEST) and --rcopy (SRC
 * DEST_DIR), checked before anything connects: every local SRC exists and is
 * a file, or a directory given with -R.
 */
static int
options_xfer_words(struct options *o, int n, char **words)
{
	const char *opt = o->xfer == XFER_COPY ? "--copy" : "--rcopy";
	struct stat st;
	int i;

	if (o->xfer == XFER_COPY && n < 2)
		return usage_error("--copy: needs SRC... DEST (%s)",
		        n == 0 ? "no SRC given" : "no DEST given");
	if (o->xfer == XFER_RCOPY && n != 2)
		return usage_error("--rcopy: needs one SRC and one DEST_DIR (%d word%s given)", n,
		        n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		if (*words[i] == '\0')
			return usage_error("%s: empty %s", opt,
			        i == n - 1 ? (o->xfer == XFER_COPY ? "DEST" : "DEST_DIR") : "SRC");
	}
	o->xfer_srcs = words;
	o->nxfer_srcs = (size_t)n - 1;
	o->xfer_dest = words[n - 1];
	if (o->xfer == XFER_RCOPY) {
		if (stat(o->xfer_dest, &st) == 0 && !S_ISDIR(st.st_mode))
			return usage_error("--rcopy: '%s' is not a directory", o->xfer_dest);
		return 0;
	}
	for (i = 0; i < n - 1; i++) {
		if (stat(words[i], &st) < 0)
			return usage_error(
			        "--copy: cannot read '%s': %s", words[i], strerror(errno));
		if (S_ISDIR(st.st_mode) && !o->recursive)
			return usage_error("--copy: '%s' is a directory (add -R)", words[i]);
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			return usage_error(
			        "--copy: '%s' is not a regular file or a directory", words[i]);
	}
	return 0;
}

/* --template: an unknown token is a usage error, not a surprise on every host. */
static int
options_template_check(const struct options *o)
{
	const char *what = "COMMAND", *s = o->command, *bad;

	if (!o->template || s == NULL)
		return 0;
	if (o->xfer != XFER_NONE) {
		/* The remote paths: --copy's DEST, --rcopy's SRC. */
		what = o->xfer == XFER_COPY ? "DEST" : "SRC";
		s = o->xfer == XFER_COPY ? o->xfer_dest : o->xfer_srcs[0];
	}
	if ((bad = template_check(s)) != NULL)
		return usage_error(
		        "--template: unknown token '%.2s' in %s (tokens: %%h %%H %%u %%p "
		        "%%i, and %%%% for a %%)",
		        bad, what);
	return 0;
}

/*
 * An option's argument that is itself an option ("-i -h", "-o -p 2022",
 * "-x --"): getopt would take it as the value, silently.  It is most often
 * a peer's habit (pssh's -i takes no argument, clush's -o passes ssh
 * options), so it is refused, naming the option and what it wants.
 */
static bool
looks_like_option(const char *arg)
{
	size_t i, len;

	if (arg[0] != '-' || arg[1] == '\0')
		return false; /* "-w -" reads stdin */
	if (arg[1] != '-')
		return optdef_by_val((unsigned char)arg[1]) != NULL;
	if (arg[2] == '\0')
		return true; /* "--" */
	len = strcspn(arg + 2, "=");
	for (i = 0; i < NOPTIONS; i++) {
		if (strncmp(options_table[i].name, arg + 2, len) == 0)
			return true;
	}
	return false;
}

/* getopt over argv, applying each option to o; seen[row] marks the rows given. */
static int
options_getopt(struct options *o, int argc, char **argv, bool *seen, bool *done)
{
	struct option longopts[NOPTIONS + 1];
	char shortopts[2 * NOPTIONS + 3], label[64];
	size_t i, ns = 0;
	int c, rc;

	shortopts[ns++] = '+'; /* stop at the command's first word */
	shortopts[ns++] = ':'; /* report a missing argument as ':' */
	for (i = 0; i < NOPTIONS; i++) {
		const struct optdef *d = &options_table[i];

		longopts[i].name = d->name;
		longopts[i].has_arg = d->arg ? required_argument : no_argument;
		longopts[i].flag = NULL;
		longopts[i].val = optdef_val(d);
		if (d->short_name != 0) {
			shortopts[ns++] = d->short_name;
			if (d->arg)
				shortopts[ns++] = ':';
		}
	}
	memset(&longopts[NOPTIONS], 0, sizeof longopts[NOPTIONS]);
	shortopts[ns] = '\0';

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct optdef *d;

		if (c == '?') {
			if (optopt != 0)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
		if (c == ':') {
			d = optdef_by_val(optopt);
			if (d != NULL && d->short_name != 0 && argv[optind - 1][1] != '-')
				return usage_error(
				        "-%c needs an argument (%s)", d->short_name, d->arg);
			return usage_error("%s needs an argument", argv[optind - 1]);
		}
		d = optdef_by_val(c);
		if (d == NULL)
			return usage_error("unknown option");
		if (d->type == OT_ACTION && argv[optind - 1][1] == 'h' && argc > 2)
			return usage_error(
			        "-h is help here and takes no other arguments; a file of "
			        "hosts is -H FILE (pssh's -h)");
		/*
		 * Only an argument in a word of its own: "--opt=-x" or "-o-x" is
		 * explicit, and a pattern may well begin with a dash.  A host
		 * expression's "-host" is hostlist.c's to refuse: its message
		 * names both ssh's rule and pdsh's habit (-x).
		 */
		if (d->arg != NULL && d->type != OT_FILTER && d->short_name != 'w' &&
		        optarg == argv[optind - 1] && looks_like_option(optarg))
			return usage_error("%s needs an argument (%s), not the option '%s'%s",
			        optdef_label(d, label, sizeof label), d->arg, optarg,
			        d->short_name == 'i' ? " (pssh's -i, output inline, is --inline)"
			        : d->short_name == 'o'
			                ? " (clush's -o passes ssh options: use ssh_config, -F)"
			                : "");
		if (d->type == OT_ACTION) {
			if (strcmp(d->name, "help") == 0)
				options_usage(stdout);
			else
				printf("shoal %s\n", PACKAGE_VERSION);
			*done = true;
			return 0;
		}
		seen[d - options_table] = true;
		if ((rc = options_apply(o, d, optarg, optdef_label(d, label, sizeof label))) != 0)
			return rc;
	}
	return 0;
}

/* ---- shoal.conf ---------------------------------------------------------- */

struct conf_state {
	struct options *o;
	const bool *seen;     /* the rows the command line gave */
	int file;             /* the file being read, from 1 */
	int set_by[NOPTIONS]; /* the file that last set each row, 0: none */
};

/* A row whose field, or whose exclusive set, the command line has set. */
static bool
conf_row_hidden(const struct optdef *d, const bool *seen)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++) {
		if (seen[i] && (options_table[i].off == d->off ||
		                       (d->excl != 0 && options_table[i].excl == d->excl)))
			return true;
	}
	return false;
}

static bool
conf_allowed(const struct optdef *d)
{
	return !d->cmdline_only && d->type != OT_SOURCE && d->type != OT_FILTER &&
	       d->type != OT_XFER && d->type != OT_ACTION;
}

/*
 * A later file's choice among exclusive rows (--json or -b; --password-env
 * or --ask-password) replaces an earlier file's, as the command line's does.
 */
static void
conf_excl_reset(struct conf_state *cs, const struct optdef *d)
{
	size_t i;

	for (i = 0; d->excl != 0 && i < NOPTIONS; i++) {
		const struct optdef *r = &options_table[i];

		if (r == d || r->excl != d->excl || cs->set_by[i] == 0 || cs->set_by[i] == cs->file)
			continue;
		if (r->type == OT_FLAG)
			*FIELD(cs->o, r->off, bool) = false;
		else if (r->type == OT_STRING)
			*FIELD(cs->o, r->off, const char *) = NULL;
		cs->set_by[i] = 0;
	}
}

/* One `option = value` line. */
static int
conf_line(void *arg, char *line, const char *where)
{
	struct conf_state *cs = arg;
	char *eq = strchr(line, '='), *end, *value;
	const struct optdef *d;
	struct options scratch;
	size_t i;
	int rc;

	if (eq == NULL || eq == line)
		return usage_error("%s: expected 'option = value', e.g. 'fanout = 128'", where);
	for (end = eq; end > line && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';
	for (value = eq + 1; *value == ' ' || *value == '\t'; value++)
		;
	if ((d = optdef_by_name(line)) == NULL)
		return usage_error("%s: unknown option '%s'", where, line);
	if (!conf_allowed(d))
		return usage_error("%s: %s: only on the command line", where, line);
	if (conf_row_hidden(d, cs->seen)) {
		/* The command line wins, but a bad line is still an error. */
		options_init(&scratch);
		rc = options_set(&scratch, line, value, where);
		options_free(&scratch);
		return rc;
	}
	i = (size_t)(d - options_table);
	conf_excl_reset(cs, d);
	if (cs->set_by[i] != 0 && cs->set_by[i] != cs->file) {
		/* A later file replaces what an earlier one gave a repeatable option. */
		if (d->type == OT_LIST)
			*FIELD(cs->o, d->off_n, size_t) = 0;
		else if (d->type == OT_COUNT)
			*FIELD(cs->o, d->off, int) = 0;
	}
	cs->set_by[i] = cs->file;
	if ((rc = options_set(cs->o, line, value, where)) == 0 && d->off == OFF(password_env)) {
		/* Its use comes later (password.c): the message must still name the line. */
		char *copy = xstrdup(where);

		push(&cs->o->owned, &cs->o->nowned, sizeof copy, &copy);
		cs->o->password_env_where = copy;
	}
	return rc;
}

/*
 * A topology.conf where shoal.conf is (beside SHOAL_CONFIG when set, else
 * the user's, else the system's) routes the hosts when neither shoal.conf nor
 * the command line names gateways, as ClusterShell reads its topology.conf:
 * hosts that no route names still go directly (tree.c).
 */
static void
default_topology(struct options *o, const char *env, const bool *seen)
{
	char *paths[2] = {NULL, NULL}, *dir;
	int i;

	if (o->topology != NULL || o->gateways != NULL ||
	        seen[optdef_by_name("topology") - options_table] ||
	        seen[optdef_by_name("gateways") - options_table])
		return;
	if (env != NULL && *env != '\0') {
		dir = xstrdup(env);
		*(strrchr(dir, '/') != NULL ? strrchr(dir, '/') + 1 : dir) = '\0';
		paths[0] = xasprintf("%stopology.conf", dir);
		free(dir);
	} else {
		paths[0] = conffile_user_path("topology.conf");
		paths[1] = conffile_system_path("topology.conf");
	}
	for (i = 0; i < 2; i++) {
		if (paths[i] != NULL && o->topology == NULL && access(paths[i], F_OK) == 0) {
			o->topology = paths[i];
			push(&o->owned, &o->nowned, sizeof paths[i], &paths[i]);
		} else {
			free(paths[i]);
		}
	}
}

/* SHOAL_CONFIG alone when set, else the system file, then the user's over it. */
static int
options_read_config(struct options *o, const bool *seen)
{
	const char *env = getenv("SHOAL_CONFIG");
	struct conf_state *cs = xcalloc(1, sizeof *cs);
	char *paths[2] = {NULL, NULL}, *err = NULL;
	int i, rc = 0;

	cs->o = o;
	cs->seen = seen;
	if (env != NULL && *env != '\0') {
		cs->file = 1;
		rc = conffile_lines(env, true, conf_line, cs, &err);
		goto out;
	}
	paths[0] = conffile_system_path("shoal.conf");
	paths[1] = conffile_user_path("shoal.conf");
	for (i = 0; i < 2 && rc == 0; i++) {
		cs->file = i + 1;
		if (paths[i] != NULL)
			rc = conffile_lines(paths[i], false, conf_line, cs, &err);
	}
out:
	if (err != NULL)
		usage_error("%s", err);
	free(err);
	free(paths[0]);
	free(paths[1]);
	free(cs);
	if (rc == 0)
		default_topology(o, env, seen);
	return rc;
}

int
options_parse(struct options *o, int argc, char **argv, bool *done)
{
	bool seen[NOPTIONS];
	struct options cmdline;
	char *words;
	int rc;

	options_init(o);
	*done = false;
	if (argc <= 1) {
		options_usage_head(stderr);
		fputs("Try 'shoal --help' for the options; e.g. shoal -w 'web[01-04]' uptime\n",
		        stderr);
		return 2;
	}
	memset(seen, 0, sizeof seen);
	/* First the command line alone: which rows it sets, --no-config, --help. */
	options_init(&cmdline);
	rc = options_getopt(&cmdline, argc, argv, seen, done);
	if (rc == 0 && !*done && !cmdline.no_config)
		rc = options_read_config(o, seen);
	options_free(&cmdline);
	if (rc != 0 || *done)
		return rc;
	/* Then the command line again, over shoal.conf's values. */
	if ((rc = options_getopt(o, argc, argv, seen, done)) != 0)
		return rc;
	/* -t wins over ssh_config's ConnectTimeout; a default, even shoal.conf's, does not.
	 */
	o->connect_timeout_set = seen[optdef_by_name("connect-timeout") - options_table];
	/* --topology none: no topology, not even topology.conf's. */
	if (o->topology != NULL && strcmp(o->topology, "none") == 0)
		o->topology = NULL;
	if ((rc = options_check(o)) != 0)
		return rc;
	if (o->xfer != XFER_NONE) {
		/* The live view and messages show what runs: the copy, as typed. */
		if ((rc = options_xfer_words(o, argc - optind, argv + optind)) != 0)
			return rc;
		words = join_words(argc - optind, argv + optind);
		o->command = xasprintf("%s %s", o->xfer == XFER_COPY ? "--copy" : "--rcopy", words);
		free(words);
		return options_template_check(o);
	}
	if (optind < argc)
		o->command = join_words(argc - optind, argv + optind);
	return options_template_check(o);
}

void
options_free(struct options *o)
{
	size_t i;

	free(o->sources);
	free(o->excludes);
	free(o->inventories);
	free(o->filters);
	free(o->identities);
	free(o->batch);
	free(o->command);
	for (i = 0; i < o->nowned; i++)
		free(o->owned[i]);
	free(o->owned);
	memset(o, 0, sizeof *o);
}

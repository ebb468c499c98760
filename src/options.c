/*
 * options.c - the option table, getopt_long, --help and validation.
 *
 * Every option is one row of options_table: its names, its argument, its
 * help text and whether this build implements it.  getopt_long's arrays and
 * --help are made from the table, so they cannot drift apart.  An option of
 * the contract that is not built yet is refused, never ignored.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "options.h"
#include "xmalloc.h"

enum opt_id {
	OPT_HOSTS = 'w',
	OPT_HOSTFILE = 'H',
	OPT_EXCLUDE = 'x',
	OPT_USER = 'l',
	OPT_PORT = 'p',
	OPT_IDENTITY = 'i',
	OPT_SSH_CONFIG = 'F',
	OPT_FANOUT = 'f',
	OPT_CONNECT_TIMEOUT = 't',
	OPT_COMMAND_TIMEOUT = 'u',
	OPT_RETRIES = 'r',
	OPT_STDIN = 'I',
	OPT_TTY = 'T',
	OPT_GATHER = 'b',
	OPT_OUTPUT_DIR = 'o',
	OPT_QUIET = 'q',
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
	OPT_RECURSIVE = 'R',
	OPT_PRESERVE = 'P',
	OPT_PRINT_CONFIG = 'G',
	OPT_FILTER = 256,
	OPT_FILTER_OUT,
	OPT_LIST,
	OPT_BANNER_TIMEOUT,
	OPT_KEX_TIMEOUT,
	OPT_AUTH_TIMEOUT,
	OPT_BACKOFF,
	OPT_MAX_STARTUPS,
	OPT_PASSWORD_ENV,
	OPT_ASK_PASSWORD,
	OPT_KNOWN_HOSTS,
	OPT_HOST_KEY_POLICY,
	OPT_TUI,
	OPT_NO_TUI,
	OPT_INLINE,
	OPT_JSON,
	OPT_FAILED,
	OPT_COPY,
	OPT_RCOPY,
	OPT_VERSION,
};

struct optdef {
	enum opt_id id;
	const char *name;
	char short_name;
	const char *arg; /* NULL: takes no argument */
	const char *group;
	const char *help;
	bool implemented;
};

static const char group_hosts[] = "Host selection";
static const char group_resilience[] = "Parallelism and resilience";
static const char group_trust[] = "Authentication and trust";
static const char group_output[] = "Running and output";

static const struct optdef options_table[] = {
        {OPT_HOSTS, "hosts", 'w', "EXPR", group_hosts,
                "host expression, e.g. web[01-20],db1 (repeatable; - reads stdin)", true},
        {OPT_HOSTFILE, "hostfile", 'H', "FILE", group_hosts,
                "read host expressions from FILE, one a line (repeatable)", true},
        {OPT_EXCLUDE, "exclude", 'x', "EXPR", group_hosts, "drop these hosts (repeatable)", true},
        {OPT_FILTER, "filter", 0, "REGEX", group_hosts,
                "keep only hosts whose name matches a PCRE2 pattern", true},
        {OPT_FILTER_OUT, "filter-out", 0, "REGEX", group_hosts,
                "drop hosts whose name matches a PCRE2 pattern", true},
        {OPT_USER, "user", 'l', "USER", group_hosts, "login user for every host", true},
        {OPT_PORT, "port", 'p', "PORT", group_hosts, "port for every host", true},
        {OPT_IDENTITY, "identity", 'i', "FILE", group_hosts, "private key to offer (repeatable)",
                true},
        {OPT_SSH_CONFIG, "ssh-config", 'F', "FILE", group_hosts,
                "ssh_config file (default ~/.ssh/config; 'none' reads none)", true},
        {OPT_LIST, "list", 0, NULL, group_hosts,
                "print the final host list and exit without connecting", true},
        {OPT_PRINT_CONFIG, "print-config", 'G', NULL, group_hosts,
                "print each host's ssh_config as ssh -G does and exit without connecting", true},

        {OPT_FANOUT, "fanout", 'f', "N", group_resilience,
                "hosts in flight at once, 1 to 4096 [64]", true},
        {OPT_CONNECT_TIMEOUT, "connect-timeout", 't', "SEC", group_resilience,
                "TCP connect deadline, per attempt [10]", true},
        {OPT_BANNER_TIMEOUT, "banner-timeout", 0, "SEC", group_resilience,
                "from TCP connected to the server's SSH- line [15]", true},
        {OPT_KEX_TIMEOUT, "kex-timeout", 0, "SEC", group_resilience,
                "from the banner to keys exchanged [15]", true},
        {OPT_AUTH_TIMEOUT, "auth-timeout", 0, "SEC", group_resilience,
                "authentication, all methods together [30]", true},
        {OPT_COMMAND_TIMEOUT, "command-timeout", 'u', "SEC", group_resilience,
                "kill the remote command after SEC seconds [none]", true},
        {OPT_RETRIES, "retries", 'r', "N", group_resilience,
                "extra attempts for transient connect failures [3]", true},
        {OPT_BACKOFF, "backoff", 0, "BASE,CAP", group_resilience,
                "exponential backoff with full jitter between attempts [0.5,20]", true},
        {OPT_MAX_STARTUPS, "max-startups", 0, "N|auto", group_resilience,
                "handshakes in flight per address:port [auto]", true},

        {OPT_PASSWORD_ENV, "password-env", 0, "VAR", group_trust,
                "take the password from environment variable VAR", true},
        {OPT_ASK_PASSWORD, "ask-password", 0, NULL, group_trust,
                "ask for the password once, without echo", true},
        {OPT_KNOWN_HOSTS, "known-hosts", 0, "FILE", group_trust,
                "known_hosts file (default: ssh_config's, else ~/.ssh/known_hosts)", true},
        {OPT_HOST_KEY_POLICY, "host-key-policy", 0, "POLICY", group_trust,
                "strict, accept-new or insecure [ssh_config's, else strict]", true},

        {OPT_STDIN, "stdin", 'I', NULL, group_output, "send local stdin to every host's command",
                true},
        {OPT_TTY, "tty", 'T', NULL, group_output, "request a pty on every host", true},
        {OPT_TUI, "tui", 0, NULL, group_output,
                "the live view even when stdin or stdout is not a terminal", true},
        {OPT_NO_TUI, "no-tui", 0, NULL, group_output, "plain output even on a terminal", true},
        {OPT_GATHER, "gather", 'b', NULL, group_output,
                "at the end, group hosts with identical output", true},
        {OPT_INLINE, "inline", 0, NULL, group_output,
                "each host's whole output as one block when it finishes", true},
        {OPT_JSON, "json", 0, NULL, group_output, "one JSON object a line per host", true},
        {OPT_OUTPUT_DIR, "output-dir", 'o', "DIR", group_output,
                "write DIR/HOST.out, DIR/HOST.err, DIR/HOST.json", true},
        {OPT_FAILED, "failed", 0, "FILE", group_output,
                "write the hosts that did not succeed to FILE", true},
        {OPT_COPY, "copy", 0, NULL, group_output,
                "instead of a command: upload SRC... to DEST on every host (SFTP)", true},
        {OPT_RCOPY, "rcopy", 0, NULL, group_output,
                "instead of a command: fetch SRC from every host into DEST_DIR/HOST/", true},
        {OPT_RECURSIVE, "recursive", 'R', NULL, group_output,
                "--copy, --rcopy: directories too, with all they hold", true},
        {OPT_PRESERVE, "preserve", 'P', NULL, group_output,
                "--copy, --rcopy: keep modification times too (modes are always kept)", true},
        {OPT_QUIET, "quiet", 'q', NULL, group_output, "fewer diagnostics", true},
        {OPT_VERBOSE, "verbose", 'v', NULL, group_output, "more diagnostics (repeatable)", true},
        {OPT_VERSION, "version", 0, NULL, group_output, "print the version and exit", true},
        {OPT_HELP, "help", 'h', NULL, group_output, "print this help and exit", true},
};

#define NOPTIONS (sizeof options_table / sizeof options_table[0])

static const struct optdef *
optdef_find(int id)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++) {
		if ((int)options_table[i].id == id)
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

static void
options_usage(FILE *fp)
{
	const char *group = NULL;
	char left[64];
	size_t i;

	fprintf(fp, "Usage: shoal [OPTIONS] [--] COMMAND [ARG...]\n"
	            "       shoal [OPTIONS] --copy [-R] [-P] SRC... DEST\n"
	            "       shoal [OPTIONS] --rcopy [-R] [-P] SRC DEST_DIR\n"
	            "Run COMMAND on many hosts over SSH at once, retrying what the network drops;\n"
	            "or copy files to or from every host.\n");
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
		fprintf(fp, "  %-28s %s%s\n", left, d->help,
		        d->implemented ? "" : " (not in this version)");
	}
	fprintf(fp, "\nHosts: comma-separated [user@]name[:port] items; name[01-20] ranges keep\n"
	            "zero padding; [2001:db8::1]:22 for IPv6.  Exit status: 0 all ok, 1 some\n"
	            "command failed, 3 some host unreachable or timed out, 2 usage error,\n"
	            "130 interrupted.  The live view (on a terminal): arrows move, Enter opens\n"
	            "a host, f filters, / searches, r retries, q quits, ? helps.  See shoal(1).\n");
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

static int
parse_int(const char *label, const char *arg, long min, long max, int *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max)
		return usage_error(
		        "%s: '%s' is not a whole number from %ld to %ld", label, arg, min, max);
	*out = (int)v;
	return 0;
}

/* A number of seconds, > 0 and at most a day-ish bound that keeps math sane. */
static int
parse_seconds(const char *label, const char *arg, double *out)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(v) || v <= 0 || v > 1e7)
		return usage_error("%s: '%s' is not a positive number of seconds", label, arg);
	*out = v;
	return 0;
}

static int
parse_backoff(const char *label, const char *arg, double *base, double *cap)
{
	char *end = NULL;
	double b, c;

	errno = 0;
	b = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != ',' || !isfinite(b) || b < 0)
		goto bad;
	arg = end + 1;
	c = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(c) || c < b || c > 1e6)
		goto bad;
	*base = b;
	*cap = c;
	return 0;
bad:
	return usage_error(
	        "%s: expected BASE,CAP in seconds with 0 <= BASE <= CAP, e.g. 0.5,20", label);
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

static void
options_defaults(struct options *o)
{
	memset(o, 0, sizeof *o);
	o->fanout = 64;
	o->connect_timeout = 10;
	o->banner_timeout = 15;
	o->kex_timeout = 15;
	o->auth_timeout = 30;
	o->retries = 3;
	o->backoff_base = 0.5;
	o->backoff_cap = 20;
	o->tui = -1;
}

const char *
options_policy_name(enum hostkey_policy p)
{
	switch (p) {
	case HOSTKEY_POLICY_STRICT:
		return "strict";
	case HOSTKEY_POLICY_ACCEPT_NEW:
		return "accept-new";
	case HOSTKEY_POLICY_INSECURE:
		return "insecure";
	case HOSTKEY_POLICY_UNSET:
		break;
	}
	return "unset";
}

static int
options_apply(struct options *o, const struct optdef *d, const char *arg)
{
	char label[64];
	struct host_source src;
	struct host_filter filt;

	optdef_label(d, label, sizeof label);
	if (!d->implemented)
		return usage_error("%s: not available in this version of shoal yet", label);
	switch (d->id) {
	case OPT_HOSTS:
	case OPT_HOSTFILE:
		src.is_file = d->id == OPT_HOSTFILE;
		src.value = arg;
		push(&o->sources, &o->nsources, sizeof src, &src);
		return 0;
	case OPT_EXCLUDE:
		push(&o->excludes, &o->nexcludes, sizeof arg, &arg);
		return 0;
	case OPT_FILTER:
	case OPT_FILTER_OUT:
		filt.pattern = arg;
		filt.keep = d->id == OPT_FILTER;
		push(&o->filters, &o->nfilters, sizeof filt, &filt);
		return 0;
	case OPT_USER:
		if (*arg == '\0')
			return usage_error("%s: empty user name", label);
		o->user = arg;
		return 0;
	case OPT_PORT:
		return parse_int(label, arg, 1, 65535, &o->port);
	case OPT_IDENTITY:
		push(&o->identities, &o->nidentities, sizeof arg, &arg);
		return 0;
	case OPT_SSH_CONFIG:
		o->ssh_config = arg;
		return 0;
	case OPT_LIST:
		o->list = true;
		return 0;
	case OPT_PRINT_CONFIG:
		o->print_config = true;
		return 0;
	case OPT_FANOUT:
		return parse_int(label, arg, 1, 4096, &o->fanout);
	case OPT_CONNECT_TIMEOUT:
		o->connect_timeout_set = true;
		return parse_seconds(label, arg, &o->connect_timeout);
	case OPT_BANNER_TIMEOUT:
		return parse_seconds(label, arg, &o->banner_timeout);
	case OPT_KEX_TIMEOUT:
		return parse_seconds(label, arg, &o->kex_timeout);
	case OPT_AUTH_TIMEOUT:
		return parse_seconds(label, arg, &o->auth_timeout);
	case OPT_COMMAND_TIMEOUT:
		return parse_seconds(label, arg, &o->command_timeout);
	case OPT_RETRIES:
		return parse_int(label, arg, 0, 100, &o->retries);
	case OPT_BACKOFF:
		return parse_backoff(label, arg, &o->backoff_base, &o->backoff_cap);
	case OPT_MAX_STARTUPS:
		if (strcmp(arg, "auto") == 0) {
			o->max_startups = 0;
			return 0;
		}
		return parse_int(label, arg, 1, 4096, &o->max_startups);
	case OPT_PASSWORD_ENV:
		if (*arg == '\0')
			return usage_error("%s: empty variable name", label);
		o->password_env = arg;
		return 0;
	case OPT_ASK_PASSWORD:
		o->ask_password = true;
		return 0;
	case OPT_KNOWN_HOSTS:
		o->known_hosts = arg;
		return 0;
	case OPT_HOST_KEY_POLICY:
		if (strcmp(arg, "strict") == 0)
			o->hostkey_policy = HOSTKEY_POLICY_STRICT;
		else if (strcmp(arg, "accept-new") == 0)
			o->hostkey_policy = HOSTKEY_POLICY_ACCEPT_NEW;
		else if (strcmp(arg, "insecure") == 0)
			o->hostkey_policy = HOSTKEY_POLICY_INSECURE;
		else
			return usage_error(
			        "%s: '%s' is not one of strict, accept-new, insecure", label, arg);
		return 0;
	case OPT_STDIN:
		o->send_stdin = true;
		return 0;
	case OPT_TTY:
		o->tty = true;
		return 0;
	case OPT_TUI:
		o->tui = 1;
		return 0;
	case OPT_NO_TUI:
		o->tui = 0;
		return 0;
	case OPT_GATHER:
		o->gather = true;
		return 0;
	case OPT_INLINE:
		o->inline_output = true;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_OUTPUT_DIR:
		if (*arg == '\0')
			return usage_error("%s: empty directory name", label);
		o->output_dir = arg;
		return 0;
	case OPT_FAILED:
		if (*arg == '\0')
			return usage_error("%s: empty file name", label);
		o->failed_file = arg;
		return 0;
	case OPT_QUIET:
		o->verbosity = -1;
		return 0;
	case OPT_VERBOSE:
		if (o->verbosity < 0)
			o->verbosity = 0;
		o->verbosity++;
		return 0;
	case OPT_COPY:
	case OPT_RCOPY:
		if (o->xfer != XFER_NONE && o->xfer != (d->id == OPT_COPY ? XFER_COPY : XFER_RCOPY))
			return usage_error("--copy and --rcopy: choose one");
		o->xfer = d->id == OPT_COPY ? XFER_COPY : XFER_RCOPY;
		return 0;
	case OPT_RECURSIVE:
		o->recursive = true;
		return 0;
	case OPT_PRESERVE:
		o->preserve = true;
		return 0;
	case OPT_VERSION:
	case OPT_HELP:
		break;
	}
	return 0;
}

static int
options_check(struct options *o)
{
	if (o->password_env != NULL && o->ask_password)
		return usage_error("--password-env and --ask-password: choose one");
	if (o->json + o->gather + o->inline_output > 1)
		return usage_error("--json, --gather and --inline: choose one output mode");
	if (o->xfer == XFER_NONE && (o->recursive || o->preserve))
		return usage_error("%s: only with --copy or --rcopy", o->recursive ? "-R" : "-P");
	if (o->xfer != XFER_NONE && (o->send_stdin || o->tty || o->gather || o->inline_output))
		return usage_error("%s: not with --copy or --rcopy",
		        o->send_stdin ? "-I" : (o->tty ? "-T" : (o->gather ? "-b" : "--inline")));
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

int
options_parse(struct options *o, int argc, char **argv, bool *done)
{
	struct option longopts[NOPTIONS + 1];
	char shortopts[2 * NOPTIONS + 3];
	size_t i, ns = 0;
	char *words;
	int c, rc;

	options_defaults(o);
	*done = false;
	shortopts[ns++] = '+'; /* stop at the command's first word */
	shortopts[ns++] = ':'; /* report a missing argument as ':' */
	for (i = 0; i < NOPTIONS; i++) {
		const struct optdef *d = &options_table[i];

		longopts[i].name = d->name;
		longopts[i].has_arg = d->arg ? required_argument : no_argument;
		longopts[i].flag = NULL;
		longopts[i].val = (int)d->id;
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
			d = optdef_find(optopt);
			if (d != NULL && d->short_name != 0 && argv[optind - 1][1] != '-')
				return usage_error(
				        "-%c needs an argument (%s)", d->short_name, d->arg);
			return usage_error("%s needs an argument", argv[optind - 1]);
		}
		if (c == OPT_HELP) {
			options_usage(stdout);
			*done = true;
			return 0;
		}
		if (c == OPT_VERSION) {
			printf("shoal %s\n", PACKAGE_VERSION);
			*done = true;
			return 0;
		}
		d = optdef_find(c);
		if (d == NULL)
			return usage_error("unknown option");
		if ((rc = options_apply(o, d, optarg)) != 0)
			return rc;
	}
	if ((rc = options_check(o)) != 0)
		return rc;
	if (o->xfer != XFER_NONE) {
		/* The live view and messages show what runs: the copy, as typed. */
		if ((rc = options_xfer_words(o, argc - optind, argv + optind)) != 0)
			return rc;
		words = join_words(argc - optind, argv + optind);
		o->command = xasprintf("%s %s", o->xfer == XFER_COPY ? "--copy" : "--rcopy", words);
		free(words);
		return 0;
	}
	if (optind < argc)
		o->command = join_words(argc - optind, argv + optind);
	return 0;
}

void
options_free(struct options *o)
{
	free(o->sources);
	free(o->excludes);
	free(o->filters);
	free(o->identities);
	free(o->command);
	memset(o, 0, sizeof *o);
}

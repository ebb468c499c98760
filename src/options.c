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

#include "options.h"
#include "xmalloc.h"

enum opt_type {
	OT_FLAG,    /* no argument: a bool field becomes true */
	OT_SETINT,  /* no argument: an int field becomes .value */
	OT_COUNT,   /* no argument: an int field counts up from 0 (-v) */
	OT_INT,     /* a whole number in [min, max], or .zero_word for 0 */
	OT_SECONDS, /* a duration: seconds, > 0 and at most max */
	OT_DURATION, /* a duration >= 0: seconds, or with s, m, h or d */
	OT_STRING,  /* a string, refused empty when .what names it */
	OT_CHOICE,  /* one of .choices, stored as an int: index + 1 */
	OT_LIST,    /* repeatable: appended to a const char * array, count at .off_n */
	OT_SOURCE,  /* repeatable: a host source, a file when .value (-w, -H) */
	OT_FILTER,  /* repeatable: a host filter, keeping matches when .value */
	OT_BACKOFF, /* BASE,CAP: two doubles at .off and .off_n */
	OT_XFER,    /* --copy, --rcopy: .value is the enum xfer_mode */
	OT_ACTION,  /* --help, --version: done in options_parse */
};

struct optdef {
	const char *name;
	char short_name;
	enum opt_type type;
	const char *arg;            /* the argument's name in --help; NULL: takes none */
	size_t off;                 /* the field in struct options */
	size_t off_n;               /* OT_LIST, OT_SOURCE, OT_FILTER: the count; OT_BACKOFF: CAP */
	int value;                  /* OT_SETINT, OT_SOURCE, OT_FILTER, OT_XFER */
	double min, max;            /* OT_INT, OT_SECONDS (max only) */
	const char *zero_word;      /* OT_INT: a word that means 0, e.g. "auto" */
	const char *const *choices; /* OT_CHOICE, NULL-terminated */
	const char *what;           /* OT_STRING: "user name": refused empty */
	const char *def;            /* the default, parsed as a value; NULL: none */
	const char *def_text;       /* --help's default when not def ("none") */
	const char *group;
	const char *help;
};

#define OFF(field)          offsetof(struct options, field)
#define FIELD(o, off, type) ((type *)(void *)((char *)(o) + (off)))

static const char group_hosts[] = "Host selection";
static const char group_resilience[] = "Parallelism and resilience";
static const char group_trust[] = "Authentication and trust";
static const char group_output[] = "Running and output";

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
        {.name = "exclude",
                .short_name = 'x',
                .type = OT_LIST,
                .arg = "EXPR",
                .off = OFF(excludes),
                .off_n = OFF(nexcludes),
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
        {.name = "list",
                .type = OT_FLAG,
                .off = OFF(list),
                .group = group_hosts,
                .help = "print the final host list and exit without connecting"},

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
        {.name = "persist",
                .type = OT_DURATION,
                .arg = "DURATION",
                .off = OFF(persist),
                .max = 1e7,
                .def_text = "ssh_config's ControlPersist, else off",
                .group = group_resilience,
                .help = "keep the sessions for later runs, DURATION idle (10m, 1h; 0 closes them)"},

        {.name = "password-env",
                .type = OT_STRING,
                .arg = "VAR",
                .off = OFF(password_env),
                .what = "variable name",
                .group = group_trust,
                .help = "take the password from environment variable VAR"},
        {.name = "ask-password",
                .type = OT_FLAG,
                .off = OFF(ask_password),
                .group = group_trust,
                .help = "ask for the password once, without echo"},
        {.name = "known-hosts",
                .type = OT_STRING,
                .arg = "FILE",
                .off = OFF(known_hosts),
                .group = group_trust,
                .help = "known_hosts file (default: ssh_config's, else ~/.ssh/known_hosts)"},
        {.name = "host-key-policy",
                .type = OT_CHOICE,
                .arg = "POLICY",
                .off = OFF(hostkey_policy),
                .choices = policy_names,
                .def_text = "ssh_config's, else strict",
                .group = group_trust,
                .help = "strict, accept-new or insecure"},

        {.name = "stdin",
                .short_name = 'I',
                .type = OT_FLAG,
                .off = OFF(send_stdin),
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
        {.name = "gather",
                .short_name = 'b',
                .type = OT_FLAG,
                .off = OFF(gather),
                .group = group_output,
                .help = "at the end, group hosts with identical output"},
        {.name = "inline",
                .type = OT_FLAG,
                .off = OFF(inline_output),
                .group = group_output,
                .help = "each host's whole output as one block when it finishes"},
        {.name = "json",
                .type = OT_FLAG,
                .off = OFF(json),
                .group = group_output,
                .help = "one JSON object a line per host"},
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
                .help = "write the hosts that did not succeed to FILE"},
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
                .group = group_output,
                .help = "--copy, --rcopy: directories too, with all they hold"},
        {.name = "preserve",
                .short_name = 'P',
                .type = OT_FLAG,
                .off = OFF(preserve),
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

static void
options_usage(FILE *fp)
{
	const char *group = NULL;
	char left[64], help[256];
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
		optdef_help(d, help, sizeof help);
		fprintf(fp, "  %-28s %s\n", left, help);
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
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(v) || v <= 0 || v > d->max)
		return usage_error("%s: '%s' is not a positive number of seconds", label, arg);
	*out = v;
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
		return usage_error("%s: '%s' is not a duration (seconds, or 10m, 2h, 1d)", label, arg);
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
		src.is_file = d->value != 0;
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
	char shortopts[2 * NOPTIONS + 3], label[64];
	size_t i, ns = 0;
	char *words;
	int c, rc;

	options_init(o);
	*done = false;
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
		if (d->type == OT_ACTION) {
			if (strcmp(d->name, "help") == 0)
				options_usage(stdout);
			else
				printf("shoal %s\n", PACKAGE_VERSION);
			*done = true;
			return 0;
		}
		if ((rc = options_apply(o, d, optarg, optdef_label(d, label, sizeof label))) != 0)
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
	size_t i;

	free(o->sources);
	free(o->excludes);
	free(o->filters);
	free(o->identities);
	free(o->command);
	for (i = 0; i < o->nowned; i++)
		free(o->owned[i]);
	free(o->owned);
	memset(o, 0, sizeof *o);
}

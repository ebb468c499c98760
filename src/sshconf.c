/*
 * sshconf.c - ssh_config evaluated as OpenSSH 9.2 evaluates it.
 *
 * Load (once, before threads): the files are read, every line is split into
 * its keyword and arguments by ssh's rules (quotes, backslash escapes, '='
 * after the keyword, '#' comments) and checked: an unknown keyword (unless
 * an IgnoreUnknown seen before it covers it), a bad value, a bad Match or a
 * bad % token is an error naming file:line, as ssh makes it, whether the
 * line applies to any host or not.  Include is followed at load (its globs
 * do not depend on the host), relative paths from ~/.ssh (or /etc/ssh in
 * the system file), to a depth of 16.
 *
 * Evaluate (per host, any thread, read-only on what was loaded): ssh's
 * order: the user's file (or -F's) then the system's; the command line's
 * user and port are set first; Host lines match the name as given (case
 * sensitive, * and ? only, ! negates), Match criteria see the HostName and
 * user known so far; the first value obtained wins; then the HostName with
 * %h, canonicalisation, a final pass when asked (Match final, canonical, or
 * CanonicalizeHostname), and ssh's defaults.  A Host or Match block that
 * does not apply is skipped whole (each stores where the next one starts),
 * so a host costs one pattern match per block.
 *
 * Keywords shoal cannot honour are named once per run on stderr, the first
 * time a line with one applies to a host.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <glob.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <pwd.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "buf.h"
#include "log.h"
#include "sshconf.h"
#include "xmalloc.h"

#define SYSTEM_CONFIG "/etc/ssh/ssh_config"
#define INCLUDE_DEPTH 16

extern char **environ;

/* ---- the local user ------------------------------------------------------ */

static struct {
	pthread_once_t once;
	char *home, *ssh_dir, *login, *uid;
	char *host_full, *host_short; /* %l and %L */
} me = {.once = PTHREAD_ONCE_INIT};

static void
me_find(void)
{
	struct passwd pw, *res = NULL;
	char pwbuf[4096], hn[256];
	const char *home;

	if (getpwuid_r(getuid(), &pw, pwbuf, sizeof pwbuf, &res) == 0 && res != NULL) {
		me.home = xstrdup(pw.pw_dir);
		me.login = xstrdup(pw.pw_name);
	} else if ((home = getenv("HOME")) != NULL) {
		me.home = xstrdup(home);
	}
	if (me.home != NULL)
		me.ssh_dir = xasprintf("%s/.ssh", me.home);
	me.uid = xasprintf("%lu", (unsigned long)getuid());
	if (gethostname(hn, sizeof hn) != 0)
		hn[0] = '\0';
	hn[sizeof hn - 1] = '\0';
	me.host_full = xstrdup(hn);
	me.host_short = xstrndup(hn, strcspn(hn, "."));
}

const char *
sshconf_home(void)
{
	pthread_once(&me.once, me_find);
	return me.home;
}

const char *
sshconf_ssh_dir(void)
{
	pthread_once(&me.once, me_find);
	return me.ssh_dir;
}

const char *
sshconf_login(void)
{
	pthread_once(&me.once, me_find);
	return me.login;
}

/* ---- keywords ------------------------------------------------------------ */

enum kw {
	K_HOST,
	K_MATCH,
	K_INCLUDE,
	K_IGNOREUNKNOWN,
	K_HOSTNAME,
	K_USER,
	K_PORT,
	K_IDENTITYFILE,
	K_CERTIFICATEFILE,
	K_IDENTITIESONLY,
	K_IDENTITYAGENT,
	K_PUBKEYAUTH,
	K_PASSWORDAUTH,
	K_KBDINTAUTH,
	K_PREFAUTH,
	K_PROXYJUMP,
	K_PROXYCOMMAND,
	K_CONNECTTIMEOUT,
	K_ALIVEINTERVAL,
	K_ALIVECOUNT,
	K_TCPKEEPALIVE,
	K_STRICT,
	K_USERKH,
	K_GLOBALKH,
	K_HASHKH,
	K_HOSTKEYALIAS,
	K_REVOKEDHOSTKEYS,
	K_HOSTKEYALGS,
	K_KEX,
	K_CIPHERS,
	K_MACS,
	K_PUBKEYALGS,
	K_ADDRESSFAMILY,
	K_BINDADDRESS,
	K_REQUESTTTY,
	K_SETENV,
	K_SENDENV,
	K_LOGLEVEL,
	K_CONTROLMASTER,
	K_CONTROLPATH,
	K_CONTROLPERSIST,
	K_CANONHOST,
	K_CANONDOMAINS,
	K_CANONMAXDOTS,
	K_CANONFALLBACK,
	K_BATCHMODE,
	K_ACCEPTED, /* read, and no effect on how shoal connects */
	K_NAMED,    /* changes how ssh connects; shoal cannot: named */
	K_IGNORED,  /* covered by IgnoreUnknown */
};

struct keyword {
	const char *name; /* lower case, as ssh -G prints it */
	enum kw kw;
	const char *instead; /* K_NAMED: what shoal does instead */
};

static const struct keyword keywords[] = {
        {"host", K_HOST, NULL},
        {"match", K_MATCH, NULL},
        {"include", K_INCLUDE, NULL},
        {"ignoreunknown", K_IGNOREUNKNOWN, NULL},
        {"hostname", K_HOSTNAME, NULL},
        {"user", K_USER, NULL},
        {"port", K_PORT, NULL},
        {"identityfile", K_IDENTITYFILE, NULL},
        {"certificatefile", K_CERTIFICATEFILE, NULL},
        {"identitiesonly", K_IDENTITIESONLY, NULL},
        {"identityagent", K_IDENTITYAGENT, NULL},
        {"pubkeyauthentication", K_PUBKEYAUTH, NULL},
        {"dsaauthentication", K_PUBKEYAUTH, NULL},
        {"passwordauthentication", K_PASSWORDAUTH, NULL},
        {"kbdinteractiveauthentication", K_KBDINTAUTH, NULL},
        {"challengeresponseauthentication", K_KBDINTAUTH, NULL},
        {"skeyauthentication", K_KBDINTAUTH, NULL},
        {"tisauthentication", K_KBDINTAUTH, NULL},
        {"preferredauthentications", K_PREFAUTH, NULL},
        {"proxyjump", K_PROXYJUMP, NULL},
        {"proxycommand", K_PROXYCOMMAND, NULL},
        {"connecttimeout", K_CONNECTTIMEOUT, NULL},
        {"serveraliveinterval", K_ALIVEINTERVAL, NULL},
        {"serveralivecountmax", K_ALIVECOUNT, NULL},
        {"tcpkeepalive", K_TCPKEEPALIVE, NULL},
        {"keepalive", K_TCPKEEPALIVE, NULL},
        {"stricthostkeychecking", K_STRICT, NULL},
        {"userknownhostsfile", K_USERKH, NULL},
        {"globalknownhostsfile", K_GLOBALKH, NULL},
        {"hashknownhosts", K_HASHKH, NULL},
        {"hostkeyalias", K_HOSTKEYALIAS, NULL},
        {"hostkeyalgorithms", K_HOSTKEYALGS, NULL},
        {"kexalgorithms", K_KEX, NULL},
        {"ciphers", K_CIPHERS, NULL},
        {"macs", K_MACS, NULL},
        {"pubkeyacceptedalgorithms", K_PUBKEYALGS, NULL},
        {"pubkeyacceptedkeytypes", K_PUBKEYALGS, NULL},
        {"addressfamily", K_ADDRESSFAMILY, NULL},
        {"bindaddress", K_BINDADDRESS, NULL},
        {"requesttty", K_REQUESTTTY, NULL},
        {"setenv", K_SETENV, NULL},
        {"sendenv", K_SENDENV, NULL},
        {"loglevel", K_LOGLEVEL, NULL},
        {"controlmaster", K_CONTROLMASTER, NULL},
        {"controlpath", K_CONTROLPATH,
                "shoal keeps sessions in its own keeper (--persist), not an OpenSSH master"},
        {"controlpersist", K_CONTROLPERSIST, NULL},
        {"canonicalizehostname", K_CANONHOST, NULL},
        {"canonicaldomains", K_CANONDOMAINS, NULL},
        {"canonicalizemaxdots", K_CANONMAXDOTS, NULL},
        {"canonicalizefallbacklocal", K_CANONFALLBACK, NULL},
        /* Read; nothing to do for a non-interactive runner. */
        {"batchmode", K_BATCHMODE, NULL},
        {"escapechar", K_ACCEPTED, NULL},
        {"visualhostkey", K_ACCEPTED, NULL},
        {"fingerprinthash", K_ACCEPTED, NULL},
        {"numberofpasswordprompts", K_ACCEPTED, NULL},
        {"syslogfacility", K_ACCEPTED, NULL},
        {"logverbose", K_ACCEPTED, NULL},
        {"xauthlocation", K_ACCEPTED, NULL},
        {"canonicalizepermittedcnames", K_ACCEPTED, NULL},
        {"checkhostip", K_ACCEPTED, NULL},
        {"enablesshkeysign", K_ACCEPTED, NULL},
        {"forwardx11timeout", K_ACCEPTED, NULL},
        {"securitykeyprovider", K_ACCEPTED, NULL},
        {"streamlocalbindmask", K_ACCEPTED, NULL},
        {"streamlocalbindunlink", K_ACCEPTED, NULL},
        {"protocol", K_ACCEPTED, NULL},
        {"cipher", K_ACCEPTED, NULL},
        {"useroaming", K_ACCEPTED, NULL},
        {"rsaauthentication", K_ACCEPTED, NULL},
        {"rhostsrsaauthentication", K_ACCEPTED, NULL},
        {"compressionlevel", K_ACCEPTED, NULL},
        {"useprivilegedport", K_ACCEPTED, NULL},
        {"fallbacktorsh", K_ACCEPTED, NULL},
        {"usersh", K_ACCEPTED, NULL},
        {"gssapiauthentication", K_ACCEPTED, NULL},
        {"gssapidelegatecredentials", K_ACCEPTED, NULL},
        {"gssapikeyexchange", K_ACCEPTED, NULL},
        {"gssapitrustdns", K_ACCEPTED, NULL},
        {"gssapiclientidentity", K_ACCEPTED, NULL},
        {"gssapiserveridentity", K_ACCEPTED, NULL},
        {"gssapirenewalforcesrekey", K_ACCEPTED, NULL},
        {"gssapikexalgorithms", K_ACCEPTED, NULL},
        {"nohostauthenticationforlocalhost", K_ACCEPTED, NULL},
        {"clearallforwardings", K_ACCEPTED, NULL},
        {"exitonforwardfailure", K_ACCEPTED, NULL},
        {"permitremoteopen", K_ACCEPTED, NULL},
        {"gatewayports", K_ACCEPTED, NULL},
        {"forwardx11trusted", K_ACCEPTED, NULL},
        {"casignaturealgorithms", K_ACCEPTED, NULL},
        {"hostbasedacceptedalgorithms", K_ACCEPTED, NULL},
        {"hostbasedkeytypes", K_ACCEPTED, NULL},
        {"hostbasedauthentication", K_ACCEPTED, NULL},
        {"kbdinteractivedevices", K_ACCEPTED, NULL},
        /* Change how ssh connects; shoal cannot (yet). */
        {"forwardagent", K_NAMED, "no agent forwarding"},
        {"forwardx11", K_NAMED, "no X11 forwarding"},
        {"localforward", K_NAMED, "no port forwarding"},
        {"remoteforward", K_NAMED, "no port forwarding"},
        {"dynamicforward", K_NAMED, "no port forwarding"},
        {"tunnel", K_NAMED, "no tunnel device"},
        {"tunneldevice", K_NAMED, "no tunnel device"},
        {"compression", K_NAMED, "no compression"},
        {"connectionattempts", K_NAMED, "--retries decides the attempts"},
        {"remotecommand", K_NAMED, "the command line's command runs"},
        {"localcommand", K_NAMED, "no local command"},
        {"permitlocalcommand", K_NAMED, "no local command"},
        {"updatehostkeys", K_NAMED, "known_hosts is not updated from the server"},
        {"verifyhostkeydns", K_NAMED, "no SSHFP lookup"},
        {"knownhostscommand", K_NAMED, "only the known_hosts files are read"},
        {"revokedhostkeys", K_REVOKEDHOSTKEYS, NULL},
        {"addkeystoagent", K_NAMED, "keys are not added to the agent"},
        {"pkcs11provider", K_NAMED, "no PKCS#11 keys"},
        {"smartcarddevice", K_NAMED, "no PKCS#11 keys"},
        {"rekeylimit", K_NAMED, "libssh's rekeying defaults"},
        {"ipqos", K_NAMED, "the system's IP QoS"},
        {"bindinterface", K_NAMED, "the routing table picks the interface"},
        {"proxyusefdpass", K_NAMED, "the proxy's stdin/stdout carry the connection"},
        {"stdinnull", K_NAMED, "stdin as -I says"},
        {"sessiontype", K_NAMED, "a command session"},
        {"forkafterauthentication", K_NAMED, "shoal stays in the foreground"},
        {"requiredrsasize", K_NAMED, "libssh's minimum RSA size"},
        {"userknownhostsfile2", K_ACCEPTED, NULL},
        {"globalknownhostsfile2", K_ACCEPTED, NULL},
};

static const struct keyword *
keyword_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
		if (strcasecmp(keywords[i].name, name) == 0)
			return &keywords[i];
	}
	return NULL;
}

/* Names ssh accepts for one multi-valued keyword, the first of a value printed by -G. */
struct state {
	const char *name;
	int value;
};

static const struct state st_flag[] = {{"yes", 1}, {"no", 0}, {"true", 1}, {"false", 0}, {NULL, 0}};
static const struct state st_pubkey[] = {{"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0},
        {"unbound", 2}, {"host-bound", 3}, {NULL, 0}};
static const struct state st_strict[] = {{"true", SSHCONF_STRICT_YES}, {"false", SSHCONF_STRICT_NO},
        {"yes", SSHCONF_STRICT_YES}, {"no", SSHCONF_STRICT_NO}, {"ask", SSHCONF_STRICT_ASK},
        {"off", SSHCONF_STRICT_NO}, {"accept-new", SSHCONF_STRICT_NEW}, {NULL, 0}};
static const struct state st_af[] = {
        {"any", SSHCONF_AF_ANY}, {"inet", SSHCONF_AF_INET}, {"inet6", SSHCONF_AF_INET6}, {NULL, 0}};
static const struct state st_tty[] = {
        {"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0}, {"force", 2}, {"auto", 3}, {NULL, 0}};
static const struct state st_control[] = {{"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0},
        {"auto", 2}, {"ask", 3}, {"autoask", 4}, {NULL, 0}};
static const struct state st_canon[] = {
        {"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0}, {"always", 2}, {NULL, 0}};
static const struct state st_loglevel[] = {{"SILENT", 0}, {"QUIET", 0}, {"FATAL", 1}, {"ERROR", 2},
        {"INFO", 3}, {"VERBOSE", 4}, {"DEBUG", 5}, {"DEBUG1", 5}, {"DEBUG2", 6}, {"DEBUG3", 7},
        {NULL, 0}};

static int
state_find(const struct state *t, const char *name)
{
	for (; t->name != NULL; t++) {
		if (strcasecmp(t->name, name) == 0)
			return t->value;
	}
	return -1;
}

static const char *
state_name(const struct state *t, int value)
{
	for (; t->name != NULL; t++) {
		if (t->value == value)
			return t->name;
	}
	return "?";
}

/* ---- algorithms ---------------------------------------------------------- */

/* OpenSSH 9.2's names (ssh -Q) and defaults; libssh's support is asked once. */
enum algo { A_KEX, A_CIPHER, A_MAC, A_HOSTKEY, A_PUBKEY, A__COUNT };

static const char *const algo_all[A__COUNT] = {
        "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,"
        "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
        "diffie-hellman-group-exchange-sha1,diffie-hellman-group-exchange-sha256,"
        "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,curve25519-sha256,"
        "curve25519-sha256@libssh.org,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com",
        "3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes128-ctr,aes192-ctr,aes256-ctr,"
        "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com",
        "hmac-sha1,hmac-sha1-96,hmac-sha2-256,hmac-sha2-512,hmac-md5,hmac-md5-96,"
        "umac-64@openssh.com,umac-128@openssh.com,hmac-sha1-etm@openssh.com,"
        "hmac-sha1-96-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
        "hmac-sha2-512-etm@openssh.com,hmac-md5-etm@openssh.com,hmac-md5-96-etm@openssh.com,"
        "umac-64-etm@openssh.com,umac-128-etm@openssh.com",
        NULL, /* key types: set below */
        NULL,
};

#define KEY_TYPES                                                                                  \
	"ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,"                 \
	"sk-ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256,"                                 \
	"ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384,"                            \
	"ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521,"                            \
	"ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,"             \
	"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com," \
	"ssh-dss,ssh-dss-cert-v01@openssh.com,ssh-rsa,ssh-rsa-cert-v01@openssh.com,rsa-sha2-256,"  \
	"rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com"

#define KEY_DEFAULT                                                                                \
	"ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"               \
	"ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,"       \
	"sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"         \
	"rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,"         \
	"ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"  \
	"sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256"

static const char *const algo_default[A__COUNT] = {
        "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
        "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
        "diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
        "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
        "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
        "aes256-gcm@openssh.com",
        "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
        "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
        "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
        KEY_DEFAULT,
        KEY_DEFAULT,
};

static const char *
algo_all_list(enum algo a)
{
	return a >= A_HOSTKEY ? KEY_TYPES : algo_all[a];
}

static const char *const algo_keyword[A__COUNT] = {
        "KexAlgorithms", "Ciphers", "MACs", "HostKeyAlgorithms", "PubkeyAcceptedAlgorithms"};

static struct {
	pthread_once_t once;
	char *supported[A__COUNT]; /* of algo_all, those libssh takes, in that order */
	char *dflt[A__COUNT];      /* the defaults, filtered the same way */
} algos = {.once = PTHREAD_ONCE_INIT};

/* The buffer's text, owned by the caller ("" when empty). */
static char *
str_steal(struct buf *b)
{
	return b->p != NULL ? buf_steal(b) : xstrdup("");
}

/* Does name (one name) appear in the comma list? */
static bool
list_has(const char *list, const char *name, size_t len)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, ",");

		if (n == len && strncmp(p, name, len) == 0)
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Append name to a comma list in b unless it is there. */
static void
list_add(struct buf *b, const char *name, size_t len)
{
	if (b->len > 0 && list_has(b->p, name, len))
		return;
	if (b->len > 0)
		buf_appendc(b, ',');
	buf_append(b, name, len);
}

/* The names of list that are also in keep, in list's order. */
static char *
list_filter(const char *list, const char *keep)
{
	struct buf b;
	const char *p = list;

	buf_init(&b);
	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (n > 0 && list_has(keep, p, n))
			list_add(&b, p, n);
		p += n;
		if (*p == ',')
			p++;
	}
	return str_steal(&b);
}

static void
algos_probe(void)
{
	static const enum ssh_options_e opt[A__COUNT] = {SSH_OPTIONS_KEY_EXCHANGE,
	        SSH_OPTIONS_CIPHERS_C_S, SSH_OPTIONS_HMAC_C_S, SSH_OPTIONS_HOSTKEYS,
	        SSH_OPTIONS_PUBLICKEY_ACCEPTED_TYPES};
	ssh_session s = ssh_new();
	int a;

	if (s == NULL)
		fatal("out of memory creating an SSH session");
	for (a = 0; a < A__COUNT; a++) {
		const char *p = algo_all_list(a);
		struct buf b;

		buf_init(&b);
		while (*p != '\0') {
			size_t n = strcspn(p, ",");
			char *name = xstrndup(p, n);

			if (ssh_options_set(s, opt[a], name) == 0)
				list_add(&b, p, n);
			free(name);
			p += n;
			if (*p == ',')
				p++;
		}
		algos.supported[a] = str_steal(&b);
		algos.dflt[a] = list_filter(algo_default[a], algos.supported[a]);
	}
	ssh_free(s);
}

/* ---- patterns ------------------------------------------------------------ */

/* ssh's match_pattern: * and ? only ('[' is an ordinary character). */
static bool
pattern_match(const char *s, const char *pat, bool fold)
{
	const char *star = NULL, *resume = NULL;

	for (;;) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
			continue;
		}
		if (*s == '\0') {
			while (*pat == '*')
				pat++;
			return *pat == '\0';
		}
		if (*pat == '?' ||
		        (fold ? tolower((unsigned char)*pat) == tolower((unsigned char)*s)
		              : *pat == *s)) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
}

/*
 * ssh's match_pattern_list: comma-separated patterns, ! negates.  1: a
 * pattern matched and no negated one; -1: a negated one matched; 0: none.
 */
static int
pattern_list_match(const char *s, const char *list, bool fold)
{
	int got = 0;
	const char *p = list;
	char pat[1024];

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		bool neg = *p == '!';
		size_t off = neg ? 1 : 0;

		if (n - off < sizeof pat) {
			memcpy(pat, p + off, n - off);
			pat[n - off] = '\0';
			if (pattern_match(s, pat, fold)) {
				if (neg)
					return -1;
				got = 1;
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return got;
}

/* ---- what was loaded ----------------------------------------------------- */

struct cfile;

struct cline {
	int lineno;
	const struct keyword *k; /* NULL: covered by IgnoreUnknown */
	char *word;              /* the keyword as written */
	char *rest;              /* the text after the keyword */
	char **argv;
	int argc;
	struct cfile **inc; /* Include: the files, in glob order */
	size_t ninc;
	size_t next; /* Host/Match: the index of the next Host or Match line */
	bool walk;  /* Host/Match: its block has lines read even when inactive (Include, unknown) */
	bool noted; /* K_NAMED: already named this run */
};

struct cfile {
	char *path;
	struct cline *v;
	size_t n;
};

static struct {
	struct cfile *files[2];
	size_t nfiles;
	char *ignore; /* IgnoreUnknown patterns seen so far at load, comma-joined */
	pthread_mutex_t note_lock;
	struct cfile **all; /* every file read, for freeing */
	size_t nall;
} conf = {.note_lock = PTHREAD_MUTEX_INITIALIZER};

struct loader {
	char *err;
	bool checkperm; /* the top file must be the user's or root's and not writable by others */
	bool user;      /* a user file: relative Include from ~/.ssh, ~ allowed */
};

static int load_error(struct loader *ld, const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int
load_error(struct loader *ld, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		fatal("out of memory formatting a message");
	va_end(ap);
	if (ld->err == NULL)
		ld->err = xasprintf("%s line %d: %s", file, line, msg);
	free(msg);
	return -1;
}

/* ssh's argv_split with comments ending the line: quotes and \ escapes. */
static int
split_args(const char *s, char ***argvp, int *argcp)
{
	char **argv = NULL, *arg;
	int argc = 0;
	size_t i, j;
	char quote;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == ' ' || s[i] == '\t')
			continue;
		if (s[i] == '#')
			break;
		quote = 0;
		argv = xreallocarray(argv, (size_t)argc + 2, sizeof *argv);
		arg = argv[argc++] = xcalloc(1, strlen(s + i) + 1);
		argv[argc] = NULL;
		for (j = 0; s[i] != '\0'; i++) {
			if (s[i] == '\\' &&
			        (s[i + 1] == '\'' || s[i + 1] == '"' || s[i + 1] == '\\' ||
			                (quote == 0 && s[i + 1] == ' '))) {
				arg[j++] = s[++i];
			} else if (quote == 0 && (s[i] == ' ' || s[i] == '\t')) {
				break;
			} else if (quote == 0 && (s[i] == '"' || s[i] == '\'')) {
				quote = s[i];
			} else if (quote != 0 && s[i] == quote) {
				quote = 0;
			} else {
				arg[j++] = s[i];
			}
		}
		if (s[i] == '\0') {
			if (quote != 0) {
				*argvp = argv;
				*argcp = argc;
				return -1;
			}
			break;
		}
	}
	*argvp = argv;
	*argcp = argc;
	return 0;
}

/* ssh's convtime: 90, 1m30s, 2h... -1 when malformed. */
static long
parse_time(const char *s)
{
	long total = 0, v;
	char *end;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno != 0 || v < 0)
			return -1;
		switch (*end) {
		case '\0':
			break;
		case 's':
		case 'S':
			end++;
			break;
		case 'm':
		case 'M':
			v *= 60;
			end++;
			break;
		case 'h':
		case 'H':
			v *= 3600;
			end++;
			break;
		case 'd':
		case 'D':
			v *= 86400;
			end++;
			break;
		case 'w':
		case 'W':
			v *= 604800;
			end++;
			break;
		default:
			return -1;
		}
		total += v;
		if (total > 0x7fffffff)
			return -1;
		s = end;
	}
	return total;
}

static long
parse_int(const char *s, long lo, long hi)
{
	char *end;
	long v;

	if (*s == '\0')
		return LONG_MIN;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return LONG_MIN;
	return v;
}

/* Are the % tokens of s among allowed (always %%)? */
static bool
tokens_ok(const char *s, const char *allowed, char *bad)
{
	for (; *s != '\0'; s++) {
		if (*s != '%')
			continue;
		s++;
		if (*s == '%')
			continue;
		if (*s == '\0' || strchr(allowed, *s) == NULL) {
			*bad = *s;
			return false;
		}
	}
	return true;
}

#define TOKENS_ALL "CdhijkLlnpru"

/* Check one algorithm-list value as ssh does at load. */
static bool
algo_value_ok(enum algo a, const char *v, char *badname, size_t badlen)
{
	const char *p = v, *all = algo_all_list(a);
	char name[256];

	if (*p == '-')
		return true; /* patterns to remove: anything goes */
	if (*p == '+' || *p == '^')
		p++;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (n == 0 || n >= sizeof name)
			goto bad;
		memcpy(name, p, n);
		name[n] = '\0';
		if (a >= A_HOSTKEY) {
			/* key types allow patterns that match one of them */
			const char *q = all;
			bool hit = false;

			while (*q != '\0' && !hit) {
				size_t m = strcspn(q, ",");
				char t[128];

				snprintf(t, sizeof t, "%.*s", (int)m, q);
				hit = pattern_list_match(t, name, false) != 0;
				q += m;
				if (*q == ',')
					q++;
			}
			if (!hit)
				goto bad;
		} else if (!list_has(all, name, n)) {
			goto bad;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return true;
bad:
	snprintf(badname, badlen, "%s", v);
	return false;
}

/* user@host:port or ssh://user@host:port, as ProxyJump takes it; false if bad. */
static bool
parse_jump_hop(const char *s, char **user, char **host, int *port)
{
	char *d, *h, *at, *c;
	bool ok = true;
	long pv;

	*user = *host = NULL;
	*port = -1;
	if (strncmp(s, "ssh://", 6) == 0) {
		s += 6;
		d = xstrdup(s);
		if ((c = strchr(d, '/')) != NULL) {
			if (c[1] != '\0')
				ok = false;
			*c = '\0';
		}
	} else {
		d = xstrdup(s);
	}
	h = d;
	if ((at = strrchr(d, '@')) != NULL) {
		*at = '\0';
		if (*d == '\0')
			ok = false;
		*user = xstrdup(d);
		h = at + 1;
	}
	if (*h == '[') {
		c = strchr(h, ']');
		if (c == NULL) {
			ok = false;
		} else {
			*c = '\0';
			*host = xstrdup(h + 1);
			h = c + 1;
			if (*h == ':') {
				pv = parse_int(h + 1, 1, 65535);
				ok = ok && pv != LONG_MIN;
				*port = (int)pv;
			} else if (*h != '\0') {
				ok = false;
			}
		}
	} else {
		c = strchr(h, ':');
		if (c != NULL) {
			*c = '\0';
			pv = parse_int(c + 1, 1, 65535);
			ok = ok && pv != LONG_MIN;
			*port = (int)pv;
		}
		*host = xstrdup(h);
	}
	if (*host == NULL || **host == '\0')
		ok = false;
	free(d);
	if (!ok) {
		free(*user);
		free(*host);
		*user = *host = NULL;
	}
	return ok;
}

/*
 * OpenSSH's rule for a name that may reach a shell: no leading '-', no
 * control character, none of the shell's quotes and operators; a user may
 * hold blanks, but none before a '-' (an option smuggled in), nor end in
 * '\' (escaping what follows); a host holds no blank, '$', '\' or ','.
 */
static bool
name_ok(const char *s, bool host)
{
	const char *banned = host ? "'`\"$\\;&<>|(){}," : "'`\";&<>|(){}";
	size_t i;

	if (s[0] == '-')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (iscntrl(c) || strchr(banned, c) != NULL)
			return false;
		if (isspace(c) && (host || s[i + 1] == '-'))
			return false;
		if (c == '\\' && s[i + 1] == '\0')
			return false;
	}
	return true;
}

const char *
sshconf_bad_name(const char *user, const char *host)
{
	if (user != NULL && !name_ok(user, false))
		return "remote username contains invalid characters";
	if (host != NULL && !name_ok(host, true))
		return "hostname contains invalid characters";
	return NULL;
}

/*
 * A ProxyJump chain: false when a hop is bad.  names, when not NULL, gets
 * the message of a hop whose user or host sshconf_bad_name refuses (ssh
 * checks the names of -J, not of ProxyJump: its child ssh does).
 */
static bool
jump_ok(const char *s, const char **names)
{
	char *d = xstrdup(s), *p, *u, *h;
	int port;
	bool ok = true;

	if (strcasecmp(s, "none") == 0) {
		free(d);
		return true;
	}
	for (p = strtok(d, ","); p != NULL && ok; p = strtok(NULL, ",")) {
		ok = parse_jump_hop(p, &u, &h, &port);
		if (ok && names != NULL && (*names = sshconf_bad_name(u, h)) != NULL)
			ok = false;
		free(u);
		free(h);
	}
	free(d);
	return ok;
}

bool
sshconf_jump_hop(const char *s, char **user, char **host, int *port)
{
	return parse_jump_hop(s, user, host, port);
}

bool
sshconf_jump_ok(const char *s, const char **names)
{
	*names = NULL;
	return jump_ok(s, names);
}

static int load_file(struct loader *ld, const char *path, int depth, struct cfile **out);

static void
strip_trailing(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && strchr(" \t\r\n\f", s[n - 1]) != NULL)
		s[--n] = '\0';
}

/* A list of files naming "none" (no file at all) among others: ssh refuses it. */
static bool
none_mixed(const struct cline *l)
{
	int i;

	for (i = 0; l->argc > 1 && i < l->argc; i++) {
		if (strcasecmp(l->argv[i], "none") == 0)
			return true;
	}
	return false;
}

/* Validate one line; fill its Include.  0, or -1 with ld->err. */
static int
check_line(struct loader *ld, const char *file, struct cline *l, int depth)
{
	const char *a0 = l->argc > 0 ? l->argv[0] : NULL, *kwname = l->k->name;
	int i, single = 1;
	char bad = 0, badname[300];

	switch (l->k->kw) {
	case K_HOST:
	case K_MATCH:
		return 0; /* checked by the evaluator's own parser at load: see match_check */
	case K_INCLUDE:
		if (l->argc == 0)
			return load_error(ld, file, l->lineno, "Include: missing argument");
		for (i = 0; i < l->argc; i++) {
			const char *arg = l->argv[i];
			char *pat;
			glob_t g;
			int rc;
			size_t k;

			if (arg[0] == '~' && !ld->user)
				return load_error(ld, file, l->lineno,
				        "Include: ~ paths are not allowed in the system file");
			if (arg[0] == '~' && (arg[1] == '/' || arg[1] == '\0'))
				pat = xasprintf(
				        "%s%s", sshconf_home() ? sshconf_home() : "", arg + 1);
			else if (arg[0] == '/' || arg[0] == '~')
				pat = xstrdup(arg);
			else
				pat = xasprintf("%s/%s",
				        ld->user ? (sshconf_ssh_dir() ? sshconf_ssh_dir() : ".")
				                 : "/etc/ssh",
				        arg);
			rc = glob(pat, arg[0] == '~' ? GLOB_TILDE : 0, NULL, &g);
			free(pat);
			if (rc == GLOB_NOMATCH)
				continue;
			if (rc != 0)
				return load_error(
				        ld, file, l->lineno, "Include: glob failed: %s", arg);
			if (depth + 1 > INCLUDE_DEPTH) {
				globfree(&g);
				return load_error(
				        ld, file, l->lineno, "Include: too deeply nested");
			}
			for (k = 0; k < g.gl_pathc; k++) {
				struct cfile *f = NULL;

				if (load_file(ld, g.gl_pathv[k], depth + 1, &f) < 0) {
					globfree(&g);
					return -1;
				}
				if (f == NULL)
					continue;
				l->inc = xreallocarray(l->inc, l->ninc + 1, sizeof *l->inc);
				l->inc[l->ninc++] = f;
			}
			globfree(&g);
		}
		return 0;
	case K_PROXYCOMMAND:
		if (l->rest[0] == '\0')
			return load_error(ld, file, l->lineno, "%s: missing argument", kwname);
		if (!tokens_ok(l->rest, "hnpr", &bad))
			goto bad_token;
		return 0;
	case K_PROXYJUMP:
		if (l->rest[0] == '\0')
			return load_error(ld, file, l->lineno, "%s: missing argument", kwname);
		/* as ssh: a comment ends the value */
		l->rest[strcspn(l->rest, "#")] = '\0';
		strip_trailing(l->rest);
		if (!jump_ok(l->rest, NULL))
			return load_error(ld, file, l->lineno, "Invalid ProxyJump \"%s\"", l->rest);
		return 0;
	case K_ACCEPTED:
	case K_NAMED:
	case K_IGNORED:
		return 0;
	case K_IGNOREUNKNOWN:
	case K_USERKH:
	case K_GLOBALKH:
	case K_CANONDOMAINS:
	case K_SETENV:
	case K_SENDENV:
		single = 0;
		break;
	default:
		break;
	}
	if (a0 == NULL)
		return load_error(ld, file, l->lineno, "%s: missing argument", kwname);
	if (single && l->argc > 1)
		return load_error(
		        ld, file, l->lineno, "garbage at end of line; \"%s\"", l->argv[1]);
	switch (l->k->kw) {
	case K_PORT:
		if (parse_int(a0, 1, 65535) == LONG_MIN)
			return load_error(
			        ld, file, l->lineno, "Badly formatted port number \"%s\"", a0);
		break;
	case K_BATCHMODE:
	case K_IDENTITIESONLY:
	case K_PASSWORDAUTH:
	case K_KBDINTAUTH:
	case K_TCPKEEPALIVE:
	case K_HASHKH:
	case K_CANONFALLBACK:
		if (state_find(st_flag, a0) < 0)
			goto bad_value;
		break;
	case K_PUBKEYAUTH:
		if (state_find(st_pubkey, a0) < 0)
			goto bad_value;
		break;
	case K_STRICT:
		if (state_find(st_strict, a0) < 0)
			goto bad_value;
		break;
	case K_ADDRESSFAMILY:
		if (state_find(st_af, a0) < 0)
			goto bad_value;
		break;
	case K_REQUESTTTY:
		if (state_find(st_tty, a0) < 0)
			goto bad_value;
		break;
	case K_CONTROLMASTER:
		if (state_find(st_control, a0) < 0)
			goto bad_value;
		break;
	case K_CANONHOST:
		if (state_find(st_canon, a0) < 0)
			goto bad_value;
		break;
	case K_LOGLEVEL:
		if (state_find(st_loglevel, a0) < 0)
			goto bad_value;
		break;
	case K_CONNECTTIMEOUT:
	case K_ALIVEINTERVAL:
		if (parse_time(a0) < 0)
			return load_error(ld, file, l->lineno, "invalid time value \"%s\"", a0);
		break;
	case K_CONTROLPERSIST:
		if (state_find(st_flag, a0) < 0 && parse_time(a0) < 0)
			return load_error(ld, file, l->lineno, "Bad ControlPersist \"%s\"", a0);
		break;
	case K_ALIVECOUNT:
	case K_CANONMAXDOTS:
		if (parse_int(a0, 0, 0x7fffffff) == LONG_MIN)
			return load_error(ld, file, l->lineno, "%s: bad number \"%s\"", kwname, a0);
		break;
	case K_HOSTNAME:
		if (!tokens_ok(a0, "h", &bad))
			goto bad_token;
		break;
	case K_IDENTITYFILE:
	case K_CERTIFICATEFILE:
	case K_IDENTITYAGENT:
	case K_CONTROLPATH:
	case K_REVOKEDHOSTKEYS:
		if (!tokens_ok(a0, TOKENS_ALL, &bad))
			goto bad_token;
		break;
	case K_USERKH:
		for (i = 0; i < l->argc; i++) {
			if (!tokens_ok(l->argv[i], TOKENS_ALL, &bad))
				goto bad_token;
		}
		if (none_mixed(l))
			goto none_mixed;
		break;
	case K_GLOBALKH:
		if (none_mixed(l))
			goto none_mixed;
		break;
	case K_KEX:
	case K_CIPHERS:
	case K_MACS:
	case K_HOSTKEYALGS:
	case K_PUBKEYALGS: {
		enum algo a = l->k->kw == K_KEX           ? A_KEX
		              : l->k->kw == K_CIPHERS     ? A_CIPHER
		              : l->k->kw == K_MACS        ? A_MAC
		              : l->k->kw == K_HOSTKEYALGS ? A_HOSTKEY
		                                          : A_PUBKEY;

		if (!algo_value_ok(a, a0, badname, sizeof badname))
			return load_error(
			        ld, file, l->lineno, "Bad %s spec '%s'", algo_keyword[a], badname);
		break;
	}
	case K_SETENV:
		for (i = 0; i < l->argc; i++) {
			if (strchr(l->argv[i], '=') == NULL)
				return load_error(
				        ld, file, l->lineno, "Invalid SetEnv \"%s\"", l->argv[i]);
		}
		break;
	case K_IGNOREUNKNOWN:
		if (conf.ignore == NULL) {
			conf.ignore = xstrdup(a0);
		} else {
			char *j = xasprintf("%s,%s", conf.ignore, a0);

			free(conf.ignore);
			conf.ignore = j;
		}
		break;
	default:
		break;
	}
	return 0;
bad_value:
	return load_error(ld, file, l->lineno, "unsupported option \"%s\" for %s", a0, kwname);
bad_token:
	return load_error(ld, file, l->lineno, "%s: unknown token %%%c", kwname, bad);
none_mixed:
	return load_error(
	        ld, file, l->lineno, "keyword %s \"none\" argument must appear alone.", kwname);
}

static const char *const match_attrs[] = {
        "all", "canonical", "final", "exec", "host", "originalhost", "user", "localuser", NULL};

/* A Match line as ssh checks it before evaluating anything. */
static int
match_check(struct loader *ld, const char *file, const struct cline *l)
{
	int i, k, n = 0;
	bool all = false, other = false;

	if (l->argc == 0)
		return load_error(ld, file, l->lineno, "Missing Match criteria");
	for (i = 0; i < l->argc; i++) {
		const char *a = l->argv[i];

		if (*a == '!')
			a++;
		for (k = 0; match_attrs[k] != NULL && strcasecmp(match_attrs[k], a) != 0; k++)
			;
		if (match_attrs[k] == NULL)
			return load_error(ld, file, l->lineno, "Unsupported Match attribute %s", a);
		n++;
		if (k == 0)
			all = true;
		else if (k > 2)
			other = true;
		if (k >= 3) {
			if (i + 1 >= l->argc || l->argv[i + 1][0] == '\0')
				return load_error(
				        ld, file, l->lineno, "Missing Match criteria for %s", a);
			i++;
			if (k == 3) {
				char bad = 0;

				if (!tokens_ok(l->argv[i], TOKENS_ALL, &bad))
					return load_error(ld, file, l->lineno,
					        "Match exec: unknown token %%%c", bad);
			}
		}
	}
	if (all && other)
		return load_error(ld, file, l->lineno,
		        "'all' cannot be combined with other Match attributes");
	return n > 0 ? 0 : -1;
}

/* Read and check path; *out NULL when it does not exist. */
static int
load_file(struct loader *ld, const char *path, int depth, struct cfile **out)
{
	FILE *fp;
	char *line = NULL, *p, *kw;
	size_t cap = 0, last_block = (size_t)-1;
	int lineno = 0, rc = 0;
	struct cfile *f;
	struct stat st;

	*out = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && depth > 0)
			return 0;
		ld->err = xasprintf("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(fp);
		ld->err = xasprintf("cannot read %s: it is a directory", path);
		return -1;
	}
	/* as ssh: the user's file and every included file */
	if ((depth > 0 || ld->checkperm) && fstat(fileno(fp), &st) == 0 &&
	        ((st.st_uid != 0 && st.st_uid != getuid()) || (st.st_mode & 022) != 0)) {
		fclose(fp);
		ld->err = xasprintf("Bad owner or permissions on %s", path);
		return -1;
	}
	f = xcalloc(1, sizeof *f);
	f->path = xstrdup(path);
	conf.all = xreallocarray(conf.all, conf.nall + 1, sizeof *conf.all);
	conf.all[conf.nall++] = f;
	while (rc == 0 && getline(&line, &cap, fp) >= 0) {
		struct cline l;
		size_t kwlen;

		lineno++;
		strip_trailing(line);
		p = line + strspn(line, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		kw = p;
		kwlen = strcspn(p, " \t=");
		p += kwlen;
		p += strspn(p, " \t");
		if (*p == '=')
			p++;
		p += strspn(p, " \t");
		memset(&l, 0, sizeof l);
		l.lineno = lineno;
		kw[kwlen] = '\0';
		l.k = keyword_find(kw);
		if (l.k == NULL) {
			if (conf.ignore != NULL && pattern_list_match(kw, conf.ignore, true) == 1) {
				static const struct keyword ignored = {"", K_IGNORED, NULL};

				l.k = &ignored;
			} else {
				rc = load_error(
				        ld, path, lineno, "Bad configuration option: %s", kw);
				break;
			}
		}
		l.word = xstrdup(kw);
		l.rest = xstrdup(p + strspn(p, " \t="));
		if (split_args(p, &l.argv, &l.argc) < 0) {
			rc = load_error(ld, path, lineno, "invalid quotes");
		} else if (l.k->kw == K_MATCH) {
			rc = match_check(ld, path, &l);
		} else if (l.k->kw == K_HOST && l.argc == 0) {
			rc = load_error(ld, path, lineno, "Host: missing argument");
		} else {
			rc = check_line(ld, path, &l, depth);
		}
		f->v = xreallocarray(f->v, f->n + 1, sizeof *f->v);
		f->v[f->n] = l;
		if (((l.k->kw == K_INCLUDE && l.ninc > 0) || l.k->kw == K_IGNORED) &&
		        last_block != (size_t)-1)
			f->v[last_block].walk = true;
		if (l.k->kw == K_HOST || l.k->kw == K_MATCH) {
			if (last_block != (size_t)-1)
				f->v[last_block].next = f->n;
			last_block = f->n;
		}
		f->n++;
	}
	if (last_block != (size_t)-1)
		f->v[last_block].next = f->n;
	free(line);
	fclose(fp);
	*out = f;
	return rc;
}

int
sshconf_load(const char *path)
{
	struct loader ld = {.err = NULL, .checkperm = false, .user = true};
	struct cfile *f = NULL;
	char *user;
	int rc = 0;

	if (path != NULL && strcmp(path, "none") == 0)
		return 0;
	if (path != NULL) {
		struct stat st;

		if (stat(path, &st) != 0) {
			log_msg(LOG_QUIET, "ssh_config %s: %s", path, strerror(errno));
			return 2;
		}
		rc = load_file(&ld, path, 0, &f);
		if (f != NULL)
			conf.files[conf.nfiles++] = f;
	} else {
		user = sshconf_ssh_dir() ? xasprintf("%s/config", sshconf_ssh_dir()) : NULL;
		if (user != NULL && access(user, F_OK) == 0) {
			ld.checkperm = true;
			rc = load_file(&ld, user, 0, &f);
			ld.checkperm = false;
			if (f != NULL)
				conf.files[conf.nfiles++] = f;
		}
		free(user);
		ld.user = false;
		if (rc == 0 && access(SYSTEM_CONFIG, F_OK) == 0) {
			rc = load_file(&ld, SYSTEM_CONFIG, 0, &f);
			if (f != NULL)
				conf.files[conf.nfiles++] = f;
		}
	}
	if (rc < 0) {
		log_msg(LOG_QUIET, "ssh_config: %s", ld.err);
		free(ld.err);
		return 2;
	}
	return 0;
}

static void
names_in(const struct cfile *f, const char *const *kws, bool *found)
{
	size_t i, k;
	int j;

	for (i = 0; i < f->n && !*found; i++) {
		for (j = 0; kws[j] != NULL; j++) {
			const struct keyword *kw = keyword_find(kws[j]);

			if (kw != NULL && f->v[i].k->kw == kw->kw && f->v[i].k->kw != K_NAMED &&
			        f->v[i].k->kw != K_ACCEPTED)
				*found = true;
		}
		for (k = 0; k < f->v[i].ninc; k++)
			names_in(f->v[i].inc[k], kws, found);
	}
}

bool
sshconf_names(const char *path, const char *const *keywords_)
{
	bool found = false;
	size_t i;

	(void)path;
	for (i = 0; i < conf.nfiles; i++)
		names_in(conf.files[i], keywords_, &found);
	return found;
}

static void
list_free(struct sshconf_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
list_push(struct sshconf_list *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = xstrdup(s);
}

/* ssh keeps one of each identity or certificate file. */
static void
list_push_once(struct sshconf_list *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], s) == 0)
			return;
	}
	list_push(l, s);
}

static void
cfile_free(struct cfile *f)
{
	size_t i;
	int k;

	for (i = 0; i < f->n; i++) {
		for (k = 0; k < f->v[i].argc; k++)
			free(f->v[i].argv[k]);
		free(f->v[i].argv);
		free(f->v[i].rest);
		free(f->v[i].word);
		free(f->v[i].inc);
	}
	free(f->v);
	free(f->path);
	free(f);
}

void
sshconf_free(void)
{
	size_t i;

	for (i = 0; i < conf.nall; i++)
		cfile_free(conf.all[i]);
	free(conf.all);
	conf.all = NULL;
	conf.nall = 0;
	conf.nfiles = 0;
	free(conf.ignore);
	conf.ignore = NULL;
}

/* ---- evaluation ---------------------------------------------------------- */

struct ev {
	struct sshconf_host *o;
	const char *host;     /* what Host lines match */
	const char *original; /* the name as given */
	bool final;
	bool want_final;
	char *algo[A__COUNT]; /* as written, first wins */
	int ctl_persist_set;
	int batch_mode; /* -1 unset: ServerAliveInterval's default depends on it */
	char *err;
};

/* The values the % tokens stand for, once a host's config is known. */
struct tokens {
	const char *h, *n, *p, *r, *k, *j;
	char C[41];
};

/* The tokens for o; hostname, user and port replace o's when given (Match exec). */
static void
tokens_fill(struct tokens *t, const struct sshconf_host *o, const char *hostname, const char *user,
        int port, char *portbuf, size_t portlen)
{
	EVP_MD_CTX *md;
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;

	snprintf(portbuf, portlen, "%d", port > 0 ? port : o->port > 0 ? o->port : 22);
	t->h = hostname ? hostname : o->hostname;
	t->n = o->host;
	t->p = portbuf;
	t->r = user ? user : o->user ? o->user : "";
	t->k = o->host_key_alias ? o->host_key_alias : o->host;
	t->j = o->jump_host ? o->jump_host : "";
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1 ||
	        EVP_DigestUpdate(md, me.host_full, strlen(me.host_full)) != 1 ||
	        EVP_DigestUpdate(md, t->h, strlen(t->h)) != 1 ||
	        EVP_DigestUpdate(md, t->p, strlen(t->p)) != 1 ||
	        EVP_DigestUpdate(md, t->r, strlen(t->r)) != 1 ||
	        EVP_DigestFinal_ex(md, dg, &dlen) != 1)
		fatal("SHA-1 for %%C failed");
	EVP_MD_CTX_free(md);
	for (i = 0; i < dlen && i < 20; i++)
		snprintf(t->C + 2 * i, 3, "%02x", dg[i]);
}

/*
 * Expand ~ (tilde) and the % tokens of s (all: TOKENS_ALL, else only h n p
 * r), and ${VAR} (env).  NULL with *err when a variable is unset.
 */
static char *
expand(const char *s, const struct tokens *t, bool tilde, bool env, char **err)
{
	struct buf b;

	buf_init(&b);
	if (tilde && s[0] == '~' && (s[1] == '/' || s[1] == '\0')) {
		buf_appends(&b, sshconf_home() ? sshconf_home() : "");
		s++;
	} else if (tilde && s[0] == '~') {
		size_t n = strcspn(s + 1, "/");
		char *name = xstrndup(s + 1, n), pwbuf[4096];
		struct passwd pw, *res = NULL;

		if (getpwnam_r(name, &pw, pwbuf, sizeof pwbuf, &res) == 0 && res != NULL) {
			buf_appends(&b, pw.pw_dir);
			s += 1 + n;
		}
		free(name);
	}
	for (; *s != '\0'; s++) {
		if (env && s[0] == '$' && s[1] == '{' && strchr(s, '}') != NULL) {
			size_t n = strcspn(s + 2, "}");
			char *name = xstrndup(s + 2, n);
			const char *v = getenv(name);

			if (v == NULL) {
				*err = xasprintf("environment variable ${%s} has no value", name);
				free(name);
				buf_free(&b);
				return NULL;
			}
			buf_appends(&b, v);
			free(name);
			s += 2 + n;
			continue;
		}
		if (*s != '%' || s[1] == '\0') {
			buf_appendc(&b, *s);
			continue;
		}
		s++;
		switch (*s) {
		case '%':
			buf_appendc(&b, '%');
			break;
		case 'h':
			buf_appends(&b, t->h);
			break;
		case 'n':
			buf_appends(&b, t->n);
			break;
		case 'p':
			buf_appends(&b, t->p);
			break;
		case 'r':
			buf_appends(&b, t->r);
			break;
		case 'k':
			buf_appends(&b, t->k);
			break;
		case 'j':
			buf_appends(&b, t->j);
			break;
		case 'C':
			buf_appends(&b, t->C);
			break;
		case 'd':
			buf_appends(&b, sshconf_home() ? sshconf_home() : "");
			break;
		case 'u':
			buf_appends(&b, sshconf_login() ? sshconf_login() : "");
			break;
		case 'i':
			buf_appends(&b, me.uid);
			break;
		case 'l':
			buf_appends(&b, me.host_full);
			break;
		case 'L':
			buf_appends(&b, me.host_short);
			break;
		default:
			buf_appendc(&b, '%');
			buf_appendc(&b, *s);
			break;
		}
	}
	return str_steal(&b);
}

/* Name a keyword shoal cannot honour, once per run. */
static void
note_named(const char *file, struct cline *l, const char *instead)
{
	static const char *done[sizeof keywords / sizeof keywords[0]];
	size_t slot = (size_t)(l->k - keywords);
	bool first = false;

	pthread_mutex_lock(&conf.note_lock);
	if (!l->noted) {
		l->noted = true;
		if (slot < sizeof done / sizeof done[0] && done[slot] == NULL) {
			done[slot] = l->k->name;
			first = true;
		}
	}
	pthread_mutex_unlock(&conf.note_lock);
	if (first)
		log_msg(LOG_NORMAL, "%s line %d: %s is not honoured by shoal: %s", file, l->lineno,
		        l->word, instead);
}

/* Run a Match exec command: true when it exits 0. */
static bool
match_exec(const char *cmd)
{
	posix_spawn_file_actions_t fa;
	char sh[] = "/bin/sh", dash_c[] = "-c", *line = xstrdup(cmd);
	char *argv[] = {sh, dash_c, line, NULL};
	pid_t pid;
	int status = 0, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(line);
	if (rc != 0)
		return false;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The host Match criteria compare: the HostName so far with %h, else the name. */
static char *
match_host_now(const struct ev *e)
{
	struct buf b;
	const char *s;

	if (e->final)
		return xstrdup(e->o->hostname);
	if (e->o->hostname == NULL)
		return xstrdup(e->host);
	buf_init(&b);
	for (s = e->o->hostname; *s != '\0'; s++) {
		if (s[0] == '%' && s[1] == 'h') {
			buf_appends(&b, e->host);
			s++;
		} else if (s[0] == '%' && s[1] == '%') {
			buf_appendc(&b, '%');
			s++;
		} else {
			buf_appendc(&b, *s);
		}
	}
	return str_steal(&b);
}

static bool
match_line(struct ev *e, const struct cline *l)
{
	bool result = true;
	int i;
	char *host = match_host_now(e);
	const char *ruser = e->o->user ? e->o->user : (sshconf_login() ? sshconf_login() : "");

	for (i = 0; i < l->argc; i++) {
		const char *a = l->argv[i], *arg = NULL;
		bool neg = *a == '!', r = true;

		if (neg)
			a++;
		if (strcasecmp(a, "all") == 0) {
			r = true;
		} else if (strcasecmp(a, "canonical") == 0 || strcasecmp(a, "final") == 0) {
			if (strcasecmp(a, "final") == 0)
				e->want_final = true;
			r = e->final;
		} else {
			arg = l->argv[++i];
			if (strcasecmp(a, "host") == 0) {
				char *lh = xstrdup(host), *c;

				for (c = lh; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				r = pattern_list_match(lh, arg, true) == 1;
				free(lh);
			} else if (strcasecmp(a, "originalhost") == 0) {
				char *lh = xstrdup(e->original), *c;

				for (c = lh; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				r = pattern_list_match(lh, arg, true) == 1;
				free(lh);
			} else if (strcasecmp(a, "user") == 0) {
				r = pattern_list_match(ruser, arg, false) == 1;
			} else if (strcasecmp(a, "localuser") == 0) {
				r = pattern_list_match(sshconf_login() ? sshconf_login() : "", arg,
				            false) == 1;
			} else if (strcasecmp(a, "exec") == 0) {
				if (!result) {
					r = true; /* skipped after a failed criterion, as ssh does
					           */
					neg = false;
				} else {
					struct tokens t;
					char portbuf[16], *cmd, *err = NULL;

					tokens_fill(
					        &t, e->o, host, ruser, 0, portbuf, sizeof portbuf);
					cmd = expand(arg, &t, false, false, &err);
					r = cmd != NULL && match_exec(cmd);
					free(cmd);
					free(err);
				}
			}
		}
		if (r == neg)
			result = false;
	}
	free(host);
	return result;
}

static void
set_str(char **dst, const char *v)
{
	if (*dst == NULL)
		*dst = xstrdup(v);
}

static void
set_int(int *dst, int v)
{
	if (*dst == -1)
		*dst = v;
}

static void
apply_jump(struct ev *e, const char *s)
{
	struct sshconf_host *o = e->o;
	const char *c;
	int port;

	if (o->proxy_command != NULL || o->jump_host != NULL)
		return;
	if (strcasecmp(s, "none") == 0) {
		o->jump_host = xstrdup("none");
		return;
	}
	c = strrchr(s, ',');
	if (!parse_jump_hop(c ? c + 1 : s, &o->jump_user, &o->jump_host, &port))
		return;
	o->jump_port = port;
	if (c != NULL && c != s)
		o->jump_extra = xstrndup(s, (size_t)(c - s));
	o->proxy_command = xstrdup("none");
}

static void apply_file(struct ev *e, struct cfile *f, bool *active, bool nevermatch);

static void
apply_line(struct ev *e, struct cfile *f, struct cline *l, bool *active, bool nevermatch)
{
	struct sshconf_host *o = e->o;
	const char *a0 = l->argc > 0 ? l->argv[0] : "";
	int i;
	size_t k;

	switch (l->k->kw) {
	case K_INCLUDE:
		for (k = 0; k < l->ninc; k++) {
			bool save = *active;

			apply_file(e, l->inc[k], active, nevermatch || !save);
			*active = save;
		}
		return;
	case K_IGNORED:
		/* ssh checks it against the IgnoreUnknown this host has so far, active or not */
		if (e->err == NULL &&
		        (o->ignore_unknown == NULL ||
		                pattern_list_match(l->word, o->ignore_unknown, true) != 1))
			e->err = xasprintf("%s line %d: Bad configuration option: %s", f->path,
			        l->lineno, l->word);
		return;
	default:
		break;
	}
	if (!*active)
		return;
	switch (l->k->kw) {
	case K_HOSTNAME:
		set_str(&o->hostname, a0);
		break;
	case K_USER:
		set_str(&o->user, a0);
		break;
	case K_PORT:
		set_int(&o->port, atoi(a0));
		break;
	case K_IDENTITYFILE:
		list_push_once(&o->identity_files, a0);
		break;
	case K_CERTIFICATEFILE:
		list_push_once(&o->certificate_files, a0);
		break;
	case K_IDENTITIESONLY:
		set_int(&o->identities_only, state_find(st_flag, a0));
		break;
	case K_IDENTITYAGENT:
		set_str(&o->identity_agent, a0);
		break;
	case K_REVOKEDHOSTKEYS:
		set_str(&o->revoked_host_keys, a0);
		break;
	case K_PUBKEYAUTH:
		set_int(&o->pubkey_auth, state_find(st_pubkey, a0));
		break;
	case K_PASSWORDAUTH:
		set_int(&o->password_auth, state_find(st_flag, a0));
		break;
	case K_KBDINTAUTH:
		set_int(&o->kbdint_auth, state_find(st_flag, a0));
		break;
	case K_PREFAUTH:
		set_str(&o->preferred_authentications, a0);
		break;
	case K_PROXYJUMP:
		apply_jump(e, l->rest);
		break;
	case K_PROXYCOMMAND:
		if (o->jump_host == NULL)
			set_str(&o->proxy_command, l->rest);
		break;
	case K_CONNECTTIMEOUT:
		set_int(&o->connect_timeout, (int)parse_time(a0));
		break;
	case K_ALIVEINTERVAL:
		set_int(&o->server_alive_interval, (int)parse_time(a0));
		break;
	case K_ALIVECOUNT:
		set_int(&o->server_alive_count_max, atoi(a0));
		break;
	case K_TCPKEEPALIVE:
		set_int(&o->tcp_keepalive, state_find(st_flag, a0));
		break;
	case K_STRICT:
		set_int(&o->strict_host_key_checking, state_find(st_strict, a0));
		break;
	case K_USERKH:
		if (o->user_known_hosts_files.n == 0) {
			for (i = 0; i < l->argc; i++)
				list_push(&o->user_known_hosts_files, l->argv[i]);
		}
		break;
	case K_GLOBALKH:
		if (o->global_known_hosts_files.n == 0) {
			for (i = 0; i < l->argc; i++)
				list_push(&o->global_known_hosts_files, l->argv[i]);
		}
		break;
	case K_HASHKH:
		set_int(&o->hash_known_hosts, state_find(st_flag, a0));
		break;
	case K_HOSTKEYALIAS:
		set_str(&o->host_key_alias, a0);
		break;
	case K_KEX:
		set_str(&e->algo[A_KEX], a0);
		break;
	case K_CIPHERS:
		set_str(&e->algo[A_CIPHER], a0);
		break;
	case K_MACS:
		set_str(&e->algo[A_MAC], a0);
		break;
	case K_HOSTKEYALGS:
		set_str(&e->algo[A_HOSTKEY], a0);
		break;
	case K_PUBKEYALGS:
		set_str(&e->algo[A_PUBKEY], a0);
		break;
	case K_ADDRESSFAMILY:
		set_int(&o->address_family, state_find(st_af, a0));
		break;
	case K_BINDADDRESS:
		set_str(&o->bind_address, a0);
		break;
	case K_REQUESTTTY:
		set_int(&o->request_tty, state_find(st_tty, a0));
		break;
	case K_SETENV:
		/* the first line that applies; in it, the first value of each variable */
		if (o->set_env.n == 0) {
			for (i = 0; i < l->argc; i++) {
				size_t n = strcspn(l->argv[i], "=");
				bool dup = false;

				for (k = 0; k < o->set_env.n && !dup; k++)
					dup = strncmp(o->set_env.v[k], l->argv[i], n + 1) == 0;
				if (!dup)
					list_push(&o->set_env, l->argv[i]);
			}
		}
		break;
	case K_SENDENV:
		for (i = 0; i < l->argc; i++) {
			const char *v = l->argv[i];

			if (*v == '-') {
				size_t w = 0;

				for (k = 0; k < o->send_env.n; k++) {
					if (pattern_match(o->send_env.v[k], v + 1, false))
						free(o->send_env.v[k]);
					else
						o->send_env.v[w++] = o->send_env.v[k];
				}
				o->send_env.n = w;
			} else {
				list_push(&o->send_env, v);
			}
		}
		break;
	case K_LOGLEVEL:
		set_int(&o->log_level, state_find(st_loglevel, a0));
		break;
	case K_CONTROLMASTER:
		set_int(&o->control_master, state_find(st_control, a0));
		break;
	case K_CONTROLPATH:
		set_str(&o->control_path, a0);
		break;
	case K_CONTROLPERSIST:
		if (!e->ctl_persist_set) {
			int fl = state_find(st_flag, a0);

			e->ctl_persist_set = 1;
			o->control_persist = fl == 1 ? 0 : fl == 0 ? -1 : (int)parse_time(a0);
		}
		break;
	case K_CANONHOST:
		set_int(&o->canonicalize_hostname, state_find(st_canon, a0));
		break;
	case K_CANONDOMAINS:
		if (o->canonical_domains.n == 0) {
			for (i = 0; i < l->argc; i++)
				list_push(&o->canonical_domains, l->argv[i]);
		}
		break;
	case K_CANONMAXDOTS:
		set_int(&o->canonicalize_max_dots, atoi(a0));
		break;
	case K_CANONFALLBACK:
		set_int(&o->canonicalize_fallback_local, state_find(st_flag, a0));
		break;
	case K_BATCHMODE:
		set_int(&e->batch_mode, state_find(st_flag, a0));
		break;
	case K_IGNOREUNKNOWN:
		set_str(&o->ignore_unknown, a0);
		break;
	default:
		break;
	}
	/* read for -G, but shoal cannot do what it asks */
	if (l->k->instead != NULL)
		note_named(f->path, l, l->k->instead);
}

static void
apply_file(struct ev *e, struct cfile *f, bool *active, bool nevermatch)
{
	size_t i = 0;
	int k;

	while (i < f->n) {
		struct cline *l = &f->v[i];

		if (l->k->kw == K_HOST) {
			bool on = false;

			for (k = 0; k < l->argc && !nevermatch; k++) {
				const char *p = l->argv[k];
				bool neg = *p == '!';

				if (pattern_match(e->host, neg ? p + 1 : p, false)) {
					if (neg) {
						on = false;
						break;
					}
					on = true;
				}
			}
			*active = on;
		} else if (l->k->kw == K_MATCH) {
			/* evaluated even where it cannot apply: "final" and exec count, as in ssh
			 */
			*active = match_line(e, l) && !nevermatch;
		} else {
			apply_line(e, f, l, active, nevermatch);
			i++;
			continue;
		}
		/* A block that does not apply: straight to the next one. */
		i = *active || l->walk ? i + 1 : l->next;
	}
}

static void
apply_all(struct ev *e)
{
	size_t i;

	for (i = 0; i < conf.nfiles; i++) {
		bool active = true;

		apply_file(e, conf.files[i], &active, false);
	}
}

/*
 * ssh's test for an address, and its canonical form: whatever getaddrinfo
 * reads as a number in the AddressFamily asked for (127.1, 0x7f.1 and
 * 2130706433 too) is an address, written back as getnameinfo writes it
 * (127.0.0.1).  false: a name, *host untouched.  The canonical form is the
 * HostName from then on: -G prints it, %h and known_hosts use it.
 */
static bool
numeric_addr(const struct sshconf_host *o, char **host)
{
	struct addrinfo hints, *res = NULL;
	char addr[NI_MAXHOST];
	bool one;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = o->address_family == SSHCONF_AF_INET    ? AF_INET
	                  : o->address_family == SSHCONF_AF_INET6 ? AF_INET6
	                                                          : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(*host, "22", &hints, &res) != 0 || res == NULL)
		return false;
	one = res->ai_next == NULL;
	/* as ssh: an address with several answers, or none it can write, stays as given */
	if (one &&
	        getnameinfo(res->ai_addr, res->ai_addrlen, addr, sizeof addr, NULL, 0,
	                NI_NUMERICHOST) == 0 &&
	        strcasecmp(addr, *host) != 0) {
		free(*host);
		*host = xstrdup(addr);
	}
	freeaddrinfo(res);
	return true;
}

static bool
resolves(const char *name)
{
	struct addrinfo hints, *res = NULL;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return false;
	freeaddrinfo(res);
	return true;
}

/* ssh's resolve_canonicalize: 0 done (or nothing to do), -1 *err. */
static int
canonicalize(struct sshconf_host *o, char **host, char **err)
{
	size_t len = strlen(*host), i, dots = 0;
	char *full;

	if (len > 0 && (*host)[len - 1] == '.') {
		/* anchored: looked up as written, then used without its dot */
		if (!resolves(*host))
			goto notfound;
		(*host)[len - 1] = '\0';
		return 0;
	}
	for (i = 0; i < len; i++)
		dots += (*host)[i] == '.';
	if (dots > (size_t)o->canonicalize_max_dots)
		return 0;
	for (i = 0; i < o->canonical_domains.n; i++) {
		if (strcasecmp(o->canonical_domains.v[i], "none") == 0)
			break;
		full = xasprintf("%s.%s.", *host, o->canonical_domains.v[i]);
		if (resolves(full)) {
			full[strlen(full) - 1] = '\0';
			free(*host);
			*host = full;
			return 0;
		}
		free(full);
	}
notfound:
	if (!o->canonicalize_fallback_local) {
		*err = xasprintf("could not canonicalise host \"%s\"", *host);
		return -1;
	}
	return 0;
}

static char *
algo_resolve(enum algo a, const char *v, char **err)
{
	const char *def = algo_default[a], *all = algo_all_list(a), *p;
	struct buf b, pat;
	char *res;

	if (v == NULL)
		return xstrdup(algos.dflt[a]);
	buf_init(&b);
	if (*v == '-') {
		p = def;
		while (*p != '\0') {
			size_t n = strcspn(p, ",");
			char *name = xstrndup(p, n);

			if (pattern_list_match(name, v + 1, false) != 1)
				list_add(&b, p, n);
			free(name);
			p += n;
			if (*p == ',')
				p++;
		}
	} else {
		/* the names asked for: + after the defaults, ^ before them */
		buf_init(&pat);
		if (*v == '+') {
			buf_appends(&pat, def);
			buf_appendc(&pat, ',');
			buf_appends(&pat, v + 1);
		} else if (*v == '^') {
			buf_appends(&pat, v + 1);
			buf_appendc(&pat, ',');
			buf_appends(&pat, def);
		} else {
			buf_appends(&pat, v);
		}
		p = pat.p;
		while (*p != '\0') {
			size_t n = strcspn(p, ",");
			char *one = xstrndup(p, n);
			const char *q = all;

			while (*q != '\0') {
				size_t m = strcspn(q, ",");
				char *name = xstrndup(q, m);

				if (pattern_list_match(name, one, false) == 1)
					list_add(&b, q, m);
				free(name);
				q += m;
				if (*q == ',')
					q++;
			}
			free(one);
			p += n;
			if (*p == ',')
				p++;
		}
		buf_free(&pat);
	}
	res = list_filter(b.p ? b.p : "", algos.supported[a]);
	buf_free(&b);
	if (*res == '\0') {
		*err = xasprintf("%s %s: none of them is supported by libssh", algo_keyword[a], v);
		free(res);
		return NULL;
	}
	return res;
}

static void
host_init(struct sshconf_host *o)
{
	memset(o, 0, sizeof *o);
	o->port = o->identities_only = o->pubkey_auth = o->password_auth = o->kbdint_auth = -1;
	o->connect_timeout = o->server_alive_interval = o->server_alive_count_max = -1;
	o->tcp_keepalive = o->strict_host_key_checking = o->hash_known_hosts = -1;
	o->address_family = o->request_tty = o->log_level = o->control_master = -1;
	o->canonicalize_hostname = o->canonicalize_max_dots = o->canonicalize_fallback_local = -1;
	o->control_persist = -1;
	o->jump_port = -1;
}

#define DEFAULT(f, v)                                                                              \
	do {                                                                                       \
		if ((f) == -1)                                                                     \
			(f) = (v);                                                                 \
	} while (0)

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

int
sshconf_eval(const char *alias, const char *user, int port, const char *const *ids, size_t nids,
        struct sshconf_host *o, char **err)
{
	static const char *const default_ids[] = {"~/.ssh/id_rsa", "~/.ssh/id_ecdsa",
	        "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519", "~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss",
	        "~/.ssh/id_dsa"};
	struct ev e;
	char *host = NULL, *x, portbuf[16];
	const char *bad;
	bool addr;
	struct tokens t;
	size_t i;
	int a;

	pthread_once(&me.once, me_find);
	pthread_once(&algos.once, algos_probe);
	*err = NULL;
	/* before any Match exec or ProxyCommand could see them through a % token */
	if ((bad = sshconf_bad_name(user, alias)) != NULL) {
		memset(o, 0, sizeof *o);
		*err = xstrdup(bad);
		return -1;
	}
	host_init(o);
	memset(&e, 0, sizeof e);
	e.o = o;
	e.batch_mode = -1;
	o->host = xstrdup(alias);
	if (user != NULL)
		o->user = xstrdup(user);
	if (port > 0)
		o->port = port;
	for (i = 0; i < nids; i++)
		list_push(&o->identity_files, ids[i]);
	e.host = alias;
	e.original = alias;
	apply_all(&e);

	if (e.err != NULL)
		goto fail_err;
	host = o->hostname ? match_host_now(&e) : xstrdup(alias);
	addr = numeric_addr(o, &host);
	if (!addr)
		lower(host);
	/* ssh fills these before canonicalising: the final pass cannot change them */
	DEFAULT(o->canonicalize_hostname, 0);
	DEFAULT(o->canonicalize_max_dots, 1);
	DEFAULT(o->canonicalize_fallback_local, 1);
	if (o->canonicalize_hostname > 0 && !addr &&
	        (o->canonicalize_hostname == 2 ||
	                ((o->proxy_command == NULL || strcasecmp(o->proxy_command, "none") == 0) &&
	                        (o->jump_host == NULL || strcmp(o->jump_host, "none") == 0))) &&
	        canonicalize(o, &host, err) < 0)
		goto fail;
	if (o->canonicalize_hostname > 0)
		e.want_final = true;
	free(o->hostname);
	o->hostname = host;
	host = NULL;
	if (e.want_final) {
		e.final = true;
		e.host = o->hostname;
		apply_all(&e);
		if (e.err != NULL)
			goto fail_err;
	}

	/* as ssh: known_hosts names are lower case, and %k with them */
	if (o->host_key_alias != NULL)
		lower(o->host_key_alias);
	/* ssh's defaults */
	if (o->user == NULL)
		o->user = xstrdup(sshconf_login() ? sshconf_login() : "");
	DEFAULT(o->port, 22);
	DEFAULT(o->identities_only, 0);
	DEFAULT(o->pubkey_auth, 1);
	DEFAULT(o->password_auth, 1);
	DEFAULT(o->kbdint_auth, 1);
	/* shoal's own keepalive default applies only where ssh_config says nothing */
	o->server_alive_interval_set = o->server_alive_interval != -1 || e.batch_mode == 1;
	o->server_alive_count_max_set = o->server_alive_count_max != -1;
	/* ssh's default: every 5 minutes in batch mode */
	DEFAULT(o->server_alive_interval, e.batch_mode == 1 ? 300 : 0);
	DEFAULT(o->server_alive_count_max, 3);
	DEFAULT(o->tcp_keepalive, 1);
	DEFAULT(o->strict_host_key_checking, SSHCONF_STRICT_ASK);
	DEFAULT(o->hash_known_hosts, 0);
	DEFAULT(o->address_family, SSHCONF_AF_ANY);
	DEFAULT(o->request_tty, 3);
	DEFAULT(o->log_level, 3);
	DEFAULT(o->control_master, 0);
	DEFAULT(o->canonicalize_hostname, 0);
	if (!e.ctl_persist_set)
		o->control_persist = -1;
	if (o->proxy_command != NULL && strcasecmp(o->proxy_command, "none") == 0) {
		free(o->proxy_command);
		o->proxy_command = NULL;
	}
	if (o->jump_host != NULL && strcmp(o->jump_host, "none") == 0) {
		free(o->jump_host);
		o->jump_host = NULL;
	}
	if (o->jump_host != NULL) {
		bool v6 = strchr(o->jump_host, ':') != NULL;
		char jp[16] = "";

		if (o->jump_port > 0)
			snprintf(jp, sizeof jp, ":%d", o->jump_port);
		o->proxy_jump = xasprintf("%s%s%s%s%s%s%s%s", o->jump_extra ? o->jump_extra : "",
		        o->jump_extra ? "," : "", o->jump_user ? o->jump_user : "",
		        o->jump_user ? "@" : "", v6 ? "[" : "", o->jump_host, v6 ? "]" : "", jp);
	}
	if (o->identity_files.n == 0) {
		o->identity_files_default = 1;
		for (i = 0; i < sizeof default_ids / sizeof default_ids[0]; i++)
			list_push(&o->identity_files, default_ids[i]);
	}
	if (o->global_known_hosts_files.n == 0) {
		list_push(&o->global_known_hosts_files, "/etc/ssh/ssh_known_hosts");
		list_push(&o->global_known_hosts_files, "/etc/ssh/ssh_known_hosts2");
	}
	if (o->user_known_hosts_files.n == 0) {
		list_push(&o->user_known_hosts_files, "~/.ssh/known_hosts");
		list_push(&o->user_known_hosts_files, "~/.ssh/known_hosts2");
	}
	for (a = 0; a < A__COUNT; a++) {
		char *r = algo_resolve(a, e.algo[a], err);

		if (e.algo[a] != NULL)
			o->algos_configured |= 1u << a;
		if (r == NULL)
			goto fail;
		switch (a) {
		case A_KEX:
			o->kex_algorithms = r;
			break;
		case A_CIPHER:
			o->ciphers = r;
			break;
		case A_MAC:
			o->macs = r;
			break;
		case A_HOSTKEY:
			o->host_key_algorithms = r;
			break;
		default:
			o->pubkey_accepted_algorithms = r;
			break;
		}
	}

	/* the expansions ssh makes before it uses them (and -G prints some) */
	tokens_fill(&t, o, NULL, NULL, 0, portbuf, sizeof portbuf);
	for (i = 0; i < o->identity_files.n; i++) {
		if ((x = expand(o->identity_files.v[i], &t, true, true, err)) == NULL)
			goto fail;
		list_push(&o->identity_paths, x);
		free(x);
	}
	for (i = 0; i < o->certificate_files.n; i++) {
		if ((x = expand(o->certificate_files.v[i], &t, true, true, err)) == NULL)
			goto fail;
		list_push(&o->certificate_paths, x);
		free(x);
	}
	for (i = 0; i < o->user_known_hosts_files.n; i++) {
		if ((x = expand(o->user_known_hosts_files.v[i], &t, true, true, err)) == NULL)
			goto fail;
		free(o->user_known_hosts_files.v[i]);
		o->user_known_hosts_files.v[i] = x;
	}
	if (o->identity_agent != NULL && strcmp(o->identity_agent, "none") != 0 &&
	        strcmp(o->identity_agent, "SSH_AUTH_SOCK") != 0) {
		if ((x = expand(o->identity_agent, &t, true, true, err)) == NULL)
			goto fail;
		free(o->identity_agent);
		o->identity_agent = x;
	}
	if (o->revoked_host_keys != NULL && strcmp(o->revoked_host_keys, "none") != 0 &&
	        (o->revoked_host_keys_path = expand(o->revoked_host_keys, &t, true, true, err)) ==
	                NULL)
		goto fail;
	if (o->control_path != NULL && strcmp(o->control_path, "none") != 0) {
		if ((x = expand(o->control_path, &t, true, true, err)) == NULL)
			goto fail;
		free(o->control_path);
		o->control_path = x;
	}
	if (o->proxy_command != NULL && (o->proxy_command_expanded = expand(
	                                         o->proxy_command, &t, false, false, err)) == NULL)
		goto fail;
	for (a = 0; a < A__COUNT; a++)
		free(e.algo[a]);
	return 0;
fail_err:
	*err = e.err;
	e.err = NULL;
fail:
	free(host);
	free(e.err);
	for (a = 0; a < A__COUNT; a++)
		free(e.algo[a]);
	sshconf_host_free(o);
	return -1;
}

void
sshconf_host_free(struct sshconf_host *h)
{
	free(h->host);
	free(h->hostname);
	free(h->user);
	list_free(&h->identity_files);
	list_free(&h->identity_paths);
	list_free(&h->certificate_files);
	list_free(&h->certificate_paths);
	free(h->identity_agent);
	free(h->revoked_host_keys);
	free(h->revoked_host_keys_path);
	free(h->preferred_authentications);
	free(h->proxy_command);
	free(h->proxy_command_expanded);
	free(h->proxy_jump);
	free(h->jump_user);
	free(h->jump_host);
	free(h->jump_extra);
	list_free(&h->user_known_hosts_files);
	list_free(&h->global_known_hosts_files);
	free(h->host_key_alias);
	free(h->kex_algorithms);
	free(h->ciphers);
	free(h->macs);
	free(h->host_key_algorithms);
	free(h->pubkey_accepted_algorithms);
	free(h->bind_address);
	list_free(&h->set_env);
	list_free(&h->send_env);
	free(h->control_path);
	list_free(&h->canonical_domains);
	free(h->ignore_unknown);
	memset(h, 0, sizeof *h);
}

enum hostkey_policy
sshconf_policy(const struct sshconf_host *h)
{
	switch (h->strict_host_key_checking) {
	case SSHCONF_STRICT_NEW:
	case SSHCONF_STRICT_NO:
		/* shoal never waves a changed key through: "no" is accept-new */
		return HOSTKEY_POLICY_ACCEPT_NEW;
	default:
		return HOSTKEY_POLICY_STRICT;
	}
}

size_t
sshconf_env(const struct sshconf_host *h, char *const *env, const char ***out)
{
	const char **v = NULL;
	size_t n = 0, i;

	for (; env != NULL && *env != NULL; env++) {
		size_t len = strcspn(*env, "=");
		char *name;
		bool hit = false;

		if ((*env)[len] != '=')
			continue;
		name = xstrndup(*env, len);
		for (i = 0; i < h->send_env.n && !hit; i++)
			hit = pattern_match(name, h->send_env.v[i], false);
		free(name);
		if (hit) {
			v = xreallocarray(v, n + 1, sizeof *v);
			v[n++] = *env;
		}
	}
	for (i = 0; i < h->set_env.n; i++) {
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = h->set_env.v[i];
	}
	*out = v;
	return n;
}

int
sshconf_log_level(const struct sshconf_host *h)
{
	/* QUIET FATAL ERROR INFO VERBOSE DEBUG1 DEBUG2 DEBUG3 */
	static const int map[] = {LOG_QUIET, LOG_QUIET, LOG_NORMAL, LOG_NORMAL, LOG_VERBOSE,
	        LOG_DEBUG, LOG_DEBUG, LOG_DEBUG};

	if (h->log_level < 0 || (size_t)h->log_level >= sizeof map / sizeof map[0])
		return LOG_NORMAL;
	return map[h->log_level];
}

static const char *
yesno(int v)
{
	return v ? "yes" : "no";
}

static void
print_list(FILE *fp, const char *kw, const struct sshconf_list *l, bool one_line)
{
	size_t i;

	if (l->n == 0)
		return;
	if (!one_line) {
		for (i = 0; i < l->n; i++)
			fprintf(fp, "%s %s\n", kw, l->v[i]);
		return;
	}
	fprintf(fp, "%s", kw);
	for (i = 0; i < l->n; i++)
		fprintf(fp, " %s", l->v[i]);
	fputc('\n', fp);
}

void
sshconf_print(FILE *fp, const struct sshconf_host *h)
{
	fprintf(fp, "host %s\n", h->host);
	fprintf(fp, "user %s\n", h->user);
	fprintf(fp, "hostname %s\n", h->hostname);
	fprintf(fp, "port %d\n", h->port);
	fprintf(fp, "addressfamily %s\n", state_name(st_af, h->address_family));
	fprintf(fp, "canonicalizefallbacklocal %s\n", yesno(h->canonicalize_fallback_local));
	fprintf(fp, "canonicalizehostname %s\n", state_name(st_canon, h->canonicalize_hostname));
	fprintf(fp, "controlmaster %s\n", state_name(st_control, h->control_master));
	fprintf(fp, "hashknownhosts %s\n", yesno(h->hash_known_hosts));
	fprintf(fp, "identitiesonly %s\n", yesno(h->identities_only));
	fprintf(fp, "kbdinteractiveauthentication %s\n", yesno(h->kbdint_auth));
	fprintf(fp, "passwordauthentication %s\n", yesno(h->password_auth));
	fprintf(fp, "pubkeyauthentication %s\n", state_name(st_pubkey, h->pubkey_auth));
	fprintf(fp, "requesttty %s\n", state_name(st_tty, h->request_tty));
	fprintf(fp, "stricthostkeychecking %s\n",
	        state_name(st_strict, h->strict_host_key_checking));
	fprintf(fp, "tcpkeepalive %s\n", yesno(h->tcp_keepalive));
	fprintf(fp, "canonicalizemaxdots %d\n", h->canonicalize_max_dots);
	fprintf(fp, "serveralivecountmax %d\n", h->server_alive_count_max);
	fprintf(fp, "serveraliveinterval %d\n", h->server_alive_interval);
	if (h->bind_address)
		fprintf(fp, "bindaddress %s\n", h->bind_address);
	fprintf(fp, "ciphers %s\n", h->ciphers);
	if (h->control_path)
		fprintf(fp, "controlpath %s\n", h->control_path);
	fprintf(fp, "hostkeyalgorithms %s\n", h->host_key_algorithms);
	if (h->host_key_alias)
		fprintf(fp, "hostkeyalias %s\n", h->host_key_alias);
	if (h->identity_agent)
		fprintf(fp, "identityagent %s\n", h->identity_agent);
	fprintf(fp, "kexalgorithms %s\n", h->kex_algorithms);
	if (h->revoked_host_keys)
		fprintf(fp, "revokedhostkeys %s\n", h->revoked_host_keys);
	fprintf(fp, "loglevel %s\n", state_name(st_loglevel, h->log_level));
	fprintf(fp, "macs %s\n", h->macs);
	if (h->preferred_authentications)
		fprintf(fp, "preferredauthentications %s\n", h->preferred_authentications);
	if (h->proxy_command)
		fprintf(fp, "proxycommand %s\n", h->proxy_command);
	fprintf(fp, "pubkeyacceptedalgorithms %s\n", h->pubkey_accepted_algorithms);
	print_list(fp, "identityfile", &h->identity_files, false);
	if (h->canonical_domains.n)
		print_list(fp, "canonicaldomains", &h->canonical_domains, true);
	else
		fprintf(fp, "canonicaldomains none\n");
	print_list(fp, "certificatefile", &h->certificate_files, false);
	print_list(fp, "globalknownhostsfile", &h->global_known_hosts_files, true);
	print_list(fp, "userknownhostsfile", &h->user_known_hosts_files, true);
	print_list(fp, "sendenv", &h->send_env, false);
	print_list(fp, "setenv", &h->set_env, false);
	if (h->connect_timeout < 0)
		fprintf(fp, "connecttimeout none\n");
	else
		fprintf(fp, "connecttimeout %d\n", h->connect_timeout);
	if (h->control_persist < 0)
		fprintf(fp, "controlpersist no\n");
	else if (h->control_persist == 0)
		fprintf(fp, "controlpersist yes\n");
	else
		fprintf(fp, "controlpersist %d\n", h->control_persist);
	if (h->proxy_jump)
		fprintf(fp, "proxyjump %s\n", h->proxy_jump);
}

double
sshconf_persist(const struct sshconf_host *h)
{
	/* ControlMaster yes, auto or autoask (ask would prompt: shoal never does). */
	if (h->control_master != 1 && h->control_master != 2 && h->control_master != 4)
		return -1;
	if (h->control_persist < 0)
		return -1;
	/* ControlPersist yes (0): until told to go, here by --persist 0. */
	return h->control_persist == 0 ? 1e7 : h->control_persist;
}

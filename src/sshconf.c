/*
 * sshconf.c - ssh_config evaluated as OpenSSH 9.2 evaluates it.
 *
 * Load (once, before threads): the files are read, every line is split into
 * its keyword and arguments by ssh's rules (quotes, backslash escapes, '='
 * after the keyword, '#' comments) and its value read once, by the type its
 * row of the keyword table gives: an unknown keyword (unless an
 * IgnoreUnknown seen before it covers it), a bad value or a bad Match is an
 * error naming file:line, as ssh makes it, whether the line applies to any
 * host or not.  % tokens are checked where a value is used, as ssh does.
 * Include is followed at load (its globs do not depend on the host),
 * relative paths from ~/.ssh (or /etc/ssh in the system file), to a depth
 * of 16.
 *
 * The keyword table: one row per keyword ssh knows, with its type, the
 * field of struct sshconf_host it fills, ssh's default and what -G prints;
 * the types share one apply, default, print and free.  Only Host, Match,
 * Include, IgnoreUnknown, ProxyJump/ProxyCommand, SetEnv, SendEnv and
 * ControlPersist have code of their own.
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
 * time a line with one applies to a host with a value that asks for what
 * shoal does not do (ForwardX11 yes; not ForwardX11 no).
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
#include "expand.h"
#include "log.h"
#include "pattern.h"
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

/* Names ssh accepts for one multi-valued keyword, the first of a value printed by -G. */
struct state {
	const char *name;
	int value;
};

static const struct state st_flag[] = {{"yes", 1}, {"no", 0}, {"true", 1}, {"false", 0}, {NULL, 0}};
static const struct state st_tfask[] = {
        {"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0}, {"ask", 2}, {NULL, 0}};
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
static const struct state st_tunnel[] = {{"ethernet", 2}, {"point-to-point", 1}, {"true", 1},
        {"yes", 1}, {"false", 0}, {"no", 0}, {NULL, 0}};
static const struct state st_session[] = {{"none", 0}, {"subsystem", 1}, {"default", 2}, {NULL, 0}};
static const struct state st_addkeys[] = {
        {"false", 0}, {"true", 1}, {"ask", 2}, {"confirm", 3}, {"no", 0}, {"yes", 1}, {NULL, 0}};
static const struct state st_hash[] = {{"MD5", 1}, {"SHA256", 2}, {NULL, 0}};

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

/* How a keyword's value is read, kept and printed. */
enum ktype {
	KT_NONE,  /* accepted (obsolete, or nothing to keep); not printed */
	KT_STATE, /* one of a state table's names: an int */
	KT_INT,   /* a number from lo: an int */
	KT_TIME,  /* ssh's time (90, 1m30s), "none": not set; an int of seconds */
	KT_STR,   /* one word: a string */
	KT_LINE,  /* the rest of the line as written (a command): a string */
	KT_WORDS, /* the words, one space between them: a string */
	KT_ARGS,  /* every word of the first line that applies: a list */
	KT_FILES, /* one word per line, every line adds it once: a list */
	KT_EACH,  /* every line adds its words once: a list, printed a line each */
	KT_ALGO,  /* an algorithm list: lo is its enum algo */
	KT_OWN,   /* hand-written: Host, Match, Include, IgnoreUnknown, ProxyJump, env */
};

/* The keywords with their own code. */
enum kw_own {
	K_NONE,
	K_HOST,
	K_MATCH,
	K_INCLUDE,
	K_IGNOREUNKNOWN,
	K_PROXYJUMP,
	K_PROXYCOMMAND,
	K_SETENV,
	K_SENDENV,
	K_CONTROLPERSIST,
	K_FORWARDAGENT,
	K_IGNORED, /* not a keyword, covered by IgnoreUnknown */
};

struct keyword {
	const char *name; /* as ssh -G prints it */
	enum ktype type;
	size_t off;                 /* its field in struct sshconf_host */
	const struct state *states; /* KT_STATE; KT_STR, KT_LINE: the first word's other names */
	int lo;                     /* KT_INT: the least value; KT_ALGO: which list */
	int dflt;                   /* the int types: ssh's default */
	const char *dflt_s;         /* strings and lists: what -G prints when unset */
	enum kw_own own;
	const char *instead; /* shoal cannot do what it asks: what it does instead */
	const char *quiet;   /* the values that ask nothing shoal lacks (patterns) */
};

#define F(f) offsetof(struct sshconf_host, f)
#define STATE(n, f, st, d)                                                                         \
	{                                                                                          \
		n, KT_STATE, F(f), st, 0, d, NULL, K_NONE, NULL, NULL                              \
	}
#define INT(n, f, lo, d)                                                                           \
	{                                                                                          \
		n, KT_INT, F(f), NULL, lo, d, NULL, K_NONE, NULL, NULL                             \
	}
#define TIME(n, f, d)                                                                              \
	{                                                                                          \
		n, KT_TIME, F(f), NULL, 0, d, NULL, K_NONE, NULL, NULL                             \
	}
#define STR(n, f)                                                                                  \
	{                                                                                          \
		n, KT_STR, F(f), NULL, 0, 0, NULL, K_NONE, NULL, NULL                              \
	}
#define FILES(n, f)                                                                                \
	{                                                                                          \
		n, KT_FILES, F(f), NULL, 0, 0, NULL, K_NONE, NULL, NULL                            \
	}
#define ARGS(n, f, d)                                                                              \
	{                                                                                          \
		n, KT_ARGS, F(f), NULL, 0, 0, d, K_NONE, NULL, NULL                                \
	}
#define ALGO(n, f, a)                                                                              \
	{                                                                                          \
		n, KT_ALGO, F(f), NULL, a, 0, NULL, K_NONE, NULL, NULL                             \
	}
#define OWN(n, k)                                                                                  \
	{                                                                                          \
		n, KT_OWN, 0, NULL, 0, 0, NULL, k, NULL, NULL                                      \
	}
#define OBSOLETE(n)                                                                                \
	{                                                                                          \
		n, KT_NONE, 0, NULL, 0, 0, NULL, K_NONE, NULL, NULL                                \
	}
/* Read and printed; a value outside quiet asks what shoal does not do. */
#define NSTATE(n, f, st, d, why, q)                                                                \
	{                                                                                          \
		n, KT_STATE, F(f), st, 0, d, NULL, K_NONE, why, q                                  \
	}
#define NINT(n, f, d, why, q)                                                                      \
	{                                                                                          \
		n, KT_INT, F(f), NULL, 0, d, NULL, K_NONE, why, q                                  \
	}
#define NTIME(n, f, d, why, q)                                                                     \
	{                                                                                          \
		n, KT_TIME, F(f), NULL, 0, d, NULL, K_NONE, why, q                                 \
	}
#define NSTR(n, t, f, d, why, q)                                                                   \
	{                                                                                          \
		n, t, F(f), NULL, 0, 0, d, K_NONE, why, q                                          \
	}

enum algo { A_KEX, A_CIPHER, A_MAC, A_HOSTKEY, A_PUBKEY, A__COUNT };

static const struct keyword keywords[] = {
        OWN("host", K_HOST),
        OWN("match", K_MATCH),
        OWN("include", K_INCLUDE),
        OWN("ignoreunknown", K_IGNOREUNKNOWN),
        OWN("proxyjump", K_PROXYJUMP),
        OWN("proxycommand", K_PROXYCOMMAND),
        OWN("setenv", K_SETENV),
        OWN("sendenv", K_SENDENV),
        OWN("controlpersist", K_CONTROLPERSIST),
        STR("hostname", hostname),
        STR("user", user),
        INT("port", port, 1, 22),
        FILES("identityfile", identity_files),
        FILES("certificatefile", certificate_files),
        STATE("identitiesonly", identities_only, st_flag, 0),
        STR("identityagent", identity_agent),
        STATE("pubkeyauthentication", pubkey_auth, st_pubkey, 1),
        STATE("passwordauthentication", password_auth, st_flag, 1),
        STATE("kbdinteractiveauthentication", kbdint_auth, st_flag, 1),
        STR("preferredauthentications", preferred_authentications),
        TIME("connecttimeout", connect_timeout, -1),
        TIME("serveraliveinterval", server_alive_interval, 0),
        INT("serveralivecountmax", server_alive_count_max, 0, 3),
        STATE("tcpkeepalive", tcp_keepalive, st_flag, 1),
        STATE("stricthostkeychecking", strict_host_key_checking, st_strict, SSHCONF_STRICT_ASK),
        /* in ssh -G's order */
        ARGS("globalknownhostsfile", global_known_hosts_files, NULL),
        ARGS("userknownhostsfile", user_known_hosts_files, NULL),
        STATE("hashknownhosts", hash_known_hosts, st_flag, 0),
        STR("hostkeyalias", host_key_alias),
        STR("revokedhostkeys", revoked_host_keys),
        ALGO("kexalgorithms", kex_algorithms, A_KEX),
        ALGO("ciphers", ciphers, A_CIPHER),
        ALGO("macs", macs, A_MAC),
        ALGO("hostkeyalgorithms", host_key_algorithms, A_HOSTKEY),
        ALGO("pubkeyacceptedalgorithms", pubkey_accepted_algorithms, A_PUBKEY),
        STATE("addressfamily", address_family, st_af, SSHCONF_AF_ANY),
        STR("bindaddress", bind_address),
        STATE("requesttty", request_tty, st_tty, 3),
        STATE("loglevel", log_level, st_loglevel, 3),
        STATE("controlmaster", control_master, st_control, 0),
        NSTR("controlpath", KT_STR, control_path, NULL,
                "shoal keeps sessions in its own keeper (--persist), not an OpenSSH master",
                "none"),
        STATE("canonicalizehostname", canonicalize_hostname, st_canon, 0),
        ARGS("canonicaldomains", canonical_domains, "none"),
        INT("canonicalizemaxdots", canonicalize_max_dots, 0, 1),
        STATE("canonicalizefallbacklocal", canonicalize_fallback_local, st_flag, 1),
        STATE("batchmode", batch_mode, st_flag, 0),
        NSTR("remotecommand", KT_LINE, remote_command, NULL, NULL, NULL),
        /* Nothing to do for a non-interactive runner: read and printed. */
        STATE("visualhostkey", visual_host_key, st_flag, 0),
        STATE("fingerprinthash", fingerprint_hash, st_hash, 2),
        INT("numberofpasswordprompts", number_of_password_prompts, 0, 3),
        NSTR("escapechar", KT_STR, escape_char, "~", NULL, NULL),
        NSTR("syslogfacility", KT_STR, syslog_facility, "USER", NULL, NULL),
        NSTR("logverbose", KT_ARGS, log_verbose, "none", NULL, NULL),
        NSTR("xauthlocation", KT_STR, xauth_location, "/usr/bin/xauth", NULL, NULL),
        NSTR("canonicalizePermittedcnames", KT_WORDS, canonicalize_permitted_cnames, "none", NULL,
                NULL),
        STATE("checkhostip", check_host_ip, st_flag, 0),
        STATE("enablesshkeysign", enable_ssh_keysign, st_flag, 0),
        NTIME("forwardx11timeout", forward_x11_timeout, 1200, NULL, NULL),
        NSTR("securitykeyprovider", KT_STR, security_key_provider, "internal", NULL, NULL),
        NSTR("streamlocalbindmask", KT_STR, stream_local_bind_mask, "0177", NULL, NULL),
        STATE("streamlocalbindunlink", stream_local_bind_unlink, st_flag, 0),
        STATE("clearallforwardings", clear_all_forwardings, st_flag, 0),
        STATE("exitonforwardfailure", exit_on_forward_failure, st_flag, 0),
        NSTR("permitremoteopen", KT_ARGS, permit_remote_open, "any", NULL, NULL),
        STATE("gatewayports", gateway_ports, st_flag, 0),
        STATE("forwardx11trusted", forward_x11_trusted, st_flag, 1),
        NSTR("casignaturealgorithms", KT_STR, ca_signature_algorithms, NULL, NULL, NULL),
        NSTR("hostbasedacceptedalgorithms", KT_STR, hostbased_accepted_algorithms, NULL, NULL,
                NULL),
        NSTR("hostbasedkeytypes", KT_STR, hostbased_accepted_algorithms, NULL, NULL, NULL),
        STATE("hostbasedauthentication", hostbased_authentication, st_flag, 0),
        NSTR("kbdinteractivedevices", KT_STR, kbdinteractive_devices, NULL, NULL, NULL),
        STATE("nohostauthenticationforlocalhost", no_host_authentication_for_localhost, st_flag, 0),
        STATE("gssapiauthentication", gssapi_authentication, st_flag, 0),
        STATE("gssapidelegatecredentials", gssapi_delegate_credentials, st_flag, 0),
        STATE("gssapikeyexchange", gssapi_key_exchange, st_flag, 0),
        STATE("gssapitrustdns", gssapi_trust_dns, st_flag, 0),
        STATE("gssapirenewalforcesrekey", gssapi_renewal_forces_rekey, st_flag, 0),
        NSTR("gssapiclientidentity", KT_STR, gssapi_client_identity, NULL, NULL, NULL),
        NSTR("gssapiserveridentity", KT_STR, gssapi_server_identity, NULL, NULL, NULL),
        NSTR("gssapikexalgorithms", KT_STR, gssapi_kex_algorithms,
                "gss-group14-sha256-,gss-group16-sha512-,gss-nistp256-sha256-,"
                "gss-curve25519-sha256-,gss-group14-sha1-,gss-gex-sha1-",
                NULL, NULL),
        STATE("enableescapecommandline", enable_escape_commandline, st_flag, 0),
        STATE("sessiontype", session_type, st_session, 2),
        STATE("stdinnull", stdin_null, st_flag, 0),
        {"forwardagent", KT_OWN, 0, NULL, 0, 0, NULL, K_FORWARDAGENT, NULL, NULL},
        /* Change how ssh connects; shoal cannot (yet): named when a value asks for it. */
        NSTATE("forwardx11", forward_x11, st_flag, 0, "no X11 forwarding", "no,false"),
        NSTR("localforward", KT_EACH, local_forward, NULL, "no port forwarding", ""),
        NSTR("remoteforward", KT_EACH, remote_forward, NULL, "no port forwarding", ""),
        NSTR("dynamicforward", KT_EACH, dynamic_forward, NULL, "no port forwarding", ""),
        NSTATE("tunnel", tunnel, st_tunnel, 0, "no tunnel device", "no,false"),
        NSTR("tunneldevice", KT_STR, tunnel_device, "any:any", NULL, NULL),
        NSTATE("compression", compression, st_flag, 0, "no compression", "no,false"),
        NINT("connectionattempts", connection_attempts, 1, "--retries decides the attempts", "1"),
        NSTR("localcommand", KT_LINE, local_command, NULL, "no local command", ""),
        NSTATE("permitlocalcommand", permit_local_command, st_flag, 0, "no local command",
                "no,false"),
        NSTATE("updatehostkeys", update_host_keys, st_tfask, 1,
                "known_hosts is not updated from the server", "no,false"),
        NSTATE("verifyhostkeydns", verify_host_key_dns, st_tfask, 0, "no SSHFP lookup", "no,false"),
        NSTR("knownhostscommand", KT_LINE, known_hosts_command, NULL,
                "only the known_hosts files are read", "none"),
        {"addkeystoagent", KT_WORDS, F(add_keys_to_agent), st_addkeys, 0, 0, "false", K_NONE,
                "keys are not added to the agent", "no,false"},
        NSTR("pkcs11provider", KT_STR, pkcs11_provider, NULL, "no PKCS#11 keys", "none"),
        NSTR("smartcarddevice", KT_STR, pkcs11_provider, NULL, "no PKCS#11 keys", "none"),
        NSTR("rekeylimit", KT_WORDS, rekey_limit, "0 0", "libssh's rekeying defaults",
                "default*,0 0"),
        NSTR("ipqos", KT_WORDS, ipqos, "lowdelay throughput", "the system's IP QoS",
                "lowdelay throughput"),
        NSTR("bindinterface", KT_STR, bind_interface, NULL, "the routing table picks the interface",
                ""),
        NSTATE("proxyusefdpass", proxy_use_fdpass, st_flag, 0,
                "the proxy's stdin/stdout carry the connection", "no,false"),
        NSTATE("forkafterauthentication", fork_after_authentication, st_flag, 0,
                "shoal stays in the foreground", "no,false"),
        NINT("requiredrsasize", required_rsa_size, 1024, "libssh's minimum RSA size", "1024"),
        /* Other names of the keywords above, as ssh takes them. */
        STATE("dsaauthentication", pubkey_auth, st_pubkey, 1),
        STATE("challengeresponseauthentication", kbdint_auth, st_flag, 1),
        STATE("skeyauthentication", kbdint_auth, st_flag, 1),
        STATE("tisauthentication", kbdint_auth, st_flag, 1),
        STATE("keepalive", tcp_keepalive, st_flag, 1),
        ALGO("pubkeyacceptedkeytypes", pubkey_accepted_algorithms, A_PUBKEY),
        FILES("identityfile2", identity_files),
        /* Obsolete: accepted, as ssh accepts them, and nothing else. */
        OBSOLETE("protocol"),
        OBSOLETE("cipher"),
        OBSOLETE("useroaming"),
        OBSOLETE("rsaauthentication"),
        OBSOLETE("rhostsrsaauthentication"),
        OBSOLETE("rhostsauthentication"),
        OBSOLETE("compressionlevel"),
        OBSOLETE("useprivilegedport"),
        OBSOLETE("fallbacktorsh"),
        OBSOLETE("usersh"),
        OBSOLETE("useblacklistedkeys"),
        OBSOLETE("userknownhostsfile2"),
        OBSOLETE("globalknownhostsfile2"),
        /* Debian's names for ServerAliveInterval */
        TIME("protocolkeepalives", server_alive_interval, 0),
        TIME("setuptimeout", server_alive_interval, 0),
};

#define NKEYWORDS (sizeof keywords / sizeof keywords[0])

static const struct keyword *
keyword_find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYWORDS; i++) {
		if (strcasecmp(keywords[i].name, name) == 0)
			return &keywords[i];
	}
	return NULL;
}

static int *
field_int(struct sshconf_host *o, const struct keyword *k)
{
	return (int *)(void *)((char *)o + k->off);
}

static char **
field_str(struct sshconf_host *o, const struct keyword *k)
{
	return (char **)(void *)((char *)o + k->off);
}

static struct sshconf_list *
field_list(struct sshconf_host *o, const struct keyword *k)
{
	return (struct sshconf_list *)(void *)((char *)o + k->off);
}

static const void *
field_ro(const struct sshconf_host *o, const struct keyword *k)
{
	return (const char *)o + k->off;
}

static bool
kt_int(enum ktype t)
{
	return t == KT_STATE || t == KT_INT || t == KT_TIME;
}

static bool
kt_list(enum ktype t)
{
	return t == KT_ARGS || t == KT_FILES || t == KT_EACH;
}

/* ---- algorithms ---------------------------------------------------------- */

/* OpenSSH 9.2's names (ssh -Q) and defaults; libssh's support is asked once. */

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

/* ---- what was loaded ----------------------------------------------------- */

struct cfile;

struct cline {
	int lineno;
	const struct keyword *k; /* its row; the K_IGNORED row when IgnoreUnknown covers it */
	char *word;              /* the keyword as written */
	char *rest;              /* the text after the keyword */
	char **argv;
	int argc;
	int ival;           /* the int types and ControlPersist: the value, read at load */
	char *joined;       /* KT_WORDS, KT_EACH: the words, one space between them */
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

/* Include: its files read now (their globs do not depend on the host). */
static int
include_line(struct loader *ld, const char *file, struct cline *l, int depth)
{
	int i;

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
			pat = xasprintf("%s%s", sshconf_home() ? sshconf_home() : "", arg + 1);
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
			return load_error(ld, file, l->lineno, "Include: glob failed: %s", arg);
		if (depth + 1 > INCLUDE_DEPTH) {
			globfree(&g);
			return load_error(ld, file, l->lineno, "Include: too deeply nested");
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
}

/* The keywords with their own grammar, read at load. */
static int
parse_own(struct loader *ld, const char *file, struct cline *l, int depth)
{
	const char *a0 = l->argv[0];
	int i, fl;

	switch (l->k->own) {
	case K_INCLUDE:
		return include_line(ld, file, l, depth);
	case K_PROXYJUMP:
		/*
		 * as ssh 9.2: a comment ends the value, but only a bare "none"
		 * is none ("none # x" names a jump host "none")
		 */
		l->ival = strcasecmp(l->rest, "none") == 0;
		l->rest[strcspn(l->rest, "#")] = '\0';
		strip_trailing(l->rest);
		if (!jump_ok(l->rest, NULL))
			return load_error(ld, file, l->lineno, "Invalid ProxyJump \"%s\"", l->rest);
		return 0;
	case K_SETENV:
		for (i = 0; i < l->argc; i++) {
			if (strchr(l->argv[i], '=') == NULL)
				return load_error(
				        ld, file, l->lineno, "Invalid SetEnv \"%s\"", l->argv[i]);
		}
		return 0;
	case K_CONTROLPERSIST:
		fl = state_find(st_flag, a0);
		l->ival = fl == 1 ? 0 : fl == 0 ? -1 : (int)parse_time(a0);
		if (fl < 0 && l->ival < 0)
			return load_error(ld, file, l->lineno, "Bad ControlPersist \"%s\"", a0);
		return 0;
	case K_IGNOREUNKNOWN:
		if (conf.ignore == NULL) {
			conf.ignore = xstrdup(a0);
		} else {
			char *j = xasprintf("%s,%s", conf.ignore, a0);

			free(conf.ignore);
			conf.ignore = j;
		}
		return 0;
	default:
		return 0;
	}
}

static char *
join_words(char *const *argv, int argc)
{
	struct buf b;
	int i;

	buf_init(&b);
	for (i = 0; i < argc; i++) {
		if (i > 0)
			buf_appendc(&b, ' ');
		buf_appends(&b, argv[i]);
	}
	return str_steal(&b);
}

/* Read one line's value by its keyword's type, once, at load.  0, or -1 with ld->err. */
static int
parse_value(struct loader *ld, const char *file, struct cline *l, int depth)
{
	const struct keyword *k = l->k;
	const char *a0 = l->argc > 0 ? l->argv[0] : NULL;
	bool one = k->type == KT_STATE || k->type == KT_INT || k->type == KT_TIME ||
	           k->type == KT_STR || k->type == KT_FILES || k->type == KT_ALGO ||
	           k->own == K_CONTROLPERSIST || k->own == K_IGNOREUNKNOWN;
	char badname[300];
	long v;

	if (k->type == KT_NONE || k->own == K_HOST || k->own == K_MATCH || k->own == K_IGNORED)
		return 0; /* Host and Match: checked by match_check */
	if (a0 == NULL)
		return load_error(ld, file, l->lineno, "%s: missing argument", l->word);
	if (one && l->argc > 1)
		return load_error(
		        ld, file, l->lineno, "garbage at end of line; \"%s\"", l->argv[1]);
	switch (k->type) {
	case KT_STATE:
		if ((l->ival = state_find(k->states, a0)) < 0)
			return load_error(ld, file, l->lineno, "unsupported option \"%s\" for %s",
			        a0, l->word);
		return 0;
	case KT_INT:
		if ((v = parse_int(a0, k->lo, 0x7fffffff)) == LONG_MIN)
			return load_error(ld, file, l->lineno,
			        k->off == F(port) ? "Badly formatted port number \"%s\""
			                          : "integer value invalid \"%s\"",
			        a0);
		l->ival = (int)v;
		return 0;
	case KT_TIME:
		/* "none", as ssh -G prints an unset ConnectTimeout: no value, a later line may give
		 * one */
		l->ival = strcasecmp(a0, "none") == 0 ? -1 : (int)parse_time(a0);
		if (l->ival < 0 && strcasecmp(a0, "none") != 0)
			return load_error(ld, file, l->lineno, "invalid time value \"%s\"", a0);
		return 0;
	case KT_ALGO:
		if (!algo_value_ok(k->lo, a0, badname, sizeof badname))
			return load_error(ld, file, l->lineno, "Bad %s spec '%s'",
			        algo_keyword[k->lo], badname);
		return 0;
	case KT_OWN:
		return parse_own(ld, file, l, depth);
	case KT_WORDS:
	case KT_EACH:
		l->joined = join_words(l->argv, l->argc);
		return 0;
	case KT_ARGS:
		if ((k->off == F(user_known_hosts_files) ||
		            k->off == F(global_known_hosts_files)) &&
		        none_mixed(l))
			return load_error(ld, file, l->lineno,
			        "keyword %s \"none\" argument must appear alone.", k->name);
		return 0;
	default:
		return 0;
	}
}

static const char *const match_attrs[] = {
        "all", "canonical", "final", "exec", "host", "originalhost", "user", "localuser", NULL};

/* Does a Match criterion take an argument (all, canonical and final do not)? */
static bool
match_takes_arg(const char *a)
{
	if (*a == '!')
		a++;
	return strcasecmp(a, "all") != 0 && strcasecmp(a, "canonical") != 0 &&
	       strcasecmp(a, "final") != 0;
}

/* ssh reads "host=NAME" as "host NAME": a criterion splits at its first '=' too. */
static void
match_split(struct cline *l)
{
	int i;

	for (i = 0; i < l->argc; i++) {
		char *eq = strchr(l->argv[i], '=');

		if (eq != NULL && eq != l->argv[i]) {
			*eq = '\0';
			if (eq[1] != '\0') {
				l->argv = xreallocarray(
				        l->argv, (size_t)l->argc + 2, sizeof *l->argv);
				memmove(l->argv + i + 2, l->argv + i + 1,
				        (size_t)(l->argc - i) * sizeof *l->argv);
				l->argv[i + 1] = xstrdup(eq + 1);
				l->argc++;
			}
		}
		if (match_takes_arg(l->argv[i]))
			i++; /* the argument is taken whole */
	}
}

/* A Match line as ssh checks it before evaluating anything. */
static int
match_check(struct loader *ld, const char *file, struct cline *l)
{
	int i, k, n = 0;
	bool all = false, other = false;

	if (l->argc == 0)
		return load_error(ld, file, l->lineno, "Missing Match criteria");
	match_split(l);
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
				static const struct keyword ignored = OWN("", K_IGNORED);

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
		} else if (l.k->own == K_MATCH) {
			rc = match_check(ld, path, &l);
		} else if (l.k->own == K_HOST && l.argc == 0) {
			rc = load_error(ld, path, lineno, "Host: missing argument");
		} else {
			rc = parse_value(ld, path, &l, depth);
		}
		f->v = xreallocarray(f->v, f->n + 1, sizeof *f->v);
		f->v[f->n] = l;
		if (((l.k->own == K_INCLUDE && l.ninc > 0) || l.k->own == K_IGNORED) &&
		        last_block != (size_t)-1)
			f->v[last_block].walk = true;
		if (l.k->own == K_HOST || l.k->own == K_MATCH) {
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

			/* the keyword, or another name of it */
			if (kw != NULL && kw->type != KT_NONE &&
			        (f->v[i].k == kw ||
			                (kw->type != KT_OWN && f->v[i].k->off == kw->off &&
			                        f->v[i].k->type == kw->type)))
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
		free(f->v[i].joined);
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
	bool jump_none; /* ProxyJump none (or -J none) came first */
	char *err;
};

/* The values the % tokens stand for, once a host's config is known. */
struct tokens {
	struct expand_tokens x;
	char port[16];
	char C[41];
};

/* The tokens for o; hostname and user replace o's when given (Match exec). */
static void
tokens_fill(struct tokens *t, const struct sshconf_host *o, const char *hostname, const char *user)
{
	EVP_MD_CTX *md;
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;
	const char *h = hostname ? hostname : o->hostname, *r = user      ? user
	                                                        : o->user ? o->user
	                                                                  : "";

	memset(t, 0, sizeof *t);
	snprintf(t->port, sizeof t->port, "%d", o->port > 0 ? o->port : 22);
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1 ||
	        EVP_DigestUpdate(md, me.host_full, strlen(me.host_full)) != 1 ||
	        EVP_DigestUpdate(md, h, strlen(h)) != 1 ||
	        EVP_DigestUpdate(md, t->port, strlen(t->port)) != 1 ||
	        EVP_DigestUpdate(md, r, strlen(r)) != 1 || EVP_DigestFinal_ex(md, dg, &dlen) != 1)
		fatal("SHA-1 for %%C failed");
	EVP_MD_CTX_free(md);
	for (i = 0; i < dlen && i < 20; i++)
		snprintf(t->C + 2 * i, 3, "%02x", dg[i]);
	t->x.home = me.home;
	t->x.v['h'] = h;
	t->x.v['n'] = o->host;
	t->x.v['p'] = t->port;
	t->x.v['r'] = r;
	t->x.v['k'] = o->host_key_alias ? o->host_key_alias : o->host;
	t->x.v['j'] = o->jump_host ? o->jump_host : "";
	t->x.v['C'] = t->C;
	t->x.v['d'] = me.home ? me.home : "";
	t->x.v['u'] = me.login ? me.login : "";
	t->x.v['i'] = me.uid;
	t->x.v['l'] = me.host_full;
	t->x.v['L'] = me.host_short;
}

/* ProxyCommand's tokens: %h %n %p %r only, as ssh. */
static void
tokens_proxy(struct tokens *t)
{
	const char *h = t->x.v['h'], *n = t->x.v['n'], *r = t->x.v['r'];

	memset(t->x.v, 0, sizeof t->x.v);
	t->x.v['h'] = h;
	t->x.v['n'] = n;
	t->x.v['p'] = t->port;
	t->x.v['r'] = r;
}

/* A value expanded where ssh uses it (flags: expand.h's); NULL with *err naming it. */
static char *
expand_value(
        const char *kw, const char *s, const struct expand_tokens *t, unsigned flags, char **err)
{
	char *why = NULL, *res = expand_string(s, t, flags, &why);

	if (res == NULL) {
		*err = xasprintf("%s %s: %s", kw, s, why);
		free(why);
	}
	return res;
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

/* HostName with %h (its only token, as ssh); NULL with *err on another. */
static char *
hostname_expand(const struct ev *e, char **err)
{
	struct expand_tokens t = {.home = NULL};

	t.v['h'] = e->host;
	return expand_value("HostName", e->o->hostname, &t, 0, err);
}

/* The host Match criteria compare: the HostName so far with %h, else the name. */
static char *
match_host_now(const struct ev *e)
{
	char *err = NULL, *h;

	if (e->final)
		return xstrdup(e->o->hostname);
	if (e->o->hostname == NULL)
		return xstrdup(e->host);
	/* a bad token fails the evaluation after the pass: here the name as written */
	if ((h = hostname_expand(e, &err)) == NULL)
		h = xstrdup(e->o->hostname);
	free(err);
	return h;
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
					char *cmd, *err = NULL;

					tokens_fill(&t, e->o, host, ruser);
					cmd = expand_value("Match exec", arg, &t.x, 0, &err);
					if (cmd == NULL && e->err == NULL)
						e->err = err;
					else
						free(err);
					r = cmd != NULL && match_exec(cmd);
					free(cmd);
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

/*
 * ProxyJump (or -J): the first wins.  "none" keeps later ProxyJump lines
 * out but lets a ProxyCommand in, as ssh 9.2 does.
 */
static void
apply_jump(struct ev *e, const char *s, bool none)
{
	struct sshconf_host *o = e->o;
	const char *c;
	int port;

	if (o->proxy_command != NULL || o->jump_host != NULL || e->jump_none)
		return;
	if (none) {
		e->jump_none = true;
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

/* A string value with its first word as ssh -G spells it ("yes" as "true"...). */
static char *
spelled(const struct keyword *k, const char *v)
{
	size_t n = strcspn(v, " \t");
	char *first = xstrndup(v, n), *res;
	int st = k->states != NULL ? state_find(k->states, first) : -1;

	res = st < 0 ? xstrdup(v) : xasprintf("%s%s", state_name(k->states, st), v + n);
	free(first);
	return res;
}

/* The keywords with their own rules.  Returns whether the line's value took effect. */
static bool
apply_own(struct ev *e, const struct cline *l)
{
	struct sshconf_host *o = e->o;
	int i;
	size_t k;

	switch (l->k->own) {
	case K_PROXYJUMP:
		apply_jump(e, l->rest, l->ival);
		return true;
	case K_PROXYCOMMAND:
		if (o->jump_host == NULL)
			set_str(&o->proxy_command, l->rest);
		return true;
	case K_SETENV:
		/* the first line that applies; in it, the first value of each variable */
		if (o->set_env.n != 0)
			return false;
		for (i = 0; i < l->argc; i++) {
			size_t n = strcspn(l->argv[i], "=");
			bool dup = false;

			for (k = 0; k < o->set_env.n && !dup; k++)
				dup = strncmp(o->set_env.v[k], l->argv[i], n + 1) == 0;
			if (!dup)
				list_push(&o->set_env, l->argv[i]);
		}
		return true;
	case K_SENDENV:
		for (i = 0; i < l->argc; i++) {
			const char *v = l->argv[i];
			size_t w = 0;

			if (*v != '-') {
				list_push(&o->send_env, v);
				continue;
			}
			for (k = 0; k < o->send_env.n; k++) {
				if (pattern_match(o->send_env.v[k], v + 1, false))
					free(o->send_env.v[k]);
				else
					o->send_env.v[w++] = o->send_env.v[k];
			}
			o->send_env.n = w;
		}
		return true;
	case K_CONTROLPERSIST:
		if (e->ctl_persist_set)
			return false;
		e->ctl_persist_set = 1;
		o->control_persist = l->ival;
		return true;
	case K_IGNOREUNKNOWN:
		set_str(&o->ignore_unknown, l->argv[0]);
		return true;
	case K_FORWARDAGENT:
		/* as ssh: yes/no and a socket path are each first-wins; a path means yes */
		i = state_find(st_flag, l->argv[0]);
		if (o->forward_agent == -1)
			o->forward_agent = i < 0 ? 1 : i;
		if (i < 0)
			set_str(&o->forward_agent_path, l->argv[0]);
		return true;
	default:
		return false;
	}
}

/* One value line of a block that applies: the field takes it unless set before (first wins). */
static void
apply_value(struct ev *e, struct cfile *f, struct cline *l)
{
	const struct keyword *k = l->k;
	struct sshconf_host *o = e->o;
	const char *v = l->argc > 0 ? l->argv[0] : "";
	bool took = false;
	int i;

	switch (k->type) {
	case KT_STATE:
	case KT_INT:
	case KT_TIME:
		if ((took = *field_int(o, k) == -1))
			*field_int(o, k) = l->ival;
		break;
	case KT_STR:
	case KT_LINE:
	case KT_WORDS:
		if (k->type != KT_STR)
			v = k->type == KT_LINE ? l->rest : l->joined;
		if ((took = *field_str(o, k) == NULL))
			*field_str(o, k) = spelled(k, v);
		break;
	case KT_ARGS:
		if ((took = field_list(o, k)->n == 0)) {
			for (i = 0; i < l->argc; i++)
				list_push(field_list(o, k), l->argv[i]);
		}
		break;
	case KT_FILES:
		list_push_once(field_list(o, k), v);
		took = true;
		break;
	case KT_EACH:
		/* as ssh: a forward given twice is one */
		list_push_once(field_list(o, k), l->joined);
		v = l->joined;
		took = true;
		break;
	case KT_ALGO:
		if ((took = e->algo[k->lo] == NULL))
			e->algo[k->lo] = xstrdup(v);
		break;
	case KT_OWN:
		took = apply_own(e, l);
		break;
	case KT_NONE:
		break;
	}
	/* Named only when the value that counts asks for what shoal does not do. */
	if (took && k->instead != NULL && pattern_list_match(v, k->quiet, true) != 1)
		note_named(f->path, l, k->instead);
}

static void apply_file(struct ev *e, struct cfile *f, bool *active, bool nevermatch);

static void
apply_line(struct ev *e, struct cfile *f, struct cline *l, bool *active, bool nevermatch)
{
	size_t k;

	if (l->k->own == K_INCLUDE) {
		for (k = 0; k < l->ninc; k++) {
			bool save = *active;

			apply_file(e, l->inc[k], active, nevermatch || !save);
			*active = save;
		}
		return;
	}
	if (l->k->own == K_IGNORED) {
		/* ssh checks it against the IgnoreUnknown this host has so far, active or not */
		if (e->err == NULL &&
		        (e->o->ignore_unknown == NULL ||
		                pattern_list_match(l->word, e->o->ignore_unknown, true) != 1))
			e->err = xasprintf("%s line %d: Bad configuration option: %s", f->path,
			        l->lineno, l->word);
		return;
	}
	if (*active)
		apply_value(e, f, l);
}

static void
apply_file(struct ev *e, struct cfile *f, bool *active, bool nevermatch)
{
	size_t i = 0;
	int k;

	while (i < f->n) {
		struct cline *l = &f->v[i];

		if (l->k->own == K_HOST) {
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
		} else if (l->k->own == K_MATCH) {
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
	size_t i;

	memset(o, 0, sizeof *o);
	for (i = 0; i < NKEYWORDS; i++) {
		if (kt_int(keywords[i].type))
			*field_int(o, &keywords[i]) = -1;
	}
	o->control_persist = -1;
	o->forward_agent = -1;
	o->jump_port = -1;
}

/* ssh's defaults of the table's numbers, for those no line set. */
static void
host_defaults(struct sshconf_host *o)
{
	size_t i;

	for (i = 0; i < NKEYWORDS; i++) {
		if (kt_int(keywords[i].type) && *field_int(o, &keywords[i]) == -1)
			*field_int(o, &keywords[i]) = keywords[i].dflt;
	}
}

#define PATH (EXPAND_TILDE | EXPAND_ENV)

static int
expand_in_place(const char *kw, char **v, const struct expand_tokens *t, unsigned flags, char **err)
{
	char *x = expand_value(kw, *v, t, flags, err);

	if (x == NULL)
		return -1;
	free(*v);
	*v = x;
	return 0;
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* ssh's defaults, the jump chain as -G prints it, the algorithm lists resolved. */
static int
host_settle(struct sshconf_host *o, struct ev *e, char **err)
{
	static const char *const default_ids[] = {"~/.ssh/id_rsa", "~/.ssh/id_ecdsa",
	        "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519", "~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss",
	        "~/.ssh/id_dsa"};
	size_t i;
	int a;

	/* as ssh: known_hosts names are lower case, and %k with them */
	if (o->host_key_alias != NULL)
		lower(o->host_key_alias);
	/* ssh's defaults */
	if (o->user == NULL)
		o->user = xstrdup(sshconf_login() ? sshconf_login() : "");
	/* shoal's own keepalive default applies only where ssh_config says nothing */
	o->server_alive_interval_set = o->server_alive_interval != -1 || o->batch_mode == 1;
	o->server_alive_count_max_set = o->server_alive_count_max != -1;
	/* ssh's default: every 5 minutes in batch mode */
	if (o->server_alive_interval == -1 && o->batch_mode == 1)
		o->server_alive_interval = 300;
	/*
	 * as ssh: "ask" is "no" under a kept master, with a command or no tty,
	 * and below INFO (nothing it could show)
	 */
	if (o->update_host_keys == 2 &&
	        ((o->control_persist != -1 && o->control_path != NULL &&
	                 strcasecmp(o->control_path, "none") != 0) ||
	                (o->remote_command != NULL && strcasecmp(o->remote_command, "none") != 0) ||
	                o->request_tty == 0 || (o->log_level >= 0 && o->log_level < 3)))
		o->update_host_keys = 0;
	/* ssh updates host keys by default only into its default known_hosts file */
	if (o->update_host_keys == -1)
		o->update_host_keys = o->verify_host_key_dns <= 0 &&
		                      (o->user_known_hosts_files.n == 0 ||
		                              (o->user_known_hosts_files.n == 1 &&
		                                      strcmp(o->user_known_hosts_files.v[0],
		                                              "~/.ssh/known_hosts") == 0));
	host_defaults(o);
	if (!e->ctl_persist_set)
		o->control_persist = -1;
	if (o->proxy_command != NULL && strcasecmp(o->proxy_command, "none") == 0) {
		free(o->proxy_command);
		o->proxy_command = NULL;
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
		char *r = algo_resolve(a, e->algo[a], err);

		if (e->algo[a] != NULL)
			o->algos_configured |= 1u << a;
		if (r == NULL)
			return -1;
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

	return 0;
}

/* The expansions ssh makes before it uses a value (and -G prints some). */
static int
host_expand(struct sshconf_host *o, char **err)
{
	struct tokens t;
	size_t i;
	char *x;

	/* the expansions ssh makes before it uses them (and -G prints some) */
	tokens_fill(&t, o, NULL, NULL);
	for (i = 0; i < o->identity_files.n; i++) {
		if ((x = expand_value("IdentityFile", o->identity_files.v[i], &t.x, PATH, err)) ==
		        NULL)
			return -1;
		list_push(&o->identity_paths, x);
		free(x);
	}
	for (i = 0; i < o->certificate_files.n; i++) {
		if ((x = expand_value("CertificateFile", o->certificate_files.v[i], &t.x, PATH,
		             err)) == NULL)
			return -1;
		list_push(&o->certificate_paths, x);
		free(x);
	}
	for (i = 0; i < o->user_known_hosts_files.n; i++) {
		if ((x = expand_value("UserKnownHostsFile", o->user_known_hosts_files.v[i], &t.x,
		             PATH, err)) == NULL)
			return -1;
		free(o->user_known_hosts_files.v[i]);
		o->user_known_hosts_files.v[i] = x;
	}
	if (o->identity_agent != NULL && strcmp(o->identity_agent, "none") != 0 &&
	        strcmp(o->identity_agent, "SSH_AUTH_SOCK") != 0 &&
	        expand_in_place("IdentityAgent", &o->identity_agent, &t.x, PATH, err) < 0)
		return -1;
	if (o->revoked_host_keys != NULL && strcmp(o->revoked_host_keys, "none") != 0 &&
	        (o->revoked_host_keys_path = expand_value(
	                 "RevokedHostKeys", o->revoked_host_keys, &t.x, PATH, err)) == NULL)
		return -1;
	if (o->control_path != NULL && strcmp(o->control_path, "none") != 0 &&
	        expand_in_place("ControlPath", &o->control_path, &t.x, PATH, err) < 0)
		return -1;
	if (o->remote_command != NULL && strcasecmp(o->remote_command, "none") == 0) {
		free(o->remote_command);
		o->remote_command = NULL;
	}
	if (o->remote_command != NULL &&
	        expand_in_place("RemoteCommand", &o->remote_command, &t.x, 0, err) < 0)
		return -1;
	if (o->forward_agent_path != NULL &&
	        expand_in_place("ForwardAgent", &o->forward_agent_path, &t.x, PATH, err) < 0)
		return -1;
	/* as ssh: a forward's Unix socket paths take the tokens and ${VAR} */
	for (i = 0; i < o->local_forward.n + o->remote_forward.n; i++) {
		bool local = i < o->local_forward.n;
		char **fw = local ? &o->local_forward.v[i]
		                  : &o->remote_forward.v[i - o->local_forward.n];

		if (strchr(*fw, '/') != NULL &&
		        expand_in_place(local ? "LocalForward" : "RemoteForward", fw, &t.x,
		                EXPAND_ENV, err) < 0)
			return -1;
	}
	/* ProxyCommand: only when it will run (a chain replaces it), and only its tokens */
	tokens_proxy(&t);
	if (o->proxy_command != NULL && o->jump_host == NULL &&
	        (o->proxy_command_expanded = expand_value(
	                 "ProxyCommand", o->proxy_command, &t.x, 0, err)) == NULL)
		return -1;
	return 0;
}

/* sshconf_eval with a -J (jump, NULL: none given) applied first, as ssh applies -J. */
static int
eval_host(const char *alias, const char *user, int port, const char *const *ids, size_t nids,
        const char *jump, struct sshconf_host *o, char **err)
{
	struct ev e;
	char *host = NULL;
	const char *bad;
	bool addr;
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
	o->host = xstrdup(alias);
	if (user != NULL)
		o->user = xstrdup(user);
	if (port > 0)
		o->port = port;
	for (i = 0; i < nids; i++)
		list_push(&o->identity_files, ids[i]);
	e.host = alias;
	e.original = alias;
	if (jump != NULL)
		apply_jump(&e, jump, strcasecmp(jump, "none") == 0);
	apply_all(&e);

	if (e.err != NULL)
		goto fail_err;
	if (o->hostname == NULL)
		host = xstrdup(alias);
	else if ((host = hostname_expand(&e, err)) == NULL)
		goto fail;
	addr = numeric_addr(o, &host);
	if (!addr)
		lower(host);
	/* ssh fills these before canonicalising: the final pass cannot change them */
	if (o->canonicalize_hostname == -1)
		o->canonicalize_hostname = 0;
	if (o->canonicalize_max_dots == -1)
		o->canonicalize_max_dots = 1;
	if (o->canonicalize_fallback_local == -1)
		o->canonicalize_fallback_local = 1;
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

	if (host_settle(o, &e, err) < 0)
		goto fail;
	if (host_expand(o, err) < 0)
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

int
sshconf_eval(const char *alias, const char *user, int port, const char *const *ids, size_t nids,
        struct sshconf_host *o, char **err)
{
	return eval_host(alias, user, port, ids, nids, NULL, o, err);
}

/* Seconds ssh_config keeps h's connection for later runs, -1: none. */
static double
config_persist(const struct sshconf_host *h)
{
	/* ControlMaster yes, auto or autoask (ask would prompt: shoal never does). */
	if (h->control_master != 1 && h->control_master != 2 && h->control_master != 4)
		return -1;
	if (h->control_persist < 0)
		return -1;
	/* ControlPersist yes (0): until told to go, here by --persist 0. */
	return h->control_persist == 0 ? 1e7 : h->control_persist;
}

int
sshconf_resolve(const char *alias, const char *user, int port, const struct options *opt,
        const char *jump, struct sshconf_host *o, char **err)
{
	if (eval_host(alias, user != NULL ? user : opt->user, port > 0 ? port : opt->port,
	            (const char *const *)opt->identities, opt->nidentities, jump, o, err) < 0)
		return -1;
	if (opt->known_hosts != NULL) {
		list_free(&o->user_known_hosts_files);
		list_push(&o->user_known_hosts_files, opt->known_hosts);
	}
	o->connect_deadline = opt->connect_timeout_set || o->connect_timeout <= 0
	                              ? opt->connect_timeout
	                              : o->connect_timeout;
	o->hostkey_policy = opt->hostkey_policy != HOSTKEY_POLICY_UNSET ? opt->hostkey_policy
	                                                                : sshconf_policy(o);
	/*
	 * -T is ssh's -t, which overrides RequestTTY; RequestTTY yes is force,
	 * for shoal never gives a command the local terminal (ssh's yes looks
	 * at its own stdin); auto is no with a command.
	 */
	o->tty = opt->tty || o->request_tty == 1 || o->request_tty == 2;
	o->persist_given = opt->persist >= 0;
	o->persist = o->persist_given ? opt->persist : config_persist(o);
	return 0;
}

void
sshconf_host_free(struct sshconf_host *h)
{
	size_t i;

	for (i = 0; i < NKEYWORDS; i++) {
		const struct keyword *k = &keywords[i];

		if (k->type == KT_STR || k->type == KT_LINE || k->type == KT_WORDS ||
		        k->type == KT_ALGO) {
			free(*field_str(h, k));
			*field_str(h, k) = NULL;
		} else if (kt_list(k->type)) {
			list_free(field_list(h, k));
		}
	}
	free(h->host);
	list_free(&h->identity_paths);
	list_free(&h->certificate_paths);
	free(h->revoked_host_keys_path);
	free(h->proxy_command);
	free(h->proxy_command_expanded);
	free(h->proxy_jump);
	free(h->jump_user);
	free(h->jump_host);
	free(h->jump_extra);
	list_free(&h->set_env);
	list_free(&h->send_env);
	free(h->ignore_unknown);
	free(h->forward_agent_path);
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

/* The keywords with their own code that -G prints. */
static void
print_own(FILE *fp, const struct keyword *k, const struct sshconf_host *h)
{
	switch (k->own) {
	case K_PROXYCOMMAND:
		if (h->proxy_command)
			fprintf(fp, "proxycommand %s\n", h->proxy_command);
		break;
	case K_PROXYJUMP:
		if (h->proxy_jump)
			fprintf(fp, "proxyjump %s\n", h->proxy_jump);
		break;
	case K_SETENV:
		print_list(fp, "setenv", &h->set_env, false);
		break;
	case K_SENDENV:
		print_list(fp, "sendenv", &h->send_env, false);
		break;
	case K_FORWARDAGENT:
		fprintf(fp, "forwardagent %s\n",
		        h->forward_agent_path   ? h->forward_agent_path
		        : h->forward_agent == 1 ? "yes"
		                                : "no");
		break;
	case K_CONTROLPERSIST:
		if (h->control_persist < 0)
			fprintf(fp, "controlpersist no\n");
		else if (h->control_persist == 0)
			fprintf(fp, "controlpersist yes\n");
		else
			fprintf(fp, "controlpersist %d\n", h->control_persist);
		break;
	default:
		break;
	}
}

/* Is k another name of a keyword before it (same field)?  -G prints each once. */
static bool
alias_of_earlier(const struct keyword *k)
{
	const struct keyword *p;

	for (p = keywords; p < k; p++) {
		if (p->type != KT_OWN && p->type != KT_NONE && p->off == k->off)
			return true;
	}
	return false;
}

void
sshconf_print(FILE *fp, const struct sshconf_host *h)
{
	size_t i;

	fprintf(fp, "host %s\n", h->host);
	fprintf(fp, "user %s\n", h->user);
	fprintf(fp, "hostname %s\n", h->hostname);
	fprintf(fp, "port %d\n", h->port);
	for (i = 0; i < NKEYWORDS; i++) {
		const struct keyword *k = &keywords[i];
		const char *s;

		if (k->off == F(user) || k->off == F(hostname) || k->off == F(port) ||
		        alias_of_earlier(k))
			continue;
		switch (k->type) {
		case KT_STATE:
			fprintf(fp, "%s %s\n", k->name,
			        state_name(k->states, *(const int *)field_ro(h, k)));
			break;
		case KT_INT:
		case KT_TIME:
			if (*(const int *)field_ro(h, k) < 0)
				fprintf(fp, "%s none\n", k->name);
			else
				fprintf(fp, "%s %d\n", k->name, *(const int *)field_ro(h, k));
			break;
		case KT_STR:
		case KT_LINE:
		case KT_WORDS:
		case KT_ALGO:
			if ((s = *(char *const *)field_ro(h, k)) != NULL || (s = k->dflt_s) != NULL)
				fprintf(fp, "%s %s\n", k->name, s);
			break;
		case KT_ARGS:
			if (((const struct sshconf_list *)field_ro(h, k))->n == 0 &&
			        k->dflt_s != NULL)
				fprintf(fp, "%s %s\n", k->name, k->dflt_s);
			print_list(
			        fp, k->name, ((const struct sshconf_list *)field_ro(h, k)), true);
			break;
		case KT_FILES:
		case KT_EACH:
			print_list(
			        fp, k->name, ((const struct sshconf_list *)field_ro(h, k)), false);
			break;
		case KT_OWN:
			print_own(fp, k, h);
			break;
		case KT_NONE:
			break;
		}
	}
}

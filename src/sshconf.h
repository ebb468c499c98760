/*
 * sshconf.h - ssh_config as OpenSSH applies it: shoal reads the files once,
 * evaluates them per host by ssh's rules (SPEC section 2a) and hands libssh
 * explicit options only.
 */
#ifndef SHOAL_SSHCONF_H
#define SHOAL_SSHCONF_H

#include <stdbool.h>
#include <stdio.h>

#include "options.h"

/* ssh_config's multi-valued answers, with ssh's own numbering where it prints them. */
enum sshconf_strict {
	SSHCONF_STRICT_NO,
	SSHCONF_STRICT_YES,
	SSHCONF_STRICT_ASK,
	SSHCONF_STRICT_NEW
};
enum sshconf_af { SSHCONF_AF_ANY, SSHCONF_AF_INET, SSHCONF_AF_INET6 };

struct sshconf_list {
	char **v;
	size_t n;
};

/* One host's effective configuration, ssh's defaults filled in. */
struct sshconf_host {
	char *host;     /* the name as given (ssh's %n) */
	char *hostname; /* where to connect: HostName, canonicalised */
	char *user;
	int port;
	struct sshconf_list identity_files;    /* as written: what ssh -G prints */
	struct sshconf_list identity_paths;    /* the same, ~ and % expanded */
	int identity_files_default;            /* none given: ssh's default list */
	struct sshconf_list certificate_files; /* as written */
	struct sshconf_list certificate_paths; /* expanded */
	int identities_only;
	char *identity_agent; /* expanded; NULL: unset ($SSH_AUTH_SOCK) */
	int pubkey_auth;      /* 0 no, 1 yes, 2 unbound, 3 host-bound */
	int password_auth;
	int kbdint_auth;
	char *preferred_authentications; /* NULL: unset */
	char *proxy_command;             /* as written; NULL: none */
	char *proxy_command_expanded;    /* %h %p %r %n %% applied */
	char *proxy_jump;                /* as ssh -G prints it; NULL: none */
	char *jump_user, *jump_host;     /* its last hop; NULL: none */
	int jump_port;                   /* -1: not given */
	char *jump_extra;                /* the hops before it, or NULL */
	int connect_timeout;             /* seconds; -1: none */
	int server_alive_interval;       /* seconds; 0: off */
	int server_alive_count_max;
	bool server_alive_interval_set; /* the config named them (BatchMode yes does) */
	bool server_alive_count_max_set;
	int tcp_keepalive;
	int strict_host_key_checking;               /* enum sshconf_strict */
	struct sshconf_list user_known_hosts_files; /* expanded */
	struct sshconf_list global_known_hosts_files;
	int hash_known_hosts;
	char *revoked_host_keys;      /* as written: what ssh -G prints */
	char *revoked_host_keys_path; /* expanded; NULL: none */
	char *host_key_alias;         /* NULL: unset */
	/* Algorithm lists, + - ^ applied, only what libssh supports. */
	char *kex_algorithms;
	char *ciphers;
	char *macs;
	char *host_key_algorithms;
	char *pubkey_accepted_algorithms;
	unsigned algos_configured; /* bit per list above, in that order: set by ssh_config */
	int address_family;        /* enum sshconf_af */
	char *bind_address;        /* NULL: unset */
	int request_tty;           /* 0 no, 1 yes, 2 force, 3 auto */
	struct sshconf_list set_env;
	struct sshconf_list send_env;
	int log_level; /* 0 QUIET .. 7 DEBUG3 */
	char *ignore_unknown;
	int control_master;
	char *control_path;  /* expanded; NULL: unset */
	int control_persist; /* -1 no, 0 yes, else seconds */
	int canonicalize_hostname;
	struct sshconf_list canonical_domains;
	int canonicalize_max_dots;
	int canonicalize_fallback_local;
	int batch_mode;
	/*
	 * The final values, ssh_config and the command line together
	 * (sshconf_resolve): what connect, exec, auth and -G read.
	 */
	double connect_deadline;            /* -t, else ConnectTimeout, else -t's default */
	enum hostkey_policy hostkey_policy; /* --host-key-policy, else StrictHostKeyChecking */
	bool tty;                           /* -T, else RequestTTY yes or force */
	char *remote_command;               /* its % tokens applied, as ssh runs it; NULL: none */
	/* Seconds a keeper keeps the session idle: --persist, else ControlPersist when
	 * ControlMaster is yes, auto or autoask; -1: not kept. */
	double persist;
	bool persist_given; /* from --persist: it also outranks a replaced session's time */
	/*
	 * Read and printed by -G as ssh prints them; shoal does not do what
	 * they ask (a note says so when a value asks for something).
	 */
	int check_host_ip, compression, enable_ssh_keysign, clear_all_forwardings;
	int exit_on_forward_failure, fingerprint_hash, forward_x11, forward_x11_trusted;
	int gateway_ports, gssapi_authentication, gssapi_key_exchange, gssapi_delegate_credentials;
	int gssapi_trust_dns, gssapi_renewal_forces_rekey, hostbased_authentication;
	int no_host_authentication_for_localhost, permit_local_command, proxy_use_fdpass;
	int session_type, stdin_null, fork_after_authentication, stream_local_bind_unlink;
	int tunnel, verify_host_key_dns, visual_host_key, update_host_keys;
	int enable_escape_commandline, connection_attempts, forward_x11_timeout;
	int number_of_password_prompts, required_rsa_size;
	char *bind_interface, *kbdinteractive_devices, *local_command, *pkcs11_provider;
	char *security_key_provider, *xauth_location, *known_hosts_command;
	char *gssapi_kex_algorithms, *hostbased_accepted_algorithms, *ca_signature_algorithms;
	char *gssapi_client_identity, *gssapi_server_identity;
	int forward_agent;
	char *forward_agent_path; /* ForwardAgent's socket, NULL: none given */
	char *add_keys_to_agent, *tunnel_device, *canonicalize_permitted_cnames;
	char *escape_char, *ipqos, *rekey_limit, *stream_local_bind_mask, *syslog_facility;
	struct sshconf_list log_verbose, permit_remote_open;
	struct sshconf_list local_forward, remote_forward, dynamic_forward;
};

/*
 * Read and check ssh_config: path NULL: ~/.ssh/config then
 * /etc/ssh/ssh_config; "none": nothing; else that file, which must exist.
 * Call once, before threads start.  On an error prints it (file:line) to
 * stderr and returns 2.
 */
int sshconf_load(const char *path);
void sshconf_free(void);
/*
 * Evaluate the loaded files for alias as ssh would for `ssh [-l user] [-p
 * port] [-i id]... alias` (user NULL, port 0: not given).  Any thread.
 * Returns 0, or -1 with *err (malloc'd) when the host cannot be configured
 * (canonicalisation failed, an unset ${VAR}).  Notes, once per run, on
 * stderr the keywords in effect that shoal does not honour.
 */
int sshconf_eval(const char *alias, const char *user, int port, const char *const *ids, size_t nids,
        struct sshconf_host *out, char **err);
/*
 * The host's final settings: sshconf_eval with the command line's overrides
 * applied as ssh applies its own options (struct options: -l, -p, -i
 * before the files; jump (-J, or a chain's earlier hops; NULL: none given)
 * as ssh's -J, "none" included; --known-hosts replacing UserKnownHostsFile;
 * -t, --host-key-policy and -T over ConnectTimeout, StrictHostKeyChecking
 * and RequestTTY).  user and port: the host's own (user@, :port), else
 * NULL and 0 for -l's and -p's.
 */
int sshconf_resolve(const char *alias, const char *user, int port, const struct options *o,
        const char *jump, struct sshconf_host *out, char **err);
void sshconf_host_free(struct sshconf_host *h);
/*
 * One hop of ProxyJump's syntax, [ssh://][user@]host[:port] (IPv6 in
 * brackets): false when bad; *user NULL and *port -1 when not given.
 * sshconf_jump_ok checks a whole comma-separated chain ("none" too), and
 * each hop's names as sshconf_bad_name does (*names: its message, or NULL).
 */
bool sshconf_jump_hop(const char *s, char **user, char **host, int *port);
bool sshconf_jump_ok(const char *s, const char **names);
/*
 * The one rule for names that reach % tokens (%r, %h, %n) and so perhaps a
 * shell (Match exec, ProxyCommand): OpenSSH's since its fix for
 * CVE-2023-51385.  A user (NULL: none given) must not start with '-', hold
 * a control character or one of '`";&<>|(){}, nor a blank before '-', nor
 * end in '\'; a host must not start with '-', hold a blank, a control
 * character or one of '`"$\;&<>|(){},.  Returns ssh's message for the first
 * that fails ("remote username contains invalid characters", "hostname
 * contains invalid characters"), or NULL.
 */
const char *sshconf_bad_name(const char *user, const char *host);
/* Print h as `ssh -G` does, for the keywords shoal uses. */
void sshconf_print(FILE *fp, const struct sshconf_host *h);
/* shoal's host-key policy from StrictHostKeyChecking. */
enum hostkey_policy sshconf_policy(const struct sshconf_host *h);

/*
 * The environment ssh sends for h, as NAME=VALUE strings: the variables of
 * env whose names SendEnv's patterns match, in env's order, then SetEnv's
 * pairs.  The strings are env's and h's own; free only *out.  Returns the
 * count.
 */
size_t sshconf_env(const struct sshconf_host *h, char *const *env, const char ***out);
/*
 * shoal's diagnostics level (log.h) for ssh_config's LogLevel: QUIET and
 * FATAL as -q, ERROR and INFO normal, VERBOSE as -v, DEBUG1-3 as -vv.
 */
int sshconf_log_level(const struct sshconf_host *h);

/* The local user, looked up once; NULL when unknown.  Any thread. */
const char *sshconf_home(void);
const char *sshconf_ssh_dir(void); /* home/.ssh: ssh's ~/.ssh and %d */
const char *sshconf_login(void);

/*
 * Does the loaded ssh_config name one of keywords (a NULL-terminated list,
 * compared without case) anywhere, in any section or included file?  path
 * is unused (kept for the callers): the files given to sshconf_load count.
 */
bool sshconf_names(const char *path, const char *const *keywords);

#endif

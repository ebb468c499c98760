/*
 * auth.c - client authentication of one session, the way ssh does it.
 *
 * Theory of operation.  The methods are a table (name, the ssh_config switch
 * that enables it, a function that runs one attempt), tried in the order of
 * PreferredAuthentications (ssh's default: publickey, keyboard-interactive,
 * password, of those shoal has), each only while the server still allows it.
 * Every libssh call runs non-blocking under the one auth deadline, checking
 * the connection after every SSH_AUTH_AGAIN (libssh 0.10 would spin forever
 * on a server that hung up).
 *
 * Keys are listed per session in the order SPEC 2a gives:
 *   1. CertificateFile certificates, with the identity file that holds their key;
 *   2. agent keys that are also an identity file's key, in agent order;
 *   3. the other agent keys, in agent order, unless IdentitiesOnly;
 *   4. the identity files not in the agent, each followed by KEY-cert.pub
 *      when there is one (and no CertificateFile).
 * That is OpenSSH's pubkey_prepare order, and it decides who logs in: sshd
 * counts every refused key against MaxAuthTries.
 * A key that cannot be sent is left out with a note that says why (an
 * encrypted key not in the agent, an RSA key for a server that did not offer
 * rsa-sha2-*, a certificate without its key): sshd's MaxAuthTries counts
 * every key offered, so none is offered that ssh would not offer.
 * Identity files are read once per run (keys.c) and sign directly; agent
 * keys sign through the agent (agent.c shows libssh one key at a time).  A
 * certificate goes out with its key: attached to an identity file's private
 * key, or shown to libssh as an agent key of its own that the agent signs
 * for with the plain key.
 *
 * One round trip less: when publickey comes first, the first key goes out
 * before "none" (an identity file's signed at once), where ssh sends "none"
 * first only to learn the methods, which any answer tells.
 *
 * keyboard-interactive answers one password prompt (no echo, the prompt
 * names a password) with the run's password; any other question ends the
 * login as auth_denied quoting the prompt (escaped: it comes from the server).
 *
 * Threads: runs on the session's thread; an agent proxy adds one thread for
 * the duration of the login.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "auth.h"
#include "buf.h"
#include "escape.h"
#include "keys.h"
#include "log.h"
#include "wait.h"
#include "xmalloc.h"

#define AUTH_TIMED_OUT WAIT_TIMED_OUT
#define AUTH_CANCELLED WAIT_CANCELLED
#define AUTH_GIVE_UP   (-1002) /* outcome already set */
#define AUTH_NOT_SENT  (-1003) /* noted: on to the next key */

#define DEFAULT_PREFERRED "gssapi-with-mic,hostbased,publickey,keyboard-interactive,password"

/* One key to offer. */
struct cand {
	ssh_key priv;               /* signs here (an identity file), or NULL: */
	const struct agent_key *ak; /* signs in the agent */
	char *name;                 /* for messages, printable */
	bool rsa;
};

struct login {
	ssh_session s;
	const char *alias;
	const struct auth_config *ac;
	double deadline;
	struct cand *cands;
	size_t ncands, next;
	struct agent_key *akeys;
	size_t nakeys;
	struct agent_key *certaks; /* certificates whose key only the agent has */
	size_t ncertaks;
	struct agent_proxy *proxy;
	int methods;        /* what the server allows, after the last answer */
	struct buf tried;   /* "publickey refused (a, b), password refused" */
	struct buf refused; /* keys refused by this server, for tried */
	struct buf notes;   /* keys not sent, and why */
	struct outcome *out;
	bool planned; /* publickey is on: the keys were listed */
	bool fast;    /* the first key goes before "none" */
};

static char *
printable(const char *s)
{
	struct buf b;
	size_t n = strlen(s);

	buf_init(&b);
	escape_terminal(&b, s, n < 200 ? n : 200);
	if (n > 200)
		buf_appends(&b, "...");
	return buf_steal(&b);
}

static void
note(struct login *l, const char *name, const char *what)
{
	if (l->notes.len > 0)
		buf_appends(&l->notes, "; ");
	buf_appendf(&l->notes, "%s: %s", name, what);
	log_msg(LOG_DEBUG, "%s: auth: %s: %s", l->alias, name, what);
}

static void
add_cand(struct login *l, ssh_key priv, const struct agent_key *ak, const char *name, bool rsa)
{
	struct cand *c;

	l->cands = xreallocarray(l->cands, l->ncands + 1, sizeof *l->cands);
	c = &l->cands[l->ncands++];
	c->priv = priv;
	c->ak = ak;
	c->name = printable(name);
	c->rsa = ak != NULL ? strncmp(ak->type, "ssh-rsa", 7) == 0 : rsa;
}

static bool
is_rsa(ssh_key k)
{
	enum ssh_keytypes_e t = k ? ssh_key_type(k) : SSH_KEYTYPE_UNKNOWN;

	return t == SSH_KEYTYPE_RSA || t == SSH_KEYTYPE_RSA_CERT01;
}

/* One identity file, and the certificate beside it, in the list of files. */
struct ident {
	const char *path;
	bool user_given;
	const struct keys_file *kf;
	const struct keys_cert *beside; /* KEY-cert.pub, or NULL */
	bool taken;                     /* offered through the agent already */
};

/* The agent's key whose blob is pub64, or NULL. */
static const struct agent_key *
agent_has(const struct login *l, const char *pub64)
{
	size_t i;

	for (i = 0; pub64 != NULL && i < l->nakeys; i++) {
		if (strcmp(l->akeys[i].blob64, pub64) == 0)
			return &l->akeys[i];
	}
	return NULL;
}

/* A certificate whose key the agent holds: shown to libssh as an agent key. */
static const struct agent_key *
agent_cert(struct login *l, const struct keys_cert *kc, const struct agent_key *ak)
{
	struct agent_key *k = &l->certaks[l->ncertaks++];

	k->blob64 = xstrdup(kc->cert64);
	k->type = xstrdup(ssh_key_type_to_char(ssh_key_type(kc->cert)));
	k->comment = xstrdup(kc->path);
	k->sign_blob64 = xstrdup(ak->blob64);
	return k;
}

static void
plan_keys(struct login *l)
{
	const struct auth_config *ac = l->ac;
	struct ident *ids;
	size_t nids = 0, i, j, nd = ac->nidentities;
	char *p, *msg;
	const struct keys_cert *kc;
	bool found, *matched;

	ids = xcalloc(nd ? nd : 1, sizeof *ids);
	for (i = 0; i < nd; i++) {
		struct ident *id = &ids[nids];

		id->path = ac->identities[i].path;
		id->user_given = ac->identities[i].user_given;
		/* Named twice (-i and IdentityFile): offered once, as by ssh. */
		for (j = 0; j < nids && strcmp(ids[j].path, id->path) != 0; j++)
			;
		if (j < nids)
			continue;
		id->kf = keys_file(id->path);
		if (id->kf->state == KEYS_MISSING && id->kf->pub64 == NULL) {
			if (id->user_given) {
				note(l, id->path, "no such file");
				keys_warn_missing(id->kf, l->alias);
			}
			continue;
		}
		if (ac->ncertificates == 0) {
			p = xasprintf("%s-cert.pub", id->path);
			kc = keys_cert(p);
			id->beside = kc->cert ? kc : NULL;
			free(p);
		}
		nids++;
	}

	if (ac->agent != NULL && agent_list(ac->agent, l->deadline, &l->akeys, &l->nakeys) < 0) {
		log_msg(LOG_DEBUG, "%s: auth: agent %s: %s", l->alias, ac->agent, strerror(errno));
		l->akeys = NULL;
		l->nakeys = 0;
	}
	l->certaks = xcalloc(ac->ncertificates + nids + 1, sizeof *l->certaks);

	/* 1. CertificateFile, with the identity file or agent key that holds its key. */
	for (i = 0; i < ac->ncertificates; i++) {
		kc = keys_cert(ac->certificates[i]);
		if (kc->cert == NULL) {
			note(l, ac->certificates[i], "no certificate there, skipped");
			continue;
		}
		found = false;
		for (j = 0; j < nids && !found; j++) {
			ssh_key priv = keys_with_cert(ids[j].kf, kc);

			if (priv != NULL) {
				add_cand(l, priv, NULL, kc->path, is_rsa(priv));
				found = true;
			}
		}
		for (j = 0; j < l->nakeys && !found; j++) {
			if (keys_certifies(kc, l->akeys[j].blob64)) {
				add_cand(l, NULL, agent_cert(l, kc, &l->akeys[j]), kc->path, false);
				found = true;
			}
		}
		if (!found)
			note(l, kc->path,
			        "its key is in no identity file shoal can read and not in the "
			        "agent, "
			        "skipped");
	}
	/* 2. The agent's keys that are an identity file's. */
	matched = xcalloc(l->nakeys ? l->nakeys : 1, sizeof *matched);
	for (i = 0; i < l->nakeys; i++) {
		for (j = 0; j < nids; j++) {
			if (ids[j].taken || ids[j].kf->pub64 == NULL ||
			        strcmp(ids[j].kf->pub64, l->akeys[i].blob64) != 0)
				continue;
			ids[j].taken = matched[i] = true;
			/* The same key: sign here when the file can, saving a trip to the agent. */
			add_cand(l, ids[j].kf->priv, ids[j].kf->priv ? NULL : &l->akeys[i],
			        ids[j].path, is_rsa(ids[j].kf->priv));
			break;
		}
	}
	/* 3. The agent's other keys. */
	if (!ac->identities_only) {
		for (i = 0; i < l->nakeys; i++) {
			if (matched[i])
				continue;
			msg = xasprintf("agent key %s", l->akeys[i].comment);
			add_cand(l, NULL, &l->akeys[i], msg, false);
			free(msg);
		}
	}
	/* 4. The identity files not in the agent, each with its certificate. */
	for (j = 0; j < nids; j++) {
		const struct keys_file *kf = ids[j].kf;

		if (!ids[j].taken) {
			switch (kf->state) {
			case KEYS_LOADED:
				add_cand(l, kf->priv, NULL, kf->path, is_rsa(kf->priv));
				break;
			case KEYS_ENCRYPTED:
				note(l, kf->path, "encrypted and not in the agent, skipped");
				break;
			case KEYS_MISSING:
				note(l, kf->path,
				        "only its .pub is there and it is not in the agent, "
				        "skipped");
				break;
			case KEYS_PUBLIC:
				note(l, kf->path, "a public key not in the agent, skipped");
				break;
			default:
				msg = xasprintf("%s, skipped", kf->why);
				note(l, kf->path, msg);
				free(msg);
				break;
			}
		}
		if (ids[j].beside != NULL && kf->state == KEYS_LOADED) {
			ssh_key priv = keys_with_cert(kf, ids[j].beside);

			if (priv != NULL)
				add_cand(l, priv, NULL, ids[j].beside->path, is_rsa(priv));
			else
				note(l, ids[j].beside->path, "does not certify its key, skipped");
		} else if (ids[j].beside != NULL) {
			const struct agent_key *ak = agent_has(l, kf->pub64);

			if (ak != NULL && keys_certifies(ids[j].beside, kf->pub64))
				add_cand(l, NULL, agent_cert(l, ids[j].beside, ak),
				        ids[j].beside->path, false);
			else
				note(l, ids[j].beside->path,
				        "its key is neither readable by shoal nor in the agent, "
				        "skipped");
		}
	}
	free(ids);
	free(matched);
}

/* ---- the methods -------------------------------------------------------- */

enum step {
	STEP_NONE,
	STEP_KEY,   /* an identity file's key, signed here */
	STEP_AGENT, /* the key the agent proxy shows */
	STEP_QUERY, /* would the server take this public key? */
	STEP_PASSWORD,
	STEP_KBDINT,
};

static int
call(struct login *l, enum step step, ssh_key key)
{
	switch (step) {
	case STEP_NONE:
		return ssh_userauth_none(l->s, NULL);
	case STEP_KEY:
		return ssh_userauth_publickey(l->s, NULL, key);
	case STEP_AGENT:
		return ssh_userauth_agent(l->s, NULL);
	case STEP_QUERY:
		return ssh_userauth_try_publickey(l->s, NULL, key);
	case STEP_PASSWORD:
		return ssh_userauth_password(l->s, NULL, l->ac->secret);
	case STEP_KBDINT:
		return ssh_userauth_kbdint(l->s, NULL, NULL);
	}
	return SSH_AUTH_ERROR;
}

struct request {
	struct login *l;
	enum step step;
	ssh_key key;
};

/* One call of the request; AGAIN on a closed session is the error it will stay. */
static int
request_step(void *arg)
{
	struct request *r = arg;
	int rc = call(r->l, r->step, r->key);

	if (rc == SSH_AUTH_AGAIN &&
	        (!ssh_is_connected(r->l->s) || (ssh_get_status(r->l->s) & SSH_CLOSED_ERROR)))
		return SSH_AUTH_ERROR;
	return rc;
}

/* One request, repeated while libssh says AGAIN, under the auth deadline. */
static int
run(struct login *l, enum step step, ssh_key key)
{
	struct request r = {l, step, key};

	return wait_again(l->s, l->deadline, SSH_AUTH_AGAIN, request_step, &r);
}

static void
tried(struct login *l, const char *what)
{
	if (l->tried.len > 0)
		buf_appends(&l->tried, ", ");
	buf_appends(&l->tried, what);
}

/*
 * libssh refuses some keys itself, before sending anything: say so rather
 * than count them refused by the server.  Its own texts, not the server's.
 */
static bool
not_sent(struct login *l, const struct cand *c)
{
	const char *e = ssh_get_error(l->s);

	if (e == NULL)
		return false;
	if (strncmp(e, "The key algorithm", 17) == 0) {
		/* libssh falls back to ssh-rsa (SHA-1), which it never signs with,
		 * when the server's server-sig-algs has no rsa-sha2-*. */
		note(l, c->name,
		        c->rsa && strstr(e, "'ssh-rsa") != NULL
		                ? "server did not offer rsa-sha2-*, not sent"
		                : "its algorithm is not in PubkeyAcceptedAlgorithms, not sent");
		return true;
	}
	if (strstr(e, "RSA_MIN_SIZE") != NULL) {
		note(l, c->name, "RSA key shorter than libssh accepts, not sent");
		return true;
	}
	return false;
}

/*
 * Offer an agent key: first only ask whether the server would take it
 * (ssh_userauth_try_publickey, as ssh does with every key), and hand it to
 * ssh_userauth_agent, to be signed, only then.  That costs the accepted key
 * one round trip more (libssh asks again), but libssh 0.10 leaks the agent's
 * previous answer each time ssh_userauth_agent lists the agent again in a
 * session, and the stand-in agent's thread is started only for a key that
 * will be signed.
 */
static int
offer_agent_key(struct login *l, const struct cand *c)
{
	ssh_key pub = NULL;
	int rc;

	if (ssh_pki_import_pubkey_base64(
	            c->ak->blob64, ssh_key_type_from_name(c->ak->type), &pub) != SSH_OK) {
		note(l, c->name, "a key type libssh does not know, not sent");
		return AUTH_NOT_SENT;
	}
	rc = run(l, STEP_QUERY, pub);
	ssh_key_free(pub);
	if (rc != SSH_AUTH_SUCCESS)
		return rc;
	if (l->proxy == NULL && (l->proxy = agent_proxy_start(l->s, l->ac->agent)) == NULL) {
		note(l, c->name, "cannot reach the agent, not sent");
		return AUTH_NOT_SENT;
	}
	agent_proxy_show(l->proxy, c->ak);
	return run(l, STEP_AGENT, NULL);
}

static void
refused(struct login *l, const struct cand *c)
{
	buf_appends(&l->refused, l->refused.len ? ", " : "");
	buf_appends(&l->refused, c->name);
}

/* Did sshd hang up for too many refused keys (MaxAuthTries)?  Its own words. */
static bool
cut_off(struct login *l)
{
	const char *e = ssh_get_error(l->s);

	return e != NULL && strstr(e, "Too many authentication failures") != NULL;
}

/*
 * publickey: offer the keys in turn until the server takes one, stops taking
 * keys, or none is left (SSH_AUTH_DENIED).
 */
static int
m_publickey(struct login *l)
{
	struct cand *c;
	int rc;

	while (l->next < l->ncands) {
		c = &l->cands[l->next++];
		log_msg(LOG_DEBUG, "%s: auth: offering %s%s", l->alias, c->name,
		        l->fast && l->next == 1 ? " first, before none" : "");
		if (c->priv != NULL) {
			rc = run(l, STEP_KEY, c->priv);
		} else {
			rc = offer_agent_key(l, c);
			if (rc == AUTH_NOT_SENT)
				continue;
		}
		if (rc == SSH_AUTH_ERROR && cut_off(l))
			refused(l, c); /* sshd counted it, then hung up: MaxAuthTries */
		if (rc != SSH_AUTH_DENIED)
			return rc;
		if (not_sent(l, c))
			continue;
		l->methods = ssh_userauth_list(l->s, NULL);
		if (!(l->methods & SSH_AUTH_METHOD_PUBLICKEY)) {
			/* A server that takes no keys did not refuse this one. */
			l->next--;
			return SSH_AUTH_DENIED;
		}
		refused(l, c);
	}
	return SSH_AUTH_DENIED;
}

static int
m_password(struct login *l)
{
	int rc = run(l, STEP_PASSWORD, NULL);

	if (rc == SSH_AUTH_DENIED)
		tried(l, "password refused");
	return rc;
}

static bool
asks_password(const char *prompt)
{
	char low[256];
	size_t i;

	for (i = 0; prompt[i] != '\0' && i < sizeof low - 1; i++)
		low[i] = (char)tolower((unsigned char)prompt[i]);
	low[i] = '\0';
	return strstr(low, "password") != NULL;
}

static int
m_kbdint(struct login *l)
{
	bool answered = false;
	const char *prompt;
	char echo = 0, *text;
	struct buf qs;
	int rc, n, i;

	for (;;) {
		rc = run(l, STEP_KBDINT, NULL);
		if (rc != SSH_AUTH_INFO)
			break;
		n = ssh_userauth_kbdint_getnprompts(l->s);
		if (n == 0)
			continue; /* an empty round (PAM's last word): answer it as empty */
		prompt = ssh_userauth_kbdint_getprompt(l->s, 0, &echo);
		if (n == 1 && !answered && !echo && prompt != NULL && asks_password(prompt)) {
			if (ssh_userauth_kbdint_setanswer(l->s, 0, l->ac->secret) < 0)
				return SSH_AUTH_ERROR;
			answered = true;
			continue;
		}
		if (n == 1 && answered && !echo && prompt != NULL && asks_password(prompt)) {
			/* Asked again: the password was wrong. */
			tried(l, "keyboard-interactive refused");
			return SSH_AUTH_DENIED;
		}
		buf_init(&qs);
		for (i = 0; i < n && i < 4; i++) {
			prompt = ssh_userauth_kbdint_getprompt(l->s, (unsigned int)i, &echo);
			text = printable(prompt ? prompt : "");
			buf_appendf(&qs, "%s\"%s\"", i ? ", " : "", text);
			free(text);
		}
		outcome_set(l->out, EK_AUTH_DENIED, PHASE_AUTH,
		        "keyboard-interactive asked %d question%s (%s%s); shoal answers only one "
		        "password prompt",
		        n, n == 1 ? "" : "s", qs.p, n > 4 ? ", ..." : "");
		buf_free(&qs);
		return AUTH_GIVE_UP;
	}
	if (rc == SSH_AUTH_DENIED)
		tried(l, answered ? "keyboard-interactive refused"
		                  : "keyboard-interactive refused without a question");
	return rc;
}

static const struct method {
	const char *name;
	int bit;     /* in ssh_userauth_list */
	size_t flag; /* offset of its switch in struct auth_config */
	bool needs_secret;
	int (*attempt)(struct login *l);
} methods[] = {
        {"publickey", SSH_AUTH_METHOD_PUBLICKEY, offsetof(struct auth_config, pubkey), false,
                m_publickey},
        {"keyboard-interactive", SSH_AUTH_METHOD_INTERACTIVE, offsetof(struct auth_config, kbdint),
                true, m_kbdint},
        {"password", SSH_AUTH_METHOD_PASSWORD, offsetof(struct auth_config, password), true,
                m_password},
};
#define NMETHODS (sizeof methods / sizeof methods[0])

/* The methods shoal has, in PreferredAuthentications order, enabled ones only. */
static size_t
method_order(const struct auth_config *ac, const struct method **order)
{
	char *list = xstrdup(ac->preferred ? ac->preferred : DEFAULT_PREFERRED), *save, *w;
	size_t n = 0, i, k;

	for (w = strtok_r(list, ", \t", &save); w != NULL; w = strtok_r(NULL, ", \t", &save)) {
		for (i = 0; i < NMETHODS; i++) {
			if (strcasecmp(w, methods[i].name) != 0 ||
			        !*(const bool *)((const char *)ac + methods[i].flag))
				continue;
			for (k = 0; k < n && order[k] != &methods[i]; k++)
				;
			if (k == n)
				order[n++] = &methods[i];
		}
	}
	free(list);
	return n;
}

/* "publickey, password": the methods a server allows, for messages. */
static void
methods_text(struct buf *b, int allowed)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {{SSH_AUTH_METHOD_PUBLICKEY, "publickey"},
	        {SSH_AUTH_METHOD_PASSWORD, "password"},
	        {SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive"},
	        {SSH_AUTH_METHOD_HOSTBASED, "hostbased"}};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!(allowed & names[i].bit))
			continue;
		if (b->len > 0)
			buf_appends(b, ", ");
		buf_appends(b, names[i].name);
	}
}

static void
denied(struct login *l)
{
	struct buf allowed, head;

	buf_init(&head);
	if (l->refused.len > 0)
		buf_appendf(&head, "publickey refused (%s)", l->refused.p);
	if (l->tried.len > 0)
		buf_appendf(&head, "%s%s", head.len ? ", " : "", l->tried.p);
	if (head.len == 0 && l->notes.len > 0)
		buf_appends(&head, "no key sent");
	else if (head.len == 0 && l->planned && (l->methods & SSH_AUTH_METHOD_PUBLICKEY))
		buf_appends(&head, "no key to offer");
	else if (head.len == 0)
		buf_appends(&head, "no method to try");
	buf_init(&allowed);
	methods_text(&allowed, l->methods);
	outcome_set(l->out, EK_AUTH_DENIED, PHASE_AUTH, "%s%s%s (server allows: %s)", head.p,
	        l->notes.len ? "; " : "", l->notes.len ? l->notes.p : "",
	        allowed.len ? allowed.p : "none");
	buf_free(&allowed);
	buf_free(&head);
}

static void
failed(struct login *l, int rc)
{
	const char *e;
	char *msg;

	if (rc == AUTH_GIVE_UP)
		return;
	if (rc == AUTH_TIMED_OUT) {
		outcome_set(l->out, EK_AUTH_TIMEOUT, PHASE_AUTH,
		        "authentication did not finish within %.1f s", l->ac->timeout);
	} else if (rc == AUTH_CANCELLED) {
		outcome_set(l->out, EK_CANCELLED, PHASE_AUTH, "interrupted");
	} else {
		/* The server hung up during auth: MaxAuthTries, LoginGraceTime... */
		e = ssh_get_error(l->s);
		msg = printable(e && *e ? e : "unknown error");
		outcome_set(l->out, EK_AUTH_DENIED, PHASE_AUTH, "%s%s%s%s",
		        l->refused.len ? "publickey refused (" : "",
		        l->refused.len ? l->refused.p : "", l->refused.len ? "): " : "", msg);
		free(msg);
	}
}

int
auth_login(ssh_session s, const char *alias, const struct auth_config *ac, struct outcome *out)
{
	struct login l;
	const struct method *order[NMETHODS];
	bool done[NMETHODS] = {false};
	size_t norder, i, k;
	int rc = SSH_AUTH_DENIED;

	memset(&l, 0, sizeof l);
	l.s = s;
	l.alias = alias;
	l.ac = ac;
	l.out = out;
	l.deadline = wait_now() + ac->timeout;
	buf_init(&l.tried);
	buf_init(&l.refused);
	buf_init(&l.notes);
	norder = method_order(ac, order);
	for (i = 0; i < norder && order[i] != &methods[0]; i++)
		;
	if (i < norder) {
		plan_keys(&l);
		l.planned = true;
	} else if (!ac->pubkey)
		log_msg(LOG_DEBUG, "%s: auth: publickey switched off", alias);

	/* The first key, signed, in place of "none" (see the top of the file). */
	if (norder > 0 && order[0] == &methods[0] && l.ncands > 0) {
		l.fast = true;
		rc = m_publickey(&l);
		/* Nothing went out after all: ask with "none" what the server allows. */
		if (rc == SSH_AUTH_DENIED && l.methods == 0)
			rc = run(&l, STEP_NONE, NULL);
		if (rc == SSH_AUTH_DENIED && l.methods == 0)
			l.methods = ssh_userauth_list(s, NULL);
	} else {
		rc = run(&l, STEP_NONE, NULL);
		if (rc == SSH_AUTH_DENIED || rc == SSH_AUTH_PARTIAL)
			l.methods = ssh_userauth_list(s, NULL);
	}
	while (rc == SSH_AUTH_DENIED || rc == SSH_AUTH_PARTIAL) {
		if (rc == SSH_AUTH_PARTIAL)
			l.methods = ssh_userauth_list(s, NULL);
		for (k = 0; k < norder; k++) {
			const struct method *m = order[k];
			size_t mi = (size_t)(m - methods);

			if (done[mi] || !(l.methods & m->bit))
				continue;
			if (m->needs_secret && ac->secret == NULL) {
				done[mi] = true;
				continue;
			}
			if (m == &methods[0] && l.next >= l.ncands) {
				done[mi] = true;
				continue;
			}
			break;
		}
		if (k == norder)
			break;
		rc = order[k]->attempt(&l);
		if (order[k] != &methods[0] || l.next >= l.ncands)
			done[order[k] - methods] = true;
		if (rc == SSH_AUTH_DENIED)
			l.methods = ssh_userauth_list(s, NULL);
	}
	if (rc == SSH_AUTH_SUCCESS) {
		rc = 0;
	} else {
		if (rc == SSH_AUTH_DENIED || rc == SSH_AUTH_PARTIAL)
			denied(&l);
		else
			failed(&l, rc);
		rc = -1;
	}
	agent_proxy_stop(l.proxy);
	agent_keys_free(l.akeys, l.nakeys);
	agent_keys_free(l.certaks, l.ncertaks);
	for (i = 0; i < l.ncands; i++)
		free(l.cands[i].name);
	free(l.cands);
	buf_free(&l.tried);
	buf_free(&l.refused);
	buf_free(&l.notes);
	return rc;
}

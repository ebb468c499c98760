/*
 * test-hostcert.c - host certificates made by ssh-keygen -s at test time,
 * parsed and checked as OpenSSH's client checks them: principals, validity,
 * host type, critical options, the CA's signature (ed25519, RSA with SHA-2,
 * ECDSA on three curves, ssh-rsa SHA-1 refused), tampered and truncated
 * blobs.  Then through the known_hosts reader: @cert-authority patterns,
 * a CA or host key @revoked or in RevokedHostKeys, the fall back to the
 * certificate's own key, and accept-new recording that key.
 */
#include "config.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostcert.h"
#include "knownhosts.h"
#include "tap.h"

static char dir[] = "/tmp/shoal-test-hc-XXXXXX";

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run a shell command in dir; bail out when it fails. */
static void
sh(const char *fmt, ...)
{
	char cmd[1200], full[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	snprintf(full, sizeof full, "cd '%s' && { %s; } </dev/null >/dev/null 2>&1", dir, cmd);
	if (system(full) != 0) {
		printf("Bail out! %s failed\n", cmd);
		exit(1);
	}
}

/* A new key pair NAME of ssh-keygen -t TYPEARGS. */
static void
keygen(const char *name, const char *typeargs)
{
	sh("rm -f %s %s.pub", name, name);
	sh("ssh-keygen -q -N '' %s -f %s", typeargs, name);
}

/* name.pub's "type base64" (static, one of 8 slots), and its blob decoded. */
static const char *
pubfile(const char *name, unsigned char *blob, size_t *len)
{
	static char slots[8][4096];
	static int next;
	char path[400], *p = slots[next++ % 8], *sp, *b64;
	FILE *fp;
	size_t n, pad = 0;
	int r;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "r");
	if (fp == NULL || fgets(p, 4096, fp) == NULL)
		abort();
	fclose(fp);
	p[strcspn(p, "\n")] = '\0';
	sp = strchr(p, ' ');
	b64 = sp + 1;
	if ((sp = strchr(b64, ' ')) != NULL)
		*sp = '\0'; /* the comment */
	n = strlen(b64);
	while (n > pad && b64[n - 1 - pad] == '=')
		pad++;
	if (blob != NULL) {
		r = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)n);
		if (r < 0)
			abort();
		*len = (size_t)r - pad;
	}
	return p;
}

/* The base64 part of a "type base64" string. */
static const char *
b64of(const char *typeb64)
{
	return strchr(typeb64, ' ') + 1;
}

/* Sign host.pub with ca as ARGS; the certificate's blob; check it for name. */
static int
certify(const char *ca, const char *args, const char *name, unsigned char *blob, size_t *len,
        char **why)
{
	struct hostcert c;
	const char *pw;
	int rc;

	sh("rm -f host-cert.pub && ssh-keygen -q -s %s -I test %s host.pub", ca, args);
	pubfile("host-cert.pub", blob, len);
	if (hostcert_parse(blob, *len, &c, &pw) < 0) {
		*why = strdup(pw);
		return -2;
	}
	rc = hostcert_check(&c, name, (uint64_t)time(NULL), why);
	hostcert_free(&c);
	return rc;
}

static void
checks(void)
{
	unsigned char blob[8192], hblob[4096];
	size_t len, hlen;
	struct hostcert c;
	char *why = NULL;
	const char *pw;
	int rc;

	keygen("ca", "-t ed25519");
	keygen("host", "-t ed25519");
	pubfile("host.pub", hblob, &hlen);

	rc = certify("ca", "-h -n web1.example.com,127.0.0.1 -V -5m:+1h", "web1.example.com", blob,
	        &len, &why);
	ok(rc == 0, "ed25519 CA: a host certificate naming the host is valid");
	if (rc != 0)
		printf("#   %s\n", why);
	free(why);
	ok(hostcert_parse(blob, len, &c, &pw) == 0 && c.kind == 2 && c.plain_len == hlen &&
	                memcmp(c.plain, hblob, hlen) == 0,
	        "its own key is the host key");
	ok(hostcert_check(&c, "127.0.0.1", (uint64_t)time(NULL), &why) == 0,
	        "the second principal");
	free(why);
	ok(hostcert_check(&c, "web2.example.com", (uint64_t)time(NULL), &why) < 0 &&
	                strstr(why, "does not name web2.example.com") != NULL,
	        "another host: refused, the name said");
	free(why);
	ok(hostcert_check(&c, "WEB1.example.com", (uint64_t)time(NULL), &why) < 0,
	        "principals compare exactly (the caller lower-cases the host)");
	free(why);
	ok(hostcert_check(&c, "web1.example.com", c.valid_before, &why) < 0 &&
	                strstr(why, "expired") != NULL,
	        "at valid_before: expired");
	free(why);
	ok(hostcert_check(&c, "web1.example.com", c.valid_after - 1, &why) < 0 &&
	                strstr(why, "not valid before") != NULL,
	        "before valid_after: not yet valid");
	free(why);

	/* Tampering: any byte the CA signed, or the signature itself. */
	blob[len - 20] ^= 1;
	rc = hostcert_check(&c, "web1.example.com", (uint64_t)time(NULL), &why);
	ok(rc < 0 && strstr(why, "signature") != NULL, "a byte of the signature changed: refused");
	free(why);
	blob[len - 20] ^= 1;
	/* The nonce, first field after the type: only the signature can notice. */
	blob[4 + 32 + 4 + 5] ^= 1;
	ok(hostcert_check(&c, "web1.example.com", (uint64_t)time(NULL), &why) < 0 &&
	                strstr(why, "signature") != NULL,
	        "a signed byte changed: refused");
	free(why);
	hostcert_free(&c);
	ok(hostcert_parse(blob, len - 10, &c, &pw) < 0, "a truncated certificate does not parse");
	ok(hostcert_parse(hblob, hlen, &c, &pw) < 0 && !hostcert_is_cert(hblob, hlen),
	        "a plain key is not a certificate");

	ok(certify("ca", "-h -n web1 -V 20200101:20200102", "web1", blob, &len, &why) < 0 &&
	                strstr(why, "expired") != NULL,
	        "an expired certificate");
	free(why);
	ok(certify("ca", "-h -n web1 -V +1d:+2d", "web1", blob, &len, &why) < 0 &&
	                strstr(why, "not valid before") != NULL,
	        "a certificate not valid yet");
	free(why);
	ok(certify("ca", "-n web1", "web1", blob, &len, &why) < 0 &&
	                strstr(why, "not a host certificate") != NULL,
	        "a user certificate");
	free(why);
	ok(certify("ca", "-h", "web1", blob, &len, &why) < 0 && strstr(why, "no principal") != NULL,
	        "a certificate naming no principal (OpenSSH takes it for any host)");
	free(why);
	ok(certify("ca", "-h -n web1 -O critical:foo=bar", "web1", blob, &len, &why) < 0 &&
	                strstr(why, "critical") != NULL,
	        "a critical option");
	free(why);

	/* Other CA types and signature algorithms. */
	keygen("carsa", "-t rsa -b 2048");
	rc = certify("carsa", "-h -n web1 -t rsa-sha2-256", "web1", blob, &len, &why);
	ok(rc == 0, "RSA CA, rsa-sha2-256");
	free(why);
	rc = certify("carsa", "-h -n web1 -t rsa-sha2-512", "web1", blob, &len, &why);
	ok(rc == 0, "RSA CA, rsa-sha2-512");
	free(why);
	rc = certify("carsa", "-h -n web1 -t ssh-rsa", "web1", blob, &len, &why);
	ok(rc < 0 && strstr(why, "refused for an RSA CA") != NULL,
	        "RSA CA, ssh-rsa (SHA-1): refused as OpenSSH does");
	free(why);
	keygen("ca256", "-t ecdsa -b 256");
	keygen("ca384", "-t ecdsa -b 384");
	keygen("ca521", "-t ecdsa -b 521");
	ok(certify("ca256", "-h -n web1", "web1", blob, &len, &why) == 0, "ECDSA P-256 CA");
	free(why);
	ok(certify("ca384", "-h -n web1", "web1", blob, &len, &why) == 0, "ECDSA P-384 CA");
	free(why);
	ok(certify("ca521", "-h -n web1", "web1", blob, &len, &why) == 0, "ECDSA P-521 CA");
	free(why);

	/* Host keys of other types: their certificates parse to their own key. */
	keygen("host", "-t rsa -b 2048");
	pubfile("host.pub", hblob, &hlen);
	ok(certify("ca", "-h -n web1", "web1", blob, &len, &why) == 0 &&
	                hostcert_parse(blob, len, &c, &pw) == 0 && c.plain_len == hlen &&
	                memcmp(c.plain, hblob, hlen) == 0,
	        "an RSA host key's certificate");
	free(why);
	hostcert_free(&c);
	keygen("host", "-t ecdsa -b 384");
	pubfile("host.pub", hblob, &hlen);
	ok(certify("ca", "-h -n web1", "web1", blob, &len, &why) == 0 &&
	                hostcert_parse(blob, len, &c, &pw) == 0 && c.plain_len == hlen &&
	                memcmp(c.plain, hblob, hlen) == 0,
	        "an ECDSA host key's certificate");
	free(why);
	hostcert_free(&c);
}

static const char *
slurp(const char *path, char *buf, size_t max)
{
	FILE *fp = fopen(path, "r");
	size_t n = fp ? fread(buf, 1, max - 1, fp) : 0;

	if (fp)
		fclose(fp);
	buf[n] = '\0';
	return buf;
}

/*
 * A server chooses the certificate's bytes: mutated and truncated copies of
 * a valid one must parse or fail cleanly (run under ASan to mean much), and
 * none of them still checks out but the original.
 */
static void
mutations(void)
{
	unsigned char blob[8192], m[8192];
	size_t len, i, n;
	struct hostcert c;
	const char *pw;
	char *why = NULL;
	int passed = 0, rounds = 3000;

	keygen("ca", "-t ed25519");
	keygen("host", "-t ed25519");
	ok(certify("ca", "-h -n web1", "web1", blob, &len, &why) == 0,
	        "a valid certificate to mutate");
	free(why);
	srand(14);
	for (i = 0; i < (size_t)rounds; i++) {
		memcpy(m, blob, len);
		n = len;
		if (i % 3 == 0)
			n = (size_t)rand() % len;
		else
			m[(size_t)rand() % len] ^= (unsigned char)(1 + rand() % 255);
		if (hostcert_parse(m, n, &c, &pw) == 0) {
			why = NULL;
			if (hostcert_check(&c, "web1", (uint64_t)time(NULL), &why) == 0)
				passed++;
			free(why);
			hostcert_free(&c);
		}
	}
	ok(passed == 0, "3,000 mutated or truncated certificates: none passes");
	if (passed)
		printf("#   %d passed\n", passed);
}

/* A file in dir holding text; its path (static, one of 16 slots). */
static const char *
file(const char *name, const char *text)
{
	static char paths[16][400];
	static int next;
	char *p = paths[next++ % 16];
	FILE *fp;

	snprintf(p, 400, "%s/%s", dir, name);
	fp = fopen(p, "w");
	if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0)
		abort();
	return p;
}

static enum kh_status
verdict(const char *kh, const char *revoked, const char *host, unsigned int port, const char *b64,
        char **where)
{
	struct kh_files f;
	enum kh_status st;

	kh_files_set(&f, kh, "/nonexistent/global");
	kh_files_revoked(&f, revoked);
	st = kh_check(&f, host, port, b64, where);
	kh_files_free(&f);
	return st;
}

static void
known_hosts(void)
{
	char text[8192], cert[4096], host[1024], ca[1024], other[1024], got[8192], *where = NULL;
	char *err = NULL;
	const char *kh;
	enum kh_status st;
	struct kh_files f;
	int rc;

	keygen("ca", "-t ed25519");
	keygen("otherca", "-t ed25519");
	keygen("host", "-t ed25519");
	sh("rm -f host-cert.pub && ssh-keygen -q -s %s -I test %s host.pub", "ca",
	        "-h -n web1.example.com,10.0.0.1");
	snprintf(cert, sizeof cert, "%s", b64of(pubfile("host-cert.pub", NULL, NULL)));
	snprintf(host, sizeof host, "%s", pubfile("host.pub", NULL, NULL));
	snprintf(ca, sizeof ca, "%s", pubfile("ca.pub", NULL, NULL));
	snprintf(other, sizeof other, "%s", pubfile("otherca.pub", NULL, NULL));

	snprintf(text, sizeof text, "@cert-authority *.example.com,[10.0.0.1]:2222 %s\n", ca);
	kh = file("kh1", text);
	st = verdict(kh, NULL, "WEB1.example.com", 22, cert, &where);
	ok(st == KH_OK, "@cert-authority *.example.com: the certificate vouches for the host");
	if (where == NULL || strstr(where, "kh1:1") == NULL)
		printf("#   where: %s\n", where ? where : "-");
	free(where);
	where = NULL;
	ok(verdict(kh, NULL, "10.0.0.1", 2222, cert, NULL) == KH_OK,
	        "[host]:port pattern; the principal is the host without port");
	ok(verdict(kh, NULL, "web1.example.org", 22, cert, NULL) == KH_UNKNOWN,
	        "a host the CA line does not name: unknown");
	st = verdict(kh, NULL, "web2.example.com", 22, cert, &where);
	ok(st == KH_BADCERT && where != NULL && strstr(where, "kh1:1: ") != NULL &&
	                strstr(where, "does not name web2.example.com") != NULL,
	        "a host the CA names but the certificate does not: badcert, line and cause");
	free(where);
	where = NULL;
	ok(verdict(kh, NULL, "web1.example.com", 22, b64of(host), NULL) == KH_UNKNOWN,
	        "the plain host key under a CA line alone: unknown");

	snprintf(text, sizeof text, "@cert-authority * %s\n", other);
	kh = file("kh2", text);
	ok(verdict(kh, NULL, "web1.example.com", 22, cert, NULL) == KH_UNKNOWN,
	        "another CA: unknown, not changed");
	snprintf(text, sizeof text, "@cert-authority * %s\nweb1.example.com %s\n", other, host);
	kh = file("kh3", text);
	ok(verdict(kh, NULL, "web1.example.com", 22, cert, NULL) == KH_OK,
	        "no CA for it: the certificate's own key, known as a plain line");
	snprintf(text, sizeof text, "web1.example.com %s\n", other);
	kh = file("kh4", text);
	ok(verdict(kh, NULL, "web1.example.com", 22, cert, NULL) == KH_CHANGED,
	        "no CA for it, another key known: changed");

	/* Revocation: the CA, the host key, the certificate; known_hosts or the list. */
	snprintf(text, sizeof text, "@cert-authority * %s\n@revoked * %s\n", ca, ca);
	kh = file("kh5", text);
	st = verdict(kh, NULL, "web1.example.com", 22, cert, &where);
	ok(st == KH_REVOKED && where != NULL && strstr(where, "kh5:2, the certificate's CA"),
	        "a CA @revoked: revoked, the line named");
	free(where);
	where = NULL;
	snprintf(text, sizeof text, "@cert-authority * %s\n@revoked web1.example.com %s\n", ca,
	        host);
	kh = file("kh6", text);
	ok(verdict(kh, NULL, "web1.example.com", 22, cert, NULL) == KH_REVOKED,
	        "the certificate's own key @revoked");
	snprintf(text, sizeof text, "@cert-authority * %s\n", ca);
	kh = file("kh7", text);
	ok(verdict(kh, file("list1", ca), "web1.example.com", 22, cert, &where) == KH_REVOKED &&
	                where != NULL && strstr(where, "the certificate's CA") != NULL,
	        "the CA in RevokedHostKeys");
	free(where);
	where = NULL;
	ok(verdict(kh, file("list2", host), "web1.example.com", 22, cert, NULL) == KH_REVOKED,
	        "the host key in RevokedHostKeys");
	ok(verdict(kh, file("list3", other), "web1.example.com", 22, cert, NULL) == KH_OK,
	        "another key in RevokedHostKeys");

	/* A certificate fetched apart counts only for the key the session proved. */
	{
		unsigned char cb[4096];
		size_t cl;
		const char *unused = NULL;

		pubfile("host-cert.pub", cb, &cl);
		snprintf(text, sizeof text, "@cert-authority * %s\n", ca);
		kh = file("kh10", text);
		kh_files_set(&f, kh, "/nonexistent/global");
		ok(kh_check_cert(&f, "web1.example.com", 22, b64of(host), cb, cl, NULL, &unused) ==
		                        KH_OK &&
		                unused == NULL,
		        "kh_check_cert: the certificate of the session's key vouches for it");
		st = kh_check_cert(&f, "web1.example.com", 22, b64of(other), cb, cl, NULL, &unused);
		ok(st == KH_UNKNOWN && unused != NULL && strstr(unused, "another key") != NULL,
		        "a certificate for another key is left out: the key alone is unknown");
		ok(kh_check_cert(&f, "web1.example.com", 22, b64of(host), cb, cl - 9, NULL,
		           &unused) == KH_UNKNOWN &&
		                unused != NULL,
		        "a certificate that does not parse is left out");
		kh_files_free(&f);
	}

	/* accept-new: a certificate from no known CA records its own key. */
	kh = file("kh8", "");
	kh_files_set(&f, kh, "/nonexistent/global");
	rc = kh_record(&f, "web9", 22, cert, false, &st, &where, &err);
	ok(rc == 1, "accept-new, no CA for the host: recorded");
	snprintf(text, sizeof text, "web9 %s\n", host);
	is_str(slurp(kh, got, sizeof got), text, "the certificate's own key, as a plain line");
	ok(kh_check(&f, "web9", 22, cert, NULL) == KH_OK, "which then vouches for the certificate");
	kh_files_free(&f);
	snprintf(text, sizeof text, "@cert-authority * %s\n", ca);
	kh = file("kh9", text);
	kh_files_set(&f, kh, "/nonexistent/global");
	rc = kh_record(&f, "web9", 22, cert, false, &st, &where, &err);
	ok(rc == 0 && st == KH_BADCERT, "a certificate its CA does not vouch for: never recorded");
	free(where);
	kh_files_free(&f);
}

/* kh_check of the host certificate (serial, key ID) with RevokedHostKeys a KRL. */
static enum kh_status
krl_verdict(const char *args, const char *krl)
{
	char kh[2048], cert[4096], path[400];
	struct kh_files f;
	enum kh_status st;

	sh("rm -f host-cert.pub && ssh-keygen -q -s ca -h -n web1 %s host.pub", args);
	snprintf(cert, sizeof cert, "%s", b64of(pubfile("host-cert.pub", NULL, NULL)));
	snprintf(kh, sizeof kh, "@cert-authority * %s\n", pubfile("ca.pub", NULL, NULL));
	snprintf(path, sizeof path, "%s/krl", dir);
	kh_files_set(&f, file("khkrl", kh), "/nonexistent/global");
	kh_files_revoked(&f, path);
	sh("rm -f krl && ssh-keygen -q -k -f krl %s%s", krl, "");
	st = kh_check(&f, "web1", 22, cert, NULL);
	kh_files_free(&f);
	return st;
}

/* RevokedHostKeys as a KRL made by ssh-keygen -k: keys, serials, key IDs, CAs. */
static void
krls(void)
{
	keygen("ca", "-t ed25519");
	keygen("host", "-t ed25519");
	keygen("other", "-t ed25519");
	sh("printf 'serial: 5-10\\nid: %s\\n' >spec1", "revoked-id");
	sh("for i in $(seq 1 2 99); do echo serial: $i; done >spec2%s", "");
	ok(krl_verdict("-I a -z 1", "other.pub") == KH_OK,
	        "KRL of another key: the certificate passes");
	ok(krl_verdict("-I a -z 1", "host.pub") == KH_REVOKED, "KRL of the host key: revoked");
	ok(krl_verdict("-I a -z 1", "ca.pub") == KH_REVOKED, "KRL of the CA key: revoked");
	ok(krl_verdict("-I a -z 7", "-s ca.pub spec1") == KH_REVOKED,
	        "KRL serial range: 7 in 5-10");
	ok(krl_verdict("-I a -z 11", "-s ca.pub spec1") == KH_OK, "KRL serial range: 11 is not");
	ok(krl_verdict("-I revoked-id -z 11", "-s ca.pub spec1") == KH_REVOKED, "KRL key ID");
	ok(krl_verdict("-I a -z 51", "-s ca.pub spec2") == KH_REVOKED, "KRL of 50 odd serials: 51");
	ok(krl_verdict("-I a -z 52", "-s ca.pub spec2") == KH_OK, "KRL of 50 odd serials: not 52");
	ok(krl_verdict("-I a -z 7", "-s other.pub spec1") == KH_OK,
	        "KRL revoking serials of another CA: passes");
	sh("rm -f host-cert.pub && ssh-keygen -q -s ca -h -n web1 -I c -z 3 host.pub%s", "");
	ok(krl_verdict("-I c -z 3", "host-cert.pub") == KH_REVOKED,
	        "KRL of the certificate itself");
}

int
main(void)
{
	char cmd[400];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	checks();
	known_hosts();
	krls();
	mutations();
	kh_free();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}

/*
 * test-knownhosts.c - shoal's own known_hosts reader.  SHA-1 and HMAC-SHA1
 * against the published vectors; then the verdicts (known, changed,
 * revoked, unknown) over files of every line shape OpenSSH reads: plain
 * names and comma lists, case, wildcards and negation, "[host]:port" and
 * the bare name off port 22, "none" for no file,
 * hashed names, CRLF, tabs, a 10,000-character line of 600 names, @revoked
 * and @cert-authority, and lines that cannot be parsed, which must never
 * change a verdict.  Then several files, recording a new key once, and the
 * cache seeing a file changed behind it.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knownhosts.h"
#include "tap.h"

#define B64       "AAAAC3NzaC1lZDI1NTE5AAAAICmUtnLB8fWrrIebG5VXnK/p8Brkn8MOvH5i5AG/YXYc"
#define KEY       "ssh-ed25519 " B64
#define B64_OTHER "AAAAC3NzaC1lZDI1NTE5AAAAILoTu3eW0HIrF0sA/F9+Ss0QFLqHxE1mm+/PrxXKv1Qm"
#define OTHER     "ssh-ed25519 " B64_OTHER
#define ECDSA                                                                                      \
	"ecdsa-sha2-nistp256 "                                                                     \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAuz+yuEPyGce1hcpAnimMcvOcc3+"        \
	"h5SpRG2XsuQ4L3HRLVBBgFFA25oMJrXqazeBrp6I/X8rVVtsxEGkboTwbU="

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void
digests(void)
{
	unsigned char d[20], key[80];
	char h[41];
	char *million = malloc(1000000);

	kh_sha1("abc", 3, d);
	hex(d, 20, h);
	is_str(h, "a9993e364706816aba3e25717850c26c9cd0d89d", "SHA-1 of abc");
	kh_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	hex(d, 20, h);
	is_str(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1", "SHA-1 of 56 bytes (two blocks)");
	memset(million, 'a', 1000000);
	kh_sha1(million, 1000000, d);
	hex(d, 20, h);
	is_str(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f", "SHA-1 of a million a");
	free(million);
	/* RFC 2202, test cases 1, 2 and 6. */
	memset(key, 0x0b, 20);
	kh_hmac_sha1(key, 20, "Hi There", 8, d);
	hex(d, 20, h);
	is_str(h, "b617318655057264e28bc0b6fb378c8ef146be00", "HMAC-SHA1, RFC 2202 case 1");
	kh_hmac_sha1("Jefe", 4, "what do ya want for nothing?", 28, d);
	hex(d, 20, h);
	is_str(h, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", "HMAC-SHA1, RFC 2202 case 2");
	memset(key, 0xaa, 80);
	kh_hmac_sha1(key, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 54, d);
	hex(d, 20, h);
	is_str(h, "aa4ae5e15272d00e95705637ce8a3b55ed402112", "HMAC-SHA1, RFC 2202 case 6");
}

static void
b64(const unsigned char *p, size_t n, char *out)
{
	static const char set[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;
	unsigned long v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned long)p[i] << 16 | (i + 1 < n ? (unsigned long)p[i + 1] << 8 : 0) |
		    (i + 2 < n ? p[i + 2] : 0);
		out[o++] = set[(v >> 18) & 63];
		out[o++] = set[(v >> 12) & 63];
		out[o++] = i + 1 < n ? set[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? set[v & 63] : '=';
	}
	out[o] = '\0';
}

/* "|1|salt|hash" for name, as ssh-keygen -H writes it. */
static char *
hashed(const char *name, unsigned char saltbyte)
{
	unsigned char salt[20], mac[20];
	char s64[40], h64[40], *res;

	memset(salt, saltbyte, sizeof salt);
	salt[0] = (unsigned char)(saltbyte * 7 + 1);
	kh_hmac_sha1(salt, sizeof salt, name, strlen(name), mac);
	b64(salt, sizeof salt, s64);
	b64(mac, sizeof mac, h64);
	if (asprintf(&res, "|1|%s|%s", s64, h64) < 0)
		abort();
	return res;
}

/* Decode base64 (no padding check); the length. */
static size_t
b64dec(const char *s, size_t n, unsigned char *out)
{
	static const char set[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned int acc = 0, bits = 0;
	size_t i, o = 0;
	const char *c;

	for (i = 0; i < n && s[i] != '=' && (c = strchr(set, s[i])) != NULL && *c; i++) {
		acc = acc << 6 | (unsigned int)(c - set);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

static char dir[] = "/tmp/shoal-test-kh-XXXXXX";
static int nfile;

/* A new file holding text; its path (static storage, one per call). */
static const char *
file(const char *text)
{
	static char paths[64][300];
	char *p = paths[nfile++];
	FILE *fp;

	snprintf(p, 300, "%s/kh%d", dir, nfile);
	fp = fopen(p, "w");
	if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0)
		abort();
	return p;
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n = fp ? fread(buf, 1, (1 << 16) - 1, fp) : 0;

	if (fp)
		fclose(fp);
	buf[n] = '\0';
	return buf;
}

static const char *const sname[] = {"unknown", "known", "changed", "revoked", "badcert"};

/* The verdict for host:port and key from one user file (and no global one). */
static void
verdict(const char *path, const char *host, unsigned int port, const char *key, enum kh_status want,
        const char *want_where, const char *desc)
{
	struct kh_files f;
	enum kh_status st;
	char *where = NULL, d[400], w[400];

	kh_files_set(&f, path, "/nonexistent/global");
	st = kh_check(&f, host, port, key, &where);
	snprintf(d, sizeof d, "%s: %s:%u is %s", desc, host, port, sname[want]);
	ok(st == want, d);
	if (st != want)
		printf("#   got %s (%s)\n", sname[st], where ? where : "-");
	if (want_where != NULL) {
		snprintf(w, sizeof w, "%s:%s", path, want_where);
		snprintf(d, sizeof d, "%s: decided by line %s", desc, want_where);
		is_str(where, w, d);
	}
	free(where);
	kh_files_free(&f);
}

static void
line_shapes(void)
{
	char *h1 = hashed("web2", 3), *h2 = hashed("[web2]:2222", 4), *text, *p;
	const char *path;
	size_t i;

	/* Plain names, lists, case, ports. */
	path = file("web1 " KEY "\n"
	            "other,WEB5,more " KEY "\n"
	            "[web1]:2222 " OTHER "\n"
	            "[web6]:22 " OTHER "\n"
	            "web10 " OTHER "\n");
	verdict(path, "web1", 22, B64, KH_OK, "1", "a plain name");
	verdict(path, "WEB1", 22, B64, KH_OK, "1", "names compare in lower case");
	verdict(path, "web5", 0, B64, KH_OK, "2", "one name of a comma list, in upper case");
	verdict(path, "web1", 2222, B64, KH_CHANGED, "3", "[host]:port off port 22");
	verdict(path, "web6", 22, B64, KH_UNKNOWN, NULL,
	        "[host]:22 does not name port 22 (OpenSSH)");
	verdict(path, "web1", 22, B64_OTHER, KH_CHANGED, "1", "another key for a known name");
	verdict(path, "web", 22, B64, KH_UNKNOWN, NULL, "a prefix of a name is not the name");

	/* CRLF, tabs, leading blanks, trailing comments. */
	path = file("crlf " KEY "\r\n"
	            "\ttab1\tssh-ed25519\t" B64 "\r\n"
	            "   lead " KEY " a comment here\n"
	            "crlf2 " OTHER "\r\n");
	verdict(path, "crlf", 22, B64, KH_OK, "1", "a CRLF line");
	verdict(path, "tab1", 22, B64, KH_OK, "2", "tabs between the fields");
	verdict(path, "lead", 22, B64, KH_OK, "3", "leading blanks, a trailing comment");
	verdict(path, "crlf2", 22, B64, KH_CHANGED, "4", "a CRLF line with another key");

	/* Wildcards and negation. */
	path = file("*.example.org " KEY "\n"
	            "!bad.example.net,*.example.net " KEY "\n"
	            "web? " OTHER "\n"
	            "[10.0.0.*]:2222 " KEY "\n");
	verdict(path, "a.example.org", 22, B64, KH_OK, "1", "a * pattern");
	verdict(path, "good.example.net", 22, B64, KH_OK, "2", "a list with a negation");
	verdict(path, "bad.example.net", 22, B64, KH_UNKNOWN, NULL, "a negated name");
	verdict(path, "web7", 22, B64, KH_CHANGED, "3", "a ? pattern");
	verdict(path, "web77", 22, B64, KH_UNKNOWN, NULL, "? is one character");
	verdict(path, "10.0.0.9", 2222, B64, KH_OK, "4", "a pattern in [host]:port");

	/* Hashed names. */
	if (asprintf(&text, "%s " KEY "\n%s " OTHER "\n", h1, h2) < 0)
		abort();
	path = file(text);
	free(text);
	verdict(path, "web2", 22, B64, KH_OK, "1", "a hashed name");
	verdict(path, "WEB2", 22, B64, KH_OK, "1", "a hashed name, looked up in lower case");
	verdict(path, "web2", 2222, B64, KH_CHANGED, "2", "a hashed [host]:port");
	verdict(path, "web3", 22, B64, KH_UNKNOWN, NULL, "a hashed name of another host");

	/* A line of 10,000 characters or more: 600 names. */
	text = malloc(600 * 20 + 200);
	p = text;
	for (i = 1; i <= 600; i++)
		p += sprintf(p, "%sn%04zu.example.net", i > 1 ? "," : "", i);
	sprintf(p, " %s\n", OTHER);
	ok(strlen(text) >= 10000, "the line of 600 names has 10,000 characters or more");
	path = file(text);
	free(text);
	verdict(path, "n0600.example.net", 22, B64, KH_CHANGED, "1",
	        "the last of 600 names on a long line");
	verdict(path, "n0600.example.net", 22, B64_OTHER, KH_OK, "1", "its key");

	/* Lines that cannot be parsed are skipped, whatever they name. */
	path = file("[127.0.0.1]:24022 ssh-ed25519 !!!notbase64\n"
	            "[127.0.0.1]:24022 " OTHER "\n"
	            "[127.0.0.1]:24022\n"
	            "[127.0.0.1]:24022 ssh-ed25519\n"
	            "[127.0.0.1]:24022 ssh-foo " B64 "\n"
	            "[127.0.0.1]:24022 ssh-rsa " B64 "\n"
	            "@bogus [127.0.0.1]:24022 " KEY "\n"
	            "|1|!!!|@@@ " KEY "\n"
	            "|2|abc|def " KEY "\n"
	            "# [127.0.0.1]:24022 " KEY "\n");
	verdict(path, "127.0.0.1", 24022, B64, KH_CHANGED, "2",
	        "a changed key next to unparseable lines");
	verdict(path, "127.0.0.1", 24022, B64_OTHER, KH_OK, "2", "the known key next to them");
	path = file("[127.0.0.1]:24022 ssh-ed25519 !!!notbase64\n"
	            "[127.0.0.1]:24022 ssh-rsa " B64 "\n");
	verdict(path, "127.0.0.1", 24022, B64, KH_UNKNOWN, NULL,
	        "unparseable lines alone leave the key unknown");

	/* Another key type for the host is a changed key too. */
	path = file("typed " ECDSA "\n");
	verdict(path, "typed", 22, B64, KH_CHANGED, "1", "only a key of another type");

	/* @revoked wins everywhere; @cert-authority counts for nothing. */
	path = file("rev1 " KEY "\n"
	            "@revoked * " KEY "\n");
	verdict(path, "rev1", 22, B64, KH_REVOKED, "2", "a key also listed @revoked *");
	verdict(path, "rev1", 22, B64_OTHER, KH_CHANGED, "1", "@revoked is not a key for the host");
	path = file("rev2 " KEY "\n"
	            "@revoked\trev2\t" OTHER "\n"
	            "@cert-authority ca1 " KEY "\n"
	            "@cert-authority ca2 " OTHER "\n"
	            "ca3 " KEY "\n"
	            "@cert-authority ca3 " OTHER "\n");
	verdict(path, "rev2", 22, B64_OTHER, KH_REVOKED, "2", "a revoked key, tab separated");
	verdict(path, "rev2", 22, B64, KH_OK, "1", "another key revoked for the host");
	verdict(path, "ca1", 22, B64, KH_UNKNOWN, NULL, "@cert-authority is not the host's key");
	verdict(path, "ca2", 22, B64, KH_UNKNOWN, NULL, "nor another key for it");
	verdict(path, "ca3", 22, B64, KH_OK, "5", "@cert-authority beside a plain line");
	free(h1);
	free(h2);
}

static void
several_files(void)
{
	const char *u1 = file("# empty\n"), *u2 = file("multi " KEY "\n"),
	           *g1 = file("globalhost " KEY "\nmulti " OTHER "\n"), *rv = file("");
	char users[700], globals[700], *where = NULL;
	struct kh_files f;
	enum kh_status st;

	snprintf(users, sizeof users, "%s %s", u1, u2);
	snprintf(globals, sizeof globals, "/nonexistent/kh %s", g1);
	kh_files_set(&f, users, globals);
	ok(f.nuser == 2 && f.nglobal == 2, "blanks separate several files");
	ok(kh_check(&f, "multi", 22, B64, NULL) == KH_OK, "a key in the second user file");
	ok(kh_check(&f, "globalhost", 22, B64, NULL) == KH_OK, "a key in a global file");
	st = kh_check(&f, "globalhost", 22, B64_OTHER, &where);
	ok(st == KH_CHANGED, "another key for a host of the global file: changed");
	free(where);
	kh_files_free(&f);

	/* A revocation in a global file counts against a user file's key. */
	rv = file("@revoked multi " KEY "\n");
	kh_files_set(&f, users, rv);
	ok(kh_check(&f, "multi", 22, B64, NULL) == KH_REVOKED, "@revoked in a global file");
	kh_files_free(&f);

	kh_files_set(&f, NULL, NULL);
	ok(f.nuser == 2 && strcmp(f.user[0], "%d/known_hosts") == 0 &&
	                strcmp(f.user[1], "%d/known_hosts2") == 0,
	        "default user files: known_hosts, known_hosts2");
	ok(f.nglobal == 2 && strcmp(f.global[0], "/etc/ssh/ssh_known_hosts") == 0,
	        "default global files");
	kh_files_free(&f);
}

static void
recording(void)
{
	const char *path = file("old " OTHER), *user2 = file("");
	char users[700], *where = NULL, *err = NULL, *text, want[600];
	struct kh_files f;
	enum kh_status st;
	int rc;

	snprintf(users, sizeof users, "%s %s", path, user2);
	kh_files_set(&f, users, "/nonexistent/global");
	ok(kh_check(&f, "New", 2222, B64, NULL) == KH_UNKNOWN, "a new host is unknown");
	rc = kh_record(&f, "New", 2222, B64, false, &st, &where, &err);
	ok(rc == 1 && err == NULL, "kh_record appends it");
	rc = kh_record(&f, "new", 2222, B64, false, &st, &where, &err);
	ok(rc == 0 && st == KH_OK, "a second alias finds it recorded");
	free(where);
	where = NULL;
	rc = kh_record(&f, "new22", 22, B64, false, &st, &where, &err);
	ok(rc == 1, "port 22: recorded under the plain name");
	rc = kh_record(&f, "old", 22, B64, false, &st, &where, &err);
	ok(rc == 0 && st == KH_CHANGED, "kh_record never records over a changed key");
	free(where);
	where = NULL;
	text = slurp(path);
	snprintf(want, sizeof want, "old %s\n[new]:2222 %s\nnew22 %s\n", OTHER, KEY, KEY);
	is_str(text, want,
	        "the first user file: a newline ended, one line each, as OpenSSH writes");
	free(text);
	text = slurp(user2);
	is_str(text, "", "the second user file is left alone");
	free(text);
	ok(kh_check(&f, "new", 2222, B64, NULL) == KH_OK, "the recorded key is known");

	/* The file changed behind shoal's back: read again. */
	file(""); /* a path slot; rewrite path itself */
	{
		FILE *fp = fopen(path, "w");

		fputs("[new]:2222 " OTHER "\n# padding to change the size\n", fp);
		fclose(fp);
	}
	ok(kh_check(&f, "new", 2222, B64, NULL) == KH_CHANGED, "a file rewritten is read again");
	kh_files_free(&f);

	/* No user file to write. */
	kh_files_set(&f, "%h/kh", "/nonexistent/global");
	rc = kh_record(&f, "x", 22, B64, false, &st, &where, &err);
	ok(rc == -1 && err != NULL, "an escape shoal does not expand: cannot record");
	free(err);
	kh_files_free(&f);
}

/* HashKnownHosts: "|1|salt|hash" lines, each with its own salt, read back. */
static void
hashed_recording(void)
{
	const char *path = file("");
	char *where = NULL, *err = NULL, *text, *nl, *bar;
	unsigned char salt[20], mac[20], want[20];
	struct kh_files f;
	enum kh_status st;
	int rc;

	kh_files_set(&f, path, "/nonexistent/global");
	rc = kh_record(&f, "Hashed", 2222, B64, true, &st, &where, &err);
	ok(rc == 1 && err == NULL, "kh_record with hash appends");
	rc = kh_record(&f, "other", 22, B64_OTHER, true, &st, &where, &err);
	ok(rc == 1, "a second host, hashed");
	text = slurp(path);
	ok(strncmp(text, "|1|", 3) == 0 && strstr(text, "Hashed") == NULL &&
	                strstr(text, "hashed") == NULL && strstr(text, "other") == NULL,
	        "the names are not in the file");
	nl = strchr(text, '\n');
	bar = strchr(text + 3, '|');
	ok(nl != NULL && bar != NULL && bar < nl &&
	                strstr(text, " " KEY "\n") == nl - strlen(KEY) - 1,
	        "the line is |1|salt|hash type base64");
	if (bar != NULL && b64dec(text + 3, (size_t)(bar - text - 3), salt) == 20 &&
	        b64dec(bar + 1, 28, mac) == 20) {
		kh_hmac_sha1(salt, 20, "[hashed]:2222", 13, want);
		ok(memcmp(mac, want, 20) == 0,
		        "hash = HMAC-SHA1(salt, \"[hashed]:2222\"), lower case");
	} else {
		ok(0, "hash = HMAC-SHA1(salt, \"[hashed]:2222\"), lower case");
	}
	ok(nl != NULL && strncmp(text, nl + 1, 30) != 0, "each line has its own salt");
	free(text);
	ok(kh_check(&f, "HASHED", 2222, B64, NULL) == KH_OK, "read back: the key is known");
	ok(kh_check(&f, "hashed", 2222, B64_OTHER, NULL) == KH_CHANGED, "another key is changed");
	ok(kh_check(&f, "hashed", 22, B64, NULL) == KH_UNKNOWN, "another port is unknown");
	kh_files_free(&f);
	kh_free(); /* read from the file itself, not the copy appended to */
	kh_files_set(&f, path, "/nonexistent/global");
	ok(kh_check(&f, "other", 22, B64_OTHER, NULL) == KH_OK, "read again from the file");
	rc = kh_record(&f, "other", 22, B64_OTHER, true, &st, &where, &err);
	ok(rc == 0 && st == KH_OK, "a hashed line is not recorded twice");
	free(where);
	kh_files_free(&f);
}

/* RevokedHostKeys: a list of keys refusing every host; unreadable or a KRL, everything. */
static void
revoked_list(void)
{
	const char *kh = file("web " KEY "\nweb2 " OTHER "\n"),
	           *list = file("# revoked keys\n\n  " OTHER " old web2 key\nbad line\n"),
	           *krl = file("");
	char *where = NULL, want[400];
	struct kh_files f;
	FILE *fp = fopen(krl, "w");

	/* A KRL's magic, as ssh-keygen -k writes it. */
	if (fp == NULL || fwrite("SSHKRL\n\0\0\0\0\1", 1, 12, fp) != 12 || fclose(fp) != 0)
		abort();

	kh_files_set(&f, kh, "/nonexistent/global");
	kh_files_revoked(&f, list);
	ok(kh_check(&f, "web", 22, B64, NULL) == KH_OK, "a key not listed passes");
	ok(kh_check(&f, "web2", 22, B64_OTHER, &where) == KH_REVOKED,
	        "a listed key is revoked, known_hosts holding it or not");
	snprintf(want, sizeof want, "RevokedHostKeys %s:3", list);
	is_str(where, want, "the list and line are named");
	free(where);
	where = NULL;
	ok(kh_check(&f, "new", 22, B64_OTHER, NULL) == KH_REVOKED, "for every host");
	kh_files_revoked(&f, "/nonexistent/revoked");
	ok(kh_check(&f, "web", 22, B64, &where) == KH_REVOKED,
	        "a list that cannot be read refuses");
	is_str(where, "RevokedHostKeys /nonexistent/revoked cannot be read", "and says so");
	free(where);
	where = NULL;
	kh_files_revoked(&f, krl);
	ok(kh_check(&f, "web", 22, B64, &where) == KH_REVOKED, "a truncated KRL refuses");
	ok(where != NULL && strstr(where, "malformed KRL") != NULL, "and says so");
	free(where);
	kh_files_revoked(&f, "none");
	ok(kh_check(&f, "web", 22, B64, NULL) == KH_OK, "RevokedHostKeys none: no list");
	kh_files_free(&f);
}

static void
session_lines(void)
{
	char *h1 = hashed("sess", 9), *text, got[4096];
	const char *path;
	struct kh_files f;
	ssize_t n;
	int fd;
	bool ca;

	if (asprintf(&text,
	            "sess " KEY "\n%s " OTHER "\n@revoked sess " ECDSA "\n@cert-authority sess " KEY
	            "\nsess ssh-ed25519 !!!\nelse " KEY "\n",
	            h1) < 0)
		abort();
	path = file(text);
	free(text);
	kh_files_set(&f, path, "/nonexistent/global");
	fd = kh_session_fd(&f, "SESS", 22, NULL, 0, &ca);
	ok(fd >= 0, "the lines naming a host, for libssh");
	ok(ca, "an @cert-authority line names it");
	n = fd >= 0 ? pread(fd, got, sizeof got - 1, 0) : 0;
	got[n > 0 ? n : 0] = '\0';
	is_str(got, "sess " KEY "\nsess " OTHER "\n",
	        "plain and hashed lines, rewritten; no markers, no broken line");
	if (fd >= 0)
		close(fd);
	fd = kh_session_fd(&f, "sess", 0, "127.0.0.1", 2222, &ca);
	n = fd >= 0 ? pread(fd, got, sizeof got - 1, 0) : 0;
	got[n > 0 ? n : 0] = '\0';
	is_str(got, "[127.0.0.1]:2222 " KEY "\n[127.0.0.1]:2222 " OTHER "\n",
	        "HostKeyAlias: the alias's lines, named as libssh looks the host up");
	if (fd >= 0)
		close(fd);
	ok(kh_session_fd(&f, "nobody", 22, NULL, 0, &ca) < 0 && !ca,
	        "none for a host no line names");
	kh_files_free(&f);
	free(h1);
}

/*
 * Off port 22, a host no "[host]:port" line names is looked up by its bare
 * name, as ssh does; a "[host]:port" line, whatever its key, keeps the bare
 * one out; a bare line with another key leaves the host unknown (ssh), a
 * revoked bare key stays refused.
 */
static void
port_fallback(void)
{
	const char *path =
	        file("127.0.0.1 " KEY "\n::1 " KEY "\n[10.0.0.1]:2222 " OTHER "\n10.0.0.1 " KEY
	             "\nchanged " OTHER "\n@revoked gone " KEY "\ngone " KEY "\n");
	struct kh_files f;
	char *err = NULL, *where = NULL;
	enum kh_status st;
	bool ca;
	int fd;

	verdict(path, "127.0.0.1", 2222, B64, KH_OK, "1", "the bare IPv4 line, off port 22");
	verdict(path, "::1", 2222, B64, KH_OK, "2", "the bare IPv6 line, off port 22");
	verdict(path, "10.0.0.1", 2222, B64, KH_CHANGED, "3",
	        "a [host]:port line wins over the bare");
	verdict(path, "changed", 2222, B64, KH_UNKNOWN, NULL,
	        "a bare line with another key: unknown");
	verdict(path, "gone", 2222, B64, KH_REVOKED, "6", "a revoked bare key stays refused");
	verdict(path, "127.0.0.1", 22, B64, KH_OK, "1", "port 22 as before");

	kh_files_set(&f, path, "/nonexistent/global");
	fd = kh_session_fd(&f, "127.0.0.1", 2222, NULL, 0, &ca);
	ok(fd >= 0, "libssh gets the bare lines when no [host]:port line names the host");
	if (fd >= 0)
		close(fd);
	ok(kh_record(&f, "127.0.0.1", 2222, B64, false, &st, &where, &err) == 0 && st == KH_OK,
	        "accept-new records nothing for a host known by its bare name");
	free(where);
	kh_files_free(&f);

	/* "none" is no file: never one called none in the current directory. */
	kh_files_set(&f, "none", "NONE");
	ok(f.nuser == 0 && f.nglobal == 0, "\"none\" names no file, in any case");
	where = NULL;
	ok(kh_record(&f, "127.0.0.1", 2222, B64, false, &st, &where, &err) < 0 && err != NULL,
	        "accept-new with UserKnownHostsFile none: nothing written, an error");
	free(err);
	free(where);
	kh_files_free(&f);
}

/*
 * record-hashed FILE HOST PORT BASE64: accept-new with HashKnownHosts into
 * FILE, for tests/t0321, which has OpenSSH's ssh read the result.  Prints
 * kh_record's answer.
 */
static int
record_hashed(char **argv)
{
	struct kh_files f;
	enum kh_status st;
	char *where = NULL, *err = NULL;
	int rc;

	kh_files_set(&f, argv[2], "/nonexistent/global");
	rc = kh_record(&f, argv[3], (unsigned int)atoi(argv[4]), argv[5], true, &st, &where, &err);
	printf("%d %s%s\n", rc, rc == 0 ? sname[st] : "", err ? err : "");
	free(where);
	free(err);
	kh_files_free(&f);
	kh_free();
	return rc < 0;
}

int
main(int argc, char **argv)
{
	char cmd[400];

	if (argc == 6 && strcmp(argv[1], "record-hashed") == 0)
		return record_hashed(argv);

	digests();
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	line_shapes();
	several_files();
	recording();
	hashed_recording();
	revoked_list();
	session_lines();
	port_fallback();
	kh_free();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}

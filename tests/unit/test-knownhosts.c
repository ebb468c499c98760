/*
 * test-knownhosts.c - kh_filtered hands libssh a known_hosts reduced to the
 * lines that can name one host.  SHA-1 and HMAC-SHA1 against the published
 * vectors; then, on a file of every line shape libssh 0.10 treats
 * differently (hashed, plain, bracketed ports, case, wildcards, negation,
 * markers, comments, odd spacing, broken hashes), for several hosts and
 * ports: every line libssh's own ssh_known_hosts_parse_line matches is kept,
 * and the lines that cannot match are dropped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "knownhosts.h"
#include "sshconf.h"
#include "tap.h"

#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICmUtnLB8fWrrIebG5VXnK/p8Brkn8MOvH5i5AG/YXYc"

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
	if (asprintf(&res, "|1|%s|%s " KEY, s64, h64) < 0)
		abort();
	return res;
}

static char *lines[64];
static size_t nlines;

static void
add(char *line)
{
	lines[nlines++] = line;
}

/* What libssh 0.10 reads of a line: comments, blanks and @ markers are skipped. */
static int
libssh_matches(const char *match, const char *line)
{
	struct ssh_knownhosts_entry *e = NULL;
	const char *p = line;
	int rc;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#' || *p == '@')
		return 0;
	rc = ssh_known_hosts_parse_line(match, line, &e);
	ssh_knownhosts_entry_free(e);
	return rc == SSH_OK;
}

static char *
slurp(int fd)
{
	char *buf = calloc(1, 65536);
	ssize_t n = pread(fd, buf, 65535, 0);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return buf;
}

/* Is line, whole, one of the lines of text? */
static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	if (n == 0)
		return text[0] == '\n' || strstr(text, "\n\n") != NULL;
	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p++;
	}
	return 0;
}

static void
one_host(
        const char *path, const char *host, unsigned int port, size_t want_kept, size_t want_libssh)
{
	char match[300], desc[400], *real = NULL, *text, *lower;
	size_t i, kept = 0, missing = 0, theirs = 0;
	int fd;

	lower = strdup(host);
	for (i = 0; lower[i]; i++)
		lower[i] = (char)(lower[i] >= 'A' && lower[i] <= 'Z' ? lower[i] + 32 : lower[i]);
	if (port == 22)
		snprintf(match, sizeof match, "%s", lower);
	else
		snprintf(match, sizeof match, "[%s]:%u", lower, port);
	free(lower);
	fd = kh_filtered(path, host, port, &real);
	snprintf(desc, sizeof desc, "%s port %u: a reduced file", host, port);
	ok(fd >= 0, desc);
	if (fd < 0)
		return;
	is_str(real, path, "the real path is given back");
	text = slurp(fd);
	for (i = 0; i < nlines; i++) {
		int in = has_line(text, lines[i]);

		kept += in;
		theirs += libssh_matches(match, lines[i]);
		if (libssh_matches(match, lines[i]) && !in) {
			missing++;
			printf("#   libssh matches %s on '%s', dropped\n", match, lines[i]);
		}
	}
	snprintf(desc, sizeof desc, "%s: libssh matches %zu lines", match, want_libssh);
	ok(theirs == want_libssh, desc);
	if (theirs != want_libssh) {
		for (i = 0; i < nlines; i++) {
			if (libssh_matches(match, lines[i]))
				printf("#   libssh: '%s'\n", lines[i]);
		}
	}
	snprintf(desc, sizeof desc, "%s: every line libssh matches is kept", match);
	ok(missing == 0, desc);
	snprintf(desc, sizeof desc, "%s: %zu lines kept (the rest cannot match)", match, want_kept);
	ok(kept == want_kept, desc);
	if (kept != want_kept)
		printf("#   kept %zu:\n%s", kept, text);
	free(text);
	free(real);
	close(fd);
}

int
main(void)
{
	char path[] = "/tmp/shoal-test-kh-XXXXXX";
	FILE *fp;
	size_t i;
	int fd;

	digests();
	ssh_init();
	/* Lines kept for any host: wildcards, negations, odd spacing, broken hashes. */
	add(strdup("*.example.org " KEY));
	add(strdup("!bad,web? " KEY));
	add(strdup("web1\t" KEY));
	add(strdup("|1|not base64!|xx " KEY));
	add(strdup("|1|AAAA|AAAA " KEY)); /* a hash that is not 20 bytes */
	/* Lines never handed over: libssh skips them. */
	add(strdup("# web1 " KEY));
	add(strdup("@revoked web1 " KEY));
	add(strdup("@cert-authority *.example.org " KEY));
	add(strdup(""));
	/* Plain names. */
	add(strdup("web1 " KEY));
	add(strdup("other,WEB1,more " KEY));
	add(strdup("[web1]:2222 " KEY));
	add(strdup("[web1]:22 " KEY));
	add(strdup("web10 " KEY));
	add(strdup("  web2 " KEY));
	add(strdup("10.0.0.1 " KEY));
	/* Hashed names. */
	add(hashed("web1", 1));
	add(hashed("[web1]:2222", 2));
	add(hashed("web2", 3));
	add(hashed("10.0.0.1", 4));
	/* A name longer than one SHA-1 block. */
	add(hashed("a-very-long-host-name-that-does-not-fit-one-block.example.org", 5));
	add(strdup("a-very-long-host-name-that-does-not-fit-one-block.example.org " KEY));

	fd = mkstemp(path);
	fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (fp == NULL) {
		perror("mkstemp");
		return 1;
	}
	for (i = 0; i < nlines; i++)
		fprintf(fp, "%s\n", lines[i]);
	fclose(fp);

	/*
	 * 5 lines kept for everyone, then each host's own; libssh also matches
	 * the wildcard and negation lines that apply ("web?", "*.example.org").
	 */
	one_host(path, "web1", 22, 5 + 4, 4 + 1); /* web1, WEB1, [web1]:22, hashed web1 */
	one_host(path, "WEB1", 22, 5 + 4, 4 + 1); /* libssh compares in lower case */
	one_host(path, "web1", 2222, 5 + 2, 2);   /* [web1]:2222 plain and hashed */
	one_host(path, "web2", 22, 5 + 2, 2 + 1); /* "  web2" and hashed web2 */
	one_host(path, "10.0.0.1", 22, 5 + 2, 2);
	one_host(path, "nowhere", 22, 5, 0);
	one_host(path, "a-very-long-host-name-that-does-not-fit-one-block.example.org", 22, 5 + 2,
	        2 + 1);

	/* Left to libssh: a missing file, an escape shoal does not expand. */
	{
		char *real = NULL;

		ok(kh_filtered("/nonexistent/known_hosts", "web1", 22, &real) < 0 && real == NULL,
		        "a missing file is left to libssh");
		ok(kh_filtered("%h/known_hosts", "web1", 22, &real) < 0,
		        "a path with %h is left to libssh");
	}
	unlink(path);
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	kh_free();
	ssh_finalize();
	return done_testing();
}

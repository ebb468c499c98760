/*
 * knownhosts.c - known_hosts files read once per run; each session is handed
 * only the lines that can name its host.
 *
 * libssh 0.10 reads the user's and the global known_hosts twice per session
 * (host key algorithms for the key exchange, then the check), and for every
 * hashed line ("|1|salt|hash", what HashKnownHosts writes, Debian's default)
 * it computes an HMAC-SHA1 through OpenSSL 3's slowest path: about 75 ms of
 * CPU per read of a 10,000-line file, 150 ms a host, fifty times what the
 * whole handshake costs.  So each file is read once, with each hashed line's
 * HMAC key schedule computed once; per session the lines are filtered with
 * two SHA-1 blocks each, and libssh gets the few lines left through a memfd
 * (/proc/self/fd/N, as sshconf.c does for ssh_config).
 *
 * A line is dropped only when libssh could not match it either: a hashed
 * name whose HMAC differs, or plain names none of which equals the host
 * (compared as libssh does: lower case, "[host]:port" off port 22) and none
 * of which has a wildcard or a negation; comments, blanks and @ markers
 * libssh skips anyway.  Anything odd (tabs or other spacing, a comma in a
 * hashed field, a bad hash, very long lines) is kept.  A file shoal cannot
 * read, a path with % escapes other than %d, or a missing file is left to
 * libssh as before.  A file that changes (size, mtime, inode) is read again.
 *
 * The caller (connect.c) checks an unknown host again against the real
 * files, under its known_hosts lock, before recording it: two aliases of
 * one new host then record it once, as before.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "knownhosts.h"
#include "log.h"
#include "sshconf.h"
#include "xmalloc.h"

/* libssh 0.10's known_hosts line buffer (knownhosts.c MAX_LINE_SIZE). */
#define LIBSSH_KH_LINE_MAX 8192

/* ---- SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104), for hashed names ------- */

struct sha1 {
	uint32_t h[5];
};

static uint32_t
rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static void
sha1_block(struct sha1 *s, const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = s->h[0];
	b = s->h[1];
	c = s->h[2];
	d = s->h[3];
	e = s->h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	s->h[0] += a;
	s->h[1] += b;
	s->h[2] += c;
	s->h[3] += d;
	s->h[4] += e;
}

static void
sha1_init(struct sha1 *s)
{
	static const uint32_t iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};

	memcpy(s->h, iv, sizeof iv);
}

/*
 * Finish a hash whose first 'done' bytes (a multiple of 64) went into s
 * already, with the n bytes of p as the rest of the message.
 */
static void
sha1_finish(struct sha1 s, size_t done, const unsigned char *p, size_t n, unsigned char out[20])
{
	unsigned char blk[64];
	uint64_t bits = (uint64_t)(done + n) * 8;
	size_t i, r;

	for (; n >= 64; p += 64, n -= 64)
		sha1_block(&s, p);
	memset(blk, 0, sizeof blk);
	memcpy(blk, p, n);
	blk[n] = 0x80;
	if (n >= 56) {
		sha1_block(&s, blk);
		memset(blk, 0, sizeof blk);
	}
	for (i = 0; i < 8; i++)
		blk[63 - i] = (unsigned char)(bits >> (8 * i));
	sha1_block(&s, blk);
	for (i = 0; i < 5; i++) {
		for (r = 0; r < 4; r++)
			out[4 * i + r] = (unsigned char)(s.h[i] >> (24 - 8 * r));
	}
}

void
kh_sha1(const void *data, size_t n, unsigned char out[20])
{
	struct sha1 s;

	sha1_init(&s);
	sha1_finish(s, 0, data, n, out);
}

/* HMAC-SHA1's two key blocks, absorbed once per key. */
struct hmac_key {
	struct sha1 inner, outer;
};

static void
hmac_key_init(struct hmac_key *hk, const unsigned char *key, size_t klen)
{
	unsigned char k[64], pad[64];
	size_t i;

	memset(k, 0, sizeof k);
	if (klen > 64)
		kh_sha1(key, klen, k);
	else
		memcpy(k, key, klen);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	sha1_init(&hk->inner);
	sha1_block(&hk->inner, pad);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	sha1_init(&hk->outer);
	sha1_block(&hk->outer, pad);
}

static void
hmac_sha1(const struct hmac_key *hk, const void *msg, size_t n, unsigned char out[20])
{
	unsigned char ih[20];

	sha1_finish(hk->inner, 64, msg, n, ih);
	sha1_finish(hk->outer, 64, ih, sizeof ih, out);
}

void
kh_hmac_sha1(const void *key, size_t klen, const void *msg, size_t n, unsigned char out[20])
{
	struct hmac_key hk;

	hmac_key_init(&hk, key, klen);
	hmac_sha1(&hk, msg, n, out);
}

/* ---- one file, read once -------------------------------------------------- */

enum line_kind {
	LINE_KEEP,   /* handed over whatever the host */
	LINE_HASHED, /* |1|salt|hash */
	LINE_PLAIN,  /* names without wildcards: compared */
};

struct line {
	size_t off, len; /* in text, without the newline */
	enum line_kind kind;
	size_t names_off, names_len; /* LINE_PLAIN: the name field */
	struct hmac_key key;         /* LINE_HASHED */
	unsigned char hash[20];
};

/* The lines kept for one host name, remembered: aliases often share a host. */
struct khmatch {
	struct khmatch *next;
	char *match;
	char *text;
	size_t len, kept;
};

#define KH_BUCKETS 256

struct khfile {
	struct khfile *next;
	struct khmatch *seen[KH_BUCKETS];
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	char *text;
	struct line *lines;
	size_t nlines;
};

static struct {
	pthread_mutex_t lock;
	struct khfile *files; /* newest first; old versions stay until kh_free */
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Decode base64 into out (at most max bytes); the length, or -1. */
static ssize_t
b64_decode(const char *s, size_t n, unsigned char *out, size_t max)
{
	static const char set[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	size_t i, o = 0, bits = 0;
	const char *c;

	while (n > 0 && s[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++) {
		if (s[i] == '\0' || (c = strchr(set, s[i])) == NULL)
			return -1;
		acc = acc << 6 | (uint32_t)(c - set);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == max)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (ssize_t)o;
}

/* What libssh would see as the line's first field, and what to do with it. */
static void
classify(struct line *l, const char *text)
{
	const char *p = text + l->off, *end = text + l->off + l->len, *f, *fe, *q, *bar;
	unsigned char salt[64];
	ssize_t sn, hn;

	l->kind = LINE_KEEP;
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || *p == '#' || *p == '@') {
		l->kind = LINE_PLAIN; /* libssh skips it: no name ever equals "" */
		l->names_off = l->names_len = 0;
		return;
	}
	/* libssh splits on ' ' only; other spacing before the key is kept. */
	f = p;
	for (fe = f; fe < end && *fe != ' '; fe++) {
		if (isspace((unsigned char)*fe))
			return;
	}
	if (p != text + l->off) {
		for (q = text + l->off; q < p; q++) {
			if (*q != ' ')
				return;
		}
	}
	if (fe == end)
		return; /* no key: libssh's business */
	if (*f == '|') {
		/* |1|base64 salt|base64 hash, nothing else in the field */
		if (fe - f < 4 || memcmp(f, "|1|", 3) != 0 || memchr(f, ',', (size_t)(fe - f)))
			return;
		bar = memchr(f + 3, '|', (size_t)(fe - f - 3));
		if (bar == NULL)
			return;
		sn = b64_decode(f + 3, (size_t)(bar - f - 3), salt, sizeof salt);
		hn = b64_decode(bar + 1, (size_t)(fe - bar - 1), l->hash, sizeof l->hash);
		if (sn <= 0 || hn != (ssize_t)sizeof l->hash)
			return;
		hmac_key_init(&l->key, salt, (size_t)sn);
		l->kind = LINE_HASHED;
		return;
	}
	for (q = f; q < fe; q++) {
		if (*q == '*' || *q == '?' || *q == '!')
			return;
	}
	l->kind = LINE_PLAIN;
	l->names_off = (size_t)(f - text);
	l->names_len = (size_t)(fe - f);
}

static struct khfile *
file_read(const char *path, const struct stat *st)
{
	FILE *fp = fopen(path, "r");
	struct khfile *f;
	struct buf text;
	char *line = NULL;
	size_t cap = 0, lcap = 0;
	ssize_t n;
	struct stat st2;

	if (fp == NULL)
		return NULL;
	if (fstat(fileno(fp), &st2) < 0 || st2.st_ino != st->st_ino || st2.st_dev != st->st_dev) {
		fclose(fp);
		return NULL;
	}
	f = xcalloc(1, sizeof *f);
	buf_init(&text);
	while ((n = getline(&line, &cap, fp)) >= 0) {
		if ((size_t)n >= LIBSSH_KH_LINE_MAX - 1 || strlen(line) != (size_t)n) {
			/* libssh would read it in pieces: not ours to second-guess */
			free(line);
			free(f->lines);
			free(f);
			buf_free(&text);
			fclose(fp);
			return NULL;
		}
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (f->nlines == lcap) {
			lcap = lcap ? 2 * lcap : 64;
			f->lines = xreallocarray(f->lines, lcap, sizeof *f->lines);
		}
		f->lines[f->nlines].off = text.len;
		f->lines[f->nlines].len = (size_t)n;
		f->nlines++;
		buf_append(&text, line, (size_t)n);
		buf_appendc(&text, '\n');
	}
	free(line);
	fclose(fp);
	f->text = buf_steal(&text);
	for (size_t i = 0; i < f->nlines; i++)
		classify(&f->lines[i], f->text ? f->text : "");
	f->path = xstrdup(path);
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = st->st_size;
	f->mtime = st->st_mtim;
	return f;
}

/* The file as it is now, read again if it changed; NULL: leave it to libssh. */
static struct khfile *
file_get(const char *path)
{
	struct khfile *f;
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	pthread_mutex_lock(&cache.lock);
	for (f = cache.files; f != NULL; f = f->next) {
		if (strcmp(f->path, path) == 0)
			break;
	}
	if (f == NULL || f->dev != st.st_dev || f->ino != st.st_ino || f->size != st.st_size ||
	        f->mtime.tv_sec != st.st_mtim.tv_sec || f->mtime.tv_nsec != st.st_mtim.tv_nsec) {
		f = file_read(path, &st);
		if (f != NULL) {
			f->next = cache.files;
			cache.files = f;
			log_msg(LOG_DEBUG, "known_hosts %s: %zu lines read", path, f->nlines);
		}
	}
	pthread_mutex_unlock(&cache.lock);
	return f;
}

/* Is one of the names of a plain line 'host' (or, bracketed, "[host]:22")? */
static bool
plain_names(const char *names, size_t n, const char *match, const char *match22)
{
	const char *p = names, *end = names + n, *comma;
	size_t len;

	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		len = (size_t)((comma ? comma : end) - p);
		if (*p == '[' && match22 != NULL) {
			if (len == strlen(match22) && strncasecmp(p, match22, len) == 0)
				return true;
		} else if (len == strlen(match) && strncasecmp(p, match, len) == 0) {
			return true;
		}
		p += len + 1;
	}
	return false;
}

/* ---- per session ------------------------------------------------------------ */

/* path as libssh 0.10 would expand it (~, %d, %%), or NULL: cannot say. */
static char *
expand(const char *path)
{
	const char *home = sshconf_home(), *p;
	struct buf b;

	if (path == NULL || home == NULL)
		return NULL;
	buf_init(&b);
	p = path;
	if (p[0] == '~') {
		if (p[1] != '/') {
			buf_free(&b);
			return NULL;
		}
		buf_appends(&b, home);
		p++;
	}
	for (; *p != '\0'; p++) {
		if (*p != '%') {
			buf_appendc(&b, *p);
			continue;
		}
		p++;
		if (*p == '%') {
			buf_appendc(&b, '%');
		} else if (*p == 'd') {
			buf_appends(&b, sshconf_ssh_dir());
		} else {
			buf_free(&b);
			return NULL;
		}
	}
	return buf_steal(&b);
}

static size_t
bucket(const char *s)
{
	size_t h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h % KH_BUCKETS;
}

/* The lines of f that libssh could match against match (computed once). */
static const struct khmatch *
lines_for(struct khfile *f, const char *match, const char *match22)
{
	struct khmatch *m;
	struct buf out;
	unsigned char mac[20];
	size_t i, b = bucket(match);

	pthread_mutex_lock(&cache.lock);
	for (m = f->seen[b]; m != NULL; m = m->next) {
		if (strcmp(m->match, match) == 0)
			break;
	}
	pthread_mutex_unlock(&cache.lock);
	if (m != NULL)
		return m;
	m = xcalloc(1, sizeof *m);
	buf_init(&out);
	for (i = 0; i < f->nlines; i++) {
		const struct line *l = &f->lines[i];
		bool keep = true;

		if (l->kind == LINE_HASHED) {
			hmac_sha1(&l->key, match, strlen(match), mac);
			keep = memcmp(mac, l->hash, sizeof mac) == 0;
		} else if (l->kind == LINE_PLAIN) {
			keep = l->names_len > 0 &&
			       plain_names(f->text + l->names_off, l->names_len, match, match22);
		}
		if (keep) {
			buf_append(&out, f->text + l->off, l->len);
			buf_appendc(&out, '\n');
			m->kept++;
		}
	}
	m->match = xstrdup(match);
	m->len = out.len;
	m->text = buf_steal(&out);
	/* Two threads may have computed it at once: both answers are the same. */
	pthread_mutex_lock(&cache.lock);
	m->next = f->seen[b];
	f->seen[b] = m;
	pthread_mutex_unlock(&cache.lock);
	return m;
}

int
kh_filtered(const char *path, const char *host, unsigned int port, char **real)
{
	struct khfile *f;
	const struct khmatch *m;
	struct buf match;
	char *lower, *match22 = NULL, *full;
	size_t i;
	int fd;

	*real = NULL;
	if ((full = expand(path)) == NULL)
		return -1;
	if ((f = file_get(full)) == NULL) {
		free(full);
		return -1;
	}
	/* What libssh matches: the host in lower case, "[host]:port" off 22. */
	lower = xstrdup(host);
	for (i = 0; lower[i] != '\0'; i++)
		lower[i] = (char)tolower((unsigned char)lower[i]);
	buf_init(&match);
	if (port == 0 || port == 22) {
		buf_appends(&match, lower);
		match22 = xasprintf("[%s]:22", lower);
	} else {
		buf_appendf(&match, "[%s]:%u", lower, port);
	}
	free(lower);
	m = lines_for(f, match.p, match22);
	log_msg(LOG_DEBUG, "known_hosts %s: %zu of %zu lines can name %s", full, m->kept, f->nlines,
	        match.p);
	buf_free(&match);
	free(match22);
	fd = memfd_create("shoal-known_hosts", MFD_CLOEXEC);
	if (fd >= 0 && m->len > 0 && write(fd, m->text, m->len) != (ssize_t)m->len) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		free(full);
		return -1;
	}
	*real = full;
	return fd;
}

void
kh_free(void)
{
	struct khfile *f, *next;

	pthread_mutex_lock(&cache.lock);
	for (f = cache.files; f != NULL; f = next) {
		next = f->next;
		for (size_t b = 0; b < KH_BUCKETS; b++) {
			struct khmatch *m, *mn;

			for (m = f->seen[b]; m != NULL; m = mn) {
				mn = m->next;
				free(m->match);
				free(m->text);
				free(m);
			}
		}
		free(f->path);
		free(f->text);
		free(f->lines);
		free(f);
	}
	cache.files = NULL;
	pthread_mutex_unlock(&cache.lock);
}

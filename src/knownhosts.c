/*
 * knownhosts.c - shoal's own known_hosts reader: it decides whether a host's
 * key is known, changed or revoked, and records new keys under accept-new.
 *
 * libssh 0.10 is not trusted with this: one line it cannot parse (bad
 * base64, a line of 8,191 characters or more) makes it answer "unknown" for
 * the whole file, which accept-new then took as leave to record a changed
 * key.  So the files are read as OpenSSH reads them: lines of any length,
 * CRLF line ends, blanks or tabs between fields, "@revoked" and
 * "@cert-authority" markers, host fields that are comma lists of patterns
 * (* and ?, negated with !) or one hashed name ("|1|salt|hash", what
 * HashKnownHosts writes).  A line that cannot be parsed is skipped, with a -v
 * diagnostic naming file:line; it never changes the answer for other lines.
 * Off port 22 a host no "[host]:port" line names is judged again by its
 * bare name, as ssh does (see judge).
 * Of the lines naming the host: a revoked key is refused whatever else
 * matches; a line holding the server's key makes it known; any other key
 * (whatever its type) makes it changed.  A server presenting a host
 * certificate: the certificate, its own key or its CA listed @revoked (or
 * in the RevokedHostKeys list) refuses it; a certificate whose CA an
 * @cert-authority line naming the host holds is checked (hostcert.c) and,
 * valid, makes it known; else its own key is judged as a plain key, as
 * OpenSSH does, except that a certificate from a CA of the host that fails
 * its check is never unknown (accept-new must not record past it).
 *
 * Cost and memory.  Each file is read once and kept parsed, each hashed
 * line with its HMAC key schedule computed once, so a host costs two SHA-1
 * blocks a hashed line; the lines that name a host are remembered per name
 * (aliases often share a host).  A file that changed (inode, size, mtime)
 * replaces its old copy, which is freed; shoal's own appends are added to
 * the copy in place, so recording 2,000 new hosts keeps one copy.  A
 * RevokedHostKeys list of keys is cached the same way; a binary KRL is
 * read whole at each check (hostcert.c parses it).  Recorded names are
 * plain, or hashed with a fresh salt when HashKnownHosts asks.
 *
 * Threads: any.  cache.lock (a rwlock) guards the files: held shared while
 * lines are matched, exclusive to read a file again or add a line.
 * cache.memo guards the per-name lists while a shared holder adds one.
 * cache.record serialises check-and-append, so many aliases of one new host
 * record it once.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "expand.h"
#include "hostcert.h"
#include "knownhosts.h"
#include "log.h"
#include "pattern.h"
#include "sshconf.h"
#include "xmalloc.h"

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

/* ---- lines ------------------------------------------------------------------ */

enum kind {
	K_SKIP,   /* blank, comment */
	K_BAD,    /* cannot be parsed: skipped with a diagnostic */
	K_HASHED, /* |1|salt|hash */
	K_NAMES,  /* a comma list of patterns */
};

enum marker {
	M_NONE,
	M_CA,      /* @cert-authority: a CA key, not the host's */
	M_REVOKED, /* @revoked: never accept this key */
};

struct line {
	size_t names, names_len; /* K_NAMES: the host field, in the file's text */
	size_t type, type_len;   /* the key type name */
	size_t b64, b64_len;     /* the key blob, base64 */
	size_t no;               /* line number, from 1 */
	enum kind kind;
	enum marker marker;
	struct hmac_key key; /* K_HASHED */
	unsigned char hash[20];
};

/* The lines of one file naming one name, remembered. */
struct memo {
	struct memo *next;
	char *name;
	size_t *idx, n, cap;
};

#define MEMO_BUCKETS 256

struct khfile {
	struct khfile *next;
	char *path;
	bool keylist; /* a RevokedHostKeys list: "type base64 [comment]" lines */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct buf text;    /* the usable lines' bytes */
	struct line *lines; /* usable lines only (K_HASHED, K_NAMES) */
	size_t nlines, cap; /* of lines */
	size_t nphys;       /* physical lines read, for messages */
	struct memo *memo[MEMO_BUCKETS];
};

static struct {
	pthread_rwlock_t lock;
	pthread_mutex_t memo;
	pthread_mutex_t record;
	struct khfile *files;
} cache = {PTHREAD_RWLOCK_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, NULL};

static const char b64set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Decode base64 into out (at most max bytes); the length, or -1. */
static ssize_t
b64_decode(const char *s, size_t n, unsigned char *out, size_t max)
{
	uint32_t acc = 0;
	size_t i, o = 0, bits = 0;
	const char *c;

	while (n > 0 && s[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++) {
		if (s[i] == '\0' || (c = strchr(b64set, s[i])) == NULL)
			return -1;
		acc = acc << 6 | (uint32_t)(c - b64set);
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

/* A key blob decoded (free it), or NULL. */
static unsigned char *
blob_decode(const char *s, size_t n, size_t *len)
{
	unsigned char *out = xmalloc(n / 4 * 3 + 3);
	ssize_t r = b64_decode(s, n, out, n / 4 * 3 + 3);

	if (r <= 0) {
		free(out);
		return NULL;
	}
	*len = (size_t)r;
	return out;
}

/* The type name a key blob starts with (an SSH string), or false. */
static bool
blob_type(const unsigned char *blob, size_t n, const char **type, size_t *tlen)
{
	uint32_t l;

	if (n < 4)
		return false;
	l = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
	if (l == 0 || l > n - 4)
		return false;
	*type = (const char *)blob + 4;
	*tlen = l;
	return true;
}

/* The key types OpenSSH reads in known_hosts. */
static bool
known_type(const char *t, size_t n)
{
	static const char *const types[] = {"ssh-ed25519", "ssh-rsa", "ssh-dss",
	        "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	        "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ssh-ed25519@openssh.com",
	        "ssh-ed25519-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com",
	        "ssh-dss-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
	        "ecdsa-sha2-nistp384-cert-v01@openssh.com",
	        "ecdsa-sha2-nistp521-cert-v01@openssh.com",
	        "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
	        "sk-ssh-ed25519-cert-v01@openssh.com"};
	size_t i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		if (strlen(types[i]) == n && memcmp(t, types[i], n) == 0)
			return true;
	}
	return false;
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Skip blanks from *p to end; the field that follows, to the next blank. */
static bool
field(const char **p, const char *end, const char **f, size_t *n)
{
	const char *s = *p, *e;

	while (s < end && blank(*s))
		s++;
	for (e = s; e < end && !blank(*e); e++)
		;
	*f = s;
	*n = (size_t)(e - s);
	*p = e;
	return e > s;
}

/*
 * Parse one line (without its line end) of text at off; base is where the
 * file's text starts.  Returns the kind; *why names what is wrong with a
 * K_BAD line.
 */
static enum kind
parse_line(const char *base, size_t off, size_t len, bool keylist, struct line *l, const char **why)
{
	const char *p = base + off, *end = base + off + len, *f, *t;
	unsigned char salt[64], *blob = NULL;
	size_t n, bl, tl;
	ssize_t sn, hn;

	memset(l, 0, sizeof *l);
	while (p < end && blank(*p))
		p++;
	if (p == end || *p == '#')
		return K_SKIP;
	if (keylist) {
		/* A list of keys, each revoked: no marker, no names. */
		l->marker = M_REVOKED;
		l->names = (size_t)(p - base);
		goto type;
	}
	field(&p, end, &f, &n);
	if (*f == '@') {
		if (n == 8 && memcmp(f, "@revoked", 8) == 0)
			l->marker = M_REVOKED;
		else if (n == 15 && memcmp(f, "@cert-authority", 15) == 0)
			l->marker = M_CA;
		else
			goto bad_marker;
		if (!field(&p, end, &f, &n))
			goto bad_key;
	}
	l->names = (size_t)(f - base);
	l->names_len = n;
type:
	if (!field(&p, end, &f, &n))
		goto bad_key;
	l->type = (size_t)(f - base);
	l->type_len = n;
	if (!known_type(f, n)) {
		*why = "unknown key type";
		return K_BAD;
	}
	if (!field(&p, end, &f, &n))
		goto bad_key;
	l->b64 = (size_t)(f - base);
	l->b64_len = n;
	/* The blob must decode and name the type the line names, as OpenSSH checks. */
	if ((blob = blob_decode(f, n, &bl)) == NULL) {
		*why = "key is not base64";
		return K_BAD;
	}
	if (!blob_type(blob, bl, &t, &tl) || tl != l->type_len ||
	        memcmp(t, base + l->type, tl) != 0) {
		free(blob);
		*why = "key blob does not match its type";
		return K_BAD;
	}
	free(blob);
	f = base + l->names;
	if (keylist || *f != '|')
		return K_NAMES;
	/* |1|base64 salt|base64 hash, and nothing else in the field */
	t = l->names_len > 3 && memcmp(f, "|1|", 3) == 0 ? memchr(f + 3, '|', l->names_len - 3)
	                                                 : NULL;
	if (t == NULL) {
		*why = "unknown hashed name format";
		return K_BAD;
	}
	sn = b64_decode(f + 3, (size_t)(t - f - 3), salt, sizeof salt);
	hn = b64_decode(t + 1, (size_t)(f + l->names_len - t - 1), l->hash, sizeof l->hash);
	if (sn <= 0 || hn != (ssize_t)sizeof l->hash) {
		*why = "bad hashed name";
		return K_BAD;
	}
	hmac_key_init(&l->key, salt, (size_t)sn);
	return K_HASHED;
bad_marker:
	*why = "unknown marker";
	return K_BAD;
bad_key:
	*why = "host names, key type or key missing";
	return K_BAD;
}

/* ---- matching names, as OpenSSH's match_hostname ------------------------------ */

static bool
line_names(const struct khfile *f, const struct line *l, const char *name)
{
	unsigned char mac[20];

	if (l->kind == K_HASHED) {
		hmac_sha1(&l->key, name, strlen(name), mac);
		return memcmp(mac, l->hash, sizeof mac) == 0;
	}
	return pattern_list_match_n(name, f->text.p + l->names, l->names_len, true) == 1;
}

/* ---- files ------------------------------------------------------------------ */

static void
memo_free(struct khfile *f)
{
	struct memo *m, *next;
	size_t b;

	for (b = 0; b < MEMO_BUCKETS; b++) {
		for (m = f->memo[b]; m != NULL; m = next) {
			next = m->next;
			free(m->name);
			free(m->idx);
			free(m);
		}
		f->memo[b] = NULL;
	}
}

static void
file_free(struct khfile *f)
{
	memo_free(f);
	free(f->path);
	buf_free(&f->text);
	free(f->lines);
	free(f);
}

/* Parse the line at off in f->text; keep it if usable, else drop its bytes. */
static void
file_add_line(struct khfile *f, size_t off, size_t len)
{
	struct line l;
	const char *why = NULL;
	enum kind k;

	f->nphys++;
	if (len > 0 && f->text.p[off + len - 1] == '\r')
		len--;
	k = parse_line(f->text.p, off, len, f->keylist, &l, &why);
	if (k == K_BAD)
		log_msg(LOG_VERBOSE, "%s %s:%zu: line skipped: %s",
		        f->keylist ? "RevokedHostKeys" : "known_hosts", f->path, f->nphys, why);
	if (k != K_HASHED && k != K_NAMES) {
		f->text.len = off;
		return;
	}
	l.kind = k;
	l.no = f->nphys;
	if (f->nlines == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->lines = xreallocarray(f->lines, f->cap, sizeof *f->lines);
	}
	f->lines[f->nlines++] = l;
	f->text.len = off + len;
	buf_appendc(&f->text, '\n');
}

static void
file_identity(struct khfile *f, const struct stat *st)
{
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = st->st_size;
	f->mtime = st->st_mtim;
}

static bool
file_same(const struct khfile *f, const struct stat *st)
{
	return f->dev == st->st_dev && f->ino == st->st_ino && f->size == st->st_size &&
	       f->mtime.tv_sec == st->st_mtim.tv_sec && f->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/*
 * Append the bytes of data (whole lines, the last perhaps without its
 * newline) to f, parsing each line.  Only usable lines keep their bytes.
 */
static void
file_feed(struct khfile *f, const char *data, size_t n)
{
	const char *p = data, *end = data + n, *nl;
	size_t off, len;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl ? nl : end) - p);
		off = f->text.len;
		buf_append(&f->text, p, len);
		file_add_line(f, off, len);
		p += len + 1;
	}
}

static struct khfile *
file_read(const char *path, bool keylist)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct khfile *f;
	struct stat st;
	char chunk[65536], *carry = NULL;
	size_t ncarry = 0;
	ssize_t n;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	f = xcalloc(1, sizeof *f);
	f->path = xstrdup(path);
	f->keylist = keylist;
	buf_init(&f->text);
	/* Read by chunks; a partial last line is carried into the next one. */
	while ((n = read(fd, chunk, sizeof chunk)) > 0) {
		const char *last = memrchr(chunk, '\n', (size_t)n);
		size_t whole = last ? (size_t)(last - chunk) + 1 : 0;

		if (whole > 0) {
			carry = xrealloc(carry, ncarry + whole);
			memcpy(carry + ncarry, chunk, whole);
			file_feed(f, carry, ncarry + whole);
			ncarry = 0;
		}
		carry = xrealloc(carry, ncarry + (size_t)n - whole + 1);
		memcpy(carry + ncarry, chunk + whole, (size_t)n - whole);
		ncarry += (size_t)n - whole;
	}
	if (n < 0) {
		log_msg(LOG_VERBOSE, "known_hosts %s: %s", path, strerror(errno));
		free(carry);
		close(fd);
		file_free(f);
		return NULL;
	}
	if (ncarry > 0)
		file_feed(f, carry, ncarry);
	free(carry);
	/* What was read, not what stat said before: a later change is seen. */
	if (fstat(fd, &st) == 0)
		file_identity(f, &st);
	close(fd);
	log_msg(LOG_DEBUG, "known_hosts %s: %zu lines read, %zu usable", path, f->nphys, f->nlines);
	return f;
}

static struct khfile *
file_find(const char *path, bool keylist)
{
	struct khfile *f;

	for (f = cache.files; f != NULL; f = f->next) {
		if (f->keylist == keylist && strcmp(f->path, path) == 0)
			return f;
	}
	return NULL;
}

/*
 * The file as it is now, read again if it changed, with cache.lock held
 * (shared or exclusive: unlock it when done); NULL, unlocked: no such file.
 */
static struct khfile *
file_get(const char *path, bool keylist)
{
	struct khfile *f, **pp;
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	pthread_rwlock_rdlock(&cache.lock);
	f = file_find(path, keylist);
	if (f != NULL && file_same(f, &st))
		return f;
	pthread_rwlock_unlock(&cache.lock);
	pthread_rwlock_wrlock(&cache.lock);
	f = file_find(path, keylist);
	if (f != NULL && file_same(f, &st))
		return f;
	/* The old copy goes: nobody holds it while we hold the lock. */
	for (pp = &cache.files; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			file_free(f);
			break;
		}
	}
	if ((f = file_read(path, keylist)) == NULL) {
		pthread_rwlock_unlock(&cache.lock);
		return NULL;
	}
	f->next = cache.files;
	cache.files = f;
	return f;
}

static size_t
bucket(const char *s)
{
	size_t h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h % MEMO_BUCKETS;
}

static struct memo *
memo_find(struct khfile *f, const char *name)
{
	struct memo *m;

	for (m = f->memo[bucket(name)]; m != NULL; m = m->next) {
		if (strcmp(m->name, name) == 0)
			return m;
	}
	return NULL;
}

static void
memo_add(struct memo *m, size_t i)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 4;
		m->idx = xreallocarray(m->idx, m->cap, sizeof *m->idx);
	}
	m->idx[m->n++] = i;
}

/* The lines of f naming name, computed once; cache.lock held. */
static const struct memo *
lines_naming(struct khfile *f, const char *name)
{
	struct memo *m, *have;
	size_t i;

	pthread_mutex_lock(&cache.memo);
	m = memo_find(f, name);
	pthread_mutex_unlock(&cache.memo);
	if (m != NULL)
		return m;
	m = xcalloc(1, sizeof *m);
	m->name = xstrdup(name);
	for (i = 0; i < f->nlines; i++) {
		if (line_names(f, &f->lines[i], name))
			memo_add(m, i);
	}
	/* Two threads may have computed it at once: the answers are the same. */
	pthread_mutex_lock(&cache.memo);
	if ((have = memo_find(f, name)) == NULL) {
		m->next = f->memo[bucket(name)];
		f->memo[bucket(name)] = m;
	}
	pthread_mutex_unlock(&cache.memo);
	if (have != NULL) {
		free(m->name);
		free(m->idx);
		free(m);
		m = have;
	}
	return m;
}

/* ---- sessions --------------------------------------------------------------- */

/* path with ~, ~user, %d (~/.ssh) and %% expanded, or NULL: cannot say. */
static char *
expand(const char *path)
{
	struct expand_tokens t = {.home = sshconf_home()};
	char *err = NULL, *res;

	if (path == NULL)
		return NULL;
	t.v['d'] = sshconf_ssh_dir();
	res = expand_string(path, &t, EXPAND_TILDE, &err);
	free(err);
	return res;
}

/*
 * Add the file named by the n bytes at name to a list.  "none" (any case) is
 * no file, as in ssh: never a file called "none" in the current directory,
 * which another user may have planted there, nor one accept-new creates.
 */
static void
list_add_file(char ***list, size_t *count, const char *name, size_t n)
{
	if (n == 4 && strncasecmp(name, "none", 4) == 0)
		return;
	*list = xreallocarray(*list, *count + 1, sizeof **list);
	(*list)[(*count)++] = xstrndup(name, n);
}

static void
split(const char *value, const char *const *dflt, char ***list, size_t *n)
{
	const char *p = value, *s;
	size_t i;

	*list = NULL;
	*n = 0;
	if (value == NULL) {
		for (i = 0; dflt[i] != NULL; i++)
			list_add_file(list, n, dflt[i], strlen(dflt[i]));
		return;
	}
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (s = p; *p != '\0' && *p != ' ' && *p != '\t'; p++)
			;
		list_add_file(list, n, s, (size_t)(p - s));
	}
}

void
kh_files_set(struct kh_files *f, const char *user, const char *global)
{
	static const char *const duser[] = {"%d/known_hosts", "%d/known_hosts2", NULL};
	static const char *const dglobal[] = {
	        "/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2", NULL};

	split(user, duser, &f->user, &f->nuser);
	split(global, dglobal, &f->global, &f->nglobal);
	f->revoked = NULL;
}

void
kh_files_revoked(struct kh_files *f, const char *path)
{
	free(f->revoked);
	f->revoked = path != NULL && strcasecmp(path, "none") != 0 ? xstrdup(path) : NULL;
}

void
kh_files_set_lists(
        struct kh_files *f, char *const *user, size_t nuser, char *const *global, size_t nglobal)
{
	size_t i;

	memset(f, 0, sizeof *f);
	for (i = 0; i < nuser; i++)
		list_add_file(&f->user, &f->nuser, user[i], strlen(user[i]));
	for (i = 0; i < nglobal; i++)
		list_add_file(&f->global, &f->nglobal, global[i], strlen(global[i]));
}

void
kh_files_free(struct kh_files *f)
{
	size_t i;

	for (i = 0; i < f->nuser; i++)
		free(f->user[i]);
	for (i = 0; i < f->nglobal; i++)
		free(f->global[i]);
	free(f->user);
	free(f->global);
	free(f->revoked);
	memset(f, 0, sizeof *f);
}

/* What OpenSSH looks up: the host in lower case, "[host]:port" off port 22. */
static char *
lookup_name(const char *host, unsigned int port)
{
	char *name = port == 0 || port == 22 ? xstrdup(host) : xasprintf("[%s]:%u", host, port);
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	return name;
}

char *
kh_remove_command(const char *host, unsigned int port, const char *where)
{
	const char *colon = strrchr(where, ':');
	char *name = lookup_name(host, port), *cmd;

	cmd = xasprintf("ssh-keygen -f \"%.*s\" -R \"%s\"",
	        (int)(colon != NULL ? (size_t)(colon - where) : strlen(where)), where, name);
	free(name);
	return cmd;
}

/* The server's key as judged: its blob, and its certificate when it is one. */
struct skey {
	unsigned char *blob; /* as the server presented it */
	size_t len;
	const unsigned char *plain; /* the host's own key: blob, or the certificate's */
	size_t plain_len;
	bool is_cert;
	struct hostcert cert;
	const char *bad; /* why a certificate does not parse */
};

static void
skey_init(struct skey *k, const char *key_b64)
{
	memset(k, 0, sizeof *k);
	k->blob = blob_decode(key_b64, strlen(key_b64), &k->len);
	if (k->blob == NULL) {
		k->blob = xcalloc(1, 1); /* matches no line: unknown, or changed */
		k->len = 0;
	}
	k->plain = k->blob;
	k->plain_len = k->len;
	if (!hostcert_is_cert(k->blob, k->len))
		return;
	k->is_cert = true;
	if (hostcert_parse(k->blob, k->len, &k->cert, &k->bad) == 0) {
		k->plain = k->cert.plain;
		k->plain_len = k->cert.plain_len;
	}
}

/*
 * The server's key as a certificate fetched apart (hostcert_fetch): it
 * counts only if it is for the key the session proved.  true, or false
 * with *why (k is then empty).
 */
static bool
skey_init_cert(struct skey *k, const char *key_b64, const unsigned char *cert, size_t clen,
        const char **why)
{
	unsigned char *proved;
	size_t plen = 0;
	bool usable;

	memset(k, 0, sizeof *k);
	*why = NULL;
	if (!hostcert_is_cert(cert, clen)) {
		*why = "the server presented no certificate";
		return false;
	}
	k->blob = xmalloc(clen);
	memcpy(k->blob, cert, clen);
	k->len = clen;
	k->is_cert = true;
	if (hostcert_parse(k->blob, k->len, &k->cert, why) < 0) {
		free(k->blob);
		return false;
	}
	proved = blob_decode(key_b64, strlen(key_b64), &plen);
	usable = proved != NULL && k->cert.plain_len == plen &&
	         memcmp(k->cert.plain, proved, plen) == 0;
	free(proved);
	if (!usable) {
		*why = "the certificate is for another key than the session's (another server "
		       "behind the address?)";
		hostcert_free(&k->cert);
		free(k->blob);
		return false;
	}
	k->plain = k->cert.plain;
	k->plain_len = k->cert.plain_len;
	return true;
}

static void
skey_free(struct skey *k)
{
	hostcert_free(&k->cert);
	free(k->blob);
}

/* One verdict over every file, and what decided it. */
struct verdict {
	bool ok, changed, revoked, ca;
	char *ok_at, *changed_at, *revoked_at, *ca_at;
};

static void
note(char **at, const char *path, size_t no, const char *what)
{
	if (*at == NULL)
		*at = xasprintf("%s:%zu%s", path, no, what);
}

static bool
same(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
	return an == bn && an > 0 && memcmp(a, b, an) == 0;
}

/* A revoked key (blob of len bl) against the server's key: is it it, or its CA? */
static void
revoked_line(struct verdict *v, const struct skey *k, const unsigned char *blob, size_t bl,
        const char *path, size_t no, const char *prefix)
{
	char *at = NULL;

	if (same(blob, bl, k->plain, k->plain_len) || same(blob, bl, k->blob, k->len))
		at = xasprintf("%s%s:%zu", prefix, path, no);
	else if (k->is_cert && k->bad == NULL && same(blob, bl, k->cert.ca, k->cert.ca_len))
		at = xasprintf("%s%s:%zu, the certificate's CA", prefix, path, no);
	if (at == NULL)
		return;
	v->revoked = true;
	if (v->revoked_at == NULL)
		v->revoked_at = at;
	else
		free(at);
}

/*
 * Match one file's lines naming name against the server's key (k NULL:
 * only collect), and append the plain ones to out (NULL: none) as libssh
 * reads them, named out_name; *ca, when not NULL, is set when an
 * @cert-authority line names name.  Returns the lines naming name.
 */
static size_t
file_judge(const char *path, const char *name, const struct skey *k, struct verdict *v,
        struct buf *out, const char *out_name, bool *ca, size_t *nphys)
{
	struct khfile *f;
	const struct memo *m;
	const struct line *l;
	unsigned char *blob;
	size_t i, bl, n;

	*nphys = 0;
	if ((f = file_get(path, false)) == NULL)
		return 0;
	m = lines_naming(f, name);
	*nphys = f->nphys;
	n = m->n;
	for (i = 0; i < m->n; i++) {
		l = &f->lines[m->idx[i]];
		if (ca != NULL && l->marker == M_CA)
			*ca = true;
		if (out != NULL && l->marker == M_NONE)
			buf_appendf(out, "%s %.*s %.*s\n", out_name, (int)l->type_len,
			        f->text.p + l->type, (int)l->b64_len, f->text.p + l->b64);
		if (k == NULL)
			continue;
		blob = blob_decode(f->text.p + l->b64, l->b64_len, &bl);
		if (blob == NULL)
			continue;
		if (l->marker == M_REVOKED) {
			revoked_line(v, k, blob, bl, path, l->no, "");
		} else if (l->marker == M_CA) {
			/* A CA counts only for the certificate it signed. */
			if (k->is_cert && k->bad == NULL &&
			        same(blob, bl, k->cert.ca, k->cert.ca_len)) {
				v->ca = true;
				note(&v->ca_at, path, l->no, "");
			}
		} else if (same(blob, bl, k->plain, k->plain_len)) {
			v->ok = true;
			note(&v->ok_at, path, l->no, "");
		} else {
			v->changed = true;
			note(&v->changed_at, path, l->no, "");
		}
		free(blob);
	}
	pthread_rwlock_unlock(&cache.lock);
	return n;
}

/* Does path hold a binary KRL (PROTOCOL.krl), not a list of keys? */
static bool
is_krl(const char *path)
{
	char magic[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool krl;

	if (fd < 0)
		return false;
	krl = read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
	      memcmp(magic, "SSHKRL\n", 8) == 0;
	close(fd);
	return krl;
}

/*
 * A binary KRL against the server's key: its own key, its certificate (by
 * CA and serial or key ID) and the certificate's CA.  Read whole at each
 * check (KRLs are compact: a serial range revokes thousands of
 * certificates in a few bytes).  One that cannot be read revokes.
 */
static void
krl_judge(const char *path, const struct skey *k, struct verdict *v)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct buf data;
	char chunk[65536];
	const char *why = "cannot be read";
	const struct hostcert *c = k->is_cert && k->bad == NULL ? &k->cert : NULL;
	ssize_t n = -1;
	int r = -1;

	buf_init(&data);
	if (fd >= 0) {
		while ((n = read(fd, chunk, sizeof chunk)) > 0)
			buf_append(&data, chunk, (size_t)n);
		close(fd);
	}
	if (n == 0) {
		r = hostcert_krl_revoked(
		        (const unsigned char *)data.p, data.len, k->plain, k->plain_len, c, &why);
		if (r == 0 && c != NULL)
			r = hostcert_krl_revoked((const unsigned char *)data.p, data.len, c->ca,
			        c->ca_len, NULL, &why);
	}
	if (r != 0) {
		v->revoked = true;
		v->revoked_at = r > 0 ? xasprintf("RevokedHostKeys KRL %s", path)
		                      : xasprintf("RevokedHostKeys KRL %s: %s", path, why);
	}
	buf_free(&data);
}

/*
 * The RevokedHostKeys list against the server's key.  A list that cannot
 * be read revokes every key, as OpenSSH refuses then: a revocation that is
 * not seen must not let a key through.
 */
static void
revoked_list_judge(const char *value, const struct skey *k, struct verdict *v)
{
	char *path = expand(value);
	struct khfile *f = NULL;
	const struct line *l;
	unsigned char *blob;
	size_t i, bl;

	if (path != NULL && is_krl(path)) {
		krl_judge(path, k, v);
		goto out;
	}
	if (path == NULL || (f = file_get(path, true)) == NULL) {
		v->revoked = true;
		v->revoked_at = xasprintf("RevokedHostKeys %s cannot be read", value);
		goto out;
	}
	for (i = 0; i < f->nlines; i++) {
		l = &f->lines[i];
		if ((blob = blob_decode(f->text.p + l->b64, l->b64_len, &bl)) == NULL)
			continue;
		revoked_line(v, k, blob, bl, path, l->no, "RevokedHostKeys ");
		free(blob);
	}
	pthread_rwlock_unlock(&cache.lock);
out:
	free(path);
}

/* The host name a certificate must name: the host, in lower case, without port. */
static char *
principal_name(const char *host)
{
	char *name = xstrdup(host);
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	return name;
}

static enum kh_status
judge_name(const struct kh_files *f, const char *host, const char *name, const struct skey *k,
        char **where)
{
	struct verdict v = {0};
	enum kh_status st = KH_UNKNOWN;
	size_t i, nphys;
	char *path, **at = NULL, *why = NULL, *principal, *bad = NULL;

	for (i = 0; i < f->nuser + f->nglobal; i++) {
		path = expand(i < f->nuser ? f->user[i] : f->global[i - f->nuser]);
		if (path != NULL)
			file_judge(path, name, k, &v, NULL, NULL, NULL, &nphys);
		free(path);
	}
	if (f->revoked != NULL && !v.revoked)
		revoked_list_judge(f->revoked, k, &v);
	if (v.ca && !v.revoked) {
		principal = principal_name(host);
		if (hostcert_check(&k->cert, principal, (uint64_t)time(NULL), &why) == 0) {
			v.ok = true;
			free(v.ok_at);
			v.ok_at = v.ca_at;
			v.ca_at = NULL;
		} else {
			bad = xasprintf("%s: %s", v.ca_at, why);
		}
		free(why);
		free(principal);
	} else if (k->is_cert && k->bad != NULL) {
		bad = xasprintf("host certificate: %s", k->bad);
	}
	if (v.revoked) {
		st = KH_REVOKED;
		at = &v.revoked_at;
	} else if (v.ok) {
		st = KH_OK;
		at = &v.ok_at;
	} else if (bad != NULL) {
		st = KH_BADCERT;
		at = &bad;
	} else if (v.changed) {
		st = KH_CHANGED;
		at = &v.changed_at;
	}
	if (where != NULL) {
		*where = at ? *at : NULL;
		if (at)
			*at = NULL;
	}
	free(bad);
	free(v.ok_at);
	free(v.changed_at);
	free(v.revoked_at);
	free(v.ca_at);
	return st;
}

/*
 * The verdict for host on port.  Off port 22, a host no line names as
 * "[host]:port" is looked up again by its bare name, as ssh does ("found
 * matching key w/out port"): a key (or a CA's certificate) known there is
 * known.  A bare line with another key leaves the host unknown, as in ssh
 * (it is often another service on port 22); a revoked key, or a certificate
 * from a CA of the host that fails its check, stays refused (ssh would
 * carry on as for a new host: shoal never records past those).
 */
static enum kh_status
judge(const struct kh_files *f, const char *host, unsigned int port, const struct skey *k,
        char **where)
{
	char *name = lookup_name(host, port), *bare = NULL, *w = NULL;
	enum kh_status st = judge_name(f, host, name, k, where), b;

	if (st == KH_UNKNOWN && port != 0 && port != 22) {
		bare = lookup_name(host, 0);
		b = judge_name(f, host, bare, k, &w);
		if (b == KH_OK || b == KH_REVOKED || b == KH_BADCERT) {
			st = b;
			if (where != NULL) {
				free(*where);
				*where = w;
				w = NULL;
			}
		}
		free(w);
		free(bare);
	}
	free(name);
	return st;
}

enum kh_status
kh_check(const struct kh_files *f, const char *host, unsigned int port, const char *key_b64,
        char **where)
{
	struct skey k;
	enum kh_status st;

	skey_init(&k, key_b64);
	st = judge(f, host, port, &k, where);
	skey_free(&k);
	return st;
}

enum kh_status
kh_check_cert(const struct kh_files *f, const char *host, unsigned int port, const char *key_b64,
        const unsigned char *cert, size_t clen, char **where, const char **unused)
{
	struct skey k;
	enum kh_status st;

	if (!skey_init_cert(&k, key_b64, cert, clen, unused))
		skey_init(&k, key_b64);
	st = judge(f, host, port, &k, where);
	skey_free(&k);
	return st;
}

/* Create the directory holding path if missing (one level, as ssh does for ~/.ssh). */
static void
make_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	if (slash == NULL || slash == path)
		return;
	dir = xstrndup(path, (size_t)(slash - path));
	if (mkdir(dir, 0700) == 0)
		log_msg(LOG_VERBOSE, "created %s", dir);
	free(dir);
}

/*
 * After shoal appended text to path: add it to the cached copy when that
 * copy was the file as it was just before (before), else drop the copy.
 */
static void
cache_appended(const char *path, const struct stat *before, const struct stat *after,
        const char *text, size_t n, const char *name)
{
	struct khfile *f, **pp;
	struct memo *m;
	size_t first;

	pthread_rwlock_wrlock(&cache.lock);
	f = file_find(path, false);
	if (f != NULL && file_same(f, before) && after->st_size == before->st_size + (off_t)n) {
		first = f->nlines;
		/* A newline ending the old last line: that line was counted already. */
		if (text[0] == '\n')
			file_feed(f, text + 1, n - 1);
		else
			file_feed(f, text, n);
		file_identity(f, after);
		/* The new line names only name: only that memo changes. */
		if ((m = memo_find(f, name)) != NULL) {
			for (; first < f->nlines; first++)
				memo_add(m, first);
		}
	} else if (f != NULL) {
		for (pp = &cache.files; *pp != f; pp = &(*pp)->next)
			;
		*pp = f->next;
		file_free(f);
	}
	pthread_rwlock_unlock(&cache.lock);
}

/* base64 of n bytes (free it). */
static char *
b64_encode(const unsigned char *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* name as HashKnownHosts writes it: "|1|" base64 salt "|" base64 HMAC-SHA1(salt, name). */
static char *
hashed_name(const char *name)
{
	unsigned char salt[20], mac[20];
	char *s, *m, *res;

	if (RAND_bytes(salt, sizeof salt) != 1)
		fatal("no random bytes for a hashed known_hosts name");
	kh_hmac_sha1(salt, sizeof salt, name, strlen(name), mac);
	s = b64_encode(salt, sizeof salt);
	m = b64_encode(mac, sizeof mac);
	res = xasprintf("|1|%s|%s", s, m);
	free(s);
	free(m);
	return res;
}

/*
 * Append "name type base64" to path (as OpenSSH writes it; name hashed when
 * hash is set); 0, or -1 with *err.
 */
static int
append_key(const char *path, const char *name, const unsigned char *blob, size_t bl, bool hash,
        char **err)
{
	const char *type;
	size_t tl;
	struct stat before, after;
	struct buf line;
	char last, *b64 = NULL, *hname = NULL;
	int fd, rc = -1;

	if (!blob_type(blob, bl, &type, &tl)) {
		*err = xstrdup("the server's key cannot be encoded");
		return -1;
	}
	buf_init(&line);
	make_parent(path);
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &before) < 0) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	/* A file whose last line has no newline gets one first, as ssh does. */
	if (before.st_size > 0 && pread(fd, &last, 1, before.st_size - 1) == 1 && last != '\n')
		buf_appendc(&line, '\n');
	b64 = b64_encode(blob, bl);
	hname = hash ? hashed_name(name) : NULL;
	buf_appendf(&line, "%s %.*s %s\n", hash ? hname : name, (int)tl, type, b64);
	errno = 0;
	if (write(fd, line.p, line.len) != (ssize_t)line.len || fstat(fd, &after) < 0) {
		*err = xasprintf("%s: %s", path, errno ? strerror(errno) : "short write");
		goto out;
	}
	cache_appended(path, &before, &after, line.p, line.len, name);
	rc = 0;
out:
	if (fd >= 0 && close(fd) < 0 && rc == 0) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		rc = -1;
	}
	buf_free(&line);
	free(b64);
	free(hname);
	return rc;
}

int
kh_record(const struct kh_files *f, const char *host, unsigned int port, const char *key_b64,
        bool hash, enum kh_status *st, char **where, char **err)
{
	char *name = lookup_name(host, port), *path = NULL;
	struct skey k;
	int rc = 0;

	*err = NULL;
	skey_init(&k, key_b64);
	pthread_mutex_lock(&cache.record);
	/* Under the lock: another alias of this host may have recorded it since. */
	*st = judge(f, host, port, &k, where);
	if (*st != KH_UNKNOWN)
		goto out;
	if (f->nuser == 0 || (path = expand(f->user[0])) == NULL) {
		*err = f->nuser
		               ? xasprintf("cannot expand the user known_hosts file %s", f->user[0])
		               : xstrdup("UserKnownHostsFile is none: no file to record it in");
		rc = -1;
		goto out;
	}
	/* A certificate from no known CA: its key is recorded, as OpenSSH does. */
	rc = append_key(path, name, k.plain, k.plain_len, hash, err) < 0 ? -1 : 1;
	if (rc == 1)
		log_msg(LOG_DEBUG, "known_hosts %s: recorded %s%s", path, name,
		        hash ? " (hashed)" : "");
out:
	pthread_mutex_unlock(&cache.record);
	skey_free(&k);
	free(path);
	free(name);
	return rc;
}

/* The lines of every file naming name, appended to out as libssh reads them, named as. */
static size_t
session_lines(const struct kh_files *f, const char *name, const char *as, struct buf *out, bool *ca)
{
	char *path;
	size_t i, n, nphys, named = 0;

	for (i = 0; i < f->nuser + f->nglobal; i++) {
		path = expand(i < f->nuser ? f->user[i] : f->global[i - f->nuser]);
		if (path == NULL) {
			log_msg(LOG_VERBOSE, "known_hosts %s: escape not supported, file skipped",
			        i < f->nuser ? f->user[i] : f->global[i - f->nuser]);
			continue;
		}
		n = file_judge(path, name, NULL, NULL, out, as, ca, &nphys);
		named += n;
		if (nphys > 0)
			log_msg(LOG_DEBUG, "known_hosts %s: %zu of %zu lines can name %s", path, n,
			        nphys, name);
		free(path);
	}
	return named;
}

int
kh_session_fd(const struct kh_files *f, const char *host, unsigned int port, const char *as_host,
        unsigned int as_port, bool *ca)
{
	char *name = lookup_name(host, port), *bare;
	char *as = lookup_name(as_host ? as_host : host, as_host ? as_port : port);
	struct buf out;
	int fd = -1;

	*ca = false;
	buf_init(&out);
	/* No "[host]:port" line: the bare name's, as judge() falls back to them. */
	if (session_lines(f, name, as, &out, ca) == 0 && port != 0 && port != 22) {
		bare = lookup_name(host, 0);
		session_lines(f, bare, as, &out, ca);
		free(bare);
	}
	if (out.len > 0 && (fd = memfd_create("shoal-known_hosts", MFD_CLOEXEC)) >= 0 &&
	        write(fd, out.p, out.len) != (ssize_t)out.len) {
		close(fd);
		fd = -1;
	}
	buf_free(&out);
	free(name);
	free(as);
	return fd;
}

void
kh_free(void)
{
	struct khfile *f, *next;

	pthread_rwlock_wrlock(&cache.lock);
	for (f = cache.files; f != NULL; f = next) {
		next = f->next;
		file_free(f);
	}
	cache.files = NULL;
	pthread_rwlock_unlock(&cache.lock);
}

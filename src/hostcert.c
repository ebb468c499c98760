/*
 * hostcert.c - OpenSSH host certificates, as a server presents them in the
 * key exchange, checked the way OpenSSH's client checks them
 * (PROTOCOL.certkeys): the certificate is a key blob holding the host's
 * key, a serial, its kind (host), principals, a validity interval, critical
 * options and extensions, the CA's key and the CA's signature over all that
 * precedes the signature.
 *
 * Only parsing is done here; the signature is verified by OpenSSL (EVP,
 * with the CA key rebuilt from its blob): no cryptography of shoal's own.
 * Which CA keys a host trusts (@cert-authority) and which are revoked is
 * knownhosts.c's business.  hostcert_fetch asks a server for its
 * certificate, which libssh 0.10 cannot receive (see there).  Threads:
 * any; no state.
 */
#include "config.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cancel.h"
#include "hostcert.h"
#include "wait.h"
#include "xmalloc.h"

#define CERT_SUFFIX "-cert-v01@openssh.com"

/* A reader over SSH wire data: strings, uint32, uint64. */
struct rd {
	const unsigned char *p;
	size_t n;
};

static bool
rd_u32(struct rd *r, uint32_t *v)
{
	if (r->n < 4)
		return false;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->n -= 4;
	return true;
}

static bool
rd_u64(struct rd *r, uint64_t *v)
{
	uint32_t hi, lo;

	if (!rd_u32(r, &hi) || !rd_u32(r, &lo))
		return false;
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

static bool
rd_str(struct rd *r, const unsigned char **s, size_t *len)
{
	uint32_t l;

	if (!rd_u32(r, &l) || l > r->n)
		return false;
	*s = r->p;
	*len = l;
	r->p += l;
	r->n -= l;
	return true;
}

static bool
str_is(const unsigned char *s, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(s, want, n) == 0;
}

/* How many public-key fields (SSH strings) follow the nonce for a type, or 0. */
static int
key_fields(const unsigned char *type, size_t n)
{
	if (str_is(type, n, "ssh-ed25519"))
		return 1;
	if (str_is(type, n, "ssh-rsa") || str_is(type, n, "ecdsa-sha2-nistp256") ||
	        str_is(type, n, "ecdsa-sha2-nistp384") || str_is(type, n, "ecdsa-sha2-nistp521"))
		return 2;
	return 0;
}

bool
hostcert_is_cert(const unsigned char *blob, size_t len)
{
	struct rd r = {blob, len};
	const unsigned char *t;
	size_t tl, sl = strlen(CERT_SUFFIX);

	return rd_str(&r, &t, &tl) && tl > sl && memcmp(t + tl - sl, CERT_SUFFIX, sl) == 0;
}

void
hostcert_free(struct hostcert *c)
{
	free(c->plain);
	memset(c, 0, sizeof *c);
}

int
hostcert_parse(const unsigned char *blob, size_t len, struct hostcert *c, const char **why)
{
	struct rd r = {blob, len}, o;
	const unsigned char *type, *s, *fields, *name;
	size_t tl, sl, n, base, nl, i;
	int nf;

	memset(c, 0, sizeof *c);
	c->blob = blob;
	c->len = len;
	if (!hostcert_is_cert(blob, len)) {
		*why = "not a certificate";
		return -1;
	}
	rd_str(&r, &type, &tl);
	base = tl - strlen(CERT_SUFFIX);
	if ((nf = key_fields(type, base)) == 0) {
		*why = "certificate key type not supported";
		return -1;
	}
	if (!rd_str(&r, &s, &sl)) /* nonce */
		goto bad;
	fields = r.p;
	for (i = 0; i < (size_t)nf; i++) {
		if (!rd_str(&r, &s, &sl))
			goto bad;
	}
	/* The host's own key: the plain type name, then the same fields. */
	n = (size_t)(r.p - fields);
	c->plain_len = 4 + base + n;
	c->plain = xmalloc(c->plain_len);
	c->plain[0] = (unsigned char)(base >> 24);
	c->plain[1] = (unsigned char)(base >> 16);
	c->plain[2] = (unsigned char)(base >> 8);
	c->plain[3] = (unsigned char)base;
	memcpy(c->plain + 4, type, base);
	memcpy(c->plain + 4 + base, fields, n);
	if (!rd_u64(&r, &c->serial) || !rd_u32(&r, &c->kind) ||
	        !rd_str(&r, &c->key_id, &c->key_id_len) ||
	        !rd_str(&r, &c->principals, &c->principals_len) || !rd_u64(&r, &c->valid_after) ||
	        !rd_u64(&r, &c->valid_before) || !rd_str(&r, &s, &sl))
		goto bad;
	for (o.p = s, o.n = sl; o.n > 0; c->ncritical++) {
		if (!rd_str(&o, &name, &nl) || !rd_str(&o, &s, &sl))
			goto bad;
	}
	if (!rd_str(&r, &s, &sl) || !rd_str(&r, &s, &sl) || /* extensions, reserved */
	        !rd_str(&r, &c->ca, &c->ca_len))
		goto bad;
	c->signed_len = (size_t)(r.p - blob);
	if (!rd_str(&r, &c->sig, &c->sig_len) || r.n != 0)
		goto bad;
	return 0;
bad:
	*why = "certificate is truncated or malformed";
	hostcert_free(c);
	return -1;
}

/* ---- the CA's signature, verified by OpenSSL ---------------------------------- */

static BIGNUM *
mpint(const unsigned char *s, size_t n)
{
	/* Certificates hold positive values; a leading zero byte only marks the sign. */
	return n == 0 || (s[0] & 0x80) ? NULL : BN_bin2bn(s, (int)n, NULL);
}

/*
 * The CA key as an OpenSSL key, and the digest its signature algorithm
 * uses (NULL for ed25519); NULL with *why when it cannot be one.
 */
static EVP_PKEY *
ca_key(const struct hostcert *c, const unsigned char *alg, size_t alen, const EVP_MD **md,
        const char **why)
{
	struct rd r = {c->ca, c->ca_len};
	const unsigned char *type, *a, *b;
	size_t tl, al, bl;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *e = NULL, *n = NULL;
	const char *group = NULL, *kt = NULL;

	*md = NULL;
	*why = "CA key is malformed";
	if (!rd_str(&r, &type, &tl) || !rd_str(&r, &a, &al))
		return NULL;
	if (str_is(type, tl, "ssh-ed25519")) {
		*why = "signature algorithm does not match the CA key";
		if (!str_is(alg, alen, "ssh-ed25519") || r.n != 0)
			return NULL;
		*why = "CA key is malformed";
		return al == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, a, al) : NULL;
	}
	if (!rd_str(&r, &b, &bl) || r.n != 0)
		return NULL;
	if (str_is(type, tl, "ssh-rsa")) {
		/* ssh-rsa (SHA-1) CA signatures are refused, as OpenSSH does since 8.2. */
		if (str_is(alg, alen, "rsa-sha2-256"))
			*md = EVP_sha256();
		else if (str_is(alg, alen, "rsa-sha2-512"))
			*md = EVP_sha512();
		else
			*why = "signature algorithm refused for an RSA CA (want rsa-sha2-256 or "
			       "512)";
		kt = "RSA";
	} else if (str_is(type, tl, "ecdsa-sha2-nistp256")) {
		*md = EVP_sha256();
		group = "prime256v1";
	} else if (str_is(type, tl, "ecdsa-sha2-nistp384")) {
		*md = EVP_sha384();
		group = "secp384r1";
	} else if (str_is(type, tl, "ecdsa-sha2-nistp521")) {
		*md = EVP_sha512();
		group = "secp521r1";
	} else {
		*why = "CA key type not supported";
		return NULL;
	}
	if (*md == NULL)
		return NULL;
	if (group != NULL && !(alen == tl && memcmp(alg, type, tl) == 0)) {
		*why = "signature algorithm does not match the CA key";
		return NULL;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		goto out;
	if (group != NULL) {
		kt = "EC";
		if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
		        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, b, bl))
			goto out;
	} else {
		if ((e = mpint(a, al)) == NULL || (n = mpint(b, bl)) == NULL ||
		        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			goto out;
	}
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	        (ctx = EVP_PKEY_CTX_new_from_name(NULL, kt, NULL)) == NULL ||
	        EVP_PKEY_fromdata_init(ctx) <= 0 ||
	        EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	return pk;
}

/* An SSH ECDSA signature (mpint r, mpint s) in the DER form OpenSSL verifies; owned. */
static unsigned char *
ecdsa_der(const unsigned char *sig, size_t n, size_t *dlen)
{
	struct rd r = {sig, n};
	const unsigned char *a, *b;
	size_t al, bl;
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *der = NULL, *p;
	int len;

	if (!rd_str(&r, &a, &al) || !rd_str(&r, &b, &bl) || r.n != 0 ||
	        (br = mpint(a, al)) == NULL || (bs = mpint(b, bl)) == NULL ||
	        (es = ECDSA_SIG_new()) == NULL || !ECDSA_SIG_set0(es, br, bs))
		goto out;
	br = bs = NULL; /* es owns them */
	if ((len = i2d_ECDSA_SIG(es, NULL)) <= 0)
		goto out;
	der = xmalloc((size_t)len);
	p = der;
	if (i2d_ECDSA_SIG(es, &p) != len) {
		free(der);
		der = NULL;
		goto out;
	}
	*dlen = (size_t)len;
out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return der;
}

/* 0 when the CA's signature over the certificate verifies, else -1 with *why. */
static int
verify_signature(const struct hostcert *c, const char **why)
{
	struct rd r = {c->sig, c->sig_len};
	const unsigned char *alg, *s;
	size_t alen, sl, dlen = 0;
	const EVP_MD *md;
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *der = NULL;
	int rc = -1;

	if (!rd_str(&r, &alg, &alen) || !rd_str(&r, &s, &sl) || r.n != 0) {
		*why = "signature is malformed";
		return -1;
	}
	if ((pk = ca_key(c, alg, alen, &md, why)) == NULL)
		return -1;
	if (EVP_PKEY_base_id(pk) == EVP_PKEY_EC) {
		if ((der = ecdsa_der(s, sl, &dlen)) == NULL) {
			*why = "signature is malformed";
			goto out;
		}
		s = der;
		sl = dlen;
	}
	*why = "signature does not verify with the CA key";
	if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestVerifyInit(ctx, NULL, md, NULL, pk) <= 0)
		goto out;
	if (EVP_DigestVerify(ctx, s, sl, c->blob, c->signed_len) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	free(der);
	return rc;
}

/* ---- the checks ----------------------------------------------------------------- */

static bool
has_principal(const struct hostcert *c, const char *name)
{
	struct rd r = {c->principals, c->principals_len};
	const unsigned char *p;
	size_t pl;

	while (r.n > 0 && rd_str(&r, &p, &pl)) {
		if (str_is(p, pl, name))
			return true;
	}
	return false;
}

int
hostcert_check(const struct hostcert *c, const char *name, uint64_t now, char **why)
{
	const char *sw = NULL;

	*why = NULL;
	if (c->kind != 2)
		*why = xasprintf("certificate is not a host certificate (type %u)", c->kind);
	else if (c->principals_len == 0)
		*why = xstrdup("certificate names no principal");
	else if (!has_principal(c, name))
		*why = xasprintf("certificate does not name %s among its principals", name);
	else if (now < c->valid_after)
		*why = xasprintf("certificate is not valid before %llu (epoch seconds)",
		        (unsigned long long)c->valid_after);
	else if (now >= c->valid_before)
		*why = xasprintf("certificate expired at %llu (epoch seconds)",
		        (unsigned long long)c->valid_before);
	else if (c->ncritical > 0)
		*why = xstrdup("certificate has critical options (none is defined for hosts)");
	else if (hostcert_is_cert(c->ca, c->ca_len))
		*why = xstrdup("certificate is signed by a certificate, not a CA key");
	else if (verify_signature(c, &sw) < 0)
		*why = xstrdup(sw);
	return *why == NULL ? 0 : -1;
}

/* ---- key revocation lists (PROTOCOL.krl) ------------------------------------------ */

/* The certificate subsections of one CA's section: is c revoked? */
static int
krl_certs(struct rd *r, const struct hostcert *c)
{
	const unsigned char *d, *s;
	size_t dl, sl, bit;
	uint64_t a, b;
	struct rd sub;
	unsigned char type;

	while (r->n > 0) {
		type = r->p[0];
		r->p++;
		r->n--;
		if (!rd_str(r, &d, &dl))
			return -1;
		sub.p = d;
		sub.n = dl;
		switch (type) {
		case 0x20: /* serial list */
			while (sub.n > 0) {
				if (!rd_u64(&sub, &a))
					return -1;
				if (a == c->serial)
					return 1;
			}
			break;
		case 0x21: /* serial range */
			if (!rd_u64(&sub, &a) || !rd_u64(&sub, &b))
				return -1;
			if (c->serial >= a && c->serial <= b)
				return 1;
			break;
		case 0x22: /* bitmap from an offset: bit i revokes serial offset + i */
			if (!rd_u64(&sub, &a) || !rd_str(&sub, &s, &sl))
				return -1;
			if (c->serial >= a && c->serial - a < (uint64_t)sl * 8) {
				bit = (size_t)(c->serial - a);
				if (s[sl - 1 - bit / 8] & (1u << (bit % 8)))
					return 1;
			}
			break;
		case 0x23: /* key IDs */
			while (sub.n > 0) {
				if (!rd_str(&sub, &s, &sl))
					return -1;
				if (sl == c->key_id_len && memcmp(s, c->key_id, sl) == 0)
					return 1;
			}
			break;
		default: /* extensions: nothing a client must understand */
			break;
		}
	}
	return 0;
}

int
hostcert_krl_revoked(const unsigned char *krl, size_t n, const unsigned char *key, size_t klen,
        const struct hostcert *c, const char **why)
{
	struct rd r = {krl, n}, sec;
	const unsigned char *d, *s, *ca;
	size_t dl, sl, cal;
	uint64_t u64;
	uint32_t version;
	unsigned char type, sha1[20], sha256[32];
	int rev;

	*why = "malformed KRL";
	if (n < 8 || memcmp(krl, "SSHKRL\n", 8) != 0) {
		*why = "not a KRL";
		return -1;
	}
	r.p += 8;
	r.n -= 8;
	if (!rd_u32(&r, &version) || !rd_u64(&r, &u64) || !rd_u64(&r, &u64) || !rd_u64(&r, &u64) ||
	        !rd_str(&r, &s, &sl) || !rd_str(&r, &s, &sl))
		return -1;
	if (version != 1) {
		*why = "KRL format version not supported";
		return -1;
	}
	EVP_Digest(key, klen, sha1, NULL, EVP_sha1(), NULL);
	EVP_Digest(key, klen, sha256, NULL, EVP_sha256(), NULL);
	while (r.n > 0) {
		type = r.p[0];
		r.p++;
		r.n--;
		if (type == 4)
			return 0; /* signatures, to the end: not checked */
		if (!rd_str(&r, &d, &dl))
			return -1;
		sec.p = d;
		sec.n = dl;
		switch (type) {
		case 1: /* certificates of one CA (an empty CA: any) */
			if (!rd_str(&sec, &ca, &cal) || !rd_str(&sec, &s, &sl))
				return -1;
			if (c == NULL ||
			        (cal > 0 && (cal != c->ca_len || memcmp(ca, c->ca, cal) != 0)))
				break;
			if ((rev = krl_certs(&sec, c)) != 0)
				return rev;
			break;
		case 2: /* explicit keys */
		case 3: /* SHA-1 of key blobs */
		case 5: /* SHA-256 of key blobs */
			while (sec.n > 0) {
				if (!rd_str(&sec, &s, &sl))
					return -1;
				if ((type == 2 && sl == klen && memcmp(s, key, klen) == 0) ||
				        (type == 3 && sl == 20 && memcmp(s, sha1, 20) == 0) ||
				        (type == 5 && sl == 32 && memcmp(s, sha256, 32) == 0))
					return 1;
			}
			break;
		default:
			*why = "unknown KRL section";
			return -1;
		}
	}
	return 0;
}

/* ---- fetching a server's certificate ---------------------------------------------- */

/*
 * libssh 0.10's client never offers a certificate host key type, so the
 * server's certificate is asked for over a connection of its own, only as
 * far as the server's key exchange reply (which carries it), and dropped
 * there: nothing of that connection is trusted or kept but the
 * certificate, which must then be for the key the real session proved.
 * Our key exchange public value is 32 random bytes: curve25519 takes any.
 */

struct probe {
	int fd;
	double deadline; /* CLOCK_MONOTONIC seconds */
	unsigned char in[4096];
	size_t have, off;
};

/* Wait for events on p->fd until the deadline; 0, or -1 with *why. */
static int
probe_wait(struct probe *p, short events, const char **why)
{
	struct pollfd pf[2] = {{p->fd, events, 0}, {cancel_fd(), POLLIN, 0}};
	double left;
	int r;

	for (;;) {
		left = p->deadline - wait_now();
		if (left <= 0) {
			*why = "timed out";
			return -1;
		}
		r = poll(pf, pf[1].fd >= 0 ? 2 : 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*why = strerror(errno);
			return -1;
		}
		if (pf[1].fd >= 0 && pf[1].revents != 0) {
			*why = "interrupted";
			return -1;
		}
		if (pf[0].revents != 0)
			return 0;
	}
}

static int
probe_write(struct probe *p, const void *data, size_t n, const char **why)
{
	const unsigned char *d = data;
	ssize_t w;

	while (n > 0) {
		if (probe_wait(p, POLLOUT, why) < 0)
			return -1;
		w = send(p->fd, d, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w < 0) {
			*why = strerror(errno);
			return -1;
		}
		d += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
probe_read(struct probe *p, void *data, size_t n, const char **why)
{
	unsigned char *d = data;
	ssize_t r;
	size_t k;

	while (n > 0) {
		if (p->off == p->have) {
			if (probe_wait(p, POLLIN, why) < 0)
				return -1;
			r = recv(p->fd, p->in, sizeof p->in, 0);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0) {
				*why = r == 0 ? "the server closed the connection"
				              : strerror(errno);
				return -1;
			}
			p->have = (size_t)r;
			p->off = 0;
		}
		k = p->have - p->off < n ? p->have - p->off : n;
		memcpy(d, p->in + p->off, k);
		p->off += k;
		d += k;
		n -= k;
	}
	return 0;
}

static void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
	        (unsigned char)(v >> 8), (unsigned char)v};

	buf_append(b, (const char *)x, 4);
}

static void
put_str(struct buf *b, const void *s, size_t n)
{
	put_u32(b, (uint32_t)n);
	buf_append(b, s, n);
}

/* One unencrypted binary packet (RFC 4253 6) around payload. */
static void
put_packet(struct buf *out, const struct buf *payload)
{
	unsigned char pad[16] = {0};
	size_t padn = 8 - (5 + payload->len) % 8;

	if (padn < 4)
		padn += 8;
	put_u32(out, (uint32_t)(1 + payload->len + padn));
	buf_appendc(out, (char)padn);
	buf_append(out, payload->p, payload->len);
	buf_append(out, (const char *)pad, padn);
}

/* The next packet's payload (free it), or NULL with *why. */
static unsigned char *
probe_packet(struct probe *p, size_t *len, const char **why)
{
	unsigned char hdr[5], *body;
	uint32_t n;

	if (probe_read(p, hdr, 5, why) < 0)
		return NULL;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n < 1 + (uint32_t)hdr[4] + 1 || n > 262144) {
		*why = "bad packet from the server";
		return NULL;
	}
	body = xmalloc(n - 1);
	if (probe_read(p, body, n - 1, why) < 0) {
		free(body);
		return NULL;
	}
	*len = n - 1 - hdr[4];
	return body;
}

/* The certificate types for a plain key type, in our order; NULL: none. */
static const char *
cert_types(const char *keytype)
{
	static const char *const map[][2] = {{"ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com"},
	        {"ssh-rsa", "rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com"},
	        {"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com"},
	        {"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com"},
	        {"ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com"}};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(map[i][0], keytype) == 0)
			return map[i][1];
	}
	return NULL;
}

/* Does the comma list (n bytes) hold one of the names of the comma list want? */
static bool
list_has(const unsigned char *list, size_t n, const char *want)
{
	const char *w = want, *e;
	const unsigned char *p, *c;
	size_t wl;

	for (; *w != '\0'; w = *e ? e + 1 : e) {
		e = strchr(w, ',');
		e = e ? e : w + strlen(w);
		wl = (size_t)(e - w);
		for (p = list; p < list + n; p = c + 1) {
			c = memchr(p, ',', (size_t)(list + n - p));
			c = c ? c : list + n;
			if ((size_t)(c - p) == wl && memcmp(p, w, wl) == 0)
				return true;
		}
	}
	return false;
}

/* The server's KEXINIT: can it answer ours?  NULL, or why not. */
static const char *
server_kexinit(const unsigned char *pk, size_t n, const char *types)
{
	struct rd r = {pk + 1, n - 1};
	const unsigned char *kex, *hk;
	size_t kl, hl;

	if (r.n < 16)
		return "bad key exchange offer from the server";
	r.p += 16; /* cookie */
	r.n -= 16;
	if (!rd_str(&r, &kex, &kl) || !rd_str(&r, &hk, &hl))
		return "bad key exchange offer from the server";
	if (!list_has(hk, hl, types))
		return "the server offers no certificate of the key's type";
	if (!list_has(kex, kl, "curve25519-sha256,curve25519-sha256@libssh.org"))
		return "the server offers no curve25519 key exchange";
	return NULL;
}

/* Speak to p->fd as far as the server's key exchange reply; its host key blob. */
static unsigned char *
probe_talk(struct probe *p, const char *types, size_t *len, const char **why)
{
	static const char *const lists[] = {"curve25519-sha256,curve25519-sha256@libssh.org", NULL,
	        "chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr,aes128-gcm@openssh.com,"
	        "aes256-gcm@openssh.com",
	        NULL, "hmac-sha2-256-etm@openssh.com,hmac-sha2-256,hmac-sha2-512", NULL, "none",
	        "none", "", ""};
	struct buf out, pl;
	unsigned char cookie[16], q[32], c, *pk = NULL, *res = NULL;
	const unsigned char *ks;
	size_t i, n, ksl, lines = 0, ll = 0;
	struct rd r;
	char line[256];

	buf_init(&out);
	buf_init(&pl);
	if (RAND_bytes(cookie, sizeof cookie) != 1 || RAND_bytes(q, sizeof q) != 1) {
		*why = "no random bytes";
		goto out;
	}
	buf_appends(&out, "SSH-2.0-shoal_certprobe\r\n");
	buf_appendc(&pl, 20); /* SSH_MSG_KEXINIT */
	buf_append(&pl, (const char *)cookie, sizeof cookie);
	for (i = 0; i < 10; i++) {
		const char *l = i == 1 ? types : lists[i] ? lists[i] : lists[i - 1];

		put_str(&pl, l, strlen(l));
	}
	buf_appendc(&pl, 0);
	put_u32(&pl, 0);
	put_packet(&out, &pl);
	pl.len = 0;
	buf_appendc(&pl, 30); /* SSH_MSG_KEX_ECDH_INIT */
	put_str(&pl, q, sizeof q);
	put_packet(&out, &pl);
	if (probe_write(p, out.p, out.len, why) < 0)
		goto out;
	/* The server's version line, after any other lines it sends first. */
	for (;;) {
		if (probe_read(p, &c, 1, why) < 0)
			goto out;
		if (c != '\n') {
			if (ll < sizeof line - 1)
				line[ll++] = (char)c;
			continue;
		}
		line[ll] = '\0';
		if (strncmp(line, "SSH-", 4) == 0)
			break;
		ll = 0;
		if (++lines > 64) {
			*why = "no SSH version line from the server";
			goto out;
		}
	}
	for (;;) {
		if ((pk = probe_packet(p, &n, why)) == NULL)
			goto out;
		if (n > 0 && pk[0] == 31) /* SSH_MSG_KEX_ECDH_REPLY */
			break;
		if (n > 0 && pk[0] == 20 && (*why = server_kexinit(pk, n, types)) != NULL)
			goto out;          /* SSH_MSG_KEXINIT that cannot answer ours */
		if (n > 0 && pk[0] == 1) { /* SSH_MSG_DISCONNECT */
			*why = "the server ended the key exchange";
			goto out;
		}
		free(pk);
		pk = NULL;
	}
	r.p = pk + 1;
	r.n = n - 1;
	if (!rd_str(&r, &ks, &ksl)) {
		*why = "bad key exchange reply from the server";
		goto out;
	}
	res = xmalloc(ksl);
	memcpy(res, ks, ksl);
	*len = ksl;
out:
	free(pk);
	buf_free(&out);
	buf_free(&pl);
	return res;
}

int
hostcert_fetch(const struct sockaddr *addr, socklen_t alen, const char *keytype, double timeout,
        unsigned char **blob, size_t *len, char **why)
{
	struct probe p = {.fd = -1, .deadline = wait_now() + timeout};
	const char *types = cert_types(keytype), *w = NULL;
	int err = 0;
	socklen_t el = sizeof err;

	*blob = NULL;
	*why = NULL;
	if (types == NULL) {
		*why = xasprintf("no certificate type for %s keys", keytype);
		return -1;
	}
	p.fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p.fd < 0) {
		w = strerror(errno);
		goto out;
	}
	if (connect(p.fd, addr, alen) < 0 && errno != EINPROGRESS) {
		w = strerror(errno);
		goto out;
	}
	if (probe_wait(&p, POLLOUT, &w) < 0)
		goto out;
	if (getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0) {
		w = strerror(err ? err : errno);
		goto out;
	}
	*blob = probe_talk(&p, types, len, &w);
out:
	if (p.fd >= 0)
		close(p.fd);
	if (*blob == NULL)
		*why = xstrdup(w ? w : "failed");
	return *blob ? 0 : -1;
}

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
 * knownhosts.c's business.  Threads: any; no state.
 */
#include "config.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

#include "hostcert.h"
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
	if (!rd_u64(&r, &c->serial) || !rd_u32(&r, &c->kind) || !rd_str(&r, &s, &sl) ||
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

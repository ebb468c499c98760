/*
 * fuzz-hostcert.c - fuzz target for the host certificate parser and the
 * KRL reader (hostcert.c): the input is a certificate blob, optionally
 * followed by a KRL (from its "SSHKRL\n\0" magic on).  A certificate that
 * parses is checked (principals, validity, signature) and looked up in the
 * KRL; without one, the input's first bytes stand for a plain key.
 *
 * Invariant: what a parsed certificate points to lies inside its blob.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hostcert.h"

const char fuzz_alphabet[] = "\x01\x02\x03\x04\x07\x08\x10\x20\x40\x7f\x80\xff"
                             "ssh-ed25519-cert-v01@openssh.comrsaecdsa-sha2-nistp256SSHKRL\n";

static const char magic[] = "SSHKRL\n";

static void
inside(const struct hostcert *c, const unsigned char *p, size_t n)
{
	if (n > 0 && (p < c->blob || p + n > c->blob + c->len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hostcert c;
	const uint8_t *krl = NULL;
	const char *why = NULL;
	char *err = NULL;
	size_t clen = size, klen = 0, i;
	unsigned char *blob;
	bool parsed;

	for (i = 0; i + sizeof magic <= size; i++) {
		if (memcmp(data + i, magic, sizeof magic) == 0) {
			krl = data + i;
			klen = size - i;
			clen = i;
			break;
		}
	}
	/* Exactly clen bytes, so that a read past them is ASan's to see. */
	blob = malloc(clen ? clen : 1);
	if (blob == NULL)
		return 0;
	memcpy(blob, data, clen);
	hostcert_is_cert(blob, clen);
	memset(&c, 0, sizeof c);
	parsed = hostcert_parse(blob, clen, &c, &why) == 0;
	if (parsed) {
		if (c.blob != blob || c.len != clen || c.signed_len > c.len)
			abort();
		inside(&c, c.key_id, c.key_id_len);
		inside(&c, c.principals, c.principals_len);
		inside(&c, c.ca, c.ca_len);
		inside(&c, c.sig, c.sig_len);
		if (hostcert_check(&c, "host", 1700000000, &err) < 0)
			free(err);
		err = NULL;
		if (hostcert_check(&c, "other.example", 0, &err) < 0)
			free(err);
	} else if (why == NULL) {
		abort();
	}
	if (krl != NULL) {
		if (parsed)
			hostcert_krl_revoked(krl, klen, c.plain, c.plain_len, &c, &why);
		else
			hostcert_krl_revoked(krl, klen, blob, clen, NULL, &why);
	}
	if (parsed)
		hostcert_free(&c);
	free(blob);
	return 0;
}

/*
 * fuzz-certprobe.c - fuzz target for what hostcert_fetch reads from a
 * server: its version line (after other lines), its packets, its KEXINIT
 * and the host key blob of its key exchange reply.  The input is all the
 * server sends (after a first byte: bit 0 asks for an RSA host's
 * certificate); the probe talks over one end of a socketpair whose other
 * end holds it and then EOF.  A blob it returns goes on to
 * hostcert_parse, as in shoal.
 *
 * src/hostcert.c is compiled into this file to reach probe_talk (static):
 * production code stays as it is.
 */
#include "config.h"

#include <sys/socket.h>

#include "fuzz.h"

#include "hostcert.c"

const char fuzz_alphabet[] = "\x01\x04\x08\x14\x1e\x1f\x7f\x80\xff\r\nSSH-2.0-"
                             "curve25519-sha256,ssh-ed25519-cert-v01@openssh.com";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe p = {.fd = -1};
	struct hostcert c;
	unsigned char *blob;
	const char *why = NULL;
	size_t len = 0;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	/* Bit 0 of the first byte: an RSA host; the rest is what the server sends. */
	if (size > 1 && send(sv[1], data + 1, size - 1, MSG_NOSIGNAL) != (ssize_t)(size - 1))
		abort(); /* fuzz-main's inputs (8 kB at most) fit the socket's buffer */
	shutdown(sv[1], SHUT_WR);
	p.fd = sv[0];
	p.deadline = wait_now() + 10;
	blob = probe_talk(
	        &p, cert_types(size > 0 && data[0] & 1 ? "ssh-rsa" : "ssh-ed25519"), &len, &why);
	if (blob == NULL && why == NULL)
		abort();
	if (blob != NULL) {
		if (hostcert_parse(blob, len, &c, &why) == 0)
			hostcert_free(&c);
		free(blob);
	}
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/*
 * fuzz-knownhosts.c - fuzz target for the known_hosts reader and matcher:
 * the input is a known_hosts file (and, after a NUL, a host certificate
 * blob).  It is judged for a few names with the key of the seeds
 * (tests/fuzz/corpus-knownhosts), as RevokedHostKeys too when the first
 * byte's bit 1 is set, its lines for libssh extracted, and a new host
 * recorded (hashed when bit 0 is set; port 2222 when bit 2 is).
 *
 * Invariants: a host just recorded is known, and what the cached copy
 * (with shoal's append added in place) says of every name is what the file
 * read afresh says.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "knownhosts.h"

const char fuzz_alphabet[] = "@revoked@cert-authority |1|=,!*?[]:2222 \t\r\n#hostHOST.example"
                             "ssh-ed25519AAAAC3NzaC1lZDI1NTE5+/";

/* The host key of the seeds; their certificate is for it. */
static const char key[] = "AAAAC3NzaC1lZDI1NTE5AAAAIFGa/QH7bHk5zxUVNyiiIjKaswQ3hM/eC5xAolNlNiQv";

static const char *const names[] = {"host", "host.example", "10.0.0.1", "other", "newhost"};
#define NNAMES (sizeof names / sizeof names[0])

static char dir[64], path[96], global[96];

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static void
judge_all(const struct kh_files *f, unsigned port, enum kh_status *st)
{
	char *where;
	size_t i;

	for (i = 0; i < NNAMES; i++) {
		where = NULL;
		st[i] = kh_check(f, names[i], port, key, &where);
		free(where);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kh_files f;
	enum kh_status st, cached[NNAMES], fresh[NNAMES];
	const uint8_t *text, *cert;
	const char *unused;
	char *where = NULL, *err = NULL;
	size_t tlen, clen, i;
	unsigned port;
	bool ca;
	FILE *fp;
	int fd, rc;

	if (path[0] == '\0') {
		/* Files in memory where there is a tmpfs: a disk's /tmp is slower. */
		snprintf(dir, sizeof dir, "%s/shoal-fuzz-kh.XXXXXX",
		        access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(path, sizeof path, "%s/known_hosts", dir);
		snprintf(global, sizeof global, "%s/absent", dir);
		atexit(cleanup);
	}
	if (size == 0)
		return 0;
	port = data[0] & 4 ? 2222 : 22;
	text = data + 1;
	cert = memchr(text, '\0', size - 1);
	tlen = cert ? (size_t)(cert - text) : size - 1;
	clen = cert ? size - 1 - tlen - 1 : 0;
	if (cert)
		cert++;
	if ((fp = fopen(path, "wb")) == NULL || fwrite(text, 1, tlen, fp) != tlen || fclose(fp))
		abort();

	kh_files_set(&f, path, global);
	if (data[0] & 2)
		kh_files_revoked(&f, path);
	judge_all(&f, port, cached);
	if (clen > 0) {
		unused = NULL;
		kh_check_cert(&f, "host", port, key, cert, clen, &where, &unused);
		free(where);
		where = NULL;
	}
	fd = kh_session_fd(&f, "host", port, NULL, 0, &ca);
	if (fd >= 0)
		close(fd);
	rc = kh_record(&f, "newhost", port, key, data[0] & 1, &st, &where, &err);
	free(where);
	free(err);
	judge_all(&f, port, cached);
	if (rc == 1 && cached[NNAMES - 1] != KH_OK)
		abort();
	kh_free();
	judge_all(&f, port, fresh);
	for (i = 0; i < NNAMES; i++) {
		if (cached[i] != fresh[i])
			abort();
	}
	kh_free();
	kh_files_free(&f);
	return 0;
}

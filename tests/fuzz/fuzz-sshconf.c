/*
 * fuzz-sshconf.c - fuzz target for the ssh_config tokenizer, checker and
 * evaluator (sshconf.c): the input is loaded as the -F file, evaluated for
 * a few hosts and printed as ssh -G prints it.
 *
 * Inputs naming Match exec, Include or canonicalisation are skipped: they
 * would run commands, read files chosen by the fuzzer, or ask DNS.  The
 * complaints sshconf.c prints go to /dev/null (stderr is swapped for the
 * process; the sanitizers write to fd 2 still).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fuzz.h"
#include "sshconf.h"

const char fuzz_alphabet[] = "Host Match User Port HostName ProxyJump ProxyCommand IdentityFile "
                             "all final user host originalhost !*?,=\"'\\#%%hrnpCdu${}~ \t\n-+^";

static char dir[64], path[96];
static FILE *devnull;

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

/* Does text name word anywhere, in any case? */
static bool
names(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (; *text; text++) {
		if (strncasecmp(text, word, n) == 0)
			return true;
	}
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = {"host", "web1.example", "10.0.0.1", "-x", ""};
	static const char *const kws[] = {"ProxyJump", "ControlMaster", NULL};
	const char *ids[] = {"~/.ssh/id_fuzz"};
	struct sshconf_host h;
	char *text, *err;
	size_t i;
	FILE *fp;

	if (path[0] == '\0') {
		/* Files in memory where there is a tmpfs: a disk's /tmp is slower. */
		snprintf(dir, sizeof dir, "%s/shoal-fuzz-conf.XXXXXX",
		        access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (mkdtemp(dir) == NULL || (devnull = fopen("/dev/null", "w")) == NULL)
			abort();
		snprintf(path, sizeof path, "%s/config", dir);
		atexit(cleanup);
		stderr = devnull;
	}
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (names(text, "exec") || names(text, "include") || names(text, "canonical")) {
		free(text);
		return 0;
	}
	if ((fp = fopen(path, "wb")) == NULL || fwrite(data, 1, size, fp) != size || fclose(fp))
		abort();
	if (sshconf_load(path) == 0) {
		for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
			err = NULL;
			if (sshconf_eval(hosts[i], i % 2 ? "root" : NULL, i % 3 ? 0 : 2222, ids,
			            i % 2, &h, &err) < 0) {
				if (err == NULL)
					abort();
				free(err);
				continue;
			}
			sshconf_print(devnull, &h);
			sshconf_policy(&h);
			sshconf_host_free(&h);
		}
		sshconf_names(NULL, kws);
	}
	sshconf_free();
	free(text);
	return 0;
}

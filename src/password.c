/*
 * password.c - the run's one password: from an environment variable, or
 * asked once on the terminal without echo.
 *
 * Runs on the main thread before any other starts (unsetenv and the signal
 * handlers of the prompt are not for threaded code).  Every copy of the
 * password that shoal makes is wiped before it is freed: the prompt grows
 * its buffer by hand for that, since realloc would leave the old bytes
 * behind.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "password.h"
#include "xmalloc.h"

extern char **environ;

static int dumpable_before = -1; /* PR_GET_DUMPABLE before a password came */

/* A password being typed; grows without leaving copies behind. */
struct secret {
	char *p;
	size_t len, cap;
};

static void
secret_append(struct secret *s, char c)
{
	if (s->len + 1 >= s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char *p = xmalloc(cap);

		if (s->p != NULL) {
			memcpy(p, s->p, s->len);
			explicit_bzero(s->p, s->cap);
			free(s->p);
		}
		s->p = p;
		s->cap = cap;
	}
	s->p[s->len++] = c;
	s->p[s->len] = '\0';
}

static void
secret_wipe(struct secret *s)
{
	if (s->p != NULL) {
		explicit_bzero(s->p, s->cap);
		free(s->p);
	}
	s->p = NULL;
	s->len = s->cap = 0;
}

static volatile sig_atomic_t prompt_signal, prompt_stopped;

static void
prompt_interrupted(int sig)
{
	prompt_signal = sig;
}

static void
prompt_stop(int sig)
{
	prompt_stopped = 1;
}

/*
 * Ctrl-Z at the prompt: give the terminal its echo back, stop as the shell
 * expects, and on fg take echo away again and ask anew.
 */
static bool
prompt_suspend(int fd, const struct termios *old, const struct termios *quiet)
{
	struct sigaction dfl, mine;

	prompt_stopped = 0;
	tcsetattr(fd, TCSAFLUSH, old);
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGTSTP, &dfl, &mine);
	raise(SIGTSTP); /* stopped here until SIGCONT */
	sigaction(SIGTSTP, &mine, NULL);
	tcsetattr(fd, TCSAFLUSH, quiet);
	return write(fd, "\nPassword: ", 11) == 11;
}

/*
 * Read a password from the terminal, without echo.  A signal that would end
 * shoal at the prompt (Ctrl-C, a hang-up) first gives the terminal its echo
 * back, then ends shoal as it would have; Ctrl-Z gives it back while shoal
 * is stopped, and asks again after fg.  NULL: no terminal to ask on.
 */
static char *
ask_password(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
	struct sigaction sa, old_sa[sizeof sigs / sizeof sigs[0]];
	struct termios old, quiet;
	struct secret s = {NULL, 0, 0};
	char c;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	bool asked;
	size_t i;

	if (fd < 0)
		return NULL;
	if (tcgetattr(fd, &old) < 0) {
		close(fd);
		return NULL;
	}
	/* No SA_RESTART: the signal must interrupt the read. */
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		sa.sa_handler = sigs[i] == SIGTSTP ? prompt_stop : prompt_interrupted;
		sigaction(sigs[i], &sa, &old_sa[i]);
		if (old_sa[i].sa_handler == SIG_IGN)
			sigaction(sigs[i], &old_sa[i], NULL);
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	/* Echo goes off before the prompt shows: nothing typed after it is echoed. */
	tcsetattr(fd, TCSAFLUSH, &quiet);
	asked = write(fd, "Password: ", 10) == 10;
	while (asked && !prompt_signal) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR && prompt_stopped) {
			/* A new prompt, a new answer: what was typed before goes. */
			secret_wipe(&s);
			asked = prompt_suspend(fd, &old, &quiet);
			continue;
		}
		if (n != 1 || c == '\n' || c == '\r')
			break;
		secret_append(&s, c);
	}
	explicit_bzero(&c, sizeof c);
	tcsetattr(fd, TCSAFLUSH, &old);
	if (asked && write(fd, "\n", 1) < 0) {
		/* The line is cosmetic; the password is read. */
	}
	close(fd);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &old_sa[i], NULL);
	if (prompt_signal) {
		secret_wipe(&s);
		raise(prompt_signal);
		exit(128 + prompt_signal);
	}
	if (!asked) {
		secret_wipe(&s);
		return NULL;
	}
	return s.p != NULL ? s.p : xstrdup("");
}

/*
 * The value of environment variable name, copied; the original bytes are
 * wiped in place (every definition of it) and the variable removed.  NULL
 * when it is not set.
 */
static char *
take_from_env(const char *name)
{
	size_t len = strlen(name);
	char **e, *v, *copy = NULL;

	for (e = environ; *e != NULL; e++) {
		if (strncmp(*e, name, len) != 0 || (*e)[len] != '=')
			continue;
		v = *e + len + 1;
		if (copy == NULL)
			copy = xstrdup(v); /* the first, as getenv would */
		explicit_bzero(v, strlen(v));
	}
	if (copy != NULL)
		unsetenv(name);
	return copy;
}

int
password_get(const struct options *o, char **password)
{
	*password = NULL;
	if (o->password_env == NULL && !o->ask_password)
		return 0;
	/* Before the first byte is read, not after. */
	dumpable_before = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (o->password_env != NULL) {
		*password = take_from_env(o->password_env);
		if (*password == NULL) {
			if (o->password_env_where != NULL)
				log_msg(LOG_QUIET,
				        "%s: password-env: environment variable %s is not set",
				        o->password_env_where, o->password_env);
			else
				log_msg(LOG_QUIET,
				        "--password-env: environment variable %s is not set",
				        o->password_env);
			return 2;
		}
	} else {
		*password = ask_password();
		if (*password == NULL) {
			log_msg(LOG_QUIET, "--ask-password: no terminal to ask on");
			return 2;
		}
	}
	return 0;
}

void
password_free(char *password)
{
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	/* Sanitizers' leak check at exit attaches with ptrace: let it. */
	if (dumpable_before == 1)
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	dumpable_before = -1;
}

/*
 * errkind.h - the error kinds of SPEC section 3 and the phases of a host's life.
 *
 * One table (errkind.c) says for every kind its stable name, the phase it
 * belongs to, whether it is retried and how it counts towards the exit status.
 * The summary, the JSON output and the live view all read that table.
 */
#ifndef SHOAL_ERRKIND_H
#define SHOAL_ERRKIND_H

#include <stdbool.h>

/* The timed phases of one attempt, in order. */
enum phase {
	PHASE_CONNECT,
	PHASE_BANNER,
	PHASE_KEX,
	PHASE_AUTH,
	PHASE_RUN,
	PHASE__COUNT,
	PHASE_ANY = PHASE__COUNT,
};

enum err_kind {
	EK_NONE,
	EK_RESOLVE,
	EK_LOCAL,
	EK_REFUSED,
	EK_CONNECT_TIMEOUT,
	EK_BANNER_TIMEOUT,
	EK_BANNER_CLOSED,
	EK_THROTTLED,
	EK_PROXY_FAILED,
	EK_NOT_SSH,
	EK_KEX_FAILED,
	EK_KEX_TIMEOUT,
	EK_HOSTKEY_UNKNOWN,
	EK_HOSTKEY_CHANGED,
	EK_HOSTKEY_REVOKED,
	EK_AUTH_DENIED,
	EK_AUTH_TIMEOUT,
	EK_CHANNEL,
	EK_COMMAND_TIMEOUT,
	EK_PROMPT, /* the output ends in a prompt nothing will answer */
	EK_LOST,
	EK_SIGNAL,
	EK_EXIT_NONZERO,
	EK_TRANSFER,
	EK_CANCELLED,
	EK_SKIPPED, /* --max-fail or a failed batch kept it from starting: a status, not a fault */
	EK__COUNT,
};

/* How a kind counts towards the process exit status (SPEC section 4). */
enum err_class {
	EC_OK,          /* no error */
	EC_RESULT,      /* the command ran and said no: exit 1 */
	EC_UNREACHED,   /* could not reach, authenticate or finish: exit 3 */
	EC_SKIPPED,     /* the failure budget stopped the run: exit 4 */
	EC_INTERRUPTED, /* the user stopped the run: exit 130 */
};

struct err_kind_info {
	const char *name;
	enum phase phase;
	bool retried;
	enum err_class class;
};

const struct err_kind_info *errkind_info(enum err_kind kind);
const char *errkind_name(enum err_kind kind);
/* The kind of a name errkind_name gives (a warm run's frames carry them); EK__COUNT: none. */
enum err_kind errkind_by_name(const char *name);
/* "connect", "banner", "kex", "auth", "run": the keys of phases_ms in JSON. */
const char *errkind_phase_key(enum phase phase);
/* The phase whose key is key ("any" included); -1 when none is. */
int errkind_phase_by_key(const char *key);
/* "connecting", "banner", "kex", "auth", "running": as shown to people. */
const char *errkind_phase_name(enum phase phase);

#endif

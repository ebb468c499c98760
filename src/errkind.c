/*
 * errkind.c - the table of error kinds.  The names are a contract (SPEC
 * section 3): scripts match on them.  Keep the rows in enum order.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "errkind.h"

static const struct err_kind_info errkind_table[EK__COUNT] = {
        [EK_NONE] = {"none", PHASE_ANY, false, EC_OK},
        [EK_RESOLVE] = {"resolve", PHASE_CONNECT, false, EC_UNREACHED},
        [EK_LOCAL] = {"local", PHASE_CONNECT, true, EC_UNREACHED},
        [EK_REFUSED] = {"refused", PHASE_CONNECT, true, EC_UNREACHED},
        [EK_CONNECT_TIMEOUT] = {"connect_timeout", PHASE_CONNECT, true, EC_UNREACHED},
        [EK_BANNER_TIMEOUT] = {"banner_timeout", PHASE_BANNER, true, EC_UNREACHED},
        [EK_BANNER_CLOSED] = {"banner_closed", PHASE_BANNER, true, EC_UNREACHED},
        [EK_THROTTLED] = {"throttled", PHASE_BANNER, true, EC_UNREACHED},
        [EK_PROXY_FAILED] = {"proxy_failed", PHASE_CONNECT, true, EC_UNREACHED},
        [EK_NOT_SSH] = {"not_ssh", PHASE_BANNER, false, EC_UNREACHED},
        [EK_KEX_FAILED] = {"kex_failed", PHASE_KEX, false, EC_UNREACHED},
        [EK_KEX_TIMEOUT] = {"kex_timeout", PHASE_KEX, true, EC_UNREACHED},
        [EK_HOSTKEY_UNKNOWN] = {"hostkey_unknown", PHASE_KEX, false, EC_UNREACHED},
        [EK_HOSTKEY_CHANGED] = {"hostkey_changed", PHASE_KEX, false, EC_UNREACHED},
        [EK_HOSTKEY_REVOKED] = {"hostkey_revoked", PHASE_KEX, false, EC_UNREACHED},
        [EK_AUTH_DENIED] = {"auth_denied", PHASE_AUTH, false, EC_UNREACHED},
        [EK_AUTH_TIMEOUT] = {"auth_timeout", PHASE_AUTH, true, EC_UNREACHED},
        [EK_CHANNEL] = {"channel", PHASE_RUN, false, EC_UNREACHED},
        [EK_COMMAND_TIMEOUT] = {"command_timeout", PHASE_RUN, false, EC_UNREACHED},
        [EK_PROMPT] = {"prompt", PHASE_RUN, false, EC_UNREACHED},
        [EK_LOST] = {"lost", PHASE_RUN, false, EC_UNREACHED},
        [EK_SIGNAL] = {"signal", PHASE_RUN, false, EC_RESULT},
        [EK_EXIT_NONZERO] = {"exit_nonzero", PHASE_RUN, false, EC_RESULT},
        [EK_TRANSFER] = {"transfer", PHASE_RUN, false, EC_UNREACHED},
        [EK_CANCELLED] = {"cancelled", PHASE_ANY, false, EC_INTERRUPTED},
        [EK_SKIPPED] = {"skipped", PHASE_ANY, false, EC_SKIPPED},
};

static const char *const phase_keys[PHASE__COUNT + 1] = {
        "connect", "banner", "kex", "auth", "run", "any"};
static const char *const phase_names[PHASE__COUNT + 1] = {
        "connecting", "banner", "kex", "auth", "running", "any"};

const struct err_kind_info *
errkind_info(enum err_kind kind)
{
	if ((unsigned)kind >= EK__COUNT)
		kind = EK_NONE;
	return &errkind_table[kind];
}

const char *
errkind_name(enum err_kind kind)
{
	return errkind_info(kind)->name;
}

enum err_kind
errkind_by_name(const char *name)
{
	int k;

	for (k = 0; k < EK__COUNT; k++) {
		if (strcmp(errkind_table[k].name, name) == 0)
			return (enum err_kind)k;
	}
	return EK__COUNT;
}

const char *
errkind_phase_key(enum phase phase)
{
	return phase_keys[(unsigned)phase <= PHASE__COUNT ? phase : PHASE__COUNT];
}

int
errkind_phase_by_key(const char *key)
{
	int p;

	for (p = 0; p <= PHASE__COUNT; p++) {
		if (strcmp(phase_keys[p], key) == 0)
			return p;
	}
	return -1;
}

const char *
errkind_phase_name(enum phase phase)
{
	return phase_names[(unsigned)phase <= PHASE__COUNT ? phase : PHASE__COUNT];
}

/*
 * errkind.c - the table of error kinds.  The names are a contract (SPEC
 * section 3): scripts match on them.  Keep the rows in enum order.
 */
#include "config.h"

#include <stddef.h>

#include "errkind.h"

static const struct err_kind_info errkind_table[EK__COUNT] = {
        [EK_NONE] = {"none", PHASE_ANY, false, EC_OK, "no error"},
        [EK_RESOLVE] = {"resolve", PHASE_CONNECT, false, EC_UNREACHED, "the name does not resolve"},
        [EK_LOCAL] = {"local", PHASE_CONNECT, true, EC_UNREACHED,
                "this machine ran short of a resource (file descriptors, memory)"},
        [EK_REFUSED] = {"refused", PHASE_CONNECT, true, EC_UNREACHED, "TCP connection refused"},
        [EK_CONNECT_TIMEOUT] = {"connect_timeout", PHASE_CONNECT, true, EC_UNREACHED,
                "no TCP connection within the deadline"},
        [EK_BANNER_TIMEOUT] = {"banner_timeout", PHASE_BANNER, true, EC_UNREACHED,
                "connected, but no SSH- line within the deadline"},
        [EK_BANNER_CLOSED] = {"banner_closed", PHASE_BANNER, true, EC_UNREACHED,
                "closed or reset before the SSH- line"},
        [EK_THROTTLED] = {"throttled", PHASE_BANNER, true, EC_UNREACHED,
                "the server said it is full and closed"},
        [EK_NOT_SSH] = {"not_ssh", PHASE_BANNER, false, EC_UNREACHED,
                "the server answered with something else"},
        [EK_KEX_FAILED] = {"kex_failed", PHASE_KEX, false, EC_UNREACHED,
                "no common algorithms, or a broken exchange"},
        [EK_KEX_TIMEOUT] = {"kex_timeout", PHASE_KEX, true, EC_UNREACHED,
                "key exchange did not finish within the deadline"},
        [EK_HOSTKEY_UNKNOWN] = {"hostkey_unknown", PHASE_KEX, false, EC_UNREACHED,
                "not in known_hosts and the policy is strict"},
        [EK_HOSTKEY_CHANGED] = {"hostkey_changed", PHASE_KEX, false, EC_UNREACHED,
                "known_hosts holds another key for this host"},
        [EK_AUTH_DENIED] = {"auth_denied", PHASE_AUTH, false, EC_UNREACHED,
                "every method was refused"},
        [EK_AUTH_TIMEOUT] = {"auth_timeout", PHASE_AUTH, true, EC_UNREACHED,
                "authentication did not finish within the deadline"},
        [EK_CHANNEL] = {"channel", PHASE_RUN, false, EC_UNREACHED,
                "the session or exec request was refused"},
        [EK_COMMAND_TIMEOUT] = {"command_timeout", PHASE_RUN, false, EC_UNREACHED,
                "the command ran past --command-timeout and was killed"},
        [EK_LOST] = {"lost", PHASE_RUN, false, EC_UNREACHED,
                "keepalives went unanswered, or the connection broke, after the command "
                "started"},
        [EK_SIGNAL] = {"signal", PHASE_RUN, false, EC_RESULT, "the command was killed by a signal"},
        [EK_EXIT_NONZERO] = {"exit_nonzero", PHASE_RUN, false, EC_RESULT,
                "the command exited non-zero"},
        [EK_TRANSFER] = {"transfer", PHASE_RUN, false, EC_UNREACHED, "a file transfer failed"},
        [EK_CANCELLED] = {"cancelled", PHASE_ANY, false, EC_INTERRUPTED,
                "the user interrupted the run"},
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

const char *
errkind_phase_key(enum phase phase)
{
	return phase_keys[(unsigned)phase <= PHASE__COUNT ? phase : PHASE__COUNT];
}

const char *
errkind_phase_name(enum phase phase)
{
	return phase_names[(unsigned)phase <= PHASE__COUNT ? phase : PHASE__COUNT];
}

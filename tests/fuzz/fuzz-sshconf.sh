#!/usr/bin/env bash
# The sshconf fuzz target for a few seconds (see fuzz.sh).
exec bash "$(dirname "$0")/fuzz.sh" sshconf

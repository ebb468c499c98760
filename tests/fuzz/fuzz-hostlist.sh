#!/usr/bin/env bash
# The hostlist fuzz target for a few seconds (see fuzz.sh).
exec bash "$(dirname "$0")/fuzz.sh" hostlist

#!/usr/bin/env bash
# The knownhosts fuzz target for a few seconds (see fuzz.sh).
exec bash "$(dirname "$0")/fuzz.sh" knownhosts

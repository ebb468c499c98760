#!/usr/bin/env bash
# The sftp fuzz target for a few seconds (see fuzz.sh).
exec bash "$(dirname "$0")/fuzz.sh" sftp

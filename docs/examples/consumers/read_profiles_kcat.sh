#!/usr/bin/env bash
# Reads ProfileStream profiles from profiles.v1 with kcat, from the shell.
#
# profiles.v1 is compacted and keyed by user id: the newest record per key is the user's profile,
# and a key with a null value (a tombstone) is a user who was erased. Each value is Avro
# single-object encoded: bytes 0-1 are C3 01, bytes 2-9 the writer schema's CRC-64-AVRO
# fingerprint, the rest the Avro binary body. kcat cannot decode that framing itself, so this
# script gets each value's raw bytes out of kcat and checks bytes 0-9 against the UserProfile
# entry of schemas/fingerprints.json; decoding the body takes an Avro library (read_profiles.py).
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: read_profiles_kcat.sh [--topic NAME] [--fingerprints FILE]

Reads the topic (default profiles.v1) from its beginning to its current end with kcat and prints
a header line, then one tab-separated line per record:

  userId  partition  offset  timestampMs  bytes  kind  fingerprint

kind is "profile" (C3 01 and the UserProfile fingerprint of schemas/fingerprints.json),
"erased" (a null value: the user was erased; bytes and fingerprint are -), "other-schema"
(C3 01 and another fingerprint: another schema version wrote it) or "not-single-object"
(another framing). fingerprint is the hex of value bytes 2-9. A compacted topic can still hold
older records of a user: the last line per user is the current one.

Options:
  --topic NAME          the topic, with its deployment prefix if any (default profiles.v1)
  --fingerprints FILE   default: schemas/fingerprints.json of this repository
  -h, --help            this text

Environment:
  KAFKA_BROKERS   host:port[,host:port...] (default 127.0.0.1:9092)

Example:
  KAFKA_BROKERS=127.0.0.1:9092 docs/examples/consumers/read_profiles_kcat.sh
EOF
}

# Answered before anything is done; an argument other than these is an error, even next to --help.
help=0
topic=profiles.v1
fingerprints="$(dirname "$0")/../../../schemas/fingerprints.json"
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) help=1 ;;
    --topic | --fingerprints)
      if [ $# -lt 2 ]; then echo "error: $1 needs a value (see --help)" >&2; exit 2; fi
      if [ "$1" = --topic ]; then topic=$2; else fingerprints=$2; fi
      shift ;;
    *) echo "error: unexpected argument \"$1\" (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$help" = 1 ]; then usage; exit 0; fi
if ! command -v kcat >/dev/null 2>&1; then echo "error: kcat is not installed (Debian: apt-get install kcat)" >&2; exit 1; fi
if [ ! -f "$fingerprints" ]; then echo "error: no fingerprints file at $fingerprints" >&2; exit 1; fi
brokers="${KAFKA_BROKERS:-127.0.0.1:9092}"
brokers="${brokers// /}"

# The fingerprint to expect: {"schemas": {"UserProfile": {"fingerprint": "<16 hex digits>", ...}}}.
expected=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["schemas"]["UserProfile"]["fingerprint"])' "$fingerprints")

# Reads exactly $1 bytes of stdin (values are binary: no line or delimiter can frame them).
take() { if [ "$1" -gt 0 ]; then dd bs="$1" count=1 iflag=fullblock status=none; fi; }

printf 'userId\tpartition\toffset\ttimestampMs\tbytes\tkind\tfingerprint\n'
# -o beginning -e: from the beginning to the end present when it gets there. kcat writes each
# record as a text line with its partition, offset, timestamp (ms), value size (%S: -1 for a null
# value) and key size (%K), then the raw key and value bytes, which the loop reads by those sizes.
# (-Z would print NULL for a null value's %s; %S tells a null value from an empty one.)
# For TLS or SASL, add librdkafka settings: -X security.protocol=SASL_SSL -X sasl.mechanism=...
kcat -C -q -b "$brokers" -t "$topic" -o beginning -e -f '%p %o %T %S %K\n%k%s' |
  while read -r partition offset timestamp size keysize; do
    key=$(take "$keysize")
    if [ "$size" -lt 0 ]; then
      printf '%s\t%s\t%s\t%s\t-\terased\t-\n' "$key" "$partition" "$offset" "$timestamp"
      continue
    fi
    hex=$(take "$size" | od -An -tx1 -v | tr -d ' \n') # the value's bytes, 2 hex digits each
    fingerprint=${hex:4:16}
    if [ "${hex:0:4}" != c301 ]; then kind=not-single-object fingerprint=-
    elif [ "$fingerprint" = "$expected" ]; then kind=profile
    else kind=other-schema
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "$partition" "$offset" "$timestamp" "$size" "$kind" "$fingerprint"
  done

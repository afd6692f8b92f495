"""Reads ProfileStream profiles from profiles.v1 in Python: confluent-kafka and fastavro.

Each value is Avro single-object encoded: bytes 0-1 are C3 01, bytes 2-9 the writer schema's
fingerprint, the rest the Avro binary body. The schema and its fingerprint come from
schemas/fingerprints.json (the canonical form there is a complete schema: named types from other
files are inlined). A key with a null value (a tombstone) is a user who was erased. Vectors are
packed little-endian float32.

Usage: python3 read_profiles.py [--brokers HOST:PORT] [--topic profiles.v1] [--fingerprints FILE] [--timeout S]
Reads the topic from its beginning to the end present when it starts and prints one JSON line per
record: the user, version, counts, top interests and each vector's name, weight and first values.
For TLS or SASL, add the librdkafka settings (security.protocol, sasl.mechanism, ...) to CONFIG.
"""
import argparse
import io
import json
import struct
import sys
import time
import uuid

import fastavro
from confluent_kafka import Consumer, TopicPartition

CONFIG = {}


def load_schema(fingerprints_file, name):
    with open(fingerprints_file, encoding="utf-8") as f:
        entry = json.load(f)["schemas"][name]
    return fastavro.parse_schema(json.loads(entry["canonicalForm"])), bytes.fromhex(entry["fingerprint"])


def decode(value, schema, fingerprint):
    if value[:2] != b"\xc3\x01":
        raise ValueError("not Avro single-object encoded")
    if value[2:10] != fingerprint:
        raise ValueError("written with another schema version (fingerprint %s)" % value[2:10].hex())
    return fastavro.schemaless_reader(io.BytesIO(value[10:]), schema)


def floats(packed):
    return list(struct.unpack("<%df" % (len(packed) // 4), packed))


def summary(profile):
    vectors = [("horizon", v) for v in profile["horizons"]] + [("channel", v) for v in profile["channels"]]
    return {
        "userId": profile["userId"],
        "version": profile["version"],
        "eventCount": profile["eventCount"],
        "modelId": profile["modelId"],
        "dim": profile["dim"],
        "interests": [i["label"] for i in profile["interests"]],
        "vectors": [{"kind": kind, "name": v["name"], "weight": v["weight"], "head": floats(v["vector"])[:3]} for kind, v in vectors],
    }


def main():
    parser = argparse.ArgumentParser(description="Reads profiles.v1 to its current end and prints each record as JSON.")
    parser.add_argument("--brokers", default="127.0.0.1:9092")
    parser.add_argument("--topic", default="profiles.v1")
    parser.add_argument("--fingerprints", default="schemas/fingerprints.json")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    args = parser.parse_args()
    schema, fingerprint = load_schema(args.fingerprints, "UserProfile")
    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        # A group of its own, never committed: every reader wants every user's profile.
        "group.id": "profile-reader-%s" % uuid.uuid4().hex[:12],
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
        **CONFIG,
    })
    partitions = consumer.list_topics(args.topic, timeout=10).topics[args.topic].partitions
    marks = {p: consumer.get_watermark_offsets(TopicPartition(args.topic, p), timeout=10) for p in partitions}
    # Partitions with nothing left to read (empty, or every record expired) are done from the start.
    ends = {p: high for p, (low, high) in marks.items() if high > low}
    consumer.assign([TopicPartition(args.topic, p, low) for p, (low, high) in marks.items() if high > low])
    deadline = time.monotonic() + args.timeout
    try:
        while ends:
            positions = consumer.position([TopicPartition(args.topic, p) for p in ends])
            # A topic written in transactions ends with a commit marker: the position passes it.
            if all(tp.offset >= ends[tp.partition] for tp in positions):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("not at the end of %s after %s s" % (args.topic, args.timeout))
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                raise RuntimeError(message.error())
            key = message.key().decode("utf-8")
            if message.value() is None:
                print(json.dumps({"userId": key, "erased": True}, ensure_ascii=False))
                continue
            try:
                print(json.dumps(summary(decode(message.value(), schema, fingerprint)), ensure_ascii=False))
            except ValueError as err:
                print(json.dumps({"userId": key, "undecodable": str(err)}, ensure_ascii=False))
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

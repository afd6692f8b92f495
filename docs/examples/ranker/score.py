"""Ranks candidate items for one user with a ProfileStream ranker artefact, in plain Python.

The same scoring as scoreCandidates in libs/shared/util-ranking, for a recommender that is not
written in TypeScript. It reads the profile as the read API answers it (GET /v1/profiles/{userId}:
vectors as arrays of numbers); a consumer of profiles.v1 that decodes the Avro record gets the same
fields, with each vector as packed little-endian float32 bytes (struct.unpack("<%df" % dim, b)).

Usage: python3 score.py RANKER.json PROFILE.json CANDIDATES.json
  PROFILE.json     the read API's answer, or null for a user without a profile
  CANDIDATES.json  [{"itemId": "...", "vector": [...] or null, "interactions": n,
                     "knn": {"sum": s, "max": m} (optional),
                     "segmentInteractions": n (optional: interactions by users of the
                     profile's segment, its value of the ranker's segments.attribute)}, ...]
Prints "itemId<TAB>score" per candidate, best first.
"""
import json
import math
import re
import sys

FEATURES = [
    "cos_fused", "cos_short", "cos_long", "cos_click", "cos_negative",
    "popularity", "item_knn", "item_knn_max", "segment_popularity",
]
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def unit(vector):
    """The vector scaled to length 1, or None when it has no length."""
    if vector is None:
        return None
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0 or not math.isfinite(norm):
        return None
    return [x / norm for x in vector]


def half_life_seconds(name):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd])", name)
    return float(m.group(1)) * SECONDS[m.group(2)] if m else float("inf")


def profile_queries(profile):
    """The five profile vectors the cosine features use, in FEATURES order (None when absent)."""
    if profile is None:
        return [None] * 5
    horizons = [(h["name"], unit(h["vector"])) for h in profile["horizons"] if h["weight"] > 0]
    horizons = [(name, v) for name, v in horizons if v is not None]
    fused = None
    if horizons:
        fused = unit([sum(v[d] for _, v in horizons) for d in range(len(horizons[0][1]))])
    by_life = sorted(horizons, key=lambda h: half_life_seconds(h[0]))
    short = by_life[0][1] if by_life else None
    long = by_life[-1][1] if by_life else None
    click = next((unit(c["vector"]) for c in profile["channels"] if c["name"] == "click" and c["weight"] > 0), None)
    negative = profile.get("negative")
    negative = unit(negative["vector"]) if negative and negative["weight"] > 0 else None
    return [fused, short, long, click, negative]


def segment_of(profile, attribute):
    """The profile's value of the segment attribute: a string, or a list's first; None otherwise."""
    if profile is None or attribute is None:
        return None
    value = next((a["value"] for a in profile.get("attributes", []) if a["name"] == attribute), None)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value != "" else None


def popularity_feature(n, max_interactions):
    return math.log1p(max(0, n)) / math.log1p(max_interactions) if max_interactions > 0 else 0.0


def features(queries, candidate, max_interactions, segment_max):
    item = unit(candidate.get("vector"))
    cosines = [sum(a * b for a, b in zip(q, item)) if q is not None and item is not None else 0.0 for q in queries]
    popularity = popularity_feature(candidate.get("interactions", 0), max_interactions)
    knn = candidate.get("knn") or {"sum": 0.0, "max": 0.0}
    # Popularity within the user's segment; without a known segment or count, the overall popularity.
    n = candidate.get("segmentInteractions")
    segment_popularity = popularity_feature(n, segment_max) if segment_max > 0 and n is not None else popularity
    return cosines + [popularity, knn["sum"], knn["max"], segment_popularity]


def score(ranker, profile, candidates):
    """The ranker's logit for each candidate: higher ranks first."""
    if ranker["format"] != "profilestream-ranker" or ranker["formatVersion"] != 2 or ranker["features"] != FEATURES:
        raise ValueError("this example reads profilestream-ranker version 2 with features %s (retrain older ones)" % FEATURES)
    space = ranker["space"]
    if profile is not None and (profile["modelId"] != space["modelId"] or profile.get("projectionId") != space["projectionId"]):
        raise ValueError("profile is in another vector space than the ranker (%s)" % space)
    queries = profile_queries(profile)
    segment = segment_of(profile, ranker["segments"]["attribute"])
    segment_max = ranker["segments"]["maxInteractions"].get(segment, 0) if segment is not None else 0
    scores = []
    for i, candidate in enumerate(candidates):
        vector = candidate.get("vector")
        if vector is not None and len(vector) != space["dim"]:
            raise ValueError("candidate %d: vector of %d dimensions, the ranker expects %d" % (i, len(vector), space["dim"]))
        x = features(queries, candidate, ranker["popularity"]["maxInteractions"], segment_max)
        z = ranker["bias"] + sum(w * (v - m) / s for w, v, m, s in zip(ranker["weights"], x, ranker["mean"], ranker["scale"]))
        scores.append(z)
    return scores


def main(argv):
    if len(argv) != 4 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) == 2 and argv[1] in ("-h", "--help") else 2
    loaded = []
    for path in argv[1:]:
        with open(path, encoding="utf-8") as f:
            loaded.append(json.load(f))
    ranker, profile, candidates = loaded
    ranked = sorted(zip(candidates, score(ranker, profile, candidates)), key=lambda cs: -cs[1])
    for candidate, z in ranked:
        print("%s\t%.9f" % (candidate["itemId"], z))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

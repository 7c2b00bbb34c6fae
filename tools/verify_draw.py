#!/usr/bin/env python3
"""verify_draw.py — check a Stampede draw (or a queue's pre-queue shuffle) from its proof.

Recomputes stampede-draw-v1 from the published proof with nothing but Python's standard
library (hashlib, hmac, json, urllib), and no code from the shop, so that anybody can check a
result without trusting the operator's software:

  commitment     = SHA-256(seed), which the shop published before entries opened
  entries_digest = SHA-256 of the lines "ref:sku_id", sorted ascending bytewise, joined by "\\n"
  key            = SHA-256(seed || entries_digest as 32 raw bytes || beacon as UTF-8)
  rank(entry)    = hex HMAC-SHA256(key, ref); ascending rank (then ref) is the draw order
  winners        = for each SKU, the first stock[sku] entries of that SKU in draw order,
                   listed in draw order; a pre-queue (every sku_id 0) lists the whole order

Usage:
  verify_draw.py URL|FILE|-  [--commitment HEX] [--ref REF] [--quiet]
  verify_draw.py --self-test

  URL         e.g. https://shop.example/api/v1/drops/42/proof (a drop page's /drops/42/proof
              is also accepted: /api/v1 is put in front of it)
  FILE or -   a proof saved as JSON (- reads standard input)
  --commitment HEX   the commitment you saw before the draw (GET /api/v1/drops/{id} while
                     entries were open): the proof's must be the same
  --ref REF          your entry's ref: prints its place in the draw order and whether it won

Exit status: 0 every check passed; 1 the proof does not match (what differs is printed);
2 the proof could not be read or is malformed.
"""

import hashlib
import hmac
import json
import re
import sys
import urllib.error
import urllib.request

ALGORITHM = "stampede-draw-v1"
REF_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")


class Malformed(Exception):
    """The proof is not a stampede-draw-v1 proof (exit 2)."""


def entries_digest(entries):
    """Hex SHA-256 of the sorted "ref:sku_id" lines joined with newlines."""
    lines = sorted(("%s:%d" % (ref, sku)).encode("ascii") for ref, sku in entries)
    return hashlib.sha256(b"\n".join(lines)).hexdigest()


def draw_key(seed, digest_hex, beacon):
    return hashlib.sha256(seed + bytes.fromhex(digest_hex) + (beacon or "").encode("utf-8")).digest()


def rank(key, ref):
    return hmac.new(key, ref.encode("ascii"), hashlib.sha256).hexdigest()


def draw_order(key, entries):
    """[(rank, ref, sku)] in draw order: ascending rank, a tie (an HMAC collision) by ref."""
    ranked = [(rank(key, ref), ref, sku) for ref, sku in entries]
    ranked.sort(key=lambda t: (t[0], t[1].encode("ascii")))
    return ranked


def winners_of(order, stock, prequeue):
    if prequeue:
        return [ref for _, ref, _ in order]
    left = dict(stock)
    out = []
    for _, ref, sku in order:
        if left.get(sku, 0) > 0:
            left[sku] -= 1
            out.append(ref)
    return out


def parse_proof(p):
    """Checks the proof's shape; returns (seed, beacon, entries, stock, prequeue)."""
    if not isinstance(p, dict):
        raise Malformed("the proof is not a JSON object")
    for field in ("algorithm", "commitment", "seed", "entries_digest", "stock", "entries",
                  "winners"):
        if field not in p:
            raise Malformed("the proof has no %r field" % field)
    if p["algorithm"] != ALGORITHM:
        raise Malformed("algorithm %r is not %s" % (p["algorithm"], ALGORITHM))
    seed_hex = p["seed"]
    if not isinstance(seed_hex, str) or not HEX64_RE.match(seed_hex):
        raise Malformed("the seed is not 64 lower-case hex digits (32 bytes)")
    beacon = p.get("beacon")
    if beacon is not None and not isinstance(beacon, str):
        raise Malformed("the beacon is neither a string nor null")
    if not isinstance(p["entries"], list):
        raise Malformed("entries is not a list")
    entries, seen = [], set()
    for i, e in enumerate(p["entries"]):
        if not isinstance(e, dict) or not isinstance(e.get("ref"), str):
            raise Malformed("entry %d has no ref" % i)
        ref, sku = e["ref"], e.get("sku_id")
        if not REF_RE.match(ref):
            raise Malformed("entry %d: ref %r is not 1..64 of [A-Za-z0-9_-]" % (i, ref))
        if ref in seen:
            raise Malformed("ref %r is listed twice" % ref)
        if isinstance(sku, bool) or not isinstance(sku, int) or sku < 0:
            raise Malformed("entry %r: sku_id is not a whole number >= 0" % ref)
        seen.add(ref)
        entries.append((ref, sku))
    if not isinstance(p["stock"], dict):
        raise Malformed("stock is not an object")
    stock = {}
    for k, n in p["stock"].items():
        if not re.match(r"^(0|[1-9][0-9]*)$", k):
            raise Malformed("stock key %r is not a sku_id" % k)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise Malformed("stock of %s is not a whole number >= 0" % k)
        stock[int(k)] = n
    if not isinstance(p["winners"], list) or not all(isinstance(w, str) for w in p["winners"]):
        raise Malformed("winners is not a list of refs")
    zero = sum(1 for _, sku in entries if sku == 0)
    if zero and zero != len(entries):
        raise Malformed("a proof is a draw (sku_id > 0) or a pre-queue (sku_id 0), not a mix")
    prequeue = zero > 0 or (not entries and set(stock) <= {0})
    return bytes.fromhex(seed_hex), beacon, entries, stock, prequeue


def first_difference(want, got):
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            return "at position %d: expected %s, the proof says %s" % (i + 1, a, b)
    if len(want) != len(got):
        return "expected %d refs, the proof lists %d" % (len(want), len(got))
    return ""


def verify(p, commitment=None, ref=None, out=print):
    """Returns 0 when the proof checks out, 1 with the differences printed otherwise."""
    seed, beacon, entries, stock, prequeue = parse_proof(p)
    problems = []

    def check(name, ok, detail):
        out("  %-15s %s%s" % (name, "ok" if ok else "MISMATCH", "" if ok else ": " + detail))
        if not ok:
            problems.append(name)

    kind = "pre-queue shuffle" if prequeue else "draw"
    out("%s: %s of %d entries, %s" % (ALGORITHM, kind, len(entries),
                                     "beacon %r" % beacon if beacon else "no beacon"))
    c = hashlib.sha256(seed).hexdigest()
    check("commitment", c == p["commitment"],
          "SHA-256(seed) is %s, the proof says %s" % (c, p["commitment"]))
    if commitment is not None:
        check("published", commitment.lower() == c,
              "the commitment published before the draw was %s, SHA-256(seed) is %s"
              % (commitment.lower(), c))
    d = entries_digest(entries)
    check("entries_digest", d == p["entries_digest"],
          "the entries hash to %s, the proof says %s" % (d, p["entries_digest"]))
    # the key mixes in the digest of the entries as listed, whatever the proof claims
    order = draw_order(draw_key(seed, d, beacon), entries)
    want = winners_of(order, stock, prequeue)
    diff = first_difference(want, p["winners"])
    check("winners", not diff, diff)
    if not prequeue:
        skus = sorted({sku for _, sku in entries} | set(stock))
        for sku in skus:
            n = sum(1 for _, s in entries if s == sku)
            w = sum(1 for _, r, s in order if s == sku and r in set(want))
            out("  sku %-10d %d entries, stock %d, %d won" % (sku, n, stock.get(sku, 0), w))
    if ref is not None:
        place = next((i for i, (_, r, _) in enumerate(order) if r == ref), None)
        if place is None:
            out("  ref %s is not among the entries" % ref)
        else:
            won = ref in want
            out("  ref %s: place %d of %d in the draw order, rank %s, %s" % (
                ref, place + 1, len(order), order[place][0],
                ("admitted in that order" if prequeue else "won") if won else "did not win"))
    if problems:
        out("FAILED: %s" % ", ".join(problems))
        return 1
    out("OK: the proof matches stampede-draw-v1")
    return 0


def load(source):
    if source == "-":
        return json.load(sys.stdin)
    if re.match(r"^https?://", source):
        url = source
        m = re.match(r"^(https?://[^/]+)(/drops/\d+/proof)/?$", url)
        if m:
            url = m.group(1) + "/api/v1" + m.group(2)
        req = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            body = e.read().decode("utf-8", "replace")[:300]
            raise Malformed("GET %s answered %d: %s" % (url, e.code, body))
        except urllib.error.URLError as e:
            raise Malformed("GET %s failed: %s" % (url, e.reason))
    with open(source, encoding="utf-8") as f:
        return json.load(f)


# ------------------------------------------------------------------ self-test
# The fixed vectors of tests/unit/shop/test_draw.c (computed with hashlib, checked there against
# the C implementation): if the two ever disagree, one of them no longer follows DESIGN.md.

VECTOR = {
    "algorithm": ALGORITHM,
    "commitment": "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd",
    "seed": bytes(range(32)).hex(),
    "entries_digest": "b0de30333168e94e2c35c523e02ed558c8a9c60ef19f210c73f39d156e074265",
    "beacon": "drand 4242 \u00e9",
    "stock": {"101": 2, "102": 10, "103": 0, "999": 3},
    "entries": [{"ref": r, "sku_id": s} for r, s in [
        ("10", 101), ("9", 101), ("100", 102), ("a", 7), ("a-b", 101), ("a0", 102),
        ("A", 101), ("_z", 7), ("-x", 102), ("Zed", 102), ("zz", 103)]],
    "winners": ["a0", "100", "-x", "a-b", "10", "Zed"],
}
VECTOR_ORDER = ["a0", "a", "100", "_z", "-x", "a-b", "10", "Zed", "zz", "9", "A"]
VECTOR_KEY = "14bc93b182ca746f510831b19a596f6c3e1a6f55aeb46397df3c20da057fb539"
VECTOR_KEY_NO_BEACON = "34de7ed1eb475b956c8b9569ec2abd29404ed8a515212612be92e44bef58946b"
VECTOR_RANK_10 = "c88895a8135771f1ca3208f0672e716cfedff7463f9932630e393501613cded1"

PREQUEUE = {
    "algorithm": ALGORITHM,
    "commitment": "7e744515d76a18fce99f266cc68d44798a6ae7514c7063e11ad8815d6465b914",
    "seed": hashlib.sha256(b"stampede pre-queue vector").hexdigest(),
    "entries_digest": "1be7fd25f381b0d872f8e808d61f9c0477fe44aafffcc412701de9027177211e",
    "beacon": None,
    "stock": {"0": 6},
    "entries": [{"ref": "q-%d" % i, "sku_id": 0} for i in range(1, 7)],
    "winners": ["q-6", "q-3", "q-5", "q-1", "q-2", "q-4"],
}


def self_test():
    silent = lambda *a: None  # noqa: E731
    seed = bytes.fromhex(VECTOR["seed"])
    entries = [(e["ref"], e["sku_id"]) for e in VECTOR["entries"]]
    assert entries_digest(entries) == VECTOR["entries_digest"]
    assert draw_key(seed, VECTOR["entries_digest"], VECTOR["beacon"]).hex() == VECTOR_KEY
    assert draw_key(seed, VECTOR["entries_digest"], None).hex() == VECTOR_KEY_NO_BEACON
    key = draw_key(seed, VECTOR["entries_digest"], VECTOR["beacon"])
    assert rank(key, "10") == VECTOR_RANK_10
    assert [r for _, r, _ in draw_order(key, entries)] == VECTOR_ORDER
    assert entries_digest([]) == hashlib.sha256(b"").hexdigest()
    assert verify(VECTOR, out=silent) == 0
    assert verify(VECTOR, commitment=VECTOR["commitment"].upper(), out=silent) == 0
    assert verify(PREQUEUE, out=silent) == 0
    for tampered in tampered_copies(VECTOR):
        assert verify(tampered[1], out=silent) == 1, tampered[0]
    assert verify(VECTOR, commitment="0" * 64, out=silent) == 1
    print("self-test: ok (draw and pre-queue vectors, %d tampered proofs refused)"
          % len(tampered_copies(VECTOR)))
    return 0


def tampered_copies(proof):
    """(what, proof) pairs, each changed in one way that the verifier must notice."""
    out = []

    def copy():
        return json.loads(json.dumps(proof))

    p = copy()
    p["seed"] = ("%02x" % (int(p["seed"][:2], 16) ^ 1)) + p["seed"][2:]
    out.append(("seed", p))
    p = copy()
    p["entries"][0]["sku_id"] += 1
    out.append(("entry sku", p))
    p = copy()
    p["entries"][1]["ref"] = p["entries"][1]["ref"] + "x"
    out.append(("entry ref", p))
    p = copy()
    p["entries"].append({"ref": "sockpuppet", "sku_id": p["entries"][0]["sku_id"]})
    out.append(("added entry", p))
    p = copy()
    p["winners"][0], p["winners"][1] = p["winners"][1], p["winners"][0]
    out.append(("winner order", p))
    p = copy()
    p["beacon"] = (p["beacon"] or "") + "x"
    out.append(("beacon", p))
    p = copy()
    p["commitment"] = "0" * 64
    out.append(("commitment", p))
    return out


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    args, commitment, ref, quiet = [], None, None, False
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("--commitment", "--ref") and i + 1 < len(argv):
            if a == "--commitment":
                commitment = argv[i + 1]
            else:
                ref = argv[i + 1]
            i += 2
            continue
        if a == "--quiet":
            quiet = True
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(a)
        i += 1
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    try:
        proof = load(args[0])
        out = (lambda *a: None) if quiet else print
        rc = verify(proof, commitment=commitment, ref=ref, out=out)
        if rc and quiet:
            verify(proof, commitment=commitment, ref=ref, out=print)
        return rc
    except (Malformed, ValueError, OSError) as e:
        print("cannot verify: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

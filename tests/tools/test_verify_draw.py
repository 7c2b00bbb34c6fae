#!/usr/bin/env python3
"""Test of tools/verify_draw.py as a black box: its self-test, then the command line on a
correct proof (the fixed vector of tests/unit/shop/test_draw.c, saved as a file, the way a
shopper would save GET /api/v1/drops/{id}/proof) and on tampered copies of it, which must
fail (exit 1), and on broken files (exit 2)."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "tools", "verify_draw.py")
sys.path.insert(0, os.path.dirname(TOOL))
import verify_draw  # noqa: E402  (only for its vectors)


def run(*args, stdin=None):
    p = subprocess.run([sys.executable, TOOL] + list(args), input=stdin, capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def main():
    failures = []

    def expect(what, rc, want, out):
        status = "ok" if rc == want else "FAIL"
        print("%-40s exit %d (want %d) %s" % (what, rc, want, status))
        if rc != want:
            failures.append(what)
            print(out)

    rc, out = run("--self-test")
    expect("self-test", rc, 0, out)
    with tempfile.TemporaryDirectory() as d:
        def save(name, proof):
            path = os.path.join(d, name + ".json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(proof, f)
            return path

        good = save("good", verify_draw.VECTOR)
        rc, out = run(good)
        expect("correct draw proof", rc, 0, out)
        rc, out = run(good, "--commitment", verify_draw.VECTOR["commitment"], "--ref", "a0")
        expect("correct proof, commitment and ref", rc, 0, out)
        if "place 1 of 11" not in out:
            failures.append("ref report")
        rc, out = run("-", stdin=json.dumps(verify_draw.PREQUEUE))
        expect("correct pre-queue proof (stdin)", rc, 0, out)
        rc, out = run(good, "--commitment", "ab" * 32)
        expect("another commitment published before", rc, 1, out)
        for what, proof in verify_draw.tampered_copies(verify_draw.VECTOR):
            rc, out = run(save("t", proof))
            expect("tampered: " + what, rc, 1, out)
            if rc == 1 and "MISMATCH" not in out:
                failures.append(what + " (no MISMATCH line)")
        for what, proof in verify_draw.tampered_copies(verify_draw.PREQUEUE):
            rc, out = run(save("t", proof))
            # a sku_id other than 0 in a pre-queue is not a proof of either kind
            expect("tampered pre-queue: " + what, rc, 2 if what == "entry sku" else 1, out)
        bad = dict(verify_draw.VECTOR, algorithm="stampede-draw-v2")
        rc, out = run(save("bad", bad))
        expect("another algorithm", rc, 2, out)
        dup = json.loads(json.dumps(verify_draw.VECTOR))
        dup["entries"].append(dict(dup["entries"][0]))
        rc, out = run(save("dup", dup))
        expect("a ref listed twice", rc, 2, out)
        rc, out = run(os.path.join(d, "missing.json"))
        expect("no such file", rc, 2, out)
    if failures:
        print("FAILED: %s" % ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

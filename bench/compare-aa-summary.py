#!/usr/bin/env python3
"""The verdicts of bench/compare-aa.sh from its runs: `bookrace compare` on each pair's arms (A1 vs A2,
A1 vs R10, A2 vs R25) at the bench's --max-regress and at a few others (compare is deterministic: a
fixed bootstrap seed, so re-judging the same runs gives the same verdicts), the measured ratios, and the
single-number rule compare used before. Usage: compare-aa-summary.py RUNS_DIR PAIRS LIMIT [BOOKRACE]"""
import glob
import json
import os
import statistics
import subprocess
import sys

tmp, pairs, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
bookrace = sys.argv[4] if len(sys.argv) > 4 else "build/bookrace"


def compare(i, base, new, lim):
    out = os.path.join(tmp, "cmp-%d-%s-%s-%g" % (i, base, new, lim))
    r = subprocess.run([bookrace, "compare", "%s/p%d/%s" % (tmp, i, base), "%s/p%d/%s" % (tmp, i, new),
                        "--max-regress", "%g%%" % lim, "--json", out + ".json", "--junit", out + ".xml"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    doc = json.load(open(out + ".json"))
    flagged = [m["metric"] for m in doc["metrics"] if m["verdict"] == "regression"]
    return r.returncode, flagged


def seconds(i, arm):
    return [s for f in glob.glob("%s/p%d/%s/*/load.json" % (tmp, i, arm)) for s in json.load(open(f))["timeseries"]]


def med(i, arm, key):
    return statistics.median(s["requests"] if key == "rps" else s["operations"]["get"][key] for s in seconds(i, arm))


def single(i):  # the rule compare used before: one run a side, one number per metric
    b = json.load(open("%s/p%d/a1/1/load.json" % (tmp, i)))["operations"]["get"]
    n = json.load(open("%s/p%d/a2/1/load.json" % (tmp, i)))["operations"]["get"]
    if n["throughputPerSecond"] < b["throughputPerSecond"] * (1 - limit / 100):
        return True
    return any(n["latencyUs"][p] > b["latencyUs"][p] * (1 + limit / 100) for p in ("p50", "p90", "p99"))


rounds = len(glob.glob("%s/p1/a1/*/load.json" % tmp))
secs = len(json.load(open("%s/p1/a1/1/load.json" % tmp))["timeseries"])
print("%d comparisons; each side %d interleaved runs of %d whole second(s)" % (pairs, rounds, secs))
print("| --max-regress | A/A false alarms (any metric) | R10 flagged (any metric) | R10 by all req/s "
      "| R25 flagged (any metric) | R25 by get p99 |")
print("|---:|---:|---:|---:|---:|---:|")
for lim in sorted({0.0, 3.0, limit, 10.0}):
    aa = r10 = r10t = r25 = r25p = 0
    for i in range(1, pairs + 1):
        rc, _ = compare(i, "a1", "a2", lim)
        aa += rc != 0
        rc, f = compare(i, "a1", "r10", lim)
        r10 += rc == 6
        r10t += "all req/s" in f
        rc, f = compare(i, "a2", "r25", lim)
        r25 += rc == 6
        r25p += "get p99" in f
    print("| %g%% | %d/%d | %d/%d | %d/%d | %d/%d | %d/%d |" % (lim, aa, pairs, r10, pairs, r10t, pairs, r25, pairs,
                                                             r25p, pairs))
flags = {}
for i in range(1, pairs + 1):
    for m in compare(i, "a1", "r10", limit)[1]:
        flags[m] = flags.get(m, 0) + 1
print("R10 at %g%%: flagged metrics %s" % (limit, ", ".join("%s %d/%d" % (k, v, pairs) for k, v in sorted(flags.items()))))
rng = range(1, pairs + 1)
aa_ratio = [med(i, "a2", "rps") / med(i, "a1", "rps") for i in rng]
print("A/A req/s ratio of medians per pair: min %.3f, median %.3f, max %.3f" % (min(aa_ratio), statistics.median(aa_ratio),
                                                                         max(aa_ratio)))
print("R10/A req/s ratio (median of pairs): %.3f; p50 ratio %.3f" % (
    statistics.median(med(i, "r10", "rps") / med(i, "a1", "rps") for i in rng),
    statistics.median(med(i, "r10", "p50") / med(i, "a1", "p50") for i in rng)))
print("R25/A p99 ratio (median of pairs): %.3f; p50 ratio %.3f; req/s ratio %.3f" % (
    statistics.median(med(i, "r25", "p99") / med(i, "a2", "p99") for i in rng),
    statistics.median(med(i, "r25", "p50") / med(i, "a2", "p50") for i in rng),
    statistics.median(med(i, "r25", "rps") / med(i, "a2", "rps") for i in rng)))
cv = [statistics.pstdev(v) / statistics.mean(v) for i in rng
      for v in [[s["requests"] for s in seconds(i, "a1")]] if statistics.mean(v) > 0]
print("per-second req/s of one arm within a pair: coefficient of variation, median %.2f" % statistics.median(cv))
print("single numbers, one run a side (compare before): A/A false alarms %d/%d at %g%%" % (
    sum(single(i) for i in rng), pairs, limit))

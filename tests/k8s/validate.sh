#!/usr/bin/env bash
# Validates deploy/k8s without a cluster:
#  1. `kubectl kustomize` renders the base and the merge (kustomize rejects malformed YAML, unknown
#     resources and broken replacements);
#  2. the rendered objects agree with each other (python3-yaml): an Indexed Job whose completions,
#     parallelism and --segment auto/N all come from the one `segments` value, a starter Service that the
#     segments' --start-when-ready URL names, the results claim mounted by the load and the merge Jobs;
#  3. the starter's gate script (busybox sh, as in the pod) answers 503 until all N segments polled, then 200.
# `kubectl apply --dry-run=client` is NOT used: kubectl 1.32 needs an API server for it even with
# --validate=false (it asks the server which resources exist), and none runs here.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kubectl kustomize "$root/deploy/k8s/base" >"$tmp/base.yaml"
kubectl kustomize "$root/deploy/k8s/merge" >"$tmp/merge.yaml"
# A different segment count must reach every place that depends on it.
cp -r "$root/deploy/k8s/base" "$tmp/base7"
sed -i 's/segments=[0-9]*/segments=7/' "$tmp/base7/kustomization.yaml"
kubectl kustomize "$tmp/base7" >"$tmp/base7.yaml"

python3 - "$tmp/base.yaml" "$tmp/merge.yaml" "$tmp/base7.yaml" <<'PY'
import sys, yaml

def load(path):
    return [d for d in yaml.safe_load_all(open(path)) if d]

def one(docs, kind, name):
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]

def check(path, merge_docs, expect_segments=None):
    docs = load(path)
    fleet = one(docs, "ConfigMap", "bookrace-fleet")
    n = int(fleet["data"]["segments"])
    if expect_segments is not None:
        assert n == expect_segments, f"segments {n}, expected {expect_segments}"
    job = one(docs, "Job", "bookrace-load")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed", "the load Job must be Indexed"
    assert spec["completions"] == n and spec["parallelism"] == n, \
        f"completions {spec['completions']} / parallelism {spec['parallelism']} != segments {n}"
    assert spec["backoffLimit"] == 0, "a retried segment would run its share twice"
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    c = pod["containers"][0]
    env = {e["name"]: e for e in c.get("env", [])}
    ref = env["SEGMENTS"]["valueFrom"]["configMapKeyRef"]
    assert ref == {"name": "bookrace-fleet", "key": "segments"}, ref
    args = " ".join(c["args"])
    assert '--segment "auto/$SEGMENTS"' in args, "--segment must read JOB_COMPLETION_INDEX (auto/N)"
    assert "$JOB_COMPLETION_INDEX" in args, "each segment needs its own --out"
    url = args.split("--start-when-ready ")[1].split()[0]
    host, port_path = url[len("http://"):].split(":", 1)
    port = int(port_path.split("/")[0])
    svc = one(docs, "Service", host)
    assert any(p["port"] == port for p in svc["spec"]["ports"]), f"the starter Service has no port {port}"
    dep = one(docs, "Deployment", "bookrace-starter")
    sel = svc["spec"]["selector"]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in sel.items()), "the starter Service selects no starter pod"
    assert dep["spec"]["replicas"] == 1, "the gate's state lives in one pod"
    assert "/cgi-bin/go" in url and "cgi-bin/go" in " ".join(dep["spec"]["template"]["spec"]["containers"][0]["args"])
    gate = one(docs, "ConfigMap", "bookrace-starter")
    assert "go" in gate["data"]
    pvc = one(docs, "PersistentVolumeClaim", "bookrace-results")
    assert "ReadWriteMany" in pvc["spec"]["accessModes"], "segments on several nodes share the volume"
    for j in [job, one(merge_docs, "Job", "bookrace-merge")]:
        claims = [v["persistentVolumeClaim"]["claimName"] for v in j["spec"]["template"]["spec"]["volumes"]]
        assert claims == ["bookrace-results"], claims
    return n

merge_docs = load(sys.argv[2])
margs = " ".join(one(merge_docs, "Job", "bookrace-merge")["spec"]["template"]["spec"]["containers"][0]["args"])
assert "bookrace merge /results/segment-*/load.json" in margs
print("base: %d segments, consistent" % check(sys.argv[1], merge_docs))
print("segments=7: %d segments, consistent" % check(sys.argv[3], merge_docs, 7))
PY

# The gate, run the way busybox httpd runs it (QUERY_STRING in the environment).
gate="$root/deploy/k8s/base/starter-go.sh"
sh=$(command -v busybox >/dev/null && echo "busybox sh" || echo sh)
ask() { READY_DIR="$tmp/ready" QUERY_STRING="$1" $sh "$gate" | head -1 | tr -d '\r'; }
[ "$(ask 'segment=0&count=3')" = "Status: 503 Service Unavailable" ]
[ "$(ask 'segment=0&count=3')" = "Status: 503 Service Unavailable" ] # the same segment again
[ "$(ask 'segment=2&count=3')" = "Status: 503 Service Unavailable" ]
[ "$(ask 'segment=1&count=3')" = "Status: 200 OK" ]
[ "$(ask 'segment=0&count=3')" = "Status: 200 OK" ] # released stays released
[ "$(ask 'count=3')" = "Status: 400 Bad Request" ]
echo "starter gate: 503 until 3 of 3 ready, then 200"
echo "kubectl apply --dry-run=client: not run (kubectl $(kubectl version --client 2>/dev/null | head -1 | awk '{print $3}') needs an API server for it)"

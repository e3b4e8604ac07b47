"""How long a user waits for the sandbox: `sandbox up` to Getting Started's end state, and
Scenario 1 (nginx) from `kubectl apply` to Ready on both WECs. Default simulated delays throughout.

(a) `kstellar-tui sandbox up --detach --preset quickstart` on a fresh state dir, timed from the
    command's start to its return (it returns once ready); afterwards, untimed, the run checks that
    "ready" holds: kubectl answers on wds1, its1, cluster1 and cluster2, and both ManagedClusters are
    Available in its1 (the run fails otherwise). Target: <= 3 s. Baseline: the same command with
    `--preset empty` on a fresh state dir: the same two processes, imports, certificates, token and
    ready handshake, but no KubeStellar at all. The ratio says how much Getting Started's steps add
    (their simulated pod, job and CSR delays, ~1.1 s on the critical path, included).
(b) In that sandbox: one real `kubectl --context wds1 apply -f` of Scenario 1 (BindingPolicy
    `nginx-bpolicy` selecting `location-group=edge`, Namespace `nginx`, Deployment
    `nginx/nginx-deployment`), timed until the Deployment is Ready (availableReplicas == replicas)
    on cluster1 and cluster2, each seen through a watch on its own context's server. Target: <= 2 s.
    Baseline: a plain `kubectl --context cluster1 apply -f` of the same Namespace and Deployment
    (other names) until Ready there: kubectl plus the simulated kubelet, without the KubeStellar
    path (binding, transport, work agent). kubectl's discovery cache is warmed first (as by the
    `kubectl get` a user runs before), so neither figure counts kubectl's first contact.

Each figure is the median of the runs (5, `--quick`: 2), each run on a fresh sandbox. A context
figure without a target gives the sandbox process's CPU seconds until ready (from /proc), which a
loaded machine does not inflate, unlike the wall-clock figures. With PYTHONDONTWRITEBYTECODE set
(as in the development environment) each process compiles the package's modules, ~0.13 s of CPU
that an installed copy (bytecode compiled at install) does not spend.

    python benchmarks/bench_sandbox_speed.py [--quick]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.suite import Figure, add_arguments, emit, machine  # noqa: E402

KUBECTL = "kubectl"
COMMAND_TIMEOUT = 60.0
READY_TIMEOUT = 30.0
WECS = ("cluster1", "cluster2")


def scenario_1(name: str, *, policy: bool) -> str:
    """Getting Started's Scenario 1 manifests (upstream names when `name` is "nginx")."""
    label = {"app.kubernetes.io/name": name}
    documents: list[dict] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": label}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": f"{name}-deployment", "namespace": name, "labels": label},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                  "template": {"metadata": {"labels": {"app": name}},
                               "spec": {"containers": [{"name": name, "image": "public.ecr.aws/nginx/nginx:latest",
                                                        "ports": [{"containerPort": 80}]}]}}}},
    ]
    if policy:
        documents.insert(0, {
            "apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy",
            "metadata": {"name": f"{name}-bpolicy"},
            "spec": {"clusterSelectors": [{"matchLabels": {"location-group": "edge"}}],
                     "downsync": [{"objectSelectors": [{"matchLabels": label}]}]}})
    return yaml.safe_dump_all(documents, sort_keys=False)


class Sandbox:
    """One sandbox started through the CLI in its own state dir, and kubectl pointed at it."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.kubeconfig = state_dir / "kubeconfig"
        self.cache = state_dir.parent / f"{state_dir.name}-kubectl-cache"

    def up(self, preset: str) -> float:
        """Seconds `sandbox up --detach` took to return."""
        started = time.perf_counter()
        self._cli("up", "--detach", "--preset", preset)
        return time.perf_counter() - started

    def cpu_seconds(self) -> float:
        """CPU time the sandbox process has used so far: what the machine's load cannot inflate."""
        pid = json.loads((self.state_dir / "sandbox.json").read_text())["pid"]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def down(self) -> None:
        self._cli("down")

    def _cli(self, *args: str) -> None:
        argv = [sys.executable, "-m", "kstellar_tui", "sandbox", *args, "--state-dir", str(self.state_dir)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()}")

    def kubectl(self, context: str, *args: str, stdin: str | None = None) -> str:
        argv = [KUBECTL, "--kubeconfig", str(self.kubeconfig), "--cache-dir", str(self.cache),
                "--context", context, *args]
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        if done.returncode != 0:
            raise RuntimeError(f"kubectl --context {context} {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def check_quickstart_ready(self) -> None:
        """What "ready" promises: kubectl works on every space and WEC, and both WECs are Available."""
        for context in ("wds1", "its1", *WECS):
            self.kubectl(context, "get", "namespaces", "-o", "name")
        clusters = json.loads(self.kubectl("its1", "get", "managedclusters", "-o", "json"))["items"]
        available = {item["metadata"]["name"] for item in clusters
                     if any(c["type"] == "ManagedClusterConditionAvailable" and c["status"] == "True"
                            for c in (item.get("status") or {}).get("conditions") or ())}
        if not available >= set(WECS):
            raise RuntimeError(f"`sandbox up` returned before {sorted(set(WECS) - available)} were Available")

    def warm_discovery(self) -> None:
        self.kubectl("wds1", "get", "bindingpolicies,namespaces,deployments", "-A", "-o", "name")
        for context in WECS:
            self.kubectl(context, "get", "namespaces,deployments", "-A", "-o", "name")

    def apply_until_ready(self, context: str, manifests: str, name: str, watched: tuple[str, ...]) -> float:
        """Seconds from starting `kubectl apply` until Deployment `name/name-deployment` is Ready on every
        cluster in `watched`."""
        watches = [DeploymentWatch(self.kubeconfig, cluster, name, f"{name}-deployment") for cluster in watched]
        for watch in watches:
            watch.start()
        started = time.perf_counter()
        self.kubectl(context, "apply", "-f", "-", stdin=manifests)
        return max(watch.ready_at() for watch in watches) - started


class DeploymentWatch(threading.Thread):
    """Watches one Deployment through one kubeconfig context and notes when it first is Ready.

    The list-then-watch from the list's resourceVersion misses nothing between the two."""

    def __init__(self, kubeconfig: Path, context: str, namespace: str, name: str) -> None:
        super().__init__(daemon=True)
        config = yaml.safe_load(kubeconfig.read_text())
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context)
        token = next(u["user"]["token"] for u in config["users"] if u["name"] == context)
        url = urlparse(cluster["server"])
        tls = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        self.connection = http.client.HTTPSConnection(url.hostname, url.port, context=tls, timeout=READY_TIMEOUT)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
        self.selector = f"metadata.name={name}"
        self.context = context
        self.watching = threading.Event()
        self.ready = threading.Event()
        self.seen_ready = 0.0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._watch()
        except BaseException as error:  # reported by ready_at()
            self.error = error
        finally:
            self.watching.set()
            self.ready.set()
            self.connection.close()

    def start(self) -> None:
        super().start()
        if not self.watching.wait(READY_TIMEOUT) or self.error is not None:
            raise RuntimeError(f"no watch on {self.context}: {self.error}")

    def _get(self, **query: str) -> http.client.HTTPResponse:
        self.connection.request("GET", f"{self.path}?{urlencode({'fieldSelector': self.selector, **query})}",
                                headers=self.headers)
        response = self.connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"{self.context}: HTTP {response.status} {response.read()[:200]!r}")
        return response

    def _watch(self) -> None:
        listed = json.loads(self._get().read())
        stream = self._get(watch="1", resourceVersion=listed["metadata"]["resourceVersion"],
                           timeoutSeconds=str(int(READY_TIMEOUT)))
        self.watching.set()
        for line in stream:
            deployment = json.loads(line)["object"]
            replicas = (deployment.get("spec") or {}).get("replicas", 1)
            if replicas and (deployment.get("status") or {}).get("availableReplicas") == replicas:
                self.seen_ready = time.perf_counter()
                return
        raise RuntimeError(f"{self.context}: the watch ended before the Deployment was Ready")

    def ready_at(self) -> float:
        if not self.ready.wait(READY_TIMEOUT) or self.error is not None or not self.seen_ready:
            raise RuntimeError(f"not Ready on {self.context} within {READY_TIMEOUT:g}s: {self.error}")
        return self.seen_ready


def one_run(tmp: Path, index: int) -> dict[str, float]:
    empty = Sandbox(tmp / f"empty-{index}")
    seconds = {"empty": empty.up("empty"), "empty_cpu": empty.cpu_seconds()}
    empty.down()
    sandbox = Sandbox(tmp / f"quickstart-{index}")
    seconds["quickstart"] = sandbox.up("quickstart")
    seconds["quickstart_cpu"] = sandbox.cpu_seconds()
    try:
        sandbox.check_quickstart_ready()
        sandbox.warm_discovery()
        seconds["nginx"] = sandbox.apply_until_ready("wds1", scenario_1("nginx", policy=True), "nginx", WECS)
        seconds["direct"] = sandbox.apply_until_ready("cluster1", scenario_1("direct", policy=False), "direct",
                                                      ("cluster1",))
    finally:
        sandbox.down()
    return seconds


def figures(runs: list[dict[str, float]]) -> list[Figure]:
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    return [
        Figure("sandbox up --preset quickstart (ready)", median["quickstart"], "s", "<= 3 s",
               median["quickstart"] <= 3.0, median["empty"], "up --preset empty",
               median["quickstart"] / median["empty"]),
        Figure("Getting Started nginx apply -> Ready on both WECs", median["nginx"], "s", "<= 2 s",
               median["nginx"] <= 2.0, median["direct"], "kubectl apply to cluster1",
               median["nginx"] / median["direct"]),
        Figure("sandbox process CPU until quickstart ready", median["quickstart_cpu"], "s",
               baseline=median["empty_cpu"], baseline_name="until empty ready",
               ratio=median["quickstart_cpu"] / median["empty_cpu"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    parser.add_argument("--runs", type=int, help="fresh sandboxes to time (default 5, --quick 2)")
    args = parser.parse_args()
    count = args.runs or (2 if args.quick else 5)
    print(f"{count} runs on {machine()}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="kstellar-speed-") as tmp:
        runs = []
        for index in range(count):
            runs.append(one_run(Path(tmp), index))
            print("  " + ", ".join(f"{key} {value:.2f}s" for key, value in runs[-1].items()), file=sys.stderr)
    emit(args, figures(runs))


if __name__ == "__main__":
    main()

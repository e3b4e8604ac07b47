"""Stand-ins for kind, k3d, helm, kflex, clusteradm, kubectl and docker, for the host-runner tests.

Each shim on the test's PATH runs `python fake_tools.py <tool> ARGS...`. The fakes record their argv,
answer version probes, and make the world change the way the real tool would — in a sandbox
started with `--preset empty`, through its admin API (a kind cluster becomes a sandbox cluster,
`helm upgrade --install ks-core` the core install, `clusteradm join/accept` the sandbox's), and in
the test's own kubeconfig (contexts named as kind/k3d/kflex name them). The fake kubectl hands
everything to the real kubectl against that kubeconfig: its clusters are the sandbox's, on
127.0.0.1, never a real cluster.

Environment: FAKE_DIR (log.jsonl, knobs.json, state.json), FAKE_SANDBOX (state dir),
FAKE_REAL_KUBECTL, KUBECONFIG (the test's). Knobs (knobs.json): "versions" {tool: text},
"port_taken" (kind/k3d hosting creation fails), "fail_create" [cluster names: Docker is down],
"accept_fails" {cluster: n} (the first n accepts fail: ManagedCluster not there yet),
"join_fails" [cluster names: join fails with a message that repeats the token],
"join_delay" seconds (the agent files its CSR late).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FAKE_DIR = Path(os.environ.get("FAKE_DIR", "."))
HERE = Path(__file__).resolve().parent
HOSTING = "kubeflex"
SANDBOX_HOSTING = "kind-kubeflex"  # the sandbox's hosting cluster is always named this
VERSIONS = {
    "kind": "kind v0.27.0 go1.23.4 linux/amd64",
    "k3d": "k3d version v5.8.3\nk3s version v1.31.5-k3s1 (default)",
    "helm": "v3.16.4",
    "kflex": "Kubeflex version: v0.9.3.5b0b5b4 2025-06-04T18:52:13Z",
    "clusteradm": "client\t\tversion\t:v1.0.0-0-g6d3b1b0\nserver\t\tversion\t:v1.30.0",
    "docker": "Docker version 27.3.1, build ce12230",
}


# ------------------------------------------------------------------ plumbing
def _json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def knobs() -> dict[str, Any]:
    return _json(FAKE_DIR / "knobs.json", {})


def state() -> dict[str, Any]:
    return _json(FAKE_DIR / "state.json", {"clusters": {}, "accepts": {}})


def save_state(value: dict[str, Any]) -> None:
    (FAKE_DIR / "state.json").write_text(json.dumps(value))


def record(tool: str, args: list[str], stdin: str | None = None) -> None:
    with (FAKE_DIR / "log.jsonl").open("a") as log:
        log.write(json.dumps({"argv": [tool, *args], "stdin": stdin}) + "\n")


def fail(message: str, code: int = 1) -> None:
    print(message, file=sys.stderr)
    sys.exit(code)


def flag(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args[:-1] else None


def admin():
    from kstellar_tui.sandbox.admin_client import AdminClient, read_info

    state_dir = Path(os.environ["FAKE_SANDBOX"])
    return AdminClient(state_dir, read_info(state_dir))


# ------------------------------------------------------------------ kubeconfig
def _load(path: Path) -> dict[str, Any]:
    import yaml

    doc = yaml.safe_load(path.read_text()) if path.exists() else None
    return doc or {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}


def _save(path: Path, doc: dict[str, Any]) -> None:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _named(entries: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((e for e in entries if e.get("name") == name), None)


def add_context(context: str, sandbox_cluster: str, *, make_current: bool = True) -> None:
    """Put the sandbox's entry for `sandbox_cluster` into the test kubeconfig as `context`."""
    sandbox = _load(Path(os.environ["FAKE_SANDBOX"]) / "kubeconfig")
    source = _named(sandbox["contexts"], sandbox_cluster)
    if source is None:
        fail(f"error: the sandbox has no cluster {sandbox_cluster}")
    cluster = _named(sandbox["clusters"], source["context"]["cluster"])
    user = _named(sandbox["users"], source["context"]["user"])
    path = Path(os.environ["KUBECONFIG"])
    doc = _load(path)
    for kind, entry in (("clusters", cluster), ("users", user),
                        ("contexts", {"name": context, "context": dict(source["context"])})):
        doc[kind] = [e for e in doc.get(kind) or [] if e.get("name") != entry["name"]] + [entry]
    if make_current:
        doc["current-context"] = context
    _save(path, doc)


def sandbox_cluster_of(context: str) -> str:
    doc = _load(Path(os.environ["KUBECONFIG"]))
    entry = _named(doc.get("contexts") or [], context)
    if entry is None:
        fail(f'error: context "{context}" does not exist')
    return entry["context"]["cluster"]


# ------------------------------------------------------------------ kind and k3d
def create_cluster(platform: str, name: str) -> None:
    world = state()
    if name in world["clusters"]:
        fail(f'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "{name}"')
    if name in knobs().get("fail_create", []):
        fail("ERROR: failed to create cluster: failed to list nodes: Cannot connect to the Docker daemon at "
             "unix:///var/run/docker.sock. Is the docker daemon running?")
    if name == HOSTING and knobs().get("port_taken"):
        fail("ERROR: failed to create cluster: command \"docker run ...\" failed with error: exit status 125\n"
             "docker: Error response from daemon: driver failed programming external connectivity: "
             "Bind for 0.0.0.0:9443 failed: port is already allocated.")
    sandbox_name = SANDBOX_HOSTING if name == HOSTING else name
    print(f'Creating cluster "{name}" ...')
    admin().request("POST", "/_sandbox/clusters", {"name": sandbox_name})
    add_context(f"{platform}-{name}", sandbox_name)
    world["clusters"][name] = platform
    save_state(world)
    print(f'Set kubectl context to "{platform}-{name}"')


def kind(args: list[str]) -> None:
    if args[:1] == ["version"]:
        print(knobs().get("versions", {}).get("kind", VERSIONS["kind"]))
    elif args[:2] == ["get", "clusters"]:
        names = [n for n, p in state()["clusters"].items() if p == "kind"]
        if names:
            print("\n".join(names))
        else:
            print("No kind clusters found.", file=sys.stderr)
    elif args[:2] == ["create", "cluster"]:
        create_cluster("kind", flag(args, "--name") or "kind")
    else:
        fail(f"fake kind: unsupported {args}")


def k3d(args: list[str]) -> None:
    if args[:1] == ["--version"]:
        print(knobs().get("versions", {}).get("k3d", VERSIONS["k3d"]))
    elif args[:2] == ["cluster", "list"]:
        print(json.dumps([{"name": n} for n, p in state()["clusters"].items() if p == "k3d"]))
    elif args[:2] == ["cluster", "create"]:
        create_cluster("k3d", args[-1])
    else:
        fail(f"fake k3d: unsupported {args}")


# ------------------------------------------------------------------ helm
def helm(args: list[str]) -> None:
    if args[:1] == ["version"]:
        print(knobs().get("versions", {}).get("helm", VERSIONS["helm"]))
    elif args[:3] == ["upgrade", "--install", "ks-core"]:
        values = dict(v.split("=", 1) for v in _all(args, "--set-json"))
        result = admin().request("POST", "/_sandbox/core", {"ITSes": json.loads(values["ITSes"]),
                                                            "WDSes": json.loads(values["WDSes"])})
        print(f'Release "ks-core" has been upgraded. Happy Helming!\nREVISION: {result["revision"]}')
    elif args[:3] == ["install", "ingress-nginx", "ingress-nginx"]:
        import yaml

        docs = list(yaml.safe_load_all((HERE / "data" / "ingress-nginx.yaml").read_text()))
        docs[1]["spec"]["template"]["spec"]["containers"][0]["args"].append("--enable-ssl-passthrough")
        subprocess.run([os.environ["FAKE_REAL_KUBECTL"], "--context", flag(args, "--kube-context"), "apply",
                        "-f", "-"], input=yaml.safe_dump_all(docs), text=True, check=True, capture_output=True)
        print("NAME: ingress-nginx\nSTATUS: deployed")
    else:
        fail(f"fake helm: unsupported {args}")


def _all(args: list[str], name: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a == name]


# ------------------------------------------------------------------ kflex
def kflex(args: list[str]) -> None:
    if args[:1] == ["version"]:
        print(knobs().get("versions", {}).get("kflex", VERSIONS["kflex"]))
    elif args == ["ctx", "--set-current-for-hosting"]:
        path = Path(os.environ["KUBECONFIG"])
        doc = _load(path)
        doc["extensions"] = [{"name": "kubeflex", "extension": {
            "data": {"hosting-cluster-ctx-name": doc["current-context"]}, "metadata": {"name": "kubeflex"}}}]
        _save(path, doc)
        print(f"✔ Hosting cluster context set to {doc['current-context']}")
    elif args[:2] == ["ctx", "--overwrite-existing-context"]:
        space = args[2]
        sandbox = Path(os.environ["FAKE_SANDBOX"]) / "kubeconfig"
        deadline = time.monotonic() + 30  # like kflex, wait for the space's kubeconfig to exist
        while _named(_load(sandbox).get("contexts") or [], space) is None:
            if time.monotonic() > deadline:
                fail("Error: error waiting for control plane kubeconfig secret: context deadline exceeded")
            time.sleep(0.05)
        add_context(space, space)
        print(f"✔ Switched to context {space}")
    else:
        fail(f"fake kflex: unsupported {args}")


# ------------------------------------------------------------------ clusteradm
def clusteradm(args: list[str]) -> None:
    context = flag(args, "--context")
    words = [a for i, a in enumerate(args) if a != "--context" and (i == 0 or args[i - 1] != "--context")]
    if words[:1] == ["version"]:
        print(knobs().get("versions", {}).get("clusteradm", VERSIONS["clusteradm"]))
    elif words[:2] == ["get", "token"]:
        token = admin().request("GET", f"/_sandbox/its/{context}/token")
        print(f"token={token['token']}\nplease log on spoke and run:\n{token['command']}")
    elif words[:1] == ["join"]:
        join(context, flag(args, "--hub-token"), flag(args, "--cluster-name"))
    elif words[:1] == ["accept"]:
        accept(context, flag(args, "--clusters"))
    else:
        fail(f"fake clusteradm: unsupported {args}")


def join(context: str, token: str, name: str) -> None:
    if name in knobs().get("join_fails", []):  # a failure whose message repeats the token, as careless tools do
        fail(f"Error: the hub refused bootstrap token {token} for {name}")
    body = {"cluster": sandbox_cluster_of(context), "its": "its1", "token": token, "clusterName": name}
    delay = float(knobs().get("join_delay", 0))
    if delay:  # the agent starts late: the CSR appears `delay` seconds after join returns
        subprocess.Popen([sys.executable, __file__, "_late_join", str(delay)], env={**os.environ,
                         "FAKE_JOIN": json.dumps(body)}, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        admin().request("POST", "/_sandbox/join", body)
    print(f"Please log onto the hub cluster and run the following command:\n\n"
          f"    clusteradm accept --clusters {name}")


def late_join(args: list[str]) -> None:
    time.sleep(float(args[0]))  # emulated agent start-up latency, not synchronisation
    admin().request("POST", "/_sandbox/join", json.loads(os.environ["FAKE_JOIN"]))


def accept(context: str, cluster: str) -> None:
    from kstellar_tui.sandbox.admin_client import AdminError

    world = state()
    tries = world["accepts"].get(cluster, 0)
    world["accepts"][cluster] = tries + 1
    save_state(world)
    not_there = (f'Error: fail to get managedcluster {cluster}: managedclusters.cluster.open-cluster-management.io '
                 f'"{cluster}" not found')
    if tries < knobs().get("accept_fails", {}).get(cluster, 0):
        fail(not_there)
    try:
        lines = admin().request("POST", "/_sandbox/accept", {"its": context, "clusters": [cluster]})["lines"]
    except AdminError:
        fail(not_there)
    print("\n".join(lines))


# ------------------------------------------------------------------ kubectl and docker
def kubectl(args: list[str]) -> None:
    real = os.environ["FAKE_REAL_KUBECTL"]
    if "apply" in args and any("ingress-nginx" in a and a.startswith("https://") for a in args):
        args = [str(HERE / "data" / "ingress-nginx.yaml") if a.startswith("https://") else a for a in args]
    os.execv(real, [real, *args])


def docker(args: list[str]) -> None:
    if args[:1] == ["--version"]:
        print(knobs().get("versions", {}).get("docker", VERSIONS["docker"]))
    else:
        fail(f"fake docker: unsupported {args}")


TOOLS = {"kind": kind, "k3d": k3d, "helm": helm, "kflex": kflex, "clusteradm": clusteradm, "kubectl": kubectl,
         "docker": docker}


def main() -> None:
    tool, args = sys.argv[1], sys.argv[2:]
    if tool == "_late_join":
        late_join(args)
        return
    stdin = sys.stdin.read() if "-" in args and "--config" in args else None
    record(tool, args, stdin)
    TOOLS[tool](args)


if __name__ == "__main__":
    main()

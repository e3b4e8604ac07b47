"""The Getting Started sequence (reference §1.2, k3d variant included) as ordered steps.

Step 1 ("core"): hosting cluster with ingress-nginx and SSL passthrough on port 9443, the core
chart, the `kflex ctx` contexts, and the waits Helm cannot do. Step 2 ("wecs"): per WEC create
(or adopt a context), rename the context, join with the token from `clusteradm get token`, wait
for the CSR, accept, wait until available, label. Every command passes an explicit context
where upstream relies on the current one (`--kube-context` for helm), so a step never depends on
what a previous one left current."""

from __future__ import annotations

import json
import shlex

from kstellar_tui.core.setup import checks
from kstellar_tui.core.setup.options import SetupOptions, WecSpec
from kstellar_tui.core.setup.steps import (
    Accept,
    Arg,
    Capture,
    Check,
    CreateCluster,
    DeleteCsrs,
    GetToken,
    HostOnly,
    InstallCore,
    Join,
    Kind,
    Label,
    Poll,
    Probe,
    Retry,
    SandboxMakesIt,
    ScriptForm,
    Step,
    Var,
    Wait,
)

CORE, WECS = "core", "wecs"
PHASES = (CORE, WECS)
CHART = "oci://ghcr.io/kubestellar/kubestellar/core-chart"
RELEASE = "ks-core"
INGRESS_MANIFEST = ("https://raw.githubusercontent.com/kubernetes/ingress-nginx/refs/tags/controller-v1.12.1/"
                    "deploy/static/provider/kind/deploy.yaml")
INGRESS_CHART_VERSION = "4.12.1"
K3S_IMAGE = "rancher/k3s:v1.32.13-k3s1"
SSL_PASSTHROUGH = "--enable-ssl-passthrough"
# The container args upstream's create-kind-cluster-with-SSL-passthrough.sh patches in.
_CONTROLLER_ARGS = [
    "/nginx-ingress-controller", "--election-id=ingress-nginx-leader", "--controller-class=k8s.io/ingress-nginx",
    "--ingress-class=nginx", "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller", "--validating-webhook=:8443",
    "--validating-webhook-certificate=/usr/local/certificates/cert",
    "--validating-webhook-key=/usr/local/certificates/key", "--watch-ingress-without-class=true",
    "--publish-status-address=localhost", SSL_PASSTHROUGH,
]
SSL_PATCH = json.dumps({"spec": {"template": {"spec": {"containers": [
    {"name": "controller", "args": _CONTROLLER_ARGS}]}}}}, separators=(",", ":"))
TOKEN = Var("TOKEN", secret=True)
HUB_APISERVER = Var("HUB_APISERVER")
WDS_CONTROLLERS = ("kubestellar-controller-manager", "transport-controller")
POLL = Poll()

NO_INGRESS = "the sandbox serves every space on its own port: no ingress needed"
NO_KFLEX_BOOKKEEPING = "the sandbox writes its kubeconfig itself: no kflex bookkeeping needed"
DOCKER_DOWN = (r"Cannot connect to the Docker daemon|docker\.sock|permission denied while trying to connect",
               "Docker is not running or not reachable: start it (`sudo systemctl start docker` or Docker Desktop) "
               "and make sure your user may use it, then run again")
STARVED = "if this hangs, the machine may lack CPU for the ITS (KubeStellar known issue: CPU insufficient for its1)"


def plan(options: SetupOptions, phase: str | None = None) -> list[Step]:
    """Every step, in order; `phase` keeps only Step 1 ("core") or Step 2 ("wecs")."""
    options.validate()
    steps = [*core_steps(options), *wec_steps(options)]
    return [s for s in steps if phase is None or s.phase == phase]


def kind_config(port: int) -> str:
    """What the SSL-passthrough script feeds `kind create cluster --config -`."""
    return (
        "kind: Cluster\n"
        "apiVersion: kind.x-k8s.io/v1alpha4\n"
        "nodes:\n"
        "- role: control-plane\n"
        "  kubeadmConfigPatches:\n"
        "  - |\n"
        "    kind: InitConfiguration\n"
        "    nodeRegistration:\n"
        "      kubeletExtraArgs:\n"
        '        node-labels: "ingress-ready=true"\n'
        "  extraPortMappings:\n"
        "  - containerPort: 443\n"
        f"    hostPort: {port}\n"
        "    protocol: TCP\n"
    )


# ------------------------------------------------------------------ Step 1
def core_steps(o: SetupOptions) -> list[Step]:
    host = o.hosting_context
    return [
        *_hosting_cluster(o),
        Step("use-hosting-context", CORE, f"Make {host} the current context, for kflex to record next",
             ("kubectl", "config", "use-context", host), HostOnly(NO_KFLEX_BOOKKEEPING),
             done=checks.kflex_hosting_is(host), hint=f"the kubeconfig has no context {host}: was the hosting "
             "cluster created in another kubeconfig (check KUBECONFIG)?"),
        _core_chart(o),
        Step("kflex-hosting", CORE, f"Record {host} as kflex's hosting context",
             ("kflex", "ctx", "--set-current-for-hosting"), HostOnly(NO_KFLEX_BOOKKEEPING),
             done=checks.kflex_hosting_is(host),
             hint=f"kflex could not record the hosting context: check that the current context is {host}"),
        *(_kflex_context(o, cp) for cp in (*o.wds, o.its)),
        *_its_waits(o),
        *(_wds_wait(o, wds) for wds in o.wds),
    ]


def _hosting_cluster(o: SetupOptions) -> list[Step]:
    name, host, port = o.hosting_name, o.hosting_context, o.port
    port_taken = (rf"port is already allocated|address already in use|bind.*{port}",
                  f"host port {port} is taken: find who holds it with `sudo lsof -i :{port}` (or "
                  f"`ss -ltnp 'sport = :{port}'`), stop it, then run again")
    ingress_ready = _wait_step(
        "ingress-ready", CORE, "Wait for the ingress-nginx controller to roll out",
        ("kubectl", "--context", host, "rollout", "status", "deployment/ingress-nginx-controller",
         "--namespace", "ingress-nginx", "--timeout=300s"),
        checks.deployments_ready(host, "ingress-nginx", ("ingress-nginx-controller",)), 300,
        "the ingress controller did not become ready: `kubectl --context {0} -n ingress-nginx describe pods` "
        "shows why (image pulls can take minutes on a slow network)".format(host), op=HostOnly(NO_INGRESS))
    if o.platform == "kind":
        create = Step(
            "hosting-cluster", CORE, f"Create the kind hosting cluster {name} (host port {port} → 443, ingress-ready)",
            ("kind", "create", "cluster", "--name", name, "--config", "-"), CreateCluster(host),
            done=checks.platform_lists(name, "kind"), stdin=kind_config(port), hints=(port_taken, DOCKER_DOWN),
            hint="kind could not create the cluster: read its output above; `kind delete cluster --name "
                 f"{name}` clears a half-made one")
        return [
            create,
            Step("ingress-nginx", CORE, "Install ingress-nginx controller-v1.12.1 (kind manifest)",
                 ("kubectl", "--context", host, "apply", "-f", INGRESS_MANIFEST), HostOnly(NO_INGRESS),
                 done=checks.deployment_exists(host, "ingress-nginx", "ingress-nginx-controller"),
                 hint="kubectl could not apply the ingress-nginx manifest: check network access to "
                      "raw.githubusercontent.com"),
            Step("ssl-passthrough", CORE, "Enable SSL passthrough on the ingress-nginx controller",
                 ("kubectl", "--context", host, "patch", "deployment", "ingress-nginx-controller", "-n",
                  "ingress-nginx", "-p", SSL_PATCH), HostOnly(NO_INGRESS),
                 done=checks.deployment_has_arg(host, "ingress-nginx", "ingress-nginx-controller", "controller",
                                                SSL_PASSTHROUGH),
                 hint="the patch was refused: is deployment ingress-nginx/ingress-nginx-controller there?"),
            ingress_ready,
        ]
    create = Step(
        "hosting-cluster", CORE, f"Create the k3d hosting cluster {name} (port {port} → 443, no traefik)",
        ("k3d", "cluster", "create", "--image", K3S_IMAGE, "-p", f"{port}:443@loadbalancer",
         "--k3s-arg", "--disable=traefik@server:*", name), CreateCluster(host),
        done=checks.platform_lists(name, "k3d"), hints=(port_taken, DOCKER_DOWN),
        hint=f"k3d could not create the cluster: read its output above; `k3d cluster delete {name}` clears a "
             "half-made one")
    return [
        create,
        Step("ingress-nginx", CORE, f"Install ingress-nginx chart {INGRESS_CHART_VERSION} with SSL passthrough",
             ("helm", "install", "ingress-nginx", "ingress-nginx", "--set",
              "controller.extraArgs.enable-ssl-passthrough=", "--repo", "https://kubernetes.github.io/ingress-nginx",
              "--version", INGRESS_CHART_VERSION, "--namespace", "ingress-nginx", "--create-namespace",
              "--kube-context", host), HostOnly(NO_INGRESS),
             done=checks.deployment_exists(host, "ingress-nginx", "ingress-nginx-controller"),
             hint="helm could not install ingress-nginx: check network access to kubernetes.github.io"),
        ingress_ready,
    ]


def _core_chart(o: SetupOptions) -> Step:
    host = o.hosting_context
    its = json.dumps([{"name": o.its}], separators=(",", ":"))
    wds = json.dumps([{"name": w} for w in o.wds], separators=(",", ":"))
    argv: tuple[Arg, ...] = ("helm", "upgrade", "--install", RELEASE, CHART, "--version", o.version,
                             "--set-json", f"ITSes={its}", "--set-json", f"WDSes={wds}",
                             "--set", "verbosity.default=5")
    if o.platform == "k3d":
        argv += ("--set", f"kubeflex-operator.hostContainer=k3d-{o.hosting_name}-server-0")
    return Step(
        "core-chart", CORE, f"Install the KubeStellar {o.version} core chart (ITS {o.its}, WDS {', '.join(o.wds)})",
        (*argv, "--kube-context", host), InstallCore((o.its,), o.wds),
        done=checks.control_planes_exist(host, (o.its, *o.wds)),
        note="helm keeps exactly the ITSes and WDSes listed: relisting fewer than are installed deletes the others",
        hints=((r"ghcr\.io|failed to do request|unauthorized|denied",
                "helm cannot fetch the chart from ghcr.io: check network and proxy settings; a stale login is "
                "cleared with `helm registry logout ghcr.io` (KubeStellar known issue: helm and ghcr)"),
               (r"cluster unreachable|connection refused",
                f"the hosting cluster does not answer: is it running (`kubectl --context {host} get nodes`)?")),
        hint="helm failed: read its output above")


def _kflex_context(o: SetupOptions, cp: str) -> Step:
    exists = checks.context_exists(cp)
    return Step(
        f"kflex-ctx-{cp}", CORE, f"Add the kubeconfig context {cp} (kflex ctx)",
        ("kflex", "ctx", "--overwrite-existing-context", cp), SandboxMakesIt("the sandbox's KubeFlex adds it"),
        done=exists, wait=Wait(exists, 300),
        hints=((r"hosting cluster context is not known",
                "kflex does not know the hosting context: run `kflex ctx --set-current-for-hosting` while "
                f"{o.hosting_context} is current (the step before)"),
               (r"deadline exceeded", f"the ControlPlane {cp} never produced its kubeconfig secret; {STARVED}")),
        hint=f"kflex could not load the context of {cp}: `kubectl --context {o.hosting_context} get controlplanes`")


def _its_waits(o: SetupOptions) -> list[Step]:
    host, its = o.hosting_context, o.its
    cp = f"controlplane.tenancy.kflex.kubestellar.org/{its}"
    steps = []
    for hook in ("its-hub-init", "install-status-addon"):
        steps.append(_wait_step(
            f"{its}-hook-{hook}", CORE, f"Wait for {its}'s post-create hook {hook} to be applied",
            ("kubectl", "--context", host, "wait", cp, "--for", f"jsonpath={{.status.postCreateHooks.{hook}}}=true",
             "--timeout", "90s"), checks.hook_applied(host, its, hook), 90,
            f"KubeFlex has not applied {hook}: `kubectl --context {host} describe {cp}`; {STARVED}"))
        steps.append(_job_wait(o, hook))
    steps.append(_job_wait(o, "update-cluster-info"))
    return steps


def _job_wait(o: SetupOptions, job: str) -> Step:
    host, ns = o.hosting_context, f"{o.its}-system"
    return _wait_step(
        f"{o.its}-job-{job}", CORE, f"Wait for job {ns}/{job} to complete",
        ("kubectl", "--context", host, "wait", "-n", ns, f"job.batch/{job}", "--for", "condition=Complete",
         "--timeout", "150s"), checks.job_completed(host, ns, job), 150,
        f"job {job} did not complete: `kubectl --context {host} -n {ns} logs job/{job}`; {STARVED}")


def _wds_wait(o: SetupOptions, wds: str) -> Step:
    host, ns = o.hosting_context, f"{wds}-system"
    return _wait_step(
        f"{wds}-controllers", CORE, f"Wait for {wds}'s controller manager and transport controller",
        ("kubectl", "--context", host, "wait", "-n", ns, *(f"deployment/{d}" for d in WDS_CONTROLLERS),
         "--for", "condition=Available", "--timeout", "300s"), checks.deployments_ready(host, ns, WDS_CONTROLLERS),
        300, f"the {wds} controllers are not available: `kubectl --context {host} -n {ns} get pods`")


def _wait_step(step_id: str, phase: str, title: str, argv: tuple[Arg, ...], condition: Check, timeout: float,
               hint: str, *, op: HostOnly | Poll = POLL, form: ScriptForm = ScriptForm.RUN,
               cluster: str | None = None) -> Step:
    return Step(step_id, phase, title, argv, op, kind=Kind.WAIT, mutates=False, wait=Wait(condition, timeout),
                hint=hint, script_form=form, cluster=cluster)


# ------------------------------------------------------------------ Step 2
def wec_steps(o: SetupOptions) -> list[Step]:
    created = [w for w in o.wecs if not w.adopted]
    joins = [_join(o, w) for w in o.wecs]
    return [
        *(_create_wec(o, w) for w in created),
        *(_rename_context(o, w) for w in created),
        Step("token", WECS, f"Get the join token from {o.its} (kept in memory, never shown)",
             ("clusteradm", "--context", o.its, "get", "token"), GetToken(o.its), kind=Kind.CAPTURE, mutates=False,
             done=checks.all_of("every WEC has joined already", (j.done for j in joins if j.done)),
             captures=(Capture(TOKEN, "--hub-token"), Capture(HUB_APISERVER, "--hub-apiserver")),
             hint=f"{o.its} is not an OCM hub yet: finish Step 1 first (`kstellar-tui setup run --step core`)"),
        *joins,
        *(_csr_wait(o, w) for w in o.wecs),
        *(_prune_csrs(o, w) for w in o.wecs),
        *(_accept(o, w) for w in o.wecs),
        *(_available_wait(o, w) for w in o.wecs),
        *(label_step(o, w) for w in o.wecs),
    ]


def _create_wec(o: SetupOptions, w: WecSpec) -> Step:
    if o.platform == "kind":
        argv: tuple[Arg, ...] = ("kind", "create", "cluster", "--name", w.name)
    else:
        argv = ("k3d", "cluster", "create", "--image", K3S_IMAGE, "--network", f"k3d-{o.hosting_name}", w.name)
    return Step(
        f"create-{w.name}", WECS, f"Create the {o.platform} cluster {w.name}", argv, CreateCluster(w.name),
        done=checks.any_of(f"{w.name} exists (cluster listed or context present)",
                           (checks.platform_lists(w.name, o.platform), checks.context_exists(w.name))),
        hints=(DOCKER_DOWN, (r"too many open files|inotify",
                             "raise the inotify limits (see `kstellar-tui setup check`), then run again")),
        hint=f"{o.platform} could not create {w.name}: read its output above", cluster=w.name)


def _rename_context(o: SetupOptions, w: WecSpec) -> Step:
    source = f"{o.platform}-{w.name}"
    return Step(
        f"rename-{w.name}", WECS, f"Rename the context {source} to {w.name}",
        ("kubectl", "config", "rename-context", source, w.name),
        HostOnly(f"the sandbox names the context {w.name} directly"), done=checks.context_exists(w.name),
        hint=f"the kubeconfig has no context {source}: was {w.name} created in another kubeconfig?", cluster=w.name)


def _join(o: SetupOptions, w: WecSpec) -> Step:
    return Step(
        f"join-{w.name}", WECS, f"Join {w.name} to {o.its} (clusteradm join, singleton agent)",
        ("clusteradm", "join", "--hub-token", TOKEN, "--hub-apiserver", HUB_APISERVER, "--cluster-name", w.name,
         "--context", w.kube_context, "--singleton", *o.join_flags),
        Join(w.kube_context, o.its, w.name),
        done=checks.any_of(f"{w.name} has joined already",
                           (checks.klusterlet_for(w.kube_context, w.name), checks.cluster_joined(o.its, w.name))),
        hints=((r"connection refused|no such host|unable to connect",
                f"{w.name} cannot be reached through context {w.kube_context}: is the cluster running?"),),
        hint=f"clusteradm join failed: read its output above; `kubectl --context {w.kube_context} get klusterlet` "
             "shows what a previous join left", cluster=w.name)


def _csr_wait(o: SetupOptions, w: WecSpec) -> Step:
    return _wait_step(
        f"csr-{w.name}", WECS, f"Wait for {w.name}'s certificate signing request (it can take minutes)",
        ("kubectl", "--context", o.its, "get", "csr", "-l", f"{checks.CLUSTER_NAME_LABEL}={w.name}"),
        checks.csr_filed(o.its, w.name), 600,
        f"no CSR from {w.name}: look at its agent with `kubectl --context {w.kube_context} -n "
        f"open-cluster-management-agent get pods` and their logs; {STARVED}", form=ScriptForm.UNTIL, cluster=w.name)


def _prune_csrs(o: SetupOptions, w: WecSpec) -> Step:
    """Several pending CSRs (a join run twice): keep the newest, as the troubleshooting guide says."""
    label = f"{checks.CLUSTER_NAME_LABEL}={w.name}"
    stale = Var(f"STALE_CSRS_{w.name.replace('-', '_').upper()}", many=True)
    listing = shlex.join(["kubectl", "--context", o.its, "get", "csr", "-l", label,
                          "--sort-by=.metadata.creationTimestamp", "--no-headers"])
    return Step(
        f"prune-csrs-{w.name}", WECS, f"Delete stale pending CSRs of {w.name}, keeping the newest",
        ("kubectl", "--context", o.its, "delete", "csr", stale), DeleteCsrs(o.its),
        done=checks.single_pending_csr(o.its, w.name),
        derive=lambda probe: {stale.name: checks.stale_csrs(probe, o.its, w.name)},
        bash=(f"{stale.name}=\"$({listing} | awk '$NF == \"Pending\" {{print $1}}' | sed '$d')\"\n"
               f"[ -z \"${stale.name}\" ] || kubectl --context {shlex.quote(o.its)} delete csr ${stale.name}"),
        hint=f"kubectl could not delete the stale CSRs: `kubectl --context {o.its} get csr -l {label}`",
        cluster=w.name)


def _accept(o: SetupOptions, w: WecSpec) -> Step:
    joined = checks.cluster_joined(o.its, w.name)
    return Step(
        f"accept-{w.name}", WECS, f"Accept {w.name} on {o.its} (approve its CSR)",
        ("clusteradm", "--context", o.its, "accept", "--clusters", w.name), Accept(o.its, w.name),
        done=joined, wait=Wait(joined, 300),
        retry=Retry((r"fail to get managedcluster", r"no CSR to approve", r"not found")),
        hint=f"{w.name} did not join after acceptance: `kubectl --context {o.its} get managedcluster {w.name} -o yaml` "
             f"and `kubectl --context {o.its} get csr -l {checks.CLUSTER_NAME_LABEL}={w.name}`",
        cluster=w.name)


def _available_wait(o: SetupOptions, w: WecSpec) -> Step:
    return _wait_step(
        f"available-{w.name}", WECS, f"Wait for {w.name} to be available",
        ("kubectl", "--context", o.its, "wait", f"managedcluster/{w.name}", "--for",
         f"condition={checks.AVAILABLE}", "--timeout", "300s"), checks.cluster_available(o.its, w.name), 300,
        f"{w.name}'s agent stopped renewing its lease: is the WEC running? "
        f"(`kubectl --context {w.kube_context} -n open-cluster-management-agent get pods`)", cluster=w.name)


def label_step(o: SetupOptions, w: WecSpec) -> Step:
    """The label step for one WEC (the label editor runs it alone with the edited labels)."""
    labels = w.effective_labels
    return Step(
        f"label-{w.name}", WECS, f"Label {w.name}: {' '.join(f'{k}={v}' for k, v in labels)}",
        ("kubectl", "--context", o.its, "label", "managedcluster", w.name, *(f"{k}={v}" for k, v in labels),
         "--overwrite"), Label(o.its, w.name, labels), done=checks.cluster_labelled(o.its, w.name, labels),
        hint=f"kubectl could not label managedcluster {w.name}: read its output above", cluster=w.name)


# ------------------------------------------------------------------ what the plan would break
def relist_warning(options: SetupOptions, probe: Probe) -> str | None:
    """The core chart deletes the spaces it installed before and no longer lists: name them first."""
    listed = {options.its, *options.wds}
    existing = probe.items(options.hosting_context, checks.CONTROL_PLANES)
    doomed = sorted(
        (cp.get("metadata") or {}).get("name", "") for cp in existing
        if ((cp.get("metadata") or {}).get("annotations") or {}).get("meta.helm.sh/release-name") == RELEASE
        and (cp.get("metadata") or {}).get("name") not in listed)
    if not doomed:
        return None
    return (f"the core chart is installed with {', '.join(doomed)} too; running it with only "
            f"{', '.join(sorted(listed))} deletes {', '.join(doomed)} — list them again to keep them")

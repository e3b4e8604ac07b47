"""The real kubectl against the sandbox: what a user types, what a user sees.

One sandbox for the module (cluster `a`); every test works in its own namespace, so the tests
stay independent of each other and of their order.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess

import pytest
import yaml

from ._helpers import DATA, LineReader, Sandbox, kubectl_env, running_sandbox, table_rows

pytestmark = pytest.mark.kubectl

CTX = "a"
AGE = re.compile(r"^\d+(s|m\d*s?|h\d*m?|d\d*h?|y\d*d?)$")
_counter = itertools.count(1)


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory):
    with running_sandbox(tmp_path_factory.mktemp("kubectl"), [CTX]) as sandbox:
        yield sandbox


@pytest.fixture
def ns(sb: Sandbox) -> str:
    name = f"t{next(_counter)}"
    doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    assert sb.kubectl_ok(CTX, "create", "-f", "-", input=json.dumps(doc)).strip() == f"namespace/{name} created"
    return name


def make_cm(sb: Sandbox, ns: str, name: str, **data: str) -> None:
    """A ConfigMap created from a manifest (`kubectl create -f -`)."""
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}
    assert sb.kubectl_ok(CTX, "create", "-n", ns, "-f", "-", input=json.dumps(doc)).strip() == \
        f"configmap/{name} created"


@pytest.fixture(scope="module")
def widget_crd(sb: Sandbox) -> str:
    out = sb.kubectl_ok(CTX, "apply", "-f", str(DATA / "widget-crd.yaml"))
    assert out.strip() == "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"
    sb.kubectl_ok(CTX, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
    return "widgets.example.com"


def k(sb: Sandbox, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return sb.kubectl(CTX, *args, input=input)


def ok(sb: Sandbox, *args: str, input: str | None = None) -> str:
    return sb.kubectl_ok(CTX, *args, input=input)


def get_json(sb: Sandbox, *args: str) -> dict:
    return json.loads(ok(sb, "get", *args, "-o", "json"))


def deployment_doc(**spec_overrides) -> dict:
    doc = yaml.safe_load((DATA / "deployment.yaml").read_text())
    doc["spec"].update(spec_overrides)
    return doc


def apply_deployment(sb: Sandbox, ns: str) -> None:
    out = ok(sb, "apply", "-n", ns, "-f", str(DATA / "deployment.yaml"))
    assert out.strip() == "deployment.apps/web created"


# ---- discovery ---------------------------------------------------------------------------------

def test_api_resources_lists_builtin_kinds_with_short_names_and_scope(sb: Sandbox) -> None:
    header, rows = table_rows(ok(sb, "api-resources"))
    assert header == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    by_name = {(r[0], r[2]): r for r in rows}
    assert by_name[("deployments", "apps/v1")] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert by_name[("namespaces", "v1")] == ["namespaces", "ns", "v1", "false", "Namespace"]
    assert by_name[("configmaps", "v1")] == ["configmaps", "cm", "v1", "true", "ConfigMap"]
    crd = by_name[("customresourcedefinitions", "apiextensions.k8s.io/v1")]
    assert crd[1] == "crd,crds" and crd[3] == "false" and crd[4] == "CustomResourceDefinition"


def test_api_resources_filters_by_group_and_prints_names(sb: Sandbox) -> None:
    names = ok(sb, "api-resources", "--api-group=apps", "-o", "name").split()
    assert "deployments.apps" in names
    assert all(n.endswith(".apps") for n in names), names
    namespaced = ok(sb, "api-resources", "--namespaced=false", "-o", "name").split()
    assert "namespaces" in namespaced and "configmaps" not in namespaced


# ---- imperative commands (kubectl sends these bodies as protobuf) ----------------------------------

def test_create_namespace_and_configmap_imperatively(sb: Sandbox) -> None:
    assert ok(sb, "create", "namespace", "imperative").strip() == "namespace/imperative created"
    out = ok(sb, "create", "configmap", "literal", "-n", "imperative", "--from-literal=a=1", "--from-literal=b=2")
    assert out.strip() == "configmap/literal created"
    assert get_json(sb, "configmap", "literal", "-n", "imperative")["data"] == {"a": "1", "b": "2"}
    out = ok(sb, "create", "deployment", "imp", "-n", "imperative", "--image=nginx:1.27", "--replicas=2")
    assert out.strip() == "deployment.apps/imp created"
    dep = get_json(sb, "deployment", "imp", "-n", "imperative")
    assert dep["spec"]["replicas"] == 2
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"


# ---- get -----------------------------------------------------------------------------------------

def test_get_prints_the_server_side_table(sb: Sandbox, ns: str) -> None:
    make_cm(sb, ns, "settings", a="1", b="2")
    apply_deployment(sb, ns)

    header, rows = table_rows(ok(sb, "get", "configmaps", "-n", ns))
    assert header == ["NAME", "DATA", "AGE"]
    settings = next(r for r in rows if r[0] == "settings")
    assert settings[1] == "2" and AGE.match(settings[2]), rows

    header, rows = table_rows(ok(sb, "get", "deploy", "-n", ns))
    assert header == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert [r[0] for r in rows] == ["web"]
    assert re.fullmatch(r"\d+/2", rows[0][1]), rows

    header, rows = table_rows(ok(sb, "get", "namespace", ns))
    assert header == ["NAME", "STATUS", "AGE"]
    assert rows[0][:2] == [ns, "Active"]


def test_get_lists_across_namespaces_with_a_namespace_column(sb: Sandbox, ns: str) -> None:
    make_cm(sb, ns, "everywhere", a="1")
    header, rows = table_rows(ok(sb, "get", "configmaps", "-A"))
    assert header[:2] == ["NAMESPACE", "NAME"]
    assert [ns, "everywhere"] in [r[:2] for r in rows]


def test_get_json_and_yaml_show_the_stored_object(sb: Sandbox, ns: str) -> None:
    make_cm(sb, ns, "cfg", colour="blue")
    obj = get_json(sb, "configmap", "cfg", "-n", ns)
    assert obj["apiVersion"] == "v1" and obj["kind"] == "ConfigMap"
    assert obj["data"] == {"colour": "blue"}
    meta = obj["metadata"]
    assert meta["name"] == "cfg" and meta["namespace"] == ns
    assert meta["uid"] and meta["resourceVersion"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["creationTimestamp"])

    as_yaml = yaml.safe_load(ok(sb, "get", "configmap", "cfg", "-n", ns, "-o", "yaml"))
    assert as_yaml == obj

    listing = get_json(sb, "configmaps", "-n", ns)
    assert listing["kind"] == "List"
    assert "cfg" in [i["metadata"]["name"] for i in listing["items"]]

    jp = ok(sb, "get", "configmap", "cfg", "-n", ns, "-o", "jsonpath={.data.colour}")
    assert jp == "blue"


def test_get_with_label_and_field_selectors(sb: Sandbox, ns: str) -> None:
    for name, tier in (("one", "front"), ("two", "back"), ("three", "front")):
        make_cm(sb, ns, name)
        ok(sb, "label", "configmap", name, "-n", ns, f"tier={tier}")
    front = ok(sb, "get", "cm", "-n", ns, "-l", "tier=front", "-o", "name").split()
    assert sorted(front) == ["configmap/one", "configmap/three"]
    notfront = ok(sb, "get", "cm", "-n", ns, "-l", "tier!=front,tier", "-o", "name").split()
    assert notfront == ["configmap/two"]
    by_field = ok(sb, "get", "cm", "-n", ns, "--field-selector", "metadata.name=three", "-o", "name").split()
    assert by_field == ["configmap/three"]


def test_get_watch_with_output_watch_events(sb: Sandbox, ns: str) -> None:
    make_cm(sb, ns, "first", a="1")
    argv = sb.kubectl_argv(CTX, "get", "configmaps", "-n", ns, "-w", "--output-watch-events")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=kubectl_env(sb.kubeconfig))
    try:
        reader = LineReader(proc)
        header = reader.wait_line(lambda line: line.startswith("EVENT"))
        assert re.split(r"\s{2,}", header.strip()) == ["EVENT", "NAME", "DATA", "AGE"]
        added_first = reader.wait_line(lambda line: "first" in line.split())
        assert added_first.split()[:3] == ["ADDED", "first", "1"]

        make_cm(sb, ns, "second")
        assert reader.wait_line(lambda line: "second" in line.split()).split()[:3] == ["ADDED", "second", "0"]

        ok(sb, "patch", "configmap", "second", "-n", ns, "--type", "merge", "-p", '{"data":{"x":"1","y":"2"}}')
        assert reader.wait_line(lambda line: "second" in line.split()).split()[:3] == ["MODIFIED", "second", "2"]

        ok(sb, "delete", "configmap", "second", "-n", ns)
        assert reader.wait_line(lambda line: "second" in line.split()).split()[:2] == ["DELETED", "second"]
        assert proc.poll() is None, "kubectl get -w must keep watching"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ---- apply ---------------------------------------------------------------------------------------

def test_apply_creates_then_updates_a_deployment(sb: Sandbox, ns: str) -> None:
    apply_deployment(sb, ns)
    dep = get_json(sb, "deployment", "web", "-n", ns)
    assert dep["spec"]["replicas"] == 2
    assert dep["metadata"]["generation"] == 1
    assert "kubectl.kubernetes.io/last-applied-configuration" in dep["metadata"]["annotations"]
    rv1 = int(dep["metadata"]["resourceVersion"])

    changed = deployment_doc(replicas=3)
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    del changed["metadata"]["labels"]          # removed from the file: apply removes it from the object
    out = ok(sb, "apply", "-n", ns, "-f", "-", input=yaml.safe_dump(changed))
    assert out.strip() == "deployment.apps/web configured"

    dep = get_json(sb, "deployment", "web", "-n", ns)
    assert dep["spec"]["replicas"] == 3
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert "app" not in (dep["metadata"].get("labels") or {})
    assert dep["metadata"]["generation"] == 2
    assert int(dep["metadata"]["resourceVersion"]) > rv1

    again = ok(sb, "apply", "-n", ns, "-f", "-", input=yaml.safe_dump(changed))
    assert again.strip() == "deployment.apps/web unchanged"
    # nothing was sent: the spec and its generation stay (status may move on: the sandbox rolls deployments out)
    again_dep = get_json(sb, "deployment", "web", "-n", ns)
    assert again_dep["metadata"]["generation"] == 2 and again_dep["spec"] == dep["spec"]


def test_apply_with_default_validation_refuses_an_unknown_field(sb: Sandbox, ns: str) -> None:
    doc = deployment_doc()
    doc["spec"]["replicass"] = 4
    proc = k(sb, "apply", "-n", ns, "-f", "-", input=yaml.safe_dump(doc))
    assert proc.returncode == 1
    assert "replicass" in proc.stderr and "unknown field" in proc.stderr, proc.stderr
    assert k(sb, "get", "deployment", "web", "-n", ns).returncode == 1


def test_apply_creates_then_updates_a_custom_resource(sb: Sandbox, ns: str, widget_crd: str) -> None:
    out = ok(sb, "apply", "-n", ns, "-f", str(DATA / "widget.yaml"))
    assert out.strip() == "widget.example.com/w1 created"

    doc = yaml.safe_load((DATA / "widget.yaml").read_text())
    doc["spec"]["color"] = "green"
    doc["spec"]["tags"] = ["c"]
    out = ok(sb, "apply", "-n", ns, "-f", "-", input=yaml.safe_dump(doc))
    assert out.strip() == "widget.example.com/w1 configured"

    w = get_json(sb, "widget", "w1", "-n", ns)
    assert w["spec"] == {"color": "green", "replicas": 1, "tags": ["c"]}
    assert w["metadata"]["labels"] == {"shape": "round"}

    header, rows = table_rows(ok(sb, "get", "wd", "-n", ns))      # short name from the CRD
    assert header == ["NAME", "COLOR", "REPLICAS", "AGE"]
    assert rows[0][:3] == ["w1", "green", "1"]


def test_a_custom_resource_that_breaks_its_schema_is_refused(sb: Sandbox, ns: str, widget_crd: str) -> None:
    doc = yaml.safe_load((DATA / "widget.yaml").read_text())
    doc["spec"]["color"] = "purple"
    proc = k(sb, "apply", "-n", ns, "-f", "-", input=yaml.safe_dump(doc))
    assert proc.returncode == 1
    assert 'The Widget "w1" is invalid' in proc.stderr, proc.stderr
    assert "spec.color" in proc.stderr and "Unsupported value" in proc.stderr, proc.stderr
    assert k(sb, "get", "widget", "w1", "-n", ns).returncode == 1


def test_apply_server_side_creates_updates_and_reports_conflicts(sb: Sandbox, ns: str) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"},
          "data": {"color": "red", "size": "s"}}
    out = ok(sb, "apply", "--server-side", "-n", ns, "-f", "-", input=json.dumps(cm))
    assert out.strip() == "configmap/ssa serverside-applied"
    obj = get_json(sb, "cm", "ssa", "-n", ns, "--show-managed-fields")
    assert obj["data"] == {"color": "red", "size": "s"}
    managers = {(m["manager"], m["operation"]) for m in obj["metadata"]["managedFields"]}
    assert ("kubectl", "Apply") in managers

    cm["data"] = {"color": "blue"}             # the field manager dropped `size`: apply removes it
    out = ok(sb, "apply", "--server-side", "-n", ns, "-f", "-", input=json.dumps(cm))
    assert out.strip() == "configmap/ssa serverside-applied"
    assert get_json(sb, "cm", "ssa", "-n", ns)["data"] == {"color": "blue"}

    other = {**cm, "data": {"color": "green"}}
    proc = k(sb, "apply", "--server-side", "--field-manager=other", "-n", ns, "-f", "-", input=json.dumps(other))
    assert proc.returncode == 1
    assert "conflict" in proc.stderr.lower() and ".data.color" in proc.stderr, proc.stderr
    assert get_json(sb, "cm", "ssa", "-n", ns)["data"] == {"color": "blue"}

    ok(sb, "apply", "--server-side", "--field-manager=other", "--force-conflicts", "-n", ns, "-f", "-",
       input=json.dumps(other))
    assert get_json(sb, "cm", "ssa", "-n", ns)["data"] == {"color": "green"}


# ---- label / annotate / scale ---------------------------------------------------------------------

def test_label_overwrite_and_unlabel(sb: Sandbox, ns: str) -> None:
    apply_deployment(sb, ns)
    assert ok(sb, "label", "deploy", "web", "-n", ns, "tier=frontend").strip() == "deployment.apps/web labeled"
    assert ok(sb, "get", "deploy", "-n", ns, "-l", "tier=frontend", "-o", "name").split() == ["deployment.apps/web"]

    refused = k(sb, "label", "deploy", "web", "-n", ns, "tier=backend")
    assert refused.returncode == 1
    assert "error: 'tier' already has a value (frontend), and --overwrite is false" in refused.stderr
    assert get_json(sb, "deploy", "web", "-n", ns)["metadata"]["labels"]["tier"] == "frontend"

    out = ok(sb, "label", "deploy", "web", "-n", ns, "tier=backend", "--overwrite")
    assert out.strip() == "deployment.apps/web labeled"
    assert get_json(sb, "deploy", "web", "-n", ns)["metadata"]["labels"]["tier"] == "backend"

    assert ok(sb, "label", "deploy", "web", "-n", ns, "tier-").strip() == "deployment.apps/web unlabeled"
    labels = get_json(sb, "deploy", "web", "-n", ns)["metadata"]["labels"]
    assert "tier" not in labels and labels["app"] == "web"


def test_annotate_and_remove_an_annotation(sb: Sandbox, ns: str) -> None:
    apply_deployment(sb, ns)
    assert ok(sb, "annotate", "deploy", "web", "-n", ns, "owner=team-a").strip() == "deployment.apps/web annotated"
    refused = k(sb, "annotate", "deploy", "web", "-n", ns, "owner=team-b")
    assert refused.returncode == 1 and "--overwrite is false" in refused.stderr, refused.stderr
    ok(sb, "annotate", "deploy", "web", "-n", ns, "owner=team-b", "--overwrite")
    assert get_json(sb, "deploy", "web", "-n", ns)["metadata"]["annotations"]["owner"] == "team-b"
    ok(sb, "annotate", "deploy", "web", "-n", ns, "owner-")
    assert "owner" not in get_json(sb, "deploy", "web", "-n", ns)["metadata"].get("annotations", {})


def test_scale_a_deployment_and_a_custom_resource(sb: Sandbox, ns: str, widget_crd: str) -> None:
    apply_deployment(sb, ns)
    assert ok(sb, "scale", "deploy", "web", "-n", ns, "--replicas=5").strip() == "deployment.apps/web scaled"
    assert get_json(sb, "deploy", "web", "-n", ns)["spec"]["replicas"] == 5

    wrong = k(sb, "scale", "deploy", "web", "-n", ns, "--current-replicas=4", "--replicas=1")
    assert wrong.returncode == 1
    assert "Expected replicas to be 4, was 5" in wrong.stderr, wrong.stderr
    assert get_json(sb, "deploy", "web", "-n", ns)["spec"]["replicas"] == 5

    ok(sb, "apply", "-n", ns, "-f", str(DATA / "widget.yaml"))
    assert ok(sb, "scale", "widget", "w1", "-n", ns, "--replicas=4").strip() == "widget.example.com/w1 scaled"
    assert get_json(sb, "widget", "w1", "-n", ns)["spec"]["replicas"] == 4


# ---- patch ---------------------------------------------------------------------------------------

def test_patch_merge_json_and_strategic(sb: Sandbox, ns: str) -> None:
    apply_deployment(sb, ns)
    sidecar = '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}'

    # strategic (the default for built-ins): containers merge by name
    assert ok(sb, "patch", "deploy", "web", "-n", ns, "-p", sidecar).strip() == "deployment.apps/web patched"
    names = [c["name"] for c in get_json(sb, "deploy", "web", "-n", ns)["spec"]["template"]["spec"]["containers"]]
    assert names == ["web", "sidecar"] or sorted(names) == ["sidecar", "web"]

    # merge patch: the list is replaced wholesale
    ok(sb, "patch", "deploy", "web", "-n", ns, "--type", "merge", "-p",
       '{"metadata":{"labels":{"patched":"yes"}},'
       '"spec":{"template":{"spec":{"containers":[{"name":"only","image":"nginx:1.27"}]}}}}')
    dep = get_json(sb, "deploy", "web", "-n", ns)
    assert [c["name"] for c in dep["spec"]["template"]["spec"]["containers"]] == ["only"]
    assert dep["metadata"]["labels"]["patched"] == "yes"

    # JSON patch
    out = ok(sb, "patch", "deploy", "web", "-n", ns, "--type", "json", "-p",
             '[{"op":"replace","path":"/spec/replicas","value":7},'
             '{"op":"remove","path":"/metadata/labels/patched"}]')
    assert out.strip() == "deployment.apps/web patched"
    dep = get_json(sb, "deploy", "web", "-n", ns)
    assert dep["spec"]["replicas"] == 7 and "patched" not in dep["metadata"]["labels"]

    # a failing JSON-patch test operation changes nothing
    failed = k(sb, "patch", "deploy", "web", "-n", ns, "--type", "json", "-p",
               '[{"op":"test","path":"/spec/replicas","value":99},{"op":"replace","path":"/spec/replicas","value":1}]')
    assert failed.returncode == 1, failed.stderr
    assert "The request is invalid" in failed.stderr and "/spec/replicas" in failed.stderr, failed.stderr
    assert get_json(sb, "deploy", "web", "-n", ns)["spec"]["replicas"] == 7

    # a patch that changes nothing says so (on a ConfigMap: no controller moves it meanwhile)
    make_cm(sb, ns, "still", a="1")
    same = ok(sb, "patch", "cm", "still", "-n", ns, "--type", "merge", "-p", '{"data":{"a":"1"}}')
    assert same.strip() == "configmap/still patched (no change)"


def test_strategic_merge_patch_on_a_custom_resource_is_unsupported(sb: Sandbox, ns: str, widget_crd: str) -> None:
    ok(sb, "apply", "-n", ns, "-f", str(DATA / "widget.yaml"))
    proc = k(sb, "patch", "widget", "w1", "-n", ns, "--type", "strategic", "-p", '{"spec":{"color":"blue"}}')
    assert proc.returncode == 1
    assert "UnsupportedMediaType" in proc.stderr or "not supported" in proc.stderr, proc.stderr
    ok(sb, "patch", "widget", "w1", "-n", ns, "--type", "merge", "-p", '{"spec":{"color":"blue"}}')
    assert get_json(sb, "widget", "w1", "-n", ns)["spec"]["color"] == "blue"


# ---- replace / delete ------------------------------------------------------------------------------

def test_replace_and_its_optimistic_concurrency(sb: Sandbox, ns: str) -> None:
    # a ConfigMap: no controller writes to it between the test's get and replace
    make_cm(sb, ns, "cfg", size="s")
    current = get_json(sb, "cm", "cfg", "-n", ns)
    current["data"] = {"size": "m"}
    out = ok(sb, "replace", "-f", "-", input=json.dumps(current))
    assert out.strip() == "configmap/cfg replaced"
    assert get_json(sb, "cm", "cfg", "-n", ns)["data"] == {"size": "m"}

    current["data"] = {"size": "xl"}           # still carries the old resourceVersion
    stale = k(sb, "replace", "-f", "-", input=json.dumps(current))
    assert stale.returncode == 1
    assert ('Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on '
            'configmaps "cfg": the object has been modified; please apply your changes to the latest '
            "version and try again") in stale.stderr, stale.stderr
    assert get_json(sb, "cm", "cfg", "-n", ns)["data"] == {"size": "m"}


def test_delete_removes_the_object(sb: Sandbox, ns: str) -> None:
    apply_deployment(sb, ns)
    assert ok(sb, "delete", "deploy", "web", "-n", ns).strip() == 'deployment.apps "web" deleted'
    gone = k(sb, "get", "deploy", "web", "-n", ns)
    assert gone.returncode == 1
    assert 'Error from server (NotFound): deployments.apps "web" not found' in gone.stderr


def test_delete_waits_for_finalizers(sb: Sandbox, ns: str) -> None:
    held = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "held", "finalizers": ["example.com/hold"]}, "data": {"a": "1"}}
    ok(sb, "create", "-n", ns, "-f", "-", input=json.dumps(held))
    proc = subprocess.Popen(sb.kubectl_argv(CTX, "delete", "configmap", "held", "-n", ns, "--timeout=60s"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=kubectl_env(sb.kubeconfig))
    try:
        reader = LineReader(proc)
        assert reader.wait_line(lambda line: "deleted" in line) == 'configmap "held" deleted'
        obj = get_json(sb, "cm", "held", "-n", ns)       # still there, marked for deletion
        assert obj["metadata"].get("deletionTimestamp")
        assert proc.poll() is None, "kubectl delete must wait while a finalizer holds the object"

        ok(sb, "patch", "cm", "held", "-n", ns, "--type", "json", "-p",
           '[{"op":"remove","path":"/metadata/finalizers"}]')
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert k(sb, "get", "cm", "held", "-n", ns).returncode == 1


def test_delete_namespace_takes_its_contents_with_it(sb: Sandbox, ns: str) -> None:
    make_cm(sb, ns, "inside")
    apply_deployment(sb, ns)
    assert ok(sb, "delete", "namespace", ns, "--timeout=60s").strip() == f'namespace "{ns}" deleted'
    gone = k(sb, "get", "namespace", ns)
    assert gone.returncode == 1 and f'namespaces "{ns}" not found' in gone.stderr
    assert ok(sb, "get", "configmaps,deployments", "-A", "--field-selector", f"metadata.namespace={ns}",
              "-o", "name").strip() == ""


# ---- CRDs ----------------------------------------------------------------------------------------

def test_create_a_crd_then_objects_of_it_then_remove_it(sb: Sandbox, ns: str) -> None:
    crd = yaml.safe_load((DATA / "widget-crd.yaml").read_text())
    crd["metadata"]["name"] = "gadgets.example.com"
    crd["spec"]["names"] = {"kind": "Gadget", "listKind": "GadgetList", "plural": "gadgets",
                            "singular": "gadget", "shortNames": ["gd"]}
    out = ok(sb, "create", "-f", "-", input=yaml.safe_dump(crd))
    assert out.strip() == "customresourcedefinition.apiextensions.k8s.io/gadgets.example.com created"
    ok(sb, "wait", "--for=condition=Established", "crd/gadgets.example.com", "--timeout=30s")

    crd_obj = get_json(sb, "crd", "gadgets.example.com")
    conditions = {c["type"]: c["status"] for c in crd_obj["status"]["conditions"]}
    assert conditions.get("Established") == "True" and conditions.get("NamesAccepted") == "True"

    # discovery sees the new type
    header, rows = table_rows(ok(sb, "api-resources", "--api-group=example.com"))
    assert ["gadgets", "gd", "example.com/v1", "true", "Gadget"] in rows

    for name, color in (("g1", "red"), ("g2", "blue")):
        gadget = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": name},
                  "spec": {"color": color, "replicas": 2}}
        assert ok(sb, "create", "-n", ns, "-f", "-", input=json.dumps(gadget)).strip() == \
            f"gadget.example.com/{name} created"
    header, rows = table_rows(ok(sb, "get", "gadgets", "-n", ns))
    assert header == ["NAME", "COLOR", "REPLICAS", "AGE"]
    assert [r[:3] for r in rows] == [["g1", "red", "2"], ["g2", "blue", "2"]]

    ok(sb, "delete", "crd", "gadgets.example.com", "--timeout=60s")
    # kubectl still has the type in its discovery cache: the list itself is refused
    proc = k(sb, "get", "gadgets", "-n", ns)
    assert proc.returncode == 1
    assert "the server could not find the requested resource" in proc.stderr, proc.stderr
    # once discovery is refreshed, kubectl no longer knows the type at all
    assert "gadgets" not in ok(sb, "api-resources", "--api-group=example.com")
    proc = k(sb, "get", "gadgets", "-n", ns)
    assert proc.returncode == 1
    assert 'error: the server doesn\'t have a resource type "gadgets"' in proc.stderr, proc.stderr


# ---- errors a user meets ------------------------------------------------------------------------------

def test_missing_namespace_errors(sb: Sandbox) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "lost"}, "data": {"a": "1"}}
    proc = k(sb, "apply", "-n", "nope", "-f", "-", input=json.dumps(cm))
    assert proc.returncode == 1
    assert proc.stderr.strip() == \
        'Error from server (NotFound): error when creating "STDIN": namespaces "nope" not found'

    proc = k(sb, "create", "-n", "nope", "-f", "-", input=json.dumps(cm))
    assert proc.returncode == 1
    assert 'Error from server (NotFound): error when creating "STDIN": namespaces "nope" not found' in proc.stderr

    proc = k(sb, "get", "namespace", "nope")
    assert proc.returncode == 1
    assert proc.stderr.strip() == 'Error from server (NotFound): namespaces "nope" not found'

    # listing in a namespace that does not exist is an empty list, as upstream
    proc = k(sb, "get", "configmaps", "-n", "nope")
    assert proc.returncode == 0
    assert proc.stderr.strip() == "No resources found in nope namespace."


def test_unknown_resource_type(sb: Sandbox) -> None:
    proc = k(sb, "get", "flurbs")
    assert proc.returncode == 1
    assert 'error: the server doesn\'t have a resource type "flurbs"' in proc.stderr


def test_create_twice_is_already_exists(sb: Sandbox, ns: str) -> None:
    make_cm(sb, ns, "dup")
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dup"}}
    proc = k(sb, "create", "-n", ns, "-f", "-", input=json.dumps(doc))
    assert proc.returncode == 1
    assert 'configmaps "dup" already exists' in proc.stderr and "(AlreadyExists)" in proc.stderr


def test_wait_for_a_condition_is_answered_by_the_watch(sb: Sandbox, ns: str) -> None:
    make_cm(sb, ns, "flag")
    # -v=6 logs each request, so the test can change the object only once kubectl is watching
    argv = sb.kubectl_argv(CTX, "wait", "configmap/flag", "-n", ns, "-v=6",
                           "--for=jsonpath={.data.ready}=yes", "--timeout=60s")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=kubectl_env(sb.kubeconfig))
    try:
        LineReader(proc, proc.stderr).wait_line(lambda line: "watch=true" in line and "200 OK" in line)
        assert proc.poll() is None, "the condition is not met yet: kubectl must still be waiting"
        ok(sb, "patch", "cm", "flag", "-n", ns, "--type", "merge", "-p", '{"data":{"ready":"yes"}}')
        assert proc.wait(timeout=30) == 0
        assert proc.stdout.read().strip() == "configmap/flag condition met"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

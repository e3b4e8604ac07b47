"""Status comes back: WorkStatuses in the ITS, reported state in WDS objects, CombinedStatus."""

from __future__ import annotations

import math

import pytest

from kstellar_tui.sandbox.cel import ExpressionError
from kstellar_tui.sandbox.controllers.combined_status import (
    collector_errors, collector_result, compile_collector_expression, go_float, value_of,
)
from kstellar_tui.sandbox.controllers.status import (
    MULTIWEC_LABEL, Request, aggregate, collectors_condition, reported_state_plan,
)
from kstellar_tui.sandbox.controllers.status_agent import SINGLETON_LABEL, workstatus_name
from kstellar_tui.sandbox.controllers.transport import ORIGIN_BINDING_LABEL, ORIGIN_WDS_LABEL
from kstellar_tui.sandbox.controllers.workload_keys import (
    BINDING, BINDING_POLICY, COMBINED_STATUS, DEPLOYMENT, MANIFEST_WORK, NAMESPACE, WORK_STATUS,
)
from tests.sandbox._workload_path import QUICKSTART_WECS, WorkloadPath, deployment, nginx_namespace, policy


# ---------------------------------------------------------------------------------------------- naming
@pytest.mark.parametrize("api_version, kind, namespace, name, expected", [
    ("apps/v1", "Deployment", "nginx", "web", "U-appsv1-deployment-nginx-web"),
    ("v1", "Namespace", "", "nginx", "U-v1-namespace--nginx"),
    ("workload.codeflare.dev/v1beta2", "AppWrapper", "default", "aw", "U-workload.codeflare.devv1beta2-appwrapper-default-aw"),
])
def test_workstatus_names(api_version, kind, namespace, name, expected) -> None:
    assert workstatus_name("U", api_version, kind, namespace, name) == expected


def test_workstatus_names_are_cut_at_253() -> None:
    assert len(workstatus_name("U", "v1", "ConfigMap", "ns", "x" * 300)) == 253


# ---------------------------------------------------------------------------------------------- decision table
def req(single: bool = False, multi: bool = False, *wecs: str) -> Request:
    return Request(single, multi, frozenset(wecs), ())


@pytest.mark.parametrize("requests, expected", [
    ([], ("none", set())),
    ([req(False, False, "c1")], ("none", set())),
    ([req(True, False, "c1")], ("singleton", {"c1"})),
    ([req(True, False, "c1", "c2")], ("none", set())),          # wrong count: cleared
    ([req(True, False)], ("none", set())),
    ([req(False, True, "c1")], ("singleton", {"c1"})),          # multi on one WEC is a copy
    ([req(False, True, "c1", "c2")], ("multi", {"c1", "c2"})),
    ([req(True, False, "c1"), req(False, True, "c2")], ("multi", {"c1", "c2"})),  # both: the union
    ([req(True, True, "c1")], ("singleton", {"c1"})),
    ([req(True, False, "c1"), req(True, False, "c2")], ("none", set())),          # singleton union of 2
])
def test_reported_state_decision_table(requests, expected) -> None:
    mode, wecs = reported_state_plan(requests)
    assert (mode, set(wecs)) == expected


DEADLINE = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}


@pytest.mark.parametrize("group, kind, statuses, expected", [
    ("apps", "Deployment",
     [{"replicas": 2, "availableReplicas": 2, "readyReplicas": 2, "updatedReplicas": 2, "observedGeneration": 3,
       "conditions": [{"type": "Available", "status": "True"}]},
      {"replicas": 2, "availableReplicas": 1, "readyReplicas": 1, "updatedReplicas": 2, "unavailableReplicas": 1,
       "observedGeneration": 2, "conditions": [DEADLINE]}],
     {"replicas": 2, "updatedReplicas": 2, "availableReplicas": 1, "readyReplicas": 1, "unavailableReplicas": 1,
      "observedGeneration": 2, "conditions": [DEADLINE]}),
    ("apps", "Deployment", [{"replicas": 1}, {"replicas": 3}],
     {"replicas": 1, "updatedReplicas": 0, "availableReplicas": 0, "readyReplicas": 0, "unavailableReplicas": 0,
      "observedGeneration": 0, "conditions": []}),
    ("apps", "DaemonSet", [{"numberReady": 1, "numberMisscheduled": 0}, {"numberReady": 0, "numberMisscheduled": 2}],
     {"currentNumberScheduled": 0, "numberMisscheduled": 2, "desiredNumberScheduled": 0, "numberReady": 0,
      "observedGeneration": 0, "updatedNumberScheduled": 0, "numberAvailable": 0}),
    ("apps", "ReplicaSet", [{"replicas": 2, "conditions": [{"type": "ReplicaFailure"}]}, {"replicas": 1}],
     {"replicas": 1, "fullyLabeledReplicas": 0, "readyReplicas": 0, "availableReplicas": 0, "observedGeneration": 0,
      "conditions": [{"type": "ReplicaFailure"}]}),
    ("apps", "StatefulSet", [{"replicas": 1}, {"replicas": 2}], None),
    ("batch", "Job", [{"succeeded": 1}, {"succeeded": 1}], None),
])
def test_multiwec_aggregation_only_for_upstreams_kinds(group, kind, statuses, expected) -> None:
    assert aggregate(group, kind, statuses) == expected


@pytest.mark.parametrize("missing, expected", [
    ([], ("True", "ReconcileSuccess", "All StatusCollector(s) are available")),
    (["a", "b"], ("False", "ReconcileError", "Missing StatusCollector(s) [a b]")),
])
def test_status_collectors_condition(missing, expected) -> None:
    cond = collectors_condition(missing)
    assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == ("StatusCollectorsAvailable", *expected)


# ---------------------------------------------------------------------------------------------- expressions
CONTENT = {"inventory": {"name": "cluster1"},
           "obj": {"spec": {"replicas": 2}, "metadata": {"labels": {"app": "x"}}},
           "returned": {"status": {"availableReplicas": 1, "phase": "Running", "conditions": [{"type": "A"}]}}}


@pytest.mark.parametrize("text, value", [
    ("inventory.name", "cluster1"),
    ("returned.status", CONTENT["returned"]["status"]),
    ("returned.status.phase", "Running"),
    ('obj.metadata.labels["app"]', "x"),
    ("returned.status.conditions[0].type", "A"),
    ("obj.spec.replicas != returned.status.availableReplicas", True),
    ("obj.spec.replicas == 2 && returned.status.phase == 'Running'", True),
    ("!(inventory.name == \"cluster2\") || false", True),
    ("returned.status.availableReplicas * 2 + 1 >= 3", True),
    ("-obj.spec.replicas", -2),
    ("1.5", 1.5),
    ("null", None),
])
def test_expressions(text: str, value) -> None:
    assert compile_collector_expression(text)(CONTENT) == value


@pytest.mark.parametrize("text, error", [
    ("returned.status.readyReplicas", "no such key: readyReplicas"),
    ("returned.status.conditions[3]", "index out of bounds: 3"),
    ("inventory.name < 3", "no such overload"),
])
def test_expression_evaluation_errors(text: str, error: str) -> None:
    with pytest.raises(ExpressionError, match=error):
        compile_collector_expression(text)(CONTENT)


@pytest.mark.parametrize("text", ["foo.bar", "returned.status.", "size(x)", "a ? b : c", ""])
def test_unsupported_or_broken_expressions_do_not_compile(text: str) -> None:
    with pytest.raises(ExpressionError):
        compile_collector_expression(text)


@pytest.mark.parametrize("x, text", [
    (2.0, "2"), (2.5, "2.5"), (1e6, "1e+06"), (123456.0, "123456"), (1234567.0, "1.234567e+06"),
    (0.0001, "0.0001"), (0.00001, "1e-05"), (-3.0, "-3"), (math.nan, "NaN"), (math.inf, "+Inf"),
])
def test_numbers_print_as_go_formats_them(x: float, text: str) -> None:
    assert go_float(x) == text


@pytest.mark.parametrize("result, value", [
    (None, {"type": "Null"}), (True, {"type": "Bool", "bool": True}), (3, {"type": "Number", "float": "3"}),
    (2.5, {"type": "Number", "float": "2.5"}), ("x", {"type": "String", "string": "x"}),
    ({"a": 1}, {"type": "Object", "object": {"a": 1}}), ([1], {"type": "Object", "object": [1]}),
])
def test_values(result, value) -> None:
    assert value_of(result) == value


def rows(*pairs: tuple[str, dict]) -> list[tuple[str, dict]]:
    return [(wec, {"inventory": {"name": wec}, "obj": {"spec": {"replicas": 2}}, "returned": {"status": status}})
            for wec, status in pairs]


TWO = rows(("cluster2", {"availableReplicas": 2, "phase": "Running"}),
           ("cluster1", {"availableReplicas": 1, "phase": "Pending"}))


@pytest.mark.parametrize("spec, expected", [
    ({"combinedFields": [{"name": "count", "type": "COUNT"}], "limit": 10},
     {"columnNames": ["count"], "rows": [{"columns": [{"type": "Number", "float": "2"}]}]}),
    ({"filter": "obj.spec.replicas != returned.status.availableReplicas",
      "select": [{"name": "wec", "def": "inventory.name"}], "limit": 10},
     {"columnNames": ["wec"], "rows": [{"columns": [{"type": "String", "string": "cluster1"}]}]}),
    ({"select": [{"name": "wec", "def": "inventory.name"}, {"name": "status", "def": "returned.status"}], "limit": 10},
     {"columnNames": ["wec", "status"], "rows": [
         {"columns": [{"type": "String", "string": "cluster1"},
                      {"type": "Object", "object": {"availableReplicas": 1, "phase": "Pending"}}]},
         {"columns": [{"type": "String", "string": "cluster2"},
                      {"type": "Object", "object": {"availableReplicas": 2, "phase": "Running"}}]}]}),
    ({"groupBy": [{"name": "phase", "def": "returned.status.phase"}],
      "combinedFields": [{"name": "count", "type": "COUNT"}], "limit": 10},
     {"columnNames": ["phase", "count"], "rows": [
         {"columns": [{"type": "String", "string": "Pending"}, {"type": "Number", "float": "1"}]},
         {"columns": [{"type": "String", "string": "Running"}, {"type": "Number", "float": "1"}]}]}),
    ({"combinedFields": [{"name": "sum", "type": "SUM", "subject": "returned.status.availableReplicas"},
                         {"name": "avg", "type": "AVG", "subject": "returned.status.availableReplicas"}], "limit": 10},
     {"columnNames": ["sum", "avg"], "rows": [{"columns": [{"type": "Number", "float": "3"},
                                                           {"type": "Number", "float": "1.5"}]}]}),
    ({"combinedFields": [{"name": "ready", "type": "SUM", "subject": "returned.status.readyReplicas"}], "limit": 10},
     {"columnNames": ["ready"], "rows": [{"columns": [{"type": "Number", "float": "0"}]}],
      "rowErrors": [{"wec": {"clusterId": "cluster1"}, "columnName": "ready", "error": "no such key: readyReplicas"}]}),
])
def test_collector_tables(spec: dict, expected: dict) -> None:
    assert collector_result("sc", spec, TWO) == {"name": "sc", **expected}


def test_count_over_no_wecs_is_zero() -> None:
    result = collector_result("sc", {"combinedFields": [{"name": "count", "type": "COUNT"}]}, [])
    assert result["rows"] == [{"columns": [{"type": "Number", "float": "0"}]}]


@pytest.mark.parametrize("spec, errors", [
    ({"select": [{"name": "a", "def": "inventory.name"}], "combinedFields": [{"name": "c", "type": "COUNT"}]},
     ["groupBy and combinedFields must be empty if select is not"]),
    ({"groupBy": [{"name": "a", "def": "inventory.name"}]}, ["groupBy must be empty if combinedFields is"]),
    ({"combinedFields": [{"name": "c", "type": "COUNT", "subject": "x"}]},
     ["combinedField expression (c) invalid: subject must be nil for COUNT type"]),
    ({"combinedFields": [{"name": "s", "type": "SUM"}]}, ["combinedField expression (s) invalid: subject must be set"]),
    ({"select": [{"name": "a", "def": "bogus.name"}]},
     ["select expression (a) invalid: ERROR: <input>:1:1: undeclared reference to 'bogus' (in container '')"]),
    ({"select": [{"name": "a", "def": "inventory.name"}]}, []),
])
def test_collector_validation(spec: dict, errors: list[str]) -> None:
    assert collector_errors(spec) == errors


# ---------------------------------------------------------------------------------------------- controllers
@pytest.fixture
async def path():
    async with WorkloadPath(QUICKSTART_WECS) as w:
        yield w


SINGLETON_APP = {"app.kubernetes.io/name": "nginx-singleton"}


def singleton_policy(selector: dict, *, multi: bool = False, name: str = "nginx-singleton-bpolicy", **clause) -> dict:
    flag = "wantMultiWECReportedState" if multi else "wantSingletonReportedState"
    return policy(name, [{"matchLabels": selector}],
                  [{"objectSelectors": [{"matchLabels": SINGLETON_APP}], flag: True, **clause}])


def wds_deployment(w: WorkloadPath, name: str = "nginx-singleton-deployment") -> dict:
    return w.wds.find(DEPLOYMENT, "default", name) or {}


async def test_workstatuses_carry_the_wec_status(path: WorkloadPath) -> None:
    path.create(path.wds, policy("nginx-bpolicy", [{"matchLabels": {"name": "cluster1"}}],
                                 [{"objectSelectors": [{"matchLabels": {"app.kubernetes.io/name": "nginx"}}]}]))
    path.create(path.wds, nginx_namespace())
    path.create(path.wds, deployment("nginx-deployment"))

    def returned() -> list[dict]:
        return [ws for ws in path.its.objects(WORK_STATUS, "cluster1")
                if ws["spec"]["sourceRef"]["kind"] == "Deployment"
                and (ws.get("status") or {}).get("availableReplicas") == 1]
    (ws,) = await path.until(returned)
    wec_copy = path.wecs["cluster1"].find(DEPLOYMENT, "nginx", "nginx-deployment")
    await path.until(lambda: path.its.find(WORK_STATUS, "cluster1", ws["metadata"]["name"])["status"] == wec_copy["status"])
    owner = ws["metadata"]["ownerReferences"][0]
    work = path.its.find(MANIFEST_WORK, "cluster1", owner["name"])
    assert owner["kind"] == "ManifestWork" and owner["controller"] is True
    assert ws["metadata"]["labels"] == work["metadata"]["labels"] == {
        ORIGIN_BINDING_LABEL: "nginx-bpolicy", ORIGIN_WDS_LABEL: "wds1"}
    assert ws["spec"]["sourceRef"] == {"group": "apps", "version": "v1", "resource": "deployments",
                                       "kind": "Deployment", "name": "nginx-deployment", "namespace": "nginx"}
    assert ws["statusDetails"] == {"lastGeneration": 0, "lastGenerationIsApplied": False,
                                   "lastCurrencyUpdateTime": "1970-01-01T00:00:00Z"}
    assert ws["metadata"]["name"].endswith("-appsv1-deployment-nginx-nginx-deployment")
    # a WDS object without a reported-state request keeps no status (a k8s WDS runs no pods)
    assert "status" not in path.wds.find(DEPLOYMENT, "nginx", "nginx-deployment")


async def test_singleton_status_follows_its_wec(path: WorkloadPath) -> None:
    path.create(path.wds, singleton_policy({"name": "cluster1"}))
    dep = path.create(path.wds, deployment("nginx-singleton-deployment", "default", labels=SINGLETON_APP))
    await path.until(lambda: wds_deployment(path).get("status", {}).get("availableReplicas") == 1)
    assert wds_deployment(path)["metadata"]["labels"][SINGLETON_LABEL] == "true"
    assert path.holders(DEPLOYMENT, "default", "nginx-singleton-deployment") == {"cluster1"}
    # the label propagates, and the status agent copies it onto the WorkStatus
    await path.until(lambda: any((ws["metadata"].get("labels") or {}).get(SINGLETON_LABEL) == "true"
                                 for ws in path.its.objects(WORK_STATUS, "cluster1")))

    def scale(obj: dict) -> None:
        obj["spec"]["replicas"] = 2
    path.change(path.wds, dep, scale)
    await path.until(lambda: wds_deployment(path).get("status", {}).get("availableReplicas") == 2)
    wec_status = path.wecs["cluster1"].find(DEPLOYMENT, "default", "nginx-singleton-deployment")["status"]
    await path.until(lambda: wds_deployment(path)["status"] == wec_status)


async def test_a_wrong_wec_count_clears_the_singleton_status(path: WorkloadPath) -> None:
    bp = path.create(path.wds, singleton_policy({"name": "cluster1"}))
    path.create(path.wds, deployment("nginx-singleton-deployment", "default", labels=SINGLETON_APP))
    await path.until(lambda: wds_deployment(path).get("status", {}).get("availableReplicas") == 1)

    def both(obj: dict) -> None:
        obj["spec"]["clusterSelectors"] = [{"matchLabels": {"location-group": "edge"}}]
    path.change(path.wds, bp, both)
    await path.until(lambda: wds_deployment(path).get("status") == {}
                     and SINGLETON_LABEL not in wds_deployment(path)["metadata"].get("labels", {}))
    errors = await path.until(lambda: path.wds.find(BINDING_POLICY, "", "nginx-singleton-bpolicy")
                              .get("status", {}).get("errors"))
    assert '"NumWECs":2' in errors[0]


async def test_multiwec_status_is_aggregated_for_deployments(path: WorkloadPath) -> None:
    path.create(path.wds, singleton_policy({"location-group": "edge"}, multi=True))
    path.create(path.wds, deployment("nginx-singleton-deployment", "default", labels=SINGLETON_APP, replicas=2))
    await path.until(lambda: wds_deployment(path).get("status", {}).get("availableReplicas") == 2
                     and MULTIWEC_LABEL in wds_deployment(path)["metadata"].get("labels", {}))
    status = wds_deployment(path)["status"]
    assert status == {"replicas": 2, "updatedReplicas": 2, "availableReplicas": 2, "readyReplicas": 2,
                      "unavailableReplicas": 0, "observedGeneration": 1, "conditions": []}
    assert SINGLETON_LABEL not in wds_deployment(path)["metadata"]["labels"]


async def test_multiwec_status_shows_a_failing_wec(path: WorkloadPath) -> None:
    path.create(path.wds, singleton_policy({"location-group": "edge"}, multi=True))
    path.create(path.wds, deployment("nginx-singleton-deployment", "default", labels=SINGLETON_APP,
                                     image="nginx:doesnotexist"))
    await path.until(lambda: (wds_deployment(path).get("status", {}).get("conditions") or [{}])[0]
                     .get("reason") == "ProgressDeadlineExceeded")
    assert wds_deployment(path)["status"]["unavailableReplicas"] == 1


async def test_namespaces_never_take_status_from_a_wec(path: WorkloadPath) -> None:
    path.create(path.wds, policy("ns", [{"matchLabels": {"name": "cluster1"}}],
                                 [{"resources": ["namespaces"], "objectNames": ["nginx"],
                                   "wantSingletonReportedState": True}]))
    path.create(path.wds, nginx_namespace())
    await path.until(lambda: any(ws["spec"]["sourceRef"]["kind"] == "Namespace" and ws.get("status")
                                 for ws in path.its.objects(WORK_STATUS, "cluster1")))
    await path.quiet()
    ns = path.wds.find(NAMESPACE, "", "nginx")
    assert SINGLETON_LABEL not in ns["metadata"].get("labels", {})


async def test_combined_status_from_status_collectors(path: WorkloadPath) -> None:
    path.create(path.wds, policy("nginx-bpolicy", [{"matchLabels": {"location-group": "edge"}}],
                                 [{"objectSelectors": [{"matchLabels": SINGLETON_APP}],
                                   "statusCollectors": ["count-wecs", "wecs", "absent"]}]))
    dep = path.create(path.wds, deployment("web", "default", labels=SINGLETON_APP))

    def condition() -> tuple:
        conds = (path.wds.find(BINDING, "", "nginx-bpolicy") or {}).get("status", {}).get("conditions") or [{}]
        return conds[0].get("status"), conds[0].get("message")
    await path.until(lambda: condition() == ("False", "Missing StatusCollector(s) [absent count-wecs wecs]"))
    for name, spec in (("count-wecs", {"combinedFields": [{"name": "count", "type": "COUNT"}], "limit": 10}),
                       ("wecs", {"select": [{"name": "wec", "def": "inventory.name"}], "limit": 10})):
        path.create(path.wds, {"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "StatusCollector",
                               "metadata": {"name": name}, "spec": spec})
    await path.until(lambda: condition() == ("False", "Missing StatusCollector(s) [absent]"))
    bp = path.wds.find(BINDING_POLICY, "", "nginx-bpolicy")
    name = f"{dep['metadata']['uid']}.{bp['metadata']['uid']}"

    def results() -> list:
        combined = path.wds.find(COMBINED_STATUS, "default", name) or {}
        return combined.get("results") or []
    await path.until(lambda: len(results()) == 2 and results()[0]["rows"][0]["columns"][0].get("float") == "2")
    assert results() == [
        {"name": "count-wecs", "columnNames": ["count"], "rows": [{"columns": [{"type": "Number", "float": "2"}]}]},
        {"name": "wecs", "columnNames": ["wec"], "rows": [{"columns": [{"type": "String", "string": "cluster1"}]},
                                                          {"columns": [{"type": "String", "string": "cluster2"}]}]}]
    combined = path.wds.find(COMBINED_STATUS, "default", name)
    assert combined["metadata"]["labels"] == {
        "status.kubestellar.io/api-group": "apps", "status.kubestellar.io/resource": "deployments",
        "status.kubestellar.io/namespace": "default", "status.kubestellar.io/name": "web",
        "status.kubestellar.io/binding-policy": "nginx-bpolicy"}
    # the binding controller copies the Binding's condition into the policy's status
    await path.until(lambda: path.wds.find(BINDING_POLICY, "", "nginx-bpolicy")["status"]["conditions"][0]["message"]
                     == "Missing StatusCollector(s) [absent]")
    path.delete(path.wds, dep)
    await path.until(lambda: path.wds.find(COMBINED_STATUS, "default", name) is None)

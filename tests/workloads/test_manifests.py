"""Loading manifests with exact sources, basic checks, and the templates."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from kstellar_tui.core.kube.discovery import BUILTIN
from kstellar_tui.core.manifests import (
    PLACEHOLDER, TEMPLATES, check, crd_instance_template, load_file, load_paths, load_text,
)


def test_documents_know_their_file_index_and_line(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("# leading comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n"
                                     "---\n---\n\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: three}\n")
    (tmp_path / "c.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "four"}}]}))
    (tmp_path / ".hidden.yaml").write_text("not: loaded\n")
    (tmp_path / "notes.txt").write_text("ignored\n")
    docs = load_paths([tmp_path])
    assert [(d.name, Path(d.source.path).name, d.source.index, d.source.line) for d in docs] == [
        ("one", "a.yaml", 0, 2), ("two", "a.yaml", 2, 8), ("four", "c.json", 0, 1), ("three", "b.yml", 0, 1)]


def test_a_yaml_error_is_a_document_with_its_line_not_an_exception() -> None:
    docs = load_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\nkind: x\n  bad: indent\n", "f.yaml")
    assert docs[0].name == "ok"
    broken = docs[1]
    assert broken.obj is None and broken.error.startswith("invalid YAML")
    assert (broken.source.path, broken.source.line) == ("f.yaml", 6)
    assert broken.title == "document 2"


def test_bad_json_and_non_objects_are_reported(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"apiVersion": "v1",\n "kind": }')
    (bad,) = load_file(tmp_path / "x.json")
    assert bad.error.startswith("invalid JSON") and bad.source.line == 2
    (scalar,) = load_text("just a string\n")
    assert "must be an object" in scalar.error


def test_yaml_is_read_safely() -> None:
    (doc,) = load_text("!!python/object/apply:os.system [echo hi]\n")
    assert doc.obj is None and "invalid YAML" in doc.error


def test_checks_names_and_scope() -> None:
    def problems(text: str, resolver=None) -> list[str]:
        return [p.field for p in check(load_text(text)[0], resolver)]

    assert problems("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok.name, namespace: default}\n") == []
    assert problems("kind: ConfigMap\nmetadata: {name: ok}\n") == ["apiVersion"]
    assert problems("apiVersion: v1\nkind: Service\nmetadata: {name: has.dot}\n") == ["metadata.name"]
    assert problems("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: Bad}\n") == ["metadata.namespace"]
    cluster_scoped = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r, namespace: a}\n"
    assert problems(cluster_scoped) == []  # the scope is unknown without a resolver
    assert problems(cluster_scoped, BUILTIN) == ["metadata.namespace"]


def test_nginx_template_is_getting_started_scenario_1() -> None:
    namespace, deployment = (d.obj for d in load_text(TEMPLATES["nginx"].text))
    assert namespace == {"apiVersion": "v1", "kind": "Namespace",
                         "metadata": {"labels": {"app.kubernetes.io/name": "nginx"}, "name": "nginx"}}
    assert deployment["metadata"] == {"name": "nginx-deployment", "namespace": "nginx",
                                      "labels": {"app.kubernetes.io/name": "nginx"}}
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["template"]["metadata"]["labels"] == {"app": "nginx"}
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "public.ecr.aws/nginx/nginx:latest"
    (bp,) = (d.obj for d in load_text(TEMPLATES["nginx-bindingpolicy"].text))
    assert bp["metadata"]["name"] == "nginx-bpolicy"
    assert bp["spec"] == {"clusterSelectors": [{"matchLabels": {"location-group": "edge"}}],
                          "downsync": [{"objectSelectors": [{"matchLabels": {"app.kubernetes.io/name": "nginx"}}]}]}


def test_every_template_passes_the_basic_checks() -> None:
    for template in TEMPLATES.values():
        for doc in load_text(template.text):
            assert check(doc, BUILTIN) == [], template.name


def test_crd_instance_fills_required_fields_from_the_schema() -> None:
    crd = yaml.safe_load("""
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: appwrappers.workload.codeflare.dev}
spec:
  group: workload.codeflare.dev
  names: {kind: AppWrapper, plural: appwrappers, singular: appwrapper}
  scope: Namespaced
  versions:
  - name: v1beta1
    served: true
    storage: false
  - name: v1beta2
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [components, priority, mode, size]
            properties:
              components:
                type: array
                minItems: 1
                items: {type: object, required: [template], properties: {template: {type: object}}}
              priority: {type: integer, minimum: 1}
              mode: {type: string, enum: [fast, safe]}
              size: {type: string}
              suspend: {type: boolean, default: false}
              optional: {type: string}
""")
    template = crd_instance_template(crd)
    (doc,) = load_text(template.text)
    assert doc.obj == {"apiVersion": "workload.codeflare.dev/v1beta2", "kind": "AppWrapper",
                       "metadata": {"name": "example-appwrapper", "namespace": "default"},
                       "spec": {"components": [{"template": {}}], "priority": 1, "mode": "fast",
                                "size": PLACEHOLDER}}

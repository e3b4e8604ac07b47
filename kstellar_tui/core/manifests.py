"""Kubernetes manifests: multi-document YAML/JSON loading with exact sources, basic checks, templates.

Every document remembers where it came from (file, document index, line) so that a YAML error,
a schema problem or a lint finding points at the line to fix. Loading never raises for bad
content: a document that cannot be parsed becomes a `Document` with an `error` and no object,
so callers can report it and skip its file while keeping everything else.
YAML is read with PyYAML's SafeLoader (what `yaml.safe_load` uses), one node at a time for line numbers.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kstellar_tui.core.kube.discovery import KindResolver

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True, slots=True)
class Source:
    """Where a document starts: `path` is the display path ("-" for text given directly)."""

    path: str
    index: int  # 0-based document index in its file
    line: int  # 1-based line of the document's first node

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Document:
    """One object of a manifest (`obj`), or a parse `error` for the document that could not be read."""

    source: Source
    obj: dict | None = None
    error: str | None = None

    @property
    def api_version(self) -> str:
        return str((self.obj or {}).get("apiVersion") or "")

    @property
    def kind(self) -> str:
        return str((self.obj or {}).get("kind") or "")

    @property
    def metadata(self) -> dict:
        meta = (self.obj or {}).get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or "")

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "")

    @property
    def labels(self) -> dict:
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}

    @property
    def title(self) -> str:
        """`Deployment nginx/nginx-deployment`, how messages name the object."""
        if self.obj is None:
            return f"document {self.source.index + 1}"
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind or '(no kind)'} {where or '(no name)'}"


# ---------------------------------------------------------------------------------------------
# Loading


def load_text(text: str, path: str = "-") -> list[Document]:
    """Every document in a YAML (or JSON) stream; `kind: List` documents are expanded."""
    documents: list[Document] = []
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        # YAML refuses control characters anywhere, before reading any document.
        line = text.count("\n", 0, exc.position) + 1
        return [Document(Source(path, 0, line), error=f"invalid YAML: {_yaml_message(exc)}")]
    index = 0
    try:
        while loader.check_node():
            node = _checked(loader, loader.get_node)
            line = node.start_mark.line + 1 if node is not None else 1
            obj = loader.construct_document(node) if node is not None else None
            if obj is not None:
                documents.extend(_expand(obj, Source(path, index, line)))
            index += 1
    except yaml.YAMLError as exc:
        # "while parsing a flow sequence" points where the construct opened: the line to look at.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        documents.append(Document(Source(path, index, line), error=f"invalid YAML: {_yaml_message(exc)}"))
    finally:
        loader.dispose()
    return documents


def load_one(text: str | bytes) -> object:
    """`yaml.safe_load` that refuses what `check_structure` refuses; every failure is a yaml.YAMLError."""
    loader = yaml.SafeLoader(text)
    try:
        node = _checked(loader, loader.get_single_node)
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


MAX_DEPTH = 200  # no manifest nests deeper; JSON encoders (orjson) stop at 255


class StructureError(yaml.MarkedYAMLError):
    """A document YAML can read but that is not built: nested too deeply, or aliases that expand it
    far beyond its text ("billion laughs": minutes and gigabytes to build, dump or lint)."""


def _checked(loader: yaml.SafeLoader, compose: Callable[[], yaml.Node | None]) -> yaml.Node | None:
    try:
        node = compose()  # PyYAML composes recursively
    except RecursionError:
        raise StructureError(problem=f"the document is nested more than {MAX_DEPTH} levels deep",
                             problem_mark=loader.get_mark()) from None
    if node is not None:
        check_structure(node)
    return node


def too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether a decoded JSON value nests more than `limit` levels (found level by level, without recursing)."""
    level = [value] if isinstance(value, (dict, list)) else []
    for _ in range(limit):
        if not level:
            return False
        level = [child for item in level for child in (item.values() if isinstance(item, dict) else item)
                 if isinstance(child, (dict, list))]
    return bool(level)


def _allowed_alias_ratio(decoded: int) -> float:
    """go-yaml's limit (behind sigs.k8s.io/yaml, so kubectl's and the API server's): the share of
    nodes that may come from aliases falls from 99% to 10% as a document grows from 400k to 4M nodes."""
    if decoded <= 400_000:
        return 0.99
    if decoded >= 4_000_000:
        return 0.10
    return 0.99 - 0.89 * (decoded - 400_000) / 3_600_000


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def check_structure(root: yaml.Node) -> None:
    """StructureError for a node graph deeper than MAX_DEPTH (a recursive alias is infinitely deep)
    or with excessive aliasing; sizes are counted on the graph, without expanding it."""
    sizes: dict[int, int] = {}  # id(node) -> node count once expanded
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, counted_children = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if counted_children:
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
            continue
        if depth > MAX_DEPTH:
            raise StructureError(problem=f"the document is nested more than {MAX_DEPTH} levels deep",
                                 problem_mark=node.start_mark)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children)
    total = sizes[id(root)]
    aliased = total - len(sizes)
    if total > 1000 and aliased > 100 and aliased / total > _allowed_alias_ratio(total):
        raise StructureError(problem="document contains excessive aliasing", problem_mark=root.start_mark)


def _yaml_message(exc: yaml.YAMLError) -> str:
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    text = ", ".join(p for p in parts if p)
    return text or str(exc).splitlines()[0]


def load_json(text: str, path: str) -> list[Document]:
    try:
        obj = json.loads(text)
        deep = too_deep(obj)
    except json.JSONDecodeError as exc:
        return [Document(Source(path, 0, exc.lineno), error=f"invalid JSON: {exc.msg} (column {exc.colno})")]
    except RecursionError:  # json.loads recurses too
        deep = True
    if deep:
        return [Document(Source(path, 0, 1), error=f"invalid JSON: nested more than {MAX_DEPTH} levels deep")]
    return list(_expand(obj, Source(path, 0, 1)))


def _expand(obj: object, source: Source) -> Iterable[Document]:
    if isinstance(obj, dict) and obj.get("kind") == "List" and isinstance(obj.get("items"), list):
        for item in obj["items"]:
            yield Document(source, obj=item) if isinstance(item, dict) else Document(
                source, error="a List item is not an object")
        return
    if not isinstance(obj, dict):
        yield Document(source, error=f"a document must be an object, not {type(obj).__name__}")
        return
    yield Document(source, obj=obj)


def load_file(path: Path, display: str | None = None) -> list[Document]:
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [Document(Source(shown, 0, 1), error=f"cannot read {shown}: {getattr(exc, 'strerror', None) or exc}")]
    return load_json(text, shown) if path.suffix == ".json" else load_text(text, shown)


def manifest_files(directory: Path) -> list[Path]:
    """The manifests under a directory, recursively, sorted; hidden files and folders are skipped."""
    return sorted(p for p in directory.rglob("*")
                  if p.suffix in SUFFIXES and p.is_file() and not is_hidden(p.relative_to(directory)))


def is_hidden(relative: Path) -> bool:
    """Editors' swap and backup files are hidden (`.x.swp`) or end in `~`, never in a manifest suffix."""
    return any(part.startswith(".") for part in relative.parts)


def load_paths(paths: Iterable[Path | str]) -> list[Document]:
    """Files and directories, in the order given (directories in sorted file order)."""
    documents: list[Document] = []
    for raw in paths:
        path = Path(raw)
        if str(raw) == "-":
            documents.extend(load_text(sys.stdin.read()))
        elif path.is_dir():
            for file in manifest_files(path):
                documents.extend(load_file(file))
        elif path.exists():
            documents.extend(load_file(path))
        else:
            documents.append(Document(Source(str(path), 0, 1), error=f"{path} does not exist"))
    return documents


# ---------------------------------------------------------------------------------------------
# Basic checks


@dataclass(frozen=True, slots=True)
class Problem:
    """A schema problem in one document: `field` is a path into it."""

    field: str
    message: str
    fix: str = ""


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Kinds whose names must be DNS-1123 labels (63 characters, no dots) rather than subdomains.
_LABEL_NAMED = frozenset({("", "Namespace"), ("", "Service")})


def dns_label_problem(value: str) -> str | None:
    if len(value) > 63:
        return f'"{value}" is {len(value)} characters; at most 63 are allowed'
    if not _DNS_LABEL.match(value):
        return (f'"{value}" must consist of lower case alphanumeric characters or "-", '
                "and must start and end with an alphanumeric character")
    return None


def dns_subdomain_problem(value: str) -> str | None:
    if len(value) > 253:
        return f'"{value}" is {len(value)} characters; at most 253 are allowed'
    if not _DNS_SUBDOMAIN.match(value):
        return (f'"{value}" must consist of lower case alphanumeric characters, "-" or ".", '
                "and must start and end with an alphanumeric character")
    return None


def check(doc: Document, resolver: KindResolver | None = None) -> list[Problem]:
    """Structure and names; with a resolver also whether `metadata.namespace` fits the kind's scope."""
    if doc.obj is None:
        return [Problem("", doc.error or "unreadable document", "fix the syntax at this line")]
    obj = doc.obj
    problems: list[Problem] = []
    for key in ("apiVersion", "kind"):
        if not isinstance(obj.get(key), str) or not obj.get(key):
            problems.append(Problem(key, "is missing", f"add {key}: (e.g. {'apps/v1' if key == 'apiVersion' else 'Deployment'})"))
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        problems.append(Problem("metadata", "is missing or not an object", "add metadata: {name: …}"))
        return problems
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        hint = " (generateName cannot be applied)" if meta.get("generateName") else ""
        problems.append(Problem("metadata.name", f"is missing{hint}", "give the object a name"))
    else:
        group = doc.api_version.rpartition("/")[0]
        label_named = (group, doc.kind) in _LABEL_NAMED
        if message := (dns_label_problem if label_named else dns_subdomain_problem)(name):
            problems.append(Problem("metadata.name", message, "use a lowercase name such as my-app"))
    namespace = meta.get("namespace")
    if namespace is not None:
        message = dns_label_problem(namespace) if isinstance(namespace, str) else "must be a string"
        if message:
            problems.append(Problem("metadata.namespace", message, "use a valid namespace name"))
    if resolver is not None and not problems:
        resource = resolver.find(doc.api_version, doc.kind)
        if resource is not None and not resource.namespaced and namespace:
            problems.append(Problem("metadata.namespace", f"{doc.kind} is cluster-scoped, so it has no namespace",
                                    "remove metadata.namespace"))
    return problems


# ---------------------------------------------------------------------------------------------
# Templates


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    title: str
    text: str = field(repr=False)


# Getting Started, scenario 1: kept exactly as the upstream docs print it.
NGINX_WORKLOAD = """\
apiVersion: v1
kind: Namespace
metadata:
  labels:
    app.kubernetes.io/name: nginx
  name: nginx
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  namespace: nginx
  labels:
    app.kubernetes.io/name: nginx
spec:
  selector:
    matchLabels:
      app: nginx
  replicas: 1
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: public.ecr.aws/nginx/nginx:latest
        ports:
        - containerPort: 80
"""

NGINX_BINDING_POLICY = """\
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata:
  name: nginx-bpolicy
spec:
  clusterSelectors:
  - matchLabels: {"location-group":"edge"}
  downsync:
  - objectSelectors:
    - matchLabels: {"app.kubernetes.io/name":"nginx"}
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: nginx-service
  namespace: nginx
  labels:
    app.kubernetes.io/name: nginx
spec:
  selector:
    app: nginx
  ports:
  - port: 80
    targetPort: 80
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: nginx-settings
  namespace: nginx
  labels:
    app.kubernetes.io/name: nginx
data:
  greeting: hello from KubeStellar
"""

JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: hello-job
  namespace: nginx
  labels:
    app.kubernetes.io/name: nginx
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: hello
        image: busybox:1.36
        command: ["sh", "-c", "echo hello from $(hostname)"]
"""

TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("nginx", "Namespace + Deployment (Getting Started scenario 1)", NGINX_WORKLOAD),
    Template("nginx-bindingpolicy", "BindingPolicy: nginx objects to location-group=edge clusters",
             NGINX_BINDING_POLICY),
    Template("service", "Service in front of the nginx pods", SERVICE),
    Template("configmap", "ConfigMap", CONFIGMAP),
    Template("job", "Job that runs once on every selected cluster", JOB),
)}

PLACEHOLDER = "CHANGE-ME"


def crd_instance_template(crd: Mapping, version: str | None = None) -> Template:
    """An instance of a CRD's kind with every required field filled from its schema.

    Uses the given version, else the storage version; values come from `default`, then the first
    `enum` entry, then a placeholder of the right type (strings say CHANGE-ME).
    """
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or () if isinstance(v, Mapping) and v.get("served", True)]
    chosen = next((v for v in versions if v.get("name") == version), None) or next(
        (v for v in versions if v.get("storage")), versions[0] if versions else {})
    schema = ((chosen.get("schema") or {}).get("openAPIV3Schema")) or {}
    kind = names.get("kind") or "Unknown"
    singular = names.get("singular") or kind.lower()
    obj: dict = {"apiVersion": f"{spec.get('group')}/{chosen.get('name')}", "kind": kind,
                 "metadata": {"name": f"example-{singular}"}}
    if spec.get("scope", "Namespaced") == "Namespaced":
        obj["metadata"]["namespace"] = "default"
    properties = schema.get("properties") or {}
    for key in [*(schema.get("required") or ()), *(["spec"] if "spec" in properties else [])]:
        if key not in obj and key in properties:
            obj[key] = _placeholder(properties[key])
    text = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)
    return Template(f"crd:{crd.get('metadata', {}).get('name', kind)}", f"{kind} ({obj['apiVersion']})", text)


def _placeholder(schema: Mapping, depth: int = 0) -> object:
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        return 1
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties") or {}
        return {k: _placeholder(props[k], depth + 1) for k in schema.get("required") or () if k in props and depth < 20}
    if kind == "array":
        if schema.get("minItems") and schema.get("items"):
            return [_placeholder(schema["items"], depth + 1) for _ in range(int(schema["minItems"]))]
        return []
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "string":
        return PLACEHOLDER
    return {}

"""Apply manifests to the WDS without ever leaving it half-written by surprise.

Every document is validated first (parse, basic schema, lint errors); then, by default, the whole
batch is dry-run against the server (`dryRun=All`) and nothing is written if any document fails.
Documents that cannot be dry-run yet — an object in a Namespace, or of a kind whose CRD, the same
batch creates — are checked right after those Namespaces and CRDs are written (and CRDs are
Established); if one fails then, the objects this apply created are deleted again.
Writes are server-side applies (field manager "kstellar-tui", force) in dependency order:
Namespaces and CRDs first, BindingPolicies last, so a policy binds a complete set of objects.
With `continue_on_error` documents go one by one and each is reported.
`read_only=True` refuses every mutation (dry runs are reads and stay allowed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kstellar_tui.core.fleet.hubfacts import HubFacts, HubReadError, read_hub_facts
from kstellar_tui.core.fleet.lint import LintReport, batch_kinds, is_policy, lint
from kstellar_tui.core.kube.discovery import ApiResource, discovery_for
from kstellar_tui.core.kube.kubeconfig import KubeConfig
from kstellar_tui.core.kube.rest import ApiStatusError, NotFound, Rest
from kstellar_tui.core.manifests import Document

CRD_API_VERSION = "apiextensions.k8s.io/v1"
# Fields the server owns: a redeploy re-creates the object from what is left.
_SERVER_METADATA = ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                    "generation", "managedFields", "selfLink", "ownerReferences", "finalizers")


class ReadOnlyError(Exception):
    """A mutation was asked for in read-only mode."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one object: `action` is created, configured, deleted, … or failed."""

    subject: str
    action: str
    message: str = ""
    doc: Document | None = None

    @property
    def failed(self) -> bool:
        return self.action == "failed"

    def __str__(self) -> str:
        where = f"{self.doc.source}: " if self.doc is not None else ""
        return f"{where}{self.subject} {self.action}" + (f": {self.message}" if self.message else "")


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)
    report: LintReport = field(default_factory=LintReport)

    @property
    def ok(self) -> bool:
        return self.report.ok and not any(o.failed for o in self.outcomes)

    @property
    def written(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action in ("created", "configured")]


@dataclass(eq=False)
class _Step:
    doc: Document
    obj: dict
    resource: ApiResource | None  # None: its CRD is in this batch and not served yet
    waits_for: str = ""  # why it cannot be dry-run before the foundation is written
    created: bool = False

    @property
    def rank(self) -> int:
        if is_namespace(self.doc) or is_crd(self.doc):
            return 0
        return 2 if is_policy(self.doc) else 1

    def path(self) -> str:
        assert self.resource is not None
        return self.resource.path(self.obj["metadata"].get("namespace"), self.doc.name)


def is_namespace(doc: Document) -> bool:
    return doc.api_version == "v1" and doc.kind == "Namespace"


def is_crd(doc: Document) -> bool:
    return doc.api_version == CRD_API_VERSION and doc.kind == "CustomResourceDefinition"


def _subject(resource: ApiResource | None, obj: Mapping) -> str:
    """`deployment.apps/nginx-deployment`, as kubectl prints it."""
    meta = obj.get("metadata") or {}
    kind = str(obj.get("kind") or "").lower()
    group = resource.group if resource else str(obj.get("apiVersion") or "").rpartition("/")[0]
    return f"{kind}.{group}/{meta.get('name')}" if group else f"{kind}/{meta.get('name')}"


class Applier:
    """Applies, updates, deletes and redeploys objects in one WDS."""

    def __init__(self, kubeconfig: KubeConfig, *, wds: str, its: str | None = None, read_only: bool = False,
                 wec_contexts: Mapping[str, str] | None = None, wait_timeout: float = 60.0):
        client = kubeconfig.client(wds)
        self.kubeconfig, self.wds, self.its = kubeconfig, wds, its
        self.rest = Rest(client)
        self.discovery = discovery_for(client)
        self.default_namespace = kubeconfig.require(wds).namespace or "default"
        self.read_only = read_only
        self.wec_contexts = dict(wec_contexts or {})
        self.wait_timeout = wait_timeout
        self.facts_problem = ""

    # -- validation ----------------------------------------------------------------------------
    def _read_facts(self) -> HubFacts | None:
        self.facts_problem = ""
        if self.its is None:
            return None
        try:
            return read_hub_facts(self.kubeconfig, wds=self.wds, its=self.its, wec_contexts=self.wec_contexts)
        except HubReadError as exc:
            self.facts_problem = str(exc)
            return None

    def validate(self, documents: Sequence[Document]) -> LintReport:
        """Lint with what the hub knows (cluster labels, namespaces, policies, served kinds)."""
        report = lint(documents, self._read_facts(), default_namespace=self.default_namespace)
        if self.facts_problem:
            report.notes.append(f"cluster rules skipped: {self.facts_problem}")
        return report

    # -- apply ---------------------------------------------------------------------------------
    def apply(self, documents: Sequence[Document], *, dry_run: bool = False,
              continue_on_error: bool = False) -> ApplyResult:
        if self.read_only and not dry_run:
            raise ReadOnlyError(f"read-only mode: not applying {len(documents)} document(s) to {self.wds} "
                                "(start without --read-only to make changes)")
        result = ApplyResult(report=self.validate(documents))
        if continue_on_error:
            self._one_by_one(documents, result, dry_run)
        elif result.report.ok:
            self._atomically(documents, result, dry_run)
        else:
            result.outcomes = [Outcome(d.title, "not applied", "the batch has lint errors", d) for d in documents]
        return result

    def _steps(self, documents: Sequence[Document]) -> tuple[list[_Step], list[Outcome]]:
        """Documents as ordered steps, and outcomes for those whose kind nobody serves."""
        pending_kinds = batch_kinds(documents)
        batch_namespaces = {d.name for d in documents if is_namespace(d)}
        steps, failures = [], []
        for doc in documents:
            resource = self.discovery.find(doc.api_version, doc.kind)
            if resource is None and pending_kinds.find(doc.api_version, doc.kind) is None:
                failures.append(Outcome(doc.title, "failed", f"the WDS serves no kind {doc.kind} in {doc.api_version}",
                                        doc))
                continue
            obj = dict(doc.obj)
            namespaced = (resource or pending_kinds.resolve(doc.api_version, doc.kind)).namespaced
            if namespaced and not doc.namespace:
                obj["metadata"] = {**doc.metadata, "namespace": self.default_namespace}
            step = _Step(doc, obj, resource)
            if resource is None:
                step.waits_for = f"the CRD for {doc.kind} in this batch"
            namespace = obj["metadata"].get("namespace")
            if namespaced and namespace in batch_namespaces and not step.waits_for:
                step.waits_for = f'Namespace "{namespace}" in this batch'  # confirmed on dry-run
            steps.append(step)
        steps.sort(key=lambda s: s.rank)
        return steps, failures

    def _atomically(self, documents: Sequence[Document], result: ApplyResult, dry_run: bool) -> None:
        steps, failures = self._steps(documents)
        deferred: list[_Step] = []
        for step in steps:
            if step.resource is None:
                deferred.append(step)
                continue
            try:
                _, step.created = self.rest.apply(step.path(), step.obj, dry_run=True)
            except NotFound as exc:
                if step.waits_for and exc.details.get("kind") == "namespaces":
                    deferred.append(step)
                else:
                    failures.append(Outcome(step.doc.title, "failed", str(exc), step.doc))
            except ApiStatusError as exc:
                failures.append(Outcome(step.doc.title, "failed", str(exc), step.doc))
        if failures:
            result.outcomes = failures + [Outcome(s.doc.title, "not applied", "another document failed; nothing "
                                                  "was written", s.doc) for s in steps if not _in(s, failures)]
            return
        if dry_run:
            result.outcomes = [Outcome(_subject(s.resource, s.obj), "would be " + (
                "checked after " + s.waits_for + " exists" if any(s is d for d in deferred) else
                "created" if s.created else "configured"), doc=s.doc) for s in steps]
            return
        foundation = [s for s in steps if s.rank == 0]
        written = self._write_all(foundation, result)
        if written is None:
            return
        if deferred and not self._check_deferred(deferred, written, result):
            return
        self._write_all([s for s in steps if s.rank > 0], result)

    def _write_all(self, steps: Sequence[_Step], result: ApplyResult) -> list[_Step] | None:
        """Write in order; on the first failure report the rest as not applied and return None."""
        done: list[_Step] = []
        for i, step in enumerate(steps):
            try:
                self._write(step)
                done.append(step)
                result.outcomes.append(Outcome(_subject(step.resource, step.obj),
                                               "created" if step.created else "configured", doc=step.doc))
            except (ApiStatusError, TimeoutError) as exc:
                result.outcomes.append(Outcome(step.doc.title, "failed", str(exc), step.doc))
                result.outcomes.extend(Outcome(s.doc.title, "not applied", "an earlier document failed", s.doc)
                                       for s in steps[i + 1:])
                return None
        return done

    def _write(self, step: _Step) -> None:
        if step.resource is None:
            step.resource = self.discovery.resolve(step.doc.api_version, step.doc.kind)
        _, step.created = self.rest.apply(step.path(), step.obj)
        if is_crd(step.doc):
            self._wait_established(step.doc.name)

    def _check_deferred(self, deferred: list[_Step], foundation: list[_Step], result: ApplyResult) -> bool:
        """Dry-run what waited for the foundation; on failure delete what this apply created."""
        failures = []
        for step in deferred:
            try:
                step.resource = step.resource or self.discovery.resolve(step.doc.api_version, step.doc.kind)
                self.rest.apply(step.path(), step.obj, dry_run=True)
            except (ApiStatusError, LookupError) as exc:
                failures.append(Outcome(step.doc.title, "failed", str(exc), step.doc))
        if not failures:
            return True
        rolled_back = [s for s in reversed(foundation) if s.created]
        for step in rolled_back:
            self._delete_quietly(step)
        result.outcomes = failures + [
            Outcome(s.doc.title, "rolled back", "created, then deleted again because another document failed", s.doc)
            for s in rolled_back]
        return False

    def _one_by_one(self, documents: Sequence[Document], result: ApplyResult, dry_run: bool) -> None:
        invalid = {id(d): errors for d in documents if (errors := result.report.errors_for(d))}
        steps, failures = self._steps([d for d in documents if id(d) not in invalid])
        result.outcomes.extend(Outcome(d.title, "failed", "; ".join(f.message for f in invalid[id(d)]), d)
                               for d in documents if id(d) in invalid)
        result.outcomes.extend(failures)
        for step in steps:
            try:
                if dry_run:
                    if step.resource is None:
                        result.outcomes.append(Outcome(step.doc.title, "would be checked after " + step.waits_for,
                                                       doc=step.doc))
                        continue
                    _, step.created = self.rest.apply(step.path(), step.obj, dry_run=True)
                    action = "would be " + ("created" if step.created else "configured")
                else:
                    self._write(step)
                    action = "created" if step.created else "configured"
                result.outcomes.append(Outcome(_subject(step.resource, step.obj), action, doc=step.doc))
            except (ApiStatusError, LookupError, TimeoutError) as exc:
                result.outcomes.append(Outcome(step.doc.title, "failed", str(exc), step.doc))

    def _wait_established(self, name: str) -> None:
        path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"

        def established() -> bool:
            conditions = (self.rest.get(path).get("status") or {}).get("conditions") or ()
            return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)

        _poll(established, self.wait_timeout, f"CustomResourceDefinition {name} to be Established")

    # -- delete and redeploy -------------------------------------------------------------------
    def _refuse(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlyError(f"read-only mode: not {what} in {self.wds} (start without --read-only)")

    def delete(self, objects: Iterable[Mapping], *, wait: bool = False,
               propagation: str = "Background") -> list[Outcome]:
        """Delete objects (any dicts with apiVersion, kind, metadata.name/namespace); confirm before calling."""
        objects = list(objects)
        self._refuse(f"deleting {len(objects)} object(s)")
        outcomes = []
        for obj in objects:
            meta = obj.get("metadata") or {}
            try:
                resource = self.discovery.resolve(str(obj.get("apiVersion")), str(obj.get("kind")))
                path = resource.path(meta.get("namespace") or self.default_namespace, meta.get("name"))
                self.rest.delete(path, propagation=propagation)
                if wait:
                    self._wait_gone(path)
                outcomes.append(Outcome(_subject(resource, obj), "deleted"))
            except NotFound:
                outcomes.append(Outcome(_subject(None, obj), "already gone"))
            except (ApiStatusError, LookupError, TimeoutError) as exc:
                outcomes.append(Outcome(_subject(None, obj), "failed", str(exc)))
        return outcomes

    def redeploy(self, obj: Mapping) -> list[Outcome]:
        """Delete the object, wait until it is gone, and create it again from the same spec."""
        self._refuse("redeploying")
        spec = fresh_copy(obj)
        deleted = self.delete([spec], wait=True, propagation="Foreground")
        if any(o.failed for o in deleted):
            return deleted
        resource = self.discovery.resolve(spec["apiVersion"], spec["kind"])
        meta = spec["metadata"]
        try:
            self.rest.apply(resource.path(meta.get("namespace") or self.default_namespace, meta["name"]), spec)
        except ApiStatusError as exc:
            return [*deleted, Outcome(_subject(resource, spec), "failed", f"deleted but not re-created: {exc}")]
        return [*deleted, Outcome(_subject(resource, spec), "created")]

    def _wait_gone(self, path: str) -> None:
        _poll(lambda: self.rest.get_or_none(path) is None, self.wait_timeout, f"{path} to be deleted")

    def _delete_quietly(self, step: _Step) -> None:
        try:
            self.rest.delete(step.path())
        except ApiStatusError:
            pass  # already gone, or the rollback report lists it anyway


def fresh_copy(obj: Mapping) -> dict:
    """The object without what the server set (status, uid, resourceVersion, …): a spec to create from."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_METADATA}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                   if k != "kubectl.kubernetes.io/last-applied-configuration"}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": meta}


def _in(step: _Step, outcomes: Iterable[Outcome]) -> bool:
    return any(o.doc is step.doc for o in outcomes)


def _poll(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)

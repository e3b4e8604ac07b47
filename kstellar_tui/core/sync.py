"""Keep the WDS in step with a folder of manifests (`kstellar-tui apply -f DIR --watch`).

Each file is a unit: a file that does not parse or lint is reported and skipped, and the objects
it applied before are left exactly as they are. What each file applied is stamped on the objects
(annotation `kstellar-tui.io/source=<relative path>`) and recorded in the state dir, so that a
removed file — or an object removed from a file — can be pruned (only with `prune`, and only
objects still carrying that file's stamp). Changes are picked up with watchfiles.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kstellar_tui import locations
from kstellar_tui.core.apply import CRD_API_VERSION, Applier, Outcome
from kstellar_tui.core.atomicfile import atomic_write
from kstellar_tui.core.fleet.lint import Finding
from kstellar_tui.core.kube.rest import ApiStatusError
from kstellar_tui.core.manifests import SUFFIXES, Document, is_hidden, load_file, manifest_files

SOURCE_ANNOTATION = "kstellar-tui.io/source"
DEBOUNCE_MS = 100  # watchfiles' default (1600) would miss "applied within a second"

Identity = tuple[str, str, str, str]  # apiVersion, kind, namespace, name


@dataclass
class SyncEvent:
    """What happened to one file: applied, broken, failed, pruned or kept (removed without prune)."""

    kind: str
    path: str
    message: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.kind in ("broken", "failed") or any(o.failed for o in self.outcomes)


def record_path(root: Path, wds: str) -> Path:
    key = hashlib.sha256(f"{root.resolve()}\0{wds}".encode()).hexdigest()[:16]
    return locations.sync_dir() / f"{key}.json"


class SyncRecord:
    """Which objects each file applied; kept in the state dir between runs."""

    def __init__(self, path: Path, root: Path, wds: str):
        self.path = path
        self.files: dict[str, list[Identity]] = {}
        if path.exists():
            data = json.loads(path.read_text())
            self.files = {f: [tuple(i) for i in ids] for f, ids in (data.get("files") or {}).items()}
        self._header = {"directory": str(root.resolve()), "wds": wds}

    def save(self) -> None:
        atomic_write(self.path, json.dumps({**self._header, "files": self.files}, indent=1, sort_keys=True))


def _identity(doc: Document) -> Identity:
    return doc.api_version, doc.kind, doc.namespace, doc.name


def _stamped(doc: Document, relative: str) -> Document:
    meta = doc.metadata
    annotations = {**(meta.get("annotations") or {}), SOURCE_ANNOTATION: relative}
    return Document(doc.source, obj={**doc.obj, "metadata": {**meta, "annotations": annotations}})


class DirectorySync:
    """Applies a directory's (or one file's) manifests file by file; `watch()` keeps doing it."""

    def __init__(self, path: Path, applier: Applier, *, prune: bool = False, record: SyncRecord | None = None,
                 on_event: Callable[[SyncEvent], None] | None = None):
        path = path.resolve()
        self.root = path if path.is_dir() else path.parent
        self.only = None if path.is_dir() else path
        self.applier = applier
        self.prune = prune
        self.record = record or SyncRecord(record_path(path, applier.wds), self.root, applier.wds)
        self.on_event = on_event or (lambda event: None)

    # -- which files ---------------------------------------------------------------------------
    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def tracked(self, path: Path) -> bool:
        if self.only is not None:
            return path == self.only
        try:
            relative = path.relative_to(self.root)
        except ValueError:
            return False
        return path.suffix in SUFFIXES and not is_hidden(relative)

    def files(self) -> list[Path]:
        if self.only is not None:
            return [self.only] if self.only.exists() else []
        return manifest_files(self.root)

    # -- one pass ------------------------------------------------------------------------------
    def sync_all(self) -> list[SyncEvent]:
        """Apply every file; prune (or report) recorded files that are gone."""
        present = self.files()
        gone = [self.root / f for f in self.record.files if (self.root / f) not in present]
        return self.sync(present, gone)

    def sync(self, changed: Iterable[Path], removed: Iterable[Path]) -> list[SyncEvent]:
        events: list[SyncEvent] = []
        loaded: dict[str, list[Document]] = {}
        for path in changed:
            relative = self.relative(path)
            documents = load_file(path, display=relative)
            broken = [d for d in documents if d.obj is None]
            if broken:
                events.append(SyncEvent("broken", relative, "; ".join(f"{d.source}: {d.error}" for d in broken)
                                        + " — skipped; what this file applied before is unchanged"))
            else:
                loaded[relative] = [_stamped(d, relative) for d in documents]
        events.extend(self._apply(loaded))
        for path in removed:
            events.extend(self._removed(self.relative(path)))
        self.record.save()
        for event in events:
            self.on_event(event)
        return events

    def _apply(self, loaded: dict[str, list[Document]]) -> list[SyncEvent]:
        """All changed files as one batch (so dependencies between them work); file by file if it fails."""
        if not loaded:
            return []
        try:
            batch = self.applier.apply([d for docs in loaded.values() for d in docs])
        except ApiStatusError as exc:  # the WDS is unreachable or refused us: try again on the next change
            return [SyncEvent("failed", relative, f"not applied: {exc}") for relative in loaded]
        if batch.ok or len(loaded) == 1:
            return [self._file_event(relative, docs, batch.outcomes, batch.report.findings)
                    for relative, docs in loaded.items()]
        events = []
        for relative, docs in loaded.items():
            result = self.applier.apply(docs)
            events.append(self._file_event(relative, docs, result.outcomes, result.report.findings))
        return events

    def _file_event(self, relative: str, docs: list[Document], outcomes: list[Outcome],
                    findings: list[Finding]) -> SyncEvent:
        mine = [o for o in outcomes if o.doc is not None and o.doc.source.path == relative]
        found = [f for f in findings if f.source is not None and f.source.path == relative]
        if any(o.failed or o.action == "not applied" for o in mine) or any(f.severity == "error" for f in found):
            return SyncEvent("failed", relative, "not applied; what this file applied before is unchanged",
                             mine, found)
        now = [_identity(d) for d in docs]
        dropped = set(self.record.files.get(relative, ())) - set(now)
        event = SyncEvent("applied", relative, "", mine, found)
        pruned = self._prune(relative, dropped) if dropped else []
        event.outcomes.extend(pruned)
        # Dropped objects not (yet) deleted stay recorded, so a later run with prune removes them.
        done = self.prune and not any(o.failed for o in pruned)
        self.record.files[relative] = now + ([] if done else sorted(dropped))
        return event

    def _removed(self, relative: str) -> list[SyncEvent]:
        identities = self.record.files.get(relative)
        if not identities:
            return []
        if not self.prune:
            return [SyncEvent("kept", relative, f"file removed; its {len(identities)} object(s) stay in the WDS "
                                                "(use --prune to delete them)")]
        outcomes = self._prune(relative, identities)
        if not any(o.failed for o in outcomes):
            del self.record.files[relative]
        return [SyncEvent("pruned", relative, "", outcomes)]

    def _prune(self, relative: str, identities: Iterable[Identity]) -> list[Outcome]:
        """Delete objects this file applied (if they still carry its stamp); with prune off, report them."""
        ordered = sorted(identities, key=_delete_rank)
        if not self.prune:
            return [Outcome(f"{kind} {name}", "kept", "no longer in the file (use --prune to delete it)")
                    for _, kind, _, name in ordered]
        outcomes, owned = [], []
        for identity in ordered:
            subject = f"{identity[1]} {identity[3]}"
            try:
                live = self._live(identity)
            except ApiStatusError as exc:
                outcomes.append(Outcome(subject, "failed", f"cannot read it: {exc}"))
                continue
            if live is None:
                continue  # already gone
            stamp = (live["metadata"].get("annotations") or {}).get(SOURCE_ANNOTATION)
            if stamp == relative:
                owned.append(live)
            else:
                outcomes.append(Outcome(subject, "kept", f"now applied from {stamp or 'elsewhere'}"))
        return outcomes + self.applier.delete(owned)

    def _live(self, identity: Identity) -> dict | None:
        api_version, kind, namespace, name = identity
        resource = self.applier.discovery.find(api_version, kind)
        if resource is None:
            return None  # its kind is gone (CRD deleted), so is the object
        return self.applier.rest.get_or_none(resource.path(namespace or self.applier.default_namespace, name))

    # -- keep going ----------------------------------------------------------------------------
    def watch(self, stop: threading.Event, *, ready: Callable[[], None] | None = None) -> None:
        """Sync changes until `stop` is set (blocks); `ready` is called once the watch is running."""
        import watchfiles

        started = False
        for changes in watchfiles.watch(self.root, watch_filter=lambda _, p: self.tracked(Path(p)),
                                        debounce=DEBOUNCE_MS, step=50, stop_event=stop, rust_timeout=200,
                                        yield_on_timeout=True, raise_interrupt=False):
            if not started:
                started = True
                if ready is not None:
                    ready()
            paths = {Path(p) for _, p in changes}
            if paths:
                self.sync(sorted(p for p in paths if p.is_file()), sorted(p for p in paths if not p.exists()))


_HOLDERS = frozenset({("v1", "Namespace"), (CRD_API_VERSION, "CustomResourceDefinition")})


def _delete_rank(identity: Identity) -> int:
    """Objects before the Namespaces and CRDs that hold them."""
    return 1 if identity[:2] in _HOLDERS else 0

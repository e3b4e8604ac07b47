"""metadata.managedFields: which field manager owns which fields, kept as kube-apiserver's field manager does.

- `apply` is server-side apply (PATCH application/apply-patch+yaml): the configuration merges into the live
  object; fields the manager applied last time and no longer applies are removed unless another manager
  owns them; changing a field another manager owns is a 409 Conflict unless `force`, which takes it over.
- `record_update` is what every other write (create, update, patch) does: the writer's `Update` entry
  gains the fields it changed, and every other manager loses them.

Entries are keyed as upstream's: an `Apply` manager by name (and subresource), an `Update` manager by name,
apiVersion and subresource. Not modelled: the cap of ten Update entries ("ancient-changes"), version
conversion of field sets, and writes made by the in-process controllers (they go to the store directly and
own nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kstellar_tui.sandbox.apiserver import crdschema, objectrules
from kstellar_tui.sandbox.apiserver.errors import ApiError, bad_request
from kstellar_tui.sandbox.apiserver.fieldsets import (
    Comparison, FieldSet, Path, Shape, compare, ensure_named_fields, field_set, from_fields_v1, merge, path_text,
    remove_items, shape_for, to_fields_v1,
)
from kstellar_tui.sandbox.apiserver.objectrules import copy_of, now_rfc3339
from kstellar_tui.sandbox.apiserver.patch import same_json
from kstellar_tui.sandbox.apiserver.resources import ResourceType

APPLY, UPDATE = "Apply", "Update"
# What nobody owns (upstream's stripMetaManager): identity and server-set metadata.
STRIPPED: frozenset[Path] = frozenset({
    ("f:apiVersion",), ("f:kind",), ("f:metadata",),
    *(("f:metadata", f"f:{name}") for name in ("name", "namespace", "creationTimestamp", "selfLink", "uid",
                                                "clusterName", "generation", "managedFields", "resourceVersion")),
})
MAX_MANAGER_BYTES = 128
Key = tuple[str, str, str, str]  # manager, operation, apiVersion (Update only), subresource


@dataclass
class _Manager:
    """One managedFields entry, decoded."""

    name: str
    operation: str
    api_version: str
    subresource: str
    time: str | None
    fields: FieldSet

    @property
    def key(self) -> Key:
        return (self.name, self.operation, self.api_version if self.operation == UPDATE else "", self.subresource)

    def entry(self) -> dict:
        entry = {"manager": self.name, "operation": self.operation, "apiVersion": self.api_version}
        if self.time:
            entry["time"] = self.time
        entry.update(fieldsType="FieldsV1", fieldsV1=to_fields_v1(self.fields))
        if self.subresource:
            entry["subresource"] = self.subresource
        return entry

    def described(self) -> str:
        """How conflicts name the manager: `"kubectl"`, `"x" with subresource "status"`, `"y" using apps/v1`."""
        text = f'"{self.name}"'
        if self.subresource:
            text += f' with subresource "{self.subresource}"'
        return f"{text} using {self.api_version}" if self.operation == UPDATE else text


Managers = dict[Key, _Manager]


# --------------------------------------------------------------------------- the two operations


def apply(live: dict | None, config: dict, rt: ResourceType, manager: str, *, force: bool = False,
          subresource: str | None = None, now: str | None = None) -> dict:
    """The object server-side apply stores: `config` applied over `live` (None: the object is created)."""
    meta = config.get("metadata")
    if isinstance(meta, dict) and meta.get("managedFields") is not None:
        raise bad_request("metadata.managedFields must be nil")
    shape, reset = shape_for(rt), _reset_fields(rt, subresource)
    base = _without_managed_fields(live)
    managers = _decode(_entries(live))
    key: Key = (manager, APPLY, "", subresource or "")
    previous = managers.get(key)
    merged = merge(base, copy_of(config), shape)
    managers[key] = _Manager(manager, APPLY, rt.api_version, subresource or "", previous.time if previous else None,
                             reset(field_set(config, shape)))
    if previous is not None:
        merged = _prune(merged, previous.fields, managers, shape)
    _take_over(managers, key, compare(base, merged, shape), reset, force=force)
    _settle(managers, key, now, touched=previous is None or not same_json(base, merged))
    merged["metadata"] = {**(merged.get("metadata") or {}), "managedFields": _encode(managers)}
    return merged


def record_update(rt: ResourceType, live: dict | None, obj: dict, manager: str, *,
                  subresource: str | None = None, now: str | None = None) -> dict:
    """`obj` (what a create, update or patch will store over `live`) with metadata.managedFields brought up to
    date: `manager`'s Update entry owns what this write changes."""
    shape, reset = shape_for(rt), _reset_fields(rt, subresource)
    managers = _managers_of_write(live, obj, subresource)
    changes = compare(_without_managed_fields(live), _without_managed_fields(_as_stored(rt, live, obj, subresource)),
                      shape)
    key: Key = (manager, UPDATE, rt.api_version, subresource or "")
    gained = reset(changes.changed()) - reset(changes.removed)
    previous = managers.pop(key, None)
    _take_over(managers, key, changes, reset, force=True)
    if gained or previous is not None:
        managers[key] = _Manager(manager, UPDATE, rt.api_version, subresource or "",
                                 previous.time if previous else None,
                                 (previous.fields - reset(changes.removed) if previous else set()) | gained)
        _settle(managers, key, now, touched=bool(gained))
    result = copy_of(obj)
    result.setdefault("metadata", {})["managedFields"] = _encode(managers)
    return result


def field_manager(query_value: str | None, user_agent: str | None) -> str:
    """The manager of a non-apply write: `?fieldManager=`, else the User-Agent up to its first `/` (printable
    characters only, at most 128 bytes, as upstream)."""
    if query_value:
        return query_value
    name = ""
    for char in (user_agent or "").split("/")[0]:
        if char.isprintable():
            if len((name + char).encode()) > MAX_MANAGER_BYTES:
                break
            name += char
    return name


# --------------------------------------------------------------------------- ownership


def _take_over(managers: Managers, key: Key, changes: Comparison, reset: Callable[[FieldSet], FieldSet], *,
               force: bool) -> None:
    """Other managers lose what this write changed (a conflict unless forced) and what it removed; those left
    owning nothing go."""
    changed, removed = reset(changes.changed()), reset(changes.removed)
    conflicts = [(manager, manager.fields & changed) for other, manager in managers.items() if other != key]
    conflicts = [(manager, paths) for manager, paths in conflicts if paths]
    if conflicts and not force:
        raise _conflict_error(conflicts)
    for other in [k for k in managers if k != key]:
        managers[other].fields -= changed | removed
        if not managers[other].fields:
            del managers[other]


def _settle(managers: Managers, key: Key, now: str | None, *, touched: bool) -> None:
    """The acting manager keeps no stripped field, goes when it owns nothing, and is stamped when it wrote."""
    acting = managers[key]
    acting.fields -= STRIPPED
    if not acting.fields:
        del managers[key]
    elif touched or acting.time is None:
        acting.time = now or now_rfc3339()


def _prune(merged: dict, last: FieldSet, managers: Managers, shape: Shape) -> dict:
    """Remove what the applier applied last time, no longer applies, and nobody else owns (upstream's prune,
    addBackOwnedItems and addBackDanglingItems, step by step)."""
    def named(paths: FieldSet) -> FieldSet:
        return ensure_named_fields(paths, shape)

    owned = named(set().union(*(m.fields for m in managers.values())))
    everything, last = named(field_set(merged, shape)), named(last)
    pruned = remove_items(merged, last, shape)
    pruned = remove_items(merged, everything - (named(field_set(pruned, shape)) | owned), shape)
    return remove_items(merged, (everything - named(field_set(pruned, shape))) & last, shape)


def _conflict_error(conflicts: list[tuple[_Manager, FieldSet]]) -> ApiError:
    """409 as upstream words it: `Apply failed with 1 conflict: conflict with "kubectl": .data.color`."""
    found = sorted((manager.described(), path_text(path)) for manager, paths in conflicts for path in paths)
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {who}", "field": field}
              for who, field in found]
    if len(found) == 1:
        who, field = found[0]
        return ApiError(409, "Conflict", f"Apply failed with 1 conflict: conflict with {who}: {field}",
                        {"causes": causes})
    lines = []
    for who in sorted({who for who, _ in found}):
        lines.append(f"conflicts with {who}:")
        lines.extend(f"- {field}" for other, field in found if other == who)
    return ApiError(409, "Conflict", f"Apply failed with {len(found)} conflicts: " + "\n".join(lines),
                    {"causes": causes})


# --------------------------------------------------------------------------- objects and entries


def _reset_fields(rt: ResourceType, subresource: str | None) -> Callable[[FieldSet], FieldSet]:
    """Keep only the paths this write may own: a status write owns status only, a write of the main
    resource of a type with a status subresource owns everything else (upstream's reset fields)."""
    if subresource == "status":
        return lambda paths: {p for p in paths if p[:1] == ("f:status",)}
    if "status" in rt.subresources and subresource in (None, "scale"):
        return lambda paths: {p for p in paths if p[:1] != ("f:status",)}
    return lambda paths: set(paths)


def _as_stored(rt: ResourceType, live: dict | None, obj: dict, subresource: str | None) -> dict:
    """What the store will make of the write (a create: the decoded, defaulted object)."""
    if live is None:
        stored = objectrules.typed(rt, copy_of(obj))
        default = objectrules.DEFAULTS.get(rt.key)
        if default is not None:
            default(stored)
    else:
        stored = objectrules.prepare_update(rt, copy_of(obj), live, subresource)
    return stored if rt.builtin else crdschema.prepare(rt, stored)


def _managers_of_write(live: dict | None, obj: dict, subresource: str | None) -> Managers:
    """Upstream's decodeLiveOrNew: a write of the main resource may set managedFields (`[{}]` resets them);
    otherwise, or when it sends none, the live object's stand."""
    if not subresource:
        given = _entries(obj)
        if given == [{}]:
            return {}
        decoded = _decode(given)
        if decoded:
            return decoded
    return _decode(_entries(live))


def _without_managed_fields(obj: dict | None) -> dict:
    if obj is None:
        return {}
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


def _entries(obj: dict | None) -> list:
    meta = (obj or {}).get("metadata")
    entries = meta.get("managedFields") if isinstance(meta, dict) else None
    return entries if isinstance(entries, list) else []


def _decode(entries: list) -> Managers:
    managers: Managers = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("operation") not in (APPLY, UPDATE):
            continue
        manager = _Manager(str(entry.get("manager") or ""), entry["operation"], str(entry.get("apiVersion") or ""),
                           str(entry.get("subresource") or ""), entry.get("time"),
                           from_fields_v1(entry.get("fieldsV1")))
        managers[manager.key] = manager
    return managers


def _encode(managers: Managers) -> list[dict]:
    """Entries in upstream's order: Apply before Update, then by time, manager, apiVersion, subresource."""
    ordered = sorted(managers.values(),
                     key=lambda m: (m.operation, m.time or "", m.name, m.api_version, m.subresource))
    return [manager.entry() for manager in ordered]

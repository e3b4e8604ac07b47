"""API errors as upstream's `Status` objects, so kubectl prints the messages users know."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error that the server answers with a `v1 Status` body and its HTTP code."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def _details(name: str, group: str, kind: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": kind}
    if group:
        details["group"] = group
    return details


def not_found(group_resource: str, name: str, group: str = "", resource: str = "") -> ApiError:
    """`deployments.apps "x" not found` (404)."""
    return ApiError(404, "NotFound", f'{group_resource} "{name}" not found',
                    _details(name, group, resource or group_resource.split(".")[0]))


def already_exists(group_resource: str, name: str, group: str = "", resource: str = "") -> ApiError:
    """`deployments.apps "x" already exists` (409)."""
    return ApiError(409, "AlreadyExists", f'{group_resource} "{name}" already exists',
                    _details(name, group, resource or group_resource.split(".")[0]))


def conflict(group_resource: str, name: str, group: str = "", resource: str = "") -> ApiError:
    """The optimistic-concurrency conflict of a stale resourceVersion (409)."""
    return ApiError(
        409, "Conflict",
        f'Operation cannot be fulfilled on {group_resource} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        _details(name, group, resource or group_resource.split(".")[0]),
    )


def invalid(kind_group: str, name: str, causes: list[tuple[str, str]], group: str = "", kind: str = "") -> ApiError:
    """`Deployment.apps "x" is invalid: field: message` (422); causes are (field path, message)."""
    text = ", ".join(f"{field}: {msg}" if field else msg for field, msg in causes)
    details = _details(name, group, kind or kind_group.split(".")[0])
    details["causes"] = [
        {"reason": "FieldValueInvalid", "message": msg, "field": field} for field, msg in causes
    ]
    return ApiError(422, "Invalid", f'{kind_group} "{name}" is invalid: {text}', details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def gone(message: str) -> ApiError:
    """History expired: the watch must re-list (410)."""
    return ApiError(410, "Expired", message)


def method_not_allowed(message: str = "the server does not allow this method on the requested resource") -> ApiError:
    return ApiError(405, "MethodNotAllowed", message)


PATCH_MEDIA_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")


def unsupported_media_type(content_type: str, accepted: tuple[str, ...] = PATCH_MEDIA_TYPES) -> ApiError:
    """415, listing what the endpoint does take (by default: the patch types of custom resources)."""
    return ApiError(415, "UnsupportedMediaType",
                    f"the body of the request was in an unknown format - accepted media types include: "
                    f"{', '.join(accepted)} (got {content_type})")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def too_large(limit: int) -> ApiError:
    return ApiError(413, "RequestEntityTooLarge", f"the request body is too large: limit is {limit} bytes")

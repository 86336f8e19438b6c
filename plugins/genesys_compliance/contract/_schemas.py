"""JSON Schema validation against pointers into the document (Draft 2020-12)."""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from genesys_compliance.contract._problems import Problem, json_pointer

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = ["SchemaSet", "coerce_text"]

_BASE_URI = "urn:genesys-compliance:openapi"
_MAX_MESSAGE = 300
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class SchemaSet:
    """Validators for the schemas of one document, compiled on first use."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        resource: Resource[Any] = DRAFT202012.create_resource(document)
        self._registry: Registry[Any] = Registry().with_resource(_BASE_URI, resource)
        self._validators: dict[str, Draft202012Validator] = {}
        self._lock = threading.Lock()

    def problems(self, pointer: str, instance: Any, location: str) -> list[Problem]:
        """Validate ``instance`` against the schema at ``pointer``; list what is wrong.

        Each problem points at the element it is about: an unexpected or a missing
        property at that property (not at the object holding it), a wrong value
        at the value. Callers can then tell which element of a document a problem
        concerns, and whether something else already reported that element.
        """
        validator = self._validator(pointer)
        found: dict[tuple[str, str], Problem] = {}
        for error in validator.iter_errors(instance):
            for path, message in _pointed(error):
                problem = Problem(location, json_pointer(path), _shorten(message), path)
                found.setdefault((problem.pointer, problem.message), problem)
        return sorted(found.values(), key=lambda p: p.pointer)

    def _validator(self, pointer: str) -> Draft202012Validator:
        with self._lock:
            found = self._validators.get(pointer)
            if found is None:
                schema = {"$ref": f"{_BASE_URI}#{pointer}"}
                found = Draft202012Validator(schema, registry=self._registry)
                self._validators[pointer] = found
            return found


def _pointed(error: ValidationError) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Where an error is and what it says, split per property for object keywords.

    jsonschema reports ``required`` and ``additionalProperties: false`` at the
    object; the property they name is the element a person has to fix, and the
    pointer names it, so the message need not.
    """
    path = tuple(error.absolute_path)
    instance, schema, value = error.instance, error.schema, error.validator_value
    if error.validator == "required" and isinstance(instance, dict) and isinstance(value, list):
        for name in value:
            if name not in instance:
                yield (*path, name), "required property is missing"
    elif (
        error.validator == "additionalProperties"
        and value is False
        and isinstance(instance, dict)
        and isinstance(schema, dict)
    ):
        declared = schema.get("properties", {})
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        for name in instance:
            if name not in declared and not any(p.search(str(name)) for p in patterns):
                yield (*path, name), "unexpected property"
    else:
        yield path, error.message


def coerce_text(values: list[str], schema: Mapping[str, Any]) -> Any:
    """Turn the text of a query, path or header value into what its schema types.

    A value that does not parse stays text, so the schema reports it as the
    wrong type instead of this function guessing.
    """
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items", {})
        return [coerce_text([v], items) for v in values]
    text = values[-1]
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number" and _NUMBER.fullmatch(text):
        return float(text)
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


def _shorten(message: str) -> str:
    if len(message) <= _MAX_MESSAGE:
        return message
    return message[: _MAX_MESSAGE - 1] + "…"

"""Read the simulated org's seed files and check them against the contract."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from genesys_compliance.contract import Contract

__all__ = ["OrgSeed", "SeedError", "load_seed"]

# Collection key -> (contract schema every entity must fit, or None when internal).
_COLLECTIONS: dict[str, str | None] = {
    "licences": None,
    "oauthClients": None,
    "queues": "Queue",
    "users": "UserPreferences",
    "flows": "Flow",
    "layouts": "DesktopLayoutEntity",
    "templates": "AssistTemplate",
    "triggerRules": "TriggerRuleEntity",
    "routingRules": "RoutingRuleEntity",
}
_SUFFIXES = (".yaml", ".yml", ".json")


class SeedError(ValueError):
    """The seed folder cannot make an org; the message names the file and field."""


@dataclass(frozen=True)
class OrgSeed:
    """The starting state of a simulated org; each ``SimOrg`` copies it."""

    org: dict[str, Any]
    collections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def entities(self, key: str) -> list[dict[str, Any]]:
        """A deep copy of one collection, so orgs never share mutable state."""
        return copy.deepcopy(self.collections.get(key, []))


def load_seed(path: str | Path, contract: Contract) -> OrgSeed:
    """Merge every YAML/JSON file of a folder (or one file) into a seed.

    Raises:
        SeedError: A missing folder, an unknown key, a duplicate id, or an
            entity that does not fit its contract schema.
    """
    root = Path(path)
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix in _SUFFIXES)
    elif root.is_file():
        files = [root]
    else:
        raise SeedError(f"{root}: no such seed folder or file")
    if not files:
        raise SeedError(f"{root}: no .yaml, .yml or .json seed files")
    org: dict[str, Any] | None = None
    collections: dict[str, list[dict[str, Any]]] = {key: [] for key in _COLLECTIONS}
    origin: dict[tuple[str, str], Path] = {}
    for file in files:
        data = _read(file)
        for key, value in data.items():
            if key == "org":
                if org is not None:
                    raise SeedError(f"{file}: 'org' is defined twice")
                if not isinstance(value, dict) or not value.get("id"):
                    raise SeedError(f"{file}: 'org' needs an 'id'")
                org = dict(value)
                continue
            if key not in _COLLECTIONS:
                known = ", ".join(["org", *_COLLECTIONS])
                raise SeedError(f"{file}: unknown key {key!r} (known: {known})")
            if not isinstance(value, list):
                raise SeedError(f"{file}: {key} must be a list")
            for index, entity in enumerate(value):
                _check(file, key, index, entity, contract=contract, origin=origin)
                collections[key].append(entity)
    if org is None:
        raise SeedError(f"{root}: no file defines 'org' (its id and name)")
    return OrgSeed(org=org, collections=collections)


def _read(file: Path) -> dict[str, Any]:
    text = file.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise SeedError(f"{file}: cannot parse: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SeedError(f"{file}: the top level must be a mapping")
    return data


def _check(
    file: Path,
    key: str,
    index: int,
    entity: Any,
    *,
    contract: Contract,
    origin: dict[tuple[str, str], Path],
) -> None:
    where = f"{file}: {key}[{index}]"
    if key == "licences":
        if not isinstance(entity, dict) or not isinstance(entity.get("count"), int):
            raise SeedError(f"{where}: a licence needs a licenseType and an integer count")
        return
    if not isinstance(entity, dict) or not entity.get("id"):
        raise SeedError(f"{where}: needs an 'id'")
    ident = str(entity["id"])
    if (key, ident) in origin:
        raise SeedError(f"{where}: id {ident!r} already defined in {origin[(key, ident)]}")
    origin[(key, ident)] = file
    schema = _COLLECTIONS[key]
    if schema is None:
        if not isinstance(entity.get("secret"), str) or not isinstance(entity.get("scopes"), list):
            raise SeedError(f"{where}: an OAuth client needs a secret and a list of scopes")
        return
    view = {k: v for k, v in entity.items() if k not in ("realtime", "strategies")}
    problems = contract.validate_schema(schema, view)
    for strategy in entity.get("strategies", {}).get("items", []):
        problems.extend(contract.validate_schema("RoutingStrategy", strategy))
    if problems:
        raise SeedError(f"{where} does not fit {schema}: " + "; ".join(str(p) for p in problems))

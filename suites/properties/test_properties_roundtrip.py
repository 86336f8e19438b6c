"""Round trip: YAML text -> loader -> typed model -> YAML text is stable.

The loader must read back exactly what was written (types included: a
string that looks like a number stays a string), the model must keep every
value, and dumping the model must reach a fixed point at once. The one
normalisation allowed is an integer written for a float field (a ``peak``
of ``120`` arrivals), which the model holds as ``120.0``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from _properties import no_deadline, show
from genesys_compliance import Config, Policy, RuleContext, load_run
from genesys_compliance.kinds import API_VERSION
from genesys_compliance.strategies import configurations, to_yaml


def _load(text: str, policy: Policy) -> tuple[Any, Config[Any, Any]]:
    """The document as the loader read it, and its typed configuration."""
    with tempfile.TemporaryDirectory(prefix="gc-roundtrip-") as folder:
        root = Path(folder)
        (root / "config.yaml").write_text(text, encoding="utf-8")
        run = load_run([root], root, context=RuleContext(policy=policy))
    [entry] = run.entries
    assert entry.config is not None, "\n".join(f.render() for f in entry.findings)
    return entry.data, entry.config


def _as_document(config: Config[Any, Any]) -> dict[str, Any]:
    """The typed configuration written back as a document: only what the file set."""
    return {
        "apiVersion": API_VERSION,
        "kind": config.kind,
        "metadata": config.metadata.model_dump(exclude_unset=True),
        "spec": config.spec.model_dump(exclude_unset=True),
    }


def _same(got: Any, want: Any, at: str = "", *, widen: bool = False) -> bool:
    """Equal values of equal types, key order included; returns whether an int was widened.

    ``True == 1`` and ``1 == 1.0`` in Python, so types are compared first.
    """
    if widen and type(want) is int and type(got) is float:
        assert got == want, f"{at}: {got!r} != {want!r}"
        return True
    assert type(got) is type(want), f"{at}: {type(got).__name__} != {type(want).__name__}"
    if isinstance(want, dict):
        assert list(got) == list(want), f"{at}: keys {list(got)} != {list(want)}"
        return any([_same(got[k], want[k], f"{at}/{k}", widen=widen) for k in want])
    if isinstance(want, list):
        assert len(got) == len(want), f"{at}: {len(got)} items != {len(want)}"
        return any(
            [
                _same(g, w, f"{at}/{i}", widen=widen)
                for i, (g, w) in enumerate(zip(got, want, strict=True))
            ]
        )
    assert got == want, f"{at}: {got!r} != {want!r}"
    return False


@no_deadline
@given(data=st.data())
def test_yaml_to_model_to_yaml_is_stable(data: st.DataObject, gc_policy: Policy) -> None:
    written = data.draw(configurations(gc_policy), label="configuration")
    text = to_yaml(written)
    show(text)
    read, config = _load(text, gc_policy)
    _same(read, written)
    widened = _same(_as_document(config), read, widen=True)
    event("an int widened to float" if widened else "text identical")
    again = to_yaml(_as_document(config))
    if not widened:
        assert again == text
    _, config_again = _load(again, gc_policy)
    assert to_yaml(_as_document(config_again)) == again

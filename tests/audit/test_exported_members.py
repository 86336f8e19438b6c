"""The package's public names are exactly ``__all__``; implementation modules stay private."""

from __future__ import annotations

import pkgutil

from genesys_compliance import audit


def test_all_names_every_public_member_and_nothing_else() -> None:
    # pytest rewrites the plugin's package and adds its helpers ("@py_builtins"): not names.
    public = {n for n in vars(audit) if n.isidentifier() and not n.startswith("_")}
    assert set(audit.__all__) == public
    assert len(audit.__all__) == len(public)


def test_every_implementation_module_is_private() -> None:
    names = [module.name for module in pkgutil.iter_modules(audit.__path__)]
    assert names
    assert all(name.startswith("_") for name in names), names

"""Export: every resource of the org as configuration files (SPEC 9 ``export``).

Layer L3, above ``apply``: reads through the client's generic resource
interface and learns every fact about a kind from the contract (the resource
table for identity, server-owned fields, derived fields and sets; the kind's
payload schema for what a ``spec`` holds and in which order). It never
branches on a kind's name, never writes to the org, and never prints:
progress goes to the caller's listener.

:func:`export_org` writes ``<out>/<kind folder>/<metadata.name>.yaml``;
:func:`omissions` lists, from the contract alone, every field the org
answers that no exported file holds (the README's list).
"""

from genesys_compliance.export._errors import ExportError
from genesys_compliance.export._export import ExportedFile, ExportResult, Renamed, export_org
from genesys_compliance.export._names import fold_name
from genesys_compliance.export._omitted import REASONS, LeftOut, omissions, omissions_markdown
from genesys_compliance.export._read import ExportProgress, ProgressListener
from genesys_compliance.export._table import kind_folder
from genesys_compliance.export._tree import MANIFEST, owned_files

__all__ = [
    "MANIFEST",
    "REASONS",
    "ExportError",
    "ExportProgress",
    "ExportResult",
    "ExportedFile",
    "LeftOut",
    "ProgressListener",
    "Renamed",
    "export_org",
    "fold_name",
    "kind_folder",
    "omissions",
    "omissions_markdown",
    "owned_files",
]

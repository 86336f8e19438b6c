"""Layer 0: reading configuration files into documents with line positions.

Nothing here knows about kinds or rules; it turns bytes into plain data,
bounded so that hostile files cost little and never raise.
"""

from genesys_compliance.config._files import (
    Document,
    FileProblem,
    ParseLimits,
    SourceFile,
    discover,
    load_files,
    read_file,
)
from genesys_compliance.config._pointer import dotted, pointer

__all__ = [
    "Document",
    "FileProblem",
    "ParseLimits",
    "SourceFile",
    "discover",
    "dotted",
    "load_files",
    "pointer",
    "read_file",
]

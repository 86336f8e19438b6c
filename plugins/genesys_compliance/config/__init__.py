"""Layer 0: reading configuration files into documents with line positions.

Nothing here knows about kinds or rules; it turns bytes into plain data,
bounded so that hostile files cost little and never raise.
"""

from genesys_compliance.config._files import (
    SUFFIXES,
    Document,
    FileProblem,
    ParseLimits,
    SourceFile,
    discover,
    load_files,
    read_file,
    relative_path,
)
from genesys_compliance.config._pointer import dotted, key_text, pointer

__all__ = [
    "SUFFIXES",
    "Document",
    "FileProblem",
    "ParseLimits",
    "SourceFile",
    "discover",
    "dotted",
    "key_text",
    "load_files",
    "pointer",
    "read_file",
    "relative_path",
]

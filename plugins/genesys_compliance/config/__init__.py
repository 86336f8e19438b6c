"""Layer 0: reading configuration files into documents with line positions.

Nothing here knows about kinds or rules; it turns bytes into plain data,
bounded so that hostile files cost little and never raise.
"""

from genesys_compliance.config._events import ParseLimits
from genesys_compliance.config._files import (
    SUFFIXES,
    Document,
    FileProblem,
    SourceFile,
    discover,
    load_files,
    read_file,
    relative_path,
)
from genesys_compliance.config._pointer import (
    dotted,
    escape,
    key_text,
    pointer,
    pointer_tokens,
    unescape,
)

__all__ = [
    "SUFFIXES",
    "Document",
    "FileProblem",
    "ParseLimits",
    "SourceFile",
    "discover",
    "dotted",
    "escape",
    "key_text",
    "load_files",
    "pointer",
    "pointer_tokens",
    "read_file",
    "relative_path",
    "unescape",
]

"""The rule engine: files in, findings out; shared by the pytest plugin and the CLI."""

from genesys_compliance.engine._run import Entry, Run, load_run

__all__ = ["Entry", "Run", "load_run"]

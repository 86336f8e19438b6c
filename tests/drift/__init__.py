"""Drift (org/drift, org/unmanaged): in process, under pytest, on the command line, over HTTP."""

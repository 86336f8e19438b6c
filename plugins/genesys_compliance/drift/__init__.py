"""Drift: the org compared with the configurations in git (``org/drift``, ``org/unmanaged``)."""

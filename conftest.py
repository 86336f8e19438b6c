"""Repository-level pytest configuration for genesys-compliance's own checkout.

The plugin itself is registered through the ``pytest11`` entry point; this
file only keeps pytest away from folders that hold data, not tests.
"""

collect_ignore = ["fixtures", "reports", "benchmarks"]

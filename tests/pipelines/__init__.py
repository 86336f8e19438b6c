"""The ready-made pipelines of ``examples/ci/``: their structure, and their steps run locally."""

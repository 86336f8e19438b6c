"""Layer 3': consumers of findings and events: SARIF, terminal summary, catalogue, Allure."""

from genesys_compliance.reporting.catalogue import BEGIN, END, catalogue_markdown, replace_catalogue
from genesys_compliance.reporting.plan_comment import plan_markdown
from genesys_compliance.reporting.sarif import sarif_log, write_sarif
from genesys_compliance.reporting.summary import summary_lines

__all__ = [
    "BEGIN",
    "END",
    "catalogue_markdown",
    "plan_markdown",
    "replace_catalogue",
    "sarif_log",
    "summary_lines",
    "write_sarif",
]

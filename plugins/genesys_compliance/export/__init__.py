"""Export: every resource of the org as configuration files (SPEC 9 ``export``)."""

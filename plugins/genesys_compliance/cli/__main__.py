"""``python -m genesys_compliance.cli``: the command line without its console script."""

from genesys_compliance.cli import main

main()

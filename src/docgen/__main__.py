"""``python -m docgen`` runs the command line."""

from docgen.cli.main import main

main()

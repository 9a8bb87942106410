"""`python -m outlook_diff` runs the command line."""

from outlook_diff.cli import main

main()

"""`python -m outlook_diff` runs the command line."""

from outlook_diff.entrypoint import main

main()

"""`python -m matrixpipe`."""

from matrixpipe.cli import main

main()

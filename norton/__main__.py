"""`python -m norton` runs the command line, as the `norton` console script does."""
import sys

from norton.cli import main

sys.exit(main())

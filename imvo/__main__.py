"""``python -m imvo``: the command line."""
from imvo.cli import main

main()

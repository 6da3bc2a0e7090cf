"""The `imvo` command line (README.md#command-line): the top layer, which may import every other."""
from .main import app, main

__all__ = ["app", "main"]

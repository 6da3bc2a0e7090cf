"""Development tools for the test suite and the scripts (not part of the installed product)."""

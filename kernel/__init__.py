"""The kernel: errors and settings, importable by every layer (it imports none of them)."""

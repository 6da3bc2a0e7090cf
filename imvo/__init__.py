"""IMVO leverage graph: a knowledge graph of covenants, supply chains and the actors around them."""

__version__ = "0.1.0"

"""API compatibility between a cell and the runtime it is deployed to: static checks and error notes.

Everything here reads one table, ``rules.json``; the Node host's edge realm reads the same file for the
errors it throws at run time, so a problem found before running and one hit while running say the same.
"""

from .analyze import bundled, check, check_graph, erase_type_imports, graph
from .rules import Rule, explain, rules, table

__all__ = ["Rule", "bundled", "check", "check_graph", "erase_type_imports", "explain", "graph", "rules", "table"]

"""trellis's runtime side: what a rendered stage script imports beside TRL.

The stage scripts carry a copy of this package next to them, so it may depend only on the
pinned environment (torch, transformers, trl, datasets, peft) and on nothing else of trellis.
"""

__version__ = "0.1.0"

"""
isso-tx: an Isso-compatible comment server built on Twisted.
"""

__version__ = "0.1.0"

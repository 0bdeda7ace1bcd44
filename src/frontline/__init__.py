"""Frontline: an annotated corpus and benchmark of armed-conflict news.

All offsets in this package are character offsets into an article's text
(Python ``str`` indices), end exclusive: ``text[start:end]`` is the mention.
"""

__version__ = "0.1.0"

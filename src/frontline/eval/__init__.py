"""Scoring: counts per document first (entities and relations, strict and partial), scores derived
from the counts, bootstrap intervals over test documents, and checked prediction files.
"""

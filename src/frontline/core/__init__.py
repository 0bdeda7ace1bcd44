"""The shapes everything else is made of: the scheme, the articles, tokenization and sentences,
annotated documents, the Label Studio config derived from the scheme, and where files live and how
they are written (atomically, under a lock).

Nothing here imports from another subpackage.
"""

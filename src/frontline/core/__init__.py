"""The shapes everything else is made of: the scheme, the articles, tokenization and sentences,
annotated documents, the Label Studio config derived from the scheme, where files live and how
they are written (atomically, under a lock), and the Markdown tables and generated blocks of
the committed reports.

Nothing here imports from another subpackage.
"""

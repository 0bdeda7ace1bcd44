"""The gold as committed: the Label Studio export on disk (one reader), its validation,
inter-annotator agreement on the double-annotated sample, and statistics of the corpus.
"""

"""The released dataset: splits by a rule on the article, rows and ``datasets.Features``, the
build of ``corpus/`` from the gold, the dataset card, other formats (spaCy, brat, CoNLL) and
publishing to the Hub.
"""

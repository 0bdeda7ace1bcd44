"""The baselines: the models, the suite that trains, tunes and scores them in one pinned numerical
environment, and the report (results table and error analysis) made from the recorded results.
"""

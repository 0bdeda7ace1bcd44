"""The Label Studio side of the pipeline: a local server (``service``), the project kept in sync
through label-studio-sdk (``client``), articles as tasks, annotator accounts, pre-annotation from
the baselines, review and acceptance of gold, and restoring a committed export into a server.
"""

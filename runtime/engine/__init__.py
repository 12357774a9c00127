"""The execution engine: loaded revisions, the run pipeline, tables, prompts, batch runs.

It never imports the HTTP layer: ``specwright run`` executes batches with no server loaded.
"""

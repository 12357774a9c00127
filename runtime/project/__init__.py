"""The project on disk: spec files in, revision directories out (the only file writer)."""

"""``draft``, ``infer`` and ``suggest-tests``: authoring specs with a model (the I/O half)."""

"""The model layer: providers, routing, structured output, cost, and fakes for tests.

Import the submodules you need (``specwright.runtime.models.registry``, ``.router``, ``.fake``...): nothing
is imported here, so that the provider SDKs load only when a provider is first built.
See ``docs/models.md``.
"""

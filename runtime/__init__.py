"""The runtime half: serving, the execution engine, model providers, the log, the CLI.

Imported as ``specwright.runtime``. Its folders are its layers, lowest first:

* this folder's modules (``errors``, ``records``, ``config``, ``jsontext``): what every layer shares;
* ``models/`` (providers, routing) and ``logstore/`` (the execution log);
* ``engine/`` (the execution pipeline), ``project/`` (spec files and revisions on disk),
  ``authoring/`` (drafting specs with a model), ``testing/`` (the generated suites' library);
* ``http/`` (the server) and ``cli/`` (the command line).

A layer imports only from layers below it; ``tests/test_layers.py`` checks the import graph.
"""

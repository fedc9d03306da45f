"""Test support shipped with Magpie for plugin authors and the host's own suite.

* :mod:`magpie.testing.pytest_plugin` — pytest fixtures (``magpie_host``, ``magpie_plugin``,
  ``magpie_site``, ``magpie_plugin_state``), registered through the ``pytest11`` entry point
  so every project that installs Magpie gets them without a ``conftest.py``;
* :mod:`magpie.testing.factories` — functions that build a Wagtail site with a home page.

Nothing here imports Django at module level: the pytest plugin is loaded in every pytest run
of every project that has Magpie installed, with or without Django configured.
"""

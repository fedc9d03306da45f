"""Settings: ``base`` (shared), ``dev`` (default), ``production`` and ``test``."""

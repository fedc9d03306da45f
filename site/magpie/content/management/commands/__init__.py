"""``load_demo`` and ``demo_admin``."""

"""Per-site plugin state and the Settings → Plugins admin screen."""

"""Themes: per-site template and static-file sets with inheritance (theme.toml)."""

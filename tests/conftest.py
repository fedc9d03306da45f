"""Shared fixtures of the Magpie test suite."""

"""Magpie: a plugin-based content and shop CMS for B2B companies, built on Wagtail."""

__version__ = "0.1.0"

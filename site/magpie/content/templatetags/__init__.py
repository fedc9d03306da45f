"""Template tags of the content app (``{% load magpie_content %}``)."""

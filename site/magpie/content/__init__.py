"""Content: home, articles with topic/audience taxonomies, landing pages built from blocks."""

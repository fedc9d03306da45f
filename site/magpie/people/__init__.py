"""People: companies and customer groups (contacts and consent follow with lead management)."""

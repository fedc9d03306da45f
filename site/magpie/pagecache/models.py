"""The content generation: one counter row, bumped whenever published content changes."""

from django.db import models


class Generation(models.Model):
    """A named counter; the row ``pages`` versions every cached page and site state."""

    name = models.CharField(primary_key=True, max_length=32)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"

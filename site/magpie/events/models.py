"""Outbox rows: one Event per domain event, one Delivery per (event, plugin)."""

from __future__ import annotations

import os
import time
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7): Unix milliseconds, then 74 random bits.

    Events get these ids so that their index (and the deliveries' index of them) grows at
    one end like a sequence, instead of touching random pages on every insert.
    """
    millis = time.time_ns() // 1_000_000 & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    value = millis << 80 | 0x7 << 76 | (rand >> 68) << 64 | 0b10 << 62 | rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


class Event(models.Model):
    """A domain event, written in the same transaction as the change that caused it."""

    # Written on every delivery/stock move: keep it out of Wagtail's reference index.
    wagtail_reference_index_ignore = True

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    payload = models.JSONField(_("payload"), default=dict)
    site = models.ForeignKey(
        "wagtailcore.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("event")

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class Delivery(models.Model):
    """The delivery of one event to one plugin: attempts, last error, next try."""

    # Written on every delivery/stock move: keep it out of Wagtail's reference index.
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    # No database-level foreign key: the outbox writes a delivery only with its event, in
    # the same transaction, and deleting an event through the ORM still deletes its
    # deliveries. A constraint would check every delivery row against the events table with
    # a plan PostgreSQL caches per connection — planned while the table was small (a fresh
    # install), that is a sequential scan per row until the next ANALYZE: ingest slowed
    # down as the table grew.
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries", db_constraint=False
    )
    plugin = models.CharField(_("plugin"), max_length=100)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    #: A worker holds a delivery until this time; a killed worker's lease simply runs out.
    leased_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "plugin"], name="magpie_delivery_unique")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.plugin} ({self.status})"

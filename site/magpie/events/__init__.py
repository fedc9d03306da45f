"""Domain events: a transactional outbox delivered to plugins after commit.

Use :func:`magpie.events.outbox.emit` inside the transaction that makes the change.
"""

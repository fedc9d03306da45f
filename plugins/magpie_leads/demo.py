"""Demo data of the leads plugin: capture (a form on the landing page) and scoring."""

from __future__ import annotations

from typing import Any


def load_demo(stdout: Any) -> None:
    """Idempotent: a second call changes nothing."""
    from magpie_leads.capture_demo import load_capture_demo
    from magpie_leads.scoring_demo import load_scoring_demo

    load_capture_demo(stdout)
    load_scoring_demo(stdout)

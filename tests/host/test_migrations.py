"""Migrations are complete, and plugin blocks never leak into the host's migrations."""

import pytest
from django.core.management import call_command

from magpie.content.models import HomePage, LandingPage


@pytest.mark.django_db
def test_makemigrations_check_is_clean_with_plugins_installed():
    # Raises SystemExit(1) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_plugin_blocks_are_offered_but_not_deconstructed():
    field = LandingPage._meta.get_field("body")
    assert "recorder_banner" in field.stream_block.child_blocks  # offered in the editor
    _name, path, args, kwargs = field.deconstruct()
    assert path == "wagtail.fields.StreamField"
    names = [name for name, _index in args[0]]
    assert "recorder_banner" not in names
    assert {"hero", "rich_text", "call_to_action", "faq", "embed"} <= set(names)
    assert HomePage._meta.get_field("body").deconstruct()[2] == args

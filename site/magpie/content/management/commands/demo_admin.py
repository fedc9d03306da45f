"""``manage demo_admin``: create the demo superuser and print its password once."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_USERNAME = "admin"


class Command(BaseCommand):
    help = (
        "Create the superuser 'admin' with a random password and print it once. "
        "An existing user is left alone; its password is never reset or shown."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default=DEMO_USERNAME, help="Login name (default admin).")
        parser.add_argument("--email", default="admin@example.com", help="E-mail address.")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        user_model = get_user_model()
        with transaction.atomic():
            if user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).exists():
                self.stdout.write(
                    f"The admin user {username!r} exists already; its password is unchanged "
                    "(use `magpie manage changepassword` to set a new one)."
                )
                return
            password = secrets.token_urlsafe(16)
            user_model._default_manager.create_superuser(
                **{user_model.USERNAME_FIELD: username},
                email=options["email"],
                password=password,
            )
        self.stdout.write(self.style.SUCCESS("Created the admin user. Shown only this once:"))
        self.stdout.write(f"  login:    {username}")
        self.stdout.write(f"  password: {password}")

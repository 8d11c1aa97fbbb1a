"""The demo logins (placeholder until the demo district is loaded by `manage.py load_demo`)."""


def demo_accounts() -> list[dict]:
    return []

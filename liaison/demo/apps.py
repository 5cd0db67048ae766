from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The made-up networks, the `demo` and `build_network` commands that load them, and the demo's mail catcher."""

    name = "liaison.demo"
    label = "demo"
    verbose_name = "Demo"

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """No models: the made-up networks and the `demo` and `build_network` commands that load them."""

    name = "liaison.demo"
    label = "demo"
    verbose_name = "Demo"

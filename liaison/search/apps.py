from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "liaison.search"
    label = "search"
    verbose_name = "Search"

    def ready(self):
        # The words a misspelt name is matched against follow every save of a patient, referrer or practice.
        from liaison.search import words

        words.connect()

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # Models are loaded only now, so the registration is imported here.
        from api import personal_data

        personal_data.register()

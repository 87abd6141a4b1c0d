"""Routes for this area (filled in by its issue)."""
urlpatterns: list = []

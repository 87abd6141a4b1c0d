"""REST API routes under /api/v1/ (built in issue 4)."""
urlpatterns: list = []

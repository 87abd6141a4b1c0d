"""Server-rendered pages of the timebank."""
from django.contrib.auth import views as auth_views
from django.urls import path

from timebank import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]

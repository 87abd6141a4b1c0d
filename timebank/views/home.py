"""The public home page."""
from django.shortcuts import render


def home(request):
    return render(request, "timebank/home.html")

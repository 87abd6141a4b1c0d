"""Timebank pages: thin views that call one service or selector."""
from django.shortcuts import render


def home(request):
    return render(request, "timebank/home.html")

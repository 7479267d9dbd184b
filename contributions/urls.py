from django.urls import URLPattern, URLResolver

app_name = "contributions"

urlpatterns: list[URLPattern | URLResolver] = []

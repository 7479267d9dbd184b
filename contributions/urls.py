from django.urls import path

from contributions import views

app_name = "contributions"

urlpatterns = [
    path("contributions/new/", views.new, name="new"),
    path("contributions/<int:pk>/", views.detail, name="detail"),
    path("contributions/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("contributions/<int:pk>/delete/", views.delete, name="delete"),
    path("contributions/<int:pk>/comments/", views.comment, name="comment"),
]

from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/", views.project_list, name="list"),
    path("projects/new/", views.project_new, name="new"),
    path("projects/<slug:slug>/", views.project_detail, name="detail"),
    path("projects/<slug:slug>/edit/", views.project_edit, name="edit"),
    path("projects/<slug:slug>/join/", views.project_join, name="join"),
    path("projects/<slug:slug>/leave/", views.project_leave, name="leave"),
    path("projects/<slug:slug>/calls/", views.call_new, name="call_new"),
    path("projects/<slug:slug>/calls/<int:call_id>/open/", views.call_open, name="call_open"),
    path("projects/<slug:slug>/calls/<int:call_id>/edit/", views.call_edit, name="call_edit"),
    path("projects/<slug:slug>/directors/", views.director_add, name="director_add"),
]

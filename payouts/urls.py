from django.urls import URLPattern, URLResolver, path

from payouts import credits_views, money_views, views

app_name = "payouts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("projects/<slug:slug>/cut/", views.cut_page, name="cut"),
    path("projects/<slug:slug>/cut/lock/", views.cut_lock, name="cut_lock"),
    path("projects/<slug:slug>/credits/", credits_views.credits_page, name="credits"),
    path("projects/<slug:slug>/credits.txt", credits_views.credits_txt, name="credits_txt"),
    path("projects/<slug:slug>/credits.csv", credits_views.credits_csv, name="credits_csv"),
    # money pages (payouts/money_views.py)
    path("me/earnings/", money_views.earnings_page, name="earnings"),
    path("me/earnings/claims/<str:distribution_id>/", money_views.claim_page, name="claim"),
    path("me/payee/", money_views.payee_page, name="payee"),
    path("me/payee/resend/", money_views.payee_resend, name="payee_resend"),
    path("me/payee/verify/<str:token>/", money_views.payee_verify, name="payee_verify"),
    path("projects/<slug:slug>/ledger/", money_views.ledger_page, name="ledger"),
]

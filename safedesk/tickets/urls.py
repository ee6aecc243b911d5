from django.urls import path

from safedesk.tickets import console_views, scam_views, setup_views, views

app_name = "tickets"
urlpatterns = [
    # customers (and guests, for submitting)
    path("tickets/", views.my_tickets, name="list"),
    path("tickets/new/", views.new_ticket, name="new"),
    path("tickets/new/sent/", views.guest_sent, name="guest_sent"),
    path("tickets/new/suggest/", views.deflect, name="deflect"),
    path("tickets/new/answered/", views.deflected, name="deflected"),
    path("report-scam/", scam_views.report_scam, name="report_scam"),
    path("tickets/confirm/<str:token>/", views.guest_confirm, name="guest_confirm"),
    path("tickets/<str:ref>/", views.ticket_detail, name="detail"),
    path("tickets/<str:ref>/reply/", views.customer_reply, name="reply"),
    path("tickets/<str:ref>/close/", views.customer_close, name="close"),
    path("tickets/<str:ref>/reopen/", views.customer_reopen, name="reopen"),
    path("tickets/<str:ref>/rate/", views.customer_rate, name="rate"),
    path("tickets/<str:ref>/appeal/", views.customer_appeal, name="appeal"),
    # attachments, for customers and agents alike (the same access rules as the ticket)
    path("tickets/<str:ref>/files/<str:public_id>/", views.attachment_download, name="attachment"),
    # served only on SAFEDESK_FILES_ORIGIN when it is set (lib.middleware.FilesHostMiddleware)
    path("files/t/<str:token>/", views.files_download, name="files_download"),
    # agents
    path("agent/tickets/", views.inbox, name="inbox"),
    path("agent/tickets/new/", views.agent_new, name="agent_new"),
    path("agent/tickets/bulk/", console_views.bulk, name="bulk"),
    path("agent/tickets/<str:ref>/", views.agent_detail, name="agent_detail"),
    path("agent/tickets/<str:ref>/reply/", views.agent_reply, name="agent_reply"),
    path("agent/tickets/<str:ref>/status/", views.agent_status, name="agent_status"),
    path("agent/tickets/<str:ref>/assign/", views.agent_assign, name="agent_assign"),
    path("agent/tickets/<str:ref>/fields/", views.agent_fields, name="agent_fields"),
    path("agent/tickets/<str:ref>/scam-report/", scam_views.decide_report, name="scam_decide"),
    path("agent/tickets/<str:ref>/merge/", console_views.merge, name="merge"),
    path("agent/tickets/<str:ref>/presence/", console_views.presence_beat, name="presence"),
    path("agent/tickets/<str:ref>/macros/<str:public_id>/", console_views.macro_for_ticket, name="macro_text"),
    path("agent/macros/", console_views.macro_list, name="macros"),
    path("agent/macros/new/", console_views.macro_new, name="macro_new"),
    path("agent/macros/preview/", console_views.macro_preview, name="macro_preview"),
    path("agent/macros/<str:public_id>/", console_views.macro_edit, name="macro_edit"),
    path("agent/macros/<str:public_id>/active/", console_views.macro_active, name="macro_active"),
    path("agent/views/", console_views.view_list, name="saved_views"),
    path("agent/views/new/", console_views.view_new, name="saved_view_new"),
    path("agent/views/<str:public_id>/", console_views.view_edit, name="saved_view_edit"),
    path("agent/views/<str:public_id>/delete/", console_views.view_delete, name="saved_view_delete"),
    path("agent/appeals/", views.appeals, name="appeals"),
    path("agent/appeals/<str:public_id>/decide/", views.appeal_decide, name="appeal_decide"),
    # staffing and the SLA set-up (supervisors read, administrators change)
    path("agent/availability/", setup_views.availability, name="availability"),
    path("agent/teams/", setup_views.teams, name="teams"),
    path("agent/teams/<str:public_id>/", setup_views.team, name="team"),
    path("agent/teams/<str:public_id>/cap/", setup_views.team_cap, name="team_cap"),
    path("agent/sla/", setup_views.sla_index, name="sla"),
    path("agent/sla/calendars/new/", setup_views.calendar_new, name="sla_calendar_new"),
    path("agent/sla/calendars/<str:public_id>/", setup_views.calendar_edit, name="sla_calendar"),
    path("agent/sla/policies/new/", setup_views.policy_new, name="sla_policy_new"),
    path("agent/sla/policies/<str:public_id>/", setup_views.policy_edit, name="sla_policy"),
]

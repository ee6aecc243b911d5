from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "safedesk.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from datetime import timedelta

        from safedesk.jobs.periodic import register
        from safedesk.tickets.tasks import assign_waiting, rescan_attachments, sla_sweep

        register("tickets.sla_sweep", timedelta(minutes=1), sla_sweep)
        register("tickets.assign_waiting", timedelta(minutes=1), assign_waiting)
        register("tickets.rescan_attachments", timedelta(minutes=5), rescan_attachments)

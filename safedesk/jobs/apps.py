from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "safedesk.jobs"
    label = "jobs"

    def ready(self) -> None:
        from datetime import timedelta

        from safedesk.jobs.periodic import register
        from safedesk.jobs.tasks import requeue_orphans

        register("jobs.requeue_orphans", timedelta(minutes=1), requeue_orphans)

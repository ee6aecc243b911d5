"""`safedesk demo` sets up a usable desk, and running it again changes nothing."""

from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from safedesk.accounts.models import User
from safedesk.demo.services import PERSONAS
from safedesk.helpcenter.models import ArticleRevision, ArticleTranslation


def run_demo(settings, data_dir: Path) -> str:
    settings.DATA_DIR = data_dir
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_it_prints_logins_with_totp_for_staff_and_loads_articles(db, settings, tmp_path: Path) -> None:
    output = run_demo(settings, tmp_path)
    for handle, _label, _role in PERSONAS:
        assert f"{handle}@demo.safedesk.test" in output
    assert output.count("TOTP secret:") == 3 and output.count("otpauth://totp/") == 3
    assert (tmp_path / "demo-logins.json").stat().st_mode & 0o077 == 0
    published = ArticleTranslation.objects.filter(status="published")
    assert published.filter(lang="zh-hans").count() >= 30 and published.filter(lang="en").count() >= 30
    # The printed password and TOTP secret really open the staff account.
    sam = User.objects.get(email="sam@demo.safedesk.test")
    password = output.split("sam@demo.safedesk.test")[1].split("password:")[1].split()[0]
    assert sam.check_password(password)
    device = TOTPDevice.objects.get(user=sam)
    assert device.verify_token(f"{totp(device.bin_key):06d}")


def test_it_is_idempotent(db, settings, tmp_path: Path) -> None:
    run_demo(settings, tmp_path)
    users, translations, revisions = (
        User.objects.count(),
        ArticleTranslation.objects.count(),
        ArticleRevision.objects.count(),
    )
    first_passwords = (tmp_path / "demo-logins.json").read_text()
    output = run_demo(settings, tmp_path)
    assert "0 created, 0 updated" in output
    assert (User.objects.count(), ArticleTranslation.objects.count(), ArticleRevision.objects.count()) == (
        users,
        translations,
        revisions,
    )
    assert (tmp_path / "demo-logins.json").read_text() == first_passwords


def test_it_sets_up_a_routed_team(db, settings, tmp_path: Path) -> None:
    from safedesk.tickets.models import TeamCategory, TeamSettings

    output = run_demo(settings, tmp_path)
    assert "team Security created" in output
    settings_row = TeamSettings.objects.select_related("team").get()
    assert (settings_row.team.name, settings_row.assignment_mode) == ("Security", "round_robin")
    assert set(settings_row.team.members.values_list("email", flat=True)) == {
        "sam@demo.safedesk.test",
        "ada@demo.safedesk.test",
    }
    assert set(TeamCategory.objects.values_list("category", flat=True)) == {"security", "frozen_assets", "scam_report"}
    assert "teams kept" in run_demo(settings, tmp_path)


def test_it_starts_with_shared_macros_that_fill_in_cleanly(db, settings, tmp_path: Path) -> None:
    from safedesk.tickets import selectors, services

    run_demo(settings, tmp_path)
    sam = User.objects.get(email="sam@demo.safedesk.test")
    alice = User.objects.get(email="alice@demo.safedesk.test")
    shared = selectors.macros_for(sam)
    assert len(shared) >= 3 and all(m.is_shared and m.body_zh and m.body_en for m in shared)
    assert "macros kept" in run_demo(settings, tmp_path)  # a second run adds none
    assert len(selectors.macros_for(sam)) == len(shared)
    ticket = services.submit_ticket(alice, services.TicketInput(subject="Deposit", body="Missing."))
    for macro in shared:
        for language in ("zh-hans", "en"):
            ticket.language = language
            assert "{{" not in services.macro_text(macro, ticket, actor=sam)


def test_it_lists_official_channels_and_a_known_scam_for_the_verifier(db, settings, tmp_path: Path) -> None:
    from safedesk.safety import verifier

    output = run_demo(settings, tmp_path)
    assert "official channels listed" in output
    assert verifier.verify("+44 20 7946 0958").status == "official"
    assert verifier.verify("https://help.safedesk.example/x").status == "official"
    assert verifier.verify("safedesk-support.example").status == "lookalike"
    assert verifier.verify("+44 20 7946 0999").status == "scam"
    assert "official channels kept" in run_demo(settings, tmp_path)

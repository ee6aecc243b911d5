"""Channel keys and look-alikes (`safety.channels`): every notation of a channel gives one key, and
the look-alikes scammers use are told apart from ordinary, unrelated channels."""

from __future__ import annotations

import socket
import statistics
import string
import threading
import time
import unicodedata

import idna
import pytest
from confusable_homoglyphs.confusables import confusables_data
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from safedesk.safety import channels
from safedesk.safety.channels import Channel, Kind, Matcher, NotAChannel, Resemblance, parse, skeleton

BITPIE = parse("bitpie.com")


def _refusal(raw: str, **kwargs: str) -> NotAChannel:
    with pytest.raises(NotAChannel) as caught:
        parse(raw, **kwargs)
    return caught.value


def _resembles(candidate: str, *officials: str, **kwargs: str) -> Resemblance | None:
    matcher = Matcher([parse(o) for o in officials or ("bitpie.com",)])
    return matcher.resemblance(parse(candidate, **kwargs))


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    "raw",
    [
        "+86 400 888 1234",
        "+864008881234",
        "0086 400-888-1234",
        "(400) 888 1234",
        "400.888.1234",
        "400-888-1234",
        "400 888 1234",
        "4008881234",
        "＋８６ ４００ ８８８ １２３４",
        "４００－８８８－１２３４",
        "+86 (0) 400 888 1234",
        "tel:+86-400-888-1234",
        "+86 400 888 1234 ext. 5",
        "400-888-1234 转 5",
        "400-888-1234#5",
        " +86 400 888 1234。",
    ],
)
def test_it_reads_every_phone_notation_as_the_same_number(raw: str) -> None:
    channel = parse(raw)
    assert channel.kind == Kind.PHONE
    assert channel.value == "+864008881234"
    assert channel.display.startswith("+86 400 888 1234")


def test_it_shows_the_extension_but_keeps_it_out_of_the_key() -> None:
    channel = parse("+86 400 888 1234 分机 22")
    assert channel.value == "+864008881234"
    assert channel.display == "+86 400 888 1234 ext. 22"


def test_it_reads_national_numbers_with_the_region() -> None:
    assert parse("(650) 253-0000", region="US").value == "+16502530000"
    assert parse("138 0013 8000").value == "+8613800138000"
    # "00" is not the way out of the US, but a Chinese customer writes it that way.
    assert parse("0086 400 888 1234", region="US").value == "+864008881234"


@pytest.mark.parametrize("raw", ["123", "+86 1", "+999 1234 5678", "+1 23"])
def test_it_refuses_impossible_phone_numbers(raw: str) -> None:
    assert _refusal(raw).code == "invalid_phone"


def test_it_refuses_words_as_a_phone_when_asked_for_a_phone() -> None:
    assert _refusal("bitpie", kind="phone").code == "invalid_phone"


# --------------------------------------------------------------------------- domains


@pytest.mark.parametrize(
    "raw",
    [
        "bitpie.com",
        "BITPIE.COM",
        "www.bitpie.com",
        "bitpie.com.",
        "https://bitpie.com",
        "https://www.bitpie.com/zh/help?utm_source=tg&utm_medium=x#top",
        "http://bitpie.com:8443/login",
        "//bitpie.com/",
        "https:bitpie.com",
        "ｂｉｔｐｉｅ．ｃｏｍ",
        "𝐛𝐢𝐭𝐩𝐢𝐞.com",
        "bitpie。com",
        "bitpie[.]com",
        "hxxps://bitpie[.]com/",
        "http://%62itpie%2ecom/",
        "bit\u200bpie.com",
        "“bitpie.com”",
        "<https://bitpie.com>",
    ],
)
def test_it_reads_every_notation_of_a_domain_as_one_key(raw: str) -> None:
    assert parse(raw) == Channel("domain", "bitpie.com", "bitpie.com")


def test_it_keeps_www_when_www_is_the_registrable_name() -> None:
    assert parse("www.com").value == "www.com"


@pytest.mark.parametrize(
    "raw",
    [
        "https://bitpie.com@evil.io/",
        "https://bitpie.com:secret@evil.io/login",
        "https://evil.io\\@bitpie.com/",
        "http://evil.io#@bitpie.com",
        "bitpie.com@evil.io/",
    ],
)
def test_it_finds_the_host_a_browser_would_visit(raw: str) -> None:
    assert parse(raw).value == "evil.io"


def test_it_reads_a_question_mark_after_the_host_as_the_query() -> None:
    assert parse("http://bitpie.com?@evil.io").value == "bitpie.com"


def test_it_keys_an_internationalised_host_by_its_punycode_and_shows_it_in_unicode() -> None:
    cyrillic = parse("bіtpie.com")  # U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I
    assert cyrillic.value == "xn--btpie-n2e.com"
    assert cyrillic.display == "bіtpie.com"
    assert parse("xn--btpie-n2e.com") == cyrillic
    assert parse("https://XN--BTPIE-N2E.COM/") == cyrillic


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1.2.3.4", "1.2.3.4"),
        ("http://3232235777/", "192.168.1.1"),
        ("http://0x7f.1/", "127.0.0.1"),
        ("http://0300.0250.1.1/", "192.168.1.1"),
        ("http://[2001:DB8:0::1]/", "[2001:db8::1]"),
    ],
)
def test_it_accepts_ip_literals_in_the_forms_browsers_accept(raw: str, value: str) -> None:
    assert parse(raw) == Channel("domain", value, value)


@pytest.mark.parametrize(
    "raw",
    [
        "bitpie..com",
        ".bitpie.com",
        "a" * 64 + ".com",
        ".".join(["abcdefghi"] * 26) + ".com",
        "xn--abc.com",
        "😀.com",
        "http://1.2.3.400/",
        "https://intranet/",
        "https://bitpie.com@/",
    ],
)
def test_it_refuses_hosts_that_are_not_valid(raw: str) -> None:
    assert _refusal(raw).code == "invalid_domain"


def test_it_reads_only_the_host_when_asked_for_a_domain() -> None:
    assert parse("https://t.me/bitpie", kind="domain").value == "t.me"
    assert parse("support@bitpie.com", kind="domain").value == "bitpie.com"


# --------------------------------------------------------------------------- e-mail


@pytest.mark.parametrize(
    "raw",
    [
        "support@bitpie.com",
        "Support@BitPie.com",
        "mailto:support@bitpie.com?subject=help",
        "Bitpie Support <support@bitpie.com>",
        "support@www.bitpie.com",
        "ｓｕｐｐｏｒｔ＠ｂｉｔｐｉｅ．ｃｏｍ",
    ],
)
def test_it_reads_every_notation_of_an_email_address_as_one_key(raw: str) -> None:
    channel = parse(raw)
    assert channel.kind == Kind.EMAIL
    assert channel.value == "support@bitpie.com"


def test_it_keeps_the_unicode_host_of_an_email_for_display() -> None:
    channel = parse("kefu@bіtpie.com")
    assert channel.value == "kefu@xn--btpie-n2e.com"
    assert channel.display == "kefu@bіtpie.com"


@pytest.mark.parametrize("raw", ["support@bitpie..com", "a..b@bitpie.com", "support@1.2.3.4", "@bitpie.com x"])
def test_it_refuses_broken_email_addresses(raw: str) -> None:
    assert _refusal(raw, kind="email").code == "invalid_email"


# --------------------------------------------------------------------------- handles


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("t.me/Bitpie_Support", "telegram:bitpie_support"),
        ("https://telegram.me/bitpie_support?utm_source=x", "telegram:bitpie_support"),
        ("https://t.me/s/bitpie_support", "telegram:bitpie_support"),
        ("https://t.me/bitpie_support/1234", "telegram:bitpie_support"),
        ("tg://resolve?domain=bitpie_support", "telegram:bitpie_support"),
        ("https://t.me/+AbCd_123", "telegram:+abcd_123"),
        ("https://t.me/joinchat/AbCd_123", "telegram:+abcd_123"),
        ("x.com/BitpieWallet", "x:bitpiewallet"),
        ("https://twitter.com/BitpieWallet/status/1?s=20&t=abc", "x:bitpiewallet"),
        ("https://mobile.twitter.com/bitpiewallet", "x:bitpiewallet"),
        ("wa.me/85212345678", "whatsapp:+85212345678"),
        ("https://api.whatsapp.com/send?phone=85212345678&text=hi", "whatsapp:+85212345678"),
        ("whatsapp://send?phone=+85212345678", "whatsapp:+85212345678"),
        ("discord.gg/BitPie", "discord:bitpie"),
        ("https://discord.com/invite/BitPie", "discord:bitpie"),
        ("https://www.facebook.com/BitpieWallet/", "facebook:bitpiewallet"),
        ("https://m.facebook.com/profile.php?id=100012345&ref=share", "facebook:100012345"),
        ("instagram.com/bitpie.wallet/?igshid=abc", "instagram:bitpie.wallet"),
        ("https://www.youtube.com/@BitpieWallet", "youtube:bitpiewallet"),
        ("https://youtube.com/c/BitpieWallet", "youtube:bitpiewallet"),
        ("weibo.com/bitpie", "weibo:bitpie"),
        ("https://weibo.com/u/1234567890", "weibo:1234567890"),
        ("https://line.me/ti/p/~bitpie", "line:bitpie"),
        ("https://line.me/R/ti/p/%40bitpie", "line:bitpie"),
        ("https://www.tiktok.com/@bitpie", "tiktok:bitpie"),
        ("telegram: @Bitpie_Support", "telegram:bitpie_support"),
        ("tg:bitpie_support", "telegram:bitpie_support"),
        ("微信：bitpie_kefu", "wechat:bitpie_kefu"),
        ("飞机: @bitpie_support", "telegram:bitpie_support"),
        ("whatsapp:+852 1234 5678", "whatsapp:+85212345678"),
    ],
)
def test_it_reads_handles_from_links_and_prefixes(raw: str, value: str) -> None:
    channel = parse(raw)
    assert channel.kind == Kind.HANDLE
    assert channel.value == value
    assert channel.platform == value.partition(":")[0]


def test_it_reads_a_bare_at_name_as_a_handle_on_no_platform() -> None:
    assert parse("@Bitpie_Support") == Channel("handle", ":bitpie_support", "@Bitpie_Support", "")
    assert parse("bitpie_kefu").value == ":bitpie_kefu"


def test_it_reads_a_typed_handle_on_the_platform_given() -> None:
    assert parse("@Bitpie_Support", kind="handle", platform="telegram").value == "telegram:bitpie_support"
    assert parse("bitpie_support", kind="handle", platform="tg").value == "telegram:bitpie_support"
    assert parse("@bitpie", platform="twitter").value == "x:bitpie"
    assert parse("+852 1234 5678", kind="handle", platform="whatsapp").value == "whatsapp:+85212345678"
    # WhatsApp writes numbers internationally without "+"; a Chinese mobile is only valid nationally.
    assert parse("85212345678", kind="handle", platform="whatsapp").value == "whatsapp:+85212345678"
    assert parse("13800138000", kind="handle", platform="whatsapp").value == "whatsapp:+8613800138000"


def test_it_refuses_a_link_to_another_platform_than_the_one_given() -> None:
    assert _refusal("https://t.me/bitpie", kind="handle", platform="x").code == "platform_mismatch"
    assert _refusal("telegram: bitpie", kind="handle", platform="x").code == "platform_mismatch"
    assert _refusal("@bitpie", platform="myspace").code == "unknown_platform"


@pytest.mark.parametrize(
    "raw",
    [
        "https://x.com/home",
        "https://x.com/search?q=bitpie",
        "https://www.youtube.com/watch?v=abc",
        "https://youtu.be/abc",
        "https://www.facebook.com/groups/123",
        "https://www.instagram.com/p/abc/",
        "https://wa.me/message/ABC",
        "https://chat.whatsapp.com/ABC",
    ],
)
def test_it_refuses_links_that_point_to_no_account(raw: str) -> None:
    assert _refusal(raw).code == "unsupported_link"


@pytest.mark.parametrize("raw", ["https://weixin.qq.com/r/abc", "https://mp.weixin.qq.com/s/abc", "weixin://dl/chat"])
def test_it_asks_for_the_wechat_id_instead_of_a_wechat_link(raw: str) -> None:
    assert _refusal(raw).code == "wechat_link"


def test_it_reads_a_bare_platform_site_as_a_domain() -> None:
    assert parse("https://t.me/").value == "t.me"


# --------------------------------------------------------------------------- apps and addresses


@pytest.mark.parametrize(
    ("raw", "value", "slug"),
    [
        ("https://apps.apple.com/cn/app/bitpie-wallet/id1234567890", "apple:1234567890", "bitpie-wallet"),
        ("https://apps.apple.com/us/app/bitpie-wallet/id1234567890?mt=8&uo=4#x", "apple:1234567890", "bitpie-wallet"),
        ("https://itunes.apple.com/app/id1234567890", "apple:1234567890", ""),
        ("itms-apps://apps.apple.com/app/id1234567890", "apple:1234567890", ""),
        (
            "https://play.google.com/store/apps/details?id=com.bitpie.wallet&hl=en&gl=US&utm_source=tg&referrer=x",
            "google:com.bitpie.wallet",
            "",
        ),
        (
            "https://play.google.com/store/apps/details?hl=zh&id=com.bitpie.wallet#details",
            "google:com.bitpie.wallet",
            "",
        ),
        ("market://details?id=com.bitpie.wallet", "google:com.bitpie.wallet", ""),
        ("apple:1234567890", "apple:1234567890", ""),
    ],
)
def test_it_reads_app_store_links_without_their_tracking_parameters(raw: str, value: str, slug: str) -> None:
    channel = parse(raw)
    assert channel.kind == Kind.APP
    assert channel.value == value
    assert channel.slug == slug


def test_it_reads_a_typed_app_id_for_the_store_given() -> None:
    assert parse("id1234567890", kind="app", platform="apple").value == "apple:1234567890"
    assert parse("com.bitpie.wallet", kind="app", platform="google").value == "google:com.bitpie.wallet"
    assert _refusal("https://bitpie.com/download", kind="app").code == "invalid_app"


def test_it_reads_wallet_addresses_with_lib_chain() -> None:
    evm = parse("0x52908400098527886E0F7030069857D2E4169EE7")
    assert evm == Channel(
        "address", "0x52908400098527886e0f7030069857d2e4169ee7", "0x52908400098527886E0F7030069857D2E4169EE7", "evm"
    )
    assert parse("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq").platform == "bitcoin"
    assert parse("T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb", kind="address").platform == "tron"


def test_it_refuses_a_transaction_hash_as_an_address() -> None:
    assert _refusal("0x" + "ab" * 32).code == "transaction_hash"
    assert _refusal("0x" + "ab" * 32, kind="address").code == "transaction_hash"
    assert _refusal("0x1234").code == "invalid_address"


# --------------------------------------------------------------------------- refusals


def test_it_refuses_input_over_the_length_limit_before_reading_it() -> None:
    refusal = _refusal("a" * 2049)
    assert refusal.code == "too_long"
    assert refusal.params == {"field": "query"}
    # NFKC can multiply the length of a text; the limit holds after it too.
    assert _refusal("\ufdfa" * 200).code == "too_long"
    assert _refusal("https://bitpie.com/" + "a" * 3000, kind="domain").code == "too_long"


@pytest.mark.parametrize(
    "raw",
    [
        "hello world",
        "!!!",
        "???",
        "<script>alert(1)</script>",
        "javascript:alert(1)",
        "#",
        "-",
        "。",
        "请联系客服 谢谢",
    ],
)
def test_it_refuses_garbage_with_a_code_and_a_sentence(raw: str) -> None:
    refusal = _refusal(raw)
    assert refusal.code == "unrecognised_channel"
    body = refusal.as_dict()
    assert body["code"] == "unrecognised_channel"
    assert body["details"] == {"field": "query"}
    assert body["message"].endswith(".")


def test_it_refuses_an_empty_query() -> None:
    assert _refusal("   ").code == "empty"
    assert _refusal("", kind="domain").code == "empty"


def test_it_refuses_an_unknown_kind() -> None:
    assert _refusal("bitpie.com", kind="pigeon").code == "unknown_kind"


@pytest.mark.parametrize(
    "raw",
    [
        "+86 400 888 1234",
        "bіtpie.com",
        "support@bitpie.com",
        "t.me/bitpie_support",
        "@bitpie",
        "wa.me/85212345678",
        "https://apps.apple.com/cn/app/bitpie-wallet/id1234567890",
        "market://details?id=com.bitpie.wallet",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "http://[2001:db8::1]/",
    ],
)
def test_it_parses_a_key_back_into_itself(raw: str) -> None:
    channel = parse(raw)
    assert parse(channel.value).value == channel.value
    assert parse(channel.value, kind=channel.kind).value == channel.value


def test_it_builds_the_suffix_list_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    extractor = channels._build_extractor()
    assert extractor("help.bitpie.com.cn").suffix == "com.cn"


def test_it_builds_shared_data_once_when_threads_race() -> None:
    calls: list[int] = []
    gate = threading.Event()

    def build() -> int:
        gate.wait(1)
        calls.append(1)
        return 42

    lazy = channels._Lazy(build)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(lazy.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    assert results == [42] * 8
    assert calls == [1]


# --------------------------------------------------------------------------- skeletons


def test_it_folds_look_alike_characters_into_one_skeleton() -> None:
    assert skeleton("bіtpie") == skeleton("bitpie") == skeleton("BITPIE") == skeleton("bltpie")
    assert skeleton("cоinbаse") == skeleton("coinbase") == skeleton("c0inbase")
    assert skeleton("rnetamask") == skeleton("metamask")
    assert skeleton("vvallet") == skeleton("wallet")
    assert skeleton("bit-pie") == skeleton("bit.pie") == skeleton("bit_pie") == skeleton("bitpie")
    assert skeleton("i") == skeleton("l") == skeleton("1") == skeleton("|") == skeleton("I")
    assert skeleton("bítpié") == skeleton("bitpie")
    assert skeleton("ｂｉｔｐｉｅ") == skeleton("𝖇𝖎𝖙𝖕𝖎𝖊") == skeleton("bitpie")
    assert skeleton("3") == skeleton("e") and skeleton("5") == skeleton("s")
    # Leetspeak is not a look-alike: 4 does not render as "a".
    assert skeleton("4") != skeleton("a")
    assert skeleton("比特派") == "比特派"


# --------------------------------------------------------------------------- domain look-alikes


@pytest.mark.parametrize(
    ("candidate", "official"),
    [
        ("bіtpie.com", "bitpie.com"),  # Cyrillic і
        ("bitpіe.com", "bitpie.com"),
        ("bіtріе.com", "bitpie.com"),  # Cyrillic і, р, і, е
        ("xn--btpie-n2e.com", "bitpie.com"),  # the punycode of the first
        ("https://xn--bitpe-q2e.com/login", "bitpie.com"),
        ("cоinbase.com", "coinbase.com"),  # Cyrillic о
        ("coinbаse.com", "coinbase.com"),  # Cyrillic а
        ("cοinbase.com", "coinbase.com"),  # Greek ο
    ],
)
def test_it_flags_homoglyph_hosts_and_their_punycode(candidate: str, official: str) -> None:
    found = _resembles(candidate, official)
    assert found is not None
    assert found.official.value == official
    assert found.reasons == ("homoglyph", "punycode")


def test_it_flags_ascii_look_alikes_as_homoglyphs_and_typos() -> None:
    found = _resembles("bltpie.com")
    assert found is not None and found.reasons == ("homoglyph", "typo")
    found = _resembles("rnetamask.io", "metamask.io")
    assert found is not None and "homoglyph" in found.reasons


@pytest.mark.parametrize(
    ("candidate", "reasons"),
    [
        ("bitpie.co", ("other_suffix",)),
        ("bitpie.net", ("other_suffix",)),
        ("bitpie.com.cn", ("other_suffix",)),
        ("bitpie.github.io", ("other_suffix",)),
        ("bіtpie.net", ("homoglyph", "punycode", "other_suffix")),
    ],
)
def test_it_flags_the_official_name_under_another_suffix(candidate: str, reasons: tuple[str, ...]) -> None:
    found = _resembles(candidate)
    assert found is not None and found.reasons == reasons


@pytest.mark.parametrize("candidate", ["bitpei.com", "bitppie.com", "bitpe.com", "bitpje.com", "bit-pie.com"])
def test_it_flags_typosquats_within_one_edit(candidate: str) -> None:
    found = _resembles(candidate)
    assert found is not None and found.reasons == ("typo",)


def test_it_allows_two_edits_only_for_long_names() -> None:
    found = _resembles("trustwalelt.com", "trustwallet.com")
    assert found is not None and found.reasons == ("typo",)
    found = _resembles("trustwalleet.co", "trustwallet.com")
    assert found is not None and "typo" in found.reasons
    found = _resembles("truztwalet.com", "trustwallet.com")
    assert found is not None and found.reasons == ("typo",)
    assert _resembles("butpae.com") is None  # two edits from a six-letter name
    assert _resembles("okz.com", "okx.com") is None  # three letters: exact or nothing


@pytest.mark.parametrize(
    ("candidate", "official"),
    [
        ("bitpie-support.com", "bitpie.com"),
        ("bitpiesupport.com", "bitpie.com"),
        ("bitpiekefu.com", "bitpie.com"),
        ("bitpie-kefu.net", "bitpie.com"),
        ("bitpie客服.com", "bitpie.com"),
        ("support-bitpie.io", "bitpie.com"),
        ("bitpie-help-center.net", "bitpie.com"),
        ("official-bitpie-wallet.org", "bitpie.com"),
        ("bitpie-com.net", "bitpie.com"),
        ("bitpie365.com", "bitpie.com"),
        ("bitpei-support.com", "bitpie.com"),
        ("c0inbase-support.com", "coinbase.com"),
        ("coinbase-recovery-24.com", "coinbase.com"),
    ],
)
def test_it_flags_the_official_name_with_added_words(candidate: str, official: str) -> None:
    found = _resembles(candidate, official)
    assert found is not None
    assert found.official.value == official
    assert "added_word" in found.reasons
    if candidate.startswith("c0in"):
        assert "homoglyph" in found.reasons
    if "客服" in candidate:
        assert "punycode" in found.reasons


@pytest.mark.parametrize(
    "candidate",
    [
        "bitpie.com.support-help.io",
        "bitpie-com.verify.io",
        "www.bitpie.com.evil.cn",
        "https://bitpie.secure-login.xyz/",
        "login.bitpie-support.evil.com",
        "bіtpie.evil.com",
    ],
)
def test_it_flags_the_official_name_in_the_subdomain_of_another_site(candidate: str) -> None:
    found = _resembles(candidate)
    assert found is not None and "subdomain_trick" in found.reasons


def test_it_leaves_subdomains_of_an_official_domain_to_the_caller() -> None:
    assert _resembles("help.bitpie.com") is None
    assert _resembles("https://www.bitpie.com/download") is None
    assert _resembles("kefu@bitpie.com", "support@bitpie.com") is None
    assert _resembles("a.b.bitpie.com", "support.bitpie.com") is None


def test_it_respects_private_suffixes_when_deciding_what_is_a_subdomain() -> None:
    assert _resembles("help.bitpie.github.io", "bitpie.github.io") is None
    assert _resembles("evil.github.io", "bitpie.github.io") is None
    found = _resembles("bitpie.evil.github.io", "bitpie.github.io")
    assert found is not None and found.reasons == ("subdomain_trick",)


@pytest.mark.parametrize(
    "candidate",
    [
        "google.com",
        "github.com",
        "example.org",
        "binance.com",
        "bitget.com",
        "bitcoin.org",
        "pie.com",
        "bit.ly",
        "bitpanda.com",
        "pipedrive.com",
        "1.2.3.4",
        "support@gmail.com",
    ],
)
def test_it_leaves_unrelated_domains_alone(candidate: str) -> None:
    assert _resembles(candidate) is None


def test_it_leaves_popular_sites_alone_against_a_registry_of_wallet_brands() -> None:
    brands = [
        "bitpie.com", "coinbase.com", "trustwallet.com", "imtoken.im", "tokenpocket.pro", "okx.com", "metamask.io",
        "safepal.com", "ledger.com", "trezor.io", "exodus.com", "kraken.com", "bybit.com", "kucoin.com", "onekey.so",
    ]  # fmt: skip
    matcher = Matcher([parse(b) for b in brands])
    popular = [
        "google.com", "youtube.com", "facebook.com", "baidu.com", "wikipedia.org", "qq.com", "taobao.com",
        "amazon.com", "yahoo.com", "twitter.com", "instagram.com", "linkedin.com", "netflix.com", "microsoft.com",
        "apple.com", "github.com", "reddit.com", "bing.com", "live.com", "zoom.us", "tiktok.com", "whatsapp.com",
        "weibo.com", "sina.com.cn", "163.com", "jd.com", "alipay.com", "bilibili.com", "zhihu.com", "mozilla.org",
        "python.org", "cloudflare.com", "paypal.com", "ebay.com", "bbc.co.uk", "medium.com", "dropbox.com",
        "etherscan.io", "blockchain.com", "ethereum.org", "solana.com", "uniswap.org", "opensea.io", "binance.com",
        "gemini.com", "bitstamp.net", "bitfinex.com", "crypto.com", "nexo.com", "coingecko.com", "coinmarketcap.com",
        "telegram.org", "signal.org",
    ]  # fmt: skip
    flagged = {d: found for d in popular if (found := matcher.resemblance(parse(d)))}
    assert flagged == {}


def test_it_prefers_the_strongest_match_and_then_the_first_official() -> None:
    matcher = Matcher([parse("bitpia.com"), parse("bitpie.com")])
    found = matcher.resemblance(parse("bіtpie.com"))
    assert found is not None and found.official.value == "bitpie.com"  # same skeleton beats a typo
    matcher = Matcher([parse("bitpie.com"), parse("bitpie.io")])
    found = matcher.resemblance(parse("bitpie.net"))
    assert found is not None and found.official.value == "bitpie.com"


def test_it_returns_none_for_an_exact_match_of_any_kind() -> None:
    officials = [
        parse(raw)
        for raw in [
            "bitpie.com",
            "support@bitpie.com",
            "t.me/bitpie",
            "+86 400 888 1234",
            "wa.me/85212345678",
            "https://apps.apple.com/cn/app/bitpie-wallet/id1234567890",
            "0x52908400098527886E0F7030069857D2E4169EE7",
        ]
    ]
    matcher = Matcher(officials)
    for official in officials:
        assert matcher.resemblance(official) is None


# --------------------------------------------------------------------------- e-mail look-alikes


def test_it_compares_the_host_of_an_email_with_official_domains_and_emails() -> None:
    found = _resembles("support@bitpie-help.com", "bitpie.com")
    assert found is not None and found.official.value == "bitpie.com" and found.reasons == ("added_word",)
    found = _resembles("support@bitpie.net", "support@bitpie.com")
    assert found is not None and found.official.value == "support@bitpie.com"
    assert found.reasons == ("other_suffix",)
    found = _resembles("bitpie-support.com", "support@bitpie.com")
    assert found is not None and found.official.kind == Kind.EMAIL


def test_it_flags_the_official_name_as_the_mailbox_at_an_unrelated_provider() -> None:
    found = _resembles("bitpie.support@gmail.com")
    assert found is not None and found.reasons == ("name_in_local_part",)
    assert _resembles("john.doe@gmail.com") is None


# --------------------------------------------------------------------------- handle look-alikes


@pytest.mark.parametrize(
    ("candidate", "reasons"),
    [
        ("telegram:bitpie_support", ("added_word",)),
        ("t.me/bitpie_offical", ("added_word",)),
        ("t.me/Bitpie_Kefu_2024", ("added_word",)),
        ("@bitpie_official", ("added_word",)),
        ("telegram:bltpie", ("homoglyph", "typo")),
        ("telegram:bitpje", ("typo",)),
        ("x:bitpie", ("other_platform",)),
        ("instagram.com/bitpie.support", ("added_word", "other_platform")),
    ],
)
def test_it_flags_handles_that_imitate_an_official_account(candidate: str, reasons: tuple[str, ...]) -> None:
    found = _resembles(candidate, "telegram:bitpie")
    assert found is not None and found.official.value == "telegram:bitpie"
    assert found.reasons == reasons


def test_it_flags_a_cyrillic_handle() -> None:
    found = _resembles("@bіtpie", "telegram:bitpie", platform="telegram")
    assert found is not None and found.reasons == ("homoglyph",)


def test_it_leaves_handles_to_the_caller_when_only_the_platform_is_unknown() -> None:
    assert _resembles("@bitpie", "telegram:bitpie") is None
    assert _resembles("@BitPie", "x:bitpie") is None


def test_it_looks_for_typos_on_the_same_platform_only() -> None:
    assert _resembles("x:bitpje", "telegram:bitpie") is None
    assert _resembles("telegram:randomguy", "telegram:bitpie") is None


def test_it_flags_a_handle_named_after_an_official_site_when_no_account_is_listed() -> None:
    found = _resembles("t.me/coinbase_support", "coinbase.com")
    assert found is not None and found.official.value == "coinbase.com"
    assert found.reasons == ("added_word", "other_platform")


# --------------------------------------------------------------------------- phone look-alikes


@pytest.mark.parametrize(
    "candidate",
    [
        "+86 400 888 1235",  # one digit
        "+86 400 888 1243",  # two adjacent digits swapped
        "+86 400 888 2134",
        "+86 400 888 1234 5",  # the official number inside a longer one
        "+1 400 888 1234",  # the official digits behind another country code
    ],
)
def test_it_flags_numbers_close_to_an_official_number(candidate: str) -> None:
    found = _resembles(candidate, "+86 400 888 1234")
    assert found is not None and found.reasons == ("similar_number",)


@pytest.mark.parametrize("candidate", ["+86 400 888 9999", "+86 400 111 1234", "+86 138 0013 8000", "+852 5123 4567"])
def test_it_leaves_other_numbers_alone(candidate: str) -> None:
    assert _resembles(candidate, "+86 400 888 1234") is None


def test_it_never_compares_short_numbers() -> None:
    assert _resembles("95589", "95588") is None
    assert _resembles("+86 95589", "+86 95588") is None


def test_it_flags_an_official_number_used_on_whatsapp_and_the_reverse() -> None:
    found = _resembles("wa.me/864008881234", "+86 400 888 1234")
    assert found is not None and found.reasons == ("other_platform",)
    found = _resembles("+852 1234 5678", "wa.me/85212345678")
    assert found is not None and found.reasons == ("other_platform",)
    found = _resembles("wa.me/85212345679", "wa.me/85212345678")
    assert found is not None and found.reasons == ("similar_number",)


# --------------------------------------------------------------------------- app and address look-alikes

APPLE = "https://apps.apple.com/cn/app/bitpie-wallet/id1234567890"
GOOGLE = "https://play.google.com/store/apps/details?id=com.bitpie.wallet"


@pytest.mark.parametrize(
    ("candidate", "official", "reasons"),
    [
        ("https://apps.apple.com/us/app/bitpie-wallet/id999999999", APPLE, ("same_name",)),
        ("https://apps.apple.com/us/app/bitpie-wallet-pro/id999999999", APPLE, ("added_word",)),
        ("https://apps.apple.com/us/app/bltpie-wallet/id999999999", APPLE, ("homoglyph", "typo")),
        ("https://apps.apple.com/us/app/bitpei-wallet/id999999999", APPLE, ("typo",)),
        ("https://play.google.com/store/apps/details?id=io.bitpie.wallet", GOOGLE, ("same_name",)),
        ("https://play.google.com/store/apps/details?id=com.bitpie.wallet.support", GOOGLE, ("added_word",)),
        ("https://play.google.com/store/apps/details?id=com.bitpie.wallet", APPLE, ("other_platform",)),
    ],
)
def test_it_flags_apps_named_like_an_official_app(candidate: str, official: str, reasons: tuple[str, ...]) -> None:
    found = _resembles(candidate, official)
    assert found is not None and found.reasons == reasons


def test_it_leaves_unrelated_apps_alone() -> None:
    assert _resembles("https://apps.apple.com/us/app/metamask/id1438144202", APPLE) is None


OFFICIAL_ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"


def test_it_flags_an_address_poisoning_look_alike() -> None:
    found = _resembles("0x5290111111111111111111111111111111119ee7", OFFICIAL_ADDRESS)
    assert found is not None and found.reasons == ("similar_address",)
    assert _resembles("0x1111111111111111111111111111111111111111", OFFICIAL_ADDRESS) is None
    # The "0x" every address shares is not part of the four characters compared.
    assert _resembles("0x52111111111111111111111111111111111e9ee7", OFFICIAL_ADDRESS) is None


# --------------------------------------------------------------------------- properties

OFFICIAL_NAMES = ["bitpie", "coinbase", "imtoken", "trustwallet", "tokenpocket", "metamask", "safepal", "exodus"]
_FILLERS = tuple(sorted({skeleton(w) for w in channels.NOISE_WORDS | channels.SUFFIX_WORDS if skeleton(w).isascii()}))


def _osa(a: str, b: str) -> int:
    """Unbounded optimal-string-alignment distance, written plainly as a reference."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@st.composite
def _edited(draw: st.DrawFn, name: str, edits: int) -> str:
    text = name
    for _ in range(edits):
        op = draw(st.sampled_from(["insert", "delete", "replace", "swap"]))
        i = draw(st.integers(0, max(len(text) - 1, 0)))
        letter = draw(st.sampled_from(string.ascii_lowercase))
        if op == "insert":
            text = text[:i] + letter + text[i:]
        elif op == "delete" and len(text) > 1:
            text = text[:i] + text[i + 1 :]
        elif op == "replace" and text:
            text = text[:i] + letter + text[i + 1 :]
        elif op == "swap" and i + 1 < len(text):
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


_MATCHER = Matcher([parse(f"{n}.com") for n in OFFICIAL_NAMES])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data(), official=st.sampled_from(OFFICIAL_NAMES))
def test_it_never_flags_ascii_names_three_edits_away(data: st.DataObject, official: str) -> None:
    candidate = data.draw(
        st.one_of(
            st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=16),
            st.integers(3, 6).flatmap(lambda k: _edited(official, k)),
        )
    )
    skel = skeleton(candidate)
    # Distance after look-alike folding: "bltpje" is one edit from "bitpie", not two.
    assume(all(_osa(skel, skeleton(n)) >= 3 for n in OFFICIAL_NAMES))
    # Filler words at the ends are the added-word rule's business, not this property's.
    assume(not any(skel.startswith(w) or skel.endswith(w) for w in _FILLERS))
    assert _MATCHER.resemblance(parse(f"{candidate}.com")) is None


@settings(max_examples=300, deadline=None)
@given(data=st.data(), official=st.sampled_from(OFFICIAL_NAMES))
def test_it_always_flags_a_typo_within_the_bound(data: st.DataObject, official: str) -> None:
    limit = 2 if len(official) >= 9 else 1
    candidate = data.draw(st.integers(1, limit).flatmap(lambda k: _edited(official, k)))
    # k random edits can land further than k in optimal string alignment ("utstwallet").
    assume(0 < _osa(skeleton(candidate), skeleton(official)) <= limit)
    found = _MATCHER.resemblance(parse(f"{candidate}.com"))
    assert found is not None
    assert {"typo", "homoglyph"} & set(found.reasons)


def _substitutes() -> list[tuple[str, int, str]]:
    """(official, position, character) for every single-character confusable of a letter of an
    official name, taken straight from the package data, that IDNA accepts in a host."""
    by_letter: dict[str, set[str]] = {}
    for char, glyphs in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        for glyph in glyphs:
            if len(glyph["c"]) == 1 and glyph["c"].isascii() and glyph["c"].isalnum():
                by_letter.setdefault(glyph["c"].lower(), set()).add(char)
    found = []
    for name in OFFICIAL_NAMES:
        for position, letter in enumerate(name):
            for char in sorted(by_letter.get(letter, ())):
                if unicodedata.normalize("NFKC", char).isascii():
                    # NFKC (and IDNA) turn it into a plain letter: "ſ" is "s". The host is then the
                    # official one or an ASCII typo of it, which other tests cover.
                    continue
                try:
                    idna.encode(name[:position] + char + name[position + 1 :], uts46=True)
                except idna.IDNAError:
                    continue
                found.append((name, position, char))
    return found


SUBSTITUTES = _substitutes()


def test_it_has_many_confusables_to_try() -> None:
    assert len(SUBSTITUTES) > 300


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SUBSTITUTES))
def test_it_flags_any_single_confusable_substitution(substitute: tuple[str, int, str]) -> None:
    name, position, char = substitute
    candidate = parse(name[:position] + char + name[position + 1 :] + ".com")
    found = _MATCHER.resemblance(candidate)
    assert found is not None
    assert found.official.value == f"{name}.com"
    assert "homoglyph" in found.reasons


# --------------------------------------------------------------------------- budget


def test_it_checks_a_query_well_under_a_millisecond_against_hundreds_of_officials() -> None:
    names = [f"{a}{b}wallet" for a in "abcdefghij" for b in "klmnopqrst"]
    officials = [parse(f"{n}.com") for n in names] + [parse(f"telegram:{n}") for n in names]
    matcher = Matcher(officials)
    queries = [parse(q) for q in ["akwallet-support.com", "bitpie.com.evil.cn", "t.me/cmwallet_kefu", "google.com"]]
    timings = []
    for _ in range(50):
        for query in queries:
            start = time.perf_counter()
            matcher.resemblance(query)
            timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.001


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="abcl", max_size=12),
    st.text(alphabet="abcl", max_size=12),
    st.integers(0, 3),
)
def test_it_computes_the_bounded_distance_like_the_plain_one(a: str, b: str, limit: int) -> None:
    assert channels._distance(a, b, limit) == min(_osa(a, b), limit + 1)

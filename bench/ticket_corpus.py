"""Generated support requests for the tickets benchmark (random.Random, deterministic): ten
topics with the peer's weights (../shared/bench/peer-django-helpdesk/seed.py), 40 % Chinese,
35 % English and 25 % mixed text, each with the agent reply it would get. The wording is this
project's own. Pure Python: tickets_bench.py uses it without Django."""

from __future__ import annotations

import random
from typing import Any

SEED = 20261127

COINS = ["BTC", "ETH", "USDT", "USDC", "SOL", "TRX", "BNB", "TON", "XRP", "LTC"]
NETWORKS = ["TRC20", "ERC20", "BEP20", "Solana", "Bitcoin", "Arbitrum", "Polygon", "TON"]

# topic: (weight, category, English subjects, Chinese subjects, English sentences, Chinese
# sentences, agent reply en, agent reply zh). Placeholders come from _values().
TOPICS: dict[str, tuple[int, str, list[str], list[str], list[str], list[str], str, str]] = {
    "withdrawal": (
        16,
        "withdrawal",
        [
            "{coin} withdrawal on {net} never arrived",
            "Withdrawal of {amount} {coin} shows failed",
            "Withdrawal pending",
        ],
        ["{coin} 提币一直没有到账", "{net} 网络提币 {amount} {coin} 显示失败", "提现卡在审核中"],
        [
            "I sent {amount} {coin} over {net} and the status is still processing after {hours} hours.",
            "The balance was taken from my account but the receiving wallet shows nothing.",
            "Order number {order}, please check what happened.",
        ],
        [
            "我通过 {net} 提了 {amount} {coin}，{hours} 小时了还在处理中。",
            "余额已经扣了，但收款钱包没有收到。",
            "订单号 {order}，麻烦查一下。",
        ],
        "The network returned your withdrawal; the amount is back in your balance.",
        "这笔提币被网络退回，金额已退回您的余额。",
    ),
    "lockout": (
        14,
        "account",
        ["Account locked after {n} wrong passwords", "Cannot sign in, account locked", "Please unlock UID {uid}"],
        ["输错 {n} 次密码后账户被锁", "账户锁定无法登录", "请帮我解锁 UID {uid}"],
        [
            "After {n} attempts on my phone the app said my account is locked for a day.",
            "My UID is {uid} and I have open orders I need to manage.",
            "I changed my password yesterday and now I cannot get in.",
        ],
        [
            "手机上试了 {n} 次之后提示账户锁定一天。",
            "我的 UID 是 {uid}，还有挂单需要处理。",
            "昨天改了密码，今天就登不上了。",
        ],
        "We sent an unlock link to your email address.",
        "解锁链接已发送到您的邮箱。",
    ),
    "fees": (
        12,
        "fees",
        ["Why was the {coin} fee so high?", "Trading fee charged twice for {order}", "VIP discount missing"],
        ["{coin} 手续费为什么这么高", "订单 {order} 手续费扣了两次", "VIP 折扣没有生效"],
        [
            "The fee for {coin} on {net} was {fee} {coin}, more than the fee page says.",
            "Order {order} was charged twice.",
            "Can you refund the difference?",
        ],
        [
            "{net} 上提 {coin} 收了 {fee} {coin} 手续费，比费率页写的高。",
            "订单 {order} 被扣了两次费用。",
            "差额可以退吗？",
        ],
        "Network fees change with congestion; we refunded the duplicate charge.",
        "网络手续费随拥堵情况变化，重复扣除的部分已退还。",
    ),
    "twofa": (
        12,
        "security",
        ["Lost my phone, need a 2FA reset", "Authenticator codes rejected", "No SMS code received"],
        ["手机丢了需要重置两步验证", "验证器的验证码一直错误", "收不到短信验证码"],
        [
            "I lost the phone with my authenticator app; UID {uid}.",
            "Every six-digit code is refused although the phone clock is right.",
            "No SMS has arrived for {hours} hours.",
        ],
        ["装验证器的手机丢了，UID {uid}。", "六位验证码一直提示错误，手机时间是对的。", "{hours} 小时都没收到短信。"],
        "Please use the 2FA reset form; the review takes one to three days.",
        "请通过两步验证重置申请提交，审核需要一到三天。",
    ),
    "deposit": (
        12,
        "deposit",
        ["{coin} deposit not credited", "Deposit on the wrong network ({net})", "Forgot the memo on {coin}"],
        ["{coin} 充值没有到账", "充错了网络（{net}）", "充值 {coin} 忘了填备注"],
        [
            "I deposited {amount} {coin} on {net}; it has {n} confirmations but my balance is unchanged.",
            "I picked the wrong network by mistake.",
            "The memo field was empty when I sent it.",
        ],
        ["在 {net} 上充值了 {amount} {coin}，已有 {n} 个确认但余额没变。", "不小心选错了网络。", "转账时备注没有填。"],
        "After a manual check the deposit is now credited.",
        "人工核实后充值已入账。",
    ),
    "frozen": (
        10,
        "frozen_assets",
        ["My balance is frozen", "Funds frozen after a {net} deposit", "Frozen {coin} not released"],
        ["账户资产被冻结", "{net} 充值后资金被冻结", "冻结的 {coin} 一直没解冻"],
        [
            "{amount} {coin} is frozen and I can neither trade nor withdraw.",
            "The notice says a risk review is running.",
            "Which documents do you need from me?",
        ],
        ["{amount} {coin} 被冻结，不能交易也不能提币。", "通知说正在风控审核。", "需要我提供哪些材料？"],
        "Please send proof of the source of funds so the review can finish.",
        "请提供资金来源证明，以便完成审核。",
    ),
    "kyc": (
        8,
        "personal_info",
        ["Identity verification rejected", "Verification pending for {days} days"],
        ["实名认证被拒绝", "身份审核 {days} 天了还没结果"],
        ["The check was refused as unclear although the photo is sharp.", "It has been pending for {days} days."],
        ["审核说照片不清晰，但照片很清楚。", "已经等了 {days} 天。"],
        "Please upload the document again without glare.",
        "请重新上传没有反光的证件照片。",
    ),
    "p2p": (
        6,
        "trading",
        ["P2P seller did not release {coin}", "P2P order {order} cancelled after payment"],
        ["场外卖家不放币", "付款后场外订单 {order} 被取消"],
        ["I paid for order {order} but {amount} {coin} was not released.", "The merchant cancelled after I paid."],
        ["订单 {order} 已付款，但 {amount} {coin} 没有放行。", "我付款后商家取消了订单。"],
        "We opened a dispute and contacted the merchant.",
        "我们已受理申诉并联系了商家。",
    ),
    "security": (
        6,
        "scam_report",
        ["Sign-in from a device I do not know", "Fake support account asked for my code"],
        ["陌生设备登录了我的账户", "冒充客服的人向我要验证码"],
        ["An alert showed a sign-in that was not me.", "Someone claiming to be support asked for my 2FA code."],
        ["收到一条不是我本人的登录提醒。", "有人冒充客服向我索要验证码。"],
        "We paused withdrawals for 24 hours; please change your password.",
        "已为您暂停提币 24 小时，请尽快修改密码。",
    ),
    "api": (
        4,
        "technical",
        ["API calls return invalid signature", "API rate limit at {n} requests"],
        ["API 返回签名错误", "API 每秒 {n} 次就被限频"],
        ["Since {days} days every call fails with an invalid signature.", "The limit hits at {n} requests a second."],
        ["最近 {days} 天每次调用都提示签名错误。", "每秒 {n} 次请求就触发限频。"],
        "Check the timestamp and the order of the signed parameters.",
        "请检查时间戳和签名参数的顺序。",
    ),
}


def _values(rng: random.Random) -> dict[str, Any]:
    return {
        "coin": rng.choice(COINS),
        "net": rng.choice(NETWORKS),
        "amount": round(rng.uniform(0.01, 5000), 2),
        "hours": rng.randint(2, 72),
        "days": rng.randint(2, 14),
        "n": rng.randint(3, 12),
        "uid": rng.randint(10_000_000, 99_999_999),
        "fee": round(rng.uniform(0.5, 25), 2),
        "order": f"{rng.getrandbits(59):018d}",
    }


def ticket_text(rng: random.Random) -> tuple[str, str, str, str, str]:
    """(topic, language, subject, body, reply) of one generated ticket."""
    names = list(TOPICS)
    topic = rng.choices(names, weights=[TOPICS[n][0] for n in names])[0]
    _w, _cat, subj_en, subj_zh, body_en, body_zh, reply_en, reply_zh = TOPICS[topic]
    v = _values(rng)
    lang = rng.choices(["zh", "en", "mixed"], weights=[40, 35, 25])[0]
    if lang == "en":
        subject = rng.choice(subj_en)
        body = " ".join(rng.sample(body_en, min(len(body_en), rng.randint(2, 3))))
    elif lang == "zh":
        subject = rng.choice(subj_zh)
        body = "".join(rng.sample(body_zh, min(len(body_zh), rng.randint(2, 3))))
    else:
        subject = rng.choice(subj_zh) + " / " + rng.choice(subj_en)
        body = "".join(rng.sample(body_zh, 1)) + " " + " ".join(rng.sample(body_en, 1))
    reply = reply_zh if lang == "zh" else reply_en
    return topic, lang, subject.format(**v)[:200], body.format(**v), reply

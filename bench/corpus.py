"""Deterministic zh/en help-center articles for the search benchmark (random.Random(20261122)).

Each generated article is in Chinese only (40 %), English only (35 %) or both (25 %), the language
mix of the peer benchmark's data, with realistic support wording
about one of 20 topics, varied by coin, network, amount, app version and step order, so that
common words (fee, 账户, withdrawal, 提币) occur in thousands of documents, as they would in a
large real help center.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

SEED = 20261122
COINS = ["BTC", "ETH", "USDT", "USDC", "SOL", "TRX", "BNB", "XRP", "DOGE", "LTC", "TON", "ADA"]
NETWORKS = ["ERC20", "TRC20", "BEP20", "Solana", "Bitcoin", "Lightning", "Arbitrum", "Optimism", "Polygon", "TON"]
TOPICS_EN = [
    ("withdrawal", "Withdrawing {coin} on {net}", "withdrawal {coin} {net} address fee network confirm"),
    ("deposit", "{coin} deposit on {net} not credited", "deposit credited confirmations {coin} {net} txid memo"),
    ("fees", "Fees for {coin} on {net}", "fee fees withdrawal network maker taker tier volume"),
    ("security", "Protect your account: step {n}", "security password 2FA authenticator phishing device"),
    ("login", "Signing in on app version {ver}", "login sign in password verification code device"),
    ("kyc", "Identity verification level {n}", "identity verification document selfie review limit"),
    ("trading", "Placing {coin} limit orders", "order limit market trading pair {coin} fill cancel"),
    ("p2p", "P2P trade of {coin}: payment step {n}", "p2p merchant payment appeal release escrow {coin}"),
    ("api", "API keys with {n} permissions", "api key permission ip whitelist trading read"),
    ("earn", "Earn products for {coin}", "earn savings interest subscription redeem {coin}"),
    ("app", "App version {ver} release notes", "app update version release crash fix android ios"),
    ("futures", "{coin} futures margin mode {n}", "futures margin leverage liquidation position {coin}"),
    ("card", "Card payments for {coin}", "card payment purchase bank declined refund {coin}"),
    ("transfer", "Internal transfer of {coin}", "transfer internal account spot funding {coin}"),
    ("rewards", "Referral rewards round {n}", "referral reward commission invite friend voucher"),
    ("tax", "Exporting {coin} history for tax", "tax report history export statement csv {coin}"),
    ("network", "{net} network maintenance window {n}", "network maintenance upgrade suspended {net} delay"),
    ("subaccount", "Sub-account limits {n}", "sub-account limit transfer permission master"),
    ("nft", "NFT listings on {net}", "nft listing marketplace royalty {net} collection"),
    ("vip", "VIP program tier {n}", "vip tier volume benefits fee discount manager"),
]
TOPICS_ZH = [
    ("withdrawal", "{net} 网络提币 {coin} 说明", "提币 {coin} {net} 地址 网络 确认 到账"),
    ("deposit", "{coin} 充值未到账（{net}）", "充值 到账 确认数 {coin} {net} 交易哈希 备注"),
    ("fees", "{coin} 在 {net} 上的费用", "手续费 费用 提币 网络 挂单 吃单 等级 交易量"),
    ("security", "账户安全设置第 {n} 步", "安全 密码 双重验证 验证器 钓鱼 设备"),
    ("login", "{ver} 版本应用登录说明", "登录 密码 验证码 设备 账户"),
    ("kyc", "身份认证第 {n} 级", "身份 认证 证件 自拍 审核 限额"),
    ("trading", "{coin} 限价单下单指南", "订单 限价 市价 交易对 {coin} 成交 撤单"),
    ("p2p", "{coin} 场外交易付款第 {n} 步", "场外 商家 付款 申诉 放币 托管 {coin}"),
    ("api", "API 密钥的 {n} 种权限", "API 密钥 权限 白名单 交易 只读"),
    ("earn", "{coin} 理财产品", "理财 活期 利息 申购 赎回 {coin}"),
    ("app", "应用 {ver} 版本更新说明", "应用 更新 版本 发布 闪退 修复 安卓 苹果"),
    ("futures", "{coin} 合约保证金模式 {n}", "合约 保证金 杠杆 强平 仓位 {coin}"),
    ("card", "用银行卡购买 {coin}", "银行卡 支付 购买 银行 拒绝 退款 {coin}"),
    ("transfer", "{coin} 内部划转", "划转 内部 账户 现货 资金 {coin}"),
    ("rewards", "第 {n} 期邀请返佣", "邀请 奖励 返佣 好友 卡券"),
    ("tax", "导出 {coin} 历史记录用于报税", "报税 报表 历史 导出 对账单 {coin}"),
    ("network", "{net} 网络维护窗口 {n}", "网络 维护 升级 暂停 {net} 延迟"),
    ("subaccount", "子账户限额 {n}", "子账户 限额 划转 权限 主账户"),
    ("nft", "{net} 上的 NFT 挂单", "NFT 挂单 市场 版税 {net} 系列"),
    ("vip", "VIP 等级 {n} 权益", "VIP 等级 交易量 权益 手续费 折扣 客户经理"),
]
SENTENCES_EN = [
    "Open the app and go to {place}, then check the {thing} shown there.",
    "If the {thing} does not match, wait {mins} minutes and refresh the page.",
    "Our team reviews most requests within {hours} hours on business days.",
    "Make sure the {coin} address and the {net} network are the ones you expect before you confirm.",
    "Keep your {thing} private: support will never ask for your recovery phrase or private key.",
    "You can find the full history under Assets, then History, filtered by {coin}.",
    "Limits depend on your verification level and on the {net} network's current status.",
    "When the status stays pending for more than {hours} hours, contact us from the help center.",
]
SENTENCES_ZH = [
    "打开应用，进入{place}，查看页面上显示的{thing}。",
    "如果{thing}不一致，请等待 {mins} 分钟后刷新页面。",
    "工作日内，我们通常会在 {hours} 小时内处理完大部分申请。",
    "确认前请核对 {coin} 地址和 {net} 网络是否正确。",
    "请妥善保管{thing}：客服绝不会向您索要助记词或私钥。",
    "您可以在资产页面的历史记录中按 {coin} 筛选查看全部记录。",
    "限额取决于您的认证等级以及 {net} 网络的当前状态。",
    "如果状态超过 {hours} 小时仍显示处理中，请通过帮助中心联系我们。",
]
PLACES_EN = ["Assets", "Settings", "Security Center", "Orders", "Profile", "Wallet"]
PLACES_ZH = ["资产页面", "设置", "安全中心", "订单页面", "个人中心", "钱包"]
THINGS_EN = ["balance", "status", "reference number", "network fee", "limit", "device list"]
THINGS_ZH = ["余额", "状态", "参考编号", "网络费用", "限额", "设备列表"]


@dataclass(frozen=True)
class GeneratedArticle:
    key: str
    category: str
    langs: str  # "zh-hans", "en" or "both"
    title_en: str
    body_en: str
    title_zh: str
    body_zh: str

    def translations(self) -> list[tuple[str, str, str]]:
        out = []
        if self.langs in {"en", "both"}:
            out.append(("en", self.title_en, self.body_en))
        if self.langs in {"zh-hans", "both"}:
            out.append(("zh-hans", self.title_zh, self.body_zh))
        return out


def _fill(rng: random.Random, template: str, lang: str, coin: str, net: str) -> str:
    places, things = (PLACES_EN, THINGS_EN) if lang == "en" else (PLACES_ZH, THINGS_ZH)
    return template.format(
        coin=coin,
        net=net,
        place=rng.choice(places),
        thing=rng.choice(things),
        mins=rng.randint(5, 60),
        hours=rng.randint(1, 72),
        n=rng.randint(1, 9),
        ver=f"{rng.randint(3, 9)}.{rng.randint(0, 20)}",
    )


def generate(count: int, seed: int = SEED) -> Iterator[GeneratedArticle]:
    rng = random.Random(seed)
    for i in range(count):
        t = i % len(TOPICS_EN)
        coin, net = rng.choice(COINS), rng.choice(NETWORKS)
        en_topic, zh_topic = TOPICS_EN[t], TOPICS_ZH[t]
        title_en = _fill(rng, en_topic[1], "en", coin, net)
        title_zh = _fill(rng, zh_topic[1], "zh", coin, net)
        n_sent = rng.randint(4, 9)
        en = [_fill(rng, s, "en", coin, net) for s in rng.sample(SENTENCES_EN, k=min(n_sent, len(SENTENCES_EN)))]
        zh = [_fill(rng, s, "zh", coin, net) for s in rng.sample(SENTENCES_ZH, k=min(n_sent, len(SENTENCES_ZH)))]
        en.append("Keywords: " + _fill(rng, en_topic[2], "en", coin, net) + ".")
        zh.append("关键词：" + _fill(rng, zh_topic[2], "zh", coin, net) + "。")
        # The peer benchmark's language mix: 40 % Chinese only, 35 % English only, 25 % both.
        roll = rng.random()
        langs = "zh-hans" if roll < 0.40 else "en" if roll < 0.75 else "both"
        yield GeneratedArticle(
            key=f"bench-{i:05d}",
            category=en_topic[0],
            langs=langs,
            title_en=f"{title_en} (#{i})",
            body_en=" ".join(en),
            title_zh=f"{title_zh}（#{i}）",
            body_zh="".join(zh),
        )

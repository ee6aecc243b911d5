"""Realistic help-center articles for the search tests, and a generator of many more for
benchmarks. Fixture-free: `index_corpus()` and `index_synthetic(n)` work from any script."""

from __future__ import annotations

import random
from collections.abc import Iterator

from safedesk.search.services import DocumentInput, index_many

# (key, lang, title, body, tags)
ARTICLES: list[tuple[str, str, str, str, str]] = [
    (
        "account-lockout",
        "zh-hans",
        "账户被锁定怎么办",
        "如果连续多次输入错误的密码，为了保护您的资产，系统会自动锁定账户 30 分钟。锁定期间无法登录，也无法提币。"
        "请等待锁定时间结束后再尝试登录；如果忘记了密码，请使用“忘记密码”重置。如果您确认不是本人操作，"
        "请立即联系官方客服并修改邮箱密码。客服不会向您索要密码或验证码。",
        "锁定, 登录",
    ),
    (
        "account-lockout",
        "en",
        "Locked out of your account",
        "After several wrong password attempts we lock the account for 30 minutes to protect your funds. "
        "While the account is locked you cannot sign in or withdraw. Wait until the lock expires, then try again, "
        "or reset your password with Forgot password. If the failed attempts were not yours, change your email "
        "password and contact support. Support will never ask for your password or 2FA codes.",
        "lockout, login",
    ),
    (
        "withdrawal-fees",
        "zh-hans",
        "提币手续费说明",
        "每次提币都会收取一笔固定的手续费，用于支付区块链网络的矿工费用。手续费因币种和网络而异，"
        "例如 USDT 在 TRC20 网络上的手续费低于 ERC20 网络。提交提币申请时，页面会显示本次的手续费和实际到账数量。"
        "内部转账免手续费。最低提币数量请查看费率表。",
        "手续费, 费率",
    ),
    (
        "withdrawal-fees",
        "en",
        "Withdrawal fees explained",
        "Every withdrawal carries a fixed fee that pays the blockchain network. Fees differ by asset and network: "
        "for example, withdrawing USDT on TRC20 costs less than on ERC20. Before you confirm, the withdrawal form "
        "shows the fee and the amount that will arrive. Internal transfers between accounts are free. "
        "See the fee schedule for minimum withdrawal amounts.",
        "fees, withdraw",
    ),
    (
        "lost-2fa",
        "zh-hans",
        "谷歌验证器丢失或更换手机",
        "如果您的手机丢失、重置或更换，导致无法获取谷歌验证器的动态码，请使用开启双重验证时保存的备用密钥恢复。"
        "没有备用密钥时，请提交重置双重验证申请，我们会核实您的身份，审核通常需要 1 到 3 个工作日。"
        "审核期间为了安全，账户将暂停提币 24 小时。",
        "2FA, 验证器",
    ),
    (
        "lost-2fa",
        "en",
        "Lost your 2FA device or authenticator app",
        "If your phone was lost, reset or replaced and you can no longer get codes from Google Authenticator, "
        "restore it with the backup key you saved when you turned on two-factor authentication. Without the "
        "backup key, submit a 2FA reset request; we verify your identity, which usually takes 1–3 business days. "
        "For your safety, withdrawals are paused for 24 hours after a reset.",
        "2fa, authenticator",
    ),
]

DISTRACTORS: list[tuple[str, str, str, str, str]] = [
    (
        "deposit-not-arrived",
        "zh-hans",
        "充值未到账",
        "充值需要区块链网络确认，不同币种所需的确认数不同。如果超过一小时仍未到账，请检查充值地址和网络是否正确，"
        "并提供交易哈希。错误网络的充值可能需要人工找回。",
        "充值",
    ),
    (
        "deposit-not-arrived",
        "en",
        "Deposit has not arrived",
        "Deposits are credited after enough network confirmations. If your deposit has not arrived after an hour, "
        "check the address and network, and send us the transaction hash (TXID).",
        "deposit",
    ),
    (
        "frozen-assets",
        "zh-hans",
        "资产被冻结",
        "因风控或司法要求，部分资产可能被冻结。冻结期间无法交易或提现。解冻需要提交相关证明材料，审核结果会通过邮件通知。",
        "冻结",
    ),
    (
        "frozen-assets",
        "en",
        "Why are my assets frozen?",
        "Assets may be frozen for risk review or a legal request. Frozen funds cannot be traded. To unfreeze them, "
        "upload the documents we ask for; you will get the result by email.",
        "frozen",
    ),
    (
        "phishing",
        "zh-hans",
        "警惕钓鱼网站和假客服",
        "骗子会冒充官方客服，通过电话或社交软件要求您提供助记词、私钥或验证码。官方客服永远不会索要这些信息。"
        "请只通过官方网站和应用联系我们。",
        "钓鱼, 诈骗",
    ),
    (
        "phishing",
        "en",
        "Spotting phishing sites and fake support",
        "Scammers pretend to be official support and ask for your recovery phrase, private key or codes. "
        "Real support never asks for them. Only contact us through the official site and app.",
        "phishing, scam",
    ),
    (
        "app-update",
        "zh-hans",
        "如何更新应用",
        "请在应用商店更新到最新版本。旧版本可能无法登录或显示错误的余额。更新不会影响您的资产。",
        "更新",
    ),
    (
        "app-update",
        "en",
        "Updating the app",
        "Update to the latest version from your app store. Old versions may fail to sign in or show a wrong "
        "balance. Updating does not affect your funds.",
        "update",
    ),
    (
        "trading-fees",
        "en",
        "Trading fee tiers",
        "Maker and taker fees depend on your 30-day trading volume. Higher tiers pay lower trading fees.",
        "trading",
    ),
    (
        "trading-fees",
        "zh-hans",
        "交易费率等级",
        "挂单和吃单费率取决于您过去 30 天的交易量，交易量越高费率越低。",
        "交易",
    ),
    (
        "seed-phrase",
        "en",
        "Keep your recovery phrase safe",
        "Your seed phrase is the only way to restore a non-custodial wallet. Write it down offline; nobody, "
        "including us, can recover it for you.",
        "wallet",
    ),
    (
        "seed-phrase",
        "zh-hans",
        "妥善保管助记词",
        "助记词是恢复非托管钱包的唯一方式，请离线抄写保存，任何人（包括我们）都无法为您找回。",
        "钱包",
    ),
    (
        "kyc",
        "en",
        "Identity verification (KYC)",
        "Verify your identity to raise your daily withdrawal limit. Upload an ID document and a selfie.",
        "kyc",
    ),
    (
        "password-reset",
        "en",
        "Reset your password",
        "Use Forgot password on the sign-in page. We send a reset link to your email address.",
        "password",
    ),
]


def documents(rows: list[tuple[str, str, str, str, str]] | None = None) -> list[DocumentInput]:
    chosen = rows if rows is not None else ARTICLES + DISTRACTORS
    return [
        DocumentInput(kind="article", key=key, lang=lang, title=title, body=body, url=f"/help/{lang}/{key}/", tags=tags)
        for key, lang, title, body, tags in chosen
    ]


def index_corpus() -> int:
    return index_many(documents())


_EN_VOCABULARY = """
account password login deposit withdrawal fee network address wallet transfer balance order trade market
limit security email phone verification identity support ticket refund confirmation block chain token
asset price chart history report session device browser app update version notification risk review
document upload photo selfie country region bank card payment settlement margin futures spot staking
reward interest savings referral bonus campaign api key rate level tier volume maker taker hour day
"""
_ZH_VOCABULARY = """
账户 密码 登录 充值 提币 手续费 网络 地址 钱包 转账 余额 订单 交易 市场 限额 安全 邮箱 手机 验证 身份 客服 工单 退款
确认 区块 资产 价格 图表 记录 报告 设备 浏览器 应用 更新 版本 通知 风控 审核 文件 上传 照片 国家 地区 银行卡 支付
结算 保证金 合约 现货 质押 奖励 利息 理财 邀请 活动 接口 费率 等级 数量 小时 工作日 冻结 解冻 到账 验证器
"""
_EN_WORDS = _EN_VOCABULARY.split()
_ZH_WORDS = _ZH_VOCABULARY.split()


def synthetic_documents(count: int, *, seed: int = 2, kind: str = "article") -> Iterator[DocumentInput]:
    """`count` documents of 300–800 characters, half Chinese and half English, built from a
    support vocabulary so that common terms (fee, 账户) match thousands of them."""
    rng = random.Random(seed)
    for i in range(count):
        zh = i % 2 == 0
        words = _ZH_WORDS if zh else _EN_WORDS
        target = rng.randint(300, 800)
        title_words = rng.sample(words, 4)
        parts: list[str] = []
        length = 0
        while length < target:
            sentence_words = [rng.choice(words) for _ in range(rng.randint(6, 14))]
            sentence = ("".join(sentence_words) + "。") if zh else (" ".join(sentence_words).capitalize() + ". ")
            parts.append(sentence)
            length += len(sentence)
        body = "".join(parts)[:target]
        title = ("".join(title_words)) if zh else " ".join(title_words).capitalize()
        lang = "zh-hans" if zh else "en"
        yield DocumentInput(kind=kind, key=f"bench-{i}", lang=lang, title=title, body=body, url=f"/help/{lang}/b{i}/")


def index_synthetic(count: int, *, seed: int = 2) -> int:
    return index_many(synthetic_documents(count, seed=seed))

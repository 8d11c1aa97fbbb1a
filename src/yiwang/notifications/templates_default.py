"""Built-in message templates. An admin overrides any of them with a Template row (same code,
channel and language)."""

DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    # (code, channel): (subject, body)
    ("login_code", "sms"): ("", "【一网通办】您的登录验证码为 {{ code }}，{{ minutes }} 分钟内有效。请勿告诉他人。"),
    ("welcome", "site"): ("欢迎使用一网通办", "{{ name }}，您好！您的账号已开通，可在线办理政务服务事项。"),
    ("welcome", "sms"): ("", "【一网通办】{{ name }}，您好！您的账号已开通。"),
    ("welcome", "email"): ("欢迎使用一网通办", "{{ name }}，您好！\n\n您的账号已开通，可在线办理政务服务事项。"),
    ("case_update", "site"): ("办件 {{ number }}：{{ status }}", "您申请的“{{ title }}”（办件编号 {{ number }}）{{ text }}"),
    ("case_update", "sms"): ("", "【一网通办】您的办件 {{ number }}（{{ title }}）{{ text }}"),
    ("case_update", "email"): ("办件 {{ number }}：{{ status }}", "您申请的“{{ title }}”（办件编号 {{ number }}）{{ text }}"),
    ("sla_warning", "site"): ("办件临近或超过时限", "办件 {{ number }}（{{ title }}）时限灯为{{ light }}，期限 {{ due }}。"),
    ("generic", "site"): ("{{ subject }}", "{{ body }}"),
    ("generic", "sms"): ("", "【一网通办】{{ body }}"),
    ("generic", "email"): ("{{ subject }}", "{{ body }}"),
}

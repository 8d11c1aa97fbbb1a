"""Built-in message templates. An admin overrides any of them with a Template row (same code,
channel and language)."""

DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    # (code, channel): (subject, body)
    ("login_code", "sms"): ("", "【一网通办】您的登录验证码为 {{ code }}，{{ minutes }} 分钟内有效。请勿告诉他人。"),
    ("register_code", "sms"): ("", "【一网通办】您正在注册一网通办个人账号，验证码为 {{ code }}，{{ minutes }} 分钟内有效。请勿告诉他人。"),
    ("register_existing", "sms"): ("", "【一网通办】您填写的身份证号码已注册一网通办账号，请直接登录（可用短信验证码登录）。"
                                       "如手机号码已更换，请携带身份证到政务服务中心办理或拨打 12345。如非本人操作，请忽略本短信。"),
    ("register_attempt", "site"): ("有人尝试用您的身份证号码注册", "有人使用您的身份证号码提交了注册申请，账号未做任何更改。"
                                                     "如非本人操作，请留意账号安全，必要时拨打 12345。"),
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

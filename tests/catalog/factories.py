"""A complete, valid item payload to start tests from (each test changes what it is about)."""

from __future__ import annotations

import copy

FORM = {
    "type": "object",
    "properties": {
        "applicant_name": {"type": "string", "title": "申请人姓名", "maxLength": 30},
        "applicant_id": {"type": "string", "title": "身份证号码", "format": "resident_id"},
        "phone": {"type": "string", "title": "联系电话", "format": "phone"},
        "shop_name": {"type": "string", "title": "店铺名称", "maxLength": 60},
        "area": {"type": "number", "title": "经营面积（平方米）", "minimum": 1},
        "category": {"type": "string", "title": "经营类别", "enum": ["热食类", "冷食类", "糕点类"]},
    },
    "required": ["applicant_name", "applicant_id", "phone", "shop_name"],
}

BASE = {
    "code": "329002010001700001",
    "basic_code": "0100017000",
    "department": "YX-SCJG",
    "name": "食品经营许可",
    "aliases": "开饭店、小吃店许可、餐饮许可证",
    "summary": "在云溪区开饭店、小吃店、食堂或销售预包装食品，开业前要取得食品经营许可证。",
    "item_type": "01",
    "subject_nature": "1",
    "power_source": "1",
    "legal_basis": "《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》",
    "acceptance_conditions": "已取得营业执照等合法主体资格；具有与经营的食品品种、数量相适应的经营场所。",
    "service_objects": ["1", "2", "5"],
    "statutory_limit_days": 10,
    "promised_limit_days": 3,
    "case_type": "2",
    "visits": 0,
    "online_depth": 4,
    "fee_required": False,
    "fees": [],
    "fee_basis": "",
    "process": [{"step": "申请", "description": "网上提交申请"}, {"step": "审查"}, {"step": "决定"}],
    "handling_place": "云溪区政务服务中心一楼市场准入专区",
    "handling_hours": "工作日 9:00-12:00，13:30-17:00",
    "consultation": "0519-87601315",
    "complaint": "12345",
    "special_procedures": [{"name": "现场核查", "limit": "10 个工作日", "note": "不计入办理时限"}],
    "result_type": "1",
    "result_name": "食品经营许可证",
    "licence_type": "SPJYXKZ",
    "delivery": "电子证照、邮寄",
    "tiers": ["district"],
    "citywide": True,
    "life_events": ["startup", "operation"],
    "form_schema": FORM,
    "materials": [
        {"key": "resident_id_card", "name": "经营者身份证明", "requirement": "required", "form": "original",
         "copies": 1, "source": "licence", "source_ref": "JMSFZ", "source_name": "居民身份证",
         "acceptance_standard": "在有效期内"},
        {"key": "business_licence", "name": "营业执照", "requirement": "required", "form": "electronic",
         "copies": 1, "source": "shared_data", "source_ref": "SCZT-DJ", "source_name": "市场主体登记信息"},
        {"key": "food_safety_rules", "name": "食品安全管理制度", "requirement": "required", "form": "original",
         "copies": 1, "source": "applicant"},
        {"key": "agent_authorisation", "name": "授权委托书", "requirement": "conditional",
         "condition": "委托他人代办时提供", "form": "original", "copies": 1, "source": "applicant"},
    ],
}


def item(**changes) -> dict:
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data

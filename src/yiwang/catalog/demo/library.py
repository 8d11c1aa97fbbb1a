"""Shared building blocks of the demo catalog: materials, form fields and processes that many
items use, so the same material has the same key everywhere (bundles de-duplicate by it)."""

from __future__ import annotations

import copy

# key: (name, form, copies, source, source_ref, source_name, acceptance standard)
MATERIALS: dict[str, tuple] = {
    "resident_id_card": ("申请人居民身份证", "original", 1, "licence", "JMSFZ", "居民身份证",
                         "在有效期内，证件信息清晰；核验原件后退还"),
    "household_register": ("居民户口簿", "original", 1, "shared_data", "GA-HJXX", "人口户籍信息",
                            "户口簿首页及本人页，信息与身份证一致"),
    "photo": ("近期免冠彩色证件照片", "electronic", 1, "applicant", "", "",
              "白色背景，正面免冠，不着制式服装；也可在受理现场免费拍摄"),
    "agent_id": ("代办人居民身份证", "original", 1, "applicant", "", "", "委托他人代办时，代办人的有效身份证件"),
    "authorisation": ("授权委托书", "original", 1, "applicant", "", "", "委托人签字或盖章，写明委托事项和期限"),
    "business_licence": ("营业执照", "electronic", 1, "licence", "YYZZ", "营业执照",
                         "通过电子证照库自动调取，无需提交纸质件"),
    "legal_rep_id": ("法定代表人（负责人）身份证件", "original", 1, "licence", "JMSFZ", "居民身份证",
                     "在有效期内"),
    "premises_proof": ("经营场所使用证明", "copy", 1, "applicant", "", "",
                       "自有房产提供不动产权证书；租用的提供租赁合同和出租方产权证明"),
    "property_certificate": ("不动产权证书", "original", 1, "licence", "BDCQZS", "不动产权证书",
                             "通过电子证照库调取；尚未换发电子证照的提供原件"),
    "marriage_certificate": ("结婚证", "original", 1, "licence", "JHZ", "结婚证", "夫妻双方结婚证"),
    "birth_medical_certificate": ("出生医学证明", "original", 1, "licence", "CSYXZM", "出生医学证明",
                                  "由助产机构签发，通过电子证照库自动调取"),
    "social_security_record": ("社会保险参保缴费记录", "electronic", 1, "shared_data", "RS-CBJF",
                               "社会保险参保缴费信息", "由人社部门共享，无需本人提供"),
    "income_statement": ("家庭收入及财产情况申报表", "original", 1, "applicant", "", "",
                         "如实填写家庭成员收入和财产，全体成年家庭成员签字"),
    "family_economic_check": ("家庭经济状况核对报告", "electronic", 1, "shared_data", "MZ-JJHD",
                              "居民家庭经济状况核对信息", "由民政部门经济状况核对平台自动生成"),
    "bank_card": ("本人社会保障卡或银行账户信息", "copy", 1, "applicant", "", "",
                  "用于发放待遇，须为申请人本人账户"),
    "application_form": ("申请表", "original", 1, "applicant", "", "",
                         "网上申请时在线填写；现场申请时可当场填写，签名须为本人"),
    "disability_assessment": ("残疾评定表", "original", 1, "applicant", "", "",
                              "由区残联指定的医疗机构评定并签章"),
    "medical_record": ("病历及诊断证明", "copy", 1, "applicant", "", "", "二级以上医疗机构出具"),
    "labour_contract": ("劳动合同", "copy", 1, "applicant", "", "", "合同在有效期内"),
    "unemployment_proof": ("解除或终止劳动合同证明", "original", 1, "applicant", "", "",
                           "用人单位出具，写明解除或终止日期和原因"),
    "house_contract": ("房屋买卖合同", "original", 1, "applicant", "", "", "买卖双方签字（盖章），网签备案的可在线核验"),
    "tax_payment": ("完税或减免税凭证", "electronic", 1, "shared_data", "SW-WSZM", "税收完税信息",
                    "税务部门共享，无需另行提交"),
    "rental_contract": ("住房租赁合同", "copy", 1, "applicant", "", "", "已办理租赁登记备案的可免于提交"),
    "food_safety_rules": ("食品安全管理制度", "original", 1, "applicant", "", "",
                          "包括从业人员健康管理、进货查验记录、场所及设施清洗消毒等制度"),
    "layout_plan": ("经营场所平面布局图和设备布局图", "original", 1, "applicant", "", "",
                    "标明功能区划分、面积、设备位置和流程"),
    "health_certificates": ("从业人员健康证明", "copy", 1, "shared_data", "WJ-JKZM", "从业人员健康证明信息",
                            "由卫生健康部门共享，在有效期内"),
    "fire_commitment": ("消防安全承诺书", "original", 1, "applicant", "", "", "按规定格式填写并签字盖章"),
    "qualification_certificate": ("执业资格证书", "original", 1, "licence", "ZYZG", "执业资格证书",
                                  "通过电子证照库核验"),
    "physical_exam": ("体检表", "original", 1, "applicant", "", "", "指定医疗机构出具，6 个月内有效"),
    "vehicle_certificate": ("机动车登记证书", "original", 1, "applicant", "", "", ""),
    "compulsory_insurance": ("机动车交通事故责任强制保险凭证", "electronic", 1, "shared_data", "YB-JQX",
                             "交强险电子保单信息", "保险公司共享"),
    "engineering_drawings": ("建设工程设计方案及施工图", "original", 2, "applicant", "", "",
                             "设计单位签章，符合规划条件"),
    "land_certificate": ("土地使用权证明", "original", 1, "licence", "BDCQZS", "不动产权证书", ""),
    "contractor_contract": ("施工合同", "copy", 1, "shared_data", "ZJ-HTBA", "工程合同备案信息",
                            "由住建部门合同备案系统共享"),
    "env_report": ("排污许可证申请表及技术资料", "original", 1, "applicant", "", "",
                   "按《排污许可证申请与核发技术规范》填报"),
    "safety_rules": ("安全管理制度和岗位操作规程", "original", 1, "applicant", "", "", ""),
    "insurance_proof": ("参保缴费证明", "electronic", 1, "shared_data", "RS-CBJF", "社会保险参保缴费信息", ""),
    "death_certificate": ("死亡医学证明（推断）书", "original", 1, "shared_data", "WJ-SWZM",
                          "居民死亡医学证明信息", "由卫生健康部门共享；非正常死亡的由公安机关出具证明"),
    "school_assignment": ("学区房产或居住证明", "copy", 1, "shared_data", "ZRZY-BDC", "不动产登记信息",
                          "自有住房由不动产登记信息共享核验；租房的提供居住证"),
    "residence_permit": ("居住证", "original", 1, "licence", "JZZ", "居住证", "在有效期内"),
    "degree_certificate": ("学历证书", "copy", 1, "shared_data", "JY-XLXX", "学历学位信息",
                           "通过学信网共享核验"),
    "mandarin_certificate": ("普通话水平测试等级证书", "copy", 1, "shared_data", "JY-PTH",
                             "普通话水平测试信息", "达到规定等级"),
    "rules_of_association": ("章程草案", "original", 1, "applicant", "", "", "经会员大会或发起人通过"),
    "company_articles": ("公司章程", "original", 1, "applicant", "", "",
                         "全体股东签署；使用标准章程的在线生成"),
    "name_declaration": ("名称自主申报告知书", "electronic", 1, "shared_data", "SC-MCSB", "企业名称申报信息",
                         "网上自主申报后自动关联"),
}


def material(key: str, **overrides) -> dict:
    name, form, copies, source, ref, source_name, standard = MATERIALS[key]
    data = {"key": key, "name": name, "requirement": "required", "condition": "", "form": form, "copies": copies,
            "source": source, "source_ref": ref, "source_name": source_name, "acceptance_standard": standard,
            "note": "", "subject_field": ""}
    data.update(overrides)
    if data["requirement"] == "conditional" and not data["condition"]:
        raise ValueError(f"conditional material {key} needs a condition")
    return data


def own(name: str, *, form: str = "original", copies: int = 1, standard: str = "", key: str = "",
        condition: str = "") -> dict:
    """A material only this item asks for (the applicant brings it)."""
    return {"key": key, "name": name, "requirement": "conditional" if condition else "required",
            "condition": condition, "form": form, "copies": copies, "source": "applicant", "source_ref": "",
            "source_name": "", "acceptance_standard": standard, "note": "", "subject_field": ""}


def agent_materials() -> list[dict]:
    return [material("authorisation", requirement="conditional", condition="委托他人代办时提供"),
            material("agent_id", requirement="conditional", condition="委托他人代办时提供")]


# key: spec — the form fields items share (same key = asked once in a bundle)
FIELDS: dict[str, dict] = {
    "applicant_name": {"type": "string", "title": "申请人姓名", "maxLength": 30},
    "applicant_id": {"type": "string", "title": "申请人身份证号码", "format": "resident_id"},
    "phone": {"type": "string", "title": "联系电话", "format": "phone"},
    "address": {"type": "string", "title": "现居住地址", "maxLength": 120},
    "enterprise_name": {"type": "string", "title": "企业（字号）名称", "maxLength": 100},
    "uscc": {"type": "string", "title": "统一社会信用代码", "format": "uscc"},
    "legal_rep": {"type": "string", "title": "法定代表人（经营者）姓名", "maxLength": 30},
    "business_address": {"type": "string", "title": "经营场所地址", "maxLength": 120},
    "business_scope": {"type": "string", "title": "经营范围", "maxLength": 500},
    "registered_capital": {"type": "number", "title": "注册资本（万元）", "minimum": 0},
    "employees": {"type": "integer", "title": "从业人数", "minimum": 0, "maximum": 100000},
    "floor_area": {"type": "number", "title": "经营面积（平方米）", "minimum": 1},
    "food_category": {"type": "string", "title": "经营项目",
                      "enum": ["预包装食品销售", "散装食品销售", "热食类食品制售", "冷食类食品制售", "糕点类食品制售",
                               "自制饮品制售"]},
    "child_name": {"type": "string", "title": "新生儿姓名", "maxLength": 30},
    "child_gender": {"type": "string", "title": "新生儿性别", "enum": ["男", "女"]},
    "child_birth_date": {"type": "string", "title": "出生日期", "format": "date"},
    "birth_hospital": {"type": "string", "title": "出生医院", "maxLength": 60},
    "mother_name": {"type": "string", "title": "母亲姓名", "maxLength": 30},
    "mother_id": {"type": "string", "title": "母亲身份证号码", "format": "resident_id"},
    "father_name": {"type": "string", "title": "父亲姓名", "maxLength": 30},
    "father_id": {"type": "string", "title": "父亲身份证号码", "format": "resident_id"},
    "household_address": {"type": "string", "title": "申报户口地址", "maxLength": 120},
    "spouse_name": {"type": "string", "title": "对方姓名", "maxLength": 30},
    # the person who died: their death medical certificate is fetched by this number (subject_field)
    "deceased_name": {"type": "string", "title": "逝者姓名", "maxLength": 30},
    "deceased_id": {"type": "string", "title": "逝者身份证号码", "format": "resident_id",
                    "description": "平台按此号码调取逝者的死亡医学证明，无需上传"},
    "spouse_id": {"type": "string", "title": "对方身份证号码", "format": "resident_id"},
    "reason": {"type": "string", "title": "申请事由", "maxLength": 500},
    "family_size": {"type": "integer", "title": "共同生活家庭人口数", "minimum": 1, "maximum": 20},
    "monthly_income": {"type": "number", "title": "家庭月总收入（元）", "minimum": 0},
    "bank_account": {"type": "string", "title": "收款银行账号", "pattern": "^[0-9]{12,24}$"},
    "destination": {"type": "string", "title": "前往地", "maxLength": 60},
    "retire_date": {"type": "string", "title": "申请退休日期", "format": "date"},
    "employer": {"type": "string", "title": "工作单位", "maxLength": 100},
    "property_address": {"type": "string", "title": "房屋坐落", "maxLength": 120},
    "property_cert_no": {"type": "string", "title": "不动产权证书号", "maxLength": 60},
    "buyer_name": {"type": "string", "title": "买受人姓名", "maxLength": 30},
    "buyer_id": {"type": "string", "title": "买受人身份证号码", "format": "resident_id"},
    "deal_price": {"type": "number", "title": "成交价格（万元）", "minimum": 0},
    "project_name": {"type": "string", "title": "项目名称", "maxLength": 100},
    "project_address": {"type": "string", "title": "建设地点", "maxLength": 120},
    "building_area": {"type": "number", "title": "建筑面积（平方米）", "minimum": 0},
    "vehicle_plate": {"type": "string", "title": "号牌号码", "maxLength": 10},
    "licence_number": {"type": "string", "title": "证件编号", "maxLength": 40},
    "school_name": {"type": "string", "title": "报名学校", "maxLength": 60},
    "withdraw_amount": {"type": "number", "title": "提取金额（元）", "minimum": 0},
    "email": {"type": "string", "title": "电子邮箱", "format": "email"},
}


def form(*keys: str) -> dict:
    """A form schema from shared fields; a key starting with ``*`` is required."""
    props, required = {}, []
    for key in keys:
        name = key.lstrip("*")
        props[name] = copy.deepcopy(FIELDS[name])
        if key.startswith("*"):
            required.append(name)
    return {"type": "object", "properties": props, "required": required}


def process(depth: int, *, decision: str = "审查决定", result: str = "") -> list[dict]:
    if depth == 4:
        return [
            {"step": "网上申请", "description": "登录一网通办，在线填写申请表，证照和共享数据自动调取"},
            {"step": "受理", "description": "材料齐全、符合法定形式的当即受理；需补正的一次性告知"},
            {"step": decision, "description": "承办部门审查并作出决定"},
            {"step": "办结", "description": result or "结果通过电子证照、短信和个人中心推送，可选择免费邮寄"},
        ]
    if depth == 3:
        return [
            {"step": "网上申请或窗口申请", "description": "网上提交材料并预约，也可直接到综合窗口"},
            {"step": "预审与受理", "description": "网上预审通过后到窗口核验原件，材料齐全当场受理"},
            {"step": decision, "description": "承办部门审查，必要时现场核查"},
            {"step": "领取结果", "description": result or "窗口领取或免费邮寄"},
        ]
    return [
        {"step": "窗口申请", "description": "携带材料到办理地点综合窗口提交，可网上预约、下载表格"},
        {"step": "受理", "description": "材料齐全、符合法定形式的当场受理"},
        {"step": decision, "description": "承办部门审查"},
        {"step": "领取结果", "description": result or "窗口领取或免费邮寄"},
    ]

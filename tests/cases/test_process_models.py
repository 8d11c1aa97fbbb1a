"""Process models are data: a platform admin uploads BPMN 2.0; a model that cannot run is refused
with a reason; a new version applies to new cases while running cases finish on their own."""

from __future__ import annotations

import pytest

from yiwang.cases import services
from yiwang.cases.models import Case, ProcessModel
from yiwang.cases.process import ProcessModelInvalid, parse_model, template_xml
from yiwang.core.errors import PermissionDeniedError, ValidationFailed

pytestmark = pytest.mark.django_db

NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def model(body: str, lanes: str, pid="promised", extra_process="") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS} id="defs" targetNamespace="https://yiwang.invalid/bpmn/test">
  <bpmn:process id="{pid}" name="测试流程" isExecutable="true">
    <bpmn:laneSet id="lanes">{lanes}</bpmn:laneSet>
    {body}
  </bpmn:process>{extra_process}
</bpmn:definitions>"""


def lane(role, *refs):
    return f'<bpmn:lane id="{role}">' + "".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs) + "</bpmn:lane>"


def chain(*tasks):
    """start → tasks… → end as user tasks."""
    nodes = ['<bpmn:startEvent id="start"/>']
    ids = ["start", *tasks, "end"]
    nodes += [f'<bpmn:userTask id="{t}" name="{t}"/>' for t in tasks]
    nodes.append('<bpmn:endEvent id="end"/>')
    nodes += [f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
              for i, (a, b) in enumerate(zip(ids, ids[1:]))]
    return "\n".join(nodes)


# review → legal review → decision: a stricter promised process
STRICT = model(chain("review", "legal_review", "decide"),
               lane("reviewer", "review", "legal_review") + lane("dept_head", "decide"))


@pytest.mark.parametrize("key", ["immediate", "promised", "parallel"])
def test_the_shipped_templates_parse(key):
    parsed = parse_model(template_xml(key))
    assert parsed.process_id == key and parsed.lane_roles["decide"] in ("reviewer", "dept_head")


def test_a_good_model_reports_its_roles():
    parsed = parse_model(STRICT)
    assert parsed.lane_roles == {"review": "reviewer", "legal_review": "reviewer", "decide": "dept_head"}


@pytest.mark.parametrize(("xml", "says"), [
    pytest.param("<bpmn:definitions", "不是有效的 XML", id="malformed-xml"),
    pytest.param("not xml at all", "不是有效的 XML", id="not-xml"),
    pytest.param(model(chain("review", "decide"), lane("reviewer", "review")), "不在任何泳道", id="task-outside-lanes"),
    pytest.param(model(chain("review", "decide"), lane("reviewer", "review") + lane("boss", "decide")),
                 "不是平台的工作人员角色", id="lane-not-a-role"),
    pytest.param(model(chain("review", "decide"), lane("reviewer", "review") + lane("citizen", "decide")),
                 "不是平台的工作人员角色", id="lane-is-a-citizen"),
    pytest.param(model(chain("review", "decide"), lane("reviewer", "review", "decide"),
                       extra_process=f'<bpmn:process id="second" isExecutable="true">{chain("decide")}</bpmn:process>'),
                 "恰好包含一个可执行流程", id="two-executable-processes"),
    pytest.param(f'<bpmn:definitions {NS} id="d" targetNamespace="x"/>', "恰好包含一个可执行流程", id="no-process"),
    pytest.param(model('<bpmn:startEvent id="start"/><bpmn:endEvent id="end"/>'
                       '<bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end"/>', ""),
                 "没有任何人工任务", id="no-human-task"),
    pytest.param(model(chain("review", "approve_it"), lane("reviewer", "review") + lane("dept_head", "approve_it")),
                 "decide", id="no-decision-step"),
    pytest.param(model(chain("review", "decide").replace('targetRef="decide"', 'targetRef="nowhere"'),
                       lane("reviewer", "review") + lane("dept_head", "decide")),
                 "无法解析", id="dangling-flow"),
])
def test_bad_models_are_refused_with_a_reason(xml, says):
    with pytest.raises(ProcessModelInvalid) as exc:
        parse_model(xml)
    assert exc.value.status == 422 and exc.value.code == "process_model_invalid"
    assert says in str(exc.value.message)


SCRIPT = model(chain("review", "decide").replace('<bpmn:userTask id="review" name="review"/>',
                                                 '<bpmn:scriptTask id="review" name="自动审查"><bpmn:script>'
                                                 'open("/tmp/yiwang-pwned", "w").write("x")</bpmn:script></bpmn:scriptTask>'),
               lane("dept_head", "decide"))


def gateway_model(condition: str) -> str:
    body = """<bpmn:startEvent id="start"/>
    <bpmn:userTask id="review" name="审查"/>
    <bpmn:exclusiveGateway id="gw" default="to_decide"/>
    <bpmn:userTask id="legal_review" name="法制审核"/>
    <bpmn:userTask id="decide" name="决定"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="gw"/>
    <bpmn:sequenceFlow id="to_legal" sourceRef="gw" targetRef="legal_review">
      <bpmn:conditionExpression>%s</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_decide" sourceRef="gw" targetRef="decide"/>
    <bpmn:sequenceFlow id="f3" sourceRef="legal_review" targetRef="decide"/>
    <bpmn:sequenceFlow id="f4" sourceRef="decide" targetRef="end"/>""" % condition
    return model(body, lane("reviewer", "review", "legal_review") + lane("dept_head", "decide"))


def test_models_cannot_carry_code():
    """A model is data: a script task would run Python on the server when a case is accepted."""
    with pytest.raises(ProcessModelInvalid) as exc:
        parse_model(SCRIPT)
    assert "scriptTask" in str(exc.value.message)
    for evil in ('__import__("os").system("id")', "open('/etc/passwd').read() == ''", "department.__class__",
                 "[c for c in ()]", "lambda: 1"):
        with pytest.raises(ProcessModelInvalid) as exc:
            parse_model(gateway_model(evil.replace("<", "&lt;")))
        assert "表达式" in str(exc.value.message), evil


@pytest.mark.parametrize("condition", ["opinion == '需法制审核'", "department in ['YX-MZ', 'YX-SCJG'] and not approved",
                                       "amount &gt;= 10000"])
def test_plain_conditions_on_case_data_are_fine(condition):
    assert parse_model(gateway_model(condition)).lane_roles["legal_review"] == "reviewer"


def test_entities_are_not_expanded():
    evil = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + STRICT.split("?>", 1)[1].replace('name="测试流程"', 'name="&x;"'))
    try:
        parsed = parse_model(evil)
    except ProcessModelInvalid:
        return
    assert "root:" not in parsed.name


def test_only_a_platform_admin_uploads(flow):
    for who in ("head", "reviewer", "clerk", "citizen"):
        with pytest.raises(PermissionDeniedError):
            services.upload_process_model(flow.actor(who), "promised", STRICT)
    assert not ProcessModel.objects.filter(uploaded_by__isnull=False).exists()


def test_a_refused_upload_stores_nothing(flow):
    services.ensure_templates()
    before = list(ProcessModel.objects.values_list("key", "version", "is_active"))
    with pytest.raises(ProcessModelInvalid):
        services.upload_process_model(flow.actor("admin"), "promised", model(chain("decide"), ""))
    with pytest.raises(ValidationFailed) as exc:
        services.upload_process_model(flow.actor("admin"), "Promised Process!", STRICT)
    assert exc.value.code == "process_key_invalid"
    assert list(ProcessModel.objects.values_list("key", "version", "is_active")) == before


def test_a_new_version_applies_to_new_cases_and_running_ones_finish_on_theirs(flow):
    item = flow.item()
    running = flow.drive(flow.submit(item), "in_review")
    v1 = running.process_model
    assert (v1.key, v1.version) == ("promised", 1)

    v2 = services.upload_process_model(flow.actor("admin"), "promised", STRICT)
    assert (v2.version, v2.is_active, v2.uploaded_by) == (2, True, flow.user("admin"))
    assert not ProcessModel.objects.get(pk=v1.pk).is_active

    newer = flow.drive(flow.submit(item), "in_review")
    assert newer.process_model_id == v2.pk

    # the running case still needs one review, then the decision, on version 1
    assert flow.act("reviewer", running.number, "review").status_code == 200
    assert flow.act("head", running.number, "approve").json()["status"] == "approved"
    assert Case.objects.get(pk=running.pk).process_model_id == v1.pk

    # the new case goes through the extra legal review
    assert flow.act("reviewer", newer.number, "review").status_code == 200
    assert [t.step for t in flow.open_tasks(newer)] == ["legal_review"]
    r = flow.act("head", newer.number, "approve")
    assert r.status_code == 409 and r.json()["code"] == "no_such_task"
    assert flow.act("reviewer", newer.number, "review", opinion="合法性审查通过").status_code == 200
    assert flow.act("head", newer.number, "approve").json()["status"] == "approved"

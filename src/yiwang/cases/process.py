"""The process runtime: BPMN 2.0 models executed by SpiffWorkflow.

A model is data (an admin uploads a BPMN file; :class:`~yiwang.cases.models.ProcessModel`
keeps every version and a case pins the version it started with). Lanes map to roles: a lane's
``id`` is a staff role code (``reviewer``, ``dept_head``, ``clerk`` …) and every user task must sit
in such a lane, otherwise the model is refused. A multi-instance user task over ``departments``
gives one task per department (并联审批); the join waits for all of them.

The workflow state is serialised to JSON and stored on the case, so a case survives restarts and
moves on only through :mod:`yiwang.cases.services`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from yiwang.accounts.models import STAFF_ROLE_SCOPE
from yiwang.core.errors import ValidationFailed

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
TEMPLATES_DIR = Path(__file__).resolve().parent / "processes"
TEMPLATE_KEYS = ("immediate", "promised", "parallel")
MAX_MODEL_BYTES = 512 * 1024
DECISION_STEP = "decide"  # the user task whose completion is the decision (准予/不予许可)


class ProcessModelInvalid(ValidationFailed):
    code = "process_model_invalid"


@dataclass(frozen=True)
class ParsedModel:
    process_id: str
    name: str
    lane_roles: dict[str, str]  # user task bpmn id -> role
    task_names: dict[str, str]  # user task bpmn id -> name


def parse_model(xml: bytes | str) -> ParsedModel:
    """Check a BPMN document and return what the platform needs from it; refuse it with a precise
    message if it does not parse, has no executable process, or has a user task no role performs."""
    data = xml.encode() if isinstance(xml, str) else xml
    if len(data) > MAX_MODEL_BYTES:
        raise ProcessModelInvalid(_("流程模型文件过大（上限 512 KB）。"))
    try:
        parser_xml = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(data, parser_xml)
    except etree.XMLSyntaxError as exc:
        raise ProcessModelInvalid(_("流程模型不是有效的 XML：%(error)s") % {"error": exc}) from None
    processes = [p for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("isExecutable", "true") == "true"]
    if len(processes) != 1:
        raise ProcessModelInvalid(_("流程模型应恰好包含一个可执行流程（bpmn:process）。"))
    process = processes[0]
    process_id = process.get("id")
    lane_of: dict[str, str] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef"):
            lane_of[(ref.text or "").strip()] = lane.get("id", "")
    lane_roles: dict[str, str] = {}
    task_names: dict[str, str] = {}
    problems = _code_problems(process)
    for kind in ("userTask", "manualTask", "task"):
        for task in process.iter(f"{{{BPMN_NS}}}{kind}"):
            tid = task.get("id")
            role = lane_of.get(tid)
            if role is None:
                problems.append(_("任务“%(task)s”不在任何泳道中，没有角色能办理。") % {"task": task.get("name") or tid})
            elif role not in STAFF_ROLE_SCOPE:
                problems.append(
                    _("任务“%(task)s”所在泳道“%(lane)s”不是平台的工作人员角色。") % {"task": task.get("name") or tid, "lane": role}
                )
            else:
                lane_roles[tid] = role
                task_names[tid] = task.get("name") or tid
    if not lane_roles and not problems:
        problems.append(_("流程模型没有任何人工任务。"))
    elif not problems and DECISION_STEP not in lane_roles:
        # services conclude a case (准予/不予许可) by completing this step: without it every case
        # run on the model would stay open for ever
        problems.append(_("流程模型缺少标识（id）为“%(step)s”的决定环节。") % {"step": DECISION_STEP})
    if problems:
        raise ProcessModelInvalid("；".join(str(p) for p in problems))
    try:
        parser = BpmnParser()
        parser.add_bpmn_xml(root, filename=f"{process_id}.bpmn")
        spec = parser.get_spec(process_id)
        BpmnWorkflow(spec)  # instantiates: catches dangling flows
    except (ValidationException, Exception) as exc:  # noqa: BLE001 - any parse failure is a refusal
        raise ProcessModelInvalid(_("流程模型无法解析：%(error)s") % {"error": str(exc)[:300]}) from None
    return ParsedModel(process_id, process.get("name") or process_id, lane_roles, task_names)


# Elements whose content the engine runs as Python (scripts) or that call out of the platform: a
# model is data an administrator uploads, never code, so these are refused outright.
_CODE_ELEMENTS = ("scriptTask", "serviceTask", "businessRuleTask", "callActivity", "sendTask", "receiveTask")
# Elements whose text the engine evaluates as a Python expression: only plain comparisons of case
# data with constants are allowed (no calls, attributes, subscripts or private names).
_EXPRESSIONS = ("conditionExpression", "loopCardinality", "completionCondition", "loopCondition", "timeDate",
                "timeDuration", "timeCycle", "formalExpression")
_SAFE_NODES = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.Compare, ast.Eq,
               ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.Name, ast.Load,
               ast.Constant, ast.List, ast.Tuple)


def _safe_expression(text: str) -> bool:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return False
    return all(isinstance(node, _SAFE_NODES) and not (isinstance(node, ast.Name) and node.id.startswith("_"))
               for node in ast.walk(tree))


def _code_problems(process) -> list:
    problems = []
    for kind in _CODE_ELEMENTS:
        for el in process.iter(f"{{{BPMN_NS}}}{kind}"):
            problems.append(_("“%(name)s”是%(kind)s：流程模型只能包含人工任务、网关和事件，不能包含可执行代码或外部调用。")
                            % {"name": el.get("name") or el.get("id"), "kind": kind})
    for kind in _EXPRESSIONS:
        for el in process.iter(f"{{{BPMN_NS}}}{kind}"):
            text = "".join(el.itertext()).strip()
            if text and not _safe_expression(text):
                problems.append(_("表达式“%(expr)s”不允许：只能比较办件数据与常量（如 approved == True）。")
                                % {"expr": text[:80]})
    return problems


@lru_cache(maxsize=64)
def _spec(xml: str, process_id: str):
    parser = BpmnParser()
    parser.add_bpmn_str(xml.encode() if isinstance(xml, str) else xml, filename=f"{process_id}.bpmn")
    return parser.get_spec(process_id)


_serializer = BpmnWorkflowSerializer()


@dataclass
class ReadyTask:
    task_id: str
    bpmn_id: str
    name: str
    department_code: str | None  # set for the multi-instance (per-department) tasks


class Runtime:
    """One case's workflow: start, list ready tasks, complete a task, serialise."""

    def __init__(self, workflow: BpmnWorkflow):
        self.workflow = workflow

    @classmethod
    def start(cls, xml: str, process_id: str, data: dict) -> "Runtime":
        wf = BpmnWorkflow(_spec(xml, process_id))
        # The case data goes in before the engine runs: a multi-instance task right after the start
        # event (并联审查 over ``departments``) reads its input collection while the engine steps.
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(data)
        wf.do_engine_steps()
        for task in wf.get_tasks(state=TaskState.READY, manual=True):
            task.data.update(data)
        return cls(wf)

    @classmethod
    def load(cls, xml: str, process_id: str, state: str) -> "Runtime":
        _spec(xml, process_id)  # warm the cache; the serialised state carries its own spec
        return cls(_serializer.deserialize_json(state))

    def dump(self) -> str:
        return _serializer.serialize_json(self.workflow)

    def ready(self) -> list[ReadyTask]:
        out = []
        for task in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            spec = task.task_spec
            bpmn_id = getattr(spec, "bpmn_id", None) or spec.name
            dept = task.data.get("department") if self._is_multi_child(task) else None
            out.append(ReadyTask(str(task.id), bpmn_id, getattr(spec, "bpmn_name", None) or bpmn_id, dept))
        return out

    @staticmethod
    def _is_multi_child(task) -> bool:
        return task.task_spec.name.endswith("[child]")

    def complete(self, task_id: str, data: dict | None = None) -> None:
        for task in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            if str(task.id) == task_id:
                if data:
                    task.data.update(data)
                task.run()
                self.workflow.do_engine_steps()
                return
        raise KeyError(task_id)

    @property
    def completed(self) -> bool:
        return self.workflow.is_completed()


def template_xml(key: str) -> str:
    return (TEMPLATES_DIR / f"{key}.bpmn").read_text(encoding="utf-8")

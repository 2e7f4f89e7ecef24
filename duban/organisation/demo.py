"""The demo university: units, people and a dated story of items.

`load()` loads the organisation as a university's own is loaded: its directory
(demo_org/单位.csv and 人员.csv) goes through `sync_org`'s reader and sync, the one
`sync_org` audit event; the little a directory does not hold (the administrators, the
leaders' portfolios, the password) is set next to it. It then tells each item's story
through the real actions of `duban.items.actions`, each
step run inside `clock.frozen_at(moment)`. The moments are counted in working days
before today, so the story always ends yesterday: an item established 41 working
days ago from minutes issued 42 working days ago gets its real R-D2 deadline 32
working days ago, and is overdue today. Nothing in an item is ever saved by hand.

The data here is demo content, not interface text, so it is not wrapped in gettext;
the messages of the commands that use it are.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from duban import clock
from duban.items import actions
from duban.items.lights import overdue_filter
from duban.items.models import SOURCE_BODIES, Confidentiality, Item, Notice, SourceBody, SourceKind
from duban.items.states import Status
from duban.items.sweep import run_sweep
from duban.organisation.directory import Source, read_source
from duban.organisation.models import Role, Unit, User
from duban.organisation.sync import sync_directory
from duban.workcalendar.calendar import WorkCalendar

DEMO_PASSWORD = "Duban@2026"  # noqa: S105 - the published password of the demo accounts
GENERAL_OFFICE_CODE = "0101"  # its presence marks a database that holds the demo
SWEEP_TIME = dt.time(8, 0)  # the morning sweep, before the day's first step (08:30)
DIRECTORY_TIME = dt.time(7, 0)  # the directory's sync, before the first sweep

# ----------------------------------------------------------------------------- people

# The demo university's units and people: a directory like a university's own (单位.csv
# and 人员.csv, README.md there), loaded by `sync_org`'s reader and sync.
DIRECTORY = Path(__file__).resolve().parent / "demo_org"

# What a directory does not hold, kept here: the three administrators (三员, whom the
# sync never touches), the school leaders' portfolios (kept by the system administrator),
# the published password, and the story's short names for the units.


@dataclass(frozen=True)
class Administrator:
    username: str
    full_name: str
    title: str
    role: str
    phone: str


ADMINISTRATORS: tuple[Administrator, ...] = (
    Administrator("sysadmin", "彭志远", "系统管理员", Role.SYSTEM_ADMIN, "13900000872"),
    Administrator("secadmin", "鲁静", "安全保密管理员", Role.SECURITY_ADMIN, "13900000836"),
    Administrator("auditadmin", "马文", "安全审计员", Role.AUDIT_ADMIN, "13900001056"),
)

PORTFOLIOS: dict[str, str] = {
    "leader_wang": "主持学校党委全面工作；分管党政办公室、保密办公室",
    "leader_li": "主持学校行政全面工作；分管人事处、财务处",
    "leader_zhao": "分管学生工作、思想政治教育；联系马克思主义学院、经济学院、外国语学院",
    "leader_chen": "主持纪委全面工作；分管纪委办公室/监察处",
    "leader_zhang": "分管本科教学、研究生教育、信息化建设；联系计算机与人工智能学院",
    "leader_liu": (
        "分管科研、实验室、后勤、资产；联系材料科学与工程学院、土木工程与建筑学院、机械工程学院"
    ),
}

# The story's name for each unit (its people's usernames begin with it) and its 单位代码.
UNIT_KEYS: dict[str, str] = {
    "dzb": GENERAL_OFFICE_CODE,
    "jwb": "0102",
    "bmb": "0103",
    "jwc": "0201",
    "rsc": "0202",
    "cwc": "0203",
    "kjy": "0204",
    "yjsy": "0205",
    "xgb": "0206",
    "hqc": "0207",
    "zcc": "0208",
    "sysc": "0209",
    "wlzx": "0210",
    "jsj": "0301",
    "cl": "0302",
    "jj": "0303",
    "wgy": "0304",
    "tm": "0305",
    "mks": "0306",
    "jx": "0307",
}


def read_directory() -> Source:
    """The demo's directory, read as `sync_org duban/organisation/demo_org` reads it."""
    return read_source(str(DIRECTORY))


def demo_unit_codes() -> list[str]:
    return [unit.code for unit in read_directory().directory.units]


@dataclass(frozen=True)
class Login:
    """One demo account as the logins table shows it."""

    username: str
    role: str  # the role's Chinese label
    full_name: str
    title: str
    unit: str  # the unit's name, or "" for people outside the units


def demo_logins() -> list[Login]:
    """Every demo account, in the order the tables list them: the supervising offices'
    supervisors, the school leaders, each unit's people, the administrators."""
    directory = read_directory().directory
    unit_names = {unit.code: unit.name for unit in directory.units}
    supervisors: list[Login] = []
    leaders: list[Login] = []
    members: list[Login] = []
    for person in directory.people:
        login = Login(
            person.username or person.staff_number,
            str(Role(person.role).label),
            person.full_name,
            person.title,
            unit_names.get(person.unit, ""),
        )
        if person.role == Role.OFFICE_SUPERVISOR:
            supervisors.append(login)
        elif person.role == Role.SCHOOL_LEADER:
            leaders.append(login)
        else:
            members.append(login)
    admins = [
        Login(admin.username, str(Role(admin.role).label), admin.full_name, admin.title, "")
        for admin in ADMINISTRATORS
    ]
    return [*supervisors, *leaders, *members, *admins]


def logins_markdown() -> str:
    """The demo logins as a Markdown section (docs/demo-logins.md)."""
    lines = [
        f"所有演示账号的密码均为 `{DEMO_PASSWORD}`。",
        "",
        "建议从这几个账号开始体验：`office1`（党政办公室督办员：立项、交办、审核）、"
        "`jwc_liaison`（教务处联络员：签收、填报计划和进展、起草办结报告）、"
        "`jwc_head`（教务处第一责任人：确认办结报告）、`leader_zhang`（分管副校长）、"
        "`sysadmin`（系统管理员，可进入 `/admin/`）、`secadmin`（安全管理员：账号解锁、"
        "重置身份验证器）、`auditadmin`（审计管理员：查询和导出审计日志）。",
        "",
        "督办员和三位管理员首次登录时须绑定身份验证器（手机上的 TOTP 应用，扫描页面上的"
        "二维码），此后每次登录在密码之后输入其6位动态验证码。没有手机时，可另开终端运行 "
        "`DEBUG=1 .venv/bin/python manage.py otp_secret office1` 打印该账号当前的验证码"
        "（仅限 DEBUG 模式，供演示）。",
        "",
        "| 用户名 | 角色 | 姓名 | 职务 | 单位 |",
        "|---|---|---|---|---|",
    ]
    for login in demo_logins():
        lines.append(
            f"| `{login.username}` | {login.role} | {login.full_name} | {login.title} "
            f"| {login.unit or '—'} |"
        )
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- the story


@dataclass(frozen=True)
class Step:
    """One action in an item's story, `ago` working days before today (at least 1)."""

    ago: int
    verb: str
    text: str = ""
    unit: str = ""  # contribute: the cooperating unit; reassign: the new lead unit
    cooperating: tuple[str, ...] | None = None  # reassign
    milestones: tuple[tuple[str, float], ...] = ()  # plan: title, share of the time left
    title: str | None = None  # change
    content: str | None = None  # change
    deadline_ago: int | None = None  # change: working days before today (negative: ahead)
    authorised_by: str = ""  # change: a school leader's username
    by_head: bool = False  # sign/feedback by the head instead of the liaison
    extend_by_days: int = 0  # extend: calendar days past the current deadline
    approve: bool = True  # decide_extension


def assign(ago: int) -> Step:
    return Step(ago, "assign")


def sign(ago: int, *, by_head: bool = False) -> Step:
    return Step(ago, "sign", by_head=by_head)


def unit_returns(ago: int, reason: str) -> Step:
    return Step(ago, "return", reason)


def reassign(ago: int, note: str, *, lead: str = "", cooperating: tuple[str, ...] = ()) -> Step:
    return Step(ago, "reassign", note, unit=lead, cooperating=cooperating)


def change(
    ago: int,
    reason: str,
    *,
    title: str | None = None,
    content: str | None = None,
    deadline_ago: int | None = None,
    authorised_by: str = "",
) -> Step:
    return Step(
        ago,
        "change",
        reason,
        title=title,
        content=content,
        deadline_ago=deadline_ago,
        authorised_by=authorised_by,
    )


def divide(ago: int, unit: str, task: str, *, due_ago: int) -> Step:
    """分办 (R-A4): the lead unit gives `unit` a part, due `due_ago` working days ago."""
    return Step(ago, "divide", task, unit=unit, deadline_ago=due_ago)


def sign_part(ago: int, unit: str) -> Step:
    return Step(ago, "sign_part", unit=unit)


def report_part(ago: int, unit: str, text: str) -> Step:
    return Step(ago, "report_part", text, unit=unit)


def plan(ago: int, goals: str, *milestones: tuple[str, float]) -> Step:
    return Step(ago, "plan", goals, milestones=milestones)


def feedback(ago: int, text: str, *, by_head: bool = False) -> Step:
    return Step(ago, "feedback", text, by_head=by_head)


def contribute(ago: int, unit: str, text: str) -> Step:
    return Step(ago, "contribute", text, unit=unit)


def draft(ago: int, text: str) -> Step:
    return Step(ago, "draft", text)


def decline(ago: int, reason: str) -> Step:
    return Step(ago, "decline", reason)


def confirm(ago: int) -> Step:
    return Step(ago, "confirm")


def accept(ago: int, comment: str = "") -> Step:
    return Step(ago, "accept", comment)


def send_back(ago: int, reason: str) -> Step:
    return Step(ago, "send_back", reason)


def extend(ago: int, reason: str, days: int) -> Step:
    """The lead unit asks for `days` calendar days more (R-E1–E3)."""
    return Step(ago, "extend", reason, extend_by_days=days)


def decide_extension(ago: int, comment: str, *, approve: bool = True) -> Step:
    return Step(ago, "decide_extension", comment, approve=approve)


@dataclass(frozen=True)
class Meeting:
    body: str
    issued_ago: int  # working days before today the minutes were issued


MEETINGS: dict[str, Meeting] = {
    "m1": Meeting(SourceBody.PRESIDENT_MEETING, 42),
    "m2": Meeting(SourceBody.STANDING_COMMITTEE, 36),
    "m3": Meeting(SourceBody.PRESIDENT_MEETING, 27),
    "m4": Meeting(SourceBody.SECRETARY_MEETING, 22),
    "m5": Meeting(SourceBody.STANDING_COMMITTEE, 15),
    "m6": Meeting(SourceBody.PRESIDENT_MEETING, 9),
    "m7": Meeting(SourceBody.SECRETARY_MEETING, 8),
    "m8": Meeting(SourceBody.PRESIDENT_MEETING, 4),
    "m9": Meeting(SourceBody.STANDING_COMMITTEE, 2),
}


@dataclass(frozen=True)
class ItemSpec:
    """An item and its story. Deadlines are in working days after establishment.

    `basis` of annual and other items may use {year}, {end_year} (of a three-year
    plan), {decided} (the leader's decision day, e.g. 11月3日) and {leader} (the
    deciding leader's name);
    a meeting item's basis names its minutes.
    """

    title: str
    content: str
    lead: str
    established: int
    by: str = "office1"
    meeting: str = ""
    body: str = ""
    basis: str = ""
    leader: str = ""
    deadline_in: int | None = None  # R-D1 minutes deadline, or R-D5 instruction deadline
    office_deadline_in: int | None = None  # R-D3
    office_reason: str = ""
    cooperating: tuple[str, ...] = ()
    confidentiality: str = Confidentiality.ORDINARY
    urgent: bool = False
    steps: tuple[Step, ...] = field(default_factory=tuple)


ANNUAL_BASIS = "《学校{year}年党政工作要点》（校党发〔{year}〕1号）"

ITEMS: tuple[ItemSpec, ...] = (
    # --- 校长办公会, minutes issued 42 working days ago -------------------------
    ItemSpec(
        "本科教育教学审核评估专家反馈问题整改",
        "对照审核评估专家组反馈的12个方面问题，逐项制定整改措施，建立整改台账，"
        "明确责任单位和完成时限，形成整改报告报学校审定。",
        "jwc",
        41,
        meeting="m1",
        cooperating=("rsc", "zcc", "jsj"),
        steps=(
            assign(41),
            sign(40),
            divide(40, "rsc", "师资队伍结构问题整改：测算生师比，提出师资补充方案", due_ago=35),
            divide(40, "zcc", "教学实验用房不足问题整改：拟定用房调配方案", due_ago=36),
            divide(40, "jsj", "本院课程目标达成度评价问题整改并报送佐证材料", due_ago=35),
            sign_part(39, "rsc"),
            sign_part(39, "zcc"),
            sign_part(38, "jsj"),
            plan(
                38,
                "完成问题清单梳理、整改措施制定和整改报告起草，确保整改事项全部销号。",
                ("梳理反馈问题清单并分解到责任单位", 0.3),
                ("各责任单位完成整改并提交佐证材料", 0.7),
                ("形成整改报告提交校长办公会审议", 1.0),
            ),
            report_part(36, "rsc", "师资队伍结构相关问题整改方案已完成，生师比测算表已报教务处。"),
            feedback(
                31,
                "问题清单已分解至14个责任单位，其中7项已完成整改，5项正在推进，2项需跨部门协调。",
            ),
            report_part(28, "zcc", "教学实验用房调配方案已拟定，待后勤保障处确认施工时间。"),
            report_part(27, "jsj", "本院涉及的课程目标达成度评价问题已完成整改，佐证材料已报送。"),
            change(
                25,
                "根据评估专家组补充反馈意见，将课程思政建设纳入整改范围",
                content="对照审核评估专家组反馈的12个方面问题及补充反馈的课程思政建设问题，"
                "逐项制定整改措施，建立整改台账，明确责任单位和完成时限，形成整改报告报学校审定。",
            ),
            draft(
                12,
                "12个方面问题中已完成整改10个，其余2个已制定阶段性措施；"
                "课程思政建设已纳入整改台账。整改报告已起草完毕。",
            ),
            decline(11, "整改台账中部分数据与评估系统填报数据不一致，请核对后重新起草。"),
            feedback(
                6,
                "已完成台账数据核对，正在修改整改报告；教学实验用房调整预计两周内完成。",
            ),
        ),
    ),
    ItemSpec(
        "全校实验室安全专项检查与隐患整改",
        "对全校各类实验室开展拉网式安全检查，重点排查危险化学品、特种设备、气瓶和用电"
        "安全隐患，建立隐患清单并限期整改到位。",
        "sysc",
        41,
        by="office2",
        meeting="m1",
        cooperating=("cl", "jx", "hqc"),
        urgent=True,
        steps=(
            assign(41),
            sign(41),
            feedback(
                40,
                "已成立专项检查工作组并制定检查方案，今日起分5个小组进驻各学院开展检查。",
            ),
            plan(
                39,
                "全面排查实验室安全隐患，做到隐患清单、整改措施、责任人、完成时限四落实。",
                ("完成全部实验室现场检查", 0.3),
                ("完成一般隐患整改", 0.7),
                ("完成重大隐患整改并复查", 1.0),
            ),
            contribute(36, "cl", "本院自查实验室46间，发现隐患9处，已整改7处，2处气瓶柜需更换。"),
            contribute(35, "jx", "本院自查实验室31间，发现隐患4处，已全部整改。"),
            contribute(34, "hqc", "已完成实验楼配电线路检测，更换老化线路3处。"),
            feedback(
                30,
                "共检查实验室213间，发现隐患37处，已整改29处；剩余8处涉及设备更换，"
                "采购程序正在进行。",
            ),
            feedback(
                14,
                "剩余8处隐患中已完成5处整改，3台通风橱因供货延迟尚未更换，已采取临时管控措施。",
            ),
        ),
    ),
    ItemSpec(
        "校园网核心设备升级与IPv6规模部署",
        "完成校园网核心交换机升级和出口链路扩容，实现主要业务系统IPv6访问，"
        "改造期间保障教学科研网络不中断。",
        "wlzx",
        41,
        meeting="m1",
        cooperating=("zcc",),
        steps=(
            assign(41),
            sign(40),
            plan(
                39,
                "完成核心设备升级和IPv6部署，改造期间网络不中断。",
                ("完成核心设备到货验收", 0.4),
                ("分区割接并完成IPv6配置", 0.8),
                ("主要业务系统IPv6访问测试", 1.0),
            ),
            contribute(37, "zcc", "设备采购合同已签订，到货验收已完成。"),
            feedback(36, "核心交换机已完成安装调试，利用夜间分三批完成割接。"),
            draft(
                34,
                "核心设备升级和出口扩容已完成，32个主要业务系统已支持IPv6访问，"
                "改造期间未发生网络中断。",
            ),
            confirm(34),
            accept(33, "改造内容完整，佐证材料齐全，同意办结。"),
        ),
    ),
    ItemSpec(
        "本年度预算执行进度分析及下年度预算编制准备",
        "分析各单位预算执行进度，对执行率低于序时进度的单位逐一约谈，提出下年度预算"
        "编制的原则和口径。",
        "cwc",
        41,
        by="office3",
        meeting="m1",
        steps=(
            assign(41),
            sign(40),
            feedback(37, "已完成各单位预算执行进度统计，执行率低于序时进度的单位共9个。"),
            draft(31, "已约谈9个单位并督促加快执行；下年度预算编制原则和口径已报校长办公会。"),
            confirm(31),
            accept(30, "同意办结。请财务处每月通报预算执行进度。"),
        ),
    ),
    # --- 党委常委会, minutes issued 36 working days ago -------------------------
    ItemSpec(
        "高层次人才引进“启航计划”实施细则制定",
        "制定高层次人才引进“启航计划”实施细则，明确引进层次、支持经费、考核办法和"
        "服务保障措施，提交党委常委会审议。",
        "rsc",
        35,
        meeting="m2",
        cooperating=("kjy", "cwc"),
        steps=(
            assign(35),
            sign(34),
            plan(
                33,
                "形成实施细则并提交党委常委会审议。",
                ("完成兄弟高校调研", 0.3),
                ("形成实施细则征求意见稿", 0.7),
                ("提交党委常委会审议", 1.0),
            ),
            contribute(31, "kjy", "科研启动经费配套标准建议已报人事处。"),
            change(
                30,
                "实施细则须先提交教代会执委会征求意见，经党委常委会同意调整办结时限",
                deadline_ago=3,
                authorised_by="leader_li",
            ),
            contribute(24, "cwc", "人才引进经费预算测算已完成，纳入下年度预算。"),
            feedback(20, "实施细则初稿已形成，已在教代会执委会征求意见，共收到意见21条。"),
            draft(5, "实施细则已根据意见修改完善，拟提交党委常委会审议。"),
            decline(4, "引进人数统计口径与财务处测算口径不一致，请核对后再报。"),
            feedback(2, "已与财务处核对统计口径，正在修改实施细则，本周内重新报送。"),
        ),
    ),
    ItemSpec(
        "落实校党委巡察反馈意见整改",
        "针对校党委第三巡察组反馈的经济学院在基层党建、科研经费管理和研究生培养方面的"
        "问题，制定整改方案，逐项整改并报送整改情况报告。",
        "jj",
        35,
        by="office2",
        meeting="m2",
        cooperating=("cwc",),
        steps=(
            assign(35),
            sign(34),
            plan(
                33,
                "巡察反馈的15个问题全部整改到位，建立长效机制。",
                ("制定整改方案和问题清单", 0.2),
                ("完成问题整改", 0.8),
                ("报送整改情况报告", 1.0),
            ),
            contribute(22, "cwc", "已协助学院完成科研经费报销问题的核查，涉及的12笔经费已规范。"),
            feedback(20, "15个问题中已整改完成12个，其余3个正在推进。"),
            draft(5, "巡察反馈的15个问题已全部整改完成，修订制度4项，整改情况报告已形成。"),
            confirm(4),
        ),
    ),
    ItemSpec(
        "研究生导师立德树人职责考核办法修订",
        "修订研究生导师立德树人职责考核办法，将师德师风、培养质量纳入导师招生资格审核。",
        "yjsy",
        35,
        by="office3",
        meeting="m2",
        cooperating=("rsc",),
        steps=(
            assign(35),
            sign(33),
            feedback(30, "考核办法修订稿已形成，正在征求各学院意见。"),
            contribute(29, "rsc", "师德考核相关条款已与教师考核办法衔接。"),
            draft(28, "考核办法已修订完成并经校长办公会审议通过，已印发执行。"),
            confirm(28),
            accept(27, "同意办结。"),
        ),
    ),
    # --- 校长办公会, minutes issued 27 working days ago -------------------------
    ItemSpec(
        "第二食堂改造提升工程",
        "对第二食堂进行整体改造，更新排烟和消防系统，增设特色窗口和智慧结算系统，"
        "改造期间做好师生就餐分流保障。",
        "hqc",
        26,
        meeting="m3",
        cooperating=("zcc", "cwc"),
        office_deadline_in=45,
        office_reason="改造涉及公开招标和施工，10个工作日不足以办结，根据工程实际确定时限。",
        steps=(
            assign(26),
            sign(25),
            plan(
                24,
                "按期完成改造并恢复营业，改造期间师生就餐不受影响。",
                ("完成设计方案和预算评审", 0.2),
                ("完成施工招标", 0.45),
                ("完成主体施工", 0.85),
                ("竣工验收并恢复营业", 1.0),
            ),
            contribute(20, "cwc", "改造预算已评审，资金已落实。"),
            contribute(18, "zcc", "施工招标已完成，中标单位已确定。"),
            feedback(
                15, "设计方案和预算评审已完成，施工单位已进场，师生就餐已分流至第一、第三食堂。"
            ),
            feedback(5, "主体施工完成约60%，排烟系统已安装完毕。"),
        ),
    ),
    ItemSpec(
        "博士学位授权点申报材料准备",
        "组织材料科学与工程、计算机科学与技术两个一级学科做好博士学位授权点申报工作，"
        "完成申报书撰写、专家论证和材料报送。",
        "yjsy",
        26,
        by="office2",
        meeting="m3",
        cooperating=("cl", "jsj"),
        deadline_in=30,
        steps=(
            assign(26),
            sign(26),
            plan(
                25,
                "高质量完成两个学科的申报材料并按时报送。",
                ("完成申报书初稿", 0.4),
                ("组织校外专家论证", 0.7),
                ("按要求报送申报材料", 1.0),
            ),
            contribute(17, "cl", "材料科学与工程学科申报书初稿已完成，代表性成果已梳理。"),
            contribute(16, "jsj", "计算机科学与技术学科申报书初稿已完成。"),
            feedback(15, "两个学科申报书初稿已完成，已邀请7位校外专家开展论证。"),
            feedback(8, "专家论证已完成，正在根据论证意见修改申报书。"),
        ),
    ),
    ItemSpec(
        "学生公寓门禁与消防设施改造",
        "完成学生公寓门禁系统升级和消防设施更新，消除消防安全隐患。",
        "hqc",
        26,
        by="office3",
        meeting="m3",
        cooperating=("xgb",),
        steps=(
            assign(26),
            sign(25),
            feedback(22, "门禁设备已到货，正在分楼栋安装。"),
            contribute(21, "xgb", "已通知各学院做好学生告知和信息采集工作。"),
            draft(19, "12栋学生公寓门禁系统升级和消防设施更新已全部完成，经消防检测合格。"),
            confirm(19),
            accept(18, "同意办结。"),
        ),
    ),
    ItemSpec(
        "大型仪器设备开放共享平台建设",
        "建设全校大型仪器设备开放共享平台，实现预约、计费和使用统计一体化管理，提高设备使用效率。",
        "sysc",
        26,
        meeting="m3",
        cooperating=("kjy",),
        steps=(
            assign(26),
            sign(25),
            plan(
                24,
                "平台上线运行，原值50万元以上设备全部纳入共享。",
                ("完成平台建设", 0.6),
                ("设备全部上线", 1.0),
            ),
            contribute(22, "kjy", "已将平台共享情况纳入科研平台考核指标。"),
            draft(20, "共享平台已上线运行，原值50万元以上的186台设备已全部纳入。"),
            confirm(19),
            send_back(18, "平台运行数据和收费标准审批文件等佐证材料不全，请补充后重新报送。"),
            feedback(10, "已补充平台运行数据，收费标准正在履行审批程序。"),
        ),
    ),
    # --- 书记办公会, minutes issued 22 working days ago -------------------------
    ItemSpec(
        "意识形态工作责任制落实情况自查",
        "对照意识形态工作责任制实施细则，组织马克思主义学院及相关学院开展自查，形成自查报告。",
        "mks",
        21,
        by="office2",
        meeting="m4",
        cooperating=("wgy", "jj"),
        steps=(
            assign(21),
            sign(21),
            contribute(18, "wgy", "本院自查已完成，课堂教学、讲座论坛管理制度落实到位。"),
            draft(16, "自查工作已完成，未发现重大问题，自查报告已形成。"),
            confirm(16),
            send_back(15, "自查报告未反映经济学院的自查情况，请补充后重新报送。"),
            contribute(14, "jj", "本院自查已完成，已修订讲座论坛审批办法。"),
            draft(14, "三个学院自查已全部完成，未发现重大问题，自查报告已补充完善。"),
            confirm(14),
            accept(13, "同意办结。"),
        ),
    ),
    ItemSpec(
        "辅导员队伍专业化职业化建设实施方案",
        "制定辅导员队伍专业化职业化建设实施方案，落实专职辅导员配备比例，完善辅导员"
        "职务职称双线晋升办法。",
        "rsc",
        21,
        meeting="m4",
        steps=(
            assign(21),
            unit_returns(
                20, "辅导员队伍建设属学生工作部职责，本处可配合做好编制和职称方面的工作。"
            ),
            reassign(
                19,
                "经请示分管校领导，改由学生工作部牵头，人事处配合。",
                lead="xgb",
                cooperating=("rsc",),
            ),
            sign(18),
            plan(
                17,
                "形成实施方案并提交党委常委会审议。",
                ("完成辅导员队伍现状调研", 0.4),
                ("形成实施方案送审稿", 1.0),
            ),
            contribute(14, "rsc", "辅导员职称评审单列计划、单设标准的建议已报学生工作部。"),
            feedback(9, "实施方案初稿已完成，正在征求各学院意见。"),
        ),
    ),
    # --- 党委常委会, minutes issued 15 working days ago -------------------------
    ItemSpec(
        "新进教职工岗前培训方案",
        "制定新进教职工岗前培训方案，将师德师风、保密教育和教学基本功纳入必修内容。",
        "rsc",
        14,
        by="office3",
        meeting="m5",
        steps=(
            assign(14),
            sign(13),
            plan(12, "形成培训方案并组织实施。", ("形成培训方案", 0.5), ("完成首期培训", 1.0)),
            feedback(9, "培训方案已形成，首期培训定于下周开班。"),
            draft(6, "首期岗前培训已完成，参训新进教职工87人，考核合格率100%。"),
            confirm(5),
        ),
    ),
    ItemSpec(
        "国际学生招生宣传推广方案",
        "制定国际学生招生宣传推广方案，拓展招生渠道，提高生源质量。",
        "wgy",
        14,
        by="office2",
        meeting="m5",
        steps=(
            assign(14),
            unit_returns(
                13,
                "国际学生招生属国际合作与交流部门职责，本院可配合做好外语宣传材料翻译，"
                "建议调整承办单位。",
            ),
        ),
    ),
    ItemSpec(
        "科研经费“放管服”改革实施办法修订",
        "修订科研经费管理办法，扩大科研人员经费使用自主权，简化报销程序。",
        "kjy",
        14,
        meeting="m5",
        cooperating=("cwc",),
        steps=(
            assign(14),
            sign(13),
            plan(
                12,
                "完成办法修订并提交校长办公会审议。",
                ("形成修订稿", 0.5),
                ("提交校长办公会审议", 1.0),
            ),
            contribute(10, "cwc", "报销流程简化的具体措施已报科学技术发展院。"),
            feedback(8, "修订稿已形成，正在征求科研人员意见。"),
        ),
    ),
    # --- 校长办公会, minutes issued 9 working days ago --------------------------
    ItemSpec(
        "期中教学检查及教学秩序专项督导",
        "组织期中教学检查，开展教学秩序专项督导，重点检查调停课、课堂教学质量和实验教学安排。",
        "jwc",
        8,
        meeting="m6",
        cooperating=("jsj", "tm"),
        urgent=True,
        steps=(
            assign(8),
            sign(8),
            feedback(7, "已印发期中教学检查通知，组建4个督导组，明日起进入课堂听课。"),
            contribute(5, "jsj", "本院已完成教学检查自查，听课42节。"),
            contribute(4, "tm", "本院已完成教学检查自查，听课35节，发现问题3个已整改。"),
            feedback(3, "督导组已听课156节，发现问题11个，已反馈相关学院整改。"),
        ),
    ),
    ItemSpec(
        "校园安全隐患排查整治",
        "对校园道路、建筑、消防设施和水电气管网开展安全隐患排查，建立隐患台账并限期整改。",
        "hqc",
        8,
        by="office2",
        meeting="m6",
        cooperating=("zcc",),
        steps=(
            assign(8),
            sign(7),
            plan(
                6,
                "隐患排查全覆盖，整改到位。",
                ("完成隐患排查", 0.5),
                ("完成隐患整改", 1.0),
            ),
            feedback(2, "隐患排查已完成，发现隐患23处，已整改15处。"),
        ),
    ),
    ItemSpec(
        "研究生招生考试组织工作方案",
        "制定研究生招生考试组织工作方案，落实考场、监考和保密工作。",
        "yjsy",
        8,
        by="office3",
        meeting="m6",
        steps=(
            assign(8),
            sign(7),
            draft(3, "考试组织工作方案已制定并经招生工作领导小组审定，考场和监考人员已落实。"),
            confirm(2),
        ),
    ),
    ItemSpec(
        "教学楼多媒体教室设备更新",
        "对使用超过8年的多媒体教室设备进行更新，满足智慧教学需要。",
        "wlzx",
        8,
        meeting="m6",
        steps=(
            assign(8),
            unit_returns(6, "多媒体设备采购和更新属资产管理处职责，本中心可配合做好技术参数论证。"),
        ),
    ),
    # --- 书记办公会, minutes issued 8 working days ago --------------------------
    ItemSpec(
        "学生心理健康风险排查与重点关注学生帮扶",
        "开展学生心理健康风险排查，建立重点关注学生台账，落实一人一策帮扶措施。",
        "xgb",
        7,
        by="office2",
        meeting="m7",
        cooperating=("jsj", "cl", "jj"),
        confidentiality=Confidentiality.SENSITIVE,
        steps=(
            assign(7),
            sign(6),
            feedback(5, "已完成心理普查数据分析，正在组织各学院开展访谈。"),
            contribute(3, "jsj", "本院已完成重点关注学生访谈，帮扶措施已落实到人。"),
        ),
    ),
    ItemSpec(
        "马克思主义理论学科建设推进方案",
        "制定马克思主义理论学科建设推进方案，明确学科方向、团队建设和成果目标。",
        "mks",
        7,
        meeting="m7",
        steps=(assign(6),),
    ),
    # --- 校长办公会, minutes issued 4 working days ago --------------------------
    ItemSpec(
        "土木工程与建筑学院实验楼维修改造",
        "对土木工程与建筑学院实验楼屋面防水、外墙和实验室水电进行维修改造。",
        "zcc",
        3,
        by="office3",
        meeting="m8",
        cooperating=("tm", "hqc"),
        steps=(
            assign(3),
            sign(2),
            divide(2, "hqc", "配合做好施工期间实验楼水电保障和安全管理", due_ago=-4),
            divide(2, "tm", "提出实验室水电改造需求，配合做好实验设备搬迁", due_ago=-3),
            sign_part(1, "tm"),
            plan(
                1,
                "按期完成维修改造，不影响正常教学实验。",
                ("完成维修方案和预算", 0.5),
                ("完成施工", 1.0),
            ),
        ),
    ),
    ItemSpec(
        "信息化建设项目立项评审办法制定",
        "制定信息化建设项目立项评审办法，统一技术标准，避免重复建设。",
        "wlzx",
        3,
        meeting="m8",
        cooperating=("cwc",),
        steps=(assign(2),),
    ),
    ItemSpec(
        "校企合作实习实训基地建设",
        "新建一批校企合作实习实训基地，满足工科专业学生实习需要。",
        "jx",
        3,
        by="office2",
        meeting="m8",
        steps=(
            assign(3),
            unit_returns(1, "该事项涉及全校多个学院，建议由教务处牵头统筹、本院配合。"),
        ),
    ),
    ItemSpec(
        "大学英语分级教学改革方案",
        "制定大学英语分级教学改革方案，实行分级分类教学。",
        "wgy",
        3,
        by="office3",
        meeting="m8",
        cooperating=("jwc",),
        steps=(assign(2),),
    ),
    # --- 党委常委会, minutes issued 2 working days ago --------------------------
    ItemSpec(
        "教师专业技术职务评审办法修订",
        "修订教师专业技术职务评审办法，破除“五唯”，突出教学业绩和代表性成果评价。",
        "rsc",
        1,
        meeting="m9",
    ),
    ItemSpec(
        "财务报销“一网通办”流程优化",
        "优化财务报销流程，实现网上预约、电子票据自动查验和审批全程线上办理。",
        "cwc",
        1,
        by="office2",
        meeting="m9",
        cooperating=("wlzx",),
        steps=(assign(1),),
    ),
    ItemSpec(
        "学术不端行为调查处理办法修订",
        "修订学术不端行为调查处理办法，规范调查程序，明确处理标准。",
        "kjy",
        1,
        by="office3",
        meeting="m9",
        cooperating=("yjsy",),
    ),
    ItemSpec(
        "家庭经济困难学生资助政策落实情况检查",
        "检查家庭经济困难学生认定和各类资助政策落实情况，确保资助精准。",
        "xgb",
        1,
        meeting="m9",
        cooperating=("cwc",),
        steps=(assign(1),),
    ),
    # --- annual key work (党政工作要点, 重大规划), established 55 working days ago -----
    ItemSpec(
        "推进计算机科学与技术学科“双一流”建设",
        "对照“双一流”建设方案年度任务，推进学科方向凝练、高水平团队建设和标志性成果培育。",
        "jsj",
        55,
        body=SourceBody.WORK_POINTS,
        basis=ANNUAL_BASIS + "第二部分第3条",
        cooperating=("kjy", "rsc"),
        steps=(
            assign(55),
            sign(54),
            plan(
                52,
                "完成学科建设年度任务，为下一轮学科评估打好基础。",
                ("完成学科方向凝练", 0.25),
                ("引进学科带头人1名", 0.5),
                ("完成年度建设成效自评", 1.0),
            ),
            feedback(45, "学科方向凝练已完成，确定人工智能基础理论等4个方向。"),
            feedback(33, "已引进学科带头人1名，正在组建团队。"),
            contribute(30, "kjy", "已协助申报国家重点研发计划项目2项。"),
            feedback(12, "年度建设任务已完成80%，正在开展年度建设成效自评。"),
        ),
    ),
    ItemSpec(
        "土木工程专业工程教育认证现场考查准备",
        "按工程教育认证标准完成自评报告，做好专家现场考查的各项准备。",
        "tm",
        55,
        by="office2",
        body=SourceBody.WORK_POINTS,
        basis=ANNUAL_BASIS + "第三部分第7条",
        cooperating=("jwc",),
        steps=(
            assign(55),
            sign(54),
            plan(
                53,
                "顺利通过工程教育认证现场考查。",
                ("完成自评报告", 0.4),
                ("完成现场考查准备", 1.0),
            ),
            feedback(40, "自评报告初稿已完成。"),
            feedback(20, "自评报告已提交认证协会，正在准备现场考查佐证材料。"),
            feedback(4, "现场考查佐证材料已准备完毕，正在组织模拟考查。"),
        ),
    ),
    ItemSpec(
        "智慧校园建设三年行动计划年度任务",
        "完成智慧校园建设三年行动计划的年度任务：数据中台、一网通办和智慧教室建设。",
        "wlzx",
        55,
        by="office3",
        body=SourceBody.MAJOR_PLAN,
        basis="《智慧校园建设三年行动计划（{year}—{end_year}年）》",
        cooperating=("jwc", "cwc", "hqc"),
        steps=(
            assign(55),
            sign(53),
            plan(
                52,
                "完成年度建设任务。",
                ("数据中台上线", 0.3),
                ("一网通办事项上线60项", 0.6),
                ("建成智慧教室50间", 1.0),
            ),
            contribute(44, "hqc", "后勤报修、能耗监测系统已接入数据中台。"),
            feedback(43, "数据中台已上线，接入业务系统18个。"),
            contribute(30, "jwc", "已完成智慧教室教学需求调研。"),
            feedback(22, "一网通办已上线事项52项，智慧教室建设已完成招标。"),
        ),
    ),
    ItemSpec(
        "深化岗位聘用制度改革，完成新一轮岗位聘用",
        "完成新一轮岗位设置和聘用工作，建立能上能下的岗位管理机制。",
        "rsc",
        55,
        body=SourceBody.WORK_POINTS,
        basis=ANNUAL_BASIS + "第四部分第2条",
        steps=(
            assign(55),
            sign(54),
            plan(
                53,
                "完成新一轮岗位聘用。",
                ("完成岗位设置方案", 0.3),
                ("完成聘用", 0.8),
            ),
            feedback(40, "岗位设置方案已经教代会审议通过。"),
            draft(11, "新一轮岗位聘用已完成，共聘用教职工2135人，签订聘用合同2135份。"),
            confirm(11),
            accept(10, "同意办结。"),
        ),
    ),
    ItemSpec(
        "校园节能降碳改造年度任务",
        "完成校园照明、供暖和空调系统节能改造年度任务，单位面积能耗同比下降5%。",
        "hqc",
        55,
        by="office2",
        body=SourceBody.MAJOR_PLAN,
        basis="《学校碳达峰碳中和工作方案（{year}—{end_year}年）》",
        cooperating=("zcc",),
        steps=(
            assign(55),
            sign(54),
            plan(
                52,
                "单位面积能耗同比下降5%。",
                ("完成照明系统改造", 0.4),
                ("完成供暖系统改造", 1.0),
            ),
            contribute(30, "zcc", "节能改造设备资产入账已完成。"),
            feedback(29, "照明系统改造已完成，供暖系统改造正在施工。"),
            draft(3, "节能改造年度任务已全部完成，单位面积能耗同比下降6.2%。"),
            confirm(2),
        ),
    ),
    ItemSpec(
        "外语类专业国家级一流本科专业建设",
        "推进英语、日语专业国家级一流本科专业建设，完成年度建设任务。",
        "wgy",
        55,
        by="office3",
        body=SourceBody.WORK_POINTS,
        basis=ANNUAL_BASIS + "第三部分第4条",
        cooperating=("jwc",),
        steps=(
            assign(55),
            sign(55),
            feedback(40, "专业建设年度任务已完成60%。"),
            contribute(35, "jwc", "已将两个专业纳入学校一流课程建设计划。"),
            draft(9, "年度建设任务已全部完成，新增省级一流课程3门。"),
            confirm(9),
            accept(8, "同意办结。"),
        ),
    ),
    # --- other items: superiors, instructions, congresses, special meetings ----------
    ItemSpec(
        "高校食品安全专项检查（上级交办）",
        "按照省教育厅通知要求，对学校食堂开展食品安全专项检查，按期报送自查报告。",
        "hqc",
        30,
        body=SourceBody.SUPERIOR,
        leader="leader_liu",
        basis="省教育厅《关于开展高校食品安全专项检查的通知》；{leader}同志{decided}批示：请后勤"
        "保障处立即组织自查，按期报送。",
        deadline_in=10,
        urgent=True,
        steps=(
            assign(30),
            sign(30),
            feedback(29, "已成立检查组，今日起对全校6个食堂开展检查。"),
            draft(22, "已完成6个食堂的专项检查，发现问题5个并全部整改，自查报告已报省教育厅。"),
            confirm(22),
            accept(21, "自查报告已按期报送，同意办结。"),
        ),
    ),
    ItemSpec(
        "学生反映宿舍热水供应不稳定问题的处理（来信）",
        "核实学生来信反映的部分宿舍热水供应不稳定问题，尽快解决并答复学生。",
        "hqc",
        12,
        by="office2",
        body=SourceBody.INSTRUCTION,
        leader="leader_zhao",
        basis="{leader}同志{decided}在学生来信上批示：请后勤保障处会同学生工作部尽快核实解决，"
        "并答复学生。",
        deadline_in=5,
        cooperating=("xgb",),
        confidentiality=Confidentiality.SENSITIVE,
        steps=(
            assign(12),
            sign(12),
            feedback(11, "已核实，系3号楼热水循环泵故障，已安排维修。"),
            contribute(9, "xgb", "已与来信学生沟通，学生对处理进度表示理解。"),
            draft(7, "循环泵已更换，热水供应恢复正常，已答复来信学生。"),
            confirm(7),
            accept(6, "已答复来信学生，同意办结。"),
        ),
    ),
    ItemSpec(
        "教代会提案办理：教职工子女入园入学服务",
        "研究解决教职工子女入园入学问题，与属地教育部门协商，形成答复意见。",
        "rsc",
        20,
        by="office3",
        body=SourceBody.STAFF_CONGRESS,
        leader="leader_li",
        basis="第七届教职工代表大会第三次会议第15号提案；{leader}同志{decided}批示：请人事处"
        "会同后勤保障处研究办理。",
        deadline_in=30,
        cooperating=("hqc",),
        steps=(
            assign(20),
            sign(19),
            plan(
                18,
                "与属地教育部门达成合作意向，按时答复提案人。",
                ("完成需求摸底", 0.3),
                ("与属地教育部门协商", 0.7),
                ("答复提案人", 1.0),
            ),
            change(
                15,
                "经李明远同志同意，按提案答复要求调整事项名称和工作内容",
                title="教代会提案办理：教职工子女入园入学服务保障",
                content="研究解决教职工子女入园入学问题，与属地教育部门协商共建附属幼儿园、"
                "附属学校事宜，形成答复意见。",
                authorised_by="leader_li",
            ),
            contribute(12, "hqc", "附属幼儿园园舍改造方案已初步拟定。"),
            feedback(6, "需求摸底已完成，共有需求教职工136人；已与区教育局开展两轮协商。"),
        ),
    ),
    ItemSpec(
        "新校区二期建设用地规划调整",
        "根据新校区二期建设需要，完成建设用地规划调整方案并报批。",
        "zcc",
        18,
        body=SourceBody.SPECIAL_MEETING,
        leader="leader_liu",
        basis="新校区建设专题工作会议纪要（{decided}）",
        deadline_in=20,
        cooperating=("tm", "cwc"),
        steps=(
            assign(18),
            sign(17),
            plan(
                16,
                "完成规划调整方案并报批。",
                ("完成规划调整方案", 0.5),
                ("报市自然资源和规划局", 1.0),
            ),
            feedback(12, "规划调整方案初稿已完成，正在组织专家论证。"),
            change(
                10,
                "规划调整需报市自然资源和规划局审批，经刘晓燕同志同意延长办结时限",
                deadline_ago=-20,
                authorised_by="leader_liu",
            ),
            contribute(7, "tm", "已协助完成规划方案的技术论证。"),
            feedback(3, "专家论证已完成，方案已报市自然资源和规划局。"),
        ),
    ),
    ItemSpec(
        "关于化学实验室危险废物暂存不规范问题的来信核查",
        "核查来信反映的化学实验室危险废物暂存不规范问题，依规整改并答复来信人。",
        "sysc",
        6,
        by="office2",
        body=SourceBody.INSTRUCTION,
        leader="leader_liu",
        basis="{leader}同志{decided}在来信上批示：请实验室与设备管理处认真核查，依规整改。",
        deadline_in=10,
        confidentiality=Confidentiality.SENSITIVE,
        steps=(
            assign(6),
            sign(5),
            feedback(3, "已现场核查，问题属实，已责令相关实验室限期整改。"),
        ),
    ),
    ItemSpec(
        "上级纪委转办问题线索涉及的资产处置规范整改",
        "按照上级纪委转办要求，对近三年固定资产处置程序进行全面核查，规范报废审批和"
        "残值处置，建立长效管理机制。",
        "zcc",
        16,
        by="jiwei1",
        body=SourceBody.SUPERIOR,
        leader="leader_chen",
        basis="上级纪委转办函；{leader}同志{decided}批示：请纪委办公室/监察处督办，"
        "资产管理处抓紧核查整改。",
        deadline_in=30,
        confidentiality=Confidentiality.DISCIPLINE,
        steps=(
            assign(16),
            sign(15),
            plan(
                14,
                "完成核查和整改，建立长效机制。",
                ("完成近三年资产处置核查", 0.5),
                ("完成制度修订", 1.0),
            ),
            feedback(8, "已核查资产处置事项312项，发现程序不规范问题6项，正在整改。"),
        ),
    ),
    ItemSpec(
        "涉密事项（线下办理）",
        # R-C3: the system keeps a registration only; content and basis stay offline.
        "线下办理",
        "kjy",
        10,
        by="baomi1",
        body=SourceBody.SUPERIOR,
        leader="leader_wang",
        basis="线下报送",
        deadline_in=20,
        confidentiality=Confidentiality.CLASSIFIED,
        steps=(assign(10), sign(9)),
    ),
    ItemSpec(
        "党代会报告任务落实：青年教师发展支持计划",
        "落实第三次党代会报告提出的青年教师发展支持计划，完善青年教师导师制、"
        "教学能力提升和科研启动支持措施。",
        "rsc",
        45,
        by="office3",
        body=SourceBody.PARTY_CONGRESS,
        leader="leader_wang",
        basis="中共本校第三次代表大会报告；{leader}同志{decided}在任务分解方案上批示。",
        deadline_in=60,
        cooperating=("jwc", "kjy"),
        steps=(
            assign(45),
            sign(44),
            plan(
                43,
                "出台青年教师发展支持计划并组织实施。",
                ("形成计划草案", 0.4),
                ("出台计划", 1.0),
            ),
            contribute(35, "jwc", "青年教师教学能力提升措施已报人事处。"),
            contribute(34, "kjy", "青年教师科研启动支持措施已报人事处。"),
            feedback(30, "计划草案已形成，正在征求意见。"),
            draft(4, "青年教师发展支持计划已经党委常委会审议通过并印发实施。"),
            confirm(3),
            accept(2, "同意办结。"),
        ),
    ),
    ItemSpec(
        "二级学院落实全面从严治党主体责任清单",
        "制定二级学院全面从严治党主体责任清单，明确党政主要负责人和班子成员责任。",
        "cl",
        1,
        body=SourceBody.PARTY_PLENARY,
        leader="leader_wang",
        basis="党委全会工作报告；{leader}同志{decided}批示。",
        deadline_in=40,
    ),
    ItemSpec(
        "研究生奖助学金评定办法优化",
        "优化研究生奖助学金评定办法，突出科研创新和实践能力导向。",
        "yjsy",
        1,
        by="office2",
        body=SourceBody.INSTRUCTION,
        leader="leader_zhang",
        basis="{leader}同志{decided}批示：请研究生院会同财务处研究优化奖助学金评定办法。",
        deadline_in=15,
        cooperating=("cwc",),
    ),
    # --- extensions (R-E1–E4) ---------------------------------------------------
    ItemSpec(
        "新工科实验教学中心建设方案",
        "完成新工科实验教学中心建设方案论证，明确场地、设备和运行机制。",
        "jx",
        20,
        meeting="m3",
        deadline_in=45,
        cooperating=("zcc", "sysc"),
        steps=(
            assign(19),
            sign(18),
            plan(
                17, "完成方案论证并报校长办公会审议。", ("调研兄弟高校", 0.3), ("形成方案初稿", 0.7)
            ),
            feedback(10, "已完成4所兄弟高校调研，场地方案涉及实验楼改造，需列入明年预算。"),
            extend(4, "场地改造须列入2027年预算，需待预算批复后方能确定建设方案。", 150),
        ),
    ),
    ItemSpec(
        "教职工体检服务采购",
        "完成2026年度教职工体检服务采购，确保年底前完成体检。",
        "hqc",
        24,
        meeting="m3",
        deadline_in=18,
        steps=(
            assign(23),
            sign(22),
            feedback(15, "已完成采购需求论证，招标公告已发布。"),
            extend(12, "首次招标因有效投标人不足三家流标，需重新组织招标。", 30),
            decide_extension(11, "同意延期，请抓紧重新招标，确保年底前完成体检。"),
            feedback(3, "第二次招标已完成评标，正在公示。"),
        ),
    ),
    ItemSpec(
        "学生宿舍消防设施检修",
        "完成全部学生宿舍楼消防设施检修，整改消防隐患。",
        "hqc",
        6,
        meeting="m6",
        deadline_in=10,
        cooperating=("xgb",),
        steps=(assign(6), sign(5), feedback(2, "已完成12栋宿舍楼检修，剩余6栋本周内完成。")),
    ),
)

CHINESE_ORDINALS = "一二三四五六七八九十"
# Roughly how often each body meets, to number its minutes plausibly (第N期).
MEETING_INTERVAL_DAYS: dict[str, int] = {
    SourceBody.PRESIDENT_MEETING: 14,
    SourceBody.STANDING_COMMITTEE: 10,
    SourceBody.SECRETARY_MEETING: 21,
}


# ----------------------------------------------------------------------------- loading


def is_loaded() -> bool:
    return Unit.objects.filter(code=GENERAL_OFFICE_CODE).exists()


def demo_usernames() -> list[str]:
    return [login.username for login in demo_logins()]


@dataclass
class Summary:
    units: int
    people: int
    items_by_status: dict[str, int]
    overdue: int


class _Story:
    """Loads the demo, holding the calendar, the units and the people while it does."""

    def __init__(self) -> None:
        self.calendar = WorkCalendar()
        self.today = clock.today()
        self.units: dict[str, Unit] = {}
        self.units_by_pk: dict[int, Unit] = {}
        self.people: dict[str, User] = {}
        self.minutes_numbers = self._minutes_numbers()

    # -- dates ------------------------------------------------------------------

    def workday(self, ago: int) -> dt.date:
        """The working day `ago` working days before today (negative: after it)."""
        if ago >= 0:
            return self.calendar.subtract_workdays(self.today, ago).day
        return self.calendar.add_workdays(self.today, -ago).day

    def after(self, day: dt.date, workdays: int) -> dt.date:
        return self.calendar.add_workdays(day, workdays).day

    def last_workday_on_or_before(self, day: dt.date) -> dt.date:
        if self.calendar.is_workday(day).is_workday:
            return day
        return self.calendar.subtract_workdays(day, 1).day

    def _minutes_numbers(self) -> dict[str, int]:
        """Number each meeting's minutes: 第N期, counted per body and year."""
        numbers: dict[str, int] = {}
        last: dict[str, tuple[int, int]] = {}  # body -> (year, number)
        for key, meeting in sorted(MEETINGS.items(), key=lambda pair: -pair[1].issued_ago):
            issued = self.workday(meeting.issued_ago)
            previous = last.get(meeting.body)
            if previous is not None and previous[0] == issued.year:
                number = previous[1] + 1
            else:
                number = 1 + issued.timetuple().tm_yday // MEETING_INTERVAL_DAYS[meeting.body]
            numbers[key] = number
            last[meeting.body] = (issued.year, number)
        return numbers

    # -- the organisation -------------------------------------------------------

    def build_organisation(self) -> None:
        """The units and people: the demo's directory through `sync_org`'s own sync, as a
        university's would go; then what a directory does not hold."""
        source = read_directory()
        report = sync_directory(None, source.directory, source=source.name, content=source.content)
        if not report.synced:
            raise RuntimeError("the demo's directory does not sync: " + "; ".join(report.problems))
        # One hash for everyone: the real hasher is slow on purpose, and all demo
        # accounts share the published password anyway.
        password = make_password(DEMO_PASSWORD)
        numbers = [person.staff_number for person in source.directory.people]
        User.objects.filter(staff_number__in=numbers).update(password=password)
        for username, portfolio in PORTFOLIOS.items():
            User.objects.filter(username=username).update(portfolio=portfolio)
        for admin in ADMINISTRATORS:
            # The lead engineer will narrow the system administrator's powers later;
            # for now it is the one account that opens Django's admin.
            is_system_admin = admin.role == Role.SYSTEM_ADMIN
            User.objects.create(
                username=admin.username,
                password=password,
                email=f"{admin.username}@example.edu.cn",  # a reserved example address
                phone=admin.phone,
                full_name=admin.full_name,
                role=admin.role,
                title=admin.title,
                is_staff=is_system_admin,
                is_superuser=is_system_admin,
            )
        units = {unit.code: unit for unit in Unit.objects.all()}
        self.units = {key: units[code] for key, code in UNIT_KEYS.items()}
        self.units_by_pk = {unit.pk: unit for unit in self.units.values()}
        self.people = {user.username: user for user in User.objects.all()}

    def organisation_moment(self, specs: Sequence[ItemSpec]) -> dt.datetime:
        """When the directory is synced: before the story's first morning sweep, so that
        its audit event comes first in time as in the chain; without a story, now."""
        if not specs:
            return clock.now()
        first = max(spec.established for spec in specs)
        return timezone.make_aware(dt.datetime.combine(self.workday(first), DIRECTORY_TIME))

    # -- the items --------------------------------------------------------------

    def moment(self, ago: int, index: int, minute_offset: int) -> dt.datetime:
        """A time on the working day `ago` days back: mornings, steps 40 minutes apart."""
        minutes = 8 * 60 + 30 + minute_offset + 40 * index
        clock_time = dt.time(minutes // 60, minutes % 60)
        return timezone.make_aware(dt.datetime.combine(self.workday(ago), clock_time))

    def tell(self, specs: Sequence[ItemSpec]) -> None:
        """Tell every story, all steps of all items in the order of their moments, so
        that ledger numbers, events and notices follow time as they would in real use."""
        schedule: list[tuple[dt.datetime, int, int, Step | None]] = []
        for number, spec in enumerate(specs):
            self._check_story(spec)
            minute_offset = (number * 13) % 50
            schedule.append((self.moment(spec.established, 0, minute_offset), number, 0, None))
            same_day, previous_ago = 0, spec.established
            for index, step in enumerate(spec.steps, start=1):
                same_day = same_day + 1 if step.ago == previous_ago else 0
                previous_ago = step.ago
                moment = self.moment(step.ago, same_day, minute_offset)
                schedule.append((moment, number, index, step))
        schedule.sort(key=lambda entry: entry[:3])
        # A meeting's items are numbered in its minutes in the order they are established.
        agenda: dict[str, list[int]] = {}
        for _moment, number, index, _step in schedule:
            if index == 0 and specs[number].meeting:
                agenda.setdefault(specs[number].meeting, []).append(number)
        item_ids: dict[int, int] = {}
        swept = self.workday(0) if not schedule else schedule[0][0].date()
        for moment, number, _index, scheduled in schedule:
            swept = self._sweep_mornings(swept, moment)
            spec = specs[number]
            with clock.frozen_at(moment):
                if scheduled is None:
                    ordinal = agenda[spec.meeting].index(number) if spec.meeting else 0
                    data = self._establish_input(spec, ordinal)
                    item_ids[number] = actions.establish_item(self.people[spec.by], data).pk
                    continue
                # The loader acts for the people of the story; it reads the item
                # itself, not through anyone's visibility.
                item = Item.objects.select_related("lead_unit", "supervisor").get(
                    pk=item_ids[number]
                )
                actor = self._act(scheduled, item, spec)
                self._read_notices(actor, item)
        self.sweep_history(swept)

    def _sweep_mornings(self, first: dt.date, until: dt.datetime) -> dt.date:
        """Run the reminder sweep at 08:00 of every working day from `first` up to
        `until`, as the worker would have (R-U2, R-U3: the automatic reminders are part
        of the history, and of the figures). Returns the next day to sweep."""
        day = first
        while True:
            morning = timezone.make_aware(dt.datetime.combine(day, SWEEP_TIME))
            if morning > until:
                return day
            if self.calendar.is_workday(day).is_workday:
                run_sweep(morning)
            day += dt.timedelta(days=1)

    def sweep_history(self, after: dt.date) -> None:
        """The mornings after the last step, up to today's (the story ends yesterday)."""
        end = timezone.make_aware(dt.datetime.combine(self.today, SWEEP_TIME))
        self._sweep_mornings(after, end - dt.timedelta(minutes=1))

    @staticmethod
    def _check_story(spec: ItemSpec) -> None:
        agos = [spec.established, *(step.ago for step in spec.steps)]
        if any(later > earlier for earlier, later in itertools.pairwise(agos)):
            raise ValueError(f"demo item {spec.title!r}: steps out of order")
        if min(agos) < 1:
            raise ValueError(f"demo item {spec.title!r}: every step must be before today")

    def _establish_input(self, spec: ItemSpec, ordinal: int) -> actions.EstablishInput:
        """The establishment form; `ordinal` is the item's place in its meeting's minutes."""
        established_on = self.workday(spec.established)
        data = actions.EstablishInput(
            title=spec.title,
            content=spec.content,
            basis="",
            source_kind="",
            source_body="",
            lead_unit=self.units[spec.lead],
            cooperating_units=[self.units[key] for key in spec.cooperating],
            confidentiality=spec.confidentiality,
            urgent=spec.urgent,
        )
        if spec.meeting:
            meeting = MEETINGS[spec.meeting]
            issued = self.workday(meeting.issued_ago)
            data.source_kind = SourceKind.MEETING
            data.source_body = meeting.body
            data.minutes_issued_on = issued
            data.basis = (
                f"{SourceBody(meeting.body).label}纪要〔{issued.year}〕"
                f"第{self.minutes_numbers[spec.meeting]}期第{CHINESE_ORDINALS[ordinal]}项"
            )
            if spec.deadline_in is not None:  # R-D1
                data.minutes_deadline = self.after(established_on, spec.deadline_in)
            elif spec.office_deadline_in is not None:  # R-D3
                data.office_deadline = self.after(established_on, spec.office_deadline_in)
                data.office_reason = spec.office_reason
            return data  # else R-D2: ten working days after the minutes
        source_kind = next(kind for kind, bodies in SOURCE_BODIES.items() if spec.body in bodies)
        data.source_kind = source_kind
        data.source_body = spec.body
        decided_on = self.workday(spec.established + 1)
        leader = self.people[spec.leader] if spec.leader else None
        data.basis = spec.basis.format(
            year=established_on.year,
            end_year=established_on.year + 2,
            decided=f"{decided_on.month}月{decided_on.day}日",
            leader=leader.full_name if leader else "",
        )
        if source_kind == SourceKind.OTHER:
            data.deciding_leader = leader
            data.decided_on = decided_on
            if spec.deadline_in is not None:
                data.instruction_deadline = self.after(established_on, spec.deadline_in)
        return data

    def _act(self, step: Step, item: Item, spec: ItemSpec) -> User:
        """Take one step through the real action; returns who acted."""
        lead = self.units_by_pk[item.lead_unit_id]
        supervisor = self.people[spec.by]
        contact = lead.head if step.by_head else lead.liaison
        assert contact is not None and lead.head is not None
        head: User = lead.head
        verb = step.verb
        if verb == "assign":
            actions.assign_item(supervisor, item)
            return supervisor
        if verb == "reassign":
            actions.reassign_item(
                supervisor,
                item,
                note=step.text,
                lead_unit=self.units[step.unit] if step.unit else None,
                cooperating_units=[self.units[key] for key in step.cooperating]
                if step.cooperating is not None
                else None,
            )
            return supervisor
        if verb == "change":
            actions.change_item(
                supervisor,
                item,
                reason=step.text,
                authorised_by=self.people[step.authorised_by] if step.authorised_by else None,
                title=step.title,
                content=step.content,
                deadline=self.workday(step.deadline_ago) if step.deadline_ago is not None else None,
            )
            return supervisor
        if verb == "accept":
            actions.review_report(supervisor, item, accept=True, comment=step.text)
            return supervisor
        if verb == "send_back":
            actions.review_report(supervisor, item, accept=False, comment=step.text)
            return supervisor
        if verb == "decide_extension":
            request = item.extension_request
            decider = request.approver or supervisor
            actions.decide_extension(decider, item, approve=step.approve, comment=step.text)
            return decider
        if verb == "extend":
            actions.request_extension(
                contact,
                item,
                requested_deadline=item.deadline + dt.timedelta(days=step.extend_by_days),
                reason=step.text,
            )
        elif verb == "sign":
            actions.sign_for_item(contact, item)
        elif verb == "return":
            actions.return_item(contact, item, step.text)
        elif verb == "plan":
            actions.record_plan(contact, item, step.text, self._milestones(step, item))
        elif verb == "feedback":
            actions.submit_feedback(contact, item, step.text)
        elif verb == "draft":
            actions.draft_completion_report(contact, item, step.text)
        elif verb == "decline":
            actions.decline_report(head, item, step.text)
            return head
        elif verb == "confirm":
            actions.confirm_report(head, item)
            return head
        elif verb == "divide":
            actions.divide_item(
                contact,
                item,
                unit=self.units[step.unit],
                task=step.text,
                deadline=self.workday(step.deadline_ago or 0),
            )
        elif verb in ("sign_part", "report_part"):
            part_liaison = self.units[step.unit].liaison
            assert part_liaison is not None
            part = item.parts.get(unit=self.units[step.unit])
            if verb == "sign_part":
                actions.sign_part(part_liaison, part)
            else:
                actions.report_part(part_liaison, part, step.text)
            return part_liaison
        elif verb == "contribute":
            cooperating_liaison = self.units[step.unit].liaison
            assert cooperating_liaison is not None
            actions.report_contribution(cooperating_liaison, item, step.text)
            return cooperating_liaison
        else:
            raise ValueError(f"unknown demo step {verb!r}")
        return contact

    def _milestones(self, step: Step, item: Item) -> list[actions.MilestoneInput]:
        """Milestones spread over the time left, each on a working day, none past the deadline."""
        start = clock.today()
        span = max((item.deadline - start).days, 0)
        return [
            actions.MilestoneInput(
                title=title,
                due_on=self.last_workday_on_or_before(
                    start + dt.timedelta(days=round(span * share))
                ),
            )
            for title, share in step.milestones
        ]

    @staticmethod
    def _read_notices(actor: Any, item: Item) -> None:
        """Whoever acts on an item has read its notices by then."""
        unread = Notice.objects.filter(recipient=actor, item=item, read_at__isnull=True)
        for notice_id in unread.values_list("pk", flat=True):
            actions.mark_notice_read(actor, notice_id)


@transaction.atomic
def load(*, items: bool = True) -> Summary:
    """Load the demo university into a database without units; all or nothing.
    Without `items`, only its units and people."""
    story = _Story()
    with clock.frozen_at(story.organisation_moment(ITEMS if items else ())):
        story.build_organisation()
    if items:
        story.tell(ITEMS)
    # The loader is the system itself, not a person: it counts every item.
    statuses = Counter(Item.objects.values_list("status", flat=True))
    today = clock.today()
    overdue = Item.objects.filter(overdue_filter(today)).count()
    return Summary(
        units=len(story.units),
        people=len(story.people),
        items_by_status={status: statuses.get(status, 0) for status in Status.values},
        overdue=overdue,
    )

"""Minutes and work plans for the intake tests, built with python-docx in the shapes
offices write them (issue 12)."""

from __future__ import annotations

import io

from docx import Document

MINUTES_LINES = [
    "校长办公会纪要",
    "〔2026〕第18期",
    "党政办公室 2026年11月20日印发",
    "2026年11月18日，校长主持召开2026年第18次校长办公会，研究有关工作。现纪要如下：",
    # A lead unit with a cooperating list that uses an alias (计财处 = 财务处), a named date.
    "一、会议审议通过《本科教学质量提升方案》。由教务处牵头，人事处、计财处配合，"
    "于2026年12月20日前完成方案细化并组织实施。",
    # Two lead-unit phrasings (负责, 请…), 会同 an alias (教务部 = 教务处), two deadlines.
    "二、会议研究了教师招聘工作。人事处负责，会同教务部在12月底前完成招聘计划。"
    "请人事处于下周五前报送工作方案。",
    # No unit at all; 年底前.
    "三、会议同意启动新校区规划论证工作，年底前形成初步意见。",
    # No deadline: R-D2.
    "四、会议决定对学生食堂进行改造，请财务处做好经费保障。",
    "五、会议听取了教代会提案办理情况汇报，教务处负责，两周内办结。",
    "出席：张校长、李副校长",
    "列席：党政办公室、教务处",
]

PLAN_LINES = [
    "中共示范大学委员会 示范大学",
    "2026年党政工作要点",
    "一、坚持党的全面领导，加强党的建设",
    "1. 深入学习贯彻党的创新理论。完善理论学习中心组学习制度。"
    "（牵头单位：党政办公室；配合单位：人事处、各二级党组织）",
    "2. 加强干部队伍建设。（牵头单位：人事处）",
    "二、深化教育教学改革，提高人才培养质量",
    "3. 推进本科教学审核评估整改。责任单位：教务处、计财处",
    "4. 完善研究生培养体系。",
]


def docx_bytes(lines: list[str]) -> bytes:
    document = Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def minutes_docx(lines: list[str] | None = None) -> bytes:
    return docx_bytes(MINUTES_LINES if lines is None else lines)


def plan_docx(lines: list[str] | None = None) -> bytes:
    return docx_bytes(PLAN_LINES if lines is None else lines)

"""The core's English texts said in Vietnamese for the back office's Vietnamese pages.

The core (engine and services) writes neutral English texts for the command line and the API: explanations of
prerequisites and criteria ("years_in_production 5 ≥ 3", "quality: iso9001 (3) + conformity (3) → 6 of 8"), rule
descriptions, the reasons services write in the audit log ("results computed") and their refusals. The web layer
says them in Vietnamese by their known shapes, never by editing the core's texts: a table of phrase patterns per
kind of text, the criteria set's own Vietnamese labels for input ids and options, and numbers the Vietnamese way
(1.234,5). A text of an unknown shape keeps its English words (the test that walks every page finds it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

Sub = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]


def _subs(*pairs: tuple[str, Any]) -> tuple[Sub, ...]:
    return tuple((re.compile(pattern), words) for pattern, words in pairs)


_YES_NO = {"true": "có", "false": "không"}

# the engine's explanations and the rule tables' descriptions (spcncl_core.engine.rules, conditions, evaluate,
# council_fast; criteria.model's pass rule); ids stay as they are here and become labels afterwards
ENGINE = _subs(
    (r"^tie on total (\S+): higher (\S+) subtotal \((\S+) vs (\S+)\)$",
     r"bằng tổng điểm \1: điểm nhóm \2 cao hơn (\3 so với \4)"),
    (r"^tie on total (\S+): earlier submission \((.+) vs (.+)\)$",
     r"bằng tổng điểm \1: nộp hồ sơ sớm hơn (\2 so với \3)"),
    (r"^tie on total (\S+) not broken by (.*)$", r"bằng tổng điểm \1, chưa phân định được bằng \2"),
    (r"council: mean of (\d+) members?", r"hội đồng: trung bình của \1 thành viên"),
    (r"; preliminary: ", "; sơ bộ: "),
    (r"not scored yet \(scored by the council\)", "chưa chấm (do hội đồng chấm)"),
    (r"\bscored by the council\b", "do hội đồng chấm"),
    (r" \(summed, capped\)", " (cộng dồn, không quá điểm tối đa)"),
    (r" \(capped\)", " (không quá điểm tối đa)"),
    (r"\b(\w+) is (true|false), not (true|false)\b",
     lambda m: f"{m.group(1)}: {_YES_NO[m.group(2)]}, cần: {_YES_NO[m.group(3)]}"),
    (r"\b(\w+) is (true|false)\b", lambda m: f"{m.group(1)}: {_YES_NO[m.group(2)]}"),
    (r"\b(\w+) is none, not\b", r"\1: không có, cần:"),
    (r"\b(\w+) is (\{[^}]*\}), not\b", r"\1: \2, cần:"),
    (r"\b(\w+) is ", r"\1: "),
    (r"\b(\w+) not given\b", r"\1: chưa kê khai"),
    (r"\b(\w+) = (\w+)", r"\1: \2"),
    (r" within ", " trong khoảng "),
    (r" outside ", " ngoài khoảng "),
    (r" not in \{", " không thuộc {"),
    (r" in \{", " thuộc {"),
    (r"\blinear from (\S+) → (\S+) to (\S+) → (\S+)", r"tuyến tính từ \1 → \2 đến \3 → \4"),
    (r"\blinear\b", "tuyến tính"),
    (r"\ball of \(", "tất cả các điều kiện ("),
    (r"\bany of \(", "một trong các điều kiện ("),
    (r"\beach criterion (\S+) (\S+) % of its maximum", r"mỗi tiêu chí \1 \2 % điểm tối đa của tiêu chí"),
    (r"\bcriterion (\S+) (\S+) (\S+) % of its maximum", r"tiêu chí \1 \2 \3 % điểm tối đa của tiêu chí"),
    (r"\bgroup (\S+) (\S+) (\S+) % of its maximum", r"nhóm \1 \2 \3 % điểm tối đa của nhóm"),
    (r"\bcriterion (\S+) ([<>≤≥=])", r"tiêu chí \1 \2"),
    (r"\bgroup (\S+) ([<>≤≥=])", r"nhóm \1 \2"),
    (r"\btotal ([<>≤≥=])", r"tổng điểm \1"),
    (r"(?<=: )none\b", "không có"),
    (r"^none$", "không có"),
    (r"(\d) of (\d)", r"\1 trên \2"),
)

_DECIMAL = re.compile(r"(?<![\w.,])-?\d+\.\d+(?![\w]|\.\d)")
_BIG = re.compile(r"(?<![\w.,:/-])[1-9]\d{3,}(?![\w.,:/-])")
_ID = re.compile(r"(?<![\w.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?![\w-])")
_VALUE_NEXT = re.compile(r" (?:-?\d|≈)")


def apply(subs: Iterable[Sub], text: str) -> str:
    """`text` with each pattern of `subs` replaced in turn."""
    for pattern, words in subs:
        text = pattern.sub(words, text)
    return text


def numbers(text: str, number: Callable[[str], str]) -> str:
    """Decimals (1234.5) and whole numbers from 1000 (17000000) of an engine's text written by `number` (1.234,5;
    the engine's texts hold no years)."""
    return _BIG.sub(lambda m: number(m.group(0)), _DECIMAL.sub(lambda m: number(m.group(0)), text))


def labelled(text: str, words: Mapping[str, str], labels: Mapping[str, str]) -> str:
    """Input ids and option codes of `text` in words: `labels` for inputs and indicators (followed by a colon when
    a value follows: "Vốn chủ sở hữu: 1.981 > 0"), `words` for options."""
    def say(m: re.Match[str]) -> str:
        code = m.group(0)
        if code in labels:
            return labels[code] + (":" if _VALUE_NEXT.match(text, m.end()) else "")
        return words.get(code, code)

    return _ID.sub(say, text)


def engine(text: str, labels: Mapping[str, str], options: Mapping[str, str], number: Callable[[str], str]) -> str:
    """An explanation or rule description of the engine in Vietnamese."""
    return labelled(numbers(apply(ENGINE, text), number), options, labels)


# the reasons services write in the audit log (spcncl_core.services.*: reason=…); a reason a person wrote (an
# override's, a re-scoring's) is theirs and is shown as written
def reason(text: str, *, group: Callable[[str], str], when: Callable[[datetime], str], day: Callable[[str], str],
           explain: Callable[[str], str], number: Callable[[str], str]) -> str:
    """A reason written by a service, in Vietnamese; any other text unchanged."""
    def at(iso: str) -> str:
        try:
            return when(datetime.fromisoformat(iso))
        except ValueError:
            return iso

    known: tuple[tuple[str, Callable[[re.Match[str]], str]], ...] = (
        (r"results computed", lambda m: "đã tính kết quả"),
        (r"results published \(version (\d+)\)", lambda m: f"công bố kết quả (lần {m[1]})"),
        (r"publication (\d+), comments until (.+)", lambda m: f"công bố lần {m[1]}, nhận ý kiến đến {m[2]}"),
        (r"comment window of publication (\d+) ended (.+)",
         lambda m: f"hết thời hạn nhận ý kiến về kết quả công bố lần {m[1]} ({m[2]})"),
        (r"decision (.+)", lambda m: f"quyết định {m[1]}"),
        (r"valid until (\d{4}-\d\d-\d\d)", lambda m: f"hiệu lực đến {day(m[1])}"),
        (r"registered again \(import\)", lambda m: "đăng ký lại (nhập từ sổ Excel)"),
        (r"registered in the (\d{4}) round \(import\)",
         lambda m: f"đăng ký vào đợt xét chọn năm {m[1]} (nhập từ sổ Excel)"),
        (r"submitted at (\S+), product group (\S+)", lambda m: f"nộp lúc {at(m[1])}, nhóm sản phẩm {group(m[2])}"),
        (r"criteria sets locked: (.+)", lambda m: "khóa bộ tiêu chí: " + ", ".join(
            f"{group(g)} {s}" for g, _, s in (part.partition(" ") for part in m[1].split(", ")))),
        (r"every eligible dossier has a submitted form for each criterion",
         lambda m: "mọi hồ sơ đủ điều kiện đã có phiếu chấm đã nộp cho từng tiêu chí"),
        (r"re-scoring ([^:]+): (.*)", lambda m: f"chấm lại {m[1]}: {m[2]}"),
        (r"override of (\S+)", lambda m: f"ghi đè điều kiện tiên quyết {m[1]}"),
        (r"preliminary (.+)", lambda m: "điểm sơ bộ " + numbers(m[1], number)),
    )
    for pattern, words in known:
        found = re.fullmatch(pattern, text)
        if found:
            return words(found)
    # a screening that found the dossier ineligible: its failed prerequisites, "P3: years_in_production 2 < 3; …"
    if re.fullmatch(r"[A-ZĐ][\w.]*: [^;]+(?:; [A-ZĐ][\w.]*: [^;]+)*", text):
        return "; ".join(f"{pid}: {explain(message)}" for pid, _, message in
                         (part.partition(": ") for part in text.split("; ")))
    return text


# the keys and values of audit entries (before/after), and the records they are about
AUDIT_KEYS = {
    "member": "thành viên", "points": "điểm", "result": "kết quả", "eligible": "đủ điều kiện", "passed": "đạt",
    "position": "thứ hạng", "top": "thuộc Top", "total": "tổng điểm", "certificate": "giấy chứng nhận",
    "number": "số", "revoked": "đã thu hồi", "valid_from": "hiệu lực từ", "valid_until": "hiệu lực đến",
    "enterprise": "doanh nghiệp", "product": "sản phẩm", "author": "người góp ý", "comment": "ý kiến",
    "publication": "lần công bố", "criteria_set": "bộ tiêu chí", "criteria_sets": "bộ tiêu chí",
    "criterion": "tiêu chí", "round": "đợt xét chọn", "submitted_form_excluded": "bỏ phiếu chấm đã nộp",
    "product_group": "nhóm sản phẩm", "hash": "mã băm", "computed": "kết quả kiểm tra", "override": "ghi đè",
    "reason": "lý do", "prerequisite": "điều kiện tiên quyết", "resolution": "cách xử lý", "version": "lần",
    "role": "vai trò", "name": "tên", "username": "tên đăng nhập", "active": "hoạt động", "language": "ngôn ngữ",
    "code": "mã", "district": "quận/huyện", "sector": "lĩnh vực", "year": "năm", "jurisdiction": "địa phương",
    "title": "tiêu đề", "voting": "có quyền chấm", "criteria": "tiêu chí", "dossier": "hồ sơ", "dossiers": "hồ sơ",
    "inputs": "số liệu", "self_assessment": "tự đánh giá", "comments_until": "nhận ý kiến đến", "count": "số lượng",
    "class": "hạng", "result_class": "hạng", "decision": "quyết định", "signed_by": "người ký",
    "decided_on": "ngày quyết định", "text": "nội dung", "explanation": "giải trình", "note": "ghi chú",
    "forms": "phiếu chấm", "scores": "điểm chấm", "members": "thành viên", "assigned": "được phân công",
    "declared_at": "ngày kê khai", "number_of_dossiers": "số hồ sơ", "pass_mark": "ngưỡng đạt",
}
ENTITIES = {
    "dossier": "hồ sơ", "round": "đợt xét chọn", "council_member": "thành viên hội đồng", "enterprise": "doanh nghiệp",
    "product": "sản phẩm", "user": "người dùng", "user_account": "người dùng", "scoring_form": "phiếu chấm",
    "comment": "ý kiến", "certificate": "giấy chứng nhận", "publication": "lần công bố", "result": "kết quả",
    "criteria_set": "bộ tiêu chí", "conflict": "xung đột lợi ích", "assignment": "phân công",
}
MEMBER_ROLES = {"chair": "Chủ tịch", "vice_chair": "Phó Chủ tịch", "secretary": "Thư ký", "member": "Thành viên"}
# criteria sets' product groups beyond Hanoi's (the example plugins' sets)
GROUPS = {"food": "thực phẩm", "any": "mọi nhóm", "local": "sản phẩm địa phương", "national": "toàn quốc"}
# where a plugin comes from (spcncl_core.catalog's plugin list)
ORIGINS = _subs((r"^built in \((.+)\)$", r"có sẵn (\1)"), (r"^entry point (\S+) \((.+)\)$", r"điểm nạp \1 (gói \2)"))


# what the services' checks call the fields they check (spcncl_core.services.checks: "{label} is required")
FIELDS = {
    "a comment's author": "người góp ý", "a comment's contact": "thông tin liên hệ của người góp ý",
    "a comment's text": "nội dung ý kiến", "a conflict declaration's reason": "lý do kê khai xung đột lợi ích",
    "a resolution's note saying why": "ghi chú lý do của cách xử lý", "a revocation's reason": "lý do thu hồi",
    "an explanation's text": "nội dung giải trình",
    "an override's written reason (lý do)": "lý do ghi đè (bằng văn bản)",
    "certificate number": "số giấy chứng nhận", "council decision reference": "số quyết định thành lập hội đồng",
    "criteria set": "bộ tiêu chí", "decision date": "ngày quyết định", "decision number": "số quyết định",
    "dossier number": "số hồ sơ", "enterprise code": "mã số doanh nghiệp", "enterprise name": "tên doanh nghiệp",
    "enterprise district": "quận/huyện của doanh nghiệp", "enterprise sector": "lĩnh vực của doanh nghiệp",
    "enterprise address": "địa chỉ doanh nghiệp", "explanation time": "thời điểm giải trình",
    "jurisdiction": "địa phương", "member agency": "cơ quan của thành viên", "member code": "mã thành viên",
    "member name": "tên thành viên", "name": "tên", "plan reference": "số kế hoạch", "product group": "nhóm sản phẩm",
    "product name": "tên sản phẩm", "product sector": "lĩnh vực sản phẩm", "reason": "lý do",
    "resolution": "cách xử lý", "signed by": "người ký", "state": "trạng thái",
    "the reason for re-scoring": "lý do chấm lại", "the reason for taking criteria away": "lý do rút phân công",
    "the document's title or note": "tiêu đề hoặc ghi chú của tài liệu", "title": "tiêu đề",
    "user name": "tên đăng nhập",
}


def _field(label: str, group: Callable[[str], str]) -> str:
    switch = re.fullmatch(r"a written reason for switching the (\S+) criteria set", label)
    if switch:
        return f"lý do đổi bộ tiêu chí của nhóm {group(switch[1])}"
    return FIELDS.get(label, label)


def service(text: str, *, state: Callable[[str], str], group: Callable[[str], str], phase: Callable[[str], str],
            number: Callable[[str], str]) -> str:
    """A refusal or validation message of a service in Vietnamese when its shape is known; else unchanged."""
    f = lambda label: _field(label, group)  # noqa: E731
    states = lambda listed: ", ".join(state(s) for s in listed.split(", "))  # noqa: E731
    known: tuple[tuple[str, Callable[[re.Match[str]], str]], ...] = (
        # spcncl_core.services.checks
        (r"(.+) is required(?: \(it is blank\))?", lambda m: f"Cần nhập {f(m[1])}"),
        (r"(.+) is (\d+) characters long; at most (\d+) are allowed",
         lambda m: f"{f(m[1])} dài {m[2]} ký tự; tối đa {m[3]} ký tự"),
        (r"(.+) holds a NUL character \(\\x00\), which cannot be stored",
         lambda m: f"{f(m[1])} chứa ký tự NUL (\\x00), không lưu được"),
        (r"(.+) must be a date, not (.*)", lambda m: f"{f(m[1])} phải là một ngày, không phải {m[2]}"),
        (r"(.+?): refused by the database, it exists already or clashes with another record \((.*)\); roll back, "
         r"reload and try again", lambda m: f"{m[1]}: cơ sở dữ liệu từ chối vì bản ghi đã có hoặc trùng với bản ghi "
         f"khác ({m[2]}); hãy tải lại trang và thử lại"),
        (r"(.+?): someone else changed the record at the same time; roll back, reload it and apply your change again",
         lambda m: f"{m[1]}: người khác vừa sửa cùng bản ghi; hãy tải lại trang và sửa lại"),
        (r"(.+?): the database refused a value \((.*)\)", lambda m: f"{m[1]}: cơ sở dữ liệu từ chối một giá trị "
         f"({m[2]})"),
        (r"the (\d{4}) round no longer exists", lambda m: f"đợt xét chọn năm {m[1]} không còn nữa"),
        # dossiers
        (r"dossier (\S+) is (\w+): it cannot become (\w+); allowed from \w+: (.*)",
         lambda m: f"hồ sơ {m[1]} đang ở trạng thái {state(m[2])}: không thể chuyển sang {state(m[3])}; từ trạng "
         f"thái này chỉ chuyển được sang: {states(m[4])}"),
        (r"dossier (\S+) becomes (\w+) through (.+), not by hand",
         lambda m: f"hồ sơ {m[1]} chuyển sang {state(m[2])} qua bước nghiệp vụ riêng ({m[3]}), không chuyển tay"),
        (r"(.+) is registered in the (\d{4}) round already",
         lambda m: f"sản phẩm {m[1]} đã đăng ký trong đợt xét chọn năm {m[2]}"),
        (r"the (\d{4}) round has a dossier numbered (\S+) already",
         lambda m: f"đợt xét chọn năm {m[1]} đã có hồ sơ số {m[2]}"),
        (r"no dossier (.+) in the (\d{4}) round", lambda m: f"không có hồ sơ {m[1]} trong đợt xét chọn năm {m[2]}"),
        (r"dossier (\S+) was changed by someone else \(version (\d+), you edited version (\d+)\); reload it and apply "
         r"your change again", lambda m: f"hồ sơ {m[1]} vừa được người khác sửa (phiên bản {m[2]}, bạn sửa phiên bản "
         f"{m[3]}); hãy tải lại và sửa lại"),
        (r"dossier (\S+) is (\w+): only a draft can be edited",
         lambda m: f"hồ sơ {m[1]} đang ở trạng thái {state(m[2])}: chỉ sửa được hồ sơ nháp"),
        # rounds
        (r"no (\S+) round for (\d{4}); create it first", lambda m: f"chưa có đợt xét chọn năm {m[2]}; hãy tạo trước"),
        (r"year must be a whole year between 1990 and 2200, not (.*)", lambda m: f"năm phải từ 1990 đến 2200, không "
         f"phải {m[1]}"),
        (r"comment days must be a whole number from 1 to 366, not (.*)",
         lambda m: f"số ngày nhận ý kiến phải là số nguyên từ 1 đến 366, không phải {m[1]}"),
        (r"no criteria set of (\S+) covers (\d{4}): install or write one first",
         lambda m: f"không có bộ tiêu chí nào áp dụng cho năm {m[2]}: hãy cài đặt hoặc soạn bộ tiêu chí trước"),
        (r"the (\S+) round for (\d{4}) exists already", lambda m: f"đợt xét chọn năm {m[2]} đã có"),
        (r"the criteria sets of the (\d{4}) round are locked: council scoring started on (.+)",
         lambda m: f"bộ tiêu chí của đợt xét chọn năm {m[1]} đã khóa: hội đồng bắt đầu chấm điểm lúc {m[2]}"),
        (r"(\S+) is a (\S+) set for (\S+) products, not for (\S+) (\S+)",
         lambda m: f"{m[1]} là bộ tiêu chí cho nhóm {group(m[3])}, không dùng được cho nhóm {group(m[5])}"),
        (r"(\S+) covers (\S+), not (\d{4})", lambda m: f"{m[1]} áp dụng cho các năm {m[2]}, không cho năm {m[3]}"),
        (r"the (\d{4}) round has no criteria set for (\S+) products",
         lambda m: f"đợt xét chọn năm {m[1]} chưa có bộ tiêu chí cho nhóm {group(m[2])}"),
        (r"the installed (\S+) differs from the one the round chose \(content hash (\S+), installed (\S+)\); .*",
         lambda m: f"bộ tiêu chí {m[1]} đang cài khác với bộ đợt xét chọn đã chọn (mã băm {m[2]}, đang cài {m[3]}); "
         "hãy cài lại đúng phiên bản plugin, hoặc chọn lại bộ tiêu chí trước khi chấm điểm"),
        (r"council scoring of the (\d{4}) round cannot open: screen every submitted dossier and compute the "
         r"preliminary scores of every eligible one first \((.*)\)",
         lambda m: f"chưa mở được bước hội đồng chấm điểm của đợt xét chọn năm {m[1]}: cần thẩm định mọi hồ sơ đã "
         f"nộp và tính điểm sơ bộ của mọi hồ sơ đủ điều kiện trước ({m[2]})"),
        (r"(\d+) (\S+) dossiers of the (\d{4}) round were screened on the current set; switching now would leave "
         r"their checks and preliminary scores on another set",
         lambda m: f"{m[1]} hồ sơ nhóm {group(m[2])} của đợt xét chọn năm {m[3]} đã được thẩm định theo bộ tiêu chí "
         "hiện hành; đổi bộ lúc này thì kết quả thẩm định và điểm sơ bộ của chúng sẽ theo một bộ khác"),
        (r"(\d+) submitted (\S+) dossiers do not meet (\S+): (.*); return them to draft and complete them first, or "
         r"keep the current set",
         lambda m: f"{m[1]} hồ sơ nhóm {group(m[2])} đã nộp chưa đáp ứng bộ {m[3]}: {m[4]}; hãy trả các hồ sơ này về "
         "bản nháp và bổ sung trước, hoặc giữ bộ tiêu chí hiện hành"),
        # council and scoring (spcncl_core.services.scoring)
        (r"role must be one of (.*), not (.*)", lambda m: f"vai trò phải là một trong: {m[1]}; không phải {m[2]}"),
        (r"the (\d{4}) council has a member (\S+) already", lambda m: f"hội đồng năm {m[1]} đã có thành viên {m[2]}"),
        (r"no council member (\S+) in the (\d{4}) round",
         lambda m: f"không có thành viên hội đồng {m[1]} trong đợt xét chọn năm {m[2]}"),
        (r"(.+) is not on the (\d{4}) council", lambda m: f"{m[1]} không thuộc hội đồng năm {m[2]}"),
        (r"(.+) declared a conflict with dossier (\S+) and cannot score it",
         lambda m: f"{m[1]} đã kê khai xung đột lợi ích với hồ sơ {m[2]} nên không chấm hồ sơ này"),
        (r"(.+) is a non-voting member of the council and does not score",
         lambda m: f"{m[1]} là thành viên không có quyền chấm điểm"),
        (r"dossier (\S+) is (\w+): it is not open for council scoring",
         lambda m: f"hồ sơ {m[1]} đang ở trạng thái {state(m[2])}: không mở để hội đồng chấm"),
        (r"(\S+) is not assigned (\S+) of (\S+)",
         lambda m: f"{m[1]} không được phân công tiêu chí {m[2]} của bộ {m[3]}"),
        (r"(\S+) has already given points for (.+): a scored criterion is not taken away",
         lambda m: f"{m[1]} đã cho điểm {m[2].replace(' on dossier ', ' ở hồ sơ ')}: tiêu chí đã chấm thì không rút "
         "khỏi phân công"),
        (r"name at least one criterion to take away", lambda m: "hãy chọn ít nhất một tiêu chí cần rút"),
        # documents received (spcncl_core.services.documents)
        (r"'(.+)' is not a kind of document of the (\S+) checklist; kinds: (.*)",
         lambda m: f"'{m[1]}' không phải loại tài liệu trong danh mục của {m[2]}; các loại: {m[3]}"),
        (r"the day the document was received \((\S+)\) is after today(.*)",
         lambda m: f"ngày nhận tài liệu ({m[1]}) sau ngày hôm nay"),
        (r"dossier (\S+) has no recorded document (\S+)",
         lambda m: f"hồ sơ {m[1]} không có tài liệu đã ghi nhận số {m[2]}"),
        (r"(.+) is assigned no criterion of dossier (\S+)",
         lambda m: f"{m[1]} không được phân công chấm tiêu chí nào của hồ sơ {m[2]}"),
        (r"(.+)'s form for dossier (\S+) was submitted and is locked",
         lambda m: f"phiếu chấm hồ sơ {m[2]} của {m[1]} đã nộp và đã khóa"),
        (r"(.+)'s form for dossier (\S+) was submitted already",
         lambda m: f"phiếu chấm hồ sơ {m[2]} của {m[1]} đã nộp"),
        (r"the form for dossier (\S+) was changed elsewhere \(version (\d+), you edited version (\d+)\); reload it "
         r"and enter your scores again",
         lambda m: f"phiếu chấm hồ sơ {m[1]} vừa được sửa ở nơi khác (phiên bản {m[2]}, bạn sửa phiên bản {m[3]}); "
         "hãy tải lại và nhập lại điểm"),
        (r"the form for dossier (\S+) lacks scores for (.*)",
         lambda m: f"phiếu chấm hồ sơ {m[1]} còn thiếu điểm: {m[2]}"),
        (r"scoring cannot close: (\d+) criteria of eligible dossiers have no submitted scoring form \((.*)\); the "
         r"members assigned them must score and submit their forms \(or assign more members\)",
         lambda m: f"chưa kết thúc được bước chấm điểm: {m[1]} tiêu chí của các hồ sơ đủ điều kiện chưa có phiếu chấm "
         f"đã nộp ({m[2]}); các thành viên được phân công cần chấm và nộp phiếu (hoặc phân công thêm thành viên)"),
        (r"name the dossiers to re-score", lambda m: "hãy nêu các hồ sơ cần chấm lại"),
        (r"member (\S+) must be linked to an active account with the role council; (\S+) is (.*)",
         lambda m: f"thành viên {m[1]} phải gắn với một tài khoản đang hoạt động có vai trò thành viên hội đồng; "
         f"{m[2]} có vai trò {m[3]}"),
        (r"(\S+) is linked to another member of the (\d{4}) council",
         lambda m: f"{m[1]} đã gắn với một thành viên khác của hội đồng năm {m[2]}"),
        (r"(\S+) has no criterion (\S+?)(;.*)?", lambda m: f"{m[1]} không có tiêu chí {m[2]}"),
        (r"dossier (\S+) is (\w+): only a published dossier is sent back for re-scoring",
         lambda m: f"hồ sơ {m[1]} đang ở trạng thái {state(m[2])}: chỉ hồ sơ đã công bố mới được chuyển chấm lại"),
        (r"(.+)'s form for dossier (\S+) could not be opened; try again",
         lambda m: f"chưa mở được phiếu chấm hồ sơ {m[2]} của {m[1]}; hãy thử lại"),
        # screening
        (r"dossier (\S+) has not been submitted", lambda m: f"hồ sơ {m[1]} chưa nộp"),
        (r"dossier (\S+) is (\w+): only a submitted dossier is screened",
         lambda m: f"hồ sơ {m[1]} đang ở trạng thái {state(m[2])}: chỉ thẩm định hồ sơ đã nộp"),
        (r"dossier (\S+) is (\w+): prerequisites can be overridden between screening and council scoring only",
         lambda m: f"hồ sơ {m[1]} đang ở trạng thái {state(m[2])}: chỉ ghi đè điều kiện tiên quyết được từ khi thẩm "
         "định đến trước khi hội đồng chấm"),
        (r"dossier (\S+) has no prerequisite (\S+)", lambda m: f"hồ sơ {m[1]} không có điều kiện tiên quyết {m[2]}"),
        (r"dossier (\S+) is (\w+): only an eligible dossier is scored",
         lambda m: f"hồ sơ {m[1]} đang ở trạng thái {state(m[2])}: chỉ chấm điểm hồ sơ đủ điều kiện"),
        (r"(\d+) dossiers of the (\d{4}) round were changed elsewhere while they were screened; roll back and screen "
         r"again", lambda m: f"{m[1]} hồ sơ của đợt xét chọn năm {m[2]} vừa được sửa ở nơi khác trong lúc thẩm định; "
         "hãy thẩm định lại"),
        # publication and comments
        (r"the (\d{4}) round has no results to publish: compute them first.*",
         lambda m: f"đợt xét chọn năm {m[1]} chưa có kết quả để công bố: hãy tổng hợp kết quả trước"),
        (r"the results of the (\d{4}) round are older than the last scoring \((.*)\): compute them again first.*",
         lambda m: f"kết quả của đợt xét chọn năm {m[1]} cũ hơn lần chấm điểm gần nhất ({m[2]}): hãy tổng hợp lại "
         "kết quả trước"),
        (r"the results of the (\d{4}) round have not been published",
         lambda m: f"kết quả của đợt xét chọn năm {m[1]} chưa công bố"),
        (r"comments on the (\d{4}) results were open from (\S+) to (\S+)",
         lambda m: f"thời hạn nhận ý kiến về kết quả năm {m[1]} là từ {m[2]} đến {m[3]}"),
        (r"dossier (\S+) is (\w+): comments are on published dossiers",
         lambda m: f"hồ sơ {m[1]} đang ở trạng thái {state(m[2])}: chỉ góp ý về hồ sơ đã công bố"),
        (r"comment (\d+) is resolved", lambda m: f"ý kiến {m[1]} đã được xử lý"),
        (r"comment (\d+) was resolved already \((\w+)\)", lambda m: f"ý kiến {m[1]} đã được xử lý"),
        (r"no explanation was requested for comment (\d+)", lambda m: f"chưa yêu cầu giải trình cho ý kiến {m[1]}"),
        (r"the comment window of the (\d{4}) results runs until (.+); it cannot be closed before",
         lambda m: f"thời hạn nhận ý kiến về kết quả năm {m[1]} kéo dài đến {m[2]}; chưa thể đóng trước thời điểm đó"),
        # recognition and certificates
        (r"a decision dated (\S+) falls inside the comment window, which runs until (\S+)",
         lambda m: f"quyết định ngày {m[1]} nằm trong thời hạn nhận ý kiến (đến {m[2]})"),
        (r"the (\d{4}) round has no published dossier to decide on",
         lambda m: f"đợt xét chọn năm {m[1]} không có hồ sơ đã công bố để ra quyết định"),
        (r"recognition is held: unresolved comments on (.*); resolve them first",
         lambda m: f"chưa công nhận được: còn ý kiến chưa xử lý về {m[1]}; hãy xử lý trước"),
        (r"a decision numbered (.+) is recorded already", lambda m: f"quyết định số {m[1]} đã được ghi nhận"),
        (r"dossiers (.+) have no result; compute the results again",
         lambda m: f"các hồ sơ {m[1]} chưa có kết quả; hãy tổng hợp lại kết quả"),
        (r"certificate (\S+) was revoked on (.+)", lambda m: f"giấy chứng nhận {m[1]} đã bị thu hồi lúc {m[2]}"),
        (r"certificate (\S+) expired on (\S+); an expired certificate is not revoked",
         lambda m: f"giấy chứng nhận {m[1]} đã hết hiệu lực ngày {m[2]}; không thu hồi giấy đã hết hiệu lực"),
        (r"no certificate numbered (.+)", lambda m: f"không có giấy chứng nhận số {m[1]}"),
        # users
        (r"a password needs at least (\d+) characters", lambda m: f"mật khẩu cần ít nhất {m[1]} ký tự"),
        (r"a password holds a NUL character or is longer than (\d+) characters",
         lambda m: f"mật khẩu chứa ký tự NUL hoặc dài quá {m[1]} ký tự"),
        (r"user (\S+) exists already", lambda m: f"người dùng {m[1]} đã có"),
        (r"an admin cannot take away their own admin role or deactivate themself",
         lambda m: "quản trị viên không thể tự bỏ vai trò quản trị hoặc tự khóa tài khoản của mình"),
        (r"the current password is not right", lambda m: "mật khẩu hiện tại không đúng"),
        (r"no user (\S+)", lambda m: f"không có người dùng {m[1]}"),
        (r"user (\S+) is inactive", lambda m: f"tài khoản {m[1]} đã bị khóa"),
    )
    for pattern, words in known:
        found = re.fullmatch(pattern, text, flags=re.S)
        if found:
            return words(found)
    return text

# the problems a check of a dossier's inputs finds (spcncl_core.engine.inputs), "inputs.<id>: <what is wrong>"
SUMMARIES = _subs(
    (r"^invalid dossier$", "hồ sơ không hợp lệ"),
    (r"^invalid input$", "dữ liệu không hợp lệ"),
    (r"^scores for dossier (\S+) refused$", r"điểm chấm hồ sơ \1 bị từ chối"),
    (r"^invalid criteria set$", "bộ tiêu chí không hợp lệ"),
    (r"^workbook refused; nothing was written$", "sổ Excel bị từ chối; chưa ghi gì"),
    (r"^registration refused; nothing was written$", "đăng ký bị từ chối; chưa ghi gì"),
    (r"^unreadable file$", "không đọc được tệp"),
)
PROBLEMS = _subs(
    (r"^required input is missing$", "bắt buộc, chưa nhập"),
    (r"^must be true or false, got (.*)$", r"phải là có hoặc không, không phải \1"),
    (r"^must be a number, got (.*)$", r"phải là một số, không phải \1"),
    (r"^must be a whole number, got (.*)$", r"phải là số nguyên, không phải \1"),
    (r"^must be ([≥≤]) (\S+), got (.*)$", r"phải \1 \2, không phải \3"),
    (r"^(.*) is not an option(?: \(did you mean (.*)\?\))?; options: (.*)$",
     r"\1 không phải một lựa chọn; các lựa chọn: \3"),
    (r"^must be a list of options \((.*)\), got (.*)$", r"phải là danh sách lựa chọn (\1), không phải \2"),
    (r"^must be a text, got (.*)$", r"phải là chữ, không phải \1"),
    (r"^must be between 0 and (\S+), got (.*)$", r"phải từ 0 đến \1, không phải \2"),
    (r"^must be in steps of (\S+), got (.*)$", r"phải theo bước \1 điểm, không phải \2"),
    (r"^must be a number of points, got (.*)$", r"phải là số điểm, không phải \1"),
    (r"^not assigned to (.+); assigned: (.*)$", r"\1 không được phân công chấm tiêu chí này; được phân công: \2"),
    (r"^unknown input(?: \(did you mean (.*)\?\))?; no criteria set of this jurisdiction declares it$",
     r"không có trong bộ tiêu chí nào của địa phương"),
)


def problem(text: str, labels: Mapping[str, str], options: Mapping[str, str]) -> str:
    """One problem of a dossier's inputs in Vietnamese ("Số năm sản xuất ổn định: phải ≥ 0, không phải -3"); its
    place may lead ("inputs.years_in_production: …", "book.xlsx: Hồ sơ!C5: years_in_production: …")."""
    parts = text.split(": ")
    for n in range(len(parts) - 1, 0, -1):  # the innermost "<field>: <what is wrong>" whose shape is known
        what = ": ".join(parts[n:])
        said = apply(PROBLEMS, what)
        if said != what:
            field = parts[n - 1].removeprefix("inputs.").removeprefix("self_assessment.")
            return ": ".join([*parts[:n - 1], labels.get(field, field), labelled(said, options, {})])
    return text


# a criteria-set diff (spcncl_core.criteria.diff): its fields, and values it wrote as text
DIFF_FIELDS = {
    "title": "tiêu đề", "jurisdiction": "địa phương", "years": "các năm", "product_group": "nhóm sản phẩm",
    "provenance": "nguồn gốc", "official_parts": "phần chính thức", "legal_basis": "căn cứ pháp lý",
    "notes": "ghi chú", "total_points": "tổng điểm", "pass": "ngưỡng đạt", "classes": "các hạng", "top": "Top",
    "tie_breaks": "phân định khi bằng điểm", "aggregation": "cách tổng hợp điểm hội đồng", "rounding": "làm tròn",
    "score_step": "bước điểm", "recognition_years": "số năm công nhận", "comment_days": "số ngày nhận ý kiến",
    "type": "kiểu", "unit": "đơn vị", "label": "nhãn", "min": "tối thiểu", "max": "tối đa", "options": "lựa chọn",
    "required": "bắt buộc", "function": "hàm", "rule": "quy tắc", "parent": "nhóm cha", "max_points": "điểm tối đa",
    "cap": "giới hạn ở điểm tối đa", "group": "nhóm", "when_undefined": "điểm khi không xác định",
}
TYPES = {"boolean": "có/không", "integer": "số nguyên", "number": "số", "percent": "tỷ lệ %", "choice": "một lựa chọn",
         "set": "nhiều lựa chọn", "text": "chữ"}
AGGREGATIONS = {"mean-of-assigned": "trung bình của các thành viên chấm từng tiêu chí",
                "mean-of-totals": "trung bình tổng điểm của các thành viên",
                "trimmed-mean-of-totals": "trung bình tổng điểm, bỏ cao nhất và thấp nhất"}
_DIFF_KEYS = re.compile(r"; (?=(?:" + "|".join(DIFF_FIELDS) + r"): )")


def _vi_of(label: str) -> str:
    """The Vietnamese of a label the diff wrote as "en: …; vi: …" (else the label)."""
    found = re.search(r"(?:^|; )vi: (.*)$", label)
    return found[1] if found else label


def diff_value(field: str, value: str | None, *, engine_text: Callable[[str], str], group: Callable[[str], str],
               provenance: Callable[[str], str], options: Mapping[str, str]) -> Markup:
    """A value of a criteria-set diff in Vietnamese, as HTML: labels in their Vietnamese, rules as the engine's
    texts are said, codes in words (jurisdictions and functions as code); a removed or added item ("type: set;
    label: …; …") field by field."""
    if not value:
        return Markup("")
    if not field:  # a whole item, added or removed
        say = {"engine_text": engine_text, "group": group, "provenance": provenance, "options": options}
        return Markup("; ").join(Markup("{}: {}").format(DIFF_FIELDS.get(k, k), diff_value(k, v, **say))
                                 for k, _, v in (part.partition(": ") for part in _DIFF_KEYS.split(value)))
    if field in ("jurisdiction", "function"):
        return Markup("<code>{}</code>").format(value)
    return escape(_diff_text(field, value, engine_text, group, provenance, options))


def _diff_text(field: str, value: str, engine_text: Callable[[str], str], group: Callable[[str], str],
               provenance: Callable[[str], str], options: Mapping[str, str]) -> str:
    if field == "options":
        return ", ".join(options.get(code, code) for code in value.split(", "))
    if field in ("title", "label", "notes"):
        return _vi_of(value)
    if field in ("rule", "pass"):
        return engine_text(value)
    if field in ("required", "cap"):
        return {"True": "có", "False": "không"}.get(value, value)
    if field == "type":
        return TYPES.get(value, value)
    if field == "product_group":
        return group(value)
    if field == "provenance":
        return provenance(value)
    if field == "aggregation":
        return AGGREGATIONS.get(value, value)
    if field == "tie_breaks":
        return ", ".join("nộp hồ sơ sớm hơn" if t == "earlier submission" else
                         re.sub(r"^subtotal (.+)$", r"điểm nhóm \1 cao hơn", t) for t in value.split(", "))
    if field == "rounding":
        return apply(_subs(
            (r"^(\d+) digits, half up, at the total$", r"\1 chữ số thập phân, làm tròn nửa lên, ở tổng điểm"),
            (r"^(\d+) digits, half up, at the criterion$", r"\1 chữ số thập phân, làm tròn nửa lên, ở từng tiêu chí"),
        ), value)
    if field == "classes":
        return "; ".join(re.sub(r"^(\S+) (\S+) (\S+)( recognised)? \((.*)\)$",
                                lambda m: f"{_vi_of(m[5])} {m[2]} {m[3]}{' (được công nhận)' if m[4] else ''}", c)
                         for c in re.split(r"(?<=\)); ", value))
    if value == "None":
        return "—"
    return value



__all__ = ["AGGREGATIONS", "AUDIT_KEYS", "DIFF_FIELDS", "ENGINE", "ENTITIES", "FIELDS", "GROUPS", "MEMBER_ROLES",
           "ORIGINS", "PROBLEMS", "SUMMARIES", "TYPES", "apply", "diff_value", "engine", "labelled", "numbers",
           "problem", "reason", "service"]

"""The six AQI categories of each method: names, colours and health advice.

* VN_AQI: Decision 1459/QĐ-TCMT, Table 1 (index ranges, names, RGB colours) and
  Tables 4-5 (health effects and recommended activities for ordinary and sensitive
  people; Table 4 names the elderly, children and people with respiratory or heart
  disease as sensitive).
* US EPA: TAD EPA-454/B-24-002, Table 1 (names) and Table 2 (standard RGB colours);
  above 500 ("Beyond the AQI") the Hazardous category applies.

The advice texts are this module's own short summaries of that guidance, not the
documents' wording; the Korean names and advice are this module's translations (neither
document has a Korean version).
"""

from __future__ import annotations

from dataclasses import dataclass

from vkc.errors import InputError


@dataclass(frozen=True)
class Category:
    """One category: index range, names, colour and advice for ordinary and for sensitive people."""

    low: int
    high: int
    vi: str
    en: str
    ko: str
    rgb: tuple[int, int, int]
    general: tuple[str, str, str]  # (vi, en, ko)
    sensitive: tuple[str, str, str]  # (vi, en, ko)

    @property
    def color(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


_STAY_IN = (
    "Mọi người nên ở trong nhà, đóng kín cửa; nếu buộc phải ra ngoài, hãy đeo khẩu trang đạt chuẩn.",
    "Everyone should stay indoors with doors and windows shut; wear a certified mask if going out cannot be avoided.",
    "모두 문과 창문을 닫고 실내에 머무르십시오. 외출이 불가피하면 인증된 마스크를 쓰십시오.",
)

VN_CATEGORIES = (
    Category(
        0,
        50,
        "Tốt",
        "Good",
        "좋음",
        (0, 228, 0),
        ("Không khí tốt: có thể hoạt động ngoài trời bình thường.", "Air is clean: outdoor activities are fine.", "공기가 깨끗합니다. 야외 활동에 문제가 없습니다."),
        ("Có thể hoạt động ngoài trời bình thường.", "Outdoor activities are fine.", "야외 활동에 문제가 없습니다."),
    ),
    Category(
        51,
        100,
        "Trung bình",
        "Moderate",
        "보통",
        (255, 255, 0),
        ("Có thể hoạt động ngoài trời bình thường.", "Outdoor activities are fine.", "야외 활동에 문제가 없습니다."),
        (
            "Vẫn có thể ra ngoài, nhưng hãy để ý các dấu hiệu như ho hay khó thở.",
            "You can still be active outdoors; watch for coughing or shortness of breath.",
            "야외 활동은 할 수 있지만 기침이나 숨가쁨이 있는지 살피십시오.",
        ),
    ),
    Category(
        101,
        150,
        "Kém",
        "Poor",
        "약간 나쁨",
        (255, 126, 0),
        (
            "Nếu thấy cay mắt, ho hay rát họng, hãy bớt thời gian ở ngoài trời; học sinh vẫn ra ngoài được nhưng nên tránh vận động kéo dài.",
            "If your eyes sting or you cough or have a sore throat, spend less time outdoors; pupils may go out but should avoid long exercise.",
            "눈이 따갑거나 기침, 목 따가움이 있으면 야외에 있는 시간을 줄이십시오. 학생은 밖에 나가도 되지만 오래 운동하지 않는 것이 좋습니다.",
        ),
        (
            "Giảm vận động mạnh và rút ngắn thời gian ở ngoài trời; người bị hen có thể cần dùng thuốc thường xuyên hơn.",
            "Cut down strenuous activity and time outdoors; people with asthma may need their medication more often.",
            "격한 활동과 야외 시간을 줄이십시오. 천식이 있는 사람은 약을 더 자주 써야 할 수 있습니다.",
        ),
    ),
    Category(
        151,
        200,
        "Xấu",
        "Bad",
        "나쁨",
        (255, 0, 0),
        (
            "Hạn chế vận động mạnh ngoài trời, tránh tập luyện lâu và nghỉ ngơi trong nhà nhiều hơn.",
            "Limit strenuous outdoor activity, skip long workouts and rest indoors more.",
            "격한 야외 활동을 삼가고 오래 운동하지 말며 실내에서 더 쉬십시오.",
        ),
        (
            "Ở trong nhà và chỉ vận động nhẹ; nếu phải ra ngoài, hãy đeo khẩu trang đạt chuẩn.",
            "Stay indoors and keep activity light; wear a certified mask if you must go out.",
            "실내에 머무르며 가볍게만 활동하십시오. 꼭 나가야 하면 인증된 마스크를 쓰십시오.",
        ),
    ),
    Category(
        201,
        300,
        "Rất xấu",
        "Very bad",
        "매우 나쁨",
        (143, 63, 151),
        (
            "Chuyển mọi hoạt động vào trong nhà; chỉ ra ngoài khi thật cần và đeo khẩu trang đạt chuẩn.",
            "Move all activities indoors; go out only when necessary, wearing a certified mask.",
            "모든 활동을 실내로 옮기십시오. 꼭 필요할 때만 인증된 마스크를 쓰고 나가십시오.",
        ),
        ("Ở trong nhà và tránh mọi hoạt động gắng sức.", "Stay indoors and avoid any exertion.", "실내에 머무르며 힘든 활동은 모두 피하십시오."),
    ),
    Category(301, 500, "Nguy hại", "Hazardous", "위험", (126, 0, 35), _STAY_IN, _STAY_IN),
)

US_CATEGORIES = (
    Category(
        0,
        50,
        "Tốt",
        "Good",
        "좋음",
        (0, 228, 0),
        ("Thời điểm tốt để hoạt động ngoài trời.", "A good time to be active outdoors.", "야외 활동하기 좋은 때입니다."),
        ("Thời điểm tốt để hoạt động ngoài trời.", "A good time to be active outdoors.", "야외 활동하기 좋은 때입니다."),
    ),
    Category(
        51,
        100,
        "Trung bình",
        "Moderate",
        "보통",
        (255, 255, 0),
        ("Phù hợp với hầu hết mọi người.", "Fine for most people.", "대부분의 사람에게 괜찮습니다."),
        (
            "Người đặc biệt nhạy cảm nên cân nhắc vận động ngoài trời nhẹ hơn hoặc ngắn hơn.",
            "If you are unusually sensitive, consider lighter or shorter outdoor exertion.",
            "특히 민감한 사람은 야외 활동을 가볍게 하거나 짧게 하는 것을 고려하십시오.",
        ),
    ),
    Category(
        101,
        150,
        "Không tốt cho nhóm nhạy cảm",
        "Unhealthy for Sensitive Groups",
        "민감군에 나쁨",
        (255, 126, 0),
        ("Phù hợp với hầu hết mọi người.", "Fine for most people.", "대부분의 사람에게 괜찮습니다."),
        (
            "Giảm cường độ hoặc thời gian vận động ngoài trời và nghỉ giải lao nhiều hơn.",
            "Make outdoor exertion lighter or shorter and take more breaks.",
            "야외 활동을 가볍게 하거나 짧게 하고 더 자주 쉬십시오.",
        ),
    ),
    Category(
        151,
        200,
        "Không tốt cho sức khỏe",
        "Unhealthy",
        "나쁨",
        (255, 0, 0),
        (
            "Giảm vận động nặng hoặc kéo dài ngoài trời và nghỉ giải lao thường xuyên.",
            "Cut back on long or heavy outdoor exertion and take frequent breaks.",
            "오래 걸리거나 힘든 야외 활동을 줄이고 자주 쉬십시오.",
        ),
        (
            "Tránh vận động nặng hoặc kéo dài; chuyển hoạt động vào trong nhà hoặc dời lịch.",
            "Avoid long or heavy exertion; move activities indoors or reschedule them.",
            "오래 걸리거나 힘든 활동을 피하고 실내로 옮기거나 일정을 미루십시오.",
        ),
    ),
    Category(
        201,
        300,
        "Rất không tốt cho sức khỏe",
        "Very Unhealthy",
        "매우 나쁨",
        (143, 63, 151),
        (
            "Tránh vận động nặng hoặc kéo dài ngoài trời; nên chuyển hoạt động vào trong nhà.",
            "Avoid long or heavy outdoor exertion; consider moving activities indoors.",
            "오래 걸리거나 힘든 야외 활동을 피하고 실내로 옮기는 것을 고려하십시오.",
        ),
        ("Tránh mọi hoạt động thể chất ngoài trời và ở trong nhà.", "Avoid all outdoor physical activity and stay indoors.", "모든 야외 신체 활동을 피하고 실내에 머무르십시오."),
    ),
    Category(301, 500, "Nguy hại", "Hazardous", "위험", (126, 0, 35), _STAY_IN, _STAY_IN),
)

SENSITIVE_GROUPS = (
    "Người cao tuổi, trẻ em, người mắc bệnh hô hấp hoặc tim mạch.",
    "Older adults, children, and people with respiratory or heart disease.",
    "노인, 어린이, 호흡기 또는 심장 질환이 있는 사람.",
)

METHODS = {"vn": VN_CATEGORIES, "us": US_CATEGORIES}


def find(method: str, aqi: int) -> Category:
    """The category object of ``aqi`` for ``method`` ("vn" or "us"); above 500 the top (Hazardous) one."""
    table = METHODS.get(method)
    if table is None:
        raise InputError(f"method: must be one of {', '.join(METHODS)}, not {method!r}", field="method")
    if isinstance(aqi, bool) or not isinstance(aqi, int) or aqi < 0:
        raise InputError(f"aqi: must be a whole number of 0 or more, not {aqi!r}", field="aqi")
    for entry in table:
        if aqi <= entry.high:
            return entry
    return table[-1]


LANGUAGES = ("vi", "en", "ko")


def category(method: str, aqi: int) -> dict:
    """``{"vi", "en", "ko", "color"}`` of the category ``aqi`` falls in, colour as ``#RRGGBB``."""
    entry = find(method, aqi)
    return {"vi": entry.vi, "en": entry.en, "ko": entry.ko, "color": entry.color}


def advice(method: str, aqi: int) -> dict:
    """Health advice for ``aqi``: ``{"general": {"vi", "en", "ko"}, "sensitive": {…}, "sensitive_groups": {…}}``."""
    entry = find(method, aqi)
    return {
        "general": dict(zip(LANGUAGES, entry.general, strict=True)),
        "sensitive": dict(zip(LANGUAGES, entry.sensitive, strict=True)),
        "sensitive_groups": dict(zip(LANGUAGES, SENSITIVE_GROUPS, strict=True)),
    }

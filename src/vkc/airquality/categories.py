"""The six AQI categories of each method: names, colours and health advice.

* VN_AQI: Decision 1459/QĐ-TCMT, Table 1 (index ranges, names, RGB colours) and
  Tables 4-5 (health effects and recommended activities for ordinary and sensitive
  people; Table 4 names the elderly, children and people with respiratory or heart
  disease as sensitive).
* US EPA: TAD EPA-454/B-24-002, Table 1 (names) and Table 2 (standard RGB colours);
  above 500 ("Beyond the AQI") the Hazardous category applies.

The advice texts are this module's own short summaries of that guidance, not the
documents' wording.
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
    rgb: tuple[int, int, int]
    general: tuple[str, str]  # (vi, en)
    sensitive: tuple[str, str]  # (vi, en)

    @property
    def color(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


_STAY_IN = (
    "Mọi người nên ở trong nhà, đóng kín cửa; nếu buộc phải ra ngoài, hãy đeo khẩu trang đạt chuẩn.",
    "Everyone should stay indoors with doors and windows shut; wear a certified mask if going out cannot be avoided.",
)

VN_CATEGORIES = (
    Category(
        0,
        50,
        "Tốt",
        "Good",
        (0, 228, 0),
        ("Không khí tốt: có thể hoạt động ngoài trời bình thường.", "Air is clean: outdoor activities are fine."),
        ("Có thể hoạt động ngoài trời bình thường.", "Outdoor activities are fine."),
    ),
    Category(
        51,
        100,
        "Trung bình",
        "Moderate",
        (255, 255, 0),
        ("Có thể hoạt động ngoài trời bình thường.", "Outdoor activities are fine."),
        (
            "Vẫn có thể ra ngoài, nhưng hãy để ý các dấu hiệu như ho hay khó thở.",
            "You can still be active outdoors; watch for coughing or shortness of breath.",
        ),
    ),
    Category(
        101,
        150,
        "Kém",
        "Poor",
        (255, 126, 0),
        (
            "Nếu thấy cay mắt, ho hay rát họng, hãy bớt thời gian ở ngoài trời; học sinh vẫn ra ngoài được nhưng nên tránh vận động kéo dài.",
            "If your eyes sting or you cough or have a sore throat, spend less time outdoors; pupils may go out but should avoid long exercise.",
        ),
        (
            "Giảm vận động mạnh và rút ngắn thời gian ở ngoài trời; người bị hen có thể cần dùng thuốc thường xuyên hơn.",
            "Cut down strenuous activity and time outdoors; people with asthma may need their medication more often.",
        ),
    ),
    Category(
        151,
        200,
        "Xấu",
        "Bad",
        (255, 0, 0),
        (
            "Hạn chế vận động mạnh ngoài trời, tránh tập luyện lâu và nghỉ ngơi trong nhà nhiều hơn.",
            "Limit strenuous outdoor activity, skip long workouts and rest indoors more.",
        ),
        (
            "Ở trong nhà và chỉ vận động nhẹ; nếu phải ra ngoài, hãy đeo khẩu trang đạt chuẩn.",
            "Stay indoors and keep activity light; wear a certified mask if you must go out.",
        ),
    ),
    Category(
        201,
        300,
        "Rất xấu",
        "Very bad",
        (143, 63, 151),
        (
            "Chuyển mọi hoạt động vào trong nhà; chỉ ra ngoài khi thật cần và đeo khẩu trang đạt chuẩn.",
            "Move all activities indoors; go out only when necessary, wearing a certified mask.",
        ),
        ("Ở trong nhà và tránh mọi hoạt động gắng sức.", "Stay indoors and avoid any exertion."),
    ),
    Category(301, 500, "Nguy hại", "Hazardous", (126, 0, 35), _STAY_IN, _STAY_IN),
)

US_CATEGORIES = (
    Category(
        0,
        50,
        "Tốt",
        "Good",
        (0, 228, 0),
        ("Thời điểm tốt để hoạt động ngoài trời.", "A good time to be active outdoors."),
        ("Thời điểm tốt để hoạt động ngoài trời.", "A good time to be active outdoors."),
    ),
    Category(
        51,
        100,
        "Trung bình",
        "Moderate",
        (255, 255, 0),
        ("Phù hợp với hầu hết mọi người.", "Fine for most people."),
        (
            "Người đặc biệt nhạy cảm nên cân nhắc vận động ngoài trời nhẹ hơn hoặc ngắn hơn.",
            "If you are unusually sensitive, consider lighter or shorter outdoor exertion.",
        ),
    ),
    Category(
        101,
        150,
        "Không tốt cho nhóm nhạy cảm",
        "Unhealthy for Sensitive Groups",
        (255, 126, 0),
        ("Phù hợp với hầu hết mọi người.", "Fine for most people."),
        (
            "Giảm cường độ hoặc thời gian vận động ngoài trời và nghỉ giải lao nhiều hơn.",
            "Make outdoor exertion lighter or shorter and take more breaks.",
        ),
    ),
    Category(
        151,
        200,
        "Không tốt cho sức khỏe",
        "Unhealthy",
        (255, 0, 0),
        (
            "Giảm vận động nặng hoặc kéo dài ngoài trời và nghỉ giải lao thường xuyên.",
            "Cut back on long or heavy outdoor exertion and take frequent breaks.",
        ),
        (
            "Tránh vận động nặng hoặc kéo dài; chuyển hoạt động vào trong nhà hoặc dời lịch.",
            "Avoid long or heavy exertion; move activities indoors or reschedule them.",
        ),
    ),
    Category(
        201,
        300,
        "Rất không tốt cho sức khỏe",
        "Very Unhealthy",
        (143, 63, 151),
        (
            "Tránh vận động nặng hoặc kéo dài ngoài trời; nên chuyển hoạt động vào trong nhà.",
            "Avoid long or heavy outdoor exertion; consider moving activities indoors.",
        ),
        ("Tránh mọi hoạt động thể chất ngoài trời và ở trong nhà.", "Avoid all outdoor physical activity and stay indoors."),
    ),
    Category(301, 500, "Nguy hại", "Hazardous", (126, 0, 35), _STAY_IN, _STAY_IN),
)

SENSITIVE_GROUPS = (
    "Người cao tuổi, trẻ em, người mắc bệnh hô hấp hoặc tim mạch.",
    "Older adults, children, and people with respiratory or heart disease.",
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


def category(method: str, aqi: int) -> dict:
    """``{"vi", "en", "color"}`` of the category ``aqi`` falls in, colour as ``#RRGGBB``."""
    entry = find(method, aqi)
    return {"vi": entry.vi, "en": entry.en, "color": entry.color}


def advice(method: str, aqi: int) -> dict:
    """Health advice for ``aqi``: ``{"general": {"vi", "en"}, "sensitive": {"vi", "en"}, "sensitive_groups": {"vi", "en"}}``."""
    entry = find(method, aqi)
    return {
        "general": {"vi": entry.general[0], "en": entry.general[1]},
        "sensitive": {"vi": entry.sensitive[0], "en": entry.sensitive[1]},
        "sensitive_groups": {"vi": SENSITIVE_GROUPS[0], "en": SENSITIVE_GROUPS[1]},
    }

"""Bar charts drawn on the server as inline SVG: no script, no outside asset.

The page's Content-Security-Policy allows only the site's own scripts and styles, and
an inline `style` attribute is refused; so the geometry is worked out here and written
as SVG attributes (x, y, width, height), colours come from classes in
`reports/reports.css`. The SVG scales with its `viewBox`, so a chart fits a phone's
width; every chart is followed by its numbers as a table for screen readers and print.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Horizontal bar chart geometry, in viewBox units.
WIDTH = 360
LABEL_WIDTH = 112
VALUE_WIDTH = 40
ROW_HEIGHT = 26
BAR_HEIGHT = 16
LABEL_CHARACTERS = 8  # a longer label is cut and shown whole in the bar's tooltip

# The monthly trend's geometry.
TREND_WIDTH = 360
TREND_HEIGHT = 180
TREND_TOP = 16
TREND_BOTTOM = 24
TREND_LEFT = 28


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    href: str = ""
    highlight: bool = False
    css_class: str = ""  # e.g. "chart__bar--red" for the light chart


@dataclass(frozen=True)
class DrawnBar:
    bar: Bar
    short_label: str
    y: int  # top of the row
    bar_y: int
    text_y: int
    width: int
    value_x: int


@dataclass
class BarChart:
    key: str
    title: str
    definition: str
    bars: list[Bar]
    empty_text: str = ""

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def has_highlight(self) -> bool:
        return any(bar.highlight for bar in self.bars)

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * ROW_HEIGHT

    @property
    def view_box(self) -> str:
        return f"0 0 {WIDTH} {self.height}"

    @property
    def label_x(self) -> int:
        return LABEL_WIDTH - 6

    @property
    def bar_x(self) -> int:
        return LABEL_WIDTH

    def drawn(self) -> list[DrawnBar]:
        largest = max((bar.value for bar in self.bars), default=0)
        room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
        rows = []
        for index, bar in enumerate(self.bars):
            width = round(room * bar.value / largest) if largest else 0
            if bar.value and width < 2:
                width = 2  # a non-zero value is never invisible
            top = index * ROW_HEIGHT
            label = bar.label
            if len(label) > LABEL_CHARACTERS:
                label = label[: LABEL_CHARACTERS - 1] + "…"
            rows.append(
                DrawnBar(
                    bar=bar,
                    short_label=label,
                    y=top,
                    bar_y=top + (ROW_HEIGHT - BAR_HEIGHT) // 2,
                    text_y=top + ROW_HEIGHT // 2 + 5,
                    width=width,
                    value_x=LABEL_WIDTH + width + 4,
                )
            )
        return rows


@dataclass(frozen=True)
class TrendBar:
    x: int
    y: int
    width: int
    height: int
    value: int
    css_class: str


@dataclass
class TrendChart:
    """Items established and completed in each month of a year: two bars a month."""

    title: str
    definition: str
    established: list[int]  # 12 values, January first
    completed: list[int]
    established_label: str
    completed_label: str
    month_labels: list[str] = field(default_factory=list)

    view_box = f"0 0 {TREND_WIDTH} {TREND_HEIGHT}"
    axis_y = TREND_HEIGHT - TREND_BOTTOM
    axis_x = TREND_LEFT
    axis_end = TREND_WIDTH

    @property
    def largest(self) -> int:
        return max([*self.established, *self.completed, 0])

    @property
    def slot(self) -> float:
        return (TREND_WIDTH - TREND_LEFT) / 12

    def months(self) -> list[dict[str, object]]:
        largest = self.largest or 1
        room = TREND_HEIGHT - TREND_TOP - TREND_BOTTOM
        bar_width = int(self.slot * 0.36)
        rows: list[dict[str, object]] = []
        for index in range(12):
            left = TREND_LEFT + self.slot * index
            bars = []
            for offset, value, css in (
                (0, self.established[index], "chart__bar--established"),
                (1, self.completed[index], "chart__bar--completed"),
            ):
                height = round(room * value / largest)
                if value and height < 2:
                    height = 2
                bars.append(
                    TrendBar(
                        x=round(left + self.slot * 0.12 + offset * bar_width),
                        y=self.axis_y - height,
                        width=bar_width,
                        height=height,
                        value=value,
                        css_class=css,
                    )
                )
            rows.append(
                {
                    "number": index + 1,
                    "label": self.month_labels[index] if self.month_labels else str(index + 1),
                    "label_x": round(left + self.slot / 2),
                    "bars": bars,
                    "established": self.established[index],
                    "completed": self.completed[index],
                }
            )
        return rows

    @property
    def top_label(self) -> int:
        return self.largest

    @property
    def top_y(self) -> int:
        return TREND_TOP + 4

"""The streaming XLSX writer, read back with openpyxl (which warns about malformed parts,
and warnings fail the tests)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from webapp import xlsx


def test_sheets_cells_styles_and_properties():
    book = xlsx.Workbook("Rapport: Grön omställning", datetime(2026, 3, 1, 12, 30, tzinfo=UTC))
    book.add_sheet(
        "Deltagare [alla]: 2026/03",
        ["Namn", "Timmar", "Anteckning"],
        [
            ["Anna & Bo <AB>", 2.5, '=HYPERLINK("http://evil")'],
            ["Ctrl\x01\x0bchars", 3, ""],
            ["  leading spaces", None, "x" * 500],
        ],
        widths=(30, 8),
    )
    book.add_sheet("Deltagare [alla]: 2026/03", ["A"], [])
    wb = load_workbook(io.BytesIO(book.close()))
    assert wb.sheetnames == ["Deltagare alla 202603", "Deltagare alla 202603 2"]
    sheet = wb.worksheets[0]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Namn", "Timmar", "Anteckning"],
        ["Anna & Bo <AB>", 2.5, '=HYPERLINK("http://evil")'],
        ["Ctrlchars", 3, None],
        ["  leading spaces", None, "x" * 500],
    ]
    assert sheet["C2"].data_type == "s"  # text, never a formula
    assert sheet["A1"].font.bold and not sheet["A2"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 30
    assert wb.properties.title == "Rapport: Grön omställning"
    assert wb.properties.created == datetime(2026, 3, 1, 12, 30)


def test_many_rows_and_wide_rows():
    book = xlsx.Workbook()
    book.add_sheet("Rows", [f"c{i}" for i in range(30)], ([i] * 30 for i in range(2_000)))
    sheet = load_workbook(io.BytesIO(book.close()), read_only=True)["Rows"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2_001
    assert rows[0][27] == "c27" and rows[-1] == (1_999,) * 30

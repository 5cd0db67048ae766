"""Cells for spreadsheets and CSV files that leave the app.

A spreadsheet program runs a cell that starts with "=", "+", "-" or "@" as a formula (and tab or carriage
return can hide one), so a name typed into a public form could become a live `=HYPERLINK(...)` on a
coordinator's screen. Every export writes its cells through `safe_cell`, which puts a quote in front of such
a value: the spreadsheet then shows the text as typed and never runs it.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as a spreadsheet shows it harmlessly: text starting like a formula is quoted; numbers,
    dates and None pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values) -> list:
    return [safe_cell(v) for v in values]

"""Documents the office hands out and files away: circulars (通报, R-K4) and archive
volumes (立卷归档, R-K2) with a printable PDF dossier per archived item.

- `figures`: the circular's per-unit figures and overdue list, set-based SQL through
  the visibility rule (R-C5).
- `actions`: `generate_circular` (numbers a circular, audits each generation) and
  `file_volume` (moves a year's closed items to archived, audited). The only code
  here that writes.
- `circulars`: the circular's content (title, number, summary, figures, overdue list),
  rendered by `word` (.docx, python-docx) and `pdf` (WeasyPrint over an HTML template).
- `dossiers`: an archived item's full record, and a volume's index, for `pdf`.

PDFs are rendered on demand, one per request (a dossier takes well under a second):
an archived item is read-only, so its dossier is the same at every download, and
nothing needs storing or a background job. A volume's index is one more PDF.
"""

"""The files a compliance report download answers: a one-page PDF (compliance reports, as the console's
are PDFs) and CSV (the other report types), optionally gzip-compressed. Pure functions over text rows.

The PDF is built by hand (no PDF library in the emulator's dependencies): one page of Helvetica text,
with a correct cross-reference table so PDF readers open it.
"""

from __future__ import annotations

import csv
import gzip
import io

PDF_LINES_PER_PAGE = 52


def _pdf_text(text: str) -> str:
    """A PDF string literal's body: Latin-1 only (the standard font's encoding), delimiters escaped."""
    plain = text.encode("latin-1", "replace").decode("latin-1")
    return plain.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing `lines` (the first `PDF_LINES_PER_PAGE` of them)."""
    shown = " ".join(f"({_pdf_text(line)}) '" for line in lines[:PDF_LINES_PER_PAGE])
    content = f"BT /F1 11 Tf 50 790 Td 14 TL {shown} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def gzipped(data: bytes) -> bytes:
    """Deterministic gzip (no timestamp), so the same report gives the same bytes."""
    return gzip.compress(data, mtime=0)

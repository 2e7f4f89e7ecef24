"""A minimal writer of OLE2 compound files (the container of .doc/.xls/.ppt and of WPS
Office's .wps/.et/.dps), for tests: real files with the streams a test names, read back
by `olefile` exactly as Office or WPS files are.

Layout (version 3, 512-byte sectors): sector 0 holds the FAT, sector 1 the directory
(the root and up to three streams), then each stream's data, padded to the mini-stream
cutoff (4096 bytes) so it lives in regular sectors.
"""

from __future__ import annotations

import struct

SECTOR = 512
CUTOFF = 4096
FREE, END, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", NO_STREAM, right, child)
        + b"\x00" * 16  # CLSID
        + b"\x00" * 4  # state bits
        + b"\x00" * 16  # times
        + struct.pack("<IQ", start, size)
    )


def compound_file(streams: dict[str, bytes]) -> bytes:
    assert 1 <= len(streams) <= 3
    data = []
    fat = [FAT_SECTOR, END]
    entries = [b""]  # the root, written last
    next_sector = 2
    names = list(streams)
    for index, name in enumerate(names, start=1):
        content = streams[name].ljust(CUTOFF, b"\x00")
        count = -(-len(content) // SECTOR)
        content = content.ljust(count * SECTOR, b"\x00")
        data.append(content)
        fat.extend(range(next_sector + 1, next_sector + count))
        fat.append(END)
        right = index + 1 if index < len(names) else NO_STREAM
        # The size is that of the padded stream: below the cutoff it would be read from
        # the (absent) mini stream.
        size = max(len(streams[name]), CUTOFF)
        entries.append(_entry(name, 2, NO_STREAM, right, next_sector, size))
        next_sector += count
    entries[0] = _entry("Root Entry", 5, 1, NO_STREAM, END, 0)
    directory = b"".join(entries).ljust(SECTOR, b"\x00")
    assert len(fat) <= SECTOR // 4
    fat_sector = struct.pack(f"<{SECTOR // 4}I", *fat, *([FREE] * (SECTOR // 4 - len(fat))))
    header = (
        MAGIC
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, CUTOFF, END, 0, END, 0)
        + struct.pack("<109I", 0, *([FREE] * 108))
    )
    assert len(header) == SECTOR
    return header + fat_sector + directory + b"".join(data)


# What each Office or WPS binary format holds at its top level.
WORD_DOCUMENT = {"WordDocument": b"\xec\xa5" + b"\x00" * 100, "1Table": b"\x00" * 64}
WORKBOOK = {"Workbook": b"\x09\x08\x10\x00" + b"\x00" * 60}
PRESENTATION = {"PowerPoint Document": b"\x00" * 64, "Current User": b"\x00" * 32}

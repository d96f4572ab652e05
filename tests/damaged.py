"""Damaged files made on purpose, for the tests and bench/hostile.py."""

import struct
import zipfile

import numpy as np


def npz_with(path, digits, member: str, data: bytes, flags: int = 0, method: int = zipfile.ZIP_STORED):
    """An .npz of the synthetic digits whose ``member`` holds ``data``, its zip headers saying ``flags``
    (bit 0: encrypted) and compression ``method``."""
    np.savez(path, **digits)
    with zipfile.ZipFile(path) as archive:
        others = {name: archive.read(name) for name in archive.namelist() if name != member}
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in others.items():
            archive.writestr(name, content)
        archive.writestr(member, data)  # last: its two headers are the last of their kinds
    raw = bytearray(path.read_bytes())
    for signature, at_flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local, central header
        header = raw.rfind(signature)
        raw[header + at_flags : header + at_flags + 4] = struct.pack("<HH", flags, method)
    path.write_bytes(bytes(raw))
    return path

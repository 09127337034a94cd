"""What the streaming audit remembers across dossiers, in a few bytes per document.

Two cross-dossier checks need memory of dossiers already seen: the same file
(sha256) filed in two dossiers, and one ID number held by two different
people.  A Python dict of strings would cost ~200 bytes an entry; here each
entry is a 64-bit fingerprint and a 64-bit value in two flat ``array``s (an
open-addressing table), so 100,000 documents cost ~3 MB, and dossier keys are
kept as one UTF-8 buffer with offsets (~18 bytes a dossier).  A false match
between two different 64-bit fingerprints needs about 2^32 entries.
"""

from __future__ import annotations

import hashlib
import zlib
from array import array
from collections.abc import Callable


def fingerprint(text: str) -> int:
    """A non-zero 64-bit fingerprint of a string (zero marks an empty slot)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little") | 1


class CompactMap:
    """A map from non-zero 64-bit keys to 64-bit values; it only ever inserts."""

    def __init__(self, capacity: int = 1 << 12) -> None:
        self._keys = array("Q", bytes(8 * capacity))
        self._vals = array("Q", bytes(8 * capacity))
        self._mask = capacity - 1
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def setdefault(self, key: int, value: int) -> int:
        """Return the value stored for ``key``, storing ``value`` first if there is none."""
        keys, mask = self._keys, self._mask
        i = key & mask
        while True:
            k = keys[i]
            if k == key:
                return self._vals[i]
            if k == 0:
                keys[i] = key
                self._vals[i] = value
                self._n += 1
                if self._n * 3 > len(keys) * 2:
                    self._grow()
                return value
            i = (i + 1) & mask

    def get(self, key: int) -> int | None:
        """The value stored for ``key``, or None."""
        keys, mask = self._keys, self._mask
        i = key & mask
        while True:
            k = keys[i]
            if k == key:
                return self._vals[i]
            if k == 0:
                return None
            i = (i + 1) & mask

    def put(self, key: int, value: int) -> None:
        """Store ``value`` for ``key``, replacing any earlier value."""
        keys, mask = self._keys, self._mask
        i = key & mask
        while keys[i] not in (0, key):
            i = (i + 1) & mask
        if keys[i] == key:
            self._vals[i] = value
        else:
            self.setdefault(key, value)

    def _grow(self) -> None:
        old_keys, old_vals = self._keys, self._vals
        capacity = len(old_keys) * 2
        self._keys = array("Q", bytes(8 * capacity))
        self._vals = array("Q", bytes(8 * capacity))
        self._mask = capacity - 1
        self._n = 0
        for k, v in zip(old_keys, old_vals, strict=True):
            if k:
                self.setdefault(k, v)

    @property
    def nbytes(self) -> int:
        """Memory held by the table."""
        return len(self._keys) * 16


class CrossIndex:
    """File hashes and owner ID numbers seen so far, and the dossiers that held them.

    ``name_of(key, id_number)`` is called only when an ID number turns up again
    under a different name (rare), to fetch the earlier owner's name for the
    message; names are otherwise kept as 32-bit checksums.
    """

    def __init__(self, name_of: Callable[[str, str], str] | None = None) -> None:
        self._keybuf = bytearray()
        self._keyoff = array("I", [0])
        self.hashes = CompactMap()
        self.ids = CompactMap()
        self.record_ids = CompactMap(1 << 8)
        self._name_of = name_of

    def key(self, ordinal: int) -> str:
        """The dossier key with this ordinal."""
        return self._keybuf[self._keyoff[ordinal] : self._keyoff[ordinal + 1]].decode("utf-8")

    def ordinal(self, key: str) -> int:
        """The ordinal of a dossier key (appended when it is not the last one seen)."""
        last = len(self._keyoff) - 2
        if last >= 0 and self.key(last) == key:
            return last
        self._keybuf += key.encode("utf-8")
        self._keyoff.append(len(self._keybuf))
        return last + 1

    def seen_file(self, key: str, sha256: str) -> str | None:
        """Record a file hash for a dossier; return the other dossier that already holds it."""
        me = self.ordinal(key)
        other = self.hashes.setdefault(int(sha256[:16], 16) | 1, me)
        return self.key(other) if other != me else None

    def seen_id(self, key: str, id_number: str, name: str) -> tuple[str, str] | None:
        """Record an owner's ID number; return (other dossier, other name) if a different name holds it."""
        me = self.ordinal(key)
        crc = zlib.crc32(name.encode("utf-8"))
        value = self.ids.setdefault(fingerprint(id_number), me << 32 | crc)
        other, other_crc = value >> 32, value & 0xFFFFFFFF
        if other == me or other_crc == crc:
            return None
        other_key = self.key(other)
        other_name = self._name_of(other_key, id_number) if self._name_of else "(另一业主)"
        return other_key, other_name

    def seen_record_id(self, key: str, record_id: str) -> str | None:
        """Record a document or case id for a dossier (or project); return the other owner that already uses it."""
        me = self.ordinal(key)
        other = self.record_ids.setdefault(fingerprint(record_id), me)
        if other == me:
            return None
        other_key = self.key(other)
        return other_key if other_key != key else None

    @property
    def nbytes(self) -> int:
        """Approximate memory held (tables and key buffer)."""
        return self.hashes.nbytes + self.ids.nbytes + self.record_ids.nbytes + len(self._keybuf) + 4 * len(self._keyoff)

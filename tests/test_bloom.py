"""
Tests for L{isso_tx.bloom}: the voters filter must match Isso's bit for bit.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.bloom import FILTER_BYTES, VoterFilter, new_voters, probes


class ProbeTests(SynchronousTestCase):
    def test_vectors(self) -> None:
        """
        Each address maps to the same 11 bit positions as in Isso.
        """
        self.assertEqual(
            probes("127.0.0.0"),
            [142, 1559, 1687, 1944, 678, 139, 195, 413, 641, 1110, 1516],
        )
        self.assertEqual(
            probes("192.168.1.0"),
            [192, 1790, 751, 1682, 2026, 1934, 834, 485, 868, 891, 1286],
        )
        self.assertEqual(
            probes("10.0.0.0"),
            [1492, 1897, 1922, 1235, 659, 1645, 1445, 363, 140, 783, 536],
        )
        self.assertEqual(
            probes("1234:5678:90ab:0000:0000:0000:0000:0000"),
            [530, 2042, 758, 258, 147, 1199, 778, 2007, 82, 800, 579],
        )


class VoterFilterTests(SynchronousTestCase):
    def test_blob_layout(self) -> None:
        """
        A new comment by 127.0.0.0 stores exactly Isso's 256-byte BLOB.
        """
        blob = new_voters("127.0.0.0")
        self.assertEqual(len(blob), FILTER_BYTES)
        nonzero = {i: b for i, b in enumerate(blob) if b}
        self.assertEqual(
            nonzero,
            {17: 72, 24: 8, 51: 32, 80: 2, 84: 64, 138: 64, 189: 16, 194: 128,
             210: 128, 243: 1},
        )

    def test_membership(self) -> None:
        """
        An author cannot vote on their own comment; others can, once.
        """
        voters = VoterFilter(new_voters("127.0.0.0"))
        self.assertIn("127.0.0.0", voters)
        self.assertNotIn("10.0.0.0", voters)
        voters.add("10.0.0.0")
        self.assertIn("10.0.0.0", VoterFilter(voters.to_bytes()))

    def test_no_false_positives_among_neighbours(self) -> None:
        """
        After one vote, none of 256 neighbouring networks counts as voted.
        """
        voters = VoterFilter()
        voters.add("127.0.0.1")
        self.assertFalse(any(f"1.2.{i}.4" in voters for i in range(256)))

    def test_legacy_blobs(self) -> None:
        """
        An empty or odd-sized legacy BLOB reads as a filter without voters.
        """
        for blob in (b"", None, b"\xff" * 10):
            voters = VoterFilter(blob)
            self.assertNotIn("127.0.0.0", voters)
            self.assertEqual(voters.to_bytes(), bytes(FILTER_BYTES))

"""Customer link ids: 256 random bits whatever the library's default, kept only as their SHA-256."""
import hashlib
import re
import secrets

from loopgate.usecases.links import link_hash, new_link_id


def test_a_link_id_carries_256_bits_even_if_the_librarys_default_changes(monkeypatch):
    monkeypatch.setattr(secrets, "DEFAULT_ENTROPY", 8)
    ids = {new_link_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", i) for i in ids)  # 32 bytes in URL-safe base64, unpadded


def test_a_link_is_stored_as_the_sha256_of_its_id():
    assert link_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert link_hash("ü") == hashlib.sha256("ü".encode()).hexdigest()

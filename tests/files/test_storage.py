"""FileStore: random keys, strict key validation, private temp files, atomic commit."""

from __future__ import annotations

import os
import re
import stat

import pytest

from app.files.storage import FileStore


@pytest.fixture
def store(tmp_path):
    return FileStore(tmp_path / "files")


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_root_and_tmp_are_created_private(tmp_path):
    store = FileStore(tmp_path / "a" / "files")
    assert mode(store.root) == 0o700
    assert mode(store.tmp_dir) == 0o700
    FileStore(tmp_path / "a" / "files")  # existing root is fine


def test_new_keys_are_random_and_fanned_out(store):
    keys = {store.new_key() for _ in range(100)}
    assert len(keys) == 100
    for key in keys:
        assert re.fullmatch(r"([0-9a-f]{2})/\1[0-9a-f]{30}", key)
        assert store.path(key) == store.root / key


@pytest.mark.parametrize(
    "key",
    [
        "../etc/passwd",
        "ab/../../etc/passwd",
        "/etc/passwd",
        "ab/" + "g" * 32,
        "AB/AB" + "0" * 30,
        "00/ff" + "0" * 30,  # fan-out must match the name
        "ab/ab" + "0" * 30 + "\n",
        "ab\\ab" + "0" * 30,
        "ab/ab" + "0" * 29,
        "",
    ],
)
def test_invalid_keys_are_refused(store, key):
    with pytest.raises(ValueError):
        store.path(key)
    with pytest.raises(ValueError):
        store.delete(key)


def test_temp_path_is_a_private_empty_file_inside_root(store):
    temp = store.temp_path()
    assert temp.parent == store.root / "tmp"
    assert temp.read_bytes() == b""
    assert mode(temp) == 0o600
    temp.write_bytes(b"data")  # rewriting keeps the private mode
    assert mode(temp) == 0o600
    assert store.temp_path() != temp


def test_commit_moves_temp_into_place(store):
    temp, key = store.temp_path(), store.new_key()
    temp.write_bytes(b"%PDF-1.7 isi")
    store.commit(temp, key)
    assert store.path(key).read_bytes() == b"%PDF-1.7 isi"
    assert not temp.exists()
    assert mode(store.path(key)) == 0o600


def test_commit_is_one_rename_within_the_same_filesystem(store, monkeypatch):
    temp, key = store.temp_path(), store.new_key()
    temp.write_bytes(b"complete")
    renames = []
    real_replace = os.replace

    def spy(src, dst):
        assert os.stat(src).st_dev == os.stat(os.path.dirname(dst)).st_dev
        renames.append((src, dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    store.commit(temp, key)
    assert renames == [(temp, store.path(key))]


def test_failed_commit_leaves_no_partial_file(store, monkeypatch):
    temp, key = store.temp_path(), store.new_key()
    temp.write_bytes(b"complete")

    def fail(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        store.commit(temp, key)
    assert not store.path(key).exists()
    assert temp.read_bytes() == b"complete"


def test_commit_never_overwrites(store):
    key = store.new_key()
    first = store.temp_path()
    first.write_bytes(b"first")
    store.commit(first, key)
    second = store.temp_path()
    with pytest.raises(FileExistsError):
        store.commit(second, key)
    assert store.path(key).read_bytes() == b"first"


def test_commit_and_discard_refuse_paths_outside_tmp(store, tmp_path):
    outside = tmp_path / ("0" * 32 + ".part")
    outside.write_bytes(b"x")
    with pytest.raises(ValueError):
        store.commit(outside, store.new_key())
    with pytest.raises(ValueError):
        store.discard(outside)
    with pytest.raises(ValueError):
        store.discard(store.tmp_dir / ".." / "secret")
    assert outside.exists()


def test_delete_and_discard_tolerate_missing_files(store):
    key = store.new_key()
    store.delete(key)
    temp = store.temp_path()
    store.discard(temp)
    assert not temp.exists()
    store.discard(temp)


def test_delete_removes_committed_file(store):
    temp, key = store.temp_path(), store.new_key()
    store.commit(temp, key)
    store.delete(key)
    assert not store.path(key).exists()


def test_put_bytes_stores_atomically_under_a_new_key(tmp_path):
    from app.files.storage import FileStore

    store = FileStore(tmp_path / "files")
    key = store.put_bytes(b"%PDF-1.7 sertifikat")
    assert store.path(key).read_bytes() == b"%PDF-1.7 sertifikat"
    assert list((tmp_path / "files" / "tmp").iterdir()) == []


def test_sweep_temp_removes_only_old_half_received_files(store):
    old = store.temp_path()
    old.write_bytes(b"half an upload")
    an_hour_ago = old.stat().st_mtime - 3601
    os.utime(old, (an_hour_ago, an_hour_ago))
    live = store.temp_path()
    live.write_bytes(b"still arriving")
    key = store.new_key()
    committed = store.temp_path()
    committed.write_bytes(b"kept")
    store.commit(committed, key)

    assert store.sweep_temp(older_than_seconds=3600) == 1

    assert not old.exists()
    assert live.exists()
    assert store.path(key).read_bytes() == b"kept"

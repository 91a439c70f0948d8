"""Saving a lab's code: always a new file, never following or replacing anything, and a clear
message when the folder is gone, read-only or not a folder."""

import errno
import os

import pytest

from tutor.course import export
from tutor.course.export import ExportError, write_new


def test_writes_a_new_file_each_time(tmp_path):
    first = write_new(tmp_path, "lab", "x = 1\n")
    second = write_new(tmp_path, "lab", "x = 2\n")
    assert (first, second) == (tmp_path / "lab.py", tmp_path / "lab-2.py")
    assert first.read_text() == "x = 1\n" and second.read_text() == "x = 2\n"


def test_existing_files_and_folders_are_skipped_never_replaced(tmp_path):
    (tmp_path / "lab.py").write_text("mine")
    (tmp_path / "lab-2.py").mkdir()  # a folder in the way
    assert write_new(tmp_path, "lab", "new") == tmp_path / "lab-3.py"
    assert (tmp_path / "lab.py").read_text() == "mine"
    assert (tmp_path / "lab-3.py").read_text() == "new"


def test_symlinks_are_never_followed(tmp_path):
    target, elsewhere = tmp_path / "target.py", tmp_path / "elsewhere.py"
    elsewhere.write_text("keep")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "lab.py").symlink_to(target)  # dangling: writing through it would create target
    (folder / "lab-2.py").symlink_to(elsewhere)
    assert write_new(folder, "lab", "new") == folder / "lab-3.py"
    assert not target.exists() and elsewhere.read_text() == "keep"
    assert (folder / "lab.py").is_symlink()


def test_the_current_folder_is_used_and_the_path_kept_literal(tmp_path, monkeypatch):
    folder = tmp_path / "[" / "x] \x1b[31m"  # shown as "[/x] ..." on the screen: never markup
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    path = write_new(None, "lab", "new")
    assert path == folder / "lab.py" and path.is_absolute() and path.read_text() == "new"


def test_a_vanished_current_folder_says_so(tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    with pytest.raises(ExportError, match="^the current folder no longer exists$"):
        write_new(None, "lab", "new")


def test_a_missing_folder_says_so(tmp_path):
    with pytest.raises(ExportError, match="no longer exists"):
        write_new(tmp_path / "gone", "lab", "new")


def test_a_file_where_the_folder_should_be_says_so(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ExportError, match="is not a folder"):
        write_new(tmp_path / "file", "lab", "new")


@pytest.mark.parametrize("code, words", [(errno.EACCES, "may not write"), (errno.EROFS, "read-only"),
                                         (errno.ENOSPC, "No space left")])
def test_a_folder_that_cannot_be_written_says_so(tmp_path, monkeypatch, code, words):
    def refuse(*args):
        raise OSError(code, os.strerror(code))

    with monkeypatch.context() as patch, pytest.raises(ExportError, match=words):
        patch.setattr(export.os, "open", refuse)  # tests run as root: chmod would not stop them
        write_new(tmp_path, "lab", "new")


def test_a_failed_write_leaves_no_half_file(tmp_path, monkeypatch):
    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch, pytest.raises(ExportError, match="No space left"):
        patch.setattr(export.os, "write", full)
        write_new(tmp_path, "lab", "new")
    assert list(tmp_path.iterdir()) == []


def test_a_stem_is_a_name_not_a_path(tmp_path):
    with pytest.raises(ValueError):
        write_new(tmp_path, "../lab", "new")

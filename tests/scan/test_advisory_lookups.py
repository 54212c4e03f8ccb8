"""MG104 on the shapes of published Wagtail advisories (issue 12), on the ``medialib`` corpus.

The corpus labels pin which lines are reported; these tests pin why: the model behind a
swappable-model getter, the parent a view checked but did not scope its records by, and the
objects a user-bound form does (and does not) validate.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mtlsguard.findings.model import Confidence, Finding, ScanResult, Severity
from mtlsguard.scan.engine import scan_project

CORPUS = Path(__file__).parent / "corpus" / "medialib"
VIEWS = "library/views.py"


@pytest.fixture(scope="module")
def medialib() -> ScanResult:
    return scan_project(CORPUS)


def _lookups(result: ScanResult, view: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == "MG104" and f.view == view]


def _line(text: str) -> int:
    lines = (CORPUS / VIEWS).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_getter_model_is_the_class_it_returns(medialib: ScanResult) -> None:
    (finding,) = _lookups(medialib, "library.views.photo_preview")
    assert "on library.models.Photo (owned via uploaded_by_user) by photo_id" in finding.evidence
    assert (finding.severity, finding.confidence) == (Severity.HIGH, Confidence.MEDIUM)
    assert _lookups(medialib, "library.views.photo_preview_checked") == []


def test_wrapper_of_get_user_model_is_the_user_model(medialib: ScanResult) -> None:
    (finding,) = _lookups(medialib, "library.views.member_card")
    # a read of another account: low (a public profile is by design); a write stays medium
    assert (finding.severity, finding.confidence) == (Severity.LOW, Confidence.LOW)
    assert "the user model" in finding.evidence


def test_site_setting_swaps_the_model(tmp_path: Path) -> None:
    project = tmp_path / "medialib"
    shutil.copytree(CORPUS, project)
    settings = project / "mediaproj" / "settings.py"
    settings.write_text(
        settings.read_text(encoding="utf-8") + 'LIBRARY_PHOTO_MODEL = "medialibrary.Folder"\n',
        encoding="utf-8",
    )
    (finding,) = _lookups(scan_project(project), "library.views.photo_preview")
    assert "on library.models.Folder (owned via owner)" in finding.evidence


def test_records_of_a_checked_parent_picked_by_caller_ids(medialib: ScanResult) -> None:
    (finding,) = _lookups(medialib, "library.views.DeleteEntriesView")
    assert finding.location is not None
    assert finding.location.line == _line("entry_class._default_manager.filter(id__in=ids)")
    assert "records of the model class self.album.get_entry_class()" in finding.evidence
    assert "which dispatch() checks against the user" in finding.evidence
    # The fix reaches the records through the parent: self.album.get_entries().filter(...)
    assert _lookups(medialib, "library.views.DeleteEntriesScopedView") == []


def test_form_checks_what_it_validates_not_what_it_is_handed(medialib: ScanResult) -> None:
    (finding,) = _lookups(medialib, "library.views.copy_folder")
    assert finding.location is not None
    # The source folder handed to the form is not checked by form.is_valid() ...
    assert finding.location.line == _line("folder = Folder.objects.get(id=folder_id)")
    # ... the destination the form validates for the user and replaces is.
    assert _lookups(medialib, "library.views.copy_folder_checked") == []


def test_object_checks_after_a_model_level_permission(medialib: ScanResult) -> None:
    (finding,) = _lookups(medialib, "library.views.TranslateAlbumUnchecked")
    assert (finding.severity, finding.confidence) == (Severity.MEDIUM, Confidence.LOW)
    assert "only users with a global permission reach it" in finding.evidence
    for fixed in ("TranslateAlbumChecked", "TranslateAlbumByPolicy"):
        assert _lookups(medialib, f"library.views.{fixed}") == []

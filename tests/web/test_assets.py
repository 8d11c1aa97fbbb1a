"""Static guarantees of the web shell: templates fit the Content-Security-Policy, and the English
catalogue is complete and compiled."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "yiwang"
PO = SRC / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=|\son[a-z]+\s*=\s*[\"']", re.I)


def project_templates() -> list[Path]:
    return sorted(p for p in SRC.glob("**/templates/**/*.html"))


def test_templates_have_no_inline_scripts_styles_or_handlers():
    """CSP is script-src 'self'; style-src 'self': inline code would be blocked in the browser."""
    offenders = []
    for path in project_templates():
        source = path.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_STYLE):
            for match in pattern.finditer(source):
                line = source.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(SRC)}:{line}: {match.group(0)}")
    assert project_templates(), "no templates found"
    assert not offenders, "inline code the Content-Security-Policy forbids:\n" + "\n".join(offenders)


def test_no_template_loads_anything_from_another_site():
    for path in project_templates():
        assert not re.search(r"(src|href)=[\"']https?://", path.read_text()), path


def _po_entries(path: Path) -> list[dict]:
    entries, current, key, flags = [], None, None, set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#,"):
            flags |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#~") or not line.strip() or line.startswith("#"):
            continue
        elif line.startswith("msgid "):
            current = {"msgid": ast.literal_eval(line[6:]), "flags": flags, "msgstr": {}}
            entries.append(current)
            key, flags = ("msgid",), set()
        elif line.startswith("msgid_plural "):
            current["msgid_plural"] = ast.literal_eval(line[13:])
            key = ("msgid_plural",)
        elif line.startswith("msgstr["):
            n, value = line[7:].split("] ", 1)
            current["msgstr"][int(n)] = ast.literal_eval(value)
            key = ("msgstr", int(n))
        elif line.startswith("msgstr "):
            current["msgstr"][0] = ast.literal_eval(line[7:])
            key = ("msgstr", 0)
        elif line.startswith('"'):
            if key[0] == "msgstr":
                current["msgstr"][key[1]] += ast.literal_eval(line)
            else:
                current[key[0]] += ast.literal_eval(line)
    return [e for e in entries if e["msgid"]]  # without the header


def test_every_string_has_an_english_translation():
    entries = _po_entries(PO)
    assert len(entries) > 100
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, f"{len(untranslated)} strings without English: {untranslated[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy (unchecked) translations: {fuzzy[:20]}"
    # Chinese may stay only inside quotes (a sheet name, the words "是"/"否" people must type).
    unquoted = [re.sub(r"“[^”]*”|\"[^\"]*\"", "", s) for e in entries for s in e["msgstr"].values()]
    still_chinese = [s for s in unquoted if re.search(r"[\u4e00-\u9fff]", s)]
    assert not still_chinese, f"translations that are still Chinese: {still_chinese[:20]}"


def test_compiled_catalogue_matches_the_po_file():
    """The .mo file (committed) is compiled from the current .po: run compilemessages after editing."""
    with MO.open("rb") as f:
        catalogue = gettext.GNUTranslations(f)
    stale = []
    for e in _po_entries(PO):
        if "fuzzy" in e["flags"]:
            continue
        if "msgid_plural" in e:
            got = catalogue.ngettext(e["msgid"], e["msgid_plural"], 1)
        else:
            got = catalogue.gettext(e["msgid"])
        if got != e["msgstr"][0]:
            stale.append(e["msgid"])
    assert not stale, f"{len(stale)} strings differ between django.po and django.mo, e.g. {stale[:5]}"

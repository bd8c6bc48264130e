"""The `newsbrief` command: summarize, brief, ask, extract, ingest — and bad input."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.nlp.summarize import ALGORITHMS

FIXTURES = Path(__file__).parent / "fixtures"
KOREA = FIXTURES / "korea_summit.txt"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    out = io.StringIO()
    code = main(argv, out=out)
    return code, out.getvalue(), capsys.readouterr().err


def test_summarize_korea_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["summarize", str(KOREA), "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    text = KOREA.read_text(encoding="utf-8")
    assert data["title"] == "Trump Teases Another Sit-Down With Kim Jong-un"
    assert data["algorithm"] == "news" and data["language"] == "english"
    summary = " ".join(s["text"] for s in data["summary"])
    assert "Shutterstock" not in summary and "Most Popular" not in summary
    assert [s["index"] for s in data["summary"]] == sorted(s["index"] for s in data["summary"])
    quotes = {q["text"]: q for q in data["quotes"]}
    assert any(t.startswith("I look forward to seeing him") for t in quotes)
    assert quotes["Sometimes you have to walk"]["speaker"] == "Trump"
    for q in data["quotes"]:
        assert not q["partial"]
        start, end = q["span"]
        assert q["text"].split(" … ")[0] in text[start:end]
        if q["speaker_span"]:
            s, e = q["speaker_span"]
            assert text[s:e] in {"Trump", "he", "He"}


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_summarize_text_formats(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["summarize", str(KOREA), "--format", fmt, "--quotes", "1"], capsys)
    assert code == 0
    assert "Trump Teases Another Sit-Down" in out
    assert "— Trump" in out


def test_every_algorithm_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    for algorithm in ALGORITHMS:
        code, out, err = run(
            ["summarize", str(KOREA), "--algorithm", algorithm, "--format", "json"], capsys
        )
        assert code == 0, err
        assert json.loads(out)["algorithm"] == algorithm
        assert 1 <= len(json.loads(out)["summary"]) <= 3


def test_other_language_and_unsupported_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    german = tmp_path / "de.txt"
    german.write_text(
        "Der Stadtrat hat am Dienstag den Bau einer neuen Brücke beschlossen. "
        "Die Brücke soll 48 Millionen Euro kosten. Die Opposition kritisierte den Plan scharf. "
        "Der Bau soll im Frühjahr beginnen.",
        encoding="utf-8",
    )
    code, out, _ = run(["summarize", str(german), "--language", "german"], capsys)
    assert code == 0 and "Brücke" in out
    code, _, err = run(["summarize", str(german), "--language", "klingon"], capsys)
    assert code == 2 and "not supported" in err and "english" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\n  ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"1234 5678 ... ---", "no sentences"),
    ],
)
def test_bad_input_gets_a_clear_error(
    tmp_path: Path, content: bytes, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    code, out, err = run(["summarize", str(path)], capsys)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_non_utf8_input_is_decoded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(
        "Le café de la gare a fermé mardi. « C’est la fin », a déclaré le patron. "
        "Les clients étaient tristes.".encode("cp1252")
    )
    code, out, _ = run(["summarize", str(path), "--language", "french"], capsys)
    assert code == 0 and "café" in out


def test_five_megabytes_is_refused_quickly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.txt"
    path.write_text(("The council met on Tuesday. " * 40 + "\n\n") * 4500, encoding="utf-8")
    assert path.stat().st_size > 5_000_000
    code, _, err = run(["summarize", str(path)], capsys)
    assert code == 2 and "limit" in err


def test_batch_keeps_going_past_bad_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        json.dumps({"id": "a", "text": KOREA.read_text(encoding="utf-8")}),
        "{not json",
        json.dumps({"id": "c", "text": ""}),
        json.dumps(
            {"id": "d", "title": "Bridge", "text": "The bridge opened on Monday. It cost a lot."}
        ),
        json.dumps(["no", "object"]),
        json.dumps({"id": "f"}),  # no text: its error keeps its id
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = run(["summarize", "--batch", str(path), "--format", "json"], capsys)
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [r["id"] for r in records] == ["a", 2, "c", "d", 5, "f"]
    assert records[0]["quotes"] and "error" not in records[0]
    assert "not JSON" in records[1]["error"] and "empty" in records[2]["error"]
    assert records[3]["title"] == "Bridge" and "summary" in records[3]
    assert "JSON object" in records[4]["error"] and "JSON object" in records[5]["error"]


def test_stdin_through_a_real_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "summarize", "-", "--format", "json"],
        input=KOREA.read_bytes(),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["title"].startswith("Trump Teases")


def test_ask_from_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["ask", "why did the Hanoi summit end?", "--file", str(KOREA), "--format", "json"], capsys
    )
    data = json.loads(out)
    assert code == 0 and data["confident"] is True
    assert "sanctions relief" in data["answer"]
    assert data["sentences"][0]["article_id"] == str(KOREA)
    # Unsure, it lists the sources: a file by its name alone, with no empty link after it.
    code, out, _ = run(["ask", "who won the cup?", "--file", str(KOREA)], capsys)
    assert code == 0 and out.startswith("I don't know")
    assert out.splitlines()[-1] == f"  • {KOREA}"


def test_a_saved_web_page_is_read_as_its_article(capsys: pytest.CaptureFixture[str]) -> None:
    page = str(FIXTURES / "html" / "article.html")
    code, out, _ = run(["summarize", page], capsys)
    assert code == 0 and out.startswith("Harbour city opens floating solar farm\n")
    assert "<" not in out and "cookie" not in out.lower()  # no markup, no cookie banner
    assert "— Ingrid Solberg" in out and "Lindqvist" not in out  # not the byline's
    code, out, _ = run(["ask", "how many panels are there?", "--file", page], capsys)
    assert code == 0 and "4,200 panels" in out and "<" not in out
    assert out.count("  source: ") == 1 and f"  source: {page}" in out
    cup = "bot/data/sample/articles/04-cup-final.txt"  # an answer of two sentences: one source
    code, out, _ = run(["ask", "what did Costa say?", "--file", cup], capsys)
    assert "Tonight is for them" in out and out.count("  source: ") == 1
    code, out, _ = run(["ask", "who won the cup?", "--file", page], capsys)
    assert out.startswith("I don't know")
    assert out.splitlines()[-1] == f"  • Harbour city opens floating solar farm: {page}"


def test_ingest_sample_then_brief_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSBRIEF_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NEWSBRIEF_DATABASE_URL", raising=False)
    code, out, _ = run(["ingest", "--sample"], capsys)
    assert code == 0 and "new 8" in out
    code, out, _ = run(["brief", "korea", "--format", "json"], capsys)
    data = json.loads(out)
    assert data["topic"] == "korea" and data["since"] == "2 days"
    assert data["stories"][0]["quote"]["speaker"] == "Trump"
    code, out, _ = run(["brief", "volcano"], capsys)
    assert code == 0 and "Nothing on 'volcano'" in out
    code, _, err = run(["brief", "korea", "--since", "soon"], capsys)
    assert code == 2 and "48h" in err
    # A span after the topic, as /brief takes it (and as the tips say); no thread to reply in.
    code, out, _ = run(["brief", "north", "korea", "7d"], capsys)
    assert code == 0 and out.startswith("Brief: north korea (last 7 days)")
    assert "Reply in this thread" not in out and "Trump Teases" in out
    code, _, err = run(["ask", "who?", "--thread", "console:console:99"], capsys)
    assert code == 2 and "no thread" in err


def test_extract_html_files(capsys: pytest.CaptureFixture[str]) -> None:
    pages = sorted((FIXTURES / "html").glob("*.html"))
    assert pages
    code, out, _ = run(["extract", *map(str, pages), "--format", "json"], capsys)
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == len(pages)
    assert {r["status"] for r in records} <= {"ok", "no_article"}
    assert any(r["status"] == "ok" and r["text"] for r in records)
    assert any(r["status"] == "no_article" and r.get("reason") for r in records)
    assert code == 0


def test_numbers_are_range_checked_on_both_stores(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """Huge numbers used to end in OverflowError tracebacks (SQLite) or int4 errors
    (PostgreSQL); now argparse or the lookup says what is wrong."""
    monkeypatch.setenv("NEWSBRIEF_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEWSBRIEF_DATABASE_URL", database_url)
    assert run(["ingest", "--sample"], capsys)[0] == 0
    for argv, message in [
        (["brief", "korea", "--limit", "99999999999999999999"], "from 1 to 50"),
        (["brief", "korea", "--limit", "0"], "from 1 to 50"),
        (["summarize", str(KOREA), "--sentences", "99999999999999999999"], "from 1 to 50"),
        (["ask", "why?", "--article", "99999999999999999999"], "no stored article"),
        (["ask", "why?", "--article", str(2**31)], "no stored article"),  # int4 on PostgreSQL
        (["ask", "why?", "--article", "-5"], "no stored article"),
    ]:
        code, _, err = run_or_exit(argv, capsys)
        assert code == 2 and message in err and "Traceback" not in err, (argv, err)
    argv = ["brief", "korea", "--limit", "٣", "--since", "٤٨h", "--format", "json"]
    code, out, _ = run(argv, capsys)
    assert code == 0 and 1 <= len(json.loads(out)["stories"]) <= 3


def run_or_exit(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``run``, also when argparse refuses an argument (it exits with status 2)."""
    try:
        return run(argv, capsys)
    except SystemExit as exc:
        return int(exc.code or 0), "", capsys.readouterr().err


def test_every_batch_line_failure_is_a_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exception other than ours (sumy's ValueError for a missing stemmer, say) used to
    end the whole batch; it is that line's error record now. The fault is injected."""
    import bot.nlp.analyze

    real = bot.nlp.analyze.analyze

    def flaky(text: str, **kw: object) -> object:
        if "FAULT" in text:
            raise RuntimeError("injected fault")
        return real(text, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(bot.nlp.analyze, "analyze", flaky)
    good = KOREA.read_text(encoding="utf-8")
    path = tmp_path / "in.jsonl"
    lines = [
        {"id": "a", "text": good},
        {"id": "b", "text": "FAULT " + good},
        {"id": "c", "text": good},
    ]
    path.write_text("\ufeff" + "\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    code, out, err = run(["summarize", "--batch", str(path), "--format", "json"], capsys)
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and [r["id"] for r in records] == ["a", "b", "c"]
    assert "summary" in records[0] and "summary" in records[2]  # the BOM did not break line 1
    assert "injected fault" in records[1]["error"] and "Traceback" not in err


def test_greek_is_a_language_that_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "el.txt"
    path.write_text(
        "Το δημοτικό συμβούλιο ενέκρινε την Τρίτη την κατασκευή μιας νέας γέφυρας στο λιμάνι. "
        "Η γέφυρα θα κοστίσει σαράντα οκτώ εκατομμύρια ευρώ. Η αντιπολίτευση επέκρινε το σχέδιο.",
        encoding="utf-8",
    )
    code, out, err = run(
        ["summarize", str(path), "--language", "greek", "--format", "json"], capsys
    )
    assert code == 0, err
    assert json.loads(out)["language"] == "greek" and json.loads(out)["summary"]


def test_a_directory_is_not_a_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["summarize", str(FIXTURES)], capsys)
    assert code == 2 and "is a directory" in err and "no such file" not in err


def test_a_closed_pipe_ends_quietly() -> None:
    """`newsbrief summarize --batch … | head -1` used to end in a BrokenPipeError traceback."""
    lines = "".join(json.dumps({"id": i, "text": KOREA.read_text()}) + "\n" for i in range(30))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "summarize", "--batch", "-", "--format", "json"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(lines.encode())
    proc.stdin.close()
    assert json.loads(proc.stdout.readline())["id"] == 0
    proc.stdout.close()
    assert proc.wait(120) == 141
    assert proc.stderr.read() == b""


def test_version_is_the_installed_one() -> None:
    from importlib.metadata import version

    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"newsbrief {version('newsbrief')}"  # one version, two reads


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "postgresql+psycopg://u:secretpw@127.0.0.1:1/x",
            "cannot reach the database postgresql+psycopg://u:***@127.0.0.1:1/x "
            "(NEWSBRIEF_DATABASE_URL): ",
        ),
        ("not a url", "NEWSBRIEF_DATABASE_URL is no database URL"),
    ],
)
@pytest.mark.parametrize("command", [["brief", "x"], ["db", "current"]])
def test_a_database_that_cannot_be_opened_is_a_setting_to_fix(
    url: str, said: str, command: list[str]
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *command],
        capture_output=True,
        text=True,
        env={**os.environ, "NEWSBRIEF_DATABASE_URL": url},
        timeout=60,
    )
    assert done.returncode == 2, done.stderr  # not an "internal error" (70)
    assert done.stderr.startswith(f"newsbrief: error: {said}") and "secretpw" not in done.stderr

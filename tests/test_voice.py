"""One voice: every event has its words, user text reads as text, and no view writes its own.

The last tests scan the package's source (with ``ast``) for sentences a
person could read that do not come from ``labchat/voice.py``: a new sentence
in a view fails here, so a translation stays one catalogue.
"""

from __future__ import annotations

import ast
import dataclasses
import gettext
import inspect
import os
import re
import struct
import subprocess
import sys
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import ipywidgets as widgets
import pytest

import labchat
from labchat import events, voice
from labchat.commands.chat import HumanView
from labchat.events import DatagramRejected, Event, GaveUp, MessageDelivered, MessageSent
from labchat.notebook.chart import render_svg
from labchat.notebook.lab import line_for
from labchat.notebook.stepper import Stepper
from labchat.trace import WireRecord

PERSIAN = "می‌خواهم -0"  # "I want" with a zero-width non-joiner, then a count the report adds
assert "\u200c" in PERSIAN


# -- every event has a voice ------------------------------------------------------------


def event_classes() -> list[type[Event]]:
    return [cls for _, cls in inspect.getmembers(events, inspect.isclass)
            if issubclass(cls, Event) and cls is not Event]


def example(cls: type[Event]) -> Event:
    """An instance of ``cls`` with a plausible value in every field."""
    values: dict[str, typing.Any] = {}
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        kind = next(option for option in options if option is not type(None))
        values[field.name] = {str: "x", int: 2, float: 0.5}.get(kind, (1, 2))
    return cls(**values)


def test_the_event_classes_are_found() -> None:
    assert MessageDelivered in event_classes() and len(event_classes()) >= 18


@pytest.mark.parametrize("cls", event_classes(), ids=lambda cls: cls.__name__)
def test_every_event_class_has_its_own_voice_and_says_something(cls: type[Event]) -> None:
    assert cls in voice.VOICES, f"no function in labchat/voice.py words {cls.__name__}"
    words = voice.words_for(example(cls), voice.Speakers("A", "B"))
    assert words.note.strip()
    assert not re.search(r"\w=", words.note)  # words, not a field dump


def test_the_panel_the_chart_and_the_step_through_say_the_same_thing() -> None:
    delivered = MessageDelivered(at=0.0, text="hi", seq=0)
    stepper = Stepper("report", script=["send A hi", "deliver 0"])
    assert f"    B: {voice.narration(delivered)}" in stepper.log
    svg = render_svg(stepper.network.wire, stepper.network.events)
    assert voice.narration(delivered) in svg.replace("&#x27;", "'")
    assert voice.chart_note(delivered) == voice.narration(delivered)


# -- user text is shown as text, isolated -----------------------------------------------


def isolated(text: str) -> str:
    return f"\u2068{text}\u2069"


def test_user_text_is_unchanged_and_isolated() -> None:
    assert voice.user_text(PERSIAN) == isolated(PERSIAN)
    assert voice.user_text("-0") == "\u2068-0\u2069"
    assert voice.user_html("<b>-0</b>") == "<bdi>&lt;b&gt;-0&lt;/b&gt;</bdi>"


def test_a_persian_message_reads_the_same_on_every_surface() -> None:
    event = MessageDelivered(at=0.0, text=PERSIAN, seq=0)
    line = line_for(event, "A", "B")
    assert line is not None
    cli = HumanView("B").describe(event)
    note = voice.chart_note(event)
    assert note is not None
    for shown in (line.text, cli, note, voice.narration(event)):
        assert isolated(PERSIAN) in shown
        assert "\\u200c" not in shown and "'" not in shown  # no repr()
    record = WireRecord(id=0, source="A", sent_at=0.0, payload=PERSIAN.encode(), kind="data",
                        seq=0, label=PERSIAN, fate="delivered", arrived_at=0.1)
    svg = render_svg([record], {"B": [event]})
    assert svg.count(isolated(PERSIAN)) == 3  # the arrow's label and tooltip, and B's note
    assert "\\u200c" not in svg


def test_a_step_through_narrates_a_persian_message_as_text() -> None:
    stepper = Stepper("stop-and-wait", script=[f"send A {PERSIAN}", "deliver 0"])
    assert stepper.delivered("B") == [PERSIAN]
    assert f"t=0.000 A sends “{isolated(PERSIAN)}”" in stepper.log
    assert f"B delivered: “{isolated(PERSIAN)}”" in stepper.summary()
    assert "\\u200c" not in "\n".join(stepper.log) + stepper.summary()


def test_the_chat_command_names_a_given_up_message_and_a_rejected_datagram_as_text() -> None:
    view = HumanView("B")
    assert view.describe(GaveUp(at=0.0, text=PERSIAN, seq=0, attempts=3)) == (
        f"* gave up on “{isolated(PERSIAN)}” after 3 attempts")
    rejected = DatagramRejected(at=0.0, reason="no count", size=4, preview="x -y")
    assert view.describe(rejected) == f"rejected datagram from ? (no count): {isolated('x -y')}"


# -- translation ------------------------------------------------------------------------


def write_mo(path: Path, catalogue: dict[str, str]) -> None:
    """A GNU ``.mo`` file holding ``catalogue`` (the format ``gettext`` reads)."""
    items = sorted({"": "Content-Type: text/plain; charset=UTF-8\n", **catalogue}.items())
    ids = [key.encode() for key, _ in items]
    strs = [value.encode() for _, value in items]
    header = 7 * 4
    ids_start = header + 16 * len(items)
    offsets, blob = [], b""
    for data in ids + strs:
        offsets.append((len(data), ids_start + len(blob)))
        blob += data + b"\0"
    table = b"".join(struct.pack("<2I", *pair) for pair in offsets)
    path.parent.mkdir(parents=True)
    path.write_bytes(struct.pack("<7I", 0x950412DE, 0, len(items), header,
                                 header + 8 * len(items), 0, 0) + table + blob)


@pytest.fixture
def speaking_test_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    write_mo(tmp_path / "xx" / "LC_MESSAGES" / "labchat.mo", {
        "Send": "SEND!",
        "{name}: {text}": "{text} :{name}",  # a language may put the name last
        "delivered {text} (#{seq})": "#{seq} arrived: {text}",
    })
    monkeypatch.setattr(voice, "LOCALE_DIR", tmp_path)
    voice.set_language("xx")
    yield
    voice.set_language("en")


@pytest.mark.usefixtures("speaking_test_language")
def test_a_catalogue_changes_the_words_and_their_order() -> None:
    assert voice.language() == "xx"
    assert voice.label("send") == "SEND!"
    event = MessageSent(at=0.0, text="hi", seq=3)
    line = line_for(event, "A", "B")
    assert line is not None and line.text == f"{isolated('hi')} :{isolated('A')}"
    delivered = MessageDelivered(at=0.0, text="hi", seq=3)
    assert voice.chart_note(delivered) == f"#3 arrived: “{isolated('hi')}”"
    assert voice.label("loss") == "loss"  # not in the catalogue: English


def test_a_language_without_a_catalogue_falls_back_to_english() -> None:
    try:
        voice.set_language("sw")  # no Swahili catalogue
        assert voice.label("send") == "Send"
        assert voice.direction() == "ltr"
    finally:
        voice.set_language("en")


# -- no sentence outside the voice ------------------------------------------------------

PACKAGE = Path(labchat.__file__).parent

#: Strings that still live outside ``voice.py``, per module: a few words that
#: are keys, messages for the coder, or other programs' words. A new one fails the test:
#: route it through ``labchat.voice``. Lower a number when you move some.
LEFT_OUTSIDE = {
    "__init__.py": 1,  # AttributeError for the coder
    "build/exercises.py": 2,  # the harvest keys ("ack lost")
    "build/scenarios.py": 2,
    "commands/grade.py": 1,  # a status key in scores.csv, "timed out"
    "protocols/envelope.py": 1,  # an enveloped rung's docstring, for the coder
    "sim/channel.py": 2,  # the causes a record keeps ("drop next"), shown through the voice
    "udp/relay.py": 2,  # the causes a record keeps ("relay closed")
    "wireshark/__init__.py": 1,  # tshark's own warning, which labchat filters out
}

#: Keyword arguments whose string is shown as it is, even a single word.
SHOWN_KEYWORDS = {"description", "placeholder", "tooltip", "title", "label", "help",
                  "epilog", "xlabel", "ylabel"}
SHOWN_METHODS = {"set_title", "set_xlabel", "set_ylabel", "suptitle"}
MARKERS = {"_", "ngettext", "N_"}
# Markup and styles are not sentences: tags, attributes (possibly cut by an
# f-string placeholder), CSS values such as "1px solid #cccccc".
MARKUP = re.compile(r"""<[^>]*>|</?\w+|[\w-]+=("[^"]*"?|'[^']*'?)|[\w-]+:[^;\s]*;?""")
SENTENCE = re.compile(r"(?<![\w#-])[A-Za-z]{2,}[ ,;]+[A-Za-z]{2,}")


def unmarked_sentences(source: str) -> list[str]:
    """Every string literal in ``source`` a person would read as words, unless exempt.

    Exempt: docstrings, strings handed to a gettext marker, f-string format
    specs, ``__repr__`` bodies (for developers), and the engines' snapshot
    keys (identifiers that ``voice.state_name`` translates for display).
    """
    tree = ast.parse(source)
    exempt: set[int] = set()
    shown: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                exempt.add(id(first.value))
        if isinstance(node, ast.FunctionDef) and node.name == "__repr__":
            exempt.update(id(sub) for sub in ast.walk(node))
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else "")
            if name in MARKERS:
                exempt.update(id(sub) for sub in ast.walk(node))
            if name in SHOWN_METHODS:
                shown.update(id(arg) for arg in node.args)
            shown.update(id(k.value) for k in node.keywords if k.arg in SHOWN_KEYWORDS)
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            exempt.update(id(sub) for sub in ast.walk(node.format_spec))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            # An f-string is read whole: its placeholders stand for words.
            text = "".join(str(part.value) if isinstance(part, ast.Constant) else "{}"
                           for part in node.values)
            exempt.update(id(part) for part in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if id(node) in exempt or text in voice.STATE_NAMES:
            continue
        words = MARKUP.sub(" ", text)
        if SENTENCE.search(words) or (id(node) in shown and re.search("[A-Za-z]", words)):
            found.append(text)
    return found


def test_the_scan_finds_a_new_sentence_in_a_view_and_leaves_markup_alone() -> None:
    view = '''
def build(kind):
    """A docstring is for the coder."""
    button = widgets.Button(description="Go", layout=widgets.Layout(width="auto"))
    note = f"datagram {kind} arrived twice"
    box = widgets.Text(placeholder=f"type {kind}")
    style = f'<div class="labchat-msg labchat-msg-{kind}" style="color:#1f3f7f">'
    border = "1px solid #cccccc"
    axes.set_title("Goodput")
    said = _("this one is {kind}", kind=kind)
    return button, note, box, style, border, said, status["send base"]
'''
    assert sorted(unmarked_sentences(view)) == [
        "Go", "Goodput", "datagram {} arrived twice", "type {}"]


def modules() -> dict[str, str]:
    return {path.relative_to(PACKAGE).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(PACKAGE.rglob("*.py")) if path.name != "voice.py"}


def test_no_module_writes_a_new_sentence_outside_the_voice() -> None:
    over = {}
    for name, source in modules().items():
        found = unmarked_sentences(source)
        if len(found) > LEFT_OUTSIDE.get(name, 0):
            over[name] = found
    assert over == {}, "route these through labchat.voice (or lower LEFT_OUTSIDE)"


def test_the_views_and_the_chat_printer_write_no_sentence_of_their_own() -> None:
    views = {name: unmarked_sentences(source) for name, source in modules().items()
             if name.startswith("notebook/") and name not in LEFT_OUTSIDE}
    assert views and all(found == [] for found in views.values()), views
    printer = ast.get_source_segment(
        modules()["commands/chat.py"],
        next(node for node in ast.walk(ast.parse(modules()["commands/chat.py"]))
             if isinstance(node, ast.ClassDef) and node.name == "HumanView"))
    assert printer is not None and unmarked_sentences(printer) == []


def marked_in_voice() -> set[str]:
    """Every literal handed to ``_``, ``N_`` or ``ngettext`` in ``labchat/voice.py``."""
    marked: set[str] = set()
    for node in ast.walk(ast.parse((PACKAGE / "voice.py").read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in MARKERS):
            count = 2 if node.func.id == "ngettext" else 1
            marked.update(arg.value for arg in node.args[:count]
                          if isinstance(arg, ast.Constant) and isinstance(arg.value, str))
    return marked


def read_po(path: Path) -> dict[tuple[str, ...], list[str]]:
    """A ``.po``/``.pot`` file's entries: (msgid[, msgid_plural]) -> its msgstr forms.

    Fuzzy entries count as untranslated (gettext ignores them too).
    """
    entries: dict[tuple[str, ...], list[str]] = {}
    ids: list[str] = []
    strs: list[str] = []
    fuzzy = False
    part: list[str] = []

    def close() -> None:
        if ids and ids[0]:
            entries[tuple(ids)] = [] if fuzzy else list(strs)

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            close()
            ids, strs, fuzzy, part = [], [], False, []
        elif line.startswith("#,"):
            fuzzy = "fuzzy" in line
        elif line.startswith(("msgid ", "msgid_plural ", "msgstr")):
            part = ids if line.startswith("msgid") else strs
            part.append(ast.literal_eval(line.split(" ", 1)[1]))
        elif line.startswith('"'):
            part[-1] += ast.literal_eval(line)
    return entries


def template_ids() -> set[str]:
    """The msgid and msgid_plural strings of ``labchat/locale/labchat.pot``."""
    return {text for key in read_po(PACKAGE / "locale" / "labchat.pot") for text in key}


def test_the_catalogue_template_holds_every_marked_string() -> None:
    marked = marked_in_voice()
    assert "{name}: {text}" in marked and "Send" in marked
    assert template_ids() == marked, "run `make pot` to bring labchat/locale/labchat.pot up to date"


# -- Persian ----------------------------------------------------------------------------

PERSIAN_PO = PACKAGE / "locale" / "fa" / "LC_MESSAGES" / "labchat.po"
PLACEHOLDER = re.compile(r"\{(\w*)(?:[:!][^}]*)?\}")


@pytest.fixture
def persian() -> Iterator[None]:
    voice.set_language("fa")
    yield
    voice.set_language("en")


def test_every_string_a_person_reads_has_a_persian_entry() -> None:
    template = read_po(PACKAGE / "locale" / "labchat.pot")
    translated = read_po(PERSIAN_PO)
    missing = [key[0] for key in template
               if not translated.get(key) or not all(form.strip() for form in translated[key])]
    assert missing == [], "translate these in labchat/locale/fa/LC_MESSAGES/labchat.po"
    assert len(template) > 140


def test_each_persian_entry_keeps_the_placeholders_of_its_english() -> None:
    for key, forms in read_po(PERSIAN_PO).items():
        english = set(PLACEHOLDER.findall(" ".join(key)))
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) <= english, (key, form)
            if len(key) == 1:  # a plural form may leave out {n}; a sentence keeps all
                assert set(PLACEHOLDER.findall(form)) == english, (key, form)


def test_persian_verbs_keep_their_zero_width_non_joiner() -> None:
    # The prefix of the continuous tense is joined by a ZWNJ: می‌فرستد, not می فرستد.
    for key, forms in read_po(PERSIAN_PO).items():
        for form in forms:
            assert not re.search(r"(?<!\w)(ن?می) ", form), (key, form)


def test_the_compiled_persian_catalogue_is_the_current_translation() -> None:
    mo = PERSIAN_PO.with_suffix(".mo")
    with mo.open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    for key, forms in read_po(PERSIAN_PO).items():
        if len(key) == 1:
            assert compiled.gettext(key[0]) == forms[0], "run `make mo`"
        else:
            assert compiled.ngettext(key[0], key[1], 1) == forms[0], "run `make mo`"
            assert compiled.ngettext(key[0], key[1], 5) == forms[1], "run `make mo`"


@pytest.mark.usefixtures("persian")
def test_set_language_fa_speaks_persian_right_to_left() -> None:
    assert labchat.set_language is voice.set_language
    assert voice.language() == "fa" and voice.direction() == "rtl"
    assert voice.label("send") == "بفرست"
    event = MessageDelivered(at=0.0, text=PERSIAN, seq=2)
    assert voice.narration(event) == f"«{isolated(PERSIAN)}» را تحویل داد (شمارهٔ 2)"
    assert voice.ngettext("{n} datagram", "{n} datagrams", 3) == "3 دیتاگرام"  # Latin digits
    assert "fa" in voice.languages()


@pytest.mark.usefixtures("persian")
def test_why_the_network_lost_a_datagram_is_said_in_persian_too() -> None:
    lost = WireRecord(id=6, source="A", sent_at=0.4, payload=b"D1 ack0 x", kind="data", seq=1,
                      label="D1 ack0 x", fate="dropped", cause="drop next")
    numbered = dataclasses.replace(lost, cause="drop number 3")
    os_error = "send failed: [Errno 101] Network is unreachable"
    failed = dataclasses.replace(lost, cause=os_error)
    assert voice.capture_comment(lost) == "شمارهٔ 6 A→B داده; شبکه آن را گم کرد (گم کردن بعدی)"
    assert voice.record_title(numbered).endswith("گم‌شده (گم کردن شمارهٔ 3)")
    assert voice.capture_comment(failed).endswith(f"({os_error})")  # no one named it: as it is
    assert lost.cause == "drop next"  # the record keeps the key; only the words change
    # tshark prints a zero-width non-joiner inside a packet comment as "\u200C": none there.
    causes = [voice.cause_name(cause) for cause in [*voice.CAUSE_NAMES, "drop number 3"]]
    assert all(not cause.isascii() and "\u200c" not in cause for cause in causes), causes


def test_labchat_lang_in_the_environment_picks_the_language_at_start() -> None:
    code = ("from labchat import voice; "
            "print(voice.language(), voice.direction(), voice.label('send'))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "LABCHAT_LANG": "fa"}, check=True, timeout=60)
    assert shown.stdout.split() == ["fa", "rtl", "بفرست"]


@pytest.mark.usefixtures("persian")
def test_the_cores_refusals_speak_persian() -> None:
    from labchat.errors import MessageTooLong
    from labchat.protocols import create_engine
    from labchat.protocols.settings import SettingError

    assert str(MessageTooLong(2000, 1024)) == (
        "پیام بیش از حد بلند است: دیتاگرامش 2000 بایت UTF-8 می‌شود و حد آن 1024 بایت است")
    with pytest.raises(SettingError) as refused:
        create_engine("go-back-n", window=0)
    assert str(refused.value) == (
        "window (حداکثر تعداد پیام‌های در راه) باید عدد صحیحی از 1 تا 32768 باشد، ولی 0 داده شد")
    with pytest.raises(ValueError) as unknown:
        create_engine("x-y")
    assert str(unknown.value).startswith("پروتکل ناشناخته «\u2068x-y\u2069»؛")


def test_a_state_value_is_said_in_words_never_as_python_writes_it() -> None:
    values = [(None, "timer"), (None, "srtt"), (None, "last carried"), (True, "skip mark"),
              (False, "skip mark"), (3, "sent"), (2.0, "rto"), (1.2, "timer"), (1e-07, "timer"),
              ([], "buffered"), ([3, 4], "buffered"), ("ready", "state")]
    assert [voice.state_value(v, k) for v, k in values] == [
        "off", "not measured yet", "none", "yes", "no", "3", "2", "1.2", "0.0000001",
        "none", "[3, 4]", "ready"]
    voice.set_language("fa")
    try:
        assert [voice.state_value(v, k) for v, k in values] == [
            "خاموش", "هنوز اندازه‌گیری نشده", "هیچ", "بله", "خیر", "3", "2", "1.2", "0.0000001",
            "هیچ", "[3، 4]", "آماده"]  # Latin digits, as the Persian handouts print them
    finally:
        voice.set_language("en")


def two_datagrams() -> list[WireRecord]:
    """A delivered data datagram and its lost ACK."""
    data = WireRecord(id=0, source="A", sent_at=0.0, payload=b"D0 x", kind="data", seq=0,
                      label="D0 x", fate="delivered", arrived_at=0.1)
    ack = WireRecord(id=1, source="B", sent_at=0.1, payload=b"A0", kind="ack", seq=0,
                     label="A0", fate="dropped", cause="random")
    return [data, ack]


def test_english_lists_keep_the_comma() -> None:
    assert voice.wire_summary(two_datagrams()) == "2 datagrams (1 ack, 1 data), 1 lost, 0 in flight"
    assert voice.format_state({"sent": 2, "timer": None, "buffered": [3, 4]}) == (
        "sent=2, timer=off, buffered=[3, 4]")


@pytest.mark.usefixtures("persian")
def test_persian_lists_use_the_arabic_comma() -> None:
    assert voice.wire_summary(two_datagrams()) == "2 دیتاگرام (1 تصدیق، 1 داده)، 1 گم‌شده، 0 در راه"
    assert voice.format_state({"sent": 2, "timer": None, "buffered": [3, 4]}) == (
        "فرستاده=2، زمان‌سنج=خاموش، در بافر=[3، 4]")
    stepper = Stepper("go-back-n", script=["send A hi", "send A yo", "deliver 0", "drop 1",
                                           "timer"])
    try:
        summary = stepper.summary()
        chart = svg_text(shown_by_class(stepper.widget)["labchat-chart"]
                         .removeprefix('<div class="labchat-chart">').removesuffix("</div>"))
    finally:
        stepper.close()
    state_line = summary.splitlines()[1]
    assert state_line.startswith("A: پایهٔ ارسال=0، شمارهٔ ترتیب بعدی=2، پنجره=4، "), state_line
    # The chart breaks a long state note after an Arabic comma, never leaving a Latin one.
    assert "شمارهٔ ترتیب بعدی=2،\u2069" in chart
    for shown in (summary, chart):
        assert ", " not in shown and "،" in shown


def stopped_timer_run() -> Stepper:
    """Stop-and-wait after one acknowledged message: its timer stopped, its skip mark False."""
    stepper = Stepper("stop-and-wait", script=["send A hi", "deliver 0", "deliver 1"])
    assert stepper.model.snapshot("A")["timer"] is None
    assert stepper.model.snapshot("A")["skip mark"] is False
    return stepper


def svg_text(svg: str) -> str:
    """Every word an SVG shows: its texts and its tooltips."""
    root = ElementTree.fromstring(svg)
    return " ".join("".join(node.itertext()) for node in root.iter()
                    if node.tag.rsplit("}", 1)[-1] in ("text", "title"))


def shown_by_class(root: widgets.Widget) -> dict[str, str]:
    """The HTML each widget under ``root`` shows, by its CSS classes."""
    shown: dict[str, str] = {}
    stack = [root]
    while stack:
        widget = stack.pop()
        stack.extend(getattr(widget, "children", ()))
        if isinstance(widget, widgets.HTML):
            shown.update(dict.fromkeys(widget._dom_classes, widget.value))
    return shown


PYTHON_WORDS = re.compile(r"\b(None|True|False)\b")


@pytest.mark.parametrize("language", ["en", "fa"])
def test_no_chart_or_step_through_shows_a_python_value(language: str) -> None:
    voice.set_language(language)
    try:
        stepper = stopped_timer_run()
        timer, skip = voice.state_name("timer"), voice.state_name("skip mark")
        off, no = voice.state_value(None, "timer"), voice.state_value(False)
        view = shown_by_class(stepper.widget)
        chart = svg_text(view["labchat-chart"].removeprefix('<div class="labchat-chart">')
                         .removesuffix("</div>"))
        summary = stepper.summary()
        table = view["labchat-state-A"]
        for shown in (chart, summary, table, "\n".join(stepper.log)):
            assert not PYTHON_WORDS.search(shown), shown
        assert f"{timer}={off}" in chart  # the final state under A's lifeline
        assert f"{timer}={off}" in summary and f"{skip}={no}" in summary
        assert f"<td>{skip}</td><td>{no}</td>" in table
        stepper.close()
    finally:
        voice.set_language("en")


@pytest.mark.usefixtures("persian")
def test_a_real_peers_packet_comments_speak_persian_without_a_non_joiner() -> None:
    comments = [voice.packet_comment("sent_by", name="A", kind=voice.kind_name("data")),
                voice.packet_comment("received_by", name="B")]
    assert comments == ["فرستاده از A: داده", "دریافت در B"]
    assert not any("\u200c" in comment for comment in comments)

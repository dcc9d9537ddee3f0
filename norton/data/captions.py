"""Timed captions: the Captions record; readers/writers for SRT, WebVTT, HowTo100M JSON, HTM-Align, dense captions."""
from __future__ import annotations

import codecs
import html
import json
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import charset_normalizer
import pysubs2
import webvtt
import webvtt.errors

from norton.files import atomic_write

SENTENCE_END = (".", "?", "!")


@dataclass
class Captions:
    """Timed sentences of one video: parallel lists of start/end seconds and text."""

    start: list[float] = field(default_factory=list)  # seconds
    end: list[float] = field(default_factory=list)  # seconds, end >= start
    text: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.text)

    def validate(self, duration: float | None = None, name: str = "captions") -> Captions:
        """Raise ValueError naming `name` and the first bad index; return self when all is well."""
        if not len(self.start) == len(self.end) == len(self.text):
            raise ValueError(
                f"{name}: start, end and text must have the same length, "
                f"got {len(self.start)}, {len(self.end)}, {len(self.text)}"
            )
        for i, (start, end, text) in enumerate(zip(self.start, self.end, self.text)):
            where = f"{name}: caption {i}"
            if not isinstance(start, (int, float)) or not isinstance(end, (int, float)):
                raise ValueError(f"{where}: start/end must be numbers, got {start!r}, {end!r}")
            if math.isnan(start) or math.isnan(end) or math.isinf(start) or math.isinf(end):
                raise ValueError(f"{where}: start/end must be finite, got {start}, {end}")
            if start < 0:
                raise ValueError(f"{where}: negative start time {start}")
            if start > end:
                raise ValueError(f"{where}: start {start} is after end {end}")
            if duration is not None and end > duration + 1.0:
                raise ValueError(f"{where}: end {end} s is beyond the video duration {duration} s")
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{where}: empty text {text!r}")
        return self

    def sorted(self) -> Captions:
        """A copy ordered by (start, end)."""
        order = sorted(range(len(self)), key=lambda i: (self.start[i], self.end[i]))
        return self.select(order)

    def select(self, indices: list[int]) -> Captions:
        """A copy holding only the captions at `indices`, in that order."""
        return Captions(
            start=[self.start[i] for i in indices],
            end=[self.end[i] for i in indices],
            text=[self.text[i] for i in indices],
        )

    def to_dict(self) -> dict[str, list]:
        """The HowTo100M JSON form {start, end, text}."""
        return {"start": list(self.start), "end": list(self.end), "text": list(self.text)}


@dataclass
class AlignmentAnnotation:
    """HTM-Align ground truth of one video: captions with annotated times and alignable flags."""

    captions: Captions
    alignable: list[bool]


@dataclass
class DenseCaptions:
    """Dense-caption ground truth of one video (YouCook2 / ActivityNet Captions layout): steps with their times and sentences."""

    duration: float  # seconds
    captions: Captions  # start/end = the annotated step timestamps, text = the sentences; file order


# ---------------------------------------------------------------- subtitles (SRT / WebVTT)
#
# The libraries do the parsing: pysubs2 reads SRT (lenient: no index lines, no blank lines between cues, ',' or
# '.' before the milliseconds), webvtt-py reads WebVTT (header, NOTE/STYLE/REGION blocks, cue identifiers and
# settings, a cue that starts right after the previous cue's text), charset-normalizer finds the encoding of a
# file that is not UTF-8 (UTF-16/32 by their BOM, windows-1252 and other legacy code pages by their content).
# This layer adds what they lack:
#   - a SubtitleWarning naming file:line for every cue that is skipped (the libraries drop or merge them
#     silently; the line is found by matching each parsed cue to its timing line in the raw text), and a
#     ValueError naming the file when no cue is left or the file is not text;
#   - de-duplication of rolling captions (YouTube ASR, broadcast roll-up), only in files detected as such,
#     see is_rolling(); other files keep every cue, even one that repeats the previous one;
#   - the inline word timings of YouTube files (<00:00:01.000><c> word</c>) as per-word captions on request;
#   - markup removal ({\an8}, <i>, <c.color>, <v Name>) and HTML entity unescaping.

SUBTITLE_EXTENSIONS = (".srt", ".vtt")
TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")  # <i>, <c.color>, <00:00:01.000>, {\an8}
WORD_TIME = re.compile(r"<((?:\d+:)?\d{1,2}:\d{1,2}\.\d{1,3})>")  # a WebVTT inline timestamp tag
VTT_TIMING = re.compile(r"\s*((?:\d+:)?\d{1,2}:\d{1,2}\.\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{1,2}\.\d{1,3})")
TIMING_LIKE = re.compile(r"\d:\d")  # a line holding '-->' and this was meant as a timing line


class SubtitleWarning(UserWarning):
    """A subtitle file was read with a loss or a guess: a cue was skipped, or its encoding is not UTF-8."""


@dataclass
class Cue:
    """One parsed cue: times in seconds, its text lines as read (WebVTT markup kept), its timing line number."""

    start: float
    end: float
    lines: list[str]
    line: int | None  # 1-based line of its 'start --> end' line; None if it could not be located


def where(path: Path, line: int | None) -> str:
    """'file:line' (or just the file when the line is unknown)."""
    return f"{path}:{line}" if line is not None else str(path)


def clean_cue_line(line: str) -> str:
    """Strip markup tags and HTML entities from one subtitle text line."""
    return " ".join(html.unescape(TAG.sub("", line)).split())


def decode_subtitles(data: bytes, path: Path) -> tuple[str, str, bool]:
    """(text with '\\n' line ends, encoding, found by a BOM): UTF-8 (BOM or not), else charset-normalizer's guess.

    Among legacy code pages that charset-normalizer cannot tell apart (it ranks cp1250 and cp1252 alike on
    French or Spanish text), windows-1252 is preferred: the most common code page of subtitle files."""
    if not data.strip():
        raise ValueError(f"{path}: the file is empty")
    try:
        text, encoding, by_bom = data.decode("utf-8-sig"), "utf-8", data.startswith(codecs.BOM_UTF8)
    except UnicodeDecodeError:
        results = charset_normalizer.from_bytes(data)
        best = results.best()
        if best is None:
            raise ValueError(f"{path}: cannot decode the file: it is not UTF-8 and no text encoding fits it "
                             f"(a binary file?)") from None
        text, encoding, by_bom = str(best), best.encoding, best.bom
        if encoding != "cp1252" and not by_bom:
            try:
                as_1252 = data.decode("cp1252")
            except UnicodeDecodeError:
                as_1252 = None
            tied = any(match.encoding == "cp1252" and match.chaos <= best.chaos
                       and match.coherence >= best.coherence for match in results)
            if as_1252 is not None and (as_1252 == text or tied):
                text, encoding = as_1252, "cp1252"
    text = text.lstrip("\ufeff")
    controls = sum(1 for char in text if char < " " and char not in "\t\n\r\f")
    if "\x00" in text or controls > max(2, len(text) // 100):
        raise ValueError(f"{path}: cannot decode the file: it holds control characters, not subtitle text "
                         f"(a binary file?)")
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding, by_bom


def srt_cues(path: Path, lines: list[str], notes: list[tuple[int, str]]) -> list[Cue]:
    """Cues of a SubRip file, read by pysubs2; a malformed timing line is reported and its cue skipped."""
    subs = pysubs2.SSAFile.from_string("\n".join(lines), format_="srt")
    # pysubs2 makes one event per line holding two timestamps, in order: that gives each event its line
    starts = [n for n, line in enumerate(lines, 1) if len(pysubs2.time.TIMESTAMP.findall(line)) == 2]
    for n, line in enumerate(lines, 1):
        if "-->" in line and TIMING_LIKE.search(line) and len(pysubs2.time.TIMESTAMP.findall(line)) != 2:
            notes.append((n, f"{path}:{n}: bad timestamp in timing line {line.strip()!r} "
                             f"(expected HH:MM:SS,mmm --> HH:MM:SS,mmm), cue skipped"))
    if len(starts) != len(subs.events):  # not expected; then the warnings can name only the file
        starts = [None] * len(subs.events)
    cues = []
    for event, n in zip(subs.events, starts):
        text_lines = event.plaintext.split("\n")
        # pysubs2 appends the lines after a malformed timing line (and its index) to the cue before it
        cut = next((i for i, line in enumerate(text_lines) if "-->" in line and TIMING_LIKE.search(line)), None)
        if cut is not None:
            text_lines = text_lines[:cut]
            while text_lines and (not text_lines[-1].strip() or text_lines[-1].strip().isdigit()):
                text_lines.pop()
        cues.append(Cue(event.start / 1000, event.end / 1000, text_lines, n))
    return cues


def vtt_cues(path: Path, lines: list[str], notes: list[tuple[int, str]]) -> list[Cue]:
    """Cues of a WebVTT file, read by webvtt-py; a cue it drops (bad timing, bad block) is reported."""
    if not lines or not lines[0].startswith("WEBVTT"):
        raise ValueError(f"{path}:1: a WebVTT file must start with 'WEBVTT'")
    try:
        captions = webvtt.from_string("\n".join(lines)).captions
    except (webvtt.errors.MalformedFileError, webvtt.errors.MalformedCaptionError) as error:
        raise ValueError(f"{path}: not a readable WebVTT file ({error})") from error
    cues, next_caption = [], 0
    for n, line in enumerate(lines[1:], 2):  # each timing line, in order, to the caption parsed from it
        if "-->" not in line:
            continue
        match = VTT_TIMING.match(line)
        if match is None:
            notes.append((n, f"{path}:{n}: bad timestamp in timing line {line.strip()!r} "
                             f"(expected [HH:]MM:SS.mmm --> [HH:]MM:SS.mmm), cue skipped"))
            continue
        try:
            timing = webvtt.Caption(match.group(1), match.group(2))
        except webvtt.errors.MalformedCaptionError:
            notes.append((n, f"{path}:{n}: bad timestamp in timing line {line.strip()!r} "
                             f"(minutes and seconds must be < 60), cue skipped"))
            continue
        caption = captions[next_caption] if next_caption < len(captions) else None
        if caption is None or (caption.start, caption.end) != (timing.start, timing.end):
            notes.append((n, f"{path}:{n}: cue could not be read (malformed cue block), cue skipped"))
            continue
        cues.append(Cue(caption.start_time.in_milliseconds() / 1000, caption.end_time.in_milliseconds() / 1000,
                        list(caption.lines), n))
        next_caption += 1
    for caption in captions[next_caption:]:  # not expected: a caption whose timing line was not found
        cues.append(Cue(caption.start_time.in_milliseconds() / 1000, caption.end_time.in_milliseconds() / 1000,
                        list(caption.lines), None))
    return cues


def is_rolling(texts: list[list[str]], inline_timings: bool) -> bool:
    """True for rolling captions, where each cue repeats the last line of the previous one (YouTube ASR).

    A file is rolling if it has inline word timings (only YouTube-style ASR files do), or if at least half
    of its consecutive cue pairs (and at least two) start with the previous cue's last line. A 'Kind:
    captions' header alone does not count: manual YouTube captions and other sites carry it too."""
    if inline_timings:
        return True
    pairs = [(a, b) for a, b in zip(texts, texts[1:]) if a and b]
    repeats = sum(b[0] == a[-1] for a, b in pairs)
    return repeats >= 2 and 2 * repeats >= len(pairs)


def timestamp_seconds(value: str) -> float:
    """'[HH:]MM:SS.mmm' (already matched by WORD_TIME) -> seconds."""
    *hours_minutes, seconds = value.split(":")
    hours = int(hours_minutes[0]) if len(hours_minutes) == 2 else 0
    return hours * 3600 + int(hours_minutes[-1]) * 60 + float(seconds)


def timed_words(raw_line: str, start: float, end: float) -> list[tuple[float, float, str]]:
    """(start, end, text) of each inline-timed segment of a cue line; a line without timings is one segment."""
    parts = WORD_TIME.split(raw_line)  # text, time, text, time, text ...
    times = [start]
    for value in parts[1::2]:
        times.append(min(max(timestamp_seconds(value), times[-1]), end))  # inside the cue, in order
    times.append(end)
    return [(times[i], times[i + 1], text) for i, text in enumerate(clean_cue_line(p) for p in parts[0::2]) if text]


def cues_to_captions(path: Path, cues: list[Cue], notes: list[tuple[int, str]], word_timings: bool) -> Captions:
    """Captions of the cues: bad ones reported and skipped, rolling repeats removed, optionally per word."""
    captions = Captions()
    texts = [[clean_cue_line(line) for line in cue.lines] for cue in cues]
    texts = [[text for text in lines if text] for lines in texts]
    rolling = is_rolling(texts, any(WORD_TIME.search(line) for cue in cues for line in cue.lines))
    previous: list[str] = []
    for cue, text in zip(cues, texts):
        line = cue.line or 0
        if cue.start > cue.end:
            notes.append((line, f"{where(path, cue.line)}: cue start {cue.start} s is after its end {cue.end} s, "
                                f"cue skipped"))
            continue
        if not text:
            notes.append((line, f"{where(path, cue.line)}: empty cue skipped"))
            continue
        raw = [raw_line for raw_line in cue.lines if clean_cue_line(raw_line)]
        if rolling:  # keep only the lines that the previous cue did not show; a cue of repeats is a bridge
            new = [(r, t) for r, t in zip(raw, text) if t not in previous[-1:]]
            previous = text
            if not new:
                continue
        else:
            new = list(zip(raw, text))
        if word_timings and any(WORD_TIME.search(r) for r, _ in new):
            for raw_line, _ in new:
                for start, end, word in timed_words(raw_line, cue.start, cue.end):
                    captions.start.append(start)
                    captions.end.append(end)
                    captions.text.append(word)
            continue
        captions.start.append(cue.start)
        captions.end.append(cue.end)
        captions.text.append(" ".join(t for _, t in new))
    return captions


def read_subtitles(path: str | os.PathLike, word_timings: bool = False, *,
                   on_warning: Callable[[str], object] | None = None) -> Captions:
    """Read an .srt or .vtt subtitle file into Captions (seconds, markup removed, sorted by start).

    A cue that cannot be read (malformed timing, empty text, start after end) is skipped with a
    SubtitleWarning naming file:line; an encoding other than UTF-8 is named in one too (a guessed code
    page, e.g. windows-1252, or UTF-16/32 found by its BOM).
    With on_warning, each such message is passed to it instead of warnings.warn (safe in threads).
    Rolling captions (YouTube ASR) are de-duplicated; with word_timings=True the inline word timings of
    such a file give one caption per timed word (a cue without them stays one caption).
    Raises ValueError naming the file when it is not text or holds no valid cue."""
    path = Path(path)
    if path.suffix.lower() not in SUBTITLE_EXTENSIONS:
        raise ValueError(f"{path}: unknown subtitle extension {path.suffix!r}, expected .srt or .vtt")
    if not path.is_file():
        raise FileNotFoundError(f"subtitle file not found: {path}")
    notes: list[tuple[int, str]] = []
    text, encoding, by_bom = decode_subtitles(path.read_bytes(), path)
    if by_bom and encoding != "utf-8":
        notes.append((0, f"{path}: not UTF-8, read as {encoding} (by its byte-order mark)"))
    elif encoding != "utf-8":
        name = "cp1252 (windows-1252)" if encoding == "cp1252" else encoding
        notes.append((0, f"{path}: not UTF-8, read as {name} (guessed by charset-normalizer); "
                         f"check that accented characters read right"))
    lines = text.split("\n")
    reader = srt_cues if path.suffix.lower() == ".srt" else vtt_cues
    try:
        cues = reader(path, lines, notes)
        captions = cues_to_captions(path, cues, notes, word_timings)
    finally:
        notes.sort(key=lambda note: note[0])
        for _, message in notes:
            if on_warning is not None:
                on_warning(message)
            else:
                warnings.warn(message, SubtitleWarning, stacklevel=2)
    if len(captions) == 0:
        skipped = [message for line, message in notes if line > 0]
        why = (f"{len(skipped)} cue(s) skipped, the first: {skipped[0]}" if skipped
               else "the file has no 'start --> end' cue" if not cues
               else "nothing is left once the rolling-caption repeats are removed")
        raise ValueError(f"{path}: no valid cue ({why})")
    return captions.sorted()


# ---------------------------------------------------------------- JSON formats


def load_json(path: str | os.PathLike) -> object:
    """json.load with errors that name the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"JSON file not found: {path}")
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from error


def captions_from_entry(entry: object, where: str) -> Captions:
    """Captions from one HowTo100M entry {start: [...], end: [...], text: [...]} (structure checked)."""
    if not isinstance(entry, dict) or not {"start", "end", "text"} <= entry.keys():
        raise ValueError(f"{where}: expected an object with 'start', 'end' and 'text' lists")
    if not all(isinstance(entry[key], list) for key in ("start", "end", "text")):
        raise ValueError(f"{where}: 'start', 'end' and 'text' must be lists")
    try:
        start = [float(value) for value in entry["start"]]
        end = [float(value) for value in entry["end"]]
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: start/end must be numbers ({error})") from error
    text = [value if isinstance(value, str) else str(value) for value in entry["text"]]
    return Captions(start, end, text)


def read_howto100m_json(path: str | os.PathLike, *, validate: bool = True) -> dict[str, Captions]:
    """Read {video_id: {start, end, text}}; with validate=True every video's captions are checked."""
    data = load_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object {{video_id: {{start, end, text}}}}")
    result = {}
    for video_id, entry in data.items():
        captions = captions_from_entry(entry, f"{path}: video {video_id!r}")
        result[video_id] = captions.validate(name=f"{path}: video {video_id!r}") if validate else captions
    return result


def write_json_atomic(path: str | os.PathLike, data: object) -> None:
    """Write JSON to a temporary file in the same folder, then rename it over `path`."""
    with atomic_write(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)


def write_howto100m_json(path: str | os.PathLike, captions: dict[str, Captions]) -> None:
    """Write {video_id: {start, end, text}} atomically."""
    write_json_atomic(path, {video_id: c.to_dict() for video_id, c in captions.items()})


def read_htm_align(path: str | os.PathLike, *, validate: bool = True) -> dict[str, AlignmentAnnotation]:
    """Read HTM-Align {video_id: [[alignable, start, end, text], ...]} annotations."""
    data = load_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object {{video_id: [[alignable, start, end, text], ...]}}")
    result = {}
    for video_id, rows in data.items():
        where = f"{path}: video {video_id!r}"
        if not isinstance(rows, list):
            raise ValueError(f"{where}: expected a list of [alignable, start, end, text] rows")
        captions, alignable = Captions(), []
        for i, row in enumerate(rows):
            if not isinstance(row, (list, tuple)) or len(row) != 4:
                raise ValueError(f"{where}: entry {i} must be [alignable, start, end, text], got {row!r}")
            flag, start, end, text = row
            if flag not in (0, 1, True, False):
                raise ValueError(f"{where}: entry {i} alignable flag must be 0 or 1, got {flag!r}")
            if not isinstance(start, (int, float)) or not isinstance(end, (int, float)):
                raise ValueError(f"{where}: entry {i} start/end must be numbers, got {start!r}, {end!r}")
            alignable.append(bool(flag))
            captions.start.append(float(start))
            captions.end.append(float(end))
            captions.text.append(text if isinstance(text, str) else str(text))
        if validate:
            captions.validate(name=where)
        result[video_id] = AlignmentAnnotation(captions, alignable)
    return result


def is_number(value: object) -> bool:
    """True for an int or float that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def read_dense_captions(path: str | os.PathLike, *, validate: bool = True) -> dict[str, DenseCaptions]:
    """Read {video_id: {duration, timestamps: [[start, end], ...], sentences}}; file order kept, overlaps too."""
    data = load_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object {{video_id: {{duration, timestamps, sentences}}}}")
    result = {}
    for video_id, entry in data.items():
        where = f"{path}: video {video_id!r}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected an object with 'duration', 'timestamps' and 'sentences'")
        for key in ("duration", "timestamps", "sentences"):
            if key not in entry:
                raise ValueError(f"{where}: missing field {key!r}")
        duration, timestamps, sentences = entry["duration"], entry["timestamps"], entry["sentences"]
        if not is_number(duration) or not math.isfinite(duration) or duration <= 0:
            raise ValueError(f"{where}: 'duration' must be a positive finite number of seconds, got {duration!r}")
        if not isinstance(timestamps, list):
            raise ValueError(f"{where}: 'timestamps' must be a list of [start, end] pairs, got {timestamps!r}")
        if not isinstance(sentences, list):
            raise ValueError(f"{where}: 'sentences' must be a list of strings, got {sentences!r}")
        if len(timestamps) != len(sentences):
            raise ValueError(
                f"{where}: 'timestamps' has {len(timestamps)} entries but 'sentences' has {len(sentences)}"
            )
        captions = Captions()
        for i, (pair, sentence) in enumerate(zip(timestamps, sentences)):
            if not (isinstance(pair, list) and len(pair) == 2 and all(is_number(t) and math.isfinite(t) for t in pair)):
                raise ValueError(f"{where}: 'timestamps' entry {i} must be a [start, end] pair of numbers, "
                                 f"got {pair!r}")
            start, end = float(pair[0]), float(pair[1])
            if start > duration:
                raise ValueError(f"{where}: 'timestamps' entry {i} start {start} s is past the duration {duration} s")
            if not isinstance(sentence, str):
                raise ValueError(f"{where}: 'sentences' entry {i} must be a string, got {sentence!r}")
            if validate:
                if start < 0:
                    raise ValueError(f"{where}: 'timestamps' entry {i} has a negative start {start} s")
                if start > end:
                    raise ValueError(f"{where}: 'timestamps' entry {i} start {start} s is after its end {end} s")
                if not sentence.strip():
                    raise ValueError(f"{where}: 'sentences' entry {i} is empty, expected a non-empty string")
            captions.start.append(start)
            captions.end.append(min(end, float(duration)))  # ActivityNet ends slightly past the duration
            captions.text.append(sentence)
        if validate:
            captions.validate(duration=float(duration), name=where)  # checks each step alone, never the order
        result[video_id] = DenseCaptions(float(duration), captions)
    return result


def write_htm_align(path: str | os.PathLike, annotations: dict[str, AlignmentAnnotation]) -> None:
    """Write {video_id: [[alignable, start, end, text], ...]} atomically."""
    write_json_atomic(path, {
        video_id: [[int(flag), start, end, text] for flag, start, end, text in zip(
            a.alignable, a.captions.start, a.captions.end, a.captions.text)]
        for video_id, a in annotations.items()
    })


# ---------------------------------------------------------------- sentence merging


def merge_fragments(captions: Captions, *, max_gap: float = 1.0, max_words: int = 32) -> Captions:
    """Merge ASR fragments into sentences (ends at . ? ! or gap > max_gap or too many words)."""
    if max_words < 1:
        raise ValueError(f"max_words must be >= 1, got {max_words}")
    merged = Captions()
    ordered = captions.sorted()
    group: list[int] = []
    for i in range(len(ordered)):
        if group:
            last = group[-1]
            words = sum(len(ordered.text[j].split()) for j in group) + len(ordered.text[i].split())
            closes = (
                ordered.text[last].rstrip().endswith(SENTENCE_END)
                or ordered.start[i] - max(ordered.end[j] for j in group) > max_gap
                or words > max_words
            )
            if closes:
                append_group(merged, ordered, group)
                group = []
        group.append(i)
    if group:
        append_group(merged, ordered, group)
    return merged


def append_group(merged: Captions, ordered: Captions, group: list[int]) -> None:
    """Append the fragments `group` of `ordered` to `merged` as one sentence."""
    merged.start.append(ordered.start[group[0]])
    merged.end.append(max(ordered.end[j] for j in group))
    merged.text.append(" ".join(ordered.text[j].strip() for j in group))

"""Timed captions: the Captions record; readers/writers for SRT, WebVTT, HowTo100M JSON, HTM-Align, dense captions."""
from __future__ import annotations

import html
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

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

TIMESTAMP = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})$")
TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")  # <i>, <c.color>, <00:00:01.000>, {\an8}


def parse_timestamp(value: str, where: str) -> float:
    """'HH:MM:SS,mmm' / 'HH:MM:SS.mmm' / 'MM:SS.mmm' -> seconds."""
    match = TIMESTAMP.match(value.strip())
    if match is None:
        raise ValueError(f"{where}: bad timestamp {value.strip()!r}, expected HH:MM:SS,mmm or MM:SS.mmm")
    hours, minutes, seconds, millis = match.groups()
    if int(minutes) >= 60 or int(seconds) >= 60:
        raise ValueError(f"{where}: bad timestamp {value.strip()!r}, minutes/seconds must be < 60")
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis.ljust(3, "0")) / 1000


def clean_cue_line(line: str) -> str:
    """Strip markup tags and HTML entities from one subtitle text line."""
    return " ".join(html.unescape(TAG.sub("", line)).split())


def split_blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Group lines into blank-line separated blocks; each with its first line number (1-based)."""
    blocks, current, first = [], [], 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not current:
                first = number
            current.append(line.rstrip())
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def parse_cue(block: list[str], first_line: int, path: Path) -> tuple[float, float, list[str]] | None:
    """(start, end, text lines) of a cue block, or None when the block holds no timing line."""
    for offset, line in enumerate(block):
        if "-->" in line:
            where = f"{path}:{first_line + offset}"
            left, right = line.split("-->", 1)
            right_fields = right.split()
            if not right_fields:
                raise ValueError(f"{where}: missing end timestamp in {line.strip()!r}")
            start = parse_timestamp(left, where)
            end = parse_timestamp(right_fields[0], where)  # the rest are cue settings
            return start, end, [clean_cue_line(text) for text in block[offset + 1 :]]
    return None


def read_srt(path: Path, lines: list[str]) -> Captions:
    """Parse SubRip cues: index line, 'start --> end', text lines."""
    captions = Captions()
    for first_line, block in split_blocks(lines):
        cue = parse_cue(block, first_line, path)
        if cue is None:
            raise ValueError(f"{path}:{first_line}: subtitle block without a 'start --> end' line")
        start, end, text_lines = cue
        add_cue(captions, start, end, " ".join(t for t in text_lines if t), f"{path}:{first_line}")
    return captions


def read_vtt(path: Path, lines: list[str]) -> Captions:
    """Parse WebVTT cues; skip header, NOTE/STYLE/REGION blocks and rolling-caption repeats."""
    if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise ValueError(f"{path}:1: a WebVTT file must start with 'WEBVTT'")
    captions = Captions()
    previous_lines: list[str] = []
    for first_line, block in split_blocks(lines)[1:]:  # the first block is the header
        if block[0].split(" ", 1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        cue = parse_cue(block, first_line, path)
        if cue is None:
            raise ValueError(f"{path}:{first_line}: cue without a 'start --> end' line")
        start, end, text_lines = cue
        text_lines = [t for t in text_lines if t]
        # YouTube ASR cues repeat the previous cue's last line before adding the new words
        new_lines = [t for t in text_lines if t not in previous_lines[-1:]]
        if text_lines and not new_lines:
            continue
        previous_lines = text_lines
        add_cue(captions, start, end, " ".join(new_lines), f"{path}:{first_line}")
    return captions


def add_cue(captions: Captions, start: float, end: float, text: str, where: str) -> None:
    """Append one cue after checking its text and times."""
    if not text:
        raise ValueError(f"{where}: cue has empty text")
    if start > end:
        raise ValueError(f"{where}: cue start {start} s is after its end {end} s")
    captions.start.append(start)
    captions.end.append(end)
    captions.text.append(text)


def read_subtitles(path: str | os.PathLike) -> Captions:
    """Read an .srt or .vtt subtitle file into Captions (seconds, markup removed)."""
    path = Path(path)
    readers = {".srt": read_srt, ".vtt": read_vtt}
    if path.suffix.lower() not in readers:
        raise ValueError(f"{path}: unknown subtitle extension {path.suffix!r}, expected .srt or .vtt")
    if not path.is_file():
        raise FileNotFoundError(f"subtitle file not found: {path}")
    lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    return readers[path.suffix.lower()](path, lines)


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

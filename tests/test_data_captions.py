"""Caption readers (SRT, WebVTT, HowTo100M JSON, HTM-Align), validation and fragment merging."""
from __future__ import annotations

import codecs
import json
import random
import re
import warnings
from pathlib import Path

import pytest

from norton.data.captions import (
    Captions,
    DenseCaptions,
    SubtitleWarning,
    is_rolling,
    merge_fragments,
    read_dense_captions,
    read_howto100m_json,
    read_htm_align,
    read_subtitles,
    write_howto100m_json,
)

SRT = """1
00:00:01,500 --> 00:00:04,000
<i>Hello</i> there,

2
00:00:04,250 --> 00:01:02,005 X1:10 X2:20
first we cut
the onions.

3
01:00:00,000 --> 01:00:01,100
{\\an8}done &amp; dusted
"""

VTT = """\ufeffWEBVTT - Some title
Kind: captions
Language: en

NOTE this is a comment
spanning two lines

STYLE
::cue { color: white }

intro
00:01.000 --> 00:03.500 align:start position:0%
<v Chef>Welcome</v> to the <c.yellow>kitchen</c>

00:00:03.500 --> 00:00:05.000
Welcome to the kitchen
today<00:00:04.000><c> we</c><00:00:04.500><c> bake</c>

00:00:05.000 --> 00:00:05.010
today we bake

00:00:05.010 --> 00:00:07.000
today we bake
bread
"""


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_srt_times_text_and_markup(tmp_path):
    captions = read_subtitles(write(tmp_path, "a.srt", SRT))
    assert captions.start == pytest.approx([1.5, 4.25, 3600.0])
    assert captions.end == pytest.approx([4.0, 62.005, 3601.1])
    assert captions.text == ["Hello there,", "first we cut the onions.", "done & dusted"]


def test_vtt_header_notes_settings_tags_and_rolling_repeats(tmp_path):
    captions = read_subtitles(write(tmp_path, "a.vtt", VTT))
    # the 10 ms cue only repeats the previous line and is dropped; rolling lines keep only new words
    assert captions.text == ["Welcome to the kitchen", "today we bake", "bread"]
    assert captions.start == pytest.approx([1.0, 3.5, 5.01])
    assert captions.end == pytest.approx([3.5, 5.0, 7.0])


def test_subtitle_errors_name_file_and_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.srt"):
        read_subtitles(tmp_path / "missing.srt")
    with pytest.raises(ValueError, match="unknown subtitle extension"):
        read_subtitles(write(tmp_path, "a.txt", SRT))
    # a file whose only cue is unreadable: the cue is reported with its line, then the file has no valid cue
    cases = [
        ("bad.srt", "1\n00:00:01,000 --> 00:0x:02,000\nhello\n", r"bad\.srt:2: bad timestamp in timing line"),
        ("empty.srt", "1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n", r"empty\.srt:2: empty cue skipped"),
        ("back.srt", "1\n00:00:05,000 --> 00:00:02,000\nhello\n", r"back\.srt:2: .*after its end"),
    ]
    for name, text, message in cases:
        with pytest.warns(SubtitleWarning, match=message):
            with pytest.raises(ValueError, match=rf"{name.replace('.', '[.]')}: no valid cue \(1 cue\(s\) skipped"):
                read_subtitles(write(tmp_path, name, text))
    with pytest.raises(ValueError, match=r"nohead\.vtt:1: .*WEBVTT"):
        read_subtitles(write(tmp_path, "nohead.vtt", "00:01.000 --> 00:02.000\nhi\n"))
    with pytest.raises(ValueError, match=r"void\.srt: the file is empty"):
        read_subtitles(write(tmp_path, "void.srt", "\n\n"))
    with pytest.raises(ValueError, match=r"prose\.srt: no valid cue \(the file has no 'start --> end' cue\)"):
        read_subtitles(write(tmp_path, "prose.srt", "just some text\n"))


# ---------------------------------------------------------------- subtitle files (tests/data/subtitles)

SUBTITLES = Path(__file__).parent / "data" / "subtitles"


def read_quietly(path, **kwargs):
    """read_subtitles, failing on any SubtitleWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", SubtitleWarning)
        return read_subtitles(path, **kwargs)


@pytest.mark.parametrize(
    "name, count, first, last",
    [  # pysubs2's own test inputs (tests/data/subtitles/pysubs2/README.md)
        ("simple.srt", 2, "An example subtitle.", "Subtitle number two."),
        ("malformed.srt", 2, "An example subtitle.", "Subtitle number two."),  # no index, '->', indented
        ("position_styling.srt", 2, "Elephant's Dream", "At the left we can see..."),
        ("bad_tags.srt", 1, "Elephant's Dream Is Long And Badly Nested", None),
        ("ssa_tags.srt", 2, "An example subtitle.", "Subtitle number two."),  # {\an7}, {\b1}
        ("simple.vtt", 2, "An example subtitle.", "Subtitle number two."),
        ("complex.vtt", 3, "Cuidem do seu grupo. Cuidem de suas fileiras.", "E, parem!"),  # X-TIMESTAMP-MAP
    ],
)
def test_pysubs2_test_files(name, count, first, last):
    captions = read_quietly(SUBTITLES / "pysubs2" / name)
    assert len(captions) == count and captions.text[0] == first
    if last is not None:
        assert captions.text[-1] == last
    assert captions.start == sorted(captions.start) and all(s <= e for s, e in zip(captions.start, captions.end))


def test_pysubs2_empty_subtitles_are_skipped_with_their_lines():
    path = SUBTITLES / "pysubs2" / "empty_subtitles.srt"
    with pytest.warns(SubtitleWarning) as record:
        captions = read_subtitles(path)
    assert captions.text == ["I'm Liza Minnelli.."]
    assert captions.start == pytest.approx([1767.46]) and captions.end == pytest.approx([1769.83])
    assert [str(w.message) for w in record] == [f"{path}:7: empty cue skipped", f"{path}:10: empty cue skipped"]


def test_youtube_auto_captions_back_to_back_cues():
    path = SUBTITLES / "youtube_auto.vtt"
    assert "\n \n" in path.read_text()  # YouTube's whitespace-only lines (not blank: they do not end a cue)
    captions = read_quietly(path)
    # rolling repeats and 10 ms bridge cues are dropped; cues that follow the previous text without a
    # blank line are read as cues (their timing line does not leak), the last one included
    assert captions.text == ["so today we make", "bread and this is what", "this will happen", "at the end"]
    assert captions.start == pytest.approx([300.03, 302.08, 304.09, 306.51])
    assert captions.end == pytest.approx([302.07, 304.08, 306.5, 309.0])
    assert not any("-->" in text or "align:" in text or ":" in text for text in captions.text)


def test_youtube_word_timings():
    words = read_quietly(SUBTITLES / "youtube_auto.vtt", word_timings=True)
    assert " ".join(words.text) == "so today we make bread and this is what this will happen at the end"
    assert words.text[:4] == ["so", "today", "we", "make"]
    assert words.start[:4] == pytest.approx([300.03, 300.359, 300.75, 301.11])  # the first word at the cue start
    assert words.end[:4] == pytest.approx([300.359, 300.75, 301.11, 302.07])  # the last word to the cue end
    assert words.start[-1] == pytest.approx(307.4) and words.end[-1] == pytest.approx(309.0)
    assert all(s <= e for s, e in zip(words.start, words.end))
    # a file without inline timings gives its cues whatever word_timings says
    assert read_quietly(SUBTITLES / "netflix.vtt", word_timings=True) == read_quietly(SUBTITLES / "netflix.vtt")


def test_netflix_style_repeated_cue_is_kept():
    captions = read_quietly(SUBTITLES / "netflix.vtt")
    assert captions.text == ["- Where are you going?", "Stop!", "Stop!",
                             "Tom & Jerry \u2014 the end Thanks for watching."]
    assert captions.start == pytest.approx([1.001, 3.211, 5.005, 6.631])


def test_rolling_detection():
    assert is_rolling([["a"], ["b"]], inline_timings=True)
    assert is_rolling([["a"], ["a", "b"], ["b", "c"], ["c", "d"]], inline_timings=False)  # roll-up, no timings
    assert not is_rolling([["a"], ["b"], ["b"], ["c"], ["d"]], inline_timings=False)  # one repeat: not rolling
    assert not is_rolling([["a"], ["a", "b"]], inline_timings=False)  # a single repeat is not enough


def test_youtube_captions_converted_to_srt_are_deduplicated(tmp_path):
    srt = ("1\n00:00:00,000 --> 00:00:02,000\nso today we\n\n2\n00:00:02,000 --> 00:00:02,010\nso today we\n\n"
           "3\n00:00:02,010 --> 00:00:04,000\nso today we\nmake bread\n\n4\n00:00:04,000 --> 00:00:04,010\n"
           "make bread\n\n5\n00:00:04,010 --> 00:00:06,000\nmake bread\nat home\n")
    captions = read_quietly(write(tmp_path, "yt.srt", srt))
    assert captions.text == ["so today we", "make bread", "at home"]
    assert captions.start == pytest.approx([0.0, 2.01, 4.01])


ACCENTED_SRT = ("1\n00:00:01,000 --> 00:00:02,500\nVoilà, on coupe les oignons émincés.\n\n"
                "2\n00:00:02,600 --> 00:00:04,000\nEnsuite, la crème fraîche \u2013 c\u2019est très bon.\n\n"
                "3\n00:00:04,100 --> 00:00:06,000\nLe café est prêt.\n\n"
                "4\n00:00:06,100 --> 00:00:08,000\nAñadimos el azúcar y la piña, señor.\n")
ACCENTED_TEXT = ["Voilà, on coupe les oignons émincés.", "Ensuite, la crème fraîche \u2013 c\u2019est très bon.",
                 "Le café est prêt.", "Añadimos el azúcar y la piña, señor."]


def test_windows_1252_srt_is_decoded_and_named(tmp_path):
    path = tmp_path / "legacy.srt"
    path.write_bytes(ACCENTED_SRT.replace("\n", "\r\n").encode("cp1252"))
    with pytest.warns(SubtitleWarning, match=r"legacy\.srt: not UTF-8, read as cp1252 \(windows-1252\)") as record:
        captions = read_subtitles(path)
    assert len(record) == 1
    assert captions.text == ACCENTED_TEXT
    assert not any("\ufffd" in text for text in captions.text)


def test_latin_1_srt_is_decoded(tmp_path):
    path = tmp_path / "latin.srt"
    path.write_bytes(ACCENTED_SRT.replace("\u2013", "-").replace("\u2019", "'").encode("latin-1"))
    with pytest.warns(SubtitleWarning, match="not UTF-8"):
        captions = read_subtitles(path)
    assert captions.text[0] == "Voilà, on coupe les oignons émincés." and captions.text[3] == ACCENTED_TEXT[3]


@pytest.mark.parametrize("codec, bom", [
    ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE),
])
def test_utf16_and_utf32_with_bom(tmp_path, codec, bom):
    srt = tmp_path / "wide.srt"
    srt.write_bytes(bom + ACCENTED_SRT.replace("\n", "\r\n").encode(codec))
    with pytest.warns(SubtitleWarning, match=r"wide\.srt: not UTF-8, read as utf_(16|32)"):
        assert read_subtitles(srt).text == ACCENTED_TEXT
    vtt = tmp_path / "wide.vtt"
    vtt.write_bytes(bom + ("WEBVTT\n\n" + re.sub(r"(\d\d),(\d{3})", r"\1.\2", ACCENTED_SRT)).encode(codec))
    with pytest.warns(SubtitleWarning, match=r"wide\.vtt: not UTF-8"):
        assert read_subtitles(vtt).text == ACCENTED_TEXT


def test_utf8_with_bom_and_old_mac_line_ends(tmp_path):
    path = tmp_path / "bom.srt"
    path.write_bytes(codecs.BOM_UTF8 + ACCENTED_SRT.replace("\n", "\r").encode("utf-8"))
    assert read_quietly(path).text == ACCENTED_TEXT


def test_broken_cues_are_skipped_with_file_and_line():
    path = SUBTITLES / "broken_cues.srt"
    with pytest.warns(SubtitleWarning) as record:
        captions = read_subtitles(path)
    assert [str(w.message) for w in record] == [
        f"{path}:6: empty cue skipped",
        f"{path}:9: bad timestamp in timing line '00:00:03,100 --> 00:0x:04,000' "
        "(expected HH:MM:SS,mmm --> HH:MM:SS,mmm), cue skipped",
    ]
    # the malformed cue's text is not glued to the cue before it
    assert captions.text == ["First we take the flour.", "Then we add water.", "And we knead it."]
    assert captions.start == pytest.approx([1.0, 4.1, 6.1])


def test_broken_vtt_cues_are_skipped_with_file_and_line(tmp_path):
    vtt = ("WEBVTT\n\nintro\n00:00:01.000 --> 00:00:02.000\nok\n\n00:00:02.000 --> 00:0x:03.000\nbad\n\n"
           "00:00:05.000 --> 00:00:04.000\nbackwards\n\n00:00:06.000 --> 00:00:07.000\n\n"
           "00:00:06.000 --> 00:61:07.000\nminutes\n\n00:00:10.000 --> 00:00:11.000\nlast\n")
    path = write(tmp_path, "broken.vtt", vtt)
    with pytest.warns(SubtitleWarning) as record:
        captions = read_subtitles(path)
    assert [str(w.message).split(": ", 1)[0] for w in record] == [f"{path}:{n}" for n in (7, 10, 13, 15)]
    assert [str(w.message).split(": ", 1)[1] for w in record] == [
        "bad timestamp in timing line '00:00:02.000 --> 00:0x:03.000' "
        "(expected [HH:]MM:SS.mmm --> [HH:]MM:SS.mmm), cue skipped",
        "cue start 5.0 s is after its end 4.0 s, cue skipped",
        "empty cue skipped",
        "bad timestamp in timing line '00:00:06.000 --> 00:61:07.000' (minutes and seconds must be < 60), "
        "cue skipped",
    ]
    assert captions.text == ["ok", "last"]


def test_header_only_vtt_is_an_error():
    with pytest.raises(ValueError, match=r"header_only\.vtt: no valid cue"):
        read_subtitles(SUBTITLES / "header_only.vtt")


@pytest.mark.parametrize("data", [
    random.Random(0).randbytes(3000),  # no encoding fits
    b"\x00\x01\x02\x03" * 200,  # valid UTF-8, but control characters
    b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(500),
])
def test_binary_file_is_an_error(tmp_path, data):
    path = tmp_path / "image.srt"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=r"image\.srt: cannot decode the file: .*binary file"):
        read_subtitles(path)


def test_on_warning_collects_instead_of_warning():
    notes = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        captions = read_subtitles(SUBTITLES / "broken_cues.srt", on_warning=notes.append)
    assert len(captions) == 3 and len(notes) == 2 and notes[0].endswith(":6: empty cue skipped")


def test_extract_load_captions_reports_warnings_and_errors(tmp_path):
    from norton.extract import load_captions

    (tmp_path / "a.srt").write_bytes((SUBTITLES / "broken_cues.srt").read_bytes())
    notes = []
    captions = load_captions(tmp_path / "a.mp4", duration=10.0, merge=False, on_warning=notes.append)
    assert captions.text[0] == "First we take the flour." and len(notes) == 2
    (tmp_path / "b.vtt").write_bytes((SUBTITLES / "header_only.vtt").read_bytes())
    with pytest.raises(ValueError, match=r"b\.vtt: no valid cue"):
        load_captions(tmp_path / "b.mp4", duration=10.0, merge=False)
    assert load_captions(tmp_path / "c.mp4", duration=10.0, merge=False) is None  # no subtitle file


def test_extract_cli_prints_subtitle_warnings_and_fails_only_the_bad_video(tmp_path, capsys):
    import argparse

    from norton import extract
    from norton.data.store import FeatureStore
    from videos_helpers import make_video

    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("noisy", "headless", "plain"):
        make_video(folder / f"{name}.mp4", num_frames=90, fps=10)
    (folder / "noisy.srt").write_bytes((SUBTITLES / "broken_cues.srt").read_bytes())
    (folder / "headless.vtt").write_bytes((SUBTITLES / "header_only.vtt").read_bytes())
    parser = argparse.ArgumentParser()
    extract.configure(parser)
    code = extract.run(parser.parse_args([str(folder), "--encoder", "random-tiny", "--out", str(tmp_path / "s"),
                                          "--workers", "2"]))
    out = capsys.readouterr().out
    assert code == 1
    assert f"warning noisy: {folder / 'noisy.srt'}:6: empty cue skipped" in out
    assert f"warning noisy: {folder / 'noisy.srt'}:9: bad timestamp in timing line" in out
    assert f"failed headless: ValueError: {folder / 'headless.vtt'}: no valid cue" in out
    store = FeatureStore(tmp_path / "s")
    assert sorted(store.video_ids) == ["noisy", "plain"] and list(store.failed) == ["headless"]
    assert store.captions("noisy").text == ["First we take the flour.", "Then we add water.", "And we knead it."]


def test_howto100m_round_trip(tmp_path):
    data = {"v1": Captions([0.0, 2.5], [2.0, 4.0], ["a b", "c"]), "v2": Captions([1.0], [3.0], ["d"])}
    path = tmp_path / "captions.json"
    write_howto100m_json(path, data)
    assert json.loads(path.read_text())["v1"] == {"start": [0.0, 2.5], "end": [2.0, 4.0], "text": ["a b", "c"]}
    assert read_howto100m_json(path) == data
    assert not list(tmp_path.glob("*.tmp*"))  # the atomic write left no temporary file


def test_howto100m_errors_name_file_and_video(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.json"):
        read_howto100m_json(tmp_path / "nope.json")
    broken = write(tmp_path, "broken.json", "{not json")
    with pytest.raises(ValueError, match=r"broken\.json: not valid JSON"):
        read_howto100m_json(broken)
    empty_text = write(tmp_path, "e.json", json.dumps({"vid": {"start": [0, 1], "end": [1, 2], "text": ["a", " "]}}))
    with pytest.raises(ValueError, match=r"e\.json: video 'vid': caption 1: empty text"):
        read_howto100m_json(empty_text)
    assert len(read_howto100m_json(empty_text, validate=False)["vid"]) == 2
    missing_key = write(tmp_path, "m.json", json.dumps({"vid": {"start": [0], "text": ["a"]}}))
    with pytest.raises(ValueError, match=r"m\.json: video 'vid'"):
        read_howto100m_json(missing_key)


def test_htm_align_reader(tmp_path):
    path = write(tmp_path, "htm.json", json.dumps({"v": [[1, 3.0, 7.5, "cut it"], [0, 8, 9, "hi folks"]]}))
    annotation = read_htm_align(path)["v"]
    assert annotation.alignable == [True, False]
    assert annotation.captions.start == [3.0, 8.0] and annotation.captions.end == [7.5, 9.0]
    assert annotation.captions.text == ["cut it", "hi folks"]
    bad_flag = write(tmp_path, "flag.json", json.dumps({"v": [[2, 3.0, 7.5, "x"]]}))
    with pytest.raises(ValueError, match=r"flag\.json: video 'v': entry 0 alignable flag"):
        read_htm_align(bad_flag)
    short_row = write(tmp_path, "row.json", json.dumps({"v": [[1, 3.0, "x"]]}))
    with pytest.raises(ValueError, match=r"row\.json: video 'v': entry 0"):
        read_htm_align(short_row)


@pytest.mark.parametrize(
    "captions, message",
    [
        (Captions([0.0], [1.0, 2.0], ["a"]), "same length"),
        (Captions([float("nan")], [1.0], ["a"]), "caption 0: start/end must be finite"),
        (Captions([0.0, 3.0], [1.0, 2.0], ["a", "b"]), "caption 1: start 3.0 is after end 2.0"),
        (Captions([-1.0], [1.0], ["a"]), "caption 0: negative start"),
        (Captions([0.0, 1.0], [1.0, 12.0], ["a", "b"]), "caption 1: end 12.0 s is beyond"),
        (Captions([0.0], [1.0], [""]), "caption 0: empty text"),
    ],
)
def test_validate_names_first_bad_index(captions, message):
    with pytest.raises(ValueError, match=f"myvideo: .*{message}"):
        captions.validate(duration=10.0, name="myvideo")


def test_validate_tolerance_and_sorted():
    captions = Captions([5.0, 1.0, 1.0], [10.9, 3.0, 2.0], ["c", "b", "a"])
    assert captions.validate(duration=10.0) is captions  # 0.9 s beyond the end is tolerated
    ordered = captions.sorted()
    assert ordered.text == ["a", "b", "c"] and ordered.start == [1.0, 1.0, 5.0] and ordered.end == [2.0, 3.0, 10.9]


def test_merge_fragments_punctuation_gap_and_length():
    fragments = Captions(
        start=[0.0, 1.0, 2.0, 3.0, 10.0, 11.0, 12.0],
        end=[1.0, 2.0, 3.0, 4.0, 11.0, 12.0, 13.0],
        text=["so first", "we cut.", "then we", "boil", "after a pause", "one two three", "four five"],
    )
    merged = merge_fragments(fragments, max_gap=1.0, max_words=5)
    assert merged.text == ["so first we cut.", "then we boil", "after a pause", "one two three four five"]
    assert merged.start == [0.0, 2.0, 10.0, 11.0]
    assert merged.end == [2.0, 4.0, 11.0, 13.0]
    # every word survives, in time order
    assert " ".join(merged.text).split() == " ".join(fragments.text).split()


def test_merge_fragments_unsorted_input_and_bad_argument():
    fragments = Captions([2.0, 0.0], [3.0, 1.5], ["world", "hello"])
    merged = merge_fragments(fragments)
    assert merged.text == ["hello world"] and merged.start == [0.0] and merged.end == [3.0]
    with pytest.raises(ValueError, match="max_words"):
        merge_fragments(fragments, max_words=0)


DENSE = {
    "v_anet": {  # ActivityNet Captions: overlapping steps, not in time order, an end past the duration
        "duration": 82.73,
        "timestamps": [[0.83, 19.86], [17.37, 60.81], [5.0, 83.2], [56.26, 79.42]],
        "sentences": ["A man plays the drums.", " He waves his sticks.", "A crowd watches.", "He bows."],
        "subset": "training",  # extra keys are ignored
    },
    "yc2": {"duration": 120, "timestamps": [[10, 20], [20, 35]], "sentences": ["cut the onion", "fry it"]},
}


def test_dense_captions_read_back_exactly(tmp_path):
    data = read_dense_captions(write(tmp_path, "dense.json", json.dumps(DENSE)))
    assert list(data) == ["v_anet", "yc2"]
    anet = data["v_anet"]
    assert isinstance(anet, DenseCaptions) and anet.duration == 82.73
    assert anet.captions.start == [0.83, 17.37, 5.0, 56.26]  # file order kept, overlaps neither sorted nor merged
    assert anet.captions.end == [19.86, 60.81, 82.73, 79.42]  # 83.2 clipped to the duration
    assert anet.captions.text == ["A man plays the drums.", " He waves his sticks.", "A crowd watches.", "He bows."]
    yc2 = data["yc2"]
    assert yc2 == DenseCaptions(120.0, Captions([10.0, 20.0], [20.0, 35.0], ["cut the onion", "fry it"]))
    assert isinstance(yc2.duration, float) and all(isinstance(t, float) for t in yc2.captions.start)


def test_dense_captions_end_far_past_duration_is_clipped(tmp_path):
    entry = {"duration": 10.0, "timestamps": [[2.0, 30.0], [10.0, 11.0]], "sentences": ["a", "b"]}
    captions = read_dense_captions(write(tmp_path, "d.json", json.dumps({"v": entry})))["v"].captions
    assert captions.start == [2.0, 10.0] and captions.end == [10.0, 10.0]


def test_dense_captions_validate_false_keeps_content_as_given(tmp_path):
    entry = {"duration": 10.0, "timestamps": [[-1.0, 2.0], [5.0, 3.0]], "sentences": ["a", " "]}
    path = write(tmp_path, "d.json", json.dumps({"v": entry}))
    captions = read_dense_captions(path, validate=False)["v"].captions
    assert captions.start == [-1.0, 5.0] and captions.end == [2.0, 3.0] and captions.text == ["a", " "]
    with pytest.raises(ValueError, match=r"d\.json: video 'v': 'timestamps' entry 0 has a negative start"):
        read_dense_captions(path)


GOOD = {"duration": 30.0, "timestamps": [[0.0, 5.0], [4.0, 9.0]], "sentences": ["a", "b"]}


@pytest.mark.parametrize(
    "entry, message",
    [
        ([1, 2], "expected an object with 'duration'"),
        ({"timestamps": [], "sentences": []}, "missing field 'duration'"),
        ({"duration": 3.0, "sentences": []}, "missing field 'timestamps'"),
        ({"duration": 3.0, "timestamps": []}, "missing field 'sentences'"),
        ({**GOOD, "duration": 0}, "'duration' must be a positive finite number"),
        ({**GOOD, "duration": -4.0}, "'duration' must be a positive finite number"),
        ({**GOOD, "duration": "30"}, "'duration' must be a positive finite number"),
        ({**GOOD, "duration": True}, "'duration' must be a positive finite number"),
        ({**GOOD, "duration": float("inf")}, "'duration' must be a positive finite number"),
        ({**GOOD, "timestamps": {"0": [0, 1]}}, "'timestamps' must be a list"),
        ({**GOOD, "timestamps": [[0.0, 5.0], [4.0]]}, "'timestamps' entry 1 must be a \\[start, end\\] pair"),
        ({**GOOD, "timestamps": [[0.0, 5.0], [4.0, "9"]]}, "'timestamps' entry 1 must be a \\[start, end\\] pair"),
        ({**GOOD, "timestamps": [3.0, [4.0, 9.0]]}, "'timestamps' entry 0 must be a \\[start, end\\] pair"),
        ({**GOOD, "timestamps": [[0.0, 5.0], [9.0, 4.0]]}, "'timestamps' entry 1 start 9.0 s is after its end 4.0"),
        ({**GOOD, "timestamps": [[-0.5, 5.0], [4.0, 9.0]]}, "'timestamps' entry 0 has a negative start"),
        ({**GOOD, "timestamps": [[0.0, 5.0], [31.0, 40.0]]}, "'timestamps' entry 1 start 31.0 s is past the duration"),
        ({**GOOD, "sentences": ["a"]}, "'timestamps' has 2 entries but 'sentences' has 1"),
        ({**GOOD, "sentences": "a b"}, "'sentences' must be a list"),
        ({**GOOD, "sentences": ["a", 7]}, "'sentences' entry 1 must be a string"),
        ({**GOOD, "sentences": ["", "b"]}, "'sentences' entry 0 is empty"),
        ({**GOOD, "sentences": ["a", " \t\n "]}, "'sentences' entry 1 is empty"),
    ],
)
def test_dense_captions_errors_name_file_video_and_field(tmp_path, entry, message):
    path = write(tmp_path, "dense.json", json.dumps({"ok": GOOD, "v_bad": entry}))
    with pytest.raises(ValueError, match=rf"dense\.json: video 'v_bad': {message}"):
        read_dense_captions(path)


def test_dense_captions_top_level_must_be_an_object(tmp_path):
    with pytest.raises(ValueError, match=r"list\.json: expected a JSON object"):
        read_dense_captions(write(tmp_path, "list.json", json.dumps([GOOD])))
    with pytest.raises(FileNotFoundError, match="nope.json"):
        read_dense_captions(tmp_path / "nope.json")

"""Caption readers (SRT, WebVTT, HowTo100M JSON, HTM-Align), validation and fragment merging."""
from __future__ import annotations

import json

import pytest

from norton.data.captions import (
    Captions,
    DenseCaptions,
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
    bad_time = write(tmp_path, "bad.srt", "1\n00:00:01,000 --> 00:0x:02,000\nhello\n")
    with pytest.raises(ValueError, match=r"bad\.srt:2: bad timestamp"):
        read_subtitles(bad_time)
    empty = write(tmp_path, "empty.srt", "1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n")
    with pytest.raises(ValueError, match=r"empty\.srt:1: cue has empty text"):
        read_subtitles(empty)
    backwards = write(tmp_path, "back.srt", "1\n00:00:05,000 --> 00:00:02,000\nhello\n")
    with pytest.raises(ValueError, match=r"back\.srt:1: .*after its end"):
        read_subtitles(backwards)
    with pytest.raises(ValueError, match=r"nohead\.vtt:1: .*WEBVTT"):
        read_subtitles(write(tmp_path, "nohead.vtt", "00:01.000 --> 00:02.000\nhi\n"))


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

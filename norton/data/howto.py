"""The narrated how-to testbed: long videos with ASR-like narration, MiniLM per-second features and full ground truth.

Each video does one task of `howto_grammar` (cooking, repair, crafts, ...): its steps are shown in
order between background footage, and a second's feature is the all-MiniLM-L6-v2 embedding of a
*visual* description of what is shown then (other words than the narration), plus a per-video
offset and temporally correlated noise. The narration behaves like ASR on such videos: it leads
or lags the action, narrates steps that are not shown, skips steps that are, recaps earlier steps,
and mixes in off-topic talk and sentences of other videos. Every caption has its ground truth:
alignable or not, its true span, and its kind (CAPTION_KINDS).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import numpy as np

from norton.data.captions import Captions
from norton.data.howto_grammar import BACKGROUND_SHOWN, FILLERS, OFF_TOPIC, TASKS, Task
from norton.data.synthetic import unit_rows
from norton.data.videos import GroundTruth, LongVideo, VideoCollection

Embed = Callable[[Sequence[str]], np.ndarray]  # sentences -> (n, D) unit rows
# a caption that narrates a shown step (at or away from it), one of a step not shown, a remark during a
# step that names nothing shown, off-topic talk, a sentence of another video's step
CAPTION_KINDS = ("step", "recap", "unshown", "remark", "off_topic", "other_video")
ALIGNABLE_KINDS = ("step", "recap")
RANGES = ("steps_per_video", "step_seconds", "shot_seconds", "background_seconds", "intro_seconds",
          "outro_seconds", "captions_per_step", "caption_seconds")
ZERO_ALLOWED = ("background_seconds", "intro_seconds", "outro_seconds")


@dataclass
class HowToConfig:
    """Sizes and noise knobs of the testbed (ranges inclusive, seconds unless said)."""

    num_videos: int = 24
    seed: int = 0
    domains: tuple[str, ...] = ()          # empty: every domain of the grammar
    steps_per_video: tuple[int, int] = (6, 10)
    step_seconds: tuple[int, int] = (12, 40)
    shot_seconds: tuple[int, int] = (3, 8)  # the visual description changes every shot
    background_seconds: tuple[int, int] = (0, 10)  # between steps
    intro_seconds: tuple[int, int] = (10, 25)
    outro_seconds: tuple[int, int] = (5, 15)
    # video features
    feature_noise: float = 1.0       # expected norm of a second's Gaussian noise (descriptions are unit vectors)
    noise_correlation: float = 0.6   # AR(1) correlation of the noise from one second to the next
    style_norm: float = 0.5          # norm of the per-video offset every second shares (camera, light, set)
    background_shot_rate: float = 0.05  # chance that a shot inside a step shows background instead
    # narration
    captions_per_step: tuple[int, int] = (1, 3)
    caption_seconds: tuple[int, int] = (2, 6)  # length of an ASR segment
    narration_lead: float = 2.0      # on average the narrator speaks this long before the action
    narration_shift_std: float = 8.0  # std of a step's narration shift (lead or lag)
    unshown_rate: float = 0.15       # a step is narrated but not shown
    unnarrated_rate: float = 0.15    # a shown step gets no narration
    recap_rate: float = 0.15         # a narrated step is recapped later, away from its span
    remark_rate: float = 0.2         # a step's caption is a remark (a tip, an opinion) naming nothing shown
    off_topic_rate: float = 0.25     # expected share of off-topic talk among all captions
    other_video_rate: float = 0.1    # expected share of sentences from other tasks' steps
    filler_rate: float = 0.3         # chance that a caption starts with a filler

    def __post_init__(self) -> None:
        for name in RANGES:
            low, high = getattr(self, name)
            least = 0 if name in ZERO_ALLOWED else 1
            if not least <= low <= high:
                raise ValueError(f"HowToConfig.{name}: expected a range (low, high) with {least} <= low <= high, "
                                 f"got {getattr(self, name)!r}")
            setattr(self, name, (int(low), int(high)))
        for name in ("unshown_rate", "unnarrated_rate", "recap_rate", "remark_rate", "filler_rate",
                     "background_shot_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"HowToConfig.{name}: expected a value in [0, 1], got {getattr(self, name)}")
        if not (0 <= self.off_topic_rate and 0 <= self.other_video_rate
                and self.off_topic_rate + self.other_video_rate < 1):
            raise ValueError("HowToConfig.off_topic_rate + other_video_rate: expected non-negative rates "
                             f"summing below 1, got {self.off_topic_rate} + {self.other_video_rate}")
        for name in ("feature_noise", "style_norm", "narration_shift_std"):
            if getattr(self, name) < 0:
                raise ValueError(f"HowToConfig.{name}: expected >= 0, got {getattr(self, name)}")
        if not 0 <= self.noise_correlation < 1:
            raise ValueError(f"HowToConfig.noise_correlation: expected a value in [0, 1), got {self.noise_correlation}")
        if self.num_videos < 0:
            raise ValueError(f"HowToConfig.num_videos: expected >= 0, got {self.num_videos}")
        self.domains = tuple(self.domains)
        unknown = sorted(set(self.domains) - {task.domain for task in TASKS})
        if unknown:
            raise ValueError(f"HowToConfig.domains: unknown {unknown}; the grammar has "
                             f"{sorted({task.domain for task in TASKS})}")

    def to_dict(self) -> dict:
        """Plain-literal form (tuples as lists) for YAML/JSON."""
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}


# noise levels of the benchmark and the notebooks; "mid" is the default config
NOISE_LEVELS = {
    "low": {"feature_noise": 0.7, "narration_shift_std": 4.0, "unshown_rate": 0.05, "unnarrated_rate": 0.1,
            "recap_rate": 0.05, "off_topic_rate": 0.15, "other_video_rate": 0.05},
    "mid": {},
    "high": {"feature_noise": 1.3, "narration_shift_std": 15.0, "unshown_rate": 0.2, "unnarrated_rate": 0.2,
             "recap_rate": 0.2, "off_topic_rate": 0.3, "other_video_rate": 0.2},
}


def howto_config(noise: str = "mid", **overrides) -> HowToConfig:
    """The config of a named noise level (NOISE_LEVELS), with overrides."""
    if noise not in NOISE_LEVELS:
        raise ValueError(f"noise: expected one of {sorted(NOISE_LEVELS)}, got {noise!r}")
    return HowToConfig(**{**NOISE_LEVELS[noise], **overrides})


@dataclass
class VideoScript:
    """What was done, shown and said in one testbed video, before any embedding."""

    task: str
    domain: str
    duration: int
    shown: list[str]            # visual descriptions used in this video
    second_shown: np.ndarray    # (T,) index into `shown` of what each second shows
    second_step: np.ndarray     # (T,) step index shown at each second, -1 = background
    step_spans: dict[int, tuple[int, int]]  # shown step -> [start, end) seconds
    captions: Captions          # ASR times, sorted by (start, end)
    kinds: list[str]            # per caption, one of CAPTION_KINDS
    caption_step: np.ndarray    # (n,) step a caption narrates, -1 for talk and other videos
    true_start: np.ndarray      # (n,) true span (ASR times where unalignable)
    true_end: np.ndarray

    @property
    def alignable(self) -> np.ndarray:
        return np.isin(self.kinds, ALIGNABLE_KINDS)


@dataclass
class HowToDataset(VideoCollection):
    """Testbed videos (features, ASR captions, ground truth), their scripts and caption embeddings."""

    config: HowToConfig = field(default_factory=HowToConfig)
    scripts: dict[str, VideoScript] = field(default_factory=dict)
    caption_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # video id -> (n, D) unit rows

    def similarity(self, video: LongVideo) -> np.ndarray:
        """(n_captions, T) cosine of each caption's sentence embedding and each second's feature."""
        return self.caption_vectors[video.video_id] @ unit_rows(video.features).T

    def kinds(self, video: LongVideo) -> np.ndarray:
        """(n,) the kind of each caption (CAPTION_KINDS)."""
        return np.array(self.scripts[video.video_id].kinds)


def _between(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    return int(rng.integers(bounds[0], bounds[1] + 1))


def _say(rng: np.random.Generator, template: str, slots: dict[str, str], config: HowToConfig) -> str:
    text = template.format(**slots)
    if rng.random() < config.filler_rate:
        text = f"{FILLERS[rng.integers(len(FILLERS))]} {text}"
    return text


def _fill_slots(rng: np.random.Generator, task: Task) -> dict[str, str]:
    return {name: values[rng.integers(len(values))] for name, values in task.slots.items()}


def write_script(rng: np.random.Generator, task: Task, others: Sequence[Task], config: HowToConfig) -> VideoScript:
    """Timeline, shots and narration of one video doing `task`; `others` lend the other-video sentences."""
    slots = _fill_slots(rng, task)
    count = min(len(task.steps), _between(rng, config.steps_per_video))
    steps = np.sort(rng.choice(len(task.steps), size=count, replace=False))
    unshown = rng.random(count) < config.unshown_rate
    if unshown.all():
        unshown[rng.integers(count)] = False
    shown: list[str] = []
    index_of: dict[str, int] = {}

    def shot(text: str) -> int:
        if text not in index_of:
            index_of[text] = len(shown)
            shown.append(text)
        return index_of[text]

    second_shown: list[int] = []
    second_step: list[int] = []

    def film(seconds: int, step: int, pool: Sequence[str], pool_slots: dict[str, str]) -> None:
        while seconds > 0:
            length = min(seconds, _between(rng, config.shot_seconds))
            background = step >= 0 and rng.random() < config.background_shot_rate
            source = BACKGROUND_SHOWN if background else pool
            text = source[rng.integers(len(source))].format(**({} if background else pool_slots))
            second_shown.extend([shot(text)] * length)
            second_step.extend([-1 if background else step] * length)
            seconds -= length

    film(_between(rng, config.intro_seconds), -1, BACKGROUND_SHOWN, {})
    spans: dict[int, tuple[int, int]] = {}
    planned: dict[int, float] = {}  # step -> time its narration is centred on (shown or not)
    for k, step in enumerate(steps):
        if k:
            film(_between(rng, config.background_seconds), -1, BACKGROUND_SHOWN, {})
        if unshown[k]:
            planned[int(step)] = float(len(second_step))
            continue
        start = len(second_step)
        film(_between(rng, config.step_seconds), int(step), task.steps[step].shown, slots)
        spans[int(step)] = (start, len(second_step))
        planned[int(step)] = (start + len(second_step)) / 2
    film(_between(rng, config.outro_seconds), -1, BACKGROUND_SHOWN, {})
    duration = len(second_step)

    rows: list[tuple[float, float, str, str, int, float, float]] = []  # start, end, text, kind, step, true span

    def add(centre: float, text: str, kind: str, step: int, true_span: tuple[float, float] | None) -> None:
        length = _between(rng, config.caption_seconds)
        start = float(np.clip(centre - length / 2, 0, max(duration - length, 0)))
        end = min(start + length, float(duration))
        span = true_span if true_span is not None else (start, end)
        rows.append((start, end, text, kind, step, float(span[0]), float(span[1])))

    for step, centre in planned.items():
        if step in spans and rng.random() < config.unnarrated_rate:
            continue
        said = task.steps[step].said
        order = rng.permutation(len(said))
        shift = rng.normal(-config.narration_lead, config.narration_shift_std)
        span = spans.get(step)
        count = _between(rng, config.captions_per_step)
        length = (span[1] - span[0]) if span else 6 * count
        remarks = task.steps[step].remarks
        for c in range(count):
            position = centre - length / 2 + length * (c + 0.5) / count + shift + rng.normal(0, 1.5)
            if remarks and rng.random() < config.remark_rate:
                add(position, _say(rng, remarks[rng.integers(len(remarks))], slots, config), "remark", -1, None)
            else:
                add(position, _say(rng, said[order[c % len(said)]], slots, config),
                    "step" if span else "unshown", step, span)
        if span and rng.random() < config.recap_rate and span[1] + 10 < duration:
            add(rng.uniform(span[1] + 10, duration), _say(rng, said[order[-1]], slots, config), "recap", step, span)

    narrated = len(rows)
    talk_share = config.off_topic_rate + config.other_video_rate
    expected = narrated * talk_share / (1 - talk_share)
    talks = int(expected) + int(rng.random() < expected - int(expected))
    for _ in range(talks):
        centre = rng.uniform(0, duration)
        if rng.random() < config.off_topic_rate / talk_share or not others:
            add(centre, _say(rng, OFF_TOPIC[rng.integers(len(OFF_TOPIC))], {}, config), "off_topic", -1, None)
        else:
            other = others[rng.integers(len(others))]
            template = other.steps[rng.integers(len(other.steps))].said
            text = _say(rng, template[rng.integers(len(template))], _fill_slots(rng, other), config)
            add(centre, text, "other_video", -1, None)
    rows.sort(key=lambda row: (row[0], row[1]))
    captions = Captions([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    return VideoScript(
        task=task.name, domain=task.domain, duration=duration, shown=shown,
        second_shown=np.array(second_shown, dtype=np.int64), second_step=np.array(second_step, dtype=np.int64),
        step_spans=spans, captions=captions, kinds=[r[3] for r in rows],
        caption_step=np.array([r[4] for r in rows], dtype=np.int64),
        true_start=np.array([r[5] for r in rows]), true_end=np.array([r[6] for r in rows]))


def film_features(script: VideoScript, vectors: np.ndarray, rng: np.random.Generator,
                  config: HowToConfig) -> np.ndarray:
    """(T, D) float32 unit features: the shown description's embedding + a per-video offset + AR(1) noise."""
    dim = vectors.shape[1]
    style = unit_rows(rng.normal(size=dim)) * config.style_norm
    scale = config.feature_noise / np.sqrt(dim)
    rho = config.noise_correlation
    noise = rng.normal(size=(script.duration, dim)) * scale
    for t in range(1, script.duration):  # stationary AR(1): the same norm at every second
        noise[t] = rho * noise[t - 1] + np.sqrt(1 - rho ** 2) * noise[t]
    return unit_rows(vectors[script.second_shown] + style + noise).astype(np.float32)


def make_howto(config: HowToConfig | None = None, *, embed: Embed | None = None) -> HowToDataset:
    """A seeded testbed; video i depends only on (seed, i). `embed` defaults to the shipped MiniLM (cached)."""
    config = config or HowToConfig()
    tasks = [task for task in TASKS if not config.domains or task.domain in config.domains]
    scripts, rngs = {}, {}
    for i in range(config.num_videos):
        rng = np.random.default_rng([config.seed, i, 104729])
        task = tasks[rng.integers(len(tasks))]
        others = [other for other in TASKS if other.name != task.name]
        video_id = f"howto{config.seed}_{i:04d}"
        scripts[video_id], rngs[video_id] = write_script(rng, task, others, config), rng
    return film(scripts, rngs, config, embed)


def annotation_script(rng: np.random.Generator, video_id: str, steps: Captions, duration: float,
                      distractors: Sequence[str], config: HowToConfig) -> VideoScript:
    """A script from real step annotations: each step's sentence is shown over its span and narrated
    shifted by N(-narration_lead, narration_shift_std); other videos' sentences are the distractors."""
    length = max(1, int(np.ceil(duration)))
    shown = list(dict.fromkeys(steps.text)) + [BACKGROUND_SHOWN[rng.integers(len(BACKGROUND_SHOWN))]]
    second_shown = np.full(length, len(shown) - 1, dtype=np.int64)
    second_step = np.full(length, -1, dtype=np.int64)
    spans = {}
    for k, (start, end, text) in enumerate(zip(steps.start, steps.end, steps.text)):  # later steps win overlaps
        first, last = int(np.floor(start)), max(int(np.ceil(end)), int(np.floor(start)) + 1)
        second_shown[first:last], second_step[first:last] = shown.index(text), k
        spans[k] = (float(start), float(end))
    rows = []
    for k, (start, end, text) in enumerate(zip(steps.start, steps.end, steps.text)):
        shift = rng.normal(-config.narration_lead, config.narration_shift_std)
        asr = float(np.clip(start + shift, 0, max(length - (end - start), 0)))
        rows.append((asr, min(asr + end - start, float(length)), text, "step", k, start, end))
    expected = len(rows) * config.other_video_rate / (1 - config.other_video_rate)
    for _ in range(int(expected) + int(rng.random() < expected - int(expected)) if distractors else 0):
        text = distractors[rng.integers(len(distractors))]
        start = rng.uniform(0, max(length - 4.0, 0))
        rows.append((start, min(start + 4.0, float(length)), text, "other_video", -1, start, min(start + 4.0, length)))
    rows.sort(key=lambda row: (row[0], row[1]))
    return VideoScript(
        task=video_id, domain="annotations", duration=length, shown=shown, second_shown=second_shown,
        second_step=second_step, step_spans=spans,
        captions=Captions([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
        kinds=[r[3] for r in rows], caption_step=np.array([r[4] for r in rows], dtype=np.int64),
        true_start=np.array([r[5] for r in rows], dtype=np.float64),
        true_end=np.array([r[6] for r in rows], dtype=np.float64))


def howto_from_annotations(annotations: dict, config: HowToConfig | None = None, *,
                           embed: Embed | None = None) -> HowToDataset:
    """A testbed from your own step annotations ({video_id: DenseCaptions}, norton.data.read_dense_captions).

    Each second shows the sentence of the step it lies in (background elsewhere); the narration is
    the step sentences shifted in time, plus `other_video_rate` sentences of the other videos as
    distractors. Of `config` only the feature noise (feature_noise, noise_correlation, style_norm),
    the shift (narration_lead, narration_shift_std), other_video_rate and seed apply.
    """
    config = config or HowToConfig()
    if not annotations:
        raise ValueError("annotations: expected at least one video")
    scripts, rngs = {}, {}
    for i, (video_id, dense) in enumerate(annotations.items()):
        if len(dense.captions) == 0:
            raise ValueError(f"annotations: video {video_id!r} has no steps")
        others = [text for other, d in annotations.items() if other != video_id for text in d.captions.text]
        rng = np.random.default_rng([config.seed, i, 15485863])
        scripts[video_id] = annotation_script(rng, video_id, dense.captions, dense.duration, others, config)
        rngs[video_id] = rng
    return film(scripts, rngs, config, embed)


def film(scripts: dict[str, VideoScript], rngs: dict[str, np.random.Generator], config: HowToConfig,
         embed: Embed | None) -> HowToDataset:
    """Embed every sentence of the scripts once, film their features and gather the dataset with its truth."""
    if embed is None:
        from norton.data.embeddings import embed_sentences as embed
    sentences = sorted({text for s in scripts.values() for text in [*s.shown, *s.captions.text]})
    table = dict(zip(sentences, np.asarray(embed(sentences), dtype=np.float32))) if sentences else {}
    videos, caption_vectors = [], {}
    for video_id, script in scripts.items():
        vectors = np.stack([table[text] for text in script.shown])
        features = film_features(script, vectors, rngs[video_id], config)
        truth = GroundTruth(alignable=script.alignable, start=script.true_start, end=script.true_end,
                            caption_concept=np.where(script.alignable, script.caption_step, -1),
                            second_concept=script.second_step)
        videos.append(LongVideo(video_id, features, script.captions, truth))
        caption_vectors[video_id] = np.stack([table[text] for text in script.captions.text])
    dim = next(iter(table.values())).shape[0] if table else 0
    return HowToDataset(videos=videos, feature_dim=dim, config=config, scripts=scripts,
                        caption_vectors=caption_vectors)

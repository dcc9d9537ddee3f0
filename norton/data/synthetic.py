"""Synthetic noisy long videos with ground truth: concepts as feature vectors, captions as words."""
from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from norton.data.captions import Captions
from norton.data.videos import GroundTruth, LongVideo, VideoCollection

# Common lowercase English nouns and verbs, each one whole token of the BERT uncased vocabulary.
VOCABULARY = """
add apple peel banana basket beat bed bend bike blend board boil bolt bottle bowl box bread brush
bucket butter button cabinet cable cake candle car card carrot pack chair cheese chicken chop
load clean clip coat coffee cook corn count cover crack cream cup curtain cut dig dish dough drain
draw dress drill drink drive dry dust egg engine fill fish flour flower fold fork frame fry garden
garlic glass glue grass fix grill guitar hammer hang heat honey hook ice iron jacket jar juice
key kettle knife knot ladder lamp leaf lemon seal lid lift light lock measure meat melt milk
mirror mix steam nail needle net nut oil onion orange oven paint pan paper paste pepper piano pin
pipe pizza plant plate plug polish pot potato pour press pull pump rice roll rope rub salad salt
sand saw scissors screw seed tie shake shelf shirt shoe shovel sink slice soap sock soup spoon
spray spread hold squeeze stir stone sugar sweep table tape tea thread tile tire tomato tool
towel tray tree trim tube turn twist vase wash water wax wheel stack window wine wipe wire wood
wrap yarn zip bath bean beef belt berry blade blanket bolt branch brick broom brush cabbage can
carpet chain chalk cherry chip clay cloth cork crab boot desk door drawer fan fence file film
foil frost fruit gate gear glove grape hat helmet hose jam jelly kitchen bell lawn leash lime
log mat coin mint mug mushroom cord drum olive pad page pasta peach pear pea pencil pie pillow
plank flag pocket pole pork puzzle radio rack rake razor ribbon ring rock rug ruler sauce
sausage scarf screen shell skate kite soil lens sponge stamp steak stool stove straw string
sweater syrup tent toast toilet towel truck tub vacuum valve wallet wand bag wing wool bulb
""".split()
VOCABULARY = list(dict.fromkeys(VOCABULARY))  # drop the few repeats, keep order

FILLER_WORDS = ["um", "uh", "so", "okay", "like", "well", "yeah", "right", "basically", "actually"]
CHITCHAT_WORDS = """hello everyone welcome back channel guys thanks watching cool video today
please comment below hope enjoy see next time bye awesome really love friends music""".split()


@dataclass
class SyntheticConfig:
    """Sizes and noise knobs of a synthetic dataset of long noisy videos (all ranges inclusive)."""

    num_videos: int = 200
    seed: int = 0  # videos; different seeds give held-out splits over the same concepts
    concept_seed: int = 0  # concept bank (vectors and words), shared by all splits
    feature_dim: int = 32
    num_concepts: int = 40
    words_per_concept: int = 3
    steps_per_video: tuple[int, int] = (4, 10)
    step_seconds: tuple[int, int] = (4, 12)
    background_seconds: tuple[int, int] = (0, 6)  # before, between and after steps
    captions_per_step: tuple[int, int] = (1, 2)
    words_per_caption: tuple[int, int] = (2, 6)  # concept (or chit-chat) words, before fillers
    feature_noise: float = 0.5  # expected norm of the Gaussian noise added to each unit concept vector
    # the kinds of noise named in the paper
    unalignable_rate: float = 0.2  # expected fraction of captions that match no clip
    chitchat_fraction: float = 0.5  # of unalignable captions: chit-chat (rest: an absent concept's words)
    unnarrated_rate: float = 0.2  # probability that a step gets no caption
    async_std: float = 2.0  # std (s) of the Gaussian time shift of each caption against its step
    irrelevant_rate: float = 0.1  # probability that a second inside a step shows something else
    filler_rate: float = 0.15  # expected fraction of filler words ("um", "so", ...) in captions
    # oracle text encoder
    word_noise: float = 0.1  # norm of the fixed offset of each concept word from its concept vector
    unknown_word_norm: float = 0.2  # norm of the fixed random vector of filler / unknown words

    def __post_init__(self) -> None:
        for name in ("steps_per_video", "step_seconds", "background_seconds", "captions_per_step",
                     "words_per_caption"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"SyntheticConfig.{name} must be a range (low, high) with 0 <= low <= high")
            setattr(self, name, (int(low), int(high)))
        for name in ("unalignable_rate", "filler_rate"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"SyntheticConfig.{name} must be in [0, 1), got {getattr(self, name)}")
        for name in ("chitchat_fraction", "unnarrated_rate", "irrelevant_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"SyntheticConfig.{name} must be in [0, 1], got {getattr(self, name)}")
        for name in ("feature_noise", "async_std", "word_noise", "unknown_word_norm"):
            if getattr(self, name) < 0:
                raise ValueError(f"SyntheticConfig.{name} must be >= 0, got {getattr(self, name)}")
        if self.num_videos < 0 or self.feature_dim < 2 or self.words_per_concept < 1:
            raise ValueError("SyntheticConfig: need num_videos >= 0, feature_dim >= 2, words_per_concept >= 1")
        if self.step_seconds[0] < 1 or self.steps_per_video[0] < 1 or self.words_per_caption[0] < 1:
            raise ValueError("SyntheticConfig: steps_per_video, step_seconds and words_per_caption need low >= 1")
        if self.num_concepts <= self.steps_per_video[1]:
            raise ValueError(f"SyntheticConfig.num_concepts ({self.num_concepts}) must exceed the most steps "
                             f"per video ({self.steps_per_video[1]}) so that absent concepts exist")
        if self.num_concepts * self.words_per_concept > len(VOCABULARY):
            raise ValueError(f"SyntheticConfig: num_concepts * words_per_concept must be <= {len(VOCABULARY)} "
                             "(size of the built-in vocabulary)")

    def to_dict(self) -> dict:
        """Plain-literal form (tuples as lists) for YAML/JSON."""
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict) -> SyntheticConfig:
        """Inverse of to_dict; unknown keys raise ValueError."""
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"SyntheticConfig: unknown parameter(s) {sorted(unknown)}")
        return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in values.items()})


@dataclass
class ConceptBank:
    """Latent actions: a unit vector and a few words each, plus the background vector."""

    vectors: np.ndarray  # (num_concepts, D) float32, unit norm
    words: list[list[str]]  # num_concepts lists of words
    background: np.ndarray  # (D,) float32, unit norm
    word_vectors: dict[str, np.ndarray]  # concept word -> (D,) fixed oracle embedding
    word_concept: dict[str, int]  # concept word -> concept id


def unit_rows(values: np.ndarray) -> np.ndarray:
    """Rows scaled to unit norm (zero rows stay zero)."""
    return values / np.maximum(np.linalg.norm(values, axis=-1, keepdims=True), 1e-12)


def make_concept_bank(config: SyntheticConfig) -> ConceptBank:
    """Concept vectors, background vector and word lists drawn from `concept_seed`."""
    rng = np.random.default_rng([config.concept_seed, 7919])
    dim = config.feature_dim
    vectors = unit_rows(rng.normal(size=(config.num_concepts + 1, dim))).astype(np.float32)
    permutation = rng.permutation(len(VOCABULARY))
    words = [[VOCABULARY[j] for j in permutation[c * config.words_per_concept:(c + 1) * config.words_per_concept]]
             for c in range(config.num_concepts)]
    offsets = unit_rows(rng.normal(size=(config.num_concepts * config.words_per_concept, dim))) * config.word_noise
    word_vectors, word_concept = {}, {}
    for c, concept_words in enumerate(words):
        for k, word in enumerate(concept_words):
            word_vectors[word] = (vectors[c] + offsets[c * config.words_per_concept + k]).astype(np.float32)
            word_concept[word] = c
    return ConceptBank(vectors[:-1], words, vectors[-1], word_vectors, word_concept)


@dataclass
class SyntheticDataset(VideoCollection):
    """Synthetic videos with ground truth, their config and the oracle text encoder."""

    config: SyntheticConfig = field(default_factory=SyntheticConfig)
    bank: ConceptBank | None = None

    def embed_words(self, text: str) -> np.ndarray:
        """(n_words, D) oracle embeddings: concept words near their concept vector, others small."""
        words = text.lower().split()
        if not words:
            return np.zeros((0, self.config.feature_dim), np.float32)
        return np.stack([self.bank.word_vectors[w] if w in self.bank.word_vectors else self.unknown_word_vector(w)
                         for w in words])

    def unknown_word_vector(self, word: str) -> np.ndarray:
        """A fixed small random (D,) vector for a word that names no concept."""
        rng = np.random.default_rng([self.config.concept_seed, zlib.crc32(word.encode())])
        return (unit_rows(rng.normal(size=self.config.feature_dim)) * self.config.unknown_word_norm).astype(np.float32)

    def similarity(self, video: LongVideo) -> np.ndarray:
        """(n_captions, T) cosine between each caption's mean oracle embedding and each second."""
        texts = np.stack([self.embed_words(text).mean(axis=0) for text in video.captions.text])
        return unit_rows(texts) @ unit_rows(video.features).T

    def concept_of_word(self, word: str) -> int:
        """The concept a word names, -1 for fillers, chit-chat and unknown words."""
        return self.bank.word_concept.get(word.lower(), -1)


def caption_words(rng: np.random.Generator, pool: list[str], config: SyntheticConfig) -> str:
    """Words drawn from `pool` with fillers interleaved at `filler_rate` (expected fraction)."""
    count = rng.integers(config.words_per_caption[0], config.words_per_caption[1] + 1)
    # a geometric number of fillers before each content word makes their expected share filler_rate
    fillers_before = rng.geometric(1 - config.filler_rate, size=count) - 1
    fillers = iter(rng.integers(len(FILLER_WORDS), size=int(fillers_before.sum())).tolist())
    words = []
    for index, num_fillers in zip(rng.integers(len(pool), size=count).tolist(), fillers_before.tolist()):
        words += [FILLER_WORDS[next(fillers)] for _ in range(num_fillers)]
        words.append(pool[index])
    return " ".join(words)


def make_video(video_id: str, rng: np.random.Generator, bank: ConceptBank, config: SyntheticConfig) -> LongVideo:
    """One long video: steps between background, noisy features, noisy captions, ground truth."""
    num_steps = rng.integers(config.steps_per_video[0], config.steps_per_video[1] + 1)
    concepts = rng.choice(config.num_concepts, size=num_steps, replace=False)
    gaps = rng.integers(config.background_seconds[0], config.background_seconds[1] + 1, size=num_steps + 1)
    lengths = rng.integers(config.step_seconds[0], config.step_seconds[1] + 1, size=num_steps)
    starts = gaps[0] + np.concatenate([[0], np.cumsum(lengths + gaps[1:])[:-1]])  # (steps,)
    duration = int(gaps.sum() + lengths.sum())
    labels = np.full(duration, -1, dtype=np.int64)  # (T,)
    for concept, start, length in zip(concepts, starts, lengths):
        labels[start:start + length] = concept
    inside = labels >= 0
    replaced = inside & (rng.random(duration) < config.irrelevant_rate)
    # an irrelevant second shows background or another concept (never the step's own)
    others = (labels + rng.integers(1, config.num_concepts, size=duration)) % config.num_concepts
    labels[replaced] = np.where(rng.random(duration) < 0.5, -1, others)[replaced]
    table = np.vstack([bank.vectors, bank.background[None]])  # (C+1, D); label -1 -> background row
    noise = rng.normal(size=(duration, config.feature_dim)) * (config.feature_noise / np.sqrt(config.feature_dim))
    features = (table[labels] + noise).astype(np.float32)  # (T, D)

    rows = []  # (asr_start, asr_end, text, alignable, true_start, true_end, concept)
    for concept, start, length in zip(concepts, starts, lengths):
        if rng.random() < config.unnarrated_rate:
            continue
        count = rng.integers(config.captions_per_step[0], config.captions_per_step[1] + 1)
        bounds = start + length * np.arange(count + 1) / max(count, 1)
        for k in range(count):
            shift = rng.normal() * config.async_std
            asr_start = min(max(bounds[k] + shift, 0.0), duration)
            asr_end = min(max(bounds[k + 1] + shift, 0.0), duration)
            text = caption_words(rng, bank.words[concept], config)
            rows.append((asr_start, asr_end, text, True, float(start), float(start + length), int(concept)))
    rate = config.unalignable_rate
    expected = len(rows) * rate / (1 - rate)
    absent = np.setdiff1d(np.arange(config.num_concepts), concepts)
    for _ in range(int(expected) + int(rng.random() < expected - int(expected))):
        chitchat = rng.random() < config.chitchat_fraction
        pool = CHITCHAT_WORDS if chitchat else bank.words[absent[rng.integers(len(absent))]]
        length = rng.uniform(config.step_seconds[0], config.step_seconds[1]) / 2
        asr_start = rng.uniform(0, max(duration - length, 0))
        rows.append((asr_start, min(asr_start + length, duration), caption_words(rng, pool, config), False,
                     asr_start, min(asr_start + length, duration), -1))
    rows.sort(key=lambda row: (row[0], row[1]))
    captions = Captions([float(r[0]) for r in rows], [float(r[1]) for r in rows], [r[2] for r in rows])
    truth = GroundTruth(
        alignable=np.array([r[3] for r in rows], dtype=bool),
        start=np.array([r[4] for r in rows], dtype=np.float64),
        end=np.array([r[5] for r in rows], dtype=np.float64),
        caption_concept=np.array([r[6] for r in rows], dtype=np.int64),
        second_concept=labels,
    )
    return LongVideo(video_id, features, captions, truth)


def make_synthetic(config: SyntheticConfig | None = None) -> SyntheticDataset:
    """A seeded synthetic dataset; video i depends only on (seed, i) and the concept bank."""
    config = config or SyntheticConfig()
    bank = make_concept_bank(config)
    videos = [make_video(f"syn{config.seed}_{i:05d}", np.random.default_rng([config.seed, i]), bank, config)
              for i in range(config.num_videos)]
    return SyntheticDataset(videos=videos, feature_dim=config.feature_dim, config=config, bank=bank)


def make_splits(config: SyntheticConfig, sizes: dict[str, int]) -> dict[str, SyntheticDataset]:
    """Held-out splits over one concept bank: split k uses seed config.seed + k."""
    return {name: make_synthetic(replace(config, num_videos=size, seed=config.seed + k))
            for k, (name, size) in enumerate(sizes.items())}

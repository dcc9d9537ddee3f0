import json

import pytest

from norton import NortonConfig
from norton.config import SWITCHES, VARIANT_SWITCHES


def test_variant_sets_switch_defaults():
    for variant, switches in VARIANT_SWITCHES.items():
        cfg = NortonConfig(variant=variant)
        assert {k: getattr(cfg, k) for k in SWITCHES} == switches
    assert NortonConfig().variant == "paper"


def test_one_switch_overrides_alone():
    cfg = NortonConfig(variant="official", mask_padding=True)
    assert cfg.mask_padding is True
    assert cfg.minmax_normalize is True and cfg.bucket_marginals == "dustbin"


def test_replace_variant_keeps_explicit_switches_only():
    cfg = NortonConfig(variant="paper", minmax_normalize=True)
    official = cfg.replace(variant="official")
    assert official.minmax_normalize is True
    assert official.mask_padding is False and official.renormalize_plan_mass is True


@pytest.mark.parametrize("variant", ["paper", "official"])
def test_round_trips(variant, tmp_path):
    cfg = NortonConfig(variant=variant, beta=0.5, prompt_ratio=None, alpha=0.2)
    assert NortonConfig.from_dict(cfg.to_dict()) == cfg
    assert NortonConfig.from_json(cfg.to_json()) == cfg
    assert NortonConfig.from_yaml(cfg.to_yaml()) == cfg
    (tmp_path / "c.yaml").write_text(cfg.to_yaml())
    (tmp_path / "c.json").write_text(cfg.to_json())
    assert NortonConfig.load(tmp_path / "c.yaml") == cfg
    assert NortonConfig.load(tmp_path / "c.json") == cfg
    assert json.loads(cfg.to_json())["prompt_ratio"] is None


def test_unknown_key_is_named():
    with pytest.raises(ValueError, match="sinkhorn_iterations"):
        NortonConfig.from_dict({"sinkhorn_iterations": 10})
    with pytest.raises(ValueError, match="epsilon"):
        NortonConfig.from_yaml("epsilon: 0.1\n")


@pytest.mark.parametrize("field,value", [
    ("variant", "both"), ("eps_video", 0.0), ("eps_clip", -1.0), ("alpha", 0.0), ("beta", 1.5),
    ("prompt_ratio", 0.0), ("clips_per_sequence", 0), ("sinkhorn_iters", 0),
    ("bucket_marginals", "nope"), ("temperature", 0.0),
])
def test_bad_values_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        NortonConfig(**{field: value})


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.yaml"):
        NortonConfig.load(tmp_path / "absent.yaml")


def test_corrupt_file_is_named(tmp_path):
    (tmp_path / "bad.yaml").write_text("beta: [0.3\n")
    with pytest.raises(ValueError, match="bad.yaml is not valid YAML"):
        NortonConfig.load(tmp_path / "bad.yaml")


def test_round_trips_keep_which_switches_were_chosen():
    chosen = NortonConfig(mask_padding=False)  # one switch set by hand, the rest follow the variant
    for again in (NortonConfig.from_dict(chosen.to_dict()), NortonConfig.from_yaml(chosen.to_yaml()),
                  NortonConfig.from_json(chosen.to_json())):
        assert again == chosen
        official = again.replace(variant="official")
        assert official == chosen.replace(variant="official")
        assert official.mask_padding is False and official.bucket_marginals == "dustbin"
    assert chosen.to_dict()["bucket_marginals"] is None and chosen.to_dict()["mask_padding"] is False


def test_yaml_values_are_coerced_to_their_field_types_or_named():
    # YAML 1.1 reads 5e-2 (no dot) as a string; a quoted 'no' is a string too
    config = NortonConfig.from_yaml("eps_video: 5e-2\ntemperature: 7e-2\nmask_padding: 'no'\nsinkhorn_iters: 20.0\n")
    assert (config.eps_video, config.temperature, config.mask_padding, config.sinkhorn_iters) == (0.05, 0.07, False, 20)
    assert isinstance(config.sinkhorn_iters, int)
    for text, message in (("beta: high", "beta: expected float, got 'high'"),
                          ("sinkhorn_iters: zero", "sinkhorn_iters: expected int, got 'zero'"),
                          ("mask_padding: maybe", "mask_padding: expected bool or NoneType, got 'maybe'"),
                          ("variant: 3", "variant: expected str, got 3"),
                          ("sinkhorn_iters: 2.5", "sinkhorn_iters: expected int, got 2.5")):
        with pytest.raises(ValueError, match=message):
            NortonConfig.from_yaml(text)


def test_coerce_value_on_containers_and_optionals():
    from norton.config import coerce_value

    assert coerce_value(["1", 2.0], tuple[int, int], "range") == (1, 2)
    assert coerce_value(None, float | None, "p") is None and coerce_value("0.3", float | None, "p") == 0.3
    assert coerce_value(["a", "b"], list[str], "names") == ["a", "b"]
    with pytest.raises(ValueError, match=r"range: expected 2 values"):
        coerce_value([1, 2, 3], tuple[int, int], "range")
    with pytest.raises(ValueError, match=r"range\[1\]: expected int, got 'x'"):
        coerce_value([1, "x"], tuple[int, int], "range")

"""Model families by name: each one's config class, the module with its nets and step, and its own
training defaults. Torch-free, so the CLI can declare every option without importing a family module."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from genlab.config import ae, dann, gan, gan_1d, vae
from genlab.config.fields import build, flag_of
from genlab.config.run import DataConfig, RunConfig, TrainConfig
from genlab.errors import UsageError


@dataclass(frozen=True)
class Family:
    name: str
    config: type                    # the family's frozen config dataclass
    module: str                     # where its Task lives (imported by genlab.training.families, a floor above)
    summary: str                    # one line for `genlab train --help`
    train_defaults: tuple[tuple[str, object], ...] = ()   # TrainConfig fields this family sets otherwise
    # Per dataset spec, flat options this family uses on that data unless told otherwise (the setting the
    # lecture runs, so what the page shows is what `genlab train FAMILY --data SPEC` gives).
    data_defaults: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = ()

    def defaults_for(self, spec: str | None) -> dict:
        """{section: {option: value}}: the family's own defaults, then those for dataset `spec`."""
        flat = dict(dict(self.data_defaults).get(spec, ()))
        return merge({"train": dict(self.train_defaults)}, nest(self, flat, where=f"{self.name} defaults"))


FAMILIES = {f.name: f for f in (
    Family("ae", ae.Config, "genlab.training.ae", "plain autoencoder (MSE or BCE reconstruction, MLP or conv)"),
    Family("vae", vae.Config, "genlab.training.vae",
           "variational autoencoder: N(0, I) prior, Gaussian q(z|x), reparameterised sample, closed-form KL"),
    Family("gan", gan.Config, "genlab.training.gan", "GAN with MLP or DCGAN nets (28/32/64 px images)",
           train_defaults=(("lr", gan.DEFAULT_LR),)),
    Family("gan-1d", gan_1d.Config, "genlab.training.gan_1d",
           "the lecture's 1-D GAN against the exact optimal discriminator D*",
           train_defaults=(("lr", gan_1d.DEFAULT_LR),)),
    Family("dann", dann.Config, "genlab.training.dann",
           "domain-adversarial training (gradient reversal; Ganin et al. 2016)",
           data_defaults=tuple((spec, tuple(options.items())) for spec, options in dann.DATA_DEFAULTS.items())),
)}
SECTIONS = ("data", "train", "model")


def get(name: str) -> Family:
    if name not in FAMILIES:
        raise UsageError(f"unknown model {name!r}; accepted: {', '.join(FAMILIES)}")
    return FAMILIES[name]


def section_classes(family: Family) -> dict[str, type]:
    return {"data": DataConfig, "train": TrainConfig, "model": family.config}


def field_sections(family: Family) -> dict[str, str]:
    """Option name -> the section (data/train/model) that declares it; names are unique within a family."""
    owners: dict[str, str] = {}
    for section, cls in section_classes(family).items():
        for f in dataclasses.fields(cls):
            if f.name in owners:
                raise AssertionError(f"{family.name}: option {f.name} declared in {owners[f.name]} and {section}")
            owners[f.name] = section
    return owners


def merge(*layers: dict) -> dict:
    """Nested {section: {option: value}} dicts, later ones winning option by option."""
    out: dict = {s: {} for s in SECTIONS}
    for layer in layers:
        for section, values in layer.items():
            out[section].update(values)
    return out


def flag_names(family: Family) -> dict[str, str]:
    """The CLI name of every option whose flag is not its field name, with underscores (`k` for --k,
    `lambda` for --lambda, `data` for --data) -> the field it sets: flat options accept either."""
    names: dict[str, str] = {}
    for cls in section_classes(family).values():
        for f in dataclasses.fields(cls):
            alias = flag_of(f).removeprefix("--").replace("-", "_")
            if alias != f.name:
                names[alias] = f.name
    clash = set(names) & set(field_sections(family))
    if clash:  # a declaration error: one name would set two options
        raise AssertionError(f"{family.name}: {sorted(clash)} are both a field and another field's flag")
    return names


def nest(family: Family, flat: dict, *, where: str) -> dict:
    """Flat options (`latent_dim=2`, `data="fashion-mnist"`, `k=5` for --k) -> {section: {option: value}}:
    the field names of config.json, or the CLI's option names with underscores."""
    owners, aliases = field_sections(family), flag_names(family)
    fields = {f.name: f for cls in section_classes(family).values() for f in dataclasses.fields(cls)}
    def ours(key: str) -> bool:
        return family.name in (fields[key].metadata.get("families") or (family.name,))

    out: dict = {s: {} for s in SECTIONS}
    given: dict[str, str] = {}  # field -> the name it was given under
    for name, value in flat.items():
        key = aliases.get(name, name)
        if key not in owners or (key == "spec" and name != "data"):
            accepted = sorted({*aliases, *(k for k in owners if k != "spec" and ours(k))})
            raise UsageError(f"{where}: unknown option {name!r} for '{family.name}'; accepted: "
                             f"{', '.join(accepted)}")
        if key in given:
            raise UsageError(f"{where}: {given[key]!r} and {name!r} set the same option; give one")
        given[key] = name
        out[owners[key]][key] = value
    return out


def build_config(name: str, options: dict) -> RunConfig:
    """The one way a RunConfig is made from options: the family's defaults, then `options`
    ({section: {option: value}}), every value checked as the CLI checks it."""
    family = get(name)
    values = merge(family.defaults_for(options.get("data", {}).get("spec")), options)
    classes = section_classes(family)
    built = {s: build(classes[s], values[s], where=f"{name} {s} options") for s in SECTIONS}
    for section, config in built.items():  # another family's option set to anything but its default
        for f in dataclasses.fields(config):
            only = f.metadata.get("families")
            if only and name not in only and getattr(config, f.name) != f.default:
                raise UsageError(f"{name} {section} options: {f.name!r} is an option of {', '.join(only)} only")
    return RunConfig(family=name, data=built["data"], model=built["model"], train=built["train"])


def from_options(name: str, options: dict) -> RunConfig:
    """A RunConfig from flat options, as the Python API and the experiments give them:
    `from_options("vae", {"data": "fashion-mnist", "latent_dim": 2, "epochs": 5})`."""
    nested = nest(get(name), options, where=f"genlab.train({name!r})")
    config = build_config(name, nested)
    check_needs(config, nested)
    return config


def check_needs(config: RunConfig, given: dict) -> None:
    """UsageError when an option does nothing in this config, by its declaration's `needs` (--k without
    --objective iwae): an option typed ({section: {field: value}}), or one set to other than its default by
    any source (a config file; a run's own config.json lists every option, at their defaults where unused)."""
    sections = {"data": config.data, "model": config.model, "train": config.train}
    for section, values in sections.items():
        fields = {f.name: f for f in dataclasses.fields(values)}
        chosen = set(given.get(section, {})) | {n for n, f in fields.items() if getattr(values, n) != f.default}
        for name in sorted(chosen):
            for other, accepted in (fields[name].metadata.get("needs") or {}).items():
                value = getattr(values, other)
                if value not in accepted:
                    wanted = "" if accepted == (True,) else f" {' or '.join(map(str, accepted))}, not {value}"
                    raise UsageError(f"{flag_of(fields[name])} applies with {flag_of(fields[other])}{wanted}; "
                                     "drop it or change that")


def config_from_dict(values: dict) -> RunConfig:
    """Rebuild a RunConfig from config.json's "config" object (unknown keys are errors)."""
    if not isinstance(values, dict) or not isinstance(values.get("family"), str):
        raise UsageError("run config: expected an object with a 'family' name")
    family = get(values["family"])
    classes = section_classes(family)
    try:
        built = {s: build(classes[s], values[s], where=f"config {s} ({family.name})") for s in SECTIONS}
    except KeyError as exc:
        raise UsageError(f"run config is missing its {exc} section") from None
    return RunConfig(family=family.name, data=built["data"], model=built["model"], train=built["train"])

"""The baselines ``frontline baselines`` trains and scores, and the systems it reports.

The models come in two families (:data:`FAMILIES`), each run by its own ``frontline baselines
--systems FAMILY``: ``classic`` (the lexicon, scikit-learn and spaCy models: ``frontline
baselines`` alone) and ``transformer`` (the fine-tuned MiniLM models of
:mod:`frontline.baselines.transformer`, which need the ``[transformer]`` extra and take longer).

Adding a model is one class and one line: write the class in
:mod:`frontline.baselines.models` (an :class:`~frontline.baselines.models.EntityModel` or a
:class:`~frontline.baselines.models.RelationModel` with its ``name``, its ``fit`` and what it
joins) and add it to :data:`ENTITY_MODELS` or :data:`RELATION_MODELS` (or a transformer to
:data:`TRANSFORMER_ENTITY_MODELS` or :data:`TRANSFORMER_RELATION_MODELS`). The suite iterates
these tuples; nothing else there names a model.

A :class:`System` is what gets a score: an entity model alone, or a relation model given the
gold entities or those of an entity model (end to end). :attr:`System.label` is how
``results.json``, the tables and the prediction files spell it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from frontline.baselines.models import (
    EntityModel,
    LexiconNer,
    RelationModel,
    SklearnNer,
    SklearnRelations,
    SpacyNer,
    TypePairPrior,
)
from frontline.baselines.transformer import MiniLMNer, MiniLMRelations

#: The entity recognisers, simplest first: model selection breaks ties towards the simpler.
ENTITY_MODELS: tuple[type[EntityModel], ...] = (LexiconNer, SklearnNer, SpacyNer)
#: The relation classifiers, in the order they are trained.
RELATION_MODELS: tuple[type[RelationModel], ...] = (TypePairPrior, SklearnRelations)
#: The fine-tuned transformers (``frontline baselines --systems transformer``).
TRANSFORMER_ENTITY_MODELS: tuple[type[EntityModel], ...] = (MiniLMNer,)
TRANSFORMER_RELATION_MODELS: tuple[type[RelationModel], ...] = (MiniLMRelations,)


@dataclass(frozen=True)
class Family:
    """Models trained and scored together: their relation models' end-to-end systems use the
    family's best entity model on validation."""

    name: str
    entity_models: tuple[type[EntityModel], ...]
    relation_models: tuple[type[RelationModel], ...]


CLASSIC = Family("classic", ENTITY_MODELS, RELATION_MODELS)
TRANSFORMER = Family("transformer", TRANSFORMER_ENTITY_MODELS, TRANSFORMER_RELATION_MODELS)
#: The families by name, as ``frontline baselines --systems`` takes them.
FAMILIES = {family.name: family for family in (CLASSIC, TRANSFORMER)}

M = TypeVar("M", type[EntityModel], type[RelationModel])


def entity_model(name: str) -> type[EntityModel]:
    """The entity model called ``name``, in any family."""
    return _named(name, "entity", [f.entity_models for f in FAMILIES.values()])


def relation_model(name: str) -> type[RelationModel]:
    """The relation model called ``name``, in any family."""
    return _named(name, "relation", [f.relation_models for f in FAMILIES.values()])


def _named(name: str, kind: str, tuples: list[tuple[M, ...]]) -> M:
    models = {model.name: model for models in tuples for model in models}
    if name not in models:
        raise KeyError(f"no {kind} model {name!r}: the registry has {', '.join(models)}")
    return models[name]


class Setting(Enum):
    """What a system is given; the value is the key of its block in ``results.json``."""

    ENTITIES = "entities"  # an entity model: the text
    GOLD = "gold_entities"  # a relation model: the gold entities
    END_TO_END = "end_to_end"  # a relation model: the entities of an entity model


@dataclass(frozen=True)
class System:
    """A model in a setting: what is scored, compared and written out."""

    model: str
    setting: Setting = Setting.ENTITIES
    entity_model: str | None = None  # END_TO_END: whose entities

    def __post_init__(self) -> None:
        if (self.setting is Setting.END_TO_END) != (self.entity_model is not None):
            raise ValueError(
                f"system {self.model} ({self.setting.value}): an entity model is named exactly "
                f"for end to end, got {self.entity_model!r}"
            )

    @property
    def label(self) -> str:
        """The spelling of the outputs: ``lexicon``, ``sklearn-relations@gold``,
        ``sklearn-relations@spacy-ner`` (end to end over spacy-ner's entities)."""
        if self.setting is Setting.ENTITIES:
            return self.model
        if self.setting is Setting.GOLD:
            return f"{self.model}@gold"
        return f"{self.model}@{self.entity_model}"

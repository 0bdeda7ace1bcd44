import xml.etree.ElementTree as ET

from label_studio_sdk.label_interface import LabelInterface

from frontline.core.labelconfig import FROM_NAME, TO_NAME, label_config
from frontline.core.scheme import load_scheme


def test_committed_config_is_up_to_date(repo):
    expected = label_config(load_scheme(repo.scheme))
    assert repo.label_config.read_text(encoding="utf-8") == expected, (
        "annotation/label_config.xml is stale: run `frontline scheme config`"
    )


def test_config_is_valid_for_label_studio(repo):
    scheme = load_scheme(repo.scheme)
    interface = LabelInterface(label_config(scheme))
    interface.validate()  # raises on an invalid config
    control = interface.get_control(FROM_NAME)
    assert control.labels == scheme.entity_names
    assert control.to_name == [TO_NAME]


def test_every_label_has_its_colour_hotkey_and_relations_are_listed(repo):
    scheme = load_scheme(repo.scheme)
    root = ET.fromstring(label_config(scheme))
    labels = {e.get("value"): e for e in root.iter("Label")}
    for ent in scheme.entities:
        assert labels[ent.name].get("background") == ent.color
        assert labels[ent.name].get("hotkey") == ent.hotkey
    assert [r.get("value") for r in root.iter("Relation")] == scheme.relation_names
    assert root.find("Header").get("value").startswith(f"Frontline scheme {scheme.version}:")
